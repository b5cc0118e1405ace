// TPC-H's 22 queries (the specification's validation parameters) on generated data: trustql's
// answers, through Substrait in one- and two-phase plans, must be exactly DuckDB's.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTpch } from "../../datagen/tpch/index.ts";
import { LocalEngine } from "../../exec/index.ts";
import { planSql } from "../../planner/index.ts";
import { resultLines, resultValues } from "../runner/values.ts";

const QUERIES = join(import.meta.dirname, "..", "tpch", "queries");
const ALL = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);
/** Queries checked at SF 0.1 too: scans, joins, the outer join and the large group-by. */
const LARGER = ["q01", "q03", "q06", "q13", "q18"];

async function openTpch(sf: number): Promise<{ engine: LocalEngine; dispose: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), `trustql-tpch-sf${sf}-`));
  const tables = await generateTpch({ sf, out: dir });
  const engine = await LocalEngine.open();
  for (const t of tables) {
    await engine.registerParquet([t.name], [t.file]);
    await engine.runReferenceSql(`CREATE VIEW ${t.name} AS SELECT * FROM read_parquet('${t.file}')`);
  }
  return {
    engine,
    dispose: () => {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function check(engine: LocalEngine, id: string): Promise<void> {
  const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
  const expected = resultLines(resultValues((await engine.runReferenceSql(sql)).table), "nosort", 0);
  expect(expected.length, `${id} returns rows`).toBeGreaterThan(0);
  for (const twoPhaseAggregates of [false, true]) {
    const planned = planSql(sql, engine.catalog(), { twoPhaseAggregates });
    const ours = resultLines(resultValues((await engine.execute(planned.plan)).table), "nosort", 0);
    // Every TPC-H query orders its output; compare in order.
    expect(ours, `${id} ${twoPhaseAggregates ? "two" : "one"}-phase`).toEqual(expected);
  }
}

describe("TPC-H SF 0.01", () => {
  let tpch: Awaited<ReturnType<typeof openTpch>>;
  beforeAll(async () => {
    tpch = await openTpch(0.01);
  });
  afterAll(() => tpch?.dispose());
  it.each(ALL)("%s matches DuckDB", async (id) => check(tpch.engine, id));
});

describe("TPC-H SF 0.1", () => {
  let tpch: Awaited<ReturnType<typeof openTpch>>;
  beforeAll(async () => {
    tpch = await openTpch(0.1);
  });
  afterAll(() => tpch?.dispose());
  it.each(LARGER)("%s matches DuckDB", async (id) => check(tpch.engine, id));
});
