// Cutting an optimized plan into stages. Walking up from the scans, each operator is given the
// distribution of rows it needs (all rows together, rows of equal keys together, or any split);
// where its input does not have it, the input becomes a stage of its own ending in an exchange,
// and the operator reads the exchange as a table. So:
//   - scans, filters, projections and partial aggregates run where the chunks are;
//   - final aggregates get their partial rows hashed on the group keys; an aggregate of DISTINCT
//     values first drops duplicates where the rows are (COUNT(DISTINCT) in two phases);
//   - joins broadcast a small (or single-row) side, or hash both sides on the join keys, or
//     use a side already hashed on them; a large side first drops the rows whose keys the
//     other side lacks, when that side's keys can be had before it is hashed; two large tables
//     clustered on the join key (stored in key order) join where one's chunks are, each task
//     reading the other's chunks and rows of its keys, and no row moves (RangeReference);
//   - windows get their rows hashed on the PARTITION BY columns;
//   - set operations other than UNION ALL hash every input on all its columns;
//   - a recursion (WITH RECURSIVE) runs on the coordinator, with what its rounds read gathered;
//   - ORDER BY sorts each node's rows where they are, and the coordinator merges the sorted
//     runs (ORDER BY … LIMIT: each node's top rows); a plain LIMIT keeps each node's first rows;
//     the root always runs on the coordinator;
//   - a stage equal to one cut before (a repeated subquery) is not run twice: the first one's
//     rows go to both readers (share.ts);
//   - a table small enough to be held by every node (nation, region: isHeldEverywhere) is read
//     whole where it is needed: joined where the other side's rows are, without a stage of its
//     own, or on the coordinator.
// Column ids survive the cut: the table a consumer reads has the producer's output columns,
// so expressions above the cut need no rewriting.
import { UnsupportedError, invariant } from "../../common/errors.ts";
import { MERGEABLE_AGGREGATES, type Aggregate, type AggregateCall, type ColumnDef, type ColumnId, type ColumnRef, type Expr, type Join, type Limit, type LogicalPlan, type Scan, type SetOperation, type Sort, type SortKey, type Window } from "../logical.ts";
import { isHeldEverywhere } from "../catalog.ts";
import { estimateRowBytes, estimateRows } from "../optimize/cardinality.ts";
import { children, columnRef, columnsOf, conjuncts, containsSubquery, freeColumns, isScanJoinTree, makeAnd, nodeExpressions, outputColumns, passedThrough, transformUp } from "../plan-utils.ts";
import { decodable, emitPlan, namedStruct } from "../substrait/emit.ts";
import type { Plan } from "../../proto/index.ts";
import { isInteger, isInterval, toSubstraitType, type SqlType, type TypeKind } from "../types.ts";
import { broadcastWeighsLess, DEFAULT_BROADCAST_ROW_LIMIT, DEFAULT_EXPECTED_NODES } from "./broadcast.ts";
import { shareRepeatedStages } from "./share.ts";
import { exchangeTable, readersOf, saltMergeTable, type Exchange, type OrderKey, type RangeReference, type Stage, type StagedQuery } from "./stages.ts";

const RANGE_OVER_BROADCAST_MIN_ROWS = 100_000;
const RANGE_OVER_BROADCAST_MIN_BYTES = 2 << 20;
/**
 * Estimated rows from which a side that is scans' rows joined (inner joins only) is read by key
 * range rather than broadcast: broadcast, it takes a stage of its own after the broadcasts it
 * joins, a hop its range read saves (TPC-H Q3's orders of customers of a segment, joined in each
 * lineitem task instead of sent to every node). A semi join's share is a guess (a half): a side
 * with one is left to the broadcast (Q18's orders of large quantities, a few dozen).
 */
const RANGE_OVER_BROADCAST_JOIN_MIN_ROWS = 50_000;

export interface FragmentOptions {
  broadcastRowLimit?: number;
  /** Nodes the query is expected to run on (default DEFAULT_EXPECTED_NODES). */
  expectedNodes?: number;
  /** Let receivers salt hot keys of aggregate and join inputs (default true). */
  salting?: boolean;
  /**
   * Read the tables every node holds (isHeldEverywhere) whole where they are needed (default
   * true); false: like any other table, where its chunks' tasks run (tests that want exchanges).
   */
  smallTablesEverywhere?: boolean;
  /** The estimated bytes from which a side is reduced by a broadcast holding the other side's key (default DEFAULT_BROADCAST_REDUCTION_MIN_BYTES). */
  broadcastReductionMinBytes?: number;
}

type Distribution =
  /** All rows in the coordinator's one task. */
  | { kind: "single" }
  /**
   * Rows split over the nodes' tasks, any way; `chunked`: each task's from its share of one table's
   * chunks; `hashedUnlessSalted`: as they came through this stage's salting hash exchanges (see SaltedHash).
   */
  | { kind: "spread"; chunked?: Chunked; hashedUnlessSalted?: SaltedHash }
  /** Rows equal on `keys` in one node's task. */
  | { kind: "hashed"; keys: readonly ColumnId[] }
  /** Every node's task has every row: a broadcast, read only by the join it was made for. */
  | { kind: "replicated" }
  /** Every node, the coordinator included, can read every row where it is: tables held everywhere. */
  | { kind: "everywhere" };

const SINGLE: Distribution = { kind: "single" };
const SPREAD: Distribution = { kind: "spread" };
const EVERYWHERE: Distribution = { kind: "everywhere" };

interface Fragment {
  plan: LogicalPlan;
  dist: Distribution;
}

/** Rows of one scanned table, each task's from the chunks it was given (see RangeReference). */
interface Chunked {
  /** The table (dotted name) and its scan. */
  table: string;
  scan: Scan;
  /** The fragment's columns that are the table's clustered columns, unchanged: column id → the table's column name. */
  clustered: ReadonlyMap<ColumnId, string>;
  /** Tables joined to it by key range: such a fragment is not itself read by key range. */
  referenced: readonly string[];
}

/**
 * Rows hashed on the keys of a salting exchange this stage reads (a join's sides): rows equal on
 * the keys are in one task, except those of a key its receivers salted, spread over several.
 * Each entry of `keys` is a list of columns equal to the exchange's keys in every row (an inner
 * join's left and right keys), in the exchange's key order: a salted key's hash is theirs.
 */
interface SaltedHash {
  keys: readonly (readonly ColumnId[])[];
}

type PendingExchange =
  | { kind: "hash"; keys: readonly ColumnId[]; salting?: { mode: "spread" | "replicate"; saltBy: readonly ColumnId[] | "any" }; local?: { id: ColumnId; table: string; column: string } }
  | { kind: "gather"; order?: readonly SortKey[] }
  | { kind: "broadcast" | "forward" | "result" };

/**
 * The aggregate a stage ends with, whose output rows of a salted key are merged at the key's home:
 * the salted key is the aggregate's group columns when it read the salting exchange, or `keys`
 * (group columns equal to the keys of the exchange its stage's join read, see SaltedHash).
 */
interface SaltMergeSpec {
  aggregate: Aggregate;
  keys?: readonly ColumnId[];
}

interface PendingStage {
  id: number;
  root: LogicalPlan;
  runsOn: Stage["runsOn"];
  output: PendingExchange;
  /** The aggregate whose salted partial rows are merged at their key's home (see SaltMergeSpec). */
  saltMerge?: SaltMergeSpec;
  /** Its rows are a join side's distinct keys (see #semiJoinKeys). */
  joinKeys?: boolean;
}

