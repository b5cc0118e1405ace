// Stable 64-bit hashes of shuffle keys, computed a column at a time over Arrow vectors. Every
// process hashes a key alike because a value is first written in one canonical form, a list of
// 32-bit words that depends on the value and not on how it is stored:
//
//   NULL                 [NULL]
//   integer of any width [INT, low 32 bits, high 32 bits]            (two's complement int64)
//   decimal              trailing zeros of the fraction stripped; a whole number is an INT
//                        as above, otherwise [DECIMAL, scale, 4 words of the 128-bit value]
//   float, double        [FLOAT, low, high] of the float64 bits; -0 is 0, every NaN is one NaN
//   boolean              [BOOL, 0 or 1]
//   date                 [DATE, days since 1970-01-01]
//   timestamp, time      [TIMESTAMP or TIME, low, high] of microseconds
//   string, binary       [STRING or BINARY, byte length, bytes packed 4 to a word, little-endian]
//   interval             [INTERVAL, months, days, low, high] of its parts as DuckDB normalizes
//                        them (an interval travels as DuckDB's text: '1 day' and '24:00:00'
//                        are one interval, one hash)
//   list                 [LIST, length, then each value's own 64-bit hash as two words]
//   struct               [STRUCT, field count, then each field's own 64-bit hash as two words]
//
// so an i32 key meets an i64 key and 1.50 meets 1.5. A key of several columns is the words of
// each value in order; tags and lengths make the encoding self-delimiting. The words are fed
// to two 32-bit MurmurHash3 lanes with different seeds, finished and cross-mixed into 64 bits.
import * as arrow from "apache-arrow";
import { UnsupportedError, invariant } from "../common/errors.ts";
import { normalizeInterval, parseIntervalText } from "../common/interval.ts";
import { arrowTimeToMicros } from "../common/temporal.ts";

const TAG = { NULL: 0x6e, INT: 0x69, DECIMAL: 0x65, FLOAT: 0x66, BOOL: 0x62, DATE: 0x64, TIMESTAMP: 0x74, TIME: 0x63, STRING: 0x73, BINARY: 0x78, INTERVAL: 0x76, LIST: 0x6c, STRUCT: 0x72 } as const;

const SEED_HIGH = 0x7472_7573; // "trus"
const SEED_LOW = 0x7471_6c31; // "tql1"
const TWO_POW_32 = 2 ** 32;

/** The 64-bit hash of each row's key, as two 32-bit halves. */
export interface RowHashes {
  readonly high: Uint32Array;
  readonly low: Uint32Array;
}

/**
 * Hashes the key formed by `columns` (all of one length) for every row; the columns at the
 * positions `intervals` lists hold intervals as DuckDB's text of them.
 */
export function hashRows(columns: readonly arrow.Vector[], rowCount: number, intervals: readonly number[] = []): RowHashes {
  const state = new HashState(rowCount);
  columns.forEach((column, c) => {
    invariant(column.length === rowCount, `a key column has ${column.length} rows, expected ${rowCount}`);
    const mix = intervals.includes(c) ? mixIntervalColumn : mixColumn;
    let row = 0;
    for (const data of column.data) {
      mix(state, data, row);
      row += data.length;
    }
  });
  return state.finish();
}

/** Two MurmurHash3 lanes per row, fed one canonical word at a time. */
class HashState {
  readonly high: Uint32Array;
  readonly low: Uint32Array;
  readonly words: Uint32Array;

  constructor(rows: number) {
    this.high = new Uint32Array(rows).fill(SEED_HIGH);
    this.low = new Uint32Array(rows).fill(SEED_LOW);
    this.words = new Uint32Array(rows);
  }

  mix(row: number, word: number): void {
    this.high[row] = murmurRound(this.high[row], word, 0xcc9e2d51, 0x1b873593);
    this.low[row] = murmurRound(this.low[row], word, 0x85ebca6b, 0xc2b2ae35);
    this.words[row]++;
  }

