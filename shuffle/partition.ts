// Splitting a batch by key into one batch per destination node. A row goes to the member nearest
// its key's hash; a row of a salted key goes to one of the key's salt targets, chosen by the
// hash of its `saltBy` columns ("spread"), or to all of them ("replicate": the other side of a
// join, whose rows must meet every share of the spread side).
import type * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import { hashRows, type RowHashes } from "./key-hash.ts";
import type { Router } from "./placement.ts";
import type { SaltMap } from "./salt-map.ts";
import { takeRows } from "./take.ts";

export interface PartitionSpec {
  /** Column indexes of the key. */
  keys: readonly number[];
  /** Column indexes whose hash picks a spread row's salt (rows equal on them meet on one node). */
  saltBy: readonly number[];
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
 * The member indexes each row goes to, as lists of row indexes per member. `hashes` are the
 * rows' key hashes when the caller already has them.
 */
export function routeRows(batch: arrow.RecordBatch, spec: PartitionSpec, router: Router, salts: SaltMap, hashes = keyHashes(batch, spec.keys, spec.intervals)): Uint32Array[] {
  const members = router.members.length;
  const rows = batch.numRows;
  const destination = new Int32Array(rows);
  const counts = new Uint32Array(members);
  const saltHashes = salts.size > 0 ? keyHashes(batch, spec.saltBy, spec.intervals) : undefined;
  for (let row = 0; row < rows; row++) {
    const high = hashes.high[row];
    const low = hashes.low[row];
    const k = saltHashes ? salts.salts(high, low) : 1;
    if (k === 1) destination[row] = router.home(high, low);
    else if (spec.mode === "spread") destination[row] = router.targets(high, low, k)[saltHashes!.low[row] % k];
    else {
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
