// Arrow batches as rows a DuckDB plan reads: the rows an exchange brought to a task become a
// table its stage plan scans. Values are copied column by column into DuckDB data chunks as the
// scan asks for them.
import * as arrow from "apache-arrow";
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimeValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUUIDValue,
  type DuckDBDecimalType,
  type DuckDBListType,
  type DuckDBStructType,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBVector,
} from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";
import { isUtf8 } from "node:buffer";
import { decimalToBigInt } from "../common/decimal.ts";
import { parseIntervalText } from "../common/interval.ts";
import { invariant } from "../common/errors.ts";

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/** Reads non-null values of one column's data from its buffers (dates stay days, timestamps microseconds). */
type Reader = (data: arrow.Data) => (index: number) => DuckDBValue;

function readerFor(type: DuckDBType): Reader {
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as DuckDBDecimalType;
      return (data) => {
        const words = data.values as Uint32Array;
        return (i) => new DuckDBDecimalValue(decimalToBigInt(words.subarray(i * 4, i * 4 + 4)), width, scale);
      };
    }
    case DuckDBTypeId.BIGINT:
      return (data) => (i) => BigInt((data.values as BigInt64Array)[i]);
    case DuckDBTypeId.DATE:
      return (data) => (i) => new DuckDBDateValue((data.values as Int32Array)[i]);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (data) => (i) => new DuckDBTimestampValue(BigInt((data.values as BigInt64Array)[i]));
    case DuckDBTypeId.TIME:
      return (data) => (i) => new DuckDBTimeValue(BigInt((data.values as BigInt64Array)[i]));
    case DuckDBTypeId.TIMESTAMP_NS:
      return (data) => (i) => new DuckDBTimestampNanosecondsValue(BigInt((data.values as BigInt64Array)[i]));
    case DuckDBTypeId.LIST: {
      // A row's elements are [offsets[i], offsets[i + 1]) of the child (apache-arrow slices the
      // offsets of a sliced Data, not its child), each read as a column of the element type is.
      const element = readerFor((type as DuckDBListType).valueType);
      return (data) => {
        const offsets = data.valueOffsets as Int32Array;
        const child = data.children[0];
        const read = element(child);
        const nulls = child.nullCount > 0;
        return (i) => {
          const items: DuckDBValue[] = new Array(offsets[i + 1] - offsets[i]);
          for (let k = offsets[i], at = 0; k < offsets[i + 1]; k++, at++) items[at] = nulls && !child.getValid(k) ? null : read(k);
          return new DuckDBListValue(items);
        };
      };
    }
    case DuckDBTypeId.STRUCT: {
      // A row's fields are row i of each child (apache-arrow slices a struct's children with it),
      // each read as a column of the field's type is, and named as the declared type names
      // them: a DuckDB struct value's entries go to its fields by name.
      const { entryNames, entryTypes } = type as DuckDBStructType;
      const fields = entryTypes.map(readerFor);
      return (data) => {
        invariant(data.children.length === entryNames.length, `a struct of ${data.children.length} fields for a column of ${type}`);
        const reads = data.children.map((child, f) => ({ child, read: fields[f](child), nulls: child.nullCount > 0 }));
        return (i) => {
          const entries: Record<string, DuckDBValue> = {};
          reads.forEach(({ child, read, nulls }, f) => (entries[entryNames[f]] = nulls && !child.getValid(i) ? null : read(i)));
          return new DuckDBStructValue(entries);
        };
      };
    }
    case DuckDBTypeId.INTERVAL:
      // Intervals travel as DuckDB's text of them (exec/arrow.ts), which keeps their three parts.
      return (data) => {
        const vector = arrow.makeVector(data);
        return (i) => {
          const { months, days, micros } = parseIntervalText(vector.get(i) as string);
          return new DuckDBIntervalValue(months, days, micros);
        };
      };
    case DuckDBTypeId.UUID:
      // UUIDs travel as DuckDB's text of them (exec/arrow.ts), 32 hex digits in groups.
      return (data) => {
        const vector = arrow.makeVector(data);
        return (i) => DuckDBUUIDValue.fromUint128(BigInt(`0x${(vector.get(i) as string).replaceAll("-", "")}`));
      };
    case DuckDBTypeId.BLOB:
      return (data) => {
        const vector = arrow.makeVector(data);
        return (i) => new DuckDBBlobValue(vector.get(i) as Uint8Array);
      };
    default: {
      return (data) => {
        const vector = arrow.makeVector(data);
        return (i) => vector.get(i) as DuckDBValue;
      };
    }
  }
}

/** The parts of DuckDB's vector classes a raw copy writes into (a typed array, or a DataView for decimals). */
interface RawVector {
  readonly items?: ArrayBufferView;
  readonly dataView?: DataView;
  /** The vector's handle in the bindings. */
  readonly vector: bindings.Vector;
  flush(): void;
}

