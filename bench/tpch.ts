// npm run bench:tpch -- --sf 1 --nodes 4 [--runs 3] [--queries 1,3,5] [--chunk-rows N] [--compression CODEC] [--small-exchange BYTES] [--stages]
// Each query runs once unmeasured on both sides, then `--runs` times; the medians are compared.
// TPC-H on a local cluster: per query, the time through the cluster (submit SQL to a node →
// answer back), DuckDB alone on the same files in this process, their ratio, rows and bytes
// shuffled, chunks scanned and pruned; then the geomean ratio and each node's peak RSS.
// Target: geomean ratio ≤ 1.5. Every answer is also checked against DuckDB's.
import "../common/duckdb-allocator.ts"; // before DuckDB loads, in this process too: DuckDB alone is measured as trustql runs it
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { aboveZero, numberListOption, numberOption, parseOptions, refuse, wholeFrom } from "../common/options.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { clusterDown, clusterUp } from "../client/commands/cluster.ts";
import { explainAnalyze } from "../client/commands/dataset.ts";
import { addDataset } from "../client/sdk/dataset.ts";
import { NodeClient } from "../client/sdk/index.ts";
import { generateTpch } from "../datagen/tpch/index.ts";
import { TPCH_TABLE_NAMES } from "../datagen/tpch/schema.ts";
import { chunkCompression, DEFAULT_CHUNK_COMPRESSION } from "../exec/chunks/index.ts";
import { LocalEngine } from "../exec/index.ts";
import { UserError } from "../common/errors.ts";
import { readKeyFile } from "../node/index.ts";
import { resultLines, resultValues } from "../sql-tests/runner/values.ts";
import { formatMs, geomean, median, printTable, processMemoryMiB, TPCH_QUERY_NUMBERS } from "./report.ts";

const values = parseOptions("bench:tpch", {
  sf: { type: "string", default: "1" },
  nodes: { type: "string", default: "4" },
  runs: { type: "string", default: "3" },
  queries: { type: "string" },
  "chunk-rows": { type: "string" },
  /** The codec the dataset's chunks are written with (default: dataset add's). */
  compression: { type: "string" },
  /** Exchanges of at most this many bytes are finished on the coordinator (0: none; default: the node's). */
  "small-exchange": { type: "string" },
  /** Print each query's EXPLAIN ANALYZE (its stages, rows, bytes and times) as it finishes. */
  stages: { type: "boolean", default: false },
});
const sf = numberOption("bench:tpch", "sf", values.sf, aboveZero);
const nodeCount = numberOption("bench:tpch", "nodes", values.nodes, wholeFrom(1));
const runs = numberOption("bench:tpch", "runs", values.runs, wholeFrom(1));
const chunkRows = values["chunk-rows"] === undefined ? undefined : numberOption("bench:tpch", "chunk-rows", values["chunk-rows"], wholeFrom(1));
const compression = optionValue(() => chunkCompression(values.compression ?? DEFAULT_CHUNK_COMPRESSION, "--compression"));
/** What `read` makes of an option, or its UserError's message as the refusal. */
function optionValue<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UserError) refuse("bench:tpch", error.message);
    throw error;
  }
}
const smallExchangeBytes = values["small-exchange"] === undefined ? undefined : numberOption("bench:tpch", "small-exchange", values["small-exchange"], wholeFrom(0));
const root = resolve(import.meta.dirname, "..");
const dataDir = join(root, "data", `tpch-sf${sf}`);
const clusterDir = join(root, ".trustql", "bench-tpch");
const queryIds = values.queries
  ? numberListOption("bench:tpch", "queries", values.queries, TPCH_QUERY_NUMBERS).map((q) => `q${String(q).padStart(2, "0")}`)
  : Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);

const files = TPCH_TABLE_NAMES.map((t) => join(dataDir, `${t}.parquet`));
if (!files.every((f) => existsSync(f))) {
  process.stderr.write(`generating TPC-H SF ${sf} into ${dataDir}…\n`);
  await generateTpch({ sf, out: dataDir });
}

