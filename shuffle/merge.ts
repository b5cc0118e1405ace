// The coordinator's half of ORDER BY: each node sorted its rows, and the sorted runs are merged
// here into one order, compared exactly as DuckDB sorts (NULLs where the key says whatever the
// direction, NaN above every other float, -0 equal to 0, text and blobs byte by byte). A run
// that is not itself in order is a node's wrong answer: the merge names it rather than give rows
// out of order.
import * as arrow from "apache-arrow";
import { UnsupportedError, invariant } from "../common/errors.ts";
import { normalizeInterval, parseIntervalText } from "../common/interval.ts";
import type { OrderKey } from "../planner/fragment/index.ts";
import { EXCHANGE_BATCH_ROWS } from "./host.ts";
import { concatBatches, takeRows } from "./take.ts";

/** Negative when row `a` comes before row `b`, positive when after, 0 when their keys are equal. */
type RowOrder = (a: number, b: number) => number;

/** A run given to mergeSortedRuns was not in the order it should have been sorted in. */
export class UnsortedRunError extends Error {
  /** The run's index. */
  readonly run: number;
  constructor(run: number, row: number) {
    super(`run ${run} is out of order at its row ${row}`);
    this.name = "UnsortedRunError";
    this.run = run;
  }
}

/**
 * Rows merged (or taken) between turns the merge gives the event loop: millions of rows take
 * seconds, in which a coordinator must still answer its peers and take part in the ledger.
 */
const ROWS_BETWEEN_TURNS = 1 << 16;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The rows of `runs` (each a list of batches of one schema, sorted by `order`) in that order, in
 * batches of at most `batchRows`. Rows whose keys are equal come in run order. Rejects with
 * UnsortedRunError when a run is not sorted.
 */
export async function mergeSortedRuns(runs: readonly (readonly arrow.RecordBatch[])[], order: readonly OrderKey[], batchRows = EXCHANGE_BATCH_ROWS): Promise<arrow.RecordBatch[]> {
  invariant(order.length > 0 && batchRows > 0, "a merge needs keys and a batch size");
  const batches = runs.map((run) => run.filter((b) => b.numRows > 0));
  if (batches.every((run) => run.length === 0)) return [];
  // The runs end to end: rows of run r are [starts[r], starts[r + 1]).
  const whole = concatBatches(batches.flat());
  const starts = new Uint32Array(runs.length + 1);
  batches.forEach((run, r) => (starts[r + 1] = starts[r] + run.reduce((n, b) => n + b.numRows, 0)));
  const compare = rowOrder(whole, order);
  const heads = starts.slice(0, runs.length);
  const before = (r: number, s: number) => {
    const c = compare(heads[r], heads[s]);
    return c < 0 || (c === 0 && r < s);
  };
  // A binary heap of the runs with rows left, the run whose next row comes first on top.
  const heap: number[] = [];
  const siftDown = (at: number) => {
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) return;
      const child = left + 1 < heap.length && before(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!before(heap[child], heap[at])) return;
      [heap[at], heap[child]] = [heap[child], heap[at]];
      at = child;
    }
  };
  for (let r = 0; r < runs.length; r++) if (starts[r + 1] > starts[r]) heap.push(r);
  for (let at = (heap.length >> 1) - 1; at >= 0; at--) siftDown(at);
  const picks = new Uint32Array(whole.numRows);
  let out = 0;
  while (heap.length > 0) {
    const r = heap[0];
    const row = heads[r]++;
    picks[out++] = row;
    if (heads[r] === starts[r + 1]) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
    } else if (compare(row, heads[r]) > 0) throw new UnsortedRunError(r, heads[r] - starts[r]);
    siftDown(0);
    if (out % ROWS_BETWEEN_TURNS === 0) await nextTurn();
  }
  invariant(out === whole.numRows, `merged ${out} of ${whole.numRows} rows`);
  const merged: arrow.RecordBatch[] = [];
  for (let at = 0; at < out; at += batchRows) {
    merged.push(takeRows(whole, picks.subarray(at, Math.min(out, at + batchRows))));
    if (Math.floor((at + batchRows) / ROWS_BETWEEN_TURNS) > Math.floor(at / ROWS_BETWEEN_TURNS)) await nextTurn();
  }
  return merged;
}

/** The order of `batch`'s rows by `order`'s keys, the first key first. */
function rowOrder(batch: arrow.RecordBatch, order: readonly OrderKey[]): RowOrder {
  const keys = order.map((key) => {
    invariant(key.column >= 0 && key.column < batch.numCols, `an order key on column ${key.column} of ${batch.numCols}`);
    return keyOrder(batch.data.children[key.column], key);
  });
  return lexicographic(keys);
}