  /** mix() of an INT's three words [INT, low, high] at once: the common key, taken row after row. */
  mixInt(row: number, low: number, high: number): void {
    let h = murmurRound(this.high[row], TAG.INT, 0xcc9e2d51, 0x1b873593);
    h = murmurRound(h, low, 0xcc9e2d51, 0x1b873593);
    this.high[row] = murmurRound(h, high, 0xcc9e2d51, 0x1b873593);
    let l = murmurRound(this.low[row], TAG.INT, 0x85ebca6b, 0xc2b2ae35);
    l = murmurRound(l, low, 0x85ebca6b, 0xc2b2ae35);
    this.low[row] = murmurRound(l, high, 0x85ebca6b, 0xc2b2ae35);
    this.words[row] += 3;
  }

  finish(): RowHashes {
    for (let row = 0; row < this.high.length; row++) {
      let high = fmix32(this.high[row] ^ this.words[row]);
      let low = fmix32(this.low[row] ^ this.words[row]);
      high = (high + low) >>> 0;
      low = (low + high) >>> 0;
      this.high[row] = high;
      this.low[row] = low;
    }
    return { high: this.high, low: this.low };
  }
}

/** One MurmurHash3 round of `word` into `hash` (c1, c2: the lane's constants). */
export function murmurRound(hash: number, word: number, c1: number, c2: number): number {
  let k = Math.imul(word, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  let h = hash ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/** MurmurHash3's finalizer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether row `index` of `data` holds a value (not NULL). */
export function isValid(data: arrow.Data, index: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  const bit = data.offset + index;
  return (data.nullBitmap[bit >> 3] & (1 << (bit & 7))) !== 0;
}

const float64 = new Float64Array(1);
const float64Words = new Uint32Array(float64.buffer);

function mixColumn(state: HashState, data: arrow.Data, firstRow: number): void {
  const type = data.type as arrow.DataType;
  const mixNull = (i: number) => state.mix(firstRow + i, TAG.NULL);
  const each = (write: (row: number, i: number) => void) => {
    for (let i = 0; i < data.length; i++) {
      if (isValid(data, i)) write(firstRow + i, i);
      else mixNull(i);
    }
  };
  const values = data.values as ArrayLike<number | bigint>;
  switch (type.typeId) {
    case arrow.Type.Int: {
      const signed = (type as arrow.Int).isSigned;
      if ((type as arrow.Int).bitWidth === 64) {
        // A 64-bit value's two's complement words, read as they lie in memory (little-endian):
        // no BigInt per row.
        const typed = values as BigInt64Array | BigUint64Array;
        const words = new Uint32Array(typed.buffer, typed.byteOffset, typed.length * 2);
        if (data.nullCount === 0 && signed) {
          for (let i = 0; i < data.length; i++) state.mixInt(firstRow + i, words[2 * i], words[2 * i + 1]);
          return;
        }
        return each((row, i) => {
          const high = words[2 * i + 1];
          invariant(signed || high < 0x8000_0000, "an unsigned 64-bit key beyond int64");
          state.mix(row, TAG.INT);
          state.mix(row, words[2 * i]);
          state.mix(row, high);
        });
      }
      if (data.nullCount === 0) {
        // Up to 32 bits: the high word is the sign's.
        const numbers = values as ArrayLike<number>;
        for (let i = 0; i < data.length; i++) {
          const value = numbers[i];
          state.mixInt(firstRow + i, value >>> 0, value < 0 ? 0xffff_ffff : 0);
        }
        return;
      }
      return each((row, i) => mixSafeInteger(state, row, Number(values[i])));
    }
    case arrow.Type.Float:
      return each((row, i) => {
        const v = Number(values[i]);
        float64[0] = Number.isNaN(v) ? NaN : v === 0 ? 0 : v;
        state.mix(row, TAG.FLOAT);
        state.mix(row, float64Words[0]);
        state.mix(row, float64Words[1]);
      });
    case arrow.Type.Decimal: {
      const words = data.values as Uint32Array;
      const scale = (type as arrow.Decimal).scale;
      invariant((type as arrow.Decimal).bitWidth === 128, "only 128-bit decimals are keys");
      return each((row, i) => mixDecimal(state, row, words, i * 4, scale));
    }
    case arrow.Type.Bool: {
      const bits = data.values as Uint8Array;
      return each((row, i) => {
        const bit = data.offset + i;
        state.mix(row, TAG.BOOL);
        state.mix(row, (bits[bit >> 3] >> (bit & 7)) & 1);
      });
    }
    case arrow.Type.Date: {
      const dayUnit = (type as arrow.Date_).unit === arrow.DateUnit.DAY;
      return each((row, i) => {
        const days = dayUnit ? Number(values[i]) : Math.floor(Number(values[i]) / 86_400_000);
        state.mix(row, TAG.DATE);
        state.mix(row, days >>> 0);
      });
    }
    case arrow.Type.Timestamp:
    case arrow.Type.Time: {
      const unit = (type as arrow.Timestamp | arrow.Time).unit;
      const tag = type.typeId === arrow.Type.Timestamp ? TAG.TIMESTAMP : TAG.TIME;
      return each((row, i) => {
        state.mix(row, tag);
        mixWords64(state, row, arrowTimeToMicros(values[i], unit));
      });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const tag = type.typeId === arrow.Type.Utf8 ? TAG.STRING : TAG.BINARY;
      return each((row, i) => {
        const start = offsets[i];
        const end = offsets[i + 1];
        state.mix(row, tag);
        state.mix(row, end - start);
        let b = start;
        for (; b + 4 <= end; b += 4) state.mix(row, (bytes[b] | (bytes[b + 1] << 8) | (bytes[b + 2] << 16) | (bytes[b + 3] << 24)) >>> 0);
        if (b < end) {
          let tail = 0;
          for (let shift = 0; b < end; b++, shift += 8) tail |= bytes[b] << shift;
          state.mix(row, tail >>> 0);
        }
      });
    }
    case arrow.Type.List:
    // A map is laid out as a list of key-value structs (exec/arrow.ts), and taken, hashed and ordered as one.
    case arrow.Type.Map: {
      // Each value's own hash first (its words, by these rules), then per row [LIST, length, the
      // values' hashes]: [1] of INTEGER meets [1] of BIGINT, [NULL] differs from [].
      const offsets = data.valueOffsets as Int32Array;
      const first = offsets[0];
      const values = valueHashes((data.children[0] as arrow.Data).slice(first, offsets[data.length] - first));
      return each((row, i) => {
        state.mix(row, TAG.LIST);
        state.mix(row, offsets[i + 1] - offsets[i]);
        for (let k = offsets[i] - first; k < offsets[i + 1] - first; k++) mixHash(state, row, values, k);
      });
    }
    case arrow.Type.Struct: {
      // Each field's own hashes first, then per row [STRUCT, field count, the fields' hashes]:
      // structs equal field by field hash alike, an INTEGER field meeting a BIGINT one.
      // (apache-arrow slices a struct's children with it: row i of each is the struct's row i.)
      const fields = data.children.map((child) => valueHashes(child as arrow.Data));
      return each((row, i) => {
        state.mix(row, TAG.STRUCT);
        state.mix(row, fields.length);
        for (const field of fields) mixHash(state, row, field, i);
      });
    }
    default:
      throw new UnsupportedError(`a shuffle key of type ${type}`);
  }
}

/** Each value of `data` hashed alone by these rules: a nested value's parts. */
function valueHashes(data: arrow.Data): RowHashes {
  const values = new HashState(data.length);
  mixColumn(values, data, 0);
  return values.finish();
}

/** Mixes the hash of value `k` of `values` (valueHashes') into `row`, as two words. */
function mixHash(state: HashState, row: number, values: RowHashes, k: number): void {
  state.mix(row, values.high[k]);
  state.mix(row, values.low[k]);
}

/** A column of DuckDB's texts of intervals, each hashed by its normalized parts. */
function mixIntervalColumn(state: HashState, data: arrow.Data, firstRow: number): void {
  invariant(data.type.typeId === arrow.Type.Utf8, `an interval key travels as text, not ${data.type}`);
  const vector = arrow.makeVector(data);
  for (let i = 0; i < data.length; i++) {
    const row = firstRow + i;
    if (!isValid(data, i)) {
      state.mix(row, TAG.NULL);
      continue;
    }
    const { months, days, micros } = normalizeInterval(parseIntervalText(vector.get(i) as string));
    state.mix(row, TAG.INTERVAL);
    state.mix(row, months >>> 0);
    state.mix(row, days >>> 0);
    mixWords64(state, row, micros);
  }
}

/** An integer within ±2^53, written exactly as `mixInt64` writes it. */
function mixSafeInteger(state: HashState, row: number, value: number): void {
  state.mix(row, TAG.INT);
  state.mix(row, value >>> 0);
  state.mix(row, Math.floor(value / TWO_POW_32) >>> 0);
}

function mixInt64(state: HashState, row: number, value: bigint): void {
  state.mix(row, TAG.INT);
  mixWords64(state, row, value);
}

function mixWords64(state: HashState, row: number, value: bigint): void {
  state.mix(row, Number(value & 0xffff_ffffn));
  state.mix(row, Number((value >> 32n) & 0xffff_ffffn));
}


const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function mixDecimal(state: HashState, row: number, words: Uint32Array, at: number, scale: number): void {
  // Most decimals fit in a double's 53 bits: strip their zeros without BigInt.
  const small = words[at + 3] === 0 && words[at + 2] === 0 && words[at + 1] < 0x20_0000;
  const smallNegative = words[at + 3] === 0xffff_ffff && words[at + 2] === 0xffff_ffff && words[at + 1] >= 0xffe0_0000;
  if (small || smallNegative) {
    let value = small ? words[at + 1] * TWO_POW_32 + words[at] : -((0xffff_ffff - words[at + 1]) * TWO_POW_32 + (0xffff_ffff - words[at]) + 1);
    while (scale > 0 && value % 10 === 0) {
      value /= 10;
      scale--;
    }
    if (scale === 0) {
      return mixSafeInteger(state, row, value);
    }
    return mixSmallScaledDecimal(state, row, value, scale);
  }
  let value = BigInt.asIntN(128, (BigInt(words[at + 3]) << 96n) | (BigInt(words[at + 2]) << 64n) | (BigInt(words[at + 1]) << 32n) | BigInt(words[at]));
  while (scale > 0 && value % 10n === 0n) {
    value /= 10n;
    scale--;
  }
  if (scale === 0 && value >= INT64_MIN && value <= INT64_MAX) return mixInt64(state, row, value);
  mixScaledDecimal(state, row, value, scale);
}

/** mixScaledDecimal of a value within ±2^53, its 128-bit two's complement words made without BigInt. */
function mixSmallScaledDecimal(state: HashState, row: number, value: number, scale: number): void {
  state.mix(row, TAG.DECIMAL);
  state.mix(row, scale);
  const sign = value < 0 ? 0xffff_ffff : 0;
  state.mix(row, value >>> 0);
  state.mix(row, Math.floor(value / TWO_POW_32) >>> 0);
  state.mix(row, sign);
  state.mix(row, sign);
}

function mixScaledDecimal(state: HashState, row: number, value: bigint, scale: number): void {
  state.mix(row, TAG.DECIMAL);
  state.mix(row, scale);
  const unsigned = BigInt.asUintN(128, value);
  for (let w = 0n; w < 4n; w++) state.mix(row, Number((unsigned >> (32n * w)) & 0xffff_ffffn));
}

/** The hashes of the given rows, in that order. */
export function pickHashes(hashes: RowHashes, rows: ArrayLike<number>): RowHashes {
  const high = new Uint32Array(rows.length);
  const low = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    high[i] = hashes.high[rows[i]];
    low[i] = hashes.low[rows[i]];
  }
  return { high, low };
}
