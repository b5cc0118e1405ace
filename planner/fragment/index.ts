// Cutting a two-phase Substrait plan into the stages a cluster runs: a leaf stage, run once
// per chunk of one partitioned table near where the chunk lives (scans, filters, joins with
// the other tables read whole, and the partial aggregate), and a final stage that reads every
// leaf's partial rows as one table and finishes the plan (final aggregate, sort, limit).
//
// The leaf may be run per chunk only if every row of the partitioned table reaches the
// partial aggregate on its own: through filters, projections, inner and cross joins, and the
// preserved side of left/semi/anti joins. Otherwise, or without a partial aggregate, the plan
// is one stage.
import { AggregationPhase, JoinRel_JoinType, type Plan, type Rel } from "../../proto/index.ts";

/** The table the final stage reads the leaves' partial rows from. */
export const EXCHANGE_TABLE = "__exchange";

export interface StagedPlan {
  /** Runs once per chunk of `partitioned` (the whole plan when there is one stage). */
  leaf: Plan;
  /** The table whose chunks the leaf runs on; undefined: run the leaf once, on everything. */
  partitioned: string[] | undefined;
  /** Reads EXCHANGE_TABLE (the leaves' outputs together) and finishes; undefined for one stage. */
  final: Plan | undefined;
}

type Step = "input" | "left" | "right";

/** The single-input relations a plan passes through above its aggregates. */
function inputOf(rel: Rel): Rel | undefined {
  return rel.project?.input ?? rel.filter?.input ?? rel.sort?.input ?? rel.fetch?.input ?? rel.aggregate?.input;
}

function isPartial(rel: Rel): boolean {
  const measures = rel.aggregate?.measures ?? [];
  return measures.length > 0 && measures.every((m) => m.measure?.phase === AggregationPhase.AGGREGATION_PHASE_INITIAL_TO_INTERMEDIATE);
}

/** Named tables whose rows each reach `rel`'s output on their own, with their row counts. */
function rowPreservingTables(rel: Rel, out: string[][]): void {
  if (rel.read?.namedTable) {
    out.push(rel.read.namedTable.names);
    return;
  }
  if (rel.filter?.input) return rowPreservingTables(rel.filter.input, out);
  if (rel.project?.input) return rowPreservingTables(rel.project.input, out);
  if (rel.cross) {
    if (rel.cross.left) rowPreservingTables(rel.cross.left, out);
    if (rel.cross.right) rowPreservingTables(rel.cross.right, out);
    return;
  }
  if (rel.join) {
    const type = rel.join.type;
    const leftKept = [JoinRel_JoinType.JOIN_TYPE_INNER, JoinRel_JoinType.JOIN_TYPE_LEFT, JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI, JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI].includes(type as never);
    const rightKept = [JoinRel_JoinType.JOIN_TYPE_INNER, JoinRel_JoinType.JOIN_TYPE_RIGHT].includes(type as never);
    if (leftKept && rel.join.left) rowPreservingTables(rel.join.left, out);
    if (rightKept && rel.join.right) rowPreservingTables(rel.join.right, out);
  }
  // Aggregates, sorts, limits, set operations and windows need all rows together: stop.
}

/** How often each named table is read anywhere below `node` (relations and subqueries alike). */
function countReads(node: unknown, counts: Map<string, number>): void {
  if (typeof node !== "object" || node === null || node instanceof Uint8Array) return;
  if (Array.isArray(node)) {
    for (const item of node) countReads(item, counts);
    return;
  }
  const named = (node as { namedTable?: { names: string[] } }).namedTable;
  if (named) {
    const key = named.names.join(".").toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const value of Object.values(node)) countReads(value, counts);
}

export function fragmentPlan(plan: Plan, rowCount: (names: readonly string[]) => number | undefined): StagedPlan {
  const single: StagedPlan = { leaf: plan, partitioned: undefined, final: undefined };
  const root = plan.relations.find((r) => r.root)?.root;
  if (!root?.input) return single;
  // Walk down single-input relations to the partial aggregate.
  const path: Step[] = [];
  let rel: Rel | undefined = root.input;
  while (rel && !isPartial(rel)) {
    rel = inputOf(rel);
    path.push("input");
  }
  if (!rel?.aggregate?.input) return single;
  const candidates: string[][] = [];
  rowPreservingTables(rel.aggregate.input, candidates);
  if (candidates.length === 0) return single;
  // A table the leaf also reads elsewhere (a self join, a subquery over it) cannot be cut into
  // chunks: the other read would see only the chunk too.
  const byName = (n: readonly string[]) => n.join(".").toLowerCase();
  const reads = new Map<string, number>();
  countReads(rel, reads);
  const unique = candidates.filter((c) => reads.get(byName(c)) === 1);
  if (unique.length === 0) return single;
  const partitioned = unique.reduce((best, c) => ((rowCount(c) ?? 0) > (rowCount(best) ?? 0) ? c : best));

  const leaf: Plan = { ...plan, relations: [{ root: { input: rel, names: [] } }] };
  const final: Plan = structuredClone(plan);
  const exchange: Rel = { read: { namedTable: { names: [EXCHANGE_TABLE] } } };
  let parent: Rel = final.relations.find((r) => r.root)!.root!.input!;
  if (path.length === 0) final.relations.find((r) => r.root)!.root!.input = exchange;
  else {
    for (let i = 0; i < path.length - 1; i++) parent = inputOf(parent)!;
    for (const key of ["project", "filter", "sort", "fetch", "aggregate"] as const) {
      if (parent[key]) (parent[key] as { input?: Rel }).input = exchange;
    }
  }
  return { leaf, partitioned, final };
}
