// Row estimates for join ordering. Catalog row counts when a table has one, a fixed guess
// otherwise; textbook selectivities per conjunct; the distinct keys of a column are taken to
// be the row count of the table it comes from (keys of a dimension are its rows), or fewer
// where an integer column's range is narrower.
import type { ColumnId, Expr, LogicalPlan } from "../logical.ts";
import { children, columnEquality, conjuncts, outputColumns } from "../plan-utils.ts";
import { isInteger } from "../types.ts";

/** Rows assumed for a table whose catalog entry has no row count. */
export const UNKNOWN_TABLE_ROWS = 1_000_000;

export function selectivity(p: Expr): number {
  if (p.kind === "call") {
    switch (p.fn) {
      case "equal":
        return 0.1;
      case "like":
        return 0.25;
      case "lt":
      case "lte":
      case "gt":
      case "gte":
        return 0.4;
      case "or":
        return Math.min(1, p.args.reduce((s, a) => s + selectivity(a), 0));
      case "and":
        return p.args.reduce((s, a) => s * selectivity(a), 1);
      case "not":
        return 1 - selectivity(p.args[0]);
    }
  }
  if (p.kind === "in_list") return Math.min(1, 0.1 * p.list.length);
  return 0.5;
}

/** The least share of rows a range predicate is taken to keep: statistics are of whole tables, and skew hides in them. */
const MIN_RANGE_SELECTIVITY = 0.001;

/** A conjunct `column op literal` (either way round) as a bound on the column, in the column's number domain. */
function rangeBound(p: Expr): { column: ColumnId; low?: number; high?: number } | undefined {
  if (p.kind !== "call" || p.args.length !== 2 || !["lt", "lte", "gt", "gte"].includes(p.fn)) return undefined;
  let [a, b] = p.args;
  let fn = p.fn;
  if (a.kind === "literal" && b.kind === "column") {
    [a, b] = [b, a];
    fn = { lt: "gt", lte: "gte", gt: "lt", gte: "lte" }[fn]!;
  }
  if (a.kind !== "column" || b.kind !== "literal") return undefined;
  const value = literalNumber(b);
  if (value === undefined) return undefined;
  return fn === "gt" || fn === "gte" ? { column: a.id, low: value } : { column: a.id, high: value };
}

/** A literal's value as a number comparable with a ColumnRange: dates as days, decimals scaled. */
function literalNumber(e: Extract<Expr, { kind: "literal" }>): number | undefined {
  const { value, type } = e;
  if (typeof value !== "number" && typeof value !== "bigint" && typeof value !== "string") return undefined;
  switch (type.kind) {
    case "date":
      return Number(value);
    case "decimal":
      return Number(value) / 10 ** (type.scale ?? 0);
    case "i8":
    case "i16":
    case "i32":
    case "i64":
    case "fp32":
    case "fp64":
      return Number(value);
    default:
      return undefined;
  }
}

/**
 * The share of a table's rows its scan's filters keep. Range conjuncts on a column whose range
 * the catalog knows are combined (a BETWEEN is one interval, not two independent halves) and
 * taken as the interval's share of the range; the rest get textbook selectivities.
 */
function scanSelectivity(scan: Extract<LogicalPlan, { kind: "scan" }>): number {
  const ranges = scan.table.columnRanges;
  const intervals = new Map<ColumnId, { low: number; high: number }>();
  let share = 1;
  for (const conjunct of scan.filters.flatMap((f) => conjuncts(f))) {
    const bound = ranges && rangeBound(conjunct);
    const name = bound && scan.allColumns.find((c) => c.id === bound.column)?.name;
    if (!bound || name === undefined || !ranges[name]) {
      share *= selectivity(conjunct);
      continue;
    }
    const interval = intervals.get(bound.column) ?? { low: -Infinity, high: Infinity };
    if (bound.low !== undefined) interval.low = Math.max(interval.low, bound.low);
    if (bound.high !== undefined) interval.high = Math.min(interval.high, bound.high);
    intervals.set(bound.column, interval);
  }
  for (const [column, { low, high }] of intervals) {
    const { min, max } = ranges![scan.allColumns.find((c) => c.id === column)!.name];
    const width = max - min;
    const kept = width > 0 ? (Math.min(high, max) - Math.max(low, min)) / width : low <= min && high >= max ? 1 : 0;
    share *= Math.min(1, Math.max(MIN_RANGE_SELECTIVITY, kept));
  }
  return share;
}

