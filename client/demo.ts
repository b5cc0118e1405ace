// `npm run demo`: what a newcomer sees first. Generates TPC-H sample data (once), then plans
// a few of the TPC-H queries into Substrait and runs them on DuckDB, printing the plan of
// one and the answers of all.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateTpch } from "../datagen/tpch/index.ts";
import { TPCH_TABLE_NAMES } from "../datagen/tpch/schema.ts";
import { LocalEngine } from "../exec/index.ts";
import { planSql } from "../planner/index.ts";
import { Plan } from "../proto/index.ts";
import { reportError } from "./cli.ts";
import { render } from "./output/formats.ts";
import { LiveLine, progressBar } from "./progress.ts";

const SCALE_FACTOR = 0.1;
const DATA_DIR = resolve(import.meta.dirname, "..", "data", `tpch-sf${SCALE_FACTOR}`);
const QUERIES_DIR = resolve(import.meta.dirname, "..", "sql-tests", "tpch", "queries");
const SHOWN_QUERIES = ["q01", "q03", "q05", "q13", "q18"];

function heading(text: string): void {
  process.stdout.write(`\n\x1b[1m${text}\x1b[0m\n`);
}

async function ensureData(): Promise<void> {
  if (TPCH_TABLE_NAMES.every((t) => existsSync(join(DATA_DIR, `${t}.parquet`)))) {
    heading(`TPC-H SF ${SCALE_FACTOR} sample data: ${DATA_DIR} (already generated)`);
    return;
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
}

async function main(): Promise<void> {
  await ensureData();
  const engine = await LocalEngine.open();
  try {
    for (const t of TPCH_TABLE_NAMES) await engine.registerParquet([t], [join(DATA_DIR, `${t}.parquet`)]);
    for (const [i, name] of SHOWN_QUERIES.entries()) {
      const sql = readFileSync(join(QUERIES_DIR, `${name}.sql`), "utf8");
      const title = sql.split("\n")[0].replace(/^--\s*/, "");
      const planStarted = performance.now();
      const planned = planSql(sql, engine.catalog());
      const bytes = Plan.encode(planned.plan).finish();
      const planMs = performance.now() - planStarted;
      heading(title);
      if (i === 0) {
        process.stdout.write("Optimized plan (trustql sql --explain):\n");
        process.stdout.write(planned.explain().replace(/^/gm, "  ") + "\n");
      }
      const started = performance.now();
      const result = await engine.execute(planned.plan);
      const runMs = performance.now() - started;
      process.stdout.write(render(result.table, result.names, "table", { maxRows: 10 }) as string);
      process.stdout.write(
        `planned in ${planMs.toFixed(1)} ms (${bytes.length} bytes of Substrait), ran in ${runMs.toFixed(0)} ms on DuckDB\n`,
      );
    }
  } finally {
    engine.close();
  }
  heading("Try it yourself");
  process.stdout.write(
    [
      `  npx trustql sql --data ${DATA_DIR} "select l_returnflag, sum(l_quantity) from lineitem group by 1 order by 1"`,
      `  npx trustql sql --data ${DATA_DIR} --explain "select count(*) from orders where o_orderdate >= date '1995-01-01'"`,
      `  npx trustql sql --data ${DATA_DIR} --substrait-out q.bin "select n_name from nation"`,
      `  npx trustql substrait run --data ${DATA_DIR} q.bin`,
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
