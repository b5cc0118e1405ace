// Dynamic salting through the staged runner: a Zipf-skewed table (key 0 holds half the rows)
// grouped with COUNT(DISTINCT) and joined on the skewed key, under a small memory budget per
// receiving task. The hot key is salted and spread, the salted partials are merged at its home,
// the answers equal DuckDB's, and no receiving task buffers more than its budget plus a batch.
import { describe, expect, it } from "vitest";
import { fragmentPlan } from "../../../planner/fragment/index.ts";
import { planSql } from "../../../planner/index.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { LocalExecutors, runStagedQuery, type StagedResult } from "../index.ts";
import { placedTables } from "./placed.ts";

const WORKERS = ["node-a", "node-b", "node-c", "node-d"];
/** Above each task's fair share of the shuffled rows (about 0.9 MB), far below the hot key's (over 2 MB). */
const BUDGET = 1024 * 1024;
/** The most one exchange batch (4,096 rows of these narrow rows) may take a task past its budget. */
const BATCH_SLACK = 256 * 1024;
const ROWS = 200_000;

const placed = placedTables(
  ["skewed", "dim"],
  (file) => [
    // Even rows have key 0; the others follow a Zipf-like law over 1..1000.
    `COPY (SELECT CASE WHEN i % 2 = 0 THEN 0 ELSE 1 + floor(1000 * pow((hash(i) % 1000000) / 1000000.0, 3))::INTEGER END AS k,
      (i % 97)::DOUBLE AS v, 'note-' || (i % 40000) AS note FROM range(${ROWS}) r(i)) TO '${file("skewed")}' (FORMAT parquet)`,
    `COPY (SELECT i::INTEGER AS k, 'dim-' || i AS label FROM range(0, 1001) r(i)) TO '${file("dim")}' (FORMAT parquet)`,
  ],
  { workers: WORKERS, targetRows: 20_000 },
);

async function staged(sql: string, budgetBytes: number): Promise<{ result: StagedResult; expected: string[] }> {
  const { single, tables, chunkFile, pool } = placed;
  const expected = resultLines(resultValues((await single.runReferenceSql(sql)).table), "rowsort", 0);
  const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
  const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 0 });
  const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new LocalExecutors(WORKERS, { chunkFile, pool }), budgetBytes });
  return { result, expected };
}

function expectWithinBudget(result: StagedResult): void {
  const salted = result.stages.filter((s) => s.saltedKeys > 0);
  expect(salted.length).toBeGreaterThan(0);
  for (const stage of salted) for (const peak of stage.peakInputBytes) expect(peak).toBeLessThanOrEqual(BUDGET + BATCH_SLACK);
}

describe("a skewed key under a small memory budget", () => {
  const DISTINCT_PER_KEY = `SELECT k, count(DISTINCT note) AS notes, count(*) AS n FROM skewed GROUP BY k`;

  it("COUNT(DISTINCT) per key: salted by the distinct argument, merged at the key's home", async () => {
    const { result, expected } = await staged(DISTINCT_PER_KEY, BUDGET);
    expect(resultLines(resultValues(result.table), "rowsort", 0)).toEqual(expected);
    expectWithinBudget(result);
  });

  it("a join on the skewed key: the hot side spread, the other side copied to every share", async () => {
    const { result, expected } = await staged(`SELECT d.label, count(*) AS n, sum(s.v) AS total FROM skewed s JOIN dim d ON s.k = d.k GROUP BY d.label`, BUDGET);
    expect(resultLines(resultValues(result.table), "rowsort", 0)).toEqual(expected);
    expectWithinBudget(result);
  });

  it("a join on the skewed key grouped by it: groups made where the join ran, the hot key's merged at its home", async () => {
    const sql = `SELECT d.k, d.label, count(*) AS n, sum(s.v) AS total, min(s.v) AS least FROM skewed s JOIN dim d ON s.k = d.k GROUP BY d.k, d.label`;
    const { result, expected } = await staged(sql, BUDGET);
    expect(resultLines(resultValues(result.table), "rowsort", 0)).toEqual(expected);
    expectWithinBudget(result);
    // The join's stage merged its salted groups: nothing was hashed by the groups after the join.
    const joined = result.stages.find((s) => s.saltedKeys > 0)!;
    expect(joined.output).not.toBe("hash");
    // Unsalted too: the rows are hashed for the join's two sides, and never again.
    const unsalted = await staged(sql, 1 << 30);
    expect(resultLines(resultValues(unsalted.result.table), "rowsort", 0)).toEqual(expected);
    expect(unsalted.result.stages.filter((s) => s.output === "hash")).toHaveLength(2);
  });

  it("a grouped subquery read twice: its hot key salted and merged once, the merged rows sent to both readers", async () => {
    const perKey = `SELECT k, count(DISTINCT note) AS notes FROM skewed GROUP BY k`;
    const sql = `SELECT k, notes FROM (${perKey}) a WHERE notes * 4 >= (SELECT max(notes) FROM (${perKey}) b)`;
    const { result, expected } = await staged(sql, BUDGET);
    expect(resultLines(resultValues(result.table), "rowsort", 0)).toEqual(expected);
    expectWithinBudget(result);
    expect(result.stages.filter((s) => s.chunksScanned > 0)).toHaveLength(1);
  });

  it("without the budget, one task holds the whole hot key: more than the budget allows", async () => {
    const { result, expected } = await staged(DISTINCT_PER_KEY, 1 << 30);
    expect(resultLines(resultValues(result.table), "rowsort", 0)).toEqual(expected);
    expect(result.stages.every((s) => s.saltedKeys === 0)).toBe(true);
    const peaks = result.stages.flatMap((s) => s.peakInputBytes);
    expect(Math.max(...peaks)).toBeGreaterThan(BUDGET + BATCH_SLACK);
  });
});