/** Bytes a text or binary value is taken to hold: nothing tells its length before the rows exist. */
const ASSUMED_TEXT_BYTES = 24;

/** Estimated bytes of one output row of `plan`, from its columns' types. */
export function estimateRowBytes(plan: LogicalPlan): number {
  let bytes = 0;
  for (const column of outputColumns(plan)) {
    switch (column.type.kind) {
      case "boolean":
      case "i8":
        bytes += 1;
        break;
      case "i16":
        bytes += 2;
        break;
      case "i32":
      case "fp32":
      case "date":
        bytes += 4;
        break;
      case "string":
      case "binary":
        bytes += ASSUMED_TEXT_BYTES;
        break;
      case "decimal":
      case "interval_day":
      case "interval_year":
      case "interval_compound":
        bytes += 16;
        break;
      default:
        bytes += 8;
    }
  }
  return Math.max(1, bytes);
}

/** Values a list is taken to hold when estimating an unnest's rows. */
const LIST_VALUES_GUESS = 4;

/** Rounds a recursion is taken to run when estimating its rows (it runs until a round adds none). */
const RECURSION_ROUNDS_GUESS = 10;

export function estimateRows(plan: LogicalPlan): number {
  switch (plan.kind) {
    case "scan":
      return (plan.table.rowCount ?? UNKNOWN_TABLE_ROWS) * scanSelectivity(plan);
    case "values":
      return plan.rows.length;
    case "filter":
      return estimateRows(plan.input) * conjuncts(plan.predicate).reduce((s, f) => s * selectivity(f), 1);
    case "project":
    case "sort":
    case "window":
      return estimateRows(plan.input);
    case "limit":
      return Math.min(plan.count ?? Infinity, estimateRows(plan.input));
    case "aggregate":
      if (plan.groups.length === 0) return 1;
      // A final phase merges its partial phase's groups: as many as those, not a tenth of them again.
      if (plan.phase === "final" && plan.input.kind === "aggregate" && plan.input.phase === "partial") return estimateRows(plan.input);
      return Math.max(1, estimateRows(plan.input) * 0.1);
    case "set":
      return plan.inputs.reduce((s, i) => s + estimateRows(i), 0);
    case "working_table":
      // What one round adds is unknown until it runs.
      return UNKNOWN_TABLE_ROWS;
    case "recursive":
      return estimateRows(plan.anchor) + RECURSION_ROUNDS_GUESS * estimateRows(plan.step);
    case "unnest":
      return estimateRows(plan.input) * LIST_VALUES_GUESS;
    case "join": {
      const l = estimateRows(plan.left);
      const r = estimateRows(plan.right);
      switch (plan.joinType) {
        case "semi":
        case "anti":
          return l * 0.5;
        case "left":
          return l;
        case "right":
          return r;
        default: {
          if (!plan.condition) return l * r;
          // Equal to the one row of the other side (a scalar aggregate's): the rows holding that one value.
          const [one, many] = r <= 1 ? [plan.right, plan.left] : l <= 1 ? [plan.left, plan.right] : [];
          if (one && many) return Math.max(1, Math.min(l, r) * matchingOne(plan.condition, one, many));
          return equiJoinRows(plan.condition, plan.left, plan.right, l, r) ?? Math.max(l, r);
        }
      }
    }
  }
}

