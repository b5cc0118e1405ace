// Projection pruning: every operator keeps only the columns someone above reads. Scans read
// only those columns (the ReadRel projection mask), projections and aggregates drop unused
// outputs, and joins drop columns the rest of the plan does not need (RelCommon.emit).
import type { ColumnId, Expr, LogicalPlan } from "../logical.ts";
import { columnsOf, freeColumns, nodeExpressions, outputColumns, transformUp, visitExpr } from "../plan-utils.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

export function pruneColumns(plan: LogicalPlan): LogicalPlan {
  const required = new Set(outputColumns(plan).map((c) => c.id));
  return mapSubqueryPlans(transformUp(prune(plan, required), dropIdentityProjection), pruneColumns);
}

/** A projection that passes its input through unchanged is no operator at all. */
function dropIdentityProjection(plan: LogicalPlan): LogicalPlan {
  if (plan.kind !== "project") return plan;
  const input = outputColumns(plan.input);
  const identity =
    plan.outputs.length === input.length &&
    plan.outputs.every((o, i) => o.expr.kind === "column" && o.expr.id === input[i].id && o.column.id === input[i].id);
  return identity ? plan.input : plan;
}

/** Columns an expression reads, including the outer columns its subqueries read. */
function reads(e: Expr, into: Set<ColumnId>): Set<ColumnId> {
  columnsOf(e, into);
  visitExpr(e, (x) => {
    if (x.kind === "subquery") for (const id of freeColumns(x.plan)) into.add(id);
  });
  return into;
}

function readsAll(exprs: readonly Expr[], into: Set<ColumnId>): Set<ColumnId> {
  for (const e of exprs) reads(e, into);
  return into;
}

function prune(plan: LogicalPlan, required: ReadonlySet<ColumnId>): LogicalPlan {
  switch (plan.kind) {
    case "scan": {
      let keep = plan.columns.map((c, i) => ({ c, field: plan.fieldIndexes[i] })).filter(({ c }) => required.has(c.id));
      // A read must produce a column; the first one stands in when none is needed (count(*)).
      if (keep.length === 0) keep = [{ c: plan.columns[0], field: plan.fieldIndexes[0] }];
      return { ...plan, columns: keep.map((k) => k.c), fieldIndexes: keep.map((k) => k.field) };
    }
    case "values":
    case "working_table":
      return plan;
    case "filter":
      return { ...plan, input: prune(plan.input, reads(plan.predicate, new Set(required))) };
    case "project": {
      let outputs = plan.outputs.filter((o) => required.has(o.column.id));
      if (outputs.length === 0) outputs = plan.outputs.slice(0, 1);
      const need = readsAll(outputs.map((o) => o.expr), new Set());
      return { ...plan, outputs, input: prune(plan.input, need) };
    }
    case "join": {
      const need = new Set(required);
      if (plan.condition) reads(plan.condition, need);
      const left = prune(plan.left, need);
      const right = prune(plan.right, need);
      const joined = { ...plan, left, right, emit: undefined };
      const produced = outputColumns(joined).map((c) => c.id);
      const wanted = (plan.emit ?? produced).filter((id) => required.has(id) && produced.includes(id));
      if (wanted.length === 0) wanted.push(produced[0]);
      const emit = wanted.length === produced.length && wanted.every((id, i) => produced[i] === id) ? undefined : wanted;
      return emit ? { ...joined, emit } : joined;
    }
    case "aggregate": {
      let measures = plan.measures.filter((m) => required.has(m.column.id));
      // An aggregate without groups gives one row whatever its input, even where no measure is read: it keeps one.
      if (plan.groups.length === 0 && measures.length === 0) measures = plan.measures.slice(0, 1);
      const need = readsAll([...plan.groups.map((g) => g.expr), ...measures.flatMap((m) => m.call.args)], new Set());
      return { ...plan, measures, input: prune(plan.input, need) };
    }
    case "window": {
      const functions = plan.functions.filter((f) => required.has(f.column.id));
      if (functions.length === 0) return prune(plan.input, required);
      const windowed = { ...plan, functions };
      const need = readsAll(nodeExpressions(windowed), new Set(required));
      return { ...windowed, input: prune(plan.input, need) };
    }
    case "sort":
      return { ...plan, input: prune(plan.input, readsAll(plan.keys.map((k) => k.expr), new Set(required))) };
    case "limit":
      return { ...plan, input: prune(plan.input, required) };
    case "unnest":
      // Its value stays, read or not: it says how many times each row is there.
      return { ...plan, input: prune(plan.input, reads(plan.list, new Set(required))) };
    case "set":
      // Every column takes part in set semantics (and positions must line up): keep them all.
      return { ...plan, inputs: plan.inputs.map((i) => prune(i, new Set(outputColumns(i).map((c) => c.id)))) };
    case "recursive": {
      // The step reads every column of the working table, whatever the query above needs.
      const all = (input: LogicalPlan) => prune(input, new Set(outputColumns(input).map((c) => c.id)));
      return { ...plan, anchor: all(plan.anchor), step: all(plan.step) };
    }
  }
}
