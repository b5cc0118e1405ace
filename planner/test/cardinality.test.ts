// Row estimates from column ranges: a range predicate keeps its interval's share of the column's
// range, and two bounds on one column are one interval; joins by their keys' distinct values.
import { describe, expect, it } from "vitest";
import { namedStructFromColumns } from "../../exec/types.ts";
import { columnRangeFromStats, MemoryCatalog } from "../catalog.ts";
import { planSql } from "../index.ts";
import type { LogicalPlan } from "../logical.ts";
import { estimateRows } from "../optimize/cardinality.ts";
import { children } from "../plan-utils.ts";

const schema = namedStructFromColumns([
  { name: "day", type: "DATE" },
  { name: "price", type: "DECIMAL(15,2)" },
  { name: "tag", type: "VARCHAR" },
]);
const catalog = new MemoryCatalog([
  { names: ["t"], schema, rowCount: 10_000, columnRanges: { day: { min: 0, max: 1_000 }, price: { min: 0, max: 500 } } },
  { names: ["u"], schema, rowCount: 10_000 },
]);

function scanOf(plan: LogicalPlan): LogicalPlan {
  let node = plan;
  while (node.kind !== "scan") node = "input" in node ? node.input : (node as { left: LogicalPlan }).left;
  return node;
}
const estimate = (sql: string) => Math.round(estimateRows(scanOf(planSql(sql, catalog).logical)));

describe("estimateRows with column ranges", () => {
  it("takes a range's share of the column's range, both bounds as one interval", () => {
    // Days 100–199 of 0–1000: a tenth.
    expect(estimate("SELECT tag FROM t WHERE day >= DATE '1970-04-11' AND day < DATE '1970-07-20'")).toBe(1_000);
    expect(estimate("SELECT tag FROM t WHERE price > 250")).toBe(5_000);
    expect(estimate("SELECT tag FROM t WHERE 250 < price AND price <= 300")).toBe(1_000);
    // Outside the range: the least share, not none.
    expect(estimate("SELECT tag FROM t WHERE price > 900")).toBe(10);
    // No ranges: textbook selectivities.
    expect(estimate("SELECT tag FROM u WHERE price > 250")).toBe(4_000);
  });

  it("reads ranges from statistics text, and gives none for what does not parse", () => {
    const date = { date: {} } as never;
    const decimal = { decimal: { precision: 15, scale: 2 } } as never;
    expect(columnRangeFromStats(date, [{ min: "1970-01-02", max: "1970-01-11" }, { min: null, max: null }])).toEqual({ min: 1, max: 10 });
    expect(columnRangeFromStats(decimal, [{ min: "892.70", max: "1000.00" }, { min: "-5.25", max: "7.00" }])).toEqual({ min: -5.25, max: 1000 });
    expect(columnRangeFromStats(decimal, [{ min: "nan?", max: "7" }])).toBeUndefined();
    expect(columnRangeFromStats({ string: {} } as never, [{ min: "a", max: "b" }])).toBeUndefined();
  });
});

describe("estimateRows of aggregates and joins", () => {
  const root = (sql: string) => planSql(sql, catalog, { twoPhaseAggregates: true }).logical;
  /** The first node of `plan` (depth first) that passes `test`. */
  const find = (plan: LogicalPlan, test: (p: LogicalPlan) => boolean): LogicalPlan => {
    const search = (p: LogicalPlan): LogicalPlan | undefined => (test(p) ? p : children(p).map(search).find((found) => found !== undefined));
    const found = search(plan);
    if (!found) throw new Error("no such node in the plan");
    return found;
  };

  it("gives a final aggregate its partial phase's groups, not a tenth of them again", () => {
    const plan = root("SELECT tag, count(*) FROM u GROUP BY tag");
    const final = find(plan, (p) => p.kind === "aggregate" && p.phase === "final");
    expect(Math.round(estimateRows(final))).toBe(1_000);
    expect(estimateRows(final)).toBe(estimateRows(find(plan, (p) => p.kind === "aggregate" && p.phase === "partial")));
  });

  it("keeps the rows of one key value where a join's other side is one row (a scalar aggregate)", () => {
    // 1,000 groups of tags, equal to the one maximum: about one.
    const plan = root("SELECT g.tag FROM (SELECT tag, count(*) AS n FROM u GROUP BY tag) g WHERE g.n = (SELECT max(n) FROM (SELECT tag, count(*) AS n FROM u GROUP BY tag) h)");
    expect(Math.round(estimateRows(find(plan, (p) => p.kind === "join")))).toBe(1);
    // Two tables of many rows: the larger side, as before.
    expect(Math.round(estimateRows(find(root("SELECT t.tag FROM t JOIN u ON t.tag = u.tag"), (p) => p.kind === "join")))).toBe(10_000);
  });

  it("estimates a join on a key by the key's distinct values on each side", () => {
    const keyed = namedStructFromColumns([
      { name: "k", type: "BIGINT" },
      { name: "g", type: "INTEGER" },
      { name: "v", type: "VARCHAR" },
    ]);
    const ranges = { k: { min: 1, max: 100_000 }, g: { min: 0, max: 24 } };
    const tables = new MemoryCatalog([
      { names: ["fact"], schema: keyed, rowCount: 1_000_000, columnRanges: ranges },
      { names: ["dim"], schema: keyed, rowCount: 100_000, columnRanges: ranges },
    ]);
    const joinRows = (sql: string) => Math.round(estimateRows(find(planSql(sql, tables).logical, (p) => p.kind === "join")));
    // Each fact row meets its one dim row: the fact's rows.
    expect(joinRows("SELECT fact.v FROM fact JOIN dim ON fact.k = dim.k")).toBe(1_000_000);
    // A tenth of dim (v = 'x') meets a tenth of the facts; the larger side's rows, before.
    expect(joinRows("SELECT fact.v FROM fact JOIN dim ON fact.k = dim.k WHERE dim.v = 'x'")).toBe(100_000);
    // A key of 25 values on both sides multiplies.
    expect(joinRows("SELECT fact.v FROM fact JOIN dim ON fact.g = dim.g")).toBe((1_000_000 * 100_000) / 25);
  });
});
