// Splitting a batch by key into one batch per destination node. A row goes to the member nearest
// its key's hash; a row of a salted key goes to one of the key's salt targets, chosen by the
// hash of its `saltBy` columns or in turn when any will do ("spread"), or to all of them
// ("replicate": the other side of a join, whose rows must meet every share of the spread side).
import * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import { hashRows, isValid, type RowHashes } from "./key-hash.ts";
import type { Router } from "./placement.ts";
import type { SaltMap } from "./salt-map.ts";
import { takeRows } from "./take.ts";

export interface PartitionSpec {
  /** Column indexes of the key. */
  keys: readonly number[];
  /**
   * Column indexes whose hash picks a spread row's salt (rows equal on them meet on one node), or
   * "any" when no rows need to meet: they are dealt over the targets in turn, with no hashing.
   */
  saltBy: readonly number[] | "any";
  /** What rows of a salted key do. */
  mode: "spread" | "replicate";
  /** Column indexes holding intervals (as DuckDB's text of them: hashed by the interval, not the text). */
  intervals?: number[];
}

/** The hashes of each row's values in `columns`; those in `intervals` are intervals. */
export function keyHashes(batch: arrow.RecordBatch, columns: readonly number[], intervals: readonly number[] = []): RowHashes {
  return hashRows(
    columns.map((c) => {
      const column = batch.getChildAt(c);
      invariant(column, `no column ${c} in a batch of ${batch.numCols}`);
      return column;
    }),
    batch.numRows,
    columns.flatMap((c, position) => (intervals.includes(c) ? [position] : [])),
  );
}

/**
 * Keys that stay on the node that made their rows (no other node's task makes rows of them):
 * those whose integer or date column `column` lies in one of `ranges` (inclusive, ordered,
 * disjoint; decimal text of the values, days for dates).
 */
export interface KeptKeys {
  column: number;
  ranges: [string, string][];
}

/**
 * Whether `ranges` (from a peer) are at most `limit` inclusive pairs of integers as decimal text,
 * each ordered and after the one before: the key ranges tasks and routes carry.
 */
export function isKeyRangeList(ranges: unknown, limit: number): ranges is [string, string][] {
  if (!Array.isArray(ranges) || ranges.length > limit) return false;
  let last: bigint | undefined;
  for (const range of ranges) {
    if (!Array.isArray(range) || range.length !== 2 || !range.every((bound) => typeof bound === "string" && /^-?\d{1,20}$/.test(bound))) return false;
    const [min, max] = range.map(BigInt);
    if (min > max || (last !== undefined && min <= last)) return false;
    last = max;
  }
  return true;
}

/**
 * What marks the rows of a batch whose key `keep` keeps (1) or not (0); a NULL is not kept. The
 * ranges are read once, for every batch of a task's output.
 */
export function keptRowsOf(keep: KeptKeys): (batch: arrow.RecordBatch) => Uint8Array {
  // Bounds within ±2^53 compare exactly as doubles, and so does any value (one beyond them rounds to beyond every bound).
  const exact = keep.ranges.every(([min, max]) => Number.isSafeInteger(Number(min)) && Number.isSafeInteger(Number(max)));
  const mins = keep.ranges.map(([min]) => Number(min));
  const maxes = keep.ranges.map(([, max]) => Number(max));
  const bigMins = keep.ranges.map(([min]) => BigInt(min));
  const bigMaxes = keep.ranges.map(([, max]) => BigInt(max));
  const inRange = (value: number) => {
    let low = 0;
    let high = maxes.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (maxes[mid] < value) low = mid + 1;
      else high = mid;
    }
    return low < mins.length && mins[low] <= value;
  };
  const inBigRange = (value: bigint) => bigMins.some((min, i) => min <= value && value <= bigMaxes[i]);
  return (batch) => {
    const kept = new Uint8Array(batch.numRows);
    const column = batch.getChildAt(keep.column);
    invariant(column, `no column ${keep.column} in a batch of ${batch.numCols}`);
    let row = 0;
    for (const data of column.data) {
      const type = data.type as arrow.DataType;
      if (type.typeId === arrow.Type.Int && (type as arrow.Int).bitWidth === 64) {
        const typed = data.values as BigInt64Array;
        const words = new Int32Array(typed.buffer, typed.byteOffset, typed.length * 2);
        for (let i = 0; i < data.length; i++) {
          if (!isValid(data, i)) continue;
          kept[row + i] = (exact ? inRange(words[2 * i + 1] * 4294967296 + (words[2 * i] >>> 0)) : inBigRange(typed[i])) ? 1 : 0;
        }
      } else if (type.typeId === arrow.Type.Int || type.typeId === arrow.Type.Date) {
        const values = data.values as ArrayLike<number>;
        const millis = type.typeId === arrow.Type.Date && (type as arrow.Date_).unit === arrow.DateUnit.MILLISECOND;
        for (let i = 0; i < data.length; i++) {
          if (!isValid(data, i)) continue;
          const value = millis ? Math.floor(Number(values[i]) / 86_400_000) : Number(values[i]);
          kept[row + i] = (exact ? inRange(value) : inBigRange(BigInt(value))) ? 1 : 0;
        }
      } else invariant(false, `kept keys of a column of type ${type}`);
      row += data.length;
    }
    return kept;
  };
}

/**
 * The member indexes each row goes to, as lists of row indexes per member. `hashes` are the
 * rows' key hashes when the caller already has them; rows `stay.rows` marks go to `stay.member`.
 */
export function routeRows(
  batch: arrow.RecordBatch,
  spec: PartitionSpec,
  router: Router,
  salts: SaltMap,
  hashes = keyHashes(batch, spec.keys, spec.intervals),
  stay?: { member: number; rows: Uint8Array },
): Uint32Array[] {
  const members = router.members.length;
  const rows = batch.numRows;
  const destination = new Int32Array(rows);
  const counts = new Uint32Array(members);
  // Hashed once a row of a salted key needs them.
  let saltHashes: RowHashes | undefined;
  for (let row = 0; row < rows; row++) {
    if (stay?.rows[row]) {
      destination[row] = stay.member;
      counts[stay.member]++;
      continue;
    }
    const high = hashes.high[row];
    const low = hashes.low[row];
    const k = salts.salts(high, low);
    if (k === 1) destination[row] = router.home(high, low);
    else if (spec.mode === "spread") {
      if (spec.saltBy === "any") destination[row] = router.targets(high, low, k)[salts.deal(k)];
      else destination[row] = router.targets(high, low, k)[(saltHashes ??= keyHashes(batch, spec.saltBy, spec.intervals)).low[row] % k];
    } else {
      destination[row] = -1;
      for (const target of router.targets(high, low, k)) counts[target]++;
      continue;
    }
    counts[destination[row]]++;
  }
  const lists = Array.from(counts, (n) => new Uint32Array(n));
  const filled = new Uint32Array(members);
  for (let row = 0; row < rows; row++) {
    const to = destination[row];
    if (to >= 0) lists[to][filled[to]++] = row;
    else for (const target of router.targets(hashes.high[row], hashes.low[row], salts.salts(hashes.high[row], hashes.low[row]))) lists[target][filled[target]++] = row;
  }
  return lists;
}

/** One batch per member (undefined where no row goes), rows in their original order. */
export function partitionBatch(batch: arrow.RecordBatch, spec: PartitionSpec, router: Router, salts: SaltMap): (arrow.RecordBatch | undefined)[] {
  return routeRows(batch, spec, router, salts).map((rows) => (rows.length > 0 ? takeRows(batch, rows) : undefined));
}
