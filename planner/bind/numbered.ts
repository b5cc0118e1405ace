// Rows by their place in a partition: DISTINCT ON's first row per key, a LIMIT per left row of a
// LATERAL subquery, an ASOF JOIN's one right row per value.
import type { ColumnDef, Expr, LogicalPlan, SortKey } from "../logical.ts";
import { columnRef } from "../plan-utils.ts";
import { type } from "../types.ts";
import { literal } from "./literals.ts";
import { and, compare } from "./operators.ts";

/**
 * The rows of `input` numbered `from` + 1 to `to` (all past `from` when `to` is undefined) in
 * each partition of `partitionBy`, in `orderBy`'s order; `number` is row_number's column, kept
 * in the output beside the input's.
 */
export function numberedRows(input: LogicalPlan, number: ColumnDef, partitionBy: readonly Expr[], orderBy: readonly SortKey[], from: number, to?: number): LogicalPlan {
  const numbered: LogicalPlan = {
    kind: "window",
    input,
    functions: [{ column: number, call: { fn: "row_number", args: [], partitionBy: [...partitionBy], orderBy: [...orderBy], frame: undefined, type: number.type } }],
  };
  const i64 = type("i64", false);
  const bound = (op: "gt" | "lte", n: number) => compare(op, columnRef(number), literal(BigInt(n), i64), undefined);
  const predicate = to === from + 1 ? compare("equal", columnRef(number), literal(BigInt(to), i64), undefined) : and([bound("gt", from), ...(to === undefined ? [] : [bound("lte", to)])]);
  return { kind: "filter", input: numbered, predicate };
}
