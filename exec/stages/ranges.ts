// Reading a table by key range (planner/fragment/stages.ts, RangeReference): a task reads the
// chunks whose range of the join key meets the range of the other table's key in one of its own
// chunks, and of those only the rows with a key in one of those ranges. A join on the keys needs
// no other row: a key outside every range meets none of the task's rows. Keys are integers and
// dates (days), compared exactly as bigints.
import { partitionPoint } from "../../common/search.ts";
import { invariant } from "../../common/errors.ts";
import { chunkKeyRange, type KeyRange } from "../../planner/catalog.ts";
import type { Type } from "../../proto/index.ts";
import type { KeyRanges } from "../key-ranges.ts";
import type { ChunkStats } from "./reads.ts";

/** The keys a task's chunks may hold: sorted, disjoint ranges, or "all" when a chunk's statistics do not say. */
export type KeyCover = readonly KeyRange[] | "all";

/** Ranges one task's read carries at most: more are joined over their smallest gaps (a wider read, never a narrower one). */
export const MAX_KEY_RANGES = 256;

/** The ranges of `column` over `chunks`, merged; chunks whose values are all NULL add none. */
export function keyCover(chunks: readonly ChunkStats[], type: Type | undefined, column: string): KeyCover {
  const ranges: KeyRange[] = [];
  for (const chunk of chunks) {
    const range = chunkKeyRange(type, chunk.stats[column], chunk.rows);
    if (range === "unknown") return "all";
    if (range) ranges.push(range);
  }
  return merged(ranges);
}

/** Orders key ranges by their first key. */
function byStart(a: KeyRange, b: KeyRange): number {
  return a.min < b.min ? -1 : a.min > b.min ? 1 : 0;
}

/** `ranges` as sorted, disjoint ranges holding the same keys. */
function merged(ranges: readonly KeyRange[]): KeyRange[] {
  const sorted = [...ranges].sort(byStart);
  const result: KeyRange[] = [];
  for (const range of sorted) {
    const last = result[result.length - 1];
    // Keys are integers: [1, 5] and [6, 9] leave nothing between them.
    if (last && range.min <= last.max + 1n) last.max = range.max > last.max ? range.max : last.max;
    else result.push({ ...range });
  }
  return result;
}

/** Whether no key is in two of `covers` (each a task's, its ranges sorted and disjoint, see keyCover). */
export function coversDisjoint(covers: readonly KeyCover[]): boolean {
  if (covers.some((c) => c === "all")) return false;
  const ranges = (covers as readonly (readonly KeyRange[])[]).flat().sort(byStart);
  // One cover's ranges never meet each other: a range starting at or before an earlier one's end is another cover's.
  for (let i = 1, end = ranges[0]?.max; i < ranges.length; i++) {
    if (ranges[i].min <= end!) return false;
    if (ranges[i].max > end!) end = ranges[i].max;
  }
  return true;
}

/**
 * The keys `own` holds and none of `others` does: at most `limit` ranges, the widest (a key left
 * out is sent by hash, never wrongly taken as one no other task makes).
 */
export function keysOnlyIn(own: KeyCover, others: readonly KeyCover[], limit = MAX_KEY_RANGES): KeyRange[] {
  if (own === "all" || others.some((o) => o === "all")) return [];
  const taken = merged((others as readonly (readonly KeyRange[])[]).flat());
  const result: KeyRange[] = [];
  let first = 0;
  for (const range of own) {
    while (first < taken.length && taken[first].max < range.min) first++;
    let start = range.min;
    for (let t = first; start <= range.max; t++) {
      if (t >= taken.length || taken[t].min > range.max) {
        result.push({ min: start, max: range.max });
        break;
      }
      if (taken[t].min > start) result.push({ min: start, max: taken[t].min - 1n });
      if (taken[t].max >= start) start = taken[t].max + 1n;
    }
  }
  if (result.length <= limit) return result;
  const widest = [...result].sort((a, b) => (b.max - b.min > a.max - a.min ? 1 : b.max - b.min < a.max - a.min ? -1 : 0)).slice(0, limit);
  return widest.sort(byStart);
}

