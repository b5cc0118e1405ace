// An order-independent digest of a multiset of rows: how many, and the sum modulo 2^64 of each
// row's 64-bit hash. Rows split into batches any way, in any order, sent to several receivers
// and gathered again, add up to the same digest; a row changed, dropped or added changes it. A
// task's answer commits to its output's digest, a producer to the digest of what it sent each
// receiver, so a coordinator can check a task after it answered, against a re-execution and
// against what the task's producers sent it, without the rows themselves crossing the network
// again.
//
// A row's hash covers the values as stored (the digests compared are of one plan's output, so
// of one schema): fixed-width values by their words, strings and binaries by length and bytes,
// a list by its length and its elements' hashes, a struct by its fields' hashes, a NULL by a bit
// in the row's null mask, other types by a canonical text of the value. The seed is the query
// run's: a table of rows whose hashes cancel out is good for one run only.
// The hash is not cryptographic; see README's "Verification".
import * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import { fmix32, type RowHashes } from "./key-hash.ts";

// Each word goes into two lanes by a xor (or add) and a multiplication by an odd constant: a
// bijection of the lane for any word, and of the word for any lane, so two rows that differ in
// one word always differ in both lanes; MurmurHash3's finalizer then spreads every bit. Two
// multiplications a word: the digest is computed on every row a task sends.
const MULTIPLIER_HIGH = 0x9e3779b1;
const MULTIPLIER_LOW = 0x85ebca77;
const TWO_POW_32 = 2 ** 32;
/** Rows summed before the low lane's carry moves to the high lane: the sum stays exact in a double. */
const CARRY_EVERY_ROWS = 1 << 20;
const DIGEST = /^(0|[1-9][0-9]{0,15}):[0-9a-f]{16}$/;

/** Two 32-bit seeds from a run id (hex), or zero for none. */
export function digestSeed(run: string | undefined): { high: number; low: number } {
  if (run === undefined) return { high: 0, low: 0 };
  invariant(/^[0-9a-f]{16}/.test(run), "a digest seed from a run id that is not hex");
  return { high: parseInt(run.slice(0, 8), 16), low: parseInt(run.slice(8, 16), 16) };
}

export class RowDigest {
  #rows = 0;
  #high = 0;
  #low = 0;
  readonly #seed: { high: number; low: number };

  constructor(seed: { high: number; low: number }) {
    this.#seed = seed;
  }

  get rows(): number {
    return this.#rows;
  }

