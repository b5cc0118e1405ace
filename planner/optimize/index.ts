// The optimizer: a fixed sequence of rewrite rules, each in its own module.
import type { ColumnIds } from "../bind/binder.ts";
import type { LogicalPlan } from "../logical.ts";

export interface OptimizeOptions {
  readonly ids: ColumnIds;
  readonly twoPhaseAggregates: boolean;
}

export function optimize(plan: LogicalPlan, _options: OptimizeOptions): LogicalPlan {
  return plan;
}