/**
 * Copies a fixed-width column's values straight into the chunk's vector when the two lay out a
 * value alike (integers, floats, dates as days, timestamps and times as microseconds, decimals
 * as little-endian two's complement). False: not such a column.
 */
function copyFixedWidth(target: DuckDBVector, data: arrow.Data, start: number, rows: number): boolean {
  const vector = target as unknown as RawVector;
  const values = data.values as ArrayBufferView | undefined;
  if (!values || !ArrayBuffer.isView(values)) return false;
  if (vector.items && vector.items.constructor === values.constructor && !arrow.DataType.isDecimal(data.type) && !arrow.DataType.isBool(data.type)) {
    const items = vector.items as unknown as { set(source: ArrayLike<unknown>): void };
    items.set((values as unknown as { subarray(a: number, b: number): ArrayLike<unknown> }).subarray(start, start + rows));
  } else if (vector.dataView && arrow.DataType.isDecimal(data.type) && (data.type as arrow.Decimal).bitWidth === 128) {
    const words = values as Uint32Array;
    const view = vector.dataView;
    const width = view.byteLength / rows;
    if (width === 16) {
      new Uint8Array(view.buffer, view.byteOffset, rows * 16).set(new Uint8Array(words.buffer, words.byteOffset + start * 16, rows * 16));
    } else if (width === 8) {
      for (let r = 0, w = start * 4; r < rows; r++, w += 4) {
        view.setUint32(r * 8, words[w], true);
        view.setUint32(r * 8 + 4, words[w + 1], true);
      }
    } else if (width === 4) {
      for (let r = 0, w = start * 4; r < rows; r++, w += 4) view.setInt32(r * 4, words[w] | 0, true);
    } else if (width === 2) {
      for (let r = 0, w = start * 4; r < rows; r++, w += 4) view.setInt16(r * 2, words[w] << 16 >> 16, true);
    } else return false;
  } else return false;
  vector.flush();
  copyValidity(vector.vector, data, start, rows);
  return true;
}

/** DuckDB's string_t: 16 bytes, a u32 length, then a string of up to 12 bytes in place (zero-padded), or a prefix and a pointer. */
const STRING_T_BYTES = 16;
const INLINED_STRING_BYTES = 12;

/**
 * Copies a text column's UTF-8 bytes into the chunk's vector, never decoded into a JavaScript
 * string and encoded back: strings of up to 12 bytes are written in place into DuckDB's string
 * structs, all at once; longer ones one at a time into the vector's string heap. False: not a
 * text column.
 */
function copyText(chunk: DuckDBDataChunk, column: number, type: DuckDBType, data: arrow.Data, start: number, rows: number): boolean {
  if (type.typeId !== DuckDBTypeId.VARCHAR || !arrow.DataType.isUtf8(data.type) || !data.valueOffsets || !data.values) return false;
  const target = bindings.data_chunk_get_vector(chunk.chunk, column);
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const nulls = data.nullCount > 0;
  const structs = new Uint8Array(rows * STRING_T_BYTES);
  const lengths = new DataView(structs.buffer);
  const long: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = start + r;
    if (nulls && !data.getValid(row)) continue;
    const from = offsets[row];
    const length = offsets[row + 1] - from;
    if (length > INLINED_STRING_BYTES) {
      long.push(r);
      continue;
    }
    lengths.setUint32(r * STRING_T_BYTES, length, true);
    for (let b = 0, to = r * STRING_T_BYTES + 4; b < length; b++, to++) structs[to] = bytes[from + b];
  }
  const together = long.length > 0 && pointIntoOneCopy(target, structs, long, bytes, offsets, start);
  bindings.copy_data_to_vector(target, 0, structs.buffer, 0, structs.byteLength);
  if (!together) for (const r of long) bindings.vector_assign_string_element_len(target, r, bytes.subarray(offsets[start + r], offsets[start + r + 1]));
  copyValidity(target, data, start, rows);
  return true;
}

/**
 * Writes into `structs` the string structs of the rows `long` (of strings longer than 12 bytes),
 * each pointing into one copy of their bytes in the vector's string heap: the bytes from the
 * first one's start to the last one's end are given DuckDB as the first row's string (one native
 * call, where one per string cost more than the copying), and the other rows point into where
 * DuckDB put them. The heap keeps that copy as long as the vector's strings. False, and nothing
 * written, when those bytes are not all UTF-8 (a peer's rows may hold anything, even in a NULL
 * row's place): DuckDB keeps no copy of text that is not, and the rows would point at nothing.
 */