  add(batch: arrow.RecordBatch): this {
    return batch.numRows === 0 ? this : this.addHashes(wholeRowHashes(batch, this.#seed));
  }

  /** Adds rows by their hashes (from wholeRowHashes under this digest's seed): all, or those at `rows`. */
  addHashes(hashes: RowHashes, rows?: ArrayLike<number>): this {
    const { high, low } = hashes;
    const count = rows ? rows.length : high.length;
    for (let start = 0; start < count; start += CARRY_EVERY_ROWS) {
      const end = Math.min(count, start + CARRY_EVERY_ROWS);
      let sumHigh = 0;
      let sumLow = 0;
      if (rows) {
        for (let i = start; i < end; i++) {
          sumHigh += high[rows[i]];
          sumLow += low[rows[i]];
        }
      } else {
        for (let i = start; i < end; i++) {
          sumHigh += high[i];
          sumLow += low[i];
        }
      }
      this.#high += sumHigh;
      this.#low += sumLow;
      this.#carry();
    }
    this.#rows += count;
    return this;
  }

  addAll(batches: readonly arrow.RecordBatch[]): this {
    for (const batch of batches) this.add(batch);
    return this;
  }

  /** Adds a digest in its text form (rows of another part of the same multiset). */
  addDigest(text: string): this {
    invariant(isRowDigest(text), `a row digest that is not one: ${text}`);
    const [rows, hex] = text.split(":");
    this.#rows += Number(rows);
    this.#high += parseInt(hex.slice(0, 8), 16);
    this.#low += parseInt(hex.slice(8), 16);
    this.#carry();
    return this;
  }

  /** `rows:hex16`, e.g. `1200:00a3…`. */
  toString(): string {
    this.#carry();
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    return `${this.#rows}:${hex(this.#high)}${hex(this.#low)}`;
  }

  #carry(): void {
    const carried = Math.floor(this.#low / TWO_POW_32);
    this.#low -= carried * TWO_POW_32;
    this.#high = (this.#high + carried) % TWO_POW_32;
  }
}

export function isRowDigest(text: unknown): text is string {
  return typeof text === "string" && DIGEST.test(text) && Number.isSafeInteger(Number(text.split(":")[0]));
}

/** The digest of `batches` under `run`'s seed. */
export function digestRows(batches: readonly arrow.RecordBatch[], run: string | undefined): string {
  return new RowDigest(digestSeed(run)).addAll(batches).toString();
}

/** The sum of digests (of parts of one multiset), under any seed (they must share one). */
export function sumDigests(digests: readonly string[]): string {
  const sum = new RowDigest({ high: 0, low: 0 });
  for (const digest of digests) sum.addDigest(digest);
  return sum.toString();
}

/** The digest of no rows. */
export const EMPTY_DIGEST = "0:0000000000000000";

/**
 * Each row's 64-bit hash over every column, as two 32-bit halves: what a digest sums. A caller
 * that digests rows and then parts of them (a producer, per receiver) hashes them once.
 */
export function wholeRowHashes(batch: arrow.RecordBatch, seed: { high: number; low: number }): RowHashes {
  const rows = batch.numRows;
  const maskWords = Math.ceil(batch.numCols / 32);
  const anyNull = batch.data.children.some((data) => data.nullCount !== 0 || data.typeId === arrow.Type.Null);
  const state: RowState = {
    high: new Uint32Array(rows).fill(seed.high),
    low: new Uint32Array(rows).fill(seed.low),
    nulls: anyNull ? new Uint32Array(rows * maskWords) : undefined,
    maskWords,
  };
  for (let c = 0; c < batch.numCols; c++) {
    const data = batch.data.children[c] as arrow.Data;
    invariant(data.length === rows, `column ${c} has ${data.length} rows in a batch of ${rows}`);
    mixColumn(state, data, c);
  }
  for (let row = 0; row < rows; row++) {
    // A row's null mask is mixed when it has a NULL: a row without one hashes alike in any batch.
    for (let w = 0; state.nulls && w < maskWords; w++) {
      const mask = state.nulls[row * maskWords + w];
      if (mask === 0) continue;
      mix(state, row, w);
      mix(state, row, mask);
    }
    let high = fmix32(state.high[row]);
    let low = fmix32(state.low[row]);
    high = (high + low) >>> 0;
    low = (low + high) >>> 0;
    state.high[row] = high;
    state.low[row] = low;
  }
  return { high: state.high, low: state.low };
}

interface RowState {
  high: Uint32Array;
  low: Uint32Array;
  /** Per row, `maskWords` words: a bit for each NULL column (none when no column has a NULL). */
  nulls: Uint32Array | undefined;
  maskWords: number;
}

function mix(state: RowState, row: number, word: number): void {
  state.high[row] = Math.imul(state.high[row] ^ word, MULTIPLIER_HIGH);
  state.low[row] = Math.imul(state.low[row] + word, MULTIPLIER_LOW);
}

function mixColumn(state: RowState, data: arrow.Data, column: number): void {
  const isNull = nullTest(data);
  const markNull = (row: number) => (state.nulls![row * state.maskWords + (column >>> 5)] |= 1 << (column & 31));
  const type = data.type as arrow.DataType;
  if (type.typeId === arrow.Type.Null) {
    for (let row = 0; row < data.length; row++) markNull(row);
    return;
  }
  // A map is laid out as a list of key-value structs (exec/arrow.ts).
  if (type.typeId === arrow.Type.List || type.typeId === arrow.Type.Map) return mixList(state, data, isNull, markNull);
  if (type.typeId === arrow.Type.Struct) return mixStruct(state, data, isNull, markNull);
  const values = data.values as (ArrayLike<number> & ArrayBufferView & { BYTES_PER_ELEMENT: number }) | undefined;
  // A dictionary's values are indexes into a dictionary that may differ from batch to batch;
  // nested and variable-width types other than strings and binaries have no words of their own.
  const textual = arrow.DataType.isDictionary(type) || data.children.length > 0 || (data.valueOffsets !== undefined && type.typeId !== arrow.Type.Utf8 && type.typeId !== arrow.Type.Binary);
  if (textual) return mixAsText(state, data, markNull);
  if (type.typeId === arrow.Type.Bool) {
    for (let row = 0; row < data.length; row++) {
      if (isNull(row)) markNull(row);
      else {
        const bit = data.offset + row;
        mix(state, row, (values![bit >> 3] >> (bit & 7)) & 1);
      }
    }
    return;
  }
  if (type.typeId === arrow.Type.Utf8 || type.typeId === arrow.Type.Binary) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let row = 0; row < data.length; row++) {
      if (isNull(row)) markNull(row);
      else mixBytes(state, row, bytes, offsets[row], offsets[row + 1]);
    }
    return;
  }
  const fixedWidth = fixedWidthWords(data);
  if (fixedWidth) {
    const { words, perValue } = fixedWidth;
    for (let row = 0; row < data.length; row++) {
      if (isNull(row)) markNull(row);
      else for (let w = 0, at = row * perValue; w < perValue; w++) mix(state, row, words[at + w]);
    }
    return;
  }
  if (values && data.stride === 1 && (values.BYTES_PER_ELEMENT === 1 || values.BYTES_PER_ELEMENT === 2)) {
    for (let row = 0; row < data.length; row++) {
      if (isNull(row)) markNull(row);
      else mix(state, row, values[row] >>> 0);
    }
    return;
  }
  mixAsText(state, data, markNull);
}

/**
 * Lists by their elements: each element's value hashed (by this file's rules for the element
 * type, lists within lists alike) into a 64-bit hash of its own, then each row mixes its
 * length and, per element, a NULL flag and the element's hash. An empty list, a list of one
 * NULL, a NULL list and a list of the text 'NULL' all differ; the layout (slices, offsets,
 * what NULL rows' offsets span) does not matter.
 */
