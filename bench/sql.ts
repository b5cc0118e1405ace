// npm run bench:sql -- --sf 1 [--runs 3] [--queries 1,3,5]
// Per TPC-H query: planning time (SQL text → Substrait bytes), end-to-end time through trustql
// (plan + execute + Arrow), and the same SQL run by DuckDB directly on the same files in this
// process; then the geomean ratio and peak RSS. Targets: planning median < 5 ms, ratio < 1.10.
import "../common/duckdb-allocator.ts"; // before DuckDB loads, in this process too: DuckDB alone is measured as trustql runs it
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { aboveZero, numberListOption, numberOption, parseOptions, wholeFrom } from "../common/options.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { generateTpch } from "../datagen/tpch/index.ts";
import { TPCH_TABLE_NAMES } from "../datagen/tpch/schema.ts";
import { LocalEngine } from "../exec/index.ts";
import { planSql } from "../planner/index.ts";
import { Plan } from "../proto/index.ts";
import { median, geomean, PeakRss, formatMs, printTable, TPCH_QUERY_NUMBERS } from "./report.ts";

const values = parseOptions("bench:sql", {
  sf: { type: "string", default: "1" },
  runs: { type: "string", default: "3" },
  queries: { type: "string" },
  "plan-reps": { type: "string", default: "50" },
});
const sf = numberOption("bench:sql", "sf", values.sf, aboveZero);
const runs = numberOption("bench:sql", "runs", values.runs, wholeFrom(1));
const planReps = numberOption("bench:sql", "plan-reps", values["plan-reps"], wholeFrom(1));
const root = resolve(import.meta.dirname, "..");
const dataDir = join(root, "data", `tpch-sf${sf}`);
const queryIds = values.queries
  ? numberListOption("bench:sql", "queries", values.queries, TPCH_QUERY_NUMBERS).map((q) => `q${String(q).padStart(2, "0")}`)
  : Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);

const rss = new PeakRss();

if (!TPCH_TABLE_NAMES.every((t) => existsSync(join(dataDir, `${t}.parquet`)))) {
  process.stderr.write(`generating TPC-H SF ${sf} into ${dataDir}…\n`);
  await generateTpch({ sf, out: dataDir });
}

const engine = await LocalEngine.open();
for (const t of TPCH_TABLE_NAMES) await engine.registerParquet([t], [join(dataDir, `${t}.parquet`)]);

const duckdb = await DuckDBInstance.create(":memory:");
const reference = await duckdb.connect();
for (const t of TPCH_TABLE_NAMES) {
  await reference.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${join(dataDir, `${t}.parquet`)}')`);
}

async function timeTrustql(sql: string): Promise<number> {
  const started = performance.now();
  const planned = planSql(sql, engine.catalog());
  await engine.execute(planned.plan);
  return performance.now() - started;
}

async function timeDuckdb(sql: string): Promise<number> {
  const started = performance.now();
  const result = await reference.run(sql);
  await result.getRows();
  return performance.now() - started;
}

const rows: string[][] = [];
const ratios: number[] = [];
const planTimes: number[] = [];
for (const id of queryIds) {
  const sql = readFileSync(join(root, "sql-tests", "tpch", "queries", `${id}.sql`), "utf8");
  const planSamples: number[] = [];
  for (let i = 0; i < planReps; i++) {
    const started = performance.now();
    Plan.encode(planSql(sql, engine.catalog()).plan).finish();
    planSamples.push(performance.now() - started);
  }
  // One warm-up each, then alternate so neither side profits from the other's cache more.
  await timeTrustql(sql);
  await timeDuckdb(sql);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await timeTrustql(sql));
    theirs.push(await timeDuckdb(sql));
    rss.sample();
  }
  const plan = median(planSamples);
  const ratio = median(ours) / median(theirs);
  planTimes.push(plan);
  ratios.push(ratio);
  rows.push([id, formatMs(plan), formatMs(median(ours)), formatMs(median(theirs)), ratio.toFixed(3)]);
  process.stderr.write(`${id} done\n`);
}
engine.close();
reference.closeSync();

printTable(["query", "planning", "trustql", "duckdb", "ratio"], rows);
process.stdout.write(
  `\nTPC-H SF ${sf}, ${runs} runs each (median): planning median ${formatMs(median(planTimes))}, ` +
    `geomean ratio trustql/duckdb ${geomean(ratios).toFixed(3)}, peak RSS ${(rss.peakBytes() / 2 ** 20).toFixed(0)} MiB\n`,
);
