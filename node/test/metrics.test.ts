// The node's /metrics text: Prometheus exposition format, with a finality histogram whose
// buckets count cumulatively and end in +Inf = the count.
import { describe, expect, it } from "vitest";
import { Metrics } from "../metrics.ts";

describe("metrics", () => {
  it("render counters, gauges and a cumulative finality histogram in Prometheus text format", () => {
    const metrics = new Metrics();
    metrics.accepted = 3;
    metrics.conflicts = 1;
    metrics.peers = 2;
    metrics.stalls = 4;
    for (const ms of [40, 150, 150, 20_000]) metrics.observeFinality(ms);
    const lines = metrics.render().trimEnd().split("\n");
    const value = (series: string) => lines.find((l) => l.startsWith(`${series} `))?.split(" ")[1];
    expect(value("trustql_transactions_accepted_total")).toBe("3");
    expect(value("trustql_conflicts_total")).toBe("1");
    expect(value("trustql_peers")).toBe("2");
    expect(value("trustql_event_loop_stalls_total")).toBe("4");
    expect(lines).toContain("# TYPE trustql_transactions_accepted_total counter");
    expect(lines).toContain("# TYPE trustql_peers gauge");
    expect(lines).toContain("# TYPE trustql_finality_ms histogram");
    expect(value('trustql_finality_ms_bucket{le="50"}')).toBe("1");
    expect(value('trustql_finality_ms_bucket{le="100"}')).toBe("1");
    expect(value('trustql_finality_ms_bucket{le="200"}')).toBe("3");
    expect(value('trustql_finality_ms_bucket{le="10000"}')).toBe("3");
    expect(value('trustql_finality_ms_bucket{le="+Inf"}')).toBe("4");
    expect(value("trustql_finality_ms_sum")).toBe("20340");
    expect(value("trustql_finality_ms_count")).toBe("4");
    // Every sample line belongs to a metric announced by HELP and TYPE lines before it.
    const announced = new Set(lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]));
    for (const sample of lines.filter((l) => !l.startsWith("#"))) expect(announced.has(sample.split(/[{ ]/)[0].replace(/_(bucket|sum|count)$/, ""))).toBe(true);
  });
});
