// Row estimates from column ranges: a range predicate keeps its interval's share of the column's
// range, and two bounds on one column are one interval.
import { describe, expect, it } from "vitest";
import { namedStructFromColumns } from "../../exec/types.ts";
import { columnRangeFromStats, MemoryCatalog } from "../catalog.ts";
import { planSql } from "../index.ts";
import type { LogicalPlan } from "../logical.ts";
import { estimateRows } from "../optimize/cardinality.ts";

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
