// planner/fragment/: an optimized plan cut into the stages a cluster runs, joined by exchanges.
export { fragmentPlan, type FragmentOptions } from "./fragmenter.ts";
export { DEFAULT_BROADCAST_ROW_LIMIT } from "./broadcast.ts";
export { exchangeTable, saltMergeTable, explainStages, readersOf, type StagedQuery, type Stage, type Exchange, type OrderKey, type Salting, type SaltMerge } from "./stages.ts";
export { shareRepeatedStages } from "./share.ts";
