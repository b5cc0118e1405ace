// Interval keys across a hash exchange. Intervals travel as DuckDB's text of them, and DuckDB
// writes one interval several ways ('3 days', '72:00:00'; '1 month', '30 days') that it
// counts as equal. Here the rows of one half of a table make each interval of days and months,
// those of the other half of hours and days, in chunks read on different nodes: grouping,
// counting distinct, joining and intersecting on the interval must meet the two spellings on
// one node, as DuckDB does.
import { describe, expect, it } from "vitest";
import { fragmentPlan } from "../../../planner/fragment/index.ts";
import { planSql } from "../../../planner/index.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { LocalExecutors, runStagedQuery } from "../index.ts";
import { placedTables } from "./placed.ts";

const WORKERS = ["node-a", "node-b", "node-c", "node-d"];
const ROWS = 40_000;
/** Distinct intervals: each written both ways, so a key landing by its text would split ~all of them. */
const GAPS = 12;

const placed = placedTables(
  ["spans", "labels"],
  (file) => [
    // Rows in order: the first half's chunks hold the first half's rows.
    `COPY (SELECT i::INTEGER AS i FROM range(${ROWS}) r(i) ORDER BY i) TO '${file("spans")}' (FORMAT parquet, ROW_GROUP_SIZE 5000)`,
    `COPY (SELECT i::INTEGER AS days, 'gap-' || i AS label FROM range(${GAPS}) r(i)) TO '${file("labels")}' (FORMAT parquet)`,
  ],
  { workers: WORKERS, targetRows: 5_000 },
);

/** A CASE over `i % GAPS` that gives arm k the interval `spell(k)`. */
const caseOf = (spell: (k: number) => string) => `CASE i % ${GAPS} ${Array.from({ length: GAPS }, (_, k) => `WHEN ${k} THEN ${spell(k)}`).join(" ")} END`;
/** Each row's interval: k days in the first half, 24·k hours in the second. */
const GAPS_OF_SPANS = `(SELECT i, CASE WHEN i < ${ROWS / 2} THEN ${caseOf((k) => `INTERVAL '${k}' DAY`)} ELSE ${caseOf((k) => `INTERVAL '${24 * k}' HOUR`)} END AS gap FROM spans) spans`;
const GAPS_OF_LABELS = `(SELECT ${caseOf((k) => `INTERVAL '${24 * k}' HOUR`).replaceAll("i %", "days %")} AS gap, label FROM labels) labels`;

/** The staged answer and DuckDB's, sorted; no broadcast, so every join and set operation shuffles both sides. */
async function both(sql: string): Promise<{ staged: string[]; expected: string[] }> {
  const { single, tables, chunkFile, pool } = placed;
  const expected = resultLines(resultValues((await single.runReferenceSql(sql)).table), "rowsort", 0);
  const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
  const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 0, smallTablesEverywhere: false });
  const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new LocalExecutors(WORKERS, { chunkFile, pool }), budgetBytes: 64 << 20 });
  return { staged: resultLines(resultValues(result.table), "rowsort", 0), expected };
}

describe("interval keys spelled differently on different nodes", () => {
  it("the table's chunks lie on several nodes, each half spelling its intervals one way", () => {
    const { tables } = placed;
    const holders = new Set(tables.get("spans")!.chunks.flatMap((c) => c.holders));
    expect(tables.get("spans")!.chunks.length).toBeGreaterThanOrEqual(8);
    expect(holders.size).toBe(WORKERS.length);
  });

  it("GROUP BY an interval: one group per interval, as DuckDB", async () => {
    const { staged, expected } = await both(`SELECT count(*) AS n, min(i) AS first FROM ${GAPS_OF_SPANS} GROUP BY gap`);
    expect(expected).toHaveLength(GAPS);
    expect(staged).toEqual(expected);
  });

  it("COUNT(DISTINCT interval)", async () => {
    const { staged, expected } = await both(`SELECT count(DISTINCT gap) AS gaps FROM ${GAPS_OF_SPANS}`);
    expect(expected).toEqual([String(GAPS)]);
    expect(staged).toEqual(expected);
  });

  it("a join on an interval, both sides hashed", async () => {
    const { staged, expected } = await both(`SELECT l.label, count(*) AS n FROM ${GAPS_OF_SPANS.replace(/ spans$/, " s")} JOIN ${GAPS_OF_LABELS.replace(/ labels$/, " l")} ON s.gap = l.gap GROUP BY l.label`);
    expect(expected).toHaveLength(GAPS);
    expect(staged).toEqual(expected);
  });

  it("INTERSECT of the two halves", async () => {
    const { staged, expected } = await both(`SELECT count(*) AS n FROM (SELECT gap FROM ${GAPS_OF_SPANS} WHERE i < ${ROWS / 2} INTERSECT SELECT gap FROM ${GAPS_OF_SPANS} WHERE i >= ${ROWS / 2}) both_halves`);
    expect(expected).toEqual([String(GAPS)]);
    expect(staged).toEqual(expected);
  });
});
