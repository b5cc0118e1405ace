// When an engine that keeps a plan's join order (EngineOptions.planJoinOrder) lets DuckDB order
// a plan's joins after all.
import { JoinRel_JoinType, type Plan } from "../../proto/index.ts";
import { eachObject } from "../../proto/walk.ts";

/** Inner joins past which a plan keeps its own order: with two, three relations, there is little to get wrong. */
const MAX_INNER_JOINS_DUCKDB_ORDERS = 2;

/**
 * Whether DuckDB orders the joins of `plan`: when it has a semi or anti join whose subquery side
 * reads parquet files (`readsFiles` says which tables do), and at most two inner joins. DuckDB
 * builds such a join's hash table on the subquery side unless its own estimates say the other
 * side is smaller, and those estimates come with its join ordering: without them TPC-H Q21's
 * tasks built tables of 1.5 million lineitems to probe 17 thousand (a task 330 ms against 183).
 * More inner joins keep the plan's order: DuckDB, knowing no distinct counts of rows other
 * stages sent, joined Q5's customers to suppliers on the nation first (17–24 s against 1).
 */
export function duckdbOrdersJoins(plan: Plan, readsFiles: (names: readonly string[]) => boolean): boolean {
  let inner = 0;
  let existenceOverFiles = false;
  eachObject(plan.relations, (node) => {
    const join = node.join as { left?: unknown; right?: unknown; type?: number } | undefined;
    if (join?.left && join.right) {
      if (join.type === JoinRel_JoinType.JOIN_TYPE_INNER) inner++;
      const existence = join.type === JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI || join.type === JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI;
      if (existence && readsAny(join.right, readsFiles)) existenceOverFiles = true;
    }
    const cross = node.cross as { left?: unknown; right?: unknown } | undefined;
    if (cross?.left && cross.right) inner++;
  });
  return existenceOverFiles && inner <= MAX_INNER_JOINS_DUCKDB_ORDERS;
}

function readsAny(rel: unknown, readsFiles: (names: readonly string[]) => boolean): boolean {
  let found = false;
  eachObject(rel, (node) => {
    const names = (node.namedTable as { names?: string[] } | undefined)?.names;
    if (names && readsFiles(names)) found = true;
  });
  return found;
}
