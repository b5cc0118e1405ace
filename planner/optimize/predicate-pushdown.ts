// Predicate pushdown: moves each conjunct of a filter as close to the data as it can go:
// through projections (substituting the projected expressions), into the side of a join that
// has all its columns (into an inner join's condition when it needs both, so cross products
// with a filter above become joins), below aggregates when it reads grouping keys only, and
// into the scan, where the reader can skip row groups by their statistics.
import type { ColumnId, Expr, LogicalPlan } from "../logical.ts";
import {
  columnRef,
  columnsOf,
  conjuncts,
  containsSubquery,
  disjuncts,
  exprKey,
  makeAnd,
  outputColumns,
  replaceColumns,
} from "../plan-utils.ts";
import { estimateRows } from "./cardinality.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

export function pushDownPredicates(plan: LogicalPlan): LogicalPlan {
  return mapSubqueryPlans(push(plan, []), pushDownPredicates);
}

function ids(plan: LogicalPlan): Set<ColumnId> {
  return new Set(outputColumns(plan).map((c) => c.id));
}

function within(e: Expr, available: ReadonlySet<ColumnId>): boolean {
  for (const id of columnsOf(e)) if (!available.has(id)) return false;
  return true;
}

function movable(e: Expr): boolean {
  // A subquery may read columns its position provides: it stays where the binder put it.
  return !containsSubquery(e);
}