if (existsSync(join(clusterDir, "cluster.json"))) await clusterDown(clusterDir);
process.stderr.write(`starting ${nodeCount} nodes and adding the dataset…\n`);
const cluster = await clusterUp(clusterDir, nodeCount, { fresh: true });
try {
  const addStarted = performance.now();
  const added = await addDataset({
    name: "tpch",
    files,
    cluster,
    payer: readKeyFile(cluster.genesisKey),
    chunkRows,
    compression,
  });
  const chunks = added.tables.reduce((n, t) => n + t.chunks, 0);
  const duckdb = await DuckDBInstance.create(":memory:");
  const reference = await duckdb.connect();
  for (const [i, t] of TPCH_TABLE_NAMES.entries()) await reference.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${files[i]}')`);
  // The codecs matter to the ratio (LZ4 scans ~20 % cheaper than ZSTD): both are printed.
  const sourceCodecs = (await reference.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata([${files.map((f) => `'${f}'`).join(", ")}]) ORDER BY 1`)).getRows().map((r) => String(r[0]));
  process.stdout.write(`dataset added in ${formatMs(performance.now() - addStarted)}: ${chunks} chunks (${compression}), ${added.copies} copies on ${nodeCount} nodes; DuckDB alone reads the files as generated (${sourceCodecs.join(", ").toLowerCase()})\n\n`);
  const checker = await LocalEngine.open();
  for (const [i, t] of TPCH_TABLE_NAMES.entries()) await checker.runReferenceSql(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${files[i]}')`);

  const client = new NodeClient(cluster.nodes[0].http);
  const rows: string[][] = [];
  const ratios: number[] = [];
  const failures: string[] = [];
  for (const id of queryIds) {
    const sql = readFileSync(join(root, "sql-tests", "tpch", "queries", `${id}.sql`), "utf8");
    const clusterTimes: number[] = [];
    const duckdbTimes: number[] = [];
    let last;
    try {
      // One run of each first, not counted: the first query after a dataset is added, or the
      // first of its shape, pays for caches and compilation that later ones do not.
      await client.query(sql, { smallExchangeBytes });
      await (await reference.run(sql)).getRows();
      for (let r = 0; r < runs; r++) {
        let started = performance.now();
        last = await client.query(sql, { smallExchangeBytes });
        clusterTimes.push(performance.now() - started);
        started = performance.now();
        await (await reference.run(sql)).getRows();
        duckdbTimes.push(performance.now() - started);
      }
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      failures.push(`${id}: ${reason}`);
      rows.push([id, "failed", "", "", "", "", "", "", "", ""]);
      process.stderr.write(`${id} failed: ${reason}\n`);
      continue;
    }
    if (values.stages) process.stdout.write(`\n${id}\n${explainAnalyze(last!)}\n`);
    const expected = resultLines(resultValues((await checker.runReferenceSql(sql)).table), "nosort", 0);
    const same = resultLines(resultValues(last!.table), "nosort", 0).join("\n") === expected.join("\n");
    const ratio = median(clusterTimes) / median(duckdbTimes);
    ratios.push(ratio);
    const stages = last!.stages;
    rows.push([
      id,
      formatMs(median(clusterTimes)),
      formatMs(median(duckdbTimes)),
      ratio.toFixed(2),
      String(stages.length),
      stages.reduce((n, s) => n + s.rowsOut, 0).toLocaleString("en"),
      `${(stages.reduce((n, s) => n + s.bytesShuffled, 0) / 1e6).toFixed(1)} MB`,
      String(stages.reduce((n, s) => n + s.chunksScanned, 0)),
      String(stages.reduce((n, s) => n + s.chunksPruned, 0)),
      same ? "yes" : "NO",
    ]);
    process.stderr.write(`${id} ${formatMs(median(clusterTimes))}\n`);
  }
  printTable(["query", "cluster", "DuckDB alone", "ratio", "stages", "rows moved", "shuffled", "chunks scanned", "pruned", "same answer"], rows);
  const peaks = cluster.nodes.map((n) => `${processMemoryMiB(n.pid, "VmHWM")} MiB`);
  process.stdout.write(`\nTPC-H SF ${sf} on ${nodeCount} nodes: geomean cluster/DuckDB ratio ${geomean(ratios).toFixed(2)} over ${ratios.length} queries (target ≤ 1.5); peak RSS per node ${peaks.join(", ")}\n`);
  if (failures.length > 0) process.stdout.write(`${failures.length} failed:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
  checker.close();
  reference.closeSync();
  duckdb.closeSync();
} finally {
  await clusterDown(clusterDir);
}