/** The order of `orders`, the first first: a later one decides only between rows the earlier ones find equal. */
function lexicographic(orders: readonly RowOrder[]): RowOrder {
  if (orders.length === 1) return orders[0];
  return (a, b) => {
    for (const order of orders) {
      const c = order(a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** How DuckDB orders the values within a nested one (a list's, a struct's fields): ascending, NULL after every value. */
const NESTED_VALUE_ORDER: OrderKey = { column: 0, descending: false, nullsFirst: false };

/** The order of one key column's values (`data` starts at offset 0: concatBatches made it), NULLs placed as the key says. */
function keyOrder(data: arrow.Data, key: OrderKey): RowOrder {
  invariant(data.offset === 0, "an order key's column starts at its first row");
  const values = key.interval ? intervalOrder(data) : valueOrder(data);
  const ordered: RowOrder = key.descending ? (a, b) => values(b, a) : values;
  if (data.nullCount === 0) return ordered;
  const bits = data.nullBitmap!;
  const nullSide = key.nullsFirst ? -1 : 1;
  return (a, b) => {
    const validA = (bits[a >> 3] >> (a & 7)) & 1;
    const validB = (bits[b >> 3] >> (b & 7)) & 1;
    if (validA & validB) return ordered(a, b);
    if (validA === validB) return 0;
    return validA ? -nullSide : nullSide;
  };
}

/** The ascending order of a column's values, NULLs aside. */
function valueOrder(data: arrow.Data): RowOrder {
  const type = data.type as arrow.DataType;
  switch (type.typeId) {
    case arrow.Type.Float: {
      if ((type as arrow.Float).precision === arrow.Precision.HALF) break;
      const v = data.values as Float32Array | Float64Array;
      return (a, b) => {
        const x = v[a];
        const y = v[b];
        if (x < y) return -1;
        if (x > y) return 1;
        if (x === y) return 0; // -0 and 0 too
        // A NaN: above every other value, equal to another NaN.
        return x !== x ? (y !== y ? 0 : 1) : -1;
      };
    }
    case arrow.Type.Int:
    case arrow.Type.Decimal:
    case arrow.Type.Date:
    case arrow.Type.Timestamp:
    case arrow.Type.Time:
    case arrow.Type.Duration:
      return integerOrder(data, type.typeId !== arrow.Type.Int || (type as arrow.Int).isSigned);
    case arrow.Type.Bool: {
      const bits = data.values as Uint8Array;
      return (a, b) => ((bits[a >> 3] >> (a & 7)) & 1) - ((bits[b >> 3] >> (b & 7)) & 1);
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      return (a, b) => {
        const startA = offsets[a];
        const startB = offsets[b];
        const lengthA = offsets[a + 1] - startA;
        const lengthB = offsets[b + 1] - startB;
        const common = Math.min(lengthA, lengthB);
        for (let i = 0; i < common; i++) {
          const c = bytes[startA + i] - bytes[startB + i];
          if (c !== 0) return c;
        }
        return lengthA - lengthB;
      };
    }
    case arrow.Type.List:
    // A map is laid out as a list of key-value structs (exec/arrow.ts), and taken, hashed and ordered as one.
    case arrow.Type.Map: {
      // DuckDB's order of lists: value by value, a NULL value after every other, a list before
      // the longer ones it begins. (Descending reverses all of it, as in DuckDB: [NULL] first.)
      const offsets = data.valueOffsets as Int32Array;
      const element = keyOrder(data.children[0], NESTED_VALUE_ORDER);
      return (a, b) => {
        const [startA, lengthA, startB, lengthB] = [offsets[a], offsets[a + 1] - offsets[a], offsets[b], offsets[b + 1] - offsets[b]];
        for (let i = 0; i < lengthA && i < lengthB; i++) {
          const c = element(startA + i, startB + i);
          if (c !== 0) return c;
        }
        return lengthA - lengthB;
      };
    }
    case arrow.Type.Struct:
      // DuckDB's order of structs: field by field, a NULL field after every value. (Descending
      // reverses all of it, as in DuckDB: {'a': NULL} before {'a': 1}.) A struct's fields have
      // its rows (concatBatches made them, from offset 0).
      return lexicographic(data.children.map((child) => keyOrder(child, NESTED_VALUE_ORDER)));
  }
  throw new UnsupportedError(`merging rows sorted on a column of type ${type}`);
}

/**
 * The ascending order of intervals from DuckDB's text of them: by their normalized months, then
 * days, then microseconds, as DuckDB compares them ('30 days' and '1 month' equal). Each value
 * is parsed once, up front; after normalizing, |microseconds| < one day, exact as a double.
 */
function intervalOrder(data: arrow.Data): RowOrder {
  invariant(arrow.DataType.isUtf8(data.type), `intervals travel as text, not ${data.type}`);
  const texts = arrow.makeVector(data);
  const [months, days, micros] = [new Float64Array(data.length), new Float64Array(data.length), new Float64Array(data.length)];
  for (let row = 0; row < data.length; row++) {
    if (!data.getValid(row)) continue;
    const parts = normalizeInterval(parseIntervalText(texts.get(row) as string));
    [months[row], days[row], micros[row]] = [parts.months, parts.days, Number(parts.micros)];
  }
  return (a, b) => months[a] - months[b] || days[a] - days[b] || micros[a] - micros[b];
}

/**
 * The order of integers of any width stored little-endian (ints, decimals, dates, times): up to
 * 32 bits compared as numbers, wider ones a 32-bit word at a time from the top, only the top one
 * signed. BigInt64Array reads would allocate a BigInt per value.
 */
function integerOrder(data: arrow.Data, signed: boolean): RowOrder {
  const values = data.values as Int32Array | Uint32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | BigInt64Array | BigUint64Array;
  const bytesPerValue = values.BYTES_PER_ELEMENT * data.stride;
  if (bytesPerValue <= 4) {
    invariant(data.stride === 1 && !(values instanceof BigInt64Array || values instanceof BigUint64Array), "a narrow integer is one element");
    const v = values as Int32Array;
    return (a, b) => v[a] - v[b];
  }
  invariant(bytesPerValue % 4 === 0 && values.byteOffset % 4 === 0, `an integer of ${bytesPerValue} bytes`);
  const n = bytesPerValue / 4;
  const words = new Uint32Array(values.buffer, values.byteOffset, data.length * n);
  const top = n - 1;
  return (a, b) => {
    const i = a * n;
    const j = b * n;
    const x = signed ? words[i + top] | 0 : words[i + top];
    const y = signed ? words[j + top] | 0 : words[j + top];
    if (x !== y) return x < y ? -1 : 1;
    for (let w = top - 1; w >= 0; w--) if (words[i + w] !== words[j + w]) return words[i + w] < words[j + w] ? -1 : 1;
    return 0;
  };
}
