// A LIMIT above a projection goes below it. A projection keeps every row and computes each on
// its own, so the first rows are the same ones either way; below it, the limit meets what the
// projection read: an ORDER BY becomes a top-k (on a cluster, each node's top rows are all that
// leave it), and the projection computes only the rows kept.
//
//   Limit(n) over Project(e) over X  =  Project(e) over Limit(n) over X
import type { LogicalPlan } from "../logical.ts";
import { transformUp } from "../plan-utils.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

export function pushLimitsBelowProjections(plan: LogicalPlan): LogicalPlan {
  const pushed = transformUp(plan, (node) => (node.kind === "limit" ? sink(node) : node));
  return mapSubqueryPlans(pushed, pushLimitsBelowProjections);
}

function sink(limit: LogicalPlan & { kind: "limit" }): LogicalPlan {
  const project = limit.input;
  if (project.kind !== "project") return limit;
  return { ...project, input: sink({ ...limit, input: project.input }) };
}
