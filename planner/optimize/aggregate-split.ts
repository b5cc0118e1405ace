// Two-phase aggregation: each aggregate becomes a partial aggregate (INITIAL_TO_INTERMEDIATE)
// below a final one (INTERMEDIATE_TO_RESULT) over the partial results, so a later stage can run
// the partial next to the data and the final after a shuffle on the grouping keys. avg is
// already sum/count (see the binder), which both decompose. DISTINCT aggregates, and those not
// MERGEABLE_AGGREGATES, do not decompose this way: an aggregate with one stays a single phase.
import type { ColumnIds } from "../bind/binder.ts";
import { MERGEABLE_AGGREGATES, type LogicalPlan, type Measure, type ProjectOutput } from "../logical.ts";
import { columnRef, transformUp } from "../plan-utils.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

export function splitAggregates(plan: LogicalPlan, ids: ColumnIds): LogicalPlan {
  const split = transformUp(plan, (node) => {
    if (node.kind !== "aggregate" || node.phase !== "single" || node.measures.some((m) => m.call.distinct || !MERGEABLE_AGGREGATES.has(m.call.fn))) return node;
    const partialGroups: ProjectOutput[] = node.groups.map((g) => ({ column: ids.column(g.column.name, g.column.type), expr: g.expr }));
    // Intermediate values have the result's type: sums stay sums, counts stay i64.
    const partialMeasures: Measure[] = node.measures.map((m) => ({ column: ids.column(`${m.column.name}_partial`, m.call.type), call: m.call }));
    const partial: LogicalPlan = { kind: "aggregate", input: node.input, groups: partialGroups, measures: partialMeasures, phase: "partial" };
    return {
      kind: "aggregate",
      input: partial,
      groups: node.groups.map((g, i) => ({ column: g.column, expr: columnRef(partialGroups[i].column) })),
      measures: node.measures.map((m, i) => ({
        column: m.column,
        call: { ...m.call, args: [columnRef(partialMeasures[i].column)], implementationArgs: m.call.args.map((a) => a.type) },
      })),
      phase: "final",
    };
  });
  return mapSubqueryPlans(split, (p) => splitAggregates(p, ids));
}