/** The chunks whose range of `column` meets `cover`. */
export function chunksMeeting<T extends ChunkStats>(chunks: readonly T[], type: Type | undefined, column: string, cover: KeyCover): T[] {
  return chunks.filter((chunk) => {
    const range = chunkKeyRange(type, chunk.stats[column], chunk.rows);
    if (range === null) return false;
    if (cover === "all") return true;
    if (range === "unknown") return cover.length > 0;
    // The first range of the cover ending at or after this one's start meets it if it starts by this one's end.
    const first = firstEndingFrom(cover, range.min);
    return first < cover.length && cover[first].min <= range.max;
  });
}

/**
 * How a task reads `chunks` by the key ranges `within`: the chunks whose rows a filter must
 * narrow, each with the ranges it meets (first and last index into the returned ranges, those
 * some such chunk meets). A chunk whose keys all lie in one range, none NULL, is read whole:
 * every row of it passes. Narrowing each chunk by its own ranges, not all of them, keeps the
 * filter one BETWEEN that DuckDB pushes into the scan: an OR of a dozen is evaluated on every
 * row, five times a plain scan's cost (a clustered table's own chunks, read again by the ranges
 * they make, pass whole; their neighbours share a boundary key with them). Every chunk meets a
 * range (chunksMeeting).
 */
export function narrowedChunks<T extends ChunkStats>(chunks: readonly T[], type: Type | undefined, within: KeyRanges): { within: KeyRanges; narrowed: { chunk: T; ranges: [number, number] }[] } {
  const ranges = within.ranges.map(([min, max]) => ({ min: BigInt(min), max: BigInt(max) }));
  const spans: { chunk: T; first: number; last: number }[] = [];
  for (const chunk of chunks) {
    const range = chunkKeyRange(type, chunk.stats[within.column], chunk.rows);
    const known = range !== null && range !== "unknown";
    const first = known ? firstEndingFrom(ranges, range.min) : 0;
    invariant(first < ranges.length && (!known || ranges[first].min <= range.max), "a chunk read by key range meets one of the ranges");
    if (!known) {
      spans.push({ chunk, first: 0, last: ranges.length - 1 });
      continue;
    }
    let last = first;
    while (last + 1 < ranges.length && ranges[last + 1].min <= range.max) last++;
    const inOne = first === last && ranges[first].min <= range.min && range.max <= ranges[first].max;
    if (!(inOne && chunk.stats[within.column].nullCount === 0)) spans.push({ chunk, first, last });
  }
  // Only the ranges a narrowed chunk meets travel, renumbered.
  const met = new Set(spans.flatMap(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i)));
  const renumbered = new Map([...met].sort((a, b) => a - b).map((old, i) => [old, i]));
  return {
    within: { column: within.column, ranges: within.ranges.filter((_, i) => met.has(i)) },
    narrowed: spans.map(({ chunk, first, last }) => ({ chunk, ranges: [renumbered.get(first)!, renumbered.get(last)!] })),
  };
}

/** The first of sorted, disjoint `ranges` that ends at or after `key` (their length when none does). */
function firstEndingFrom(ranges: readonly KeyRange[], key: bigint): number {
  return partitionPoint(ranges.length, (i) => ranges[i].max < key);
}

/** The rows of `column` a task reads for `cover`: at most `limit` ranges (joined over the smallest gaps), or undefined for all. */
export function keyRanges(column: string, cover: KeyCover, limit = MAX_KEY_RANGES): KeyRanges | undefined {
  if (cover === "all") return undefined;
  let ranges = [...cover];
  if (ranges.length > limit) {
    // Close the smallest gaps until `limit` ranges are left.
    const gaps = ranges.slice(1).map((r, i) => ({ at: i, size: r.min - ranges[i].max }));
    gaps.sort((a, b) => (a.size < b.size ? -1 : a.size > b.size ? 1 : a.at - b.at));
    const closed = new Set(gaps.slice(0, ranges.length - limit).map((g) => g.at));
    const joined: KeyRange[] = [];
    ranges.forEach((r, i) => {
      if (i > 0 && closed.has(i - 1)) joined[joined.length - 1] = { min: joined[joined.length - 1].min, max: r.max };
      else joined.push(r);
    });
    ranges = joined;
  }
  return { column, ranges: ranges.map((r) => [String(r.min), String(r.max)]) };
}
