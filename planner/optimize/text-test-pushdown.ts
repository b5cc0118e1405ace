// Testing a join side's text before the join. An aggregate over an inner join that tests a text
// column of one side against constants (LIKE, a comparison, IS NULL, IN a list, starts_with …)
// gets the test's boolean from a projection on that side instead:
//
//   Aggregate(…, sum(CASE WHEN p_type LIKE 'PROMO%' THEN … END)) over L ⋈ P
//     = Aggregate(…, sum(CASE WHEN promo THEN … END)) over L ⋈ Project(P, *, promo := p_type LIKE 'PROMO%')
//
// The join passes each side's row on unchanged, so the test gives the same value either side of
// it; and these tests cannot fail, so testing rows the join then drops raises no error the query
// would not have raised. When nothing else above the join reads the text, projection pruning
// drops it there: across nodes the side's rows cross the network with booleans where they
// carried the text (TPC-H Q14: 200k parts' p_type; 0.83–0.88 of its time). Only onto a side that
// moves: one the join leaves where it is read (the other side broadcast) is tested above the join.
import type { ColumnIds } from "../bind/binder.ts";
import type { Aggregate, ColumnId, Expr, Join, LogicalPlan, ProjectOutput } from "../logical.ts";
import { columnRef, exprKey, mapAggregateCall, mapExpr, outputColumns, passedThrough, transformUp } from "../plan-utils.ts";
import { mapSubqueryPlans } from "./rewrite.ts";
import { broadcastWeighsLess, DEFAULT_BROADCAST_ROW_LIMIT, DEFAULT_EXPECTED_NODES } from "../fragment/broadcast.ts";

/** Tests of values against values that give a boolean (or NULL) for any input, never an error. */
const SAFE_TESTS: ReadonlySet<string> = new Set(["like", "ilike", "equal", "not_equal", "lt", "lte", "gt", "gte", "is_null", "is_not_null", "starts_with", "ends_with", "contains"]);

export function pushTextTestsBelowJoins(plan: LogicalPlan, ids: ColumnIds): LogicalPlan {
  const pushed = transformUp(plan, (node) => (node.kind === "aggregate" ? (testBelow(node, ids) ?? node) : node));
  return mapSubqueryPlans(pushed, (p) => pushTextTestsBelowJoins(p, ids));
}

function testBelow(aggregate: Aggregate, ids: ColumnIds): LogicalPlan | undefined {
  const join = aggregate.input;
  if (aggregate.phase !== "single" || join.kind !== "join" || join.joinType !== "inner") return undefined;
  const sides = [join.left, join.right].map((side) => new Map(outputColumns(side).map((c) => [c.id, c])));
  // A side stays where it is read when the join sends the other side to every node: testing it
  // there saves no bytes and tests every row of it, not just those the join keeps (TPC-H Q12: all
  // 1.5 million orders' priorities, where 31 thousand meet the broadcast lineitems; each task's
  // CPU 35 → 18 ms with the tests above the join).
  // Weighed once, and only for an aggregate that tests a side's text.
  let moves: boolean[] | undefined;
  const sideMoves = (side: number): boolean => {
    const weighing = { nodes: DEFAULT_EXPECTED_NODES, rowLimit: DEFAULT_BROADCAST_ROW_LIMIT, otherPlaced: false };
    moves ??= [!broadcastWeighsLess(join.right, join.left, weighing), !broadcastWeighsLess(join.left, join.right, weighing)];
    return moves[side];
  };
  /** The side whose text column `e` tests against constants, or -1. */
  const sideTested = (e: Expr): number => {
    const operands = e.kind === "call" && SAFE_TESTS.has(e.fn) && e.type.kind === "boolean" ? e.args : e.kind === "in_list" ? [e.value, ...e.list] : undefined;
    if (!operands || operands.some((o) => o.kind !== "column" && o.kind !== "literal")) return -1;
    const columns = operands.filter((o) => o.kind === "column").map((o) => (o as { id: ColumnId }).id);
    const side = sides.findIndex((s) => columns.length > 0 && columns.every((id) => s.has(id)));
    return side >= 0 && columns.some((id) => sides[side].get(id)!.type.kind === "string") && sideMoves(side) ? side : -1;
  };
  const tests: ProjectOutput[][] = [[], []];
  const byText = new Map<string, Expr>();
  const replace = (e: Expr): Expr =>
    mapExpr(e, (x) => {
      const side = sideTested(x);
      if (side < 0) return x;
      const key = `${side}:${exprKey(x)}`;
      let ref = byText.get(key);
      if (!ref) {
        const column = ids.column("tested", x.type);
        tests[side].push({ column, expr: x });
        byText.set(key, (ref = columnRef(column)));
      }
      return ref;
    });
  const groups = aggregate.groups.map((g) => ({ ...g, expr: replace(g.expr) }));
  const measures = aggregate.measures.map((m) => ({ ...m, call: mapAggregateCall(m.call, replace) }));
  if (tests[0].length === 0 && tests[1].length === 0) return undefined;
  const withTests = (side: LogicalPlan, added: ProjectOutput[]): LogicalPlan =>
    added.length === 0 ? side : { kind: "project", input: side, outputs: [...passedThrough(outputColumns(side)), ...added] };
  const tested: Join = {
    ...join,
    left: withTests(join.left, tests[0]),
    right: withTests(join.right, tests[1]),
    ...(join.emit ? { emit: [...join.emit, ...tests.flat().map((t) => t.column.id)] } : {}),
  };
  return { ...aggregate, input: tested, groups, measures };
}
