// `npm run demo`: what a newcomer sees first. Generates TPC-H SF 0.01 sample data (once),
// starts a local cluster of four node processes on 127.0.0.1, adds the data as a dataset
// (chunks placed on the nodes nearest their hashes, the manifest recorded in a transaction),
// then runs TPC-H queries across the nodes, checks each answer against DuckDB alone on the
// same files, and shows one query's stages. The cluster keeps running afterwards.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateTpch } from "../datagen/tpch/index.ts";
import { TPCH_TABLE_NAMES } from "../datagen/tpch/schema.ts";
import { LocalEngine } from "../exec/index.ts";
import { readKeyFile } from "../node/index.ts";
import { resultLines, resultValues } from "../sql-tests/runner/values.ts";
import { reportError } from "./cli.ts";
import { clusterDown, clusterUp } from "./commands/cluster.ts";
import { addDataset } from "./sdk/dataset.ts";
import { NodeClient } from "./sdk/index.ts";
import { render } from "./output/formats.ts";
import { LiveLine, progressBar } from "./progress.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SCALE_FACTOR = 0.01;
const DATA_DIR = join(ROOT, "data", `tpch-sf${SCALE_FACTOR}`);
const CLUSTER_DIR = join(ROOT, ".trustql", "demo");
const QUERIES_DIR = join(ROOT, "sql-tests", "tpch", "queries");
const NODES = 4;
const SHOWN_QUERIES = ["q01", "q03", "q05", "q10", "q13", "q18"];
const EXPLAINED_QUERY = "q05";

function heading(text: string): void {
  process.stdout.write(`\n\x1b[1m${text}\x1b[0m\n`);
}

async function ensureData(): Promise<string[]> {
  const files = TPCH_TABLE_NAMES.map((t) => join(DATA_DIR, `${t}.parquet`));
  if (files.every((f) => existsSync(f))) {
    heading(`TPC-H SF ${SCALE_FACTOR} sample data: ${DATA_DIR} (already generated)`);
    return files;
  }
  heading(`Generating TPC-H SF ${SCALE_FACTOR} sample data into ${DATA_DIR}`);
  const line = new LiveLine({ delayMs: 0 });
  const tables = await generateTpch({
    sf: SCALE_FACTOR,
    out: DATA_DIR,
    onProgress: ({ table, rows, totalRows }) => line.update(`${progressBar(rows / totalRows)} ${table}`),
  });
  line.done();
  for (const t of tables) process.stdout.write(`  ${t.name.padEnd(9)} ${String(t.rows).padStart(9)} rows\n`);
  return files;
}