function mixList(state: RowState, data: arrow.Data, isNull: (row: number) => boolean, markNull: (row: number) => void): void {
  const offsets = data.valueOffsets as Int32Array;
  // A sliced list's offsets point into its child as it was: hash just the elements its rows span.
  const first = offsets[0];
  const elements = valueHashes((data.children[0] as arrow.Data).slice(first, offsets[data.length] - first));
  for (let row = 0; row < data.length; row++) {
    if (isNull(row)) {
      markNull(row);
      continue;
    }
    mix(state, row, offsets[row + 1] - offsets[row]);
    for (let k = offsets[row] - first; k < offsets[row + 1] - first; k++) mixValue(state, row, elements, k);
  }
}

/**
 * Structs by their fields: each field's values hashed (by this file's rules for the field's
 * type, lists and structs within alike) into 64-bit hashes of their own, then each row mixes,
 * per field, a NULL flag and the field's hash. A NULL struct, a struct of NULL fields and
 * structs of other values all differ; what lies under a NULL struct's fields does not matter.
 */
function mixStruct(state: RowState, data: arrow.Data, isNull: (row: number) => boolean, markNull: (row: number) => void): void {
  // apache-arrow slices a struct's children with it: row r of each field is the struct's row r.
  const fields = data.children.map((child) => valueHashes(child as arrow.Data));
  for (let row = 0; row < data.length; row++) {
    if (isNull(row)) markNull(row);
    else for (const field of fields) mixValue(state, row, field, row);
  }
}

/** Each value of `data` hashed by this file's rules into a 64-bit hash of its own, a NULL by its mask bit: a nested value's parts. */
function valueHashes(data: arrow.Data): RowState {
  const values: RowState = {
    high: new Uint32Array(data.length),
    low: new Uint32Array(data.length),
    nulls: new Uint32Array(data.length),
    maskWords: 1,
  };
  mixColumn(values, data, 0);
  return values;
}

/** Mixes value `k` of `values` (valueHashes') into `row`: a NULL flag, then the value's hash. */
function mixValue(state: RowState, row: number, values: RowState, k: number): void {
  if (values.nulls![k] & 1) mix(state, row, 0);
  else {
    mix(state, row, 1);
    mix(state, row, fmix32(values.high[k]));
    mix(state, row, fmix32(values.low[k]));
  }
}

/** Values hashed by a canonical text of each: nested and other types, rare in a stage's output. */
function mixAsText(state: RowState, data: arrow.Data, markNull: (row: number) => void): void {
  const vector = arrow.makeVector(data);
  const encoder = new TextEncoder();
  for (let row = 0; row < data.length; row++) {
    const value = vector.get(row);
    if (value === null || value === undefined) markNull(row);
    else {
      const bytes = encoder.encode(canonicalText(value));
      mixBytes(state, row, bytes, 0, bytes.length);
    }
  }
}

/** Length, then the bytes packed four to a word, little-endian. */
function mixBytes(state: RowState, row: number, bytes: Uint8Array, start: number, end: number): void {
  mix(state, row, end - start);
  let b = start;
  for (; b + 4 <= end; b += 4) mix(state, row, (bytes[b] | (bytes[b + 1] << 8) | (bytes[b + 2] << 16) | (bytes[b + 3] << 24)) >>> 0);
  if (b < end) {
    let tail = 0;
    for (let shift = 0; b < end; b++, shift += 8) tail |= bytes[b] << shift;
    mix(state, row, tail >>> 0);
  }
}

/** A column of values a whole number of 32-bit words wide (ints, floats, decimals, dates, times), as its words. */
function fixedWidthWords(data: arrow.Data): { words: Uint32Array; perValue: number } | undefined {
  const values = data.values as ArrayBufferView & { BYTES_PER_ELEMENT?: number } | undefined;
  if (!values || !ArrayBuffer.isView(values) || values.BYTES_PER_ELEMENT === undefined || data.valueOffsets !== undefined) return undefined;
  const bytesPerValue = data.stride * values.BYTES_PER_ELEMENT;
  if (bytesPerValue % 4 !== 0 || values.byteLength < data.length * bytesPerValue) return undefined;
  const aligned = values.byteOffset % 4 === 0 ? values : new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  return { words: new Uint32Array(aligned.buffer, aligned.byteOffset, (data.length * bytesPerValue) / 4), perValue: bytesPerValue / 4 };
}

function nullTest(data: arrow.Data): (row: number) => boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return () => false;
  return (row) => {
    const bit = data.offset + row;
    return (bitmap[bit >> 3] & (1 << (bit & 7))) === 0;
  };
}

/** A value's text with object keys in order and big integers as digits: equal values, equal text. */
function canonicalText(value: unknown): string {
  return JSON.stringify(value, (_, v) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Map) return [...v.entries()];
    if (v && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      const plain = typeof v.toJSON === "function" ? v.toJSON() : v;
      return Object.fromEntries(Object.keys(plain).sort().map((k) => [k, plain[k]]));
    }
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => x.toString());
    return v;
  });
}
