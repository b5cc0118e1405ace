// Row estimates for join ordering. Catalog row counts when a table has one, a fixed guess
// otherwise; textbook selectivities per conjunct; the distinct keys of a column are taken to
// be the row count of the table it comes from (keys of a dimension are its rows).
import type { ColumnId, Expr, LogicalPlan } from "../logical.ts";
import { children, conjuncts, outputColumns } from "../plan-utils.ts";

/** Rows assumed for a table whose catalog entry has no row count. */
export const UNKNOWN_TABLE_ROWS = 1_000_000;

export function selectivity(p: Expr): number {
  if (p.kind === "call") {
    switch (p.fn) {
      case "equal":
        return 0.1;
      case "like":
        return 0.25;
      case "lt":
      case "lte":
      case "gt":
      case "gte":
        return 0.4;
      case "or":
        return Math.min(1, p.args.reduce((s, a) => s + selectivity(a), 0));
      case "and":
        return p.args.reduce((s, a) => s * selectivity(a), 1);
      case "not":
        return 1 - selectivity(p.args[0]);
    }
  }
  if (p.kind === "in_list") return Math.min(1, 0.1 * p.list.length);
  return 0.5;
}

export function estimateRows(plan: LogicalPlan): number {
  switch (plan.kind) {
    case "scan":
      return (plan.table.rowCount ?? UNKNOWN_TABLE_ROWS) * plan.filters.flatMap((f) => conjuncts(f)).reduce((s, f) => s * selectivity(f), 1);
    case "values":
      return plan.rows.length;
    case "filter":
      return estimateRows(plan.input) * conjuncts(plan.predicate).reduce((s, f) => s * selectivity(f), 1);
    case "project":
    case "sort":
    case "window":
      return estimateRows(plan.input);
    case "limit":
      return Math.min(plan.count ?? Infinity, estimateRows(plan.input));
    case "aggregate":
      return plan.groups.length === 0 ? 1 : Math.max(1, estimateRows(plan.input) * 0.1);
    case "set":
      return plan.inputs.reduce((s, i) => s + estimateRows(i), 0);
    case "join": {
      const l = estimateRows(plan.left);
      const r = estimateRows(plan.right);
      switch (plan.joinType) {
        case "semi":
        case "anti":
          return l * 0.5;
        case "left":
          return l;
        case "right":
          return r;
        default:
          return plan.condition ? Math.max(l, r) : l * r;
      }
    }
  }
}

/** Distinct values of a join key: the unfiltered rows of the table its column comes from. */
export function keyDistinctValues(e: Expr, relations: LogicalPlan[]): number {
  if (e.kind === "cast") return keyDistinctValues(e.input, relations);
  if (e.kind !== "column") return UNKNOWN_TABLE_ROWS;
  for (const r of relations) {
    const source = baseRows(r, e.id);
    if (source !== undefined) return source;
  }
  return UNKNOWN_TABLE_ROWS;
}

function baseRows(plan: LogicalPlan, id: ColumnId): number | undefined {
  if (plan.kind === "scan") return plan.columns.some((c) => c.id === id) ? (plan.table.rowCount ?? UNKNOWN_TABLE_ROWS) : undefined;
  if (plan.kind === "aggregate" && plan.groups.some((g) => g.column.id === id && g.expr.kind !== "column")) return estimateRows(plan);
  if (!outputColumns(plan).some((c) => c.id === id) && plan.kind !== "join") return undefined;
  for (const k of children(plan)) {
    const r = baseRows(k, id);
    if (r !== undefined) return r;
  }
  return outputColumns(plan).some((c) => c.id === id) ? estimateRows(plan) : undefined;
}