function pointIntoOneCopy(target: bindings.Vector, structs: Uint8Array, long: readonly number[], bytes: Uint8Array, offsets: Int32Array, start: number): boolean {
  const first = long[0];
  const spanStart = offsets[start + first];
  const span = bytes.subarray(spanStart, offsets[start + long[long.length - 1] + 1]);
  if (!isUtf8(span)) return false;
  bindings.vector_assign_string_element_len(target, first, span);
  const assigned = bindings.vector_get_data(target, (first + 1) * STRING_T_BYTES);
  const copied = new DataView(assigned.buffer, assigned.byteOffset, assigned.byteLength);
  const pointerLow = copied.getUint32(first * STRING_T_BYTES + 8, true);
  const pointerHigh = copied.getUint32(first * STRING_T_BYTES + 12, true);
  const fields = new DataView(structs.buffer, structs.byteOffset, structs.byteLength);
  for (const r of long) {
    const from = offsets[start + r];
    const at = r * STRING_T_BYTES;
    fields.setUint32(at, offsets[start + r + 1] - from, true);
    // DuckDB's struct keeps a long string's first 4 bytes beside its pointer.
    for (let b = 0; b < 4; b++) structs[at + 4 + b] = bytes[from + b];
    const low = pointerLow + (from - spanStart);
    fields.setUint32(at + 8, low >>> 0, true);
    fields.setUint32(at + 12, pointerHigh + Math.floor(low / 0x1_0000_0000), true);
  }
  return true;
}

/** Marks the NULL rows of [start, start + rows) of `data` in a vector, as one bitmap copy (the vector starts all valid). */
function copyValidity(target: bindings.Vector, data: arrow.Data, start: number, rows: number): void {
  if (data.nullCount === 0 || !data.nullBitmap) return;
  // DuckDB's mask is 64-bit words with Arrow's bit order.
  const mask = new Uint8Array(((rows + 63) >> 6) * 8);
  const from = data.offset + start;
  const source = data.nullBitmap;
  if ((from & 7) === 0) {
    mask.set(source.subarray(from >> 3, (from >> 3) + ((rows + 7) >> 3)));
    if (rows & 7) mask[rows >> 3] &= (1 << (rows & 7)) - 1;
  } else {
    for (let r = 0; r < rows; r++) if ((source[(from + r) >> 3] >> ((from + r) & 7)) & 1) mask[r >> 3] |= 1 << (r & 7);
  }
  bindings.vector_ensure_validity_writable(target);
  bindings.copy_data_to_vector_validity(target, 0, mask.buffer, mask.byteOffset, mask.byteLength);
}

/**
 * Fills `chunk` (of `types`) with rows [start, start + rows) of `batch`: fixed-width and text
 * columns are copied raw, the rest value by value.
 */
function fillChunk(chunk: DuckDBDataChunk, types: readonly DuckDBType[], readers: readonly Reader[], batch: arrow.RecordBatch, start: number, rows: number): void {
  invariant(batch.numCols === types.length, `a batch of ${batch.numCols} columns for a table of ${types.length}`);
  for (let c = 0; c < types.length; c++) {
    const data = batch.data.children[c];
    if (copyText(chunk, c, types[c], data, start, rows) || copyFixedWidth(chunk.getColumnVector(c), data, start, rows)) continue;
    const read = readers[c](data);
    const values: DuckDBValue[] = new Array(rows);
    for (let r = 0; r < rows; r++) values[r] = data.getValid(start + r) ? read(start + r) : null;
    chunk.setColumnValues(c, values);
  }
}

/**
 * A scan of `batches` as a DuckDB table function's source: each call of `next` fills the
 * function's output chunk with the following rows (at most one vector's worth) and returns how
 * many; 0 when the batches are done. The rows are read where they are, never stored in DuckDB.
 */
export class BatchScan {
  readonly #types: readonly DuckDBType[];
  readonly #readers: readonly Reader[];
  readonly #batches: readonly arrow.RecordBatch[];
  #batch = 0;
  #start = 0;

  constructor(types: readonly DuckDBType[], batches: readonly arrow.RecordBatch[]) {
    this.#types = types;
    this.#readers = types.map(readerFor);
    this.#batches = batches.filter((b) => b.numRows > 0);
  }

  next(chunk: DuckDBDataChunk): number {
    const batch = this.#batches[this.#batch];
    if (!batch) {
      chunk.rowCount = 0;
      return 0;
    }
    const rows = Math.min(CHUNK_ROWS, batch.numRows - this.#start);
    chunk.rowCount = rows;
    fillChunk(chunk, this.#types, this.#readers, batch, this.#start, rows);
    this.#start += rows;
    if (this.#start >= batch.numRows) {
      this.#batch++;
      this.#start = 0;
    }
    return rows;
  }
}
