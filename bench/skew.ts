// npm run bench:skew -- [--rows 2000000] [--workers 4] [--budget-mb 12] [--runs 5]
// Dynamic salting under skew: the same queries over a uniform table and a Zipf-skewed one (one
// key holds half the rows), staged on in-process workers with a memory budget per receiving
// task. Prints each query's skewed/uniform time ratio and each worker's peak buffered bytes
// against the budget. Target: ratio ≤ 1.3 with memory within budget. The default budget holds a
// worker's share of the uniform table (2M rows on 4 workers peak at about 10 MiB) but not the
// skewed key's: under a budget below the balanced share no placement fits, and salting cannot help.
// The two datasets' runs alternate, after a warm-up run of each: on a shared machine whose speed
// drifts by tens of percent within a minute, runs of one dataset after the other's measured the drift.
import "../common/duckdb-allocator.ts"; // before DuckDB loads, in this process too: DuckDB alone is measured as trustql runs it
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aboveZero, numberOption, parseOptions, wholeFrom } from "../common/options.ts";
import { cutParquet } from "../exec/chunks/index.ts";
import { LocalEngine } from "../exec/index.ts";
import { EnginePool, LocalExecutors, placeTable, runStagedQuery, type PlacedTable } from "../exec/stages/index.ts";
import { fragmentPlan } from "../planner/fragment/index.ts";
import { planSql } from "../planner/index.ts";
import { formatMs, median, printTable } from "./report.ts";

const values = parseOptions("bench:skew", {
  rows: { type: "string", default: "2000000" },
  workers: { type: "string", default: "4" },
  "budget-mb": { type: "string", default: "12" },
  runs: { type: "string", default: "5" },
});
const rows = numberOption("bench:skew", "rows", values.rows, wholeFrom(1));
const workers = Array.from({ length: numberOption("bench:skew", "workers", values.workers, wholeFrom(1)) }, (_, i) => `bench-node-${i}`);
const budget = numberOption("bench:skew", "budget-mb", values["budget-mb"], aboveZero) * 1024 * 1024;
const runs = numberOption("bench:skew", "runs", values.runs, wholeFrom(1));

const QUERIES = {
  "distinct per key": "SELECT k, count(DISTINCT note) AS notes, count(*) AS n FROM t GROUP BY k",
  "join on the key": "SELECT d.label, count(*) AS n, sum(t.v) AS total FROM t JOIN dim d ON t.k = d.k GROUP BY d.label",
};

const dir = mkdtempSync(join(tmpdir(), "trustql-bench-skew-"));
const pool = new EnginePool();
try {
  const duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  // Uniform: keys spread evenly over 0..1000. Skewed: even rows have key 0, the rest Zipf-like.
  const key = {
    uniform: `(hash(i) % 1001)::INTEGER`,
    skewed: `CASE WHEN i % 2 = 0 THEN 0 ELSE 1 + floor(1000 * pow((hash(i) % 1000000) / 1000000.0, 3))::INTEGER END`,
  };
  for (const [name, expr] of Object.entries(key)) {
    await connection.run(`COPY (SELECT ${expr} AS k, (i % 97)::DOUBLE AS v, 'note-' || (i % 200000) AS note FROM range(${rows}) r(i)) TO '${join(dir, `${name}.parquet`)}' (FORMAT parquet)`);
  }
  await connection.run(`COPY (SELECT i::INTEGER AS k, 'dim-' || i AS label FROM range(0, 1001) r(i)) TO '${join(dir, "dim.parquet")}' (FORMAT parquet)`);
  connection.closeSync();
  duckdb.closeSync();
  const files = new Map<string, string>();
  async function place(file: string, name: string): Promise<PlacedTable> {
    const engine = await LocalEngine.open();
    await engine.registerParquet([name], [file]);
    const schema = engine.catalog().lookup([name])!.schema;
    engine.close();
    const chunks = await cutParquet(file, join(dir, "chunks"), { targetRows: 100_000 });
    for (const c of chunks) files.set(c.hash, c.file);
    return placeTable(schema, chunks, workers);
  }
  const dim = await place(join(dir, "dim.parquet"), "dim");

  const results: string[][] = [];
  const summary: string[] = [];
  for (const [queryName, sql] of Object.entries(QUERIES)) {
    const datasets = ["uniform", "skewed"] as const;
    const setups = [];
    for (const dataset of datasets) {
      const tables = new Map([["t", await place(join(dir, `${dataset}.parquet`), "t")], ["dim", dim]]);
      const catalog = await LocalEngine.open();
      await catalog.registerParquet(["t"], [join(dir, `${dataset}.parquet`)]);
      await catalog.registerParquet(["dim"], [join(dir, "dim.parquet")]);
      const planned = planSql(sql, catalog.catalog(), { twoPhaseAggregates: true });
      catalog.close();
      setups.push({ tables, query: fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 0 }) });
    }
    const measured = datasets.map(() => [] as number[]);
    const salted = datasets.map(() => 0);
    const peaks = datasets.map(() => [] as number[]);
    for (let round = -1; round < runs; round++) {
      for (const [d, { tables, query }] of setups.entries()) {
        const started = performance.now();
        const result = await runStagedQuery({ query, workers, coordinator: 0, tables, executors: new LocalExecutors(workers, { chunkFile: (h) => files.get(h)!, pool }), budgetBytes: budget });
        if (round < 0) continue;
        measured[d].push(performance.now() - started);
        salted[d] = result.stages.reduce((n, s) => n + s.saltedKeys, 0);
        peaks[d] = workers.map((_, w) => Math.max(0, ...result.stages.map((s) => s.peakInputBytes[w] ?? 0)));
      }
    }
    const times = measured.map(median);
    datasets.forEach((dataset, d) => results.push([queryName, dataset, formatMs(times[d]), String(salted[d]), peaks[d].map((p) => `${(p / 1048576).toFixed(1)}`).join(" / ")]));
    const ratios = measured[1].map((skewed, round) => skewed / measured[0][round]);
    const within = peaks[1].every((p) => p <= budget * 1.25);
    summary.push(
      `${queryName}: skewed/uniform ${(times[1] / times[0]).toFixed(2)} (target ≤ 1.3; rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); skewed peak ${(Math.max(...peaks[1]) / 1048576).toFixed(1)} MiB against a ${(budget / 1048576).toFixed(0)} MiB budget${within ? "" : " (OVER)"}`,
    );
  }
  printTable(["query", "data", "time", "salted keys", "peak MiB per worker"], results);
  process.stdout.write(`\n${rows.toLocaleString("en")} rows on ${workers.length} workers, budget ${(budget / 1048576).toFixed(0)} MiB per receiving task\n${summary.join("\n")}\n`);
} finally {
  pool.close();
  rmSync(dir, { recursive: true, force: true });
}