/**
 * An equi-join's rows by the key's distinct values on each side: |L| × |R| / max(ndv(L.k), ndv(R.k)),
 * a side's distinct keys being at most its rows and at most either table's (a foreign key's
 * values are among the keys it refers to); of several equalities, the fewest rows any gives.
 * The larger side's rows, the estimate before, ignored a filter on the referred side: TPC-H
 * Q10's lineitem rows of one quarter's orders came to every returned lineitem (600,000 where
 * 115,000 join; this gives 57,000), so the wide customer rows moved to meet them.
 */
function equiJoinRows(condition: Expr, left: LogicalPlan, right: LogicalPlan, l: number, r: number): number | undefined {
  const leftIds = new Set(outputColumns(left).map((c) => c.id));
  let best: number | undefined;
  for (const conjunct of conjuncts(condition)) {
    const pair = columnEquality(conjunct);
    if (!pair) continue;
    const [a, b] = leftIds.has(pair[0].id) ? pair : [pair[1], pair[0]];
    if (!leftIds.has(a.id) || leftIds.has(b.id)) continue;
    const baseL = keyDistinctValues(a, [left]);
    const baseR = keyDistinctValues(b, [right]);
    const ndvL = Math.min(l, baseL, baseR);
    const ndvR = Math.min(r, baseR, baseL);
    const rows = (l * r) / Math.max(ndvL, ndvR, 1);
    best = best === undefined ? rows : Math.min(best, rows);
  }
  return best === undefined ? undefined : Math.max(1, best);
}

/**
 * Rows of `many` an equality with the one row of `one` keeps: those holding one value of the key,
 * its rows over its distinct values (every row when no conjunct is such an equality).
 */
function matchingOne(condition: Expr, one: LogicalPlan, many: LogicalPlan): number {
  const fromOne = new Set(outputColumns(one).map((c) => c.id));
  let rows = estimateRows(many);
  for (const conjunct of conjuncts(condition)) {
    const pair = columnEquality(conjunct);
    const key = pair && (fromOne.has(pair[0].id) ? pair[1] : fromOne.has(pair[1].id) ? pair[0] : undefined);
    if (key && !fromOne.has(key.id)) rows = Math.min(rows, estimateRows(many) / keyDistinctValues(key, [many]));
  }
  return rows;
}

/** Distinct values of a join key: the unfiltered rows of the table its column comes from. */
export function keyDistinctValues(e: Expr, relations: LogicalPlan[]): number {
  if (e.kind === "cast") return keyDistinctValues(e.input, relations);
  if (e.kind !== "column") return UNKNOWN_TABLE_ROWS;
  for (const r of relations) {
    const source = baseRows(r, e.id);
    if (source !== undefined) return source;
  }
  return UNKNOWN_TABLE_ROWS;
}

function baseRows(plan: LogicalPlan, id: ColumnId): number | undefined {
  if (plan.kind === "scan") {
    const column = plan.columns.find((c) => c.id === id);
    if (!column) return undefined;
    const rows = plan.table.rowCount ?? UNKNOWN_TABLE_ROWS;
    // An integer column holds at most as many values as its range spans: a nation key of 0..24
    // in a table of 150,000 rows has 25, and a join on it multiplies rather than matches.
    const range = isInteger(column.type) ? plan.table.columnRanges?.[column.name] : undefined;
    return range ? Math.max(1, Math.min(rows, range.max - range.min + 1)) : rows;
  }
  if (plan.kind === "aggregate" && plan.groups.some((g) => g.column.id === id && g.expr.kind !== "column")) return estimateRows(plan);
  if (!outputColumns(plan).some((c) => c.id === id) && plan.kind !== "join") return undefined;
  for (const k of children(plan)) {
    const r = baseRows(k, id);
    if (r !== undefined) return r;
  }
  return outputColumns(plan).some((c) => c.id === id) ? estimateRows(plan) : undefined;
}
