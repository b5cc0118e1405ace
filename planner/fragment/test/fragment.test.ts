// Staged plans give the single plan's answer: each TPC-H query, planned with two-phase
// aggregates and cut into stages, runs its leaf stage on separate engines, one per chunk of
// the partitioned table (the other tables whole), and its final stage over their outputs.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTpch, type GeneratedTable } from "../../../datagen/tpch/index.ts";
import { LocalEngine } from "../../../exec/index.ts";
import { cutParquet } from "../../../exec/chunks/index.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { planSql } from "../../index.ts";
import { EXCHANGE_TABLE, fragmentPlan } from "../index.ts";

const QUERIES = join(import.meta.dirname, "..", "..", "..", "sql-tests", "tpch", "queries");
const CHUNK_ROWS = 20_000;

let dir: string;
let tables: GeneratedTable[];
let single: LocalEngine;

async function engineWith(overrides: Record<string, string[]>): Promise<LocalEngine> {
  const engine = await LocalEngine.open({ threads: 1 });
  for (const t of tables) await engine.registerParquet([t.name], overrides[t.name] ?? [t.file]);
  return engine;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-fragment-"));
  tables = await generateTpch({ sf: 0.01, out: dir });
  single = await engineWith({});
});

afterAll(() => {
  single?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("staged TPC-H plans", () => {
  const ids = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);
  it.each(ids)("%s gives the single plan's answer", async (id) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const staged = fragmentPlan(planned.plan, (names) => single.catalog().lookup([...names])?.rowCount);
    if (!staged.partitioned || !staged.final) {
      // One stage: it is the plan itself.
      expect(staged.leaf).toBe(planned.plan);
      return;
    }
    const table = tables.find((t) => t.name === staged.partitioned!.join("."))!;
    const chunks = await cutParquet(table.file, join(dir, `chunks-${id}`), { targetRows: CHUNK_ROWS });
    const outputs: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const node = await engineWith({ [table.name]: [chunk.file] });
      try {
        const out = join(dir, `${id}-leaf-${i}.parquet`);
        await node.executeToParquet(staged.leaf, out);
        outputs.push(out);
      } finally {
        node.close();
      }
    }
    const coordinator = await engineWith({});
    try {
      await coordinator.registerParquet([EXCHANGE_TABLE], outputs);
      const ours = resultLines(resultValues((await coordinator.execute(staged.final)).table), "nosort", 0);
      expect(ours).toEqual(expected);
    } finally {
      coordinator.close();
    }
  });

  it("stages most of TPC-H: the partial aggregate over a partitionable table", () => {
    let staged = 0;
    for (const id of ids) {
      const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
      const plan = planSql(sql, single.catalog(), { twoPhaseAggregates: true }).plan;
      if (fragmentPlan(plan, (names) => single.catalog().lookup([...names])?.rowCount).partitioned) staged++;
    }
    expect(staged).toBeGreaterThanOrEqual(12);
  });
});
