// The optimizer: a fixed sequence of rewrite rules, one module each.
import type { ColumnIds } from "../bind/binder.ts";
import type { LogicalPlan } from "../logical.ts";
import { splitAggregates } from "./aggregate-split.ts";
import { foldConstants } from "./constant-folding.ts";
import { pushCountsBelowLeftJoins } from "./count-pushdown.ts";
import { reorderJoins } from "./join-reorder.ts";
import { pushLimitsBelowProjections } from "./limit-pushdown.ts";
import { pushDownPredicates } from "./predicate-pushdown.ts";
import { pruneColumns } from "./projection-pruning.ts";
import { aggregateJoinsAsWindows } from "./subquery-window.ts";
import { pushTextTestsBelowJoins } from "./text-test-pushdown.ts";

export interface OptimizeOptions {
  readonly ids: ColumnIds;
  readonly twoPhaseAggregates: boolean;
}

export function optimize(plan: LogicalPlan, options: OptimizeOptions): LogicalPlan {
  let p = foldConstants(plan);
  // On the joins the binder made of subqueries, before pushdown moves their conditions around.
  p = aggregateJoinsAsWindows(p);
  // Pushdown first turns filtered cross products into joins; reordering then needs their conditions.
  p = pushDownPredicates(p);
  p = reorderJoins(p, options.ids);
  p = pushDownPredicates(p);
  if (options.twoPhaseAggregates) {
    // Plans cut into stages: a left join's matches are counted before the join, where they are;
    // a side's text is tested before the join, so its rows move with the boolean.
    p = pushCountsBelowLeftJoins(p, options.ids);
    p = pushTextTestsBelowJoins(p, options.ids);
    p = splitAggregates(p, options.ids);
  }
  p = pushLimitsBelowProjections(p);
  return pruneColumns(p);
}
