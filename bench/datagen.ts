// `npm run bench:datagen -- --sf 1`: TPC-H generation speed per table and peak memory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aboveZero, numberOption, parseOptions } from "../common/options.ts";
import { generateTpch } from "../datagen/tpch/index.ts";
import { PeakRss, printTable } from "./report.ts";

const values = parseOptions("bench:datagen", { sf: { type: "string", default: "1" }, out: { type: "string" } });
const sf = numberOption("bench:datagen", "sf", values.sf, aboveZero);
const out = values.out ?? mkdtempSync(join(tmpdir(), "trustql-bench-datagen-"));
const rss = new PeakRss();
const timer = setInterval(() => rss.sample(), 50);
const started = performance.now();
const firstSeen = new Map<string, number>();
const lastSeen = new Map<string, number>();
const tables = await generateTpch({
  sf,
  out,
  onProgress: ({ table }) => {
    const now = performance.now();
    if (!firstSeen.has(table)) firstSeen.set(table, now);
    lastSeen.set(table, now);
  },
});
clearInterval(timer);
const total = (performance.now() - started) / 1000;
printTable(
  ["table", "rows", "seconds", "rows/s", "MB"],
  tables.map((t) => {
    const s = ((lastSeen.get(t.name) ?? 0) - (firstSeen.get(t.name) ?? 0)) / 1000;
    return [t.name, String(t.rows), s.toFixed(2), s > 0 ? Math.round(t.rows / s).toLocaleString("en") : "-", (t.bytes / 1e6).toFixed(1)];
  }),
);
process.stdout.write(`\nTPC-H SF ${sf}: ${tables.reduce((n, t) => n + t.rows, 0).toLocaleString("en")} rows in ${total.toFixed(1)} s, peak RSS ${(rss.peakBytes() / 2 ** 20).toFixed(0)} MiB (this process, DuckDB included)\n`);
if (!values.out) rmSync(out, { recursive: true, force: true });
