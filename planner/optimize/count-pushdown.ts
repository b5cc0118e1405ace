// Counting a left join's matches before the join. `GROUP BY <left columns>` over
// `L LEFT JOIN R ON L.a = R.b` with only `count(R.x)` measures counts, for each left row, the
// right rows that match it. The same counts come from R counted per key first:
//
//   Aggregate(g; c := count(x)) over L ⟕ R on a = b
//     = Project(g, c := cast(s as i64)) over Aggregate(g; s := sum(coalesce(n, 0)))
//         over L ⟕ (Aggregate(k := b; n := count(x)) over R) on a = k
//
// A left row with no match counts 0 either way; one with m matches counts them, and rows of L
// equal on g add up the same. Across nodes the right side then crosses the network as one row
// per key and node instead of one per row: TPC-H Q13 counts 1.5M orders per customer, and sent
// them all to the customers' nodes.
import type { ColumnIds } from "../bind/binder.ts";
import { literal } from "../bind/literals.ts";
import { call, castTo } from "../bind/operators.ts";
import type { Aggregate, ColumnDef, ColumnId, ColumnRef, Expr, Join, LogicalPlan } from "../logical.ts";
import { columnEquality, columnRef, conjuncts, makeAnd, outputColumns, transformUp } from "../plan-utils.ts";
import { decimal, type } from "../types.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

export function pushCountsBelowLeftJoins(plan: LogicalPlan, ids: ColumnIds): LogicalPlan {
  const pushed = transformUp(plan, (node) => (node.kind === "aggregate" ? (countBelow(node, ids) ?? node) : node));
  return mapSubqueryPlans(pushed, (p) => pushCountsBelowLeftJoins(p, ids));
}

function countBelow(aggregate: Aggregate, ids: ColumnIds): LogicalPlan | undefined {
  const join = aggregate.input;
  if (aggregate.phase !== "single" || join.kind !== "join" || join.joinType !== "left" || !join.condition) return undefined;
  const leftColumns = new Set(outputColumns(join.left).map((c) => c.id));
  const rightColumns = new Map(outputColumns(join.right).map((c) => [c.id, c]));
  // The condition: equalities of a left column and a right column, nothing else.
  const keys: { left: ColumnRef; right: ColumnDef }[] = [];
  for (const c of conjuncts(join.condition)) {
    const pair = columnEquality(c);
    if (!pair) return undefined;
    const [a, b] = pair;
    if (leftColumns.has(a.id) && rightColumns.has(b.id)) keys.push({ left: a, right: rightColumns.get(b.id)! });
    else if (leftColumns.has(b.id) && rightColumns.has(a.id)) keys.push({ left: b, right: rightColumns.get(a.id)! });
    else return undefined;
  }
  const isLeft = (e: Expr) => e.kind === "column" && leftColumns.has(e.id);
  const countsRight = aggregate.measures.every((m) => m.call.fn === "count" && !m.call.distinct && m.call.args.length === 1 && m.call.args[0].kind === "column" && rightColumns.has(m.call.args[0].id));
  if (aggregate.measures.length === 0 || !countsRight || !aggregate.groups.every((g) => isLeft(g.expr))) return undefined;

  const count = type("i64", false);
  const rightKeys = keys.map((k) => ({ column: ids.column(k.right.name, k.right.type), expr: columnRef(k.right) }));
  const rightCounts = aggregate.measures.map((m) => ({ column: ids.column(`${m.column.name}_per_key`, count), call: { ...m.call, type: count } }));
  const counted: Aggregate = { kind: "aggregate", input: join.right, groups: rightKeys, measures: rightCounts, phase: "single" };
  const leftUsed = new Set<ColumnId>(aggregate.groups.map((g) => (g.expr as ColumnRef).id));
  const joined: Join = {
    kind: "join",
    joinType: "left",
    left: join.left,
    right: counted,
    condition: makeAnd(keys.map((k, i) => call("equal", [k.left, columnRef(rightKeys[i].column)], type("boolean", k.left.type.nullable || k.right.type.nullable)))),
    emit: [...outputColumns(join.left).map((c) => c.id).filter((id) => leftUsed.has(id)), ...rightCounts.map((m) => m.column.id)],
  };
  // An integer sum is a 38-digit decimal (as DuckDB's HUGEINT); the count it replaces is an i64.
  const sumType = decimal(38, 0, false);
  const sums = rightCounts.map((m, i) => ({
    column: ids.column(aggregate.measures[i].column.name, sumType),
    call: { fn: "sum" as const, args: [call("coalesce", [columnRef(m.column), literal(0n, count)], count)], distinct: false, type: sumType },
  }));
  const summed: Aggregate = { kind: "aggregate", input: joined, groups: aggregate.groups, measures: sums, phase: "single" };
  return {
    kind: "project",
    input: summed,
    outputs: [
      ...aggregate.groups.map((g) => ({ column: g.column, expr: columnRef(g.column) })),
      ...aggregate.measures.map((m, i) => ({ column: m.column, expr: castTo(columnRef(sums[i].column), m.column.type) })),
    ],
  };
}