async function main(): Promise<void> {
  const files = await ensureData();

  heading(`Starting a cluster of ${NODES} nodes on 127.0.0.1 in ${CLUSTER_DIR}`);
  if (existsSync(join(CLUSTER_DIR, "cluster.json"))) await clusterDown(CLUSTER_DIR);
  const cluster = await clusterUp(CLUSTER_DIR, NODES, { fresh: true });
  for (const n of cluster.nodes) process.stdout.write(`  node ${n.index}  ${n.peerId}  ${n.http}\n`);

  heading("Adding the data as dataset tpch");
  const line = new LiveLine({ delayMs: 0 });
  const added = await addDataset({
    name: "tpch",
    files,
    cluster,
    payer: readKeyFile(cluster.genesisKey),
    chunkRows: 20_000,
    // Clustered by date, as such tables usually are: date filters then skip whole chunks.
    sortBy: { lineitem: "l_shipdate", orders: "o_orderdate" },
    onProgress: ({ phase, done, total }) => line.update(`${progressBar(done / total)} ${phase === "cut" ? "cutting files into chunks" : "placing chunks on their nodes"} ${done}/${total}`),
  });
  line.done();
  for (const t of added.tables) process.stdout.write(`  tpch.${t.name.padEnd(9)} ${String(t.rows).padStart(7)} rows in ${t.chunks} chunk${t.chunks === 1 ? "" : "s"}\n`);
  process.stdout.write(`  manifest transaction ${added.tx} accepted by all ${NODES} nodes\n`);

  const reference = await LocalEngine.open();
  try {
    for (const [t, file] of TPCH_TABLE_NAMES.map((t, i) => [t, files[i]])) await reference.runReferenceSql(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${file}')`);
    for (const [i, name] of SHOWN_QUERIES.entries()) {
      const sql = readFileSync(join(QUERIES_DIR, `${name}.sql`), "utf8");
      const title = sql.split("\n")[0].replace(/^--\s*/, "");
      const coordinator = cluster.nodes[i % NODES];
      const started = performance.now();
      const result = await new NodeClient(coordinator.http).query(sql);
      const ms = performance.now() - started;
      const referenceStarted = performance.now();
      const expected = await reference.runReferenceSql(sql);
      const referenceMs = performance.now() - referenceStarted;
      const same = resultLines(resultValues(result.table), "nosort", 0).join("\n") === resultLines(resultValues(expected.table), "nosort", 0).join("\n");
      heading(`${title} (through node ${coordinator.index})`);
      if (name === EXPLAINED_QUERY) process.stdout.write(`Stages:\n${result.plan.replace(/^/gm, "  ")}\n`);
      process.stdout.write(render(result.table, result.names, "table", { maxRows: 8 }) as string);
      const scanned = result.stages.reduce((n, s) => n + s.chunksScanned, 0);
      const pruned = result.stages.reduce((n, s) => n + s.chunksPruned, 0);
      const shuffled = result.stages.reduce((n, s) => n + s.bytesShuffled, 0);
      process.stdout.write(
        `${result.stages.length} stages on ${result.workers.length} nodes in ${ms.toFixed(0)} ms (DuckDB alone: ${referenceMs.toFixed(0)} ms); ` +
          `${scanned} chunks scanned, ${pruned} pruned, ${(shuffled / 1e3).toFixed(1)} kB shuffled; ` +
          (same ? "same answer as DuckDB alone\n" : "\x1b[31mDIFFERENT from DuckDB alone\x1b[0m\n"),
      );
      if (!same) process.exitCode = 1;
    }
    const pruning = "select count(*) as shipped, sum(l_extendedprice) as value from tpch.lineitem where l_shipdate >= date '1998-09-01'";
    const result = await new NodeClient(cluster.nodes[1].http).query(pruning);
    const scan = result.stages.find((st) => st.chunksScanned + st.chunksPruned > 0)!;
    heading("A date filter skips the chunks whose statistics cannot match (trustql query --explain analyze)");
    process.stdout.write(`  ${pruning}\n`);
    process.stdout.write(render(result.table, result.names, "table", { maxRows: 8 }) as string);
    process.stdout.write(`${scan.chunksScanned} of ${scan.chunksScanned + scan.chunksPruned} lineitem chunks scanned, ${scan.chunksPruned} pruned before any task started\n`);
  } finally {
    reference.close();
  }

  heading("The cluster is still running. Try it yourself");
  const dir = CLUSTER_DIR.replace(`${process.cwd()}/`, "");
  process.stdout.write(
    [
      `  npx trustql query --cluster ${dir} "select n_name, count(*) from tpch.customer join tpch.nation on c_nationkey = n_nationkey group by 1 order by 2 desc limit 5"`,
      `  npx trustql query --cluster ${dir} --explain analyze "select count(*) from tpch.lineitem where l_shipdate < date '1992-06-01'"`,
      `  npx trustql query --cluster ${dir} "select c_mktsegment, list(c_name order by c_acctbal desc)[1:3] as richest from tpch.customer group by 1 order by 1"`,
      `  npx trustql query --cluster ${dir} "select o_orderstatus, histogram(o_orderpriority) as priorities, max({'total': o_totalprice, 'on': o_orderdate}) as biggest from tpch.orders group by 1 order by 1"`,
      `  npx trustql query --cluster ${dir} --proof result.json "select o_orderpriority, count(*) from tpch.orders group by 1 order by 1" && npx trustql proof verify result.json`,
      `  npx trustql dataset list --cluster ${dir}`,
      `  npx trustql sql --data ${DATA_DIR.replace(`${process.cwd()}/`, "")} "select count(*) from lineitem"     # the same files, one process`,
      `  npx trustql cluster down --dir ${dir}`,
      "",
    ].join("\n"),
  );
}

try {
  await main();
} catch (error) {
  const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
  process.exitCode = reportError(error, io, { json: false, verbose: process.argv.includes("--verbose") });
}