/**
 * Joins whose right (left) side's rows count only where they match: such a side can be copied to
 * every node (broadcast, or its hot keys' rows replicated), or lose its rows whose keys the other
 * side lacks, without changing the answer.
 */
const RIGHT_ONLY_MATCHED = new Set(["inner", "left", "semi", "anti"]);
const LEFT_ONLY_MATCHED = new Set(["inner", "right"]);
/**
 * A side of a hashed join that is estimated this small, and this many times smaller than the
 * other side, sends its distinct keys to every node first, and the other side drops the rows
 * with keys it lacks before they are hashed and sent.
 */
const REDUCTION_MAX_ROWS = 250_000;
const REDUCTION_MIN_RATIO = 8;
/** A semi or anti join's right side this large (estimated) is reduced by keys of the left (#reduceExistenceSide). */
const EXISTENCE_REDUCTION_MIN_ROWS = 1_000_000;
/**
 * A side at least this large (estimated bytes) read from chunks is reduced by a broadcast holding
 * the other side's key (#reduceByBroadcast): a smaller one costs less to hash whole than to wait
 * for the broadcast.
 */
export const DEFAULT_BROADCAST_REDUCTION_MIN_BYTES = 4 << 20;
/** A relation up to this large (estimated) joined to a key's scan keeps the pair local: it is broadcast. */
const KEY_SOURCE_SATELLITE_ROWS = 100_000;
const DUPLICATE_INSENSITIVE = new Set(["min", "max", "any_value", "bool_and", "bool_or"]);

export function fragmentPlan(plan: LogicalPlan, names: readonly string[], options: FragmentOptions = {}): StagedQuery {
  plan = transformUp(plan, uncorrelatedExistsAsJoin);
  assertNoSubqueries(plan);
  const fragmenter = new Fragmenter({
    broadcastRowLimit: options.broadcastRowLimit ?? DEFAULT_BROADCAST_ROW_LIMIT,
    expectedNodes: options.expectedNodes ?? DEFAULT_EXPECTED_NODES,
    salting: options.salting ?? true,
    smallTablesEverywhere: options.smallTablesEverywhere ?? true,
    broadcastReductionMinBytes: options.broadcastReductionMinBytes ?? DEFAULT_BROADCAST_REDUCTION_MIN_BYTES,
  });
  return fragmenter.run(plan, names);
}

class Fragmenter {
  readonly #broadcastRowLimit: number;
  readonly #expectedNodes: number;
  readonly #salting: boolean;
  readonly #smallTablesEverywhere: boolean;
  readonly #broadcastReductionMinBytes: number;
  readonly #stages: PendingStage[] = [];
  /** The scans that read an exchange, by the producing stage's id. */
  readonly #exchangeScans = new Map<LogicalPlan, number>();
  /** The scans read by key range beside another table's chunks. */
  readonly #referenceScans = new Map<Scan, RangeReference>();
  /** Join keys that, broadcast, could reduce the other side of their join (see #reductionKeys). */
  #reducingKeys = new Map<ColumnId, Join[]>();

  constructor(options: Required<FragmentOptions>) {
    invariant(options.expectedNodes >= 1, "a plan is cut for at least one node");
    this.#broadcastRowLimit = options.broadcastRowLimit;
    this.#expectedNodes = options.expectedNodes;
    this.#salting = options.salting;
    this.#smallTablesEverywhere = options.smallTablesEverywhere;
    this.#broadcastReductionMinBytes = options.broadcastReductionMinBytes;
  }