/** Without repeats (a derived filter may be derived again by a later pass). */
function unique(predicates: readonly Expr[]): Expr[] {
  const seen = new Set<string>();
  return predicates.filter((p) => {
    const key = exprKey(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function withFilter(plan: LogicalPlan, predicates: Expr[]): LogicalPlan {
  const predicate = makeAnd(unique(predicates));
  return predicate ? { kind: "filter", input: plan, predicate } : plan;
}

function push(plan: LogicalPlan, predicates: Expr[]): LogicalPlan {
  switch (plan.kind) {
    case "filter":
      return push(plan.input, [...predicates, ...conjuncts(plan.predicate)]);
    case "scan": {
      const all = new Set(plan.allColumns.map((c) => c.id));
      const into = predicates.filter((p) => movable(p) && within(p, all));
      const rest = predicates.filter((p) => !into.includes(p));
      const scan = into.length > 0 ? { ...plan, filters: unique([...plan.filters, ...into]) } : plan;
      return withFilter(scan, rest);
    }
    case "project": {
      const substitution = new Map(plan.outputs.map((o) => [o.column.id, o.expr]));
      const outputs = ids(plan);
      const down: Expr[] = [];
      const rest: Expr[] = [];
      for (const p of predicates) {
        if (movable(p) && within(p, outputs) && ![...columnsOf(p)].some((id) => containsSubquery(substitution.get(id)!))) {
          down.push(replaceColumns(p, substitution));
        } else rest.push(p);
      }
      return withFilter({ ...plan, input: push(plan.input, down) }, rest);
    }
    case "join":
      return pushJoin(plan, predicates);
    case "aggregate": {
      // Only grouping keys are the same above and below; a global aggregate yields a row even for no input.
      const keys = new Map(plan.groups.map((g) => [g.column.id, g.expr]));
      const down: Expr[] = [];
      const rest: Expr[] = [];
      for (const p of predicates) {
        const cols = columnsOf(p);
        if (plan.groups.length > 0 && movable(p) && cols.size > 0 && [...cols].every((id) => keys.has(id))) down.push(replaceColumns(p, keys));
        else rest.push(p);
      }
      return withFilter({ ...plan, input: push(plan.input, down) }, rest);
    }
    case "sort":
      return { ...plan, input: push(plan.input, predicates) };
    case "unnest": {
      // A condition on the input's columns keeps or drops all of a row's copies alike: below.
      const inputs = ids(plan.input);
      const down = predicates.filter((p) => movable(p) && within(p, inputs));
      return withFilter({ ...plan, input: push(plan.input, down) }, predicates.filter((p) => !down.includes(p)));
    }
    case "set": {
      const inputs = plan.inputs.map((input) => {
        const columns = outputColumns(input);
        const substitution = new Map(plan.columns.map((c, i) => [c.id, columnRef(columns[i])]));
        const down = predicates.filter(movable).map((p) => replaceColumns(p, substitution));
        return push(input, down);
      });
      return withFilter({ ...plan, inputs }, predicates.filter((p) => !movable(p)));
    }
    case "window":
    case "limit":
      return withFilter({ ...plan, input: push(plan.input, []) }, predicates);
    case "values":
    case "working_table":
      return withFilter(plan, predicates);
    case "recursive":
      // A filter on the recursion's rows is no filter on the rows each round reads: it stays above.
      return withFilter({ ...plan, anchor: push(plan.anchor, []), step: push(plan.step, []) }, predicates);
  }
}

function pushJoin(plan: LogicalPlan & { kind: "join" }, predicates: Expr[]): LogicalPlan {
  const leftIds = ids(plan.left);
  const rightIds = ids(plan.right);
  const toLeft: Expr[] = [];
  const toRight: Expr[] = [];
  const onJoin: Expr[] = [];
  const above: Expr[] = [];
  const conditionParts = conjuncts(plan.condition);
  switch (plan.joinType) {
    case "inner":
      for (const p of [...predicates, ...conditionParts]) {
        // A disjunction over both sides still implies a filter on each side it constrains in every branch.
        if (movable(p) && !within(p, leftIds) && !within(p, rightIds)) {
          const l = impliedFilter(p, leftIds);
          const r = impliedFilter(p, rightIds);
          if (l) toLeft.push(l);
          if (r) toRight.push(r);
        }
        if (!movable(p)) (conditionParts.includes(p) ? onJoin : above).push(p);
        else if (within(p, leftIds)) toLeft.push(p);
        else if (within(p, rightIds)) toRight.push(p);
        else onJoin.push(p);
      }
      break;
    case "left":
    case "right": {
      // The preserved side takes filters from above; the other side takes them from the ON condition.
      const preserved = plan.joinType === "left" ? leftIds : rightIds;
      const nullable = plan.joinType === "left" ? rightIds : leftIds;
      const toPreserved = plan.joinType === "left" ? toLeft : toRight;
      const toNullable = plan.joinType === "left" ? toRight : toLeft;
      for (const p of predicates) (movable(p) && within(p, preserved) ? toPreserved : above).push(p);
      for (const p of conditionParts) (movable(p) && within(p, nullable) ? toNullable : onJoin).push(p);
      break;
    }
    case "semi":
    case "anti":
      for (const p of predicates) (movable(p) && within(p, leftIds) ? toLeft : above).push(p);
      for (const p of conditionParts) {
        if (movable(p) && within(p, rightIds)) toRight.push(p);
        else if (plan.joinType === "semi" && movable(p) && within(p, leftIds)) toLeft.push(p);
        else onJoin.push(p);
      }
      break;
    case "full":
      above.push(...predicates);
      onJoin.push(...conditionParts);
      break;
  }
  // Outer, semi and anti joins keep a condition even when everything moved (a constant FALSE to a side too): TRUE.
  const condition = makeAnd(unique(onJoin)) ?? (plan.joinType === "inner" ? undefined : ({ kind: "literal", value: true, type: { kind: "boolean", nullable: false } } as const));
  const joined: LogicalPlan = { ...plan, left: push(plan.left, toLeft), right: push(plan.right, toRight), condition };
  if (joined.joinType === "semi" || joined.joinType === "anti") return withFilter(sinkSemiJoin(joined), above);
  return withFilter(joined, above);
}

/**
 * (A ⋈ B) ⋉ R = (A ⋉ R) ⋈ B when the semi (or anti) join's condition reads no column of B: it
 * filters rows of A, so it can do that before B multiplies them (TPC-H Q18's IN, with B the
 * line items of A's orders). When B is the smaller side it more likely filters A than fans it
 * out (TPC-H Q21), and the semi join stays above, where fewer rows reach it.
 */
function sinkSemiJoin(join: LogicalPlan & { kind: "join" }): LogicalPlan {
  const inner = join.left;
  if (join.emit || inner.kind !== "join" || inner.joinType !== "inner" || !join.condition) return join;
  const rightIds = ids(join.right);
  const fromLeft = [...columnsOf(join.condition)].filter((id) => !rightIds.has(id));
  for (const side of ["left", "right"] as const) {
    const sideIds = ids(inner[side]);
    const other = inner[side === "left" ? "right" : "left"];
    if (fromLeft.length > 0 && fromLeft.every((id) => sideIds.has(id)) && estimateRows(other) >= estimateRows(inner[side])) {
      return { ...inner, [side]: sinkSemiJoin({ ...join, left: inner[side] }) };
    }
  }
  return join;
}

/**
 * For `(a1 AND b1) OR (a2 AND b2)` where the a's read only `side`: `a1 OR a2`, which every
 * row that passes the original satisfies. Undefined when some branch says nothing about `side`.
 */
function impliedFilter(p: Expr, side: ReadonlySet<ColumnId>): Expr | undefined {
  if (p.kind !== "call" || p.fn !== "or") return undefined;
  const branches: Expr[] = [];
  for (const branch of disjuncts(p)) {
    const parts = conjuncts(branch).filter((c) => movable(c) && within(c, side) && columnsOf(c).size > 0);
    if (parts.length === 0) return undefined;
    branches.push(makeAnd(parts)!);
  }
  return { kind: "call", fn: "or", args: branches, type: { kind: "boolean", nullable: branches.some((b) => b.type.nullable) } };
}
