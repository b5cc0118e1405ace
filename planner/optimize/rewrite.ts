// Helpers the rules share: rewriting every expression of a node, and reaching the plans of
// subquery expressions so each rule also optimizes them.
import type { Expr, LogicalPlan } from "../logical.ts";
import { mapExpr, transformUp } from "../plan-utils.ts";

/** The node with `f` applied to each expression it evaluates itself. */
export function mapNodeExpressions(plan: LogicalPlan, f: (e: Expr) => Expr): LogicalPlan {
  switch (plan.kind) {
    case "scan":
      return { ...plan, filters: plan.filters.map(f) };
    case "values":
      return { ...plan, rows: plan.rows.map((r) => r.map(f)) };
    case "filter":
      return { ...plan, predicate: f(plan.predicate) };
    case "project":
      return { ...plan, outputs: plan.outputs.map((o) => ({ ...o, expr: f(o.expr) })) };
    case "join":
      return plan.condition ? { ...plan, condition: f(plan.condition) } : plan;
    case "aggregate":
      return {
        ...plan,
        groups: plan.groups.map((g) => ({ ...g, expr: f(g.expr) })),
        measures: plan.measures.map((m) => ({ ...m, call: { ...m.call, args: m.call.args.map(f) } })),
      };
    case "window":
      return {
        ...plan,
        functions: plan.functions.map((w) => ({
          ...w,
          call: {
            ...w.call,
            args: w.call.args.map(f),
            partitionBy: w.call.partitionBy.map(f),
            orderBy: w.call.orderBy.map((k) => ({ ...k, expr: f(k.expr) })),
          },
        })),
      };
    case "sort":
      return { ...plan, keys: plan.keys.map((k) => ({ ...k, expr: f(k.expr) })) };
    case "unnest":
      return { ...plan, list: f(plan.list) };
    case "limit":
    case "set":
    case "recursive":
    case "working_table":
      return plan;
  }
}

/** Applies a whole-plan rule to the plan of every subquery expression inside `plan`. */
export function mapSubqueryPlans(plan: LogicalPlan, rule: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  return transformUp(plan, (node) =>
    mapNodeExpressions(node, (e) => mapExpr(e, (x) => (x.kind === "subquery" ? { ...x, plan: rule(x.plan) } : x))),
  );
}