  /** Whether `scan` reads a table held by every node, read whole wherever it is needed. */
  #everywhere(scan: Scan): boolean {
    return this.#smallTablesEverywhere && isHeldEverywhere(scan.table);
  }

  run(plan: LogicalPlan, names: readonly string[]): StagedQuery {
    this.#reducingKeys = this.#reductionKeys(plan);
    const root = this.#gather(this.#walk(plan));
    this.#stages.push({ id: this.#stages.length, root: root.plan, runsOn: "coordinator", output: { kind: "result" } });
    const stages = this.#stages.map((s) => this.#emit(s, s.output.kind === "result" ? names : undefined));
    this.#fuseKeptKeyReaders(stages);
    return shareRepeatedStages({ stages, names: [...names] });
  }

  /**
   * A stage that hashes its rows on a key its table is clustered on keeps the keys only its
   * chunks hold where they are made (#aggregate); with few keys crossing chunks (a table stored
   * in key order, cut where the key changes) every key is kept, and its reader (a final
   * aggregate) can run in its tasks, and so can readers fused into that one (TPC-H Q18: 1.5
   * million orders' sums of quantities never leave DuckDB, only the 54 over 300 do).
   */
  #fuseKeptKeyReaders(stages: Stage[]): void {
    const readers = readersOf({ stages, names: [] });
    for (const producer of stages) {
      if (producer.output.kind !== "hash" || !producer.output.local) continue;
      let plan = this.#readsByRange(this.#stages[producer.id].root).root;
      const fused: number[] = [];
      for (let last = producer; readers.get(last.id)!.length === 1; ) {
        const reader = stages[readers.get(last.id)![0]];
        const runsInTasks = fused.length === 0 ? reader.inputs.length === 1 && reader.scans.length === 0 && reader.runsOn === "nodes" : reader.fusedWithInput !== undefined;
        if (!runsInTasks) break;
        const table = exchangeTable(last.id);
        const input = plan;
        plan = transformUp(this.#stages[reader.id].root, (node) => (node.kind === "scan" && node.table.names.length === 1 && node.table.names[0] === table ? input : node));
        fused.push(reader.id);
        last = reader;
      }
      if (fused.length > 0) producer.fusedWhenKeysLocal = { plan: stagePlan(plan, stages[fused[fused.length - 1]].columns), stages: fused };
    }
  }

  #walk(plan: LogicalPlan): Fragment {
    switch (plan.kind) {
      case "scan":
        return { plan, dist: this.#everywhere(plan) ? EVERYWHERE : chunkedScan(plan) };
      case "values":
        return { plan, dist: SINGLE };
      case "filter":
      case "unnest": {
        // Row by row: where the input's rows are, with their keys.
        const input = this.#walk(plan.input);
        return { plan: { ...plan, input: input.plan }, dist: input.dist };
      }
      case "project": {
        const input = this.#walk(plan.input);
        const renamed = new Map(plan.outputs.filter((o) => o.expr.kind === "column").map((o) => [(o.expr as { id: ColumnId }).id, o.column.id]));
        return { plan: { ...plan, input: input.plan }, dist: mapKeys(input.dist, renamed) };
      }
      case "aggregate":
        return this.#aggregate(plan);
      case "join":
        return this.#join(plan);
      case "window":
        return this.#window(plan);
      case "sort":
        return this.#sort(plan, whole(this.#walk(plan.input)));
      case "limit":
        return this.#limit(plan);
      case "set":
        return this.#set(plan);
      case "working_table":
        return { plan, dist: SINGLE };
      case "recursive": {
        // Every round reads the last one's rows: the recursion runs in one place, its inputs gathered there.
        const anchor = this.#gather(this.#walk(plan.anchor));
        const step = this.#gather(this.#walk(plan.step));
        return { plan: { ...plan, anchor: anchor.plan, step: step.plan }, dist: SINGLE };
      }
    }
  }

  #aggregate(plan: Aggregate): Fragment {
    const input = whole(this.#walk(plan.input));
    const groupKeys = new Map(plan.groups.filter((g) => g.expr.kind === "column").map((g) => [(g.expr as { id: ColumnId }).id, g.column.id]));
    const here = (from: Fragment, dist: Distribution): Fragment => ({ plan: { ...plan, input: from.plan }, dist });
    if (input.dist.kind === "single") return here(input, SINGLE);
    if (input.dist.kind === "hashed" && input.dist.keys.every((k) => groupKeys.has(k))) return here(input, mapKeys(input.dist, groupKeys));
    // A partial aggregate's rows of a group come from its task's chunks: a key column of them stays clustered.
    if (plan.phase === "partial") return here(input, input.dist.kind === "spread" ? mapKeys(input.dist, groupKeys) : SPREAD);
    // Grouped by the keys of the salting exchange the rows came through (a join's): a group is
    // whole in its key's task, but for a salted key's groups, merged at the key's home.
    const saltedKeys = input.dist.kind === "spread" ? input.dist.hashedUnlessSalted?.keys.find((keys) => keys.every((k) => groupKeys.has(k))) : undefined;
    if (saltedKeys && aggregateSaltBy(plan) === "any") {
      const aggregated = here(input, SPREAD);
      return this.#cut(aggregated, { kind: "forward" }, { aggregate: aggregated.plan as Aggregate, keys: saltedKeys.map((k) => groupKeys.get(k)!) });
    }

    // Rows of a group must meet: hash on the group columns (a subset of the groups is enough).
    let source = input;
    if (plan.phase === "single" && plan.measures.every((m) => m.call.distinct || DUPLICATE_INSENSITIVE.has(m.call.fn))) {
      source = { plan: dropDuplicates(input.plan, plan), dist: input.dist };
    }
    if (groupKeys.size === 0) return here(this.#gather(source), SINGLE);
    const keys = [...groupKeys.keys()];
    const saltBy = this.#salting ? aggregateSaltBy(plan) : undefined;
    // Grouped by a column the rows' table is clustered on: a group whose key only this task's
    // chunks hold is whole here, and stays (the rest still meet by hash, so the output is not hashed).
    const chunked = source.dist.kind === "spread" ? source.dist.chunked : undefined;
    const clusteredKey = chunked && keys.find((k) => chunked.clustered.has(k));
    const local = clusteredKey === undefined ? undefined : { id: clusteredKey, table: chunked!.table, column: chunked!.clustered.get(clusteredKey)! };
    const hashed = this.#cut(source, { kind: "hash", keys, salting: saltBy && { mode: "spread", saltBy }, ...(local ? { local } : {}) });
    const aggregated = here(hashed, local ? SPREAD : { kind: "hashed", keys: keys.map((k) => groupKeys.get(k)!) });
    if (!saltBy) return aggregated;
    // A salted key's rows end up on several nodes: the aggregate ends its stage, whose output
    // rows of salted keys are merged at the key's home before anything reads them.
    return this.#cut(aggregated, { kind: "forward" }, { aggregate: aggregated.plan as Aggregate });
  }

  #join(plan: Join): Fragment {
    let left = this.#walk(plan.left);
    let right = this.#walk(plan.right);
    const joined = (dist: Distribution): Fragment => {
      const visible = new Set(outputColumns(plan).map((c) => c.id));
      const kept = dist.kind === "hashed" ? (dist.keys.every((k) => visible.has(k)) ? dist : SPREAD) : dist.kind === "spread" ? keepColumns(dist, visible) : dist;
      return { plan: { ...plan, left: left.plan, right: right.plan }, dist: kept };
    };
    // A table every node holds joins where the other side's rows are, as a broadcast would,
    // when its rows count only where they match; otherwise it is read whole on the coordinator.
    if (left.dist.kind === "everywhere" && right.dist.kind === "everywhere") return joined(EVERYWHERE);
    const spread = (f: Fragment) => f.dist.kind === "spread" || f.dist.kind === "hashed";
    if (right.dist.kind === "everywhere" && spread(left) && RIGHT_ONLY_MATCHED.has(plan.joinType)) return joined(left.dist);
    if (left.dist.kind === "everywhere" && spread(right) && LEFT_ONLY_MATCHED.has(plan.joinType)) return joined(right.dist);
    const byRange = this.#rangeJoin(plan, left, right);
    if (byRange) return joined(byRange);
    left = whole(left);
    right = whole(right);
    // A semi or anti join asks only whether a match exists: each node sends each right row the
    // condition can tell apart once.
    if ((plan.joinType === "semi" || plan.joinType === "anti") && right.dist.kind !== "single") {
      right = { plan: existenceRows(this.#reduceExistenceSide(plan, left, right).plan, plan), dist: right.dist };
    }
    const canBroadcastRight = RIGHT_ONLY_MATCHED.has(plan.joinType);
    const canBroadcastLeft = LEFT_ONLY_MATCHED.has(plan.joinType);
    if (left.dist.kind === "single" && right.dist.kind === "single") return joined(SINGLE);
    if (left.dist.kind === "single") {
      right = this.#gather(right);
      return joined(SINGLE);
    }
    if (right.dist.kind === "single") {
      if (!canBroadcastRight) {
        left = this.#gather(left);
        return joined(SINGLE);
      }
      right = this.#cut(right, { kind: "broadcast" });
      return joined(left.dist);
    }

    const pairs = equiPairs(plan);
    const leftKeysFor = (rightKeys: readonly ColumnId[]) => rightKeys.map((r) => pairs.find((p) => p.right === r)?.left);
    const rightKeysFor = (leftKeys: readonly ColumnId[]) => leftKeys.map((l) => pairs.find((p) => p.left === l)?.right);
    // Sides hashed on matching keys: the output is hashed on the preserved side's keys (a RIGHT
    // JOIN's left keys are NULL in the rows only the right side had, wherever those rows are).
    const hashedOn = (leftKeys: readonly ColumnId[], rightKeys: readonly ColumnId[]): Distribution =>
      plan.joinType === "full" ? SPREAD : { kind: "hashed", keys: plan.joinType === "right" ? rightKeys : leftKeys };
    if (pairs.length > 0 && left.dist.kind === "hashed" && right.dist.kind === "hashed") {
      // Hashed on the same keys, one for one: a side hashed on more columns than the other places a key's rows elsewhere.
      const rightKeys = right.dist.keys;
      const wanted = rightKeysFor(left.dist.keys);
      if (wanted.length === rightKeys.length && wanted.every((r, i) => r !== undefined && r === rightKeys[i])) return joined(hashedOn(left.dist.keys, rightKeys));
    }
    const placedOn = (fragment: Fragment, keysFor: (keys: readonly ColumnId[]) => (ColumnId | undefined)[]) =>
      fragment.dist.kind === "hashed" && keysFor(fragment.dist.keys).every((k) => k !== undefined);
    if (canBroadcastRight && (pairs.length === 0 || this.#broadcastable(plan.right, plan.left, placedOn(left, rightKeysFor)))) {
      right = this.#cut(right, { kind: "broadcast" });
      return joined(left.dist);
    }
    if (canBroadcastLeft && (pairs.length === 0 || this.#broadcastable(plan.left, plan.right, placedOn(right, leftKeysFor)))) {
      left = this.#cut(left, { kind: "broadcast" });
      return joined(right.dist);
    }
    if (pairs.length === 0) {
      left = this.#gather(left);
      right = this.#gather(right);
      return joined(SINGLE);
    }
    // Partitioned: keep a side that is already hashed on join keys, hash the other to match.
    if (left.dist.kind === "hashed") {
      const matching = rightKeysFor(left.dist.keys);
      if (matching.every((k) => k !== undefined)) {
        right = this.#cut(right, { kind: "hash", keys: matching as ColumnId[] });
        return joined(hashedOn(left.dist.keys, matching as ColumnId[]));
      }
    }
    if (right.dist.kind === "hashed") {
      const matching = leftKeysFor(right.dist.keys);
      if (matching.every((k) => k !== undefined)) {
        left = this.#cut(left, { kind: "hash", keys: matching as ColumnId[] });
        return joined(hashedOn(matching as ColumnId[], right.dist.keys));
      }
    }
    [left, right] = this.#reduceByKeys(plan, pairs, left, right);
    [left, right] = this.#reduceByBroadcast(plan, pairs, left, right);
    // Salting spreads the left side's hot keys and copies the right side's rows of them to
    // every share; the output is then no longer hashed on the keys.
    const salted = this.#salting && RIGHT_ONLY_MATCHED.has(plan.joinType);
    left = this.#cut(left, { kind: "hash", keys: pairs.map((p) => p.left), salting: salted ? { mode: "spread", saltBy: "any" } : undefined });
    right = this.#cut(right, { kind: "hash", keys: pairs.map((p) => p.right), salting: salted ? { mode: "replicate", saltBy: "any" } : undefined });
    const [leftKeys, rightKeys] = [pairs.map((p) => p.left), pairs.map((p) => p.right)];
    if (!salted) return joined(hashedOn(leftKeys, rightKeys));
    // An inner join's output is hashed on either side's keys; an outer or existence join's on the preserved left side's.
    return joined({ kind: "spread", hashedUnlessSalted: { keys: plan.joinType === "inner" ? [leftKeys, rightKeys] : [leftKeys] } });
  }

  /** Whether the join sends `side` to every node (broadcastWeighsLess). */
  #broadcastable(side: LogicalPlan, other: LogicalPlan, otherPlaced: boolean): boolean {
    return broadcastWeighsLess(side, other, { nodes: this.#expectedNodes, rowLimit: this.#broadcastRowLimit, otherPlaced });
  }

  /**
   * Both sides read from the chunks of tables clustered on an equality of the join, and neither
   * small enough to broadcast: the side whose rows count only where they match (the smaller one,
   * when both do) is read by key range in the other side's tasks, and no row moves
   * (RangeReference). The output is the other side's. A side small enough to broadcast is
   * broadcast instead: read once (a range read in each task would read, and join, the rows of
   * the ranges again per task), and its keys can reduce other joins' sides (#reduceByBroadcast);
   * unless it is one table's filtered rows, many or wide (#rangeOverBroadcast).
   */
  #rangeJoin(plan: Join, left: Fragment, right: Fragment): Distribution | undefined {
    const l = left.dist.kind === "spread" ? left.dist.chunked : undefined;
    const r = right.dist.kind === "spread" ? right.dist.chunked : undefined;
    if (!l || !r) return undefined;
    if (RIGHT_ONLY_MATCHED.has(plan.joinType) && this.#broadcastable(plan.right, plan.left, false) && !this.#rangeOverBroadcast(plan.right, plan)) return undefined;
    if (LEFT_ONLY_MATCHED.has(plan.joinType) && this.#broadcastable(plan.left, plan.right, false) && !this.#rangeOverBroadcast(plan.left, plan)) return undefined;
    let best: { driver: Chunked; reference: RangeReference; scan: Scan; rows: number } | undefined;
    const consider = (driver: Chunked, reference: Chunked, driverKey: ColumnId, key: ColumnId, side: LogicalPlan) => {
      const driverColumn = driver.clustered.get(driverKey);
      const column = reference.clustered.get(key);
      if (driverColumn === undefined || column === undefined || reference.referenced.length > 0) return;
      const rows = estimateRows(side);
      if (!best || rows < best.rows) best = { driver, reference: { table: reference.table, column, driver: driver.table, driverColumn }, scan: reference.scan, rows };
    };
    for (const pair of equiPairs(plan)) {
      // IS NOT DISTINCT FROM matches NULLs, which no chunk's key range places.
      if (pair.condition.kind !== "call" || pair.condition.fn !== "equal") continue;
      if (RIGHT_ONLY_MATCHED.has(plan.joinType)) consider(l, r, pair.left, pair.right, plan.right);
      if (LEFT_ONLY_MATCHED.has(plan.joinType)) consider(r, l, pair.right, pair.left, plan.left);
    }
    if (!best) return undefined;
    this.#referenceScans.set(best.scan, best.reference);
    return { kind: "spread", chunked: { ...best.driver, referenced: [...best.driver.referenced, best.reference.table] } };
  }

  /**
   * A side of `join` read by key range rather than broadcast though small enough to be: one
   * table's filtered rows, many of them (every node would build a table of them all, where a
   * range read builds one of its share: TPC-H Q5's orders of a year, Q21's finished orders), or
   * wide ones (copies of megabytes to every node before the join can start, where each task
   * reads its share: Q16's parts), unless they hold a key by which their broadcast would reduce
   * the other side of a later join before it is hashed; or scans' rows joined, from fewer
   * (RANGE_OVER_BROADCAST_JOIN_MIN_ROWS).
   */
  #rangeOverBroadcast(side: LogicalPlan, join: Join): boolean {
    if (!plainScan(side)) return isScanJoinTree(side) && estimateRows(side) >= RANGE_OVER_BROADCAST_JOIN_MIN_ROWS;
    const rows = estimateRows(side);
    if (rows >= RANGE_OVER_BROADCAST_MIN_ROWS) return true;
    return rows * estimateRowBytes(side) >= RANGE_OVER_BROADCAST_MIN_BYTES && !outputColumns(side).some((c) => this.#reducingKeys.get(c.id)?.some((other) => other !== join));
  }

  /**
   * The join keys by which a broadcast holding them could reduce the other side of their join
   * (#reduceByBroadcast), with the joins: the other side is one table's rows, at least
   * broadcastReductionMinBytes of them, and neither side small enough to broadcast.
   */
  #reductionKeys(plan: LogicalPlan): Map<ColumnId, Join[]> {
    const keys = new Map<ColumnId, Join[]>();
    const add = (key: ColumnId, join: Join) => keys.set(key, [...(keys.get(key) ?? []), join]);
    const reducible = (side: LogicalPlan, other: LogicalPlan) =>
      plainScan(side) && estimateRows(side) * estimateRowBytes(side) >= this.#broadcastReductionMinBytes && !this.#broadcastable(side, other, false) && !this.#broadcastable(other, side, false);
    const visit = (p: LogicalPlan) => {
      if (p.kind === "join") {
        const pairs = equiPairs(p);
        if (RIGHT_ONLY_MATCHED.has(p.joinType) && reducible(p.right, p.left)) for (const pair of pairs) add(pair.left, p);
        if (LEFT_ONLY_MATCHED.has(p.joinType) && reducible(p.left, p.right)) for (const pair of pairs) add(pair.right, p);
      }
      children(p).forEach(visit);
    };
    visit(plan);
    return keys;
  }

  /**
   * Before both sides of a join are hashed: a small side read straight from base tables also
   * sends its distinct keys to every node, where the large side keeps only the rows with one of
   * them (a semi join), so only rows that can match cross the network.
   */
  #reduceByKeys(plan: Join, pairs: readonly KeyPair[], left: Fragment, right: Fragment): [Fragment, Fragment] {
    // The sides as the join reads them: a semi join's right side, deduplicated per node, still sends about as many rows.
    const [leftRows, rightRows] = [estimateRows(plan.left), estimateRows(plan.right)];
    const reducedBy = (small: Fragment, smallRows: number, bigRows: number) => smallRows <= REDUCTION_MAX_ROWS && bigRows >= REDUCTION_MIN_RATIO * smallRows && !this.#readsExchange(small.plan);
    const condition = makeAnd(pairs.map((p) => p.condition))!;
    if (RIGHT_ONLY_MATCHED.has(plan.joinType) && reducedBy(left, leftRows, rightRows)) return [left, this.#semiJoinKeys(right, left, pairs.map((p) => p.left), condition)];
    if (LEFT_ONLY_MATCHED.has(plan.joinType) && reducedBy(right, rightRows, leftRows)) return [this.#semiJoinKeys(left, right, pairs.map((p) => p.right), condition), right];
    return [left, right];
  }

  /**
   * Before both sides of a join are hashed: when one side's key comes from rows broadcast to its
   * stage (TPC-H Q10, where its returned lineitems are hashed: the quarter's orders, broadcast to
   * lineitem's nodes, hold the customer key), the other side, read straight from its chunks and
   * far wider, keeps only the rows with a key among those rows (a semi join with the same
   * broadcast, which every node has): 150k customers become the ~40k with an order that quarter
   * before they are hashed.
   */
  #reduceByBroadcast(plan: Join, pairs: readonly KeyPair[], left: Fragment, right: Fragment): [Fragment, Fragment] {
    const reduce = (big: Fragment, bigPlan: LogicalPlan, other: Fragment, otherKey: (pair: KeyPair) => ColumnId): Fragment => {
      if (this.#readsExchange(big.plan) || estimateRows(bigPlan) * estimateRowBytes(bigPlan) < this.#broadcastReductionMinBytes) return big;
      for (const pair of pairs) {
        const producer = this.#broadcastHolding(other.plan, otherKey(pair));
        if (producer === undefined || estimateRows(this.#stages[producer].root) > estimateRows(bigPlan) / 2) continue;
        const copy = exchangeScan(exchangeTable(producer), outputColumns(this.#stages[producer].root), estimateRows(this.#stages[producer].root));
        this.#exchangeScans.set(copy, producer);
        return { plan: { kind: "join", joinType: "semi", left: big.plan, right: copy, condition: pair.condition }, dist: big.dist };
      }
      return big;
    };
    if (RIGHT_ONLY_MATCHED.has(plan.joinType)) right = reduce(right, plan.right, left, (p) => p.left);
    if (LEFT_ONLY_MATCHED.has(plan.joinType)) left = reduce(left, plan.left, right, (p) => p.right);
    return [left, right];
  }

  /**
   * The broadcast stage whose rows give `plan`'s column `id` (through filters, projections that
   * pass it and inner or semi joins): every value of it in `plan` is among that stage's rows.
   */
  #broadcastHolding(plan: LogicalPlan, id: ColumnId): number | undefined {
    const producer = this.#exchangeScans.get(plan);
    if (producer !== undefined) return this.#stages[producer].output.kind === "broadcast" && outputColumns(plan).some((c) => c.id === id) ? producer : undefined;
    switch (plan.kind) {
      case "filter":
        return this.#broadcastHolding(plan.input, id);
      case "project": {
        const output = plan.outputs.find((o) => o.column.id === id);
        return output?.expr.kind === "column" && output.expr.id === id ? this.#broadcastHolding(plan.input, id) : undefined;
      }
      case "join":
        if (plan.joinType === "semi" || plan.joinType === "anti") return this.#broadcastHolding(plan.left, id);
        if (plan.joinType !== "inner") return undefined;
        return this.#broadcastHolding(outputColumns(plan.left).some((c) => c.id === id) ? plan.left : plan.right, id);
      default:
        return undefined;
    }
  }

  /**
   * A semi or anti join's large right side keeps only the rows whose key one of the left's rows
   * holds: the others match nothing. When the left side reads exchanges (#reduceByKeys' keys
   * cannot come from it), the part of it that holds the key and runs where its rows are (a scan
   * joined to small relations broadcast to it, or filtered) runs a second time for its distinct
   * keys; not a bare scan, whose keys would cut nothing. TPC-H Q21: the Saudi suppliers' late
   * lineitems name the orders whose other lineitems matter, and only those lineitems are hashed,
   * not all 6 million twice; Q22: the customers of seven phone prefixes name the orders whose
   * customer keys are sent to the anti join, 0.1M where all 0.4M went.
   */
  #reduceExistenceSide(plan: Join, left: Fragment, right: Fragment): Fragment {
    if (estimateRows(plan.right) < EXISTENCE_REDUCTION_MIN_ROWS || !this.#readsExchange(left.plan)) return right;
    for (const pair of equiPairs(plan)) {
      const source = localKeySource(plan.left, pair.left);
      if (source && dropsRows(source)) return this.#semiJoinKeys(right, this.#walk(source), [pair.left], pair.condition);
    }
    return right;
  }

  /** `big`'s rows that meet one of `small`'s distinct `keys` on `condition` (a semi join with them, broadcast). */
  #semiJoinKeys(big: Fragment, small: Fragment, keys: readonly ColumnId[], condition: Expr): Fragment {
    const distinctKeys = this.#cut({ plan: distinctOn(small.plan, new Set(keys)), dist: small.dist }, { kind: "broadcast" });
    this.#stages[this.#exchangeScans.get(distinctKeys.plan)!].joinKeys = true;
    return { plan: { kind: "join", joinType: "semi", left: big.plan, right: distinctKeys.plan, condition }, dist: big.dist };
  }

  /** Whether a plan reads another stage's output: such a plan cannot run a second time for its keys. */
  #readsExchange(plan: LogicalPlan): boolean {
    return this.#exchangeScans.has(plan) || children(plan).some((c) => this.#readsExchange(c));
  }

  #window(plan: Window): Fragment {
    const input = whole(this.#walk(plan.input));
    const here = (from: Fragment, dist: Distribution): Fragment => ({ plan: { ...plan, input: from.plan }, dist });
    if (input.dist.kind === "single") return here(input, SINGLE);
    // Rows of one partition of every function must meet: hash on columns all of them partition by.
    const partitionColumns = plan.functions.map((f) => new Set(f.call.partitionBy.filter((e) => e.kind === "column").map((e) => (e as { id: ColumnId }).id)));
    const shared = [...partitionColumns[0]].filter((id) => partitionColumns.every((set) => set.has(id)));
    if (shared.length === 0) return here(this.#gather(input), SINGLE);
    if (input.dist.kind === "hashed" && input.dist.keys.every((k) => shared.includes(k))) return here(input, input.dist);
    return here(this.#cut(input, { kind: "hash", keys: shared }), { kind: "hashed", keys: shared });
  }

  /** `plan` over its walked `input`: all its rows on the coordinator, in order. */
  #sort(plan: Sort, input: Fragment): Fragment {
    const sorted = { plan: { ...plan, input: input.plan }, dist: input.dist };
    if (input.dist.kind === "single") return sorted;
    // Each node sorts its rows; the coordinator merges the runs, which its plan reads in order.
    if (mergeableOrder(plan)) return this.#cut(sorted, { kind: "gather", order: plan.keys });
    return { plan: { ...plan, input: this.#gather(input).plan }, dist: SINGLE };
  }

  #limit(plan: Limit): Fragment {
    const sort = plan.input.kind === "sort" ? plan.input : undefined;
    const input = whole(this.#walk(sort ? sort.input : plan.input));
    const finish = (below: LogicalPlan): Fragment => ({ plan: { ...plan, input: sort ? { ...sort, input: below } : below }, dist: SINGLE });
    if (input.dist.kind === "single") return finish(input.plan);
    if (plan.count === undefined) return { plan: { ...plan, input: sort ? this.#sort(sort, input).plan : this.#gather(input).plan }, dist: SINGLE };
    // Each node keeps its first offset+count rows (its top ones when sorted); the coordinator picks
    // from those, merged in order when they are sorted.
    const local: LogicalPlan = { kind: "limit", input: sort ? ({ ...sort, input: input.plan } satisfies Sort) : input.plan, offset: 0, count: plan.offset + plan.count };
    if (sort && mergeableOrder(sort)) return { plan: { ...plan, input: this.#cut({ plan: local, dist: input.dist }, { kind: "gather", order: sort.keys }).plan }, dist: SINGLE };
    return finish(this.#gather({ plan: local, dist: input.dist }).plan);
  }

  #set(plan: SetOperation): Fragment {
    let inputs = plan.inputs.map((i) => whole(this.#walk(i)));
    const rebuilt = (dist: Distribution): Fragment => ({ plan: { ...plan, inputs: inputs.map((i) => i.plan) }, dist });
    if (inputs.every((i) => i.dist.kind === "single")) return rebuilt(SINGLE);
    if (plan.op === "union_all") {
      if (inputs.some((i) => i.dist.kind === "single")) {
        inputs = inputs.map((i) => this.#gather(i));
        return rebuilt(SINGLE);
      }
      return rebuilt(SPREAD);
    }
    // Equal rows must meet: hash every input on all its columns, position by position.
    inputs = inputs.map((i) => this.#cut(i, { kind: "hash", keys: outputColumns(i.plan).map((c) => c.id) }));
    return rebuilt({ kind: "hashed", keys: plan.columns.map((c) => c.id) });
  }

  #gather(fragment: Fragment): Fragment {
    fragment = whole(fragment);
    return fragment.dist.kind === "single" ? fragment : this.#cut(fragment, { kind: "gather" });
  }

  /** Ends a stage with `fragment` and returns what its consumer reads: a scan of the exchange. */
  #cut(fragment: Fragment, output: PendingExchange, saltMerge?: SaltMergeSpec): Fragment {
    fragment = whole(fragment);
    invariant(fragment.dist.kind !== "replicated", "a broadcast side is read by its join, not cut again");
    const producer = this.#exchangeScans.get(fragment.plan);
    if (producer !== undefined && this.#stages[producer].output.kind === "forward" && !saltMerge) {
      // Nothing but a forwarded stage's output: that stage sends its rows here directly.
      this.#stages[producer].output = output;
      return this.#consumerSide(fragment, output);
    }
    const id = this.#stages.length;
    this.#stages.push({ id, root: fragment.plan, runsOn: fragment.dist.kind === "single" ? "coordinator" : "nodes", output, saltMerge });
    const scan = exchangeScan(exchangeTable(id), outputColumns(fragment.plan), estimateRows(fragment.plan));
    this.#exchangeScans.set(scan, id);
    // Rows forwarded to the reading stage stay where they are, but come from no chunks there.
    return this.#consumerSide({ plan: scan, dist: fragment.dist.kind === "spread" ? SPREAD : fragment.dist }, output);
  }

  /** How the rows of `exchange` (a scan of it, with the producer's distribution) lie at the consumer. */
  #consumerSide(exchange: Fragment, output: PendingExchange): Fragment {
    switch (output.kind) {
      case "hash":
        // Rows of a kept key are together, but not at their key's hash home.
        return { plan: exchange.plan, dist: output.local ? SPREAD : { kind: "hashed", keys: output.keys } };
      case "broadcast":
        return { plan: exchange.plan, dist: { kind: "replicated" } };
      case "gather":
        return { plan: exchange.plan, dist: SINGLE };
      case "forward":
        return exchange;
      case "result":
        throw new UnsupportedError("a result exchange inside a plan");
    }
  }

  /**
   * The tables a stage's plan reads by key range: those whose driver it scans (a scan cut off
   * from its join, in a plan walked again elsewhere, is an ordinary scan there). One also
   * scanned otherwise in the stage (a join of a table with itself) is read under a name of its
   * own, `table@rangeN`, with its own chunks.
   */
  #readsByRange(stageRoot: LogicalPlan): { root: LogicalPlan; references: RangeReference[] } {
    const scanned = new Map<string, number>();
    const candidates: Scan[] = [];
    const visit = (node: LogicalPlan) => {
      if (this.#exchangeScans.has(node)) return;
      if (node.kind === "scan") {
        const name = node.table.names.join(".");
        scanned.set(name, (scanned.get(name) ?? 0) + 1);
        if (this.#referenceScans.has(node)) candidates.push(node);
      }
      children(node).forEach(visit);
    };
    visit(stageRoot);
    const renamed = new Map<LogicalPlan, Scan>();
    const references = candidates
      .filter((scan) => scanned.has(this.#referenceScans.get(scan)!.driver))
      .map((scan) => {
        const reference = this.#referenceScans.get(scan)!;
        if (scanned.get(reference.table)! === 1) return reference;
        const names = [...scan.table.names.slice(0, -1), `${scan.table.names[scan.table.names.length - 1]}@range${renamed.size + 1}`];
        renamed.set(scan, { ...scan, table: { ...scan.table, names } });
        return { ...reference, table: names.join("."), source: reference.table };
      });
    const root = renamed.size === 0 ? stageRoot : transformUp(stageRoot, (node) => renamed.get(node) ?? node);
    return { root, references };
  }

  #emit(stage: PendingStage, resultNames: readonly string[] | undefined): Stage {
    const columns = outputColumns(stage.root);
    const names = resultNames ? [...resultNames] : columns.map((_, i) => `c${i}`);
    const indexOf = (id: ColumnId) => {
      const index = columns.findIndex((c) => c.id === id);
      invariant(index >= 0, `exchange key #${id} is not an output of stage ${stage.id}`);
      return index;
    };
    const { root, references } = this.#readsByRange(stage.root);
    const scans: string[][] = [];
    const everywhere: string[] = [];
    /** Scans of each table: a table read by key range is read once in its stage (the task's chunks are per table). */
    const scanCount = new Map<string, number>();
    const inputs: number[] = [];
    const visit = (node: LogicalPlan) => {
      const input = this.#exchangeScans.get(node);
      if (input !== undefined) inputs.push(input);
      else if (node.kind === "scan") {
        const name = node.table.names.join(".");
        scanCount.set(name, (scanCount.get(name) ?? 0) + 1);
        if (!scans.some((s) => s.join(".") === name)) {
          scans.push([...node.table.names]);
          if (this.#everywhere(node)) everywhere.push(name);
        }
      }
      children(node).forEach(visit);
    };
    visit(root);
    for (const reference of references) {
      invariant(scanCount.get(reference.table) === 1 && scanCount.get(reference.driver) === 1, `stage ${stage.id} reads ${reference.table} by key range and scans it or ${reference.driver} again`);
    }
    invariant(stage.runsOn === "nodes" || scans.length === everywhere.length, `coordinator stage ${stage.id} would scan tables not held everywhere`);
    let output: Exchange;
    const spec = stage.output;
    if (spec.kind === "hash") {
      const salting = spec.salting && { mode: spec.salting.mode, saltBy: spec.salting.saltBy === "any" ? ("any" as const) : spec.salting.saltBy.map(indexOf) };
      const local = spec.local && { column: indexOf(spec.local.id), table: spec.local.table, tableColumn: spec.local.column };
      output = { kind: "hash", keys: spec.keys.map(indexOf), ...(salting ? { salting } : {}), ...(local ? { local } : {}) };
    } else if (spec.kind === "gather" && spec.order) {
      const key = (k: SortKey): OrderKey => ({ column: indexOf((k.expr as ColumnRef).id), descending: k.descending, nullsFirst: k.nullsFirst, ...(isInterval(k.expr.type) ? { interval: true } : {}) });
      output = { kind: "gather", order: spec.order.map(key) };
    } else output = { kind: spec.kind };
    const emitted: Stage = {
      id: stage.id,
      plan: stagePlan(root, names),
      runsOn: stage.runsOn,
      scans,
      ...(everywhere.length > 0 ? { everywhere } : {}),
      ...(references.length > 0 ? { references } : {}),
      inputs,
      output,
      columns: names,
      types: columns.map((c) => toSubstraitType(c.type)),
      ...(stage.joinKeys ? { joinKeys: true } : {}),
    };
    const [input] = inputs;
    const producer = this.#stages[input];
    if (inputs.length === 1 && scans.length === 0 && stage.runsOn === "nodes" && producer.output.kind === "forward" && producer.saltMerge && producer.runsOn === "nodes") {
      const table = exchangeTable(input);
      const fused = transformUp(stage.root, (node) => (node.kind === "scan" && node.table.names.length === 1 && node.table.names[0] === table ? producer.root : node));
      emitted.fusedWithInput = stagePlan(fused, names);
    }
    if (stage.saltMerge) {
      const { aggregate, keys } = stage.saltMerge;
      invariant(stage.root === aggregate, `stage ${stage.id}'s salted rows are merged by the aggregate it ends with`);
      const merge = mergeAggregate(aggregate, stage.id);
      const saltedKey = keys ?? aggregate.groups.filter((g) => g.expr.kind === "column").map((g) => g.column.id);
      emitted.saltMerge = { plan: stagePlan(merge, names), keys: saltedKey.map(indexOf) };
    }
    return emitted;
  }
}

/** Rows every node holds, when all of them must be together: read on the coordinator. */
function whole(fragment: Fragment): Fragment {
  return fragment.dist.kind === "everywhere" ? { plan: fragment.plan, dist: SINGLE } : fragment;
}

/** Key types the coordinator's merge of sorted runs compares exactly as DuckDB sorts them (shuffle/merge.ts). */
const MERGEABLE_KEY_KINDS: ReadonlySet<TypeKind> = new Set(["boolean", "i8", "i16", "i32", "i64", "fp32", "fp64", "decimal", "string", "binary", "date", "time", "timestamp", "timestamp_tz", "timestamp_ns", "uuid", "interval_year", "interval_day", "interval_compound"]);

/** Whether the runs of `sort` sorted on several nodes can be merged: every key a column of a type the merge compares. */
function mergeableOrder(sort: Sort): boolean {
  return sort.keys.every((k) => k.expr.kind === "column" && MERGEABLE_KEY_KINDS.has(k.expr.type.kind));
}

/** A stage's plan: sent to the nodes that run it, so within what a decoder reads. */
function stagePlan(plan: LogicalPlan, names: readonly string[]): Plan {
  return decodable(emitPlan(plan, names));
}

/** A scan's rows: spread over the tasks its table's chunks are shared out to. */
function chunkedScan(scan: Scan): Distribution {
  const clustered = new Set(scan.table.clustered ?? []);
  const columns = new Map<ColumnId, string>();
  scan.columns.forEach((column, i) => {
    const name = scan.allColumns[scan.fieldIndexes[i]].name;
    if (clustered.has(name)) columns.set(column.id, name);
  });
  return { kind: "spread", chunked: { table: scan.table.names.join("."), scan, clustered: columns, referenced: [] } };
}

/** `dist` with only the clustered columns and salted-hash keys among `visible`. */
function keepColumns(dist: Distribution & { kind: "spread" }, visible: ReadonlySet<ColumnId>): Distribution {
  return renameSpread(dist, (id) => (visible.has(id) ? id : undefined));
}

/** A spread distribution's columns renamed by `rename` (undefined: the column is gone), dropping what no longer holds. */
function renameSpread(dist: Distribution & { kind: "spread" }, rename: (id: ColumnId) => ColumnId | undefined): Distribution {
  const renamed: Distribution & { kind: "spread" } = { kind: "spread" };
  if (dist.chunked) {
    const clustered = new Map<ColumnId, string>();
    for (const [id, name] of dist.chunked.clustered) {
      const to = rename(id);
      if (to !== undefined) clustered.set(to, name);
    }
    renamed.chunked = { ...dist.chunked, clustered };
  }
  const keys = (dist.hashedUnlessSalted?.keys ?? []).map((list) => list.map(rename)).filter((list): list is ColumnId[] => list.every((k) => k !== undefined));
  if (keys.length > 0) renamed.hashedUnlessSalted = { keys };
  return renamed;
}

function mapKeys(dist: Distribution, renamed: ReadonlyMap<ColumnId, ColumnId>): Distribution {
  if (dist.kind === "spread") return renameSpread(dist, (id) => renamed.get(id));
  if (dist.kind !== "hashed") return dist;
  const keys = dist.keys.map((k) => renamed.get(k));
  return keys.every((k) => k !== undefined) ? { kind: "hashed", keys: keys as ColumnId[] } : SPREAD;
}

function exchangeScan(table: string, columns: readonly ColumnDef[], rows: number): Scan {
  return {
    kind: "scan",
    table: {
      names: [table],
      schema: namedStruct(columns.map((c, i) => ({ ...c, name: `c${i}` }))),
      rowCount: Math.ceil(rows),
    },
    columns,
    fieldIndexes: columns.map((_, i) => i),
    filters: [],
    allColumns: columns,
  };
}

/** One row per distinct value of `input`'s columns among `used` (an aggregate of groups only, run where the rows are). */
function distinctOn(input: LogicalPlan, used: ReadonlySet<ColumnId>): LogicalPlan {
  const columns = outputColumns(input).filter((c) => used.has(c.id));
  if (columns.length === 0) return input;
  return { kind: "aggregate", input, groups: passedThrough(columns), measures: [], phase: "single" };
}

/** The same aggregate over duplicate-free input: each node first keeps one row per distinct (groups, arguments). */
function dropDuplicates(input: LogicalPlan, aggregate: Aggregate): LogicalPlan {
  const used = new Set<ColumnId>();
  for (const e of [...aggregate.groups.map((g) => g.expr), ...aggregate.measures.flatMap((m) => m.call.args)]) columnsOf(e, used);
  return distinctOn(input, used);
}

/**
 * The largest part of `plan` that outputs column `id`, holds every value of it that `plan` does
 * (inner and semi joins only drop rows), and is computed where its scan's chunks are: the scan,
 * its filters, and inner joins with small relations of scans (broadcast to it).
 */
function localKeySource(plan: LogicalPlan, id: ColumnId): LogicalPlan | undefined {
  const outputs = (p: LogicalPlan) => outputColumns(p).some((c) => c.id === id);
  switch (plan.kind) {
    case "scan":
      return outputs(plan) ? plan : undefined;
    case "filter": {
      const source = localKeySource(plan.input, id);
      return source === plan.input ? plan : source;
    }
    case "project": {
      // Only a column passed through under its own id: the part returned must output `id`.
      const output = plan.outputs.find((o) => o.column.id === id);
      return output?.expr.kind === "column" && output.expr.id === id ? localKeySource(plan.input, id) : undefined;
    }
    case "join": {
      if (plan.joinType === "semi" || plan.joinType === "anti") return localKeySource(plan.left, id);
      if (plan.joinType !== "inner") return undefined;
      const [holder, other] = outputs(plan.left) ? [plan.left, plan.right] : [plan.right, plan.left];
      const source = localKeySource(holder, id);
      const local = source === holder && estimateRows(other) <= KEY_SOURCE_SATELLITE_ROWS && isScanJoinTree(other) && outputs(plan);
      return local ? plan : source;
    }
    default:
      return undefined;
  }
}

/** One table's rows, filtered and projected. */
function plainScan(plan: LogicalPlan): boolean {
  return plan.kind === "scan" || ((plan.kind === "filter" || plan.kind === "project") && plainScan(plan.input));
}

/** Whether a plan of scans, filters, projections and joins may keep fewer rows than its scans hold. */
function dropsRows(plan: LogicalPlan): boolean {
  return plan.kind === "join" || plan.kind === "filter" || (plan.kind === "scan" && plan.filters.length > 0) || children(plan).some(dropsRows);
}

/** The right side of a semi or anti join, one row per distinct value of the columns its condition reads. */
function existenceRows(right: LogicalPlan, join: Join): LogicalPlan {
  return join.condition ? distinctOn(right, columnsOf(join.condition)) : right;
}

/**
 * The columns whose hash picks a salted row's share ("any": no two rows need to meet), or
 * undefined when the aggregate's partial results could not be merged: every measure must merge
 * by its final phase, and DISTINCT measures must share their arguments, whose equal values then
 * meet in one share.
 */
function aggregateSaltBy(aggregate: Aggregate): readonly ColumnId[] | "any" | undefined {
  if (!aggregate.measures.every((m) => MERGEABLE_AGGREGATES.has(m.call.fn))) return undefined;
  const distinct = aggregate.measures.filter((m) => m.call.distinct).map((m) => [...columnsOf({ kind: "call", fn: "tuple", args: m.call.args, type: m.call.type } as Expr)].sort());
  if (distinct.length === 0) return "any";
  const first = distinct[0].join(",");
  return distinct.every((d) => d.join(",") === first) ? distinct[0] : undefined;
}

/** Merges partial rows of one group (the aggregate's own output) into one: each measure by its final phase. */
function mergeAggregate(aggregate: Aggregate, stageId: number): Aggregate {
  const columns = outputColumns(aggregate);
  const merged = (call: AggregateCall, column: ColumnDef): AggregateCall => ({
    fn: call.fn,
    args: [columnRef(column)],
    distinct: false,
    type: call.type,
    implementationArgs: call.implementationArgs ?? call.args.map((a) => a.type),
  });
  return {
    kind: "aggregate",
    input: exchangeScan(saltMergeTable(stageId), columns, 1),
    groups: aggregate.groups.map((g) => ({ column: g.column, expr: columnRef(g.column) })),
    measures: aggregate.measures.map((m) => ({ column: m.column, call: merged(m.call, m.column) })),
    phase: "final",
  };
}

interface KeyPair {
  left: ColumnId;
  right: ColumnId;
  /** The conjunct of the join condition that pairs them. */
  condition: Expr;
}

/** Conjuncts `left column = right column` of a join condition (through casts that keep a key's hash). */
function equiPairs(join: Join): KeyPair[] {
  const leftColumns = new Set(outputColumns(join.left).map((c) => c.id));
  const rightColumns = new Set(outputColumns(join.right).map((c) => c.id));
  const pairs: KeyPair[] = [];
  for (const c of conjuncts(join.condition)) {
    if (c.kind !== "call" || (c.fn !== "equal" && c.fn !== "is_not_distinct_from") || c.args.length !== 2) continue;
    const a = keyColumn(c.args[0]);
    const b = keyColumn(c.args[1]);
    if (a === undefined || b === undefined) continue;
    if (leftColumns.has(a) && rightColumns.has(b)) pairs.push({ left: a, right: b, condition: c });
    else if (leftColumns.has(b) && rightColumns.has(a)) pairs.push({ left: b, right: a, condition: c });
  }
  return pairs;
}

/** The column an expression reads when the expression's value hashes as the column's does (see shuffle's key hash). */
function keyColumn(e: Expr): ColumnId | undefined {
  if (e.kind === "column") return e.id;
  if (e.kind === "cast" && e.input.kind === "column" && castKeepsHash(e.input.type, e.type)) return e.input.id;
  return undefined;
}

function castKeepsHash(from: SqlType, to: SqlType): boolean {
  if (isInteger(from)) return isInteger(to) || to.kind === "decimal";
  if (from.kind === "decimal" && to.kind === "decimal") return (to.scale ?? 0) >= (from.scale ?? 0) && (to.precision ?? 0) - (to.scale ?? 0) >= (from.precision ?? 0) - (from.scale ?? 0);
  return from.kind === to.kind && from.kind === "string";
}

/**
 * A filter's uncorrelated [NOT] EXISTS, which one engine checks once, becomes a semi (anti)
 * join on TRUE with the subquery: the subquery's rows then reach the filter's rows through an
 * exchange like any other join side (broadcast, as a join without keys).
 */
function uncorrelatedExistsAsJoin(plan: LogicalPlan): LogicalPlan {
  if (plan.kind !== "filter") return plan;
  let input = plan.input;
  const kept: Expr[] = [];
  for (const c of conjuncts(plan.predicate)) {
    const negated = c.kind === "call" && c.fn === "not";
    const inner = negated ? (c as { args: readonly Expr[] }).args[0] : c;
    if (inner.kind === "subquery" && inner.op === "exists" && freeColumns(inner.plan).size === 0) {
      input = { kind: "join", joinType: negated ? "anti" : "semi", left: input, right: inner.plan, condition: { kind: "literal", value: true, type: { kind: "boolean", nullable: false } } };
    } else kept.push(c);
  }
  if (input === plan.input) return plan;
  return kept.length > 0 ? { ...plan, input, predicate: makeAnd(kept)! } : input;
}

function assertNoSubqueries(plan: LogicalPlan): void {
  if (nodeExpressions(plan).some(containsSubquery)) throw new UnsupportedError("a subquery the planner did not turn into a join, in a distributed plan");
  children(plan).forEach(assertNoSubqueries);
}
