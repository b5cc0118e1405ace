// DuckDB result chunks as an Apache Arrow table: values are copied column by column into
// Arrow buffers of the matching type (decimals stay exact 128-bit decimals, dates stay days).
import * as arrow from "apache-arrow";
import { BIGINT, BLOB, BOOLEAN, DATE, DECIMAL, DOUBLE, DuckDBListValue, DuckDBStructType, DuckDBStructValue, DuckDBTypeId, FLOAT, INTEGER, LIST, SMALLINT, STRUCT, TIME, TIMESTAMP, TIMESTAMP_NS, TIMESTAMPTZ, TINYINT, VARCHAR, type DuckDBDataChunk, type DuckDBType, type DuckDBDecimalType, type DuckDBListType, type DuckDBMapType, type DuckDBVector } from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";
import { MAX_ARROW_OFFSET } from "../common/arrow-limits.ts";
import { UnsupportedError, UserError } from "../common/errors.ts";

/** DuckDB's vector size: the most rows one result chunk holds. */
const DUCKDB_VECTOR_ROWS = 2048;

type FixedBuffer = Int8Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array;

interface ColumnBuilder {
  type: arrow.DataType;
  append(value: unknown): void;
  /** Appends a whole DuckDB vector from its raw values, when they are laid out as this column's; false otherwise. */
  appendVector?(vector: RawVector, rows: number): boolean;
  finish(): arrow.Data;
}

/** What a bulk copy reads of DuckDB's vector classes: their raw values and validity mask. */
interface RawVector {
  readonly items?: ArrayBufferView;
  readonly dataView?: DataView;
  /** `data`: one bit per row, least significant first (as Arrow's), or null when every row is valid. */
  readonly validity: { readonly data: BigUint64Array | null; readonly offset: number; itemValid(index: number): boolean };
}

const ZERO_BITS = Uint8Array.from({ length: 256 }, (_, byte) => 8 - byte.toString(2).replaceAll("0", "").length);

/**
 * An Arrow validity bitmap grown by whole DuckDB vectors: DuckDB's mask has Arrow's bit order,
 * so a vector's bits are copied (as bytes when they start on a byte boundary), never read row by
 * row through BigInt arithmetic.
 */
class ValidityBits {
  bits: Uint8Array;
  nullCount = 0;

  constructor(capacity: number) {
    this.bits = new Uint8Array(Math.max(8, (capacity + 7) >> 3));
  }

  /** Marks rows [at, at + rows) valid or not from `vector`'s mask. */
  copy(vector: RawVector, at: number, rows: number): void {
    this.reserve(at + rows);
    const mask = vector.validity.data;
    const bits = this.bits;
    if (!mask || vector.validity.offset !== 0) {
      if (!mask) {
        for (let r = at; r < at + rows; r++) bits[r >> 3] |= 1 << (r & 7);
        return;
      }
      for (let r = 0; r < rows; r++) {
        if (vector.validity.itemValid(r)) bits[(at + r) >> 3] |= 1 << ((at + r) & 7);
        else this.nullCount++;
      }
      return;
    }
    const source = new Uint8Array(mask.buffer, mask.byteOffset, (rows + 7) >> 3);
    const whole = rows >> 3;
    if ((at & 7) === 0) {
      bits.set(source.subarray(0, whole), at >> 3);
      for (let i = 0; i < whole; i++) this.nullCount += ZERO_BITS[source[i]];
      for (let r = whole * 8; r < rows; r++) this.#bit(source, r, at + r);
    } else {
      for (let r = 0; r < rows; r++) this.#bit(source, r, at + r);
    }
  }

  /** Marks row `at` valid or null. */
  set(at: number, valid: boolean): void {
    this.reserve(at + 1);
    if (valid) this.bits[at >> 3] |= 1 << (at & 7);
    else this.nullCount++;
  }

  reserve(rows: number): void {
    if (rows <= this.bits.length * 8) return;
    let size = this.bits.length * 2;
    while (size * 8 < rows) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bits);
    this.bits = grown;
  }

  /** What every column's Arrow data says of its rows: how many, how many NULL, and which (no bitmap when none is). */
  rows(length: number): { length: number; nullCount: number; nullBitmap: Uint8Array | null } {
    return { length, nullCount: this.nullCount, nullBitmap: this.nullCount > 0 ? this.bits.subarray(0, (length + 7) >> 3) : null };
  }

  #bit(source: Uint8Array, from: number, to: number): void {
    if ((source[from >> 3] >> (from & 7)) & 1) this.bits[to >> 3] |= 1 << (to & 7);
    else this.nullCount++;
  }
}

/** Fixed-width columns: values go straight into a typed array, nulls into a validity bitmap. */
function fixedWidth<T extends arrow.DataType>(
  type: T,
  allocate: (length: number) => FixedBuffer,
  stride: number,
  write: (buffer: never, index: number, value: unknown) => void,
  capacity: number,
): ColumnBuilder {
  let values = allocate(capacity * stride);
  const validity = new ValidityBits(capacity);
  let length = 0;
  const reserve = (rows: number) => {
    if ((length + rows) * stride <= values.length) return;
    let size = values.length * 2;
    while (size < (length + rows) * stride) size *= 2;
    const grown = allocate(size);
    grown.set(values as never);
    values = grown;
  };
  return {
    type,
    appendVector(vector, rows) {
      const sameLayout = vector.items && vector.items.constructor === values.constructor && stride === 1;
      const decimal = vector.dataView && values instanceof Uint32Array && stride === 4;
      if (!sameLayout && !decimal) return false;
      reserve(rows);
      if (sameLayout) (values as unknown as { set(a: ArrayLike<unknown>, at: number): void }).set(vector.items as unknown as ArrayLike<unknown>, length);
      else copyDecimals(vector.dataView!, rows, values as Uint32Array, length * 4);
      validity.copy(vector, length, rows);
      length += rows;
      return true;
    },
    append(value) {
      reserve(1);
      const valid = value !== null && value !== undefined;
      if (valid) write(values as never, length, value);
      validity.set(length, valid);
      length++;
    },
    finish() {
      return arrow.makeData({
        type,
        ...validity.rows(length),
        data: values.subarray(0, length * stride),
      } as never);
    },
  };
}

/** DuckDB keeps a decimal in 2, 4, 8 or 16 bytes by its width; Arrow in 16: sign-extend into `words` from `at`. */
function copyDecimals(view: DataView, rows: number, words: Uint32Array, at: number): void {
  const width = view.byteLength / rows;
  const aligned = view.byteOffset % 4 === 0;
  if (width === 16 && aligned) {
    words.set(new Uint32Array(view.buffer, view.byteOffset, rows * 4), at);
  } else if (width === 8 && aligned) {
    const halves = new Int32Array(view.buffer, view.byteOffset, rows * 2);
    for (let r = 0, w = at; r < rows; r++, w += 4) {
      const high = halves[2 * r + 1];
      const sign = high >> 31;
      words[w] = halves[2 * r];
      words[w + 1] = high;
      words[w + 2] = sign;
      words[w + 3] = sign;
    }
  } else if (width === 4 && aligned) {
    const ints = new Int32Array(view.buffer, view.byteOffset, rows);
    for (let r = 0, w = at; r < rows; r++, w += 4) {
      const sign = ints[r] >> 31;
      words[w] = ints[r];
      words[w + 1] = sign;
      words[w + 2] = sign;
      words[w + 3] = sign;
    }
  } else {
    for (let r = 0, w = at; r < rows; r++, w += 4) {
      let low: number;
      let high: number;
      if (width === 16) {
        for (let k = 0; k < 4; k++) words[w + k] = view.getUint32(r * 16 + 4 * k, true);
        continue;
      } else if (width === 8) {
        low = view.getUint32(r * 8, true);
        high = view.getInt32(r * 8 + 4, true);
      } else if (width === 4) {
        low = view.getInt32(r * 4, true);
        high = low >> 31;
      } else {
        low = view.getInt16(r * 2, true);
        high = low >> 31;
      }
      const sign = high >> 31;
      words[w] = low;
      words[w + 1] = high;
      words[w + 2] = sign;
      words[w + 3] = sign;
    }
  }
}

/**
 * Bytes between two strings one native call may copy along with them: a span of strings no
 * further apart than this touches no page (4 KiB) without a string's byte on it, so all of it is
 * mapped memory.
 */
const MAX_SPAN_GAP = 256;
/** The most bytes one native call copies out of DuckDB's string heap. */
const MAX_SPAN_BYTES = 1 << 20;

/**
 * Copies one vector's strings that live behind pointers (longer than 12 bytes) into a byte
 * buffer in few native calls, where one call per string cost more than the copy itself: DuckDB
 * keeps a vector's long strings one after another in its heap, so strings whose pointers ascend
 * with small gaps are copied out as one span, then each to its place (the strings of 12 bytes or
 * fewer, kept in place, lie between them in the buffer).
 */
class HeapStrings {
  readonly #view: DataView;
  /** The row whose pointer starts the span; -1: no span. */
  #spanRow = -1;
  #spanStart = 0;
  #spanEnd = 0;
  /** Per string of the span: where it goes in the buffer, its offset in the span, its size. */
  readonly #pending: number[] = [];

  constructor(view: DataView) {
    this.#view = view;
  }

  /** Copies the string of row `row` (`size` bytes behind its pointer) to `bytes[at…]`, now or at the next flush. */
  copy(row: number, size: number, at: number, bytes: Uint8Array): void {
    // x86-64 and arm64 pointers fit in 48 bits: exact as a double.
    const pointer = this.#view.getUint32(row * 16 + 12, true) * 0x1_0000_0000 + this.#view.getUint32(row * 16 + 8, true);
    const extendsSpan = this.#spanRow >= 0 && pointer >= this.#spanEnd && pointer - this.#spanEnd <= MAX_SPAN_GAP && pointer + size - this.#spanStart <= MAX_SPAN_BYTES;
    if (!extendsSpan) {
      this.flush(bytes);
      this.#spanRow = row;
      this.#spanStart = pointer;
    }
    this.#pending.push(at, pointer - this.#spanStart, size);
    this.#spanEnd = pointer + size;
  }

  /** Copies the strings of the span into `bytes`. */
  flush(bytes: Uint8Array): void {
    if (this.#spanRow < 0) return;
    const view = this.#view;
    const span = bindings.get_data_from_pointer(view.buffer as ArrayBuffer, view.byteOffset + this.#spanRow * 16 + 8, this.#spanEnd - this.#spanStart);
    const pending = this.#pending;
    for (let i = 0; i < pending.length; ) {
      const at = pending[i];
      const from = pending[i + 1];
      let size = pending[i + 2];
      // Strings adjacent both in the span and in `bytes` are copied together.
      for (i += 3; i < pending.length && pending[i] === at + size && pending[i + 1] === from + size; i += 3) size += pending[i + 2];
      if (size <= 32) for (let k = 0; k < size; k++) bytes[at + k] = span[from + k];
      else bytes.set(span.subarray(from, from + size), at);
    }
    pending.length = 0;
    this.#spanRow = -1;
  }
}

/**
 * VARCHAR columns as UTF-8 bytes: DuckDB's strings (inline up to 12 bytes, else behind a
 * pointer) are copied into Arrow's value buffer without becoming JavaScript strings.
 */
function utf8(capacity: number): ColumnBuilder {
  const type = new arrow.Utf8();
  let bytes = new Uint8Array(capacity * 16);
  let used = 0;
  let offsets = new Int32Array(capacity + 1);
  const validity = new ValidityBits(capacity);
  let length = 0;
  const reserveRows = (rows: number) => {
    if (length + rows + 1 <= offsets.length) return;
    let size = offsets.length * 2;
    while (size < length + rows + 1) size *= 2;
    const grown = new Int32Array(size);
    grown.set(offsets);
    offsets = grown;
  };
  const reserveBytes = (more: number) => {
    if (used + more <= bytes.length) return;
    let size = bytes.length * 2;
    while (size < used + more) size *= 2;
    if (size > MAX_ARROW_OFFSET) throw new UserError(`a result has a text column of over ${MAX_ARROW_OFFSET} bytes: too large for one batch`);
    const grown = new Uint8Array(size);
    grown.set(bytes.subarray(0, used));
    bytes = grown;
  };
  const encoder = new TextEncoder();
  return {
    type,
    appendVector(vector, rows) {
      const view = vector.dataView;
      if (!view || view.byteLength !== rows * 16) return false;
      reserveRows(rows);
      validity.copy(vector, length, rows);
      const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const bits = validity.bits;
      let total = 0;
      for (let r = 0, row = length; r < rows; r++, row++) if ((bits[row >> 3] >> (row & 7)) & 1) total += view.getUint32(r * 16, true);
      reserveBytes(total);
      const heap = new HeapStrings(view);
      for (let r = 0; r < rows; r++, length++) {
        if ((bits[length >> 3] >> (length & 7)) & 1) {
          const size = view.getUint32(r * 16, true);
          if (size <= 12) {
            for (let k = 0, from = r * 16 + 4; k < size; k++) bytes[used + k] = raw[from + k];
          } else heap.copy(r, size, used, bytes);
          used += size;
        }
        offsets[length + 1] = used;
      }
      heap.flush(bytes);
      return true;
    },
    append(value) {
      reserveRows(1);
      const valid = value !== null && value !== undefined;
      if (valid) {
        const encoded = encoder.encode(String(value));
        reserveBytes(encoded.length);
        bytes.set(encoded, used);
        used += encoded.length;
      }
      validity.set(length, valid);
      offsets[++length] = used;
    },
    finish() {
      return arrow.makeData({
        type,
        ...validity.rows(length),
        valueOffsets: offsets.subarray(0, length + 1),
        data: bytes.subarray(0, used),
      });
    },
  };
}

/** Variable-width and boolean columns go through Arrow's own builders. */
function viaBuilder(type: arrow.DataType, convert: (value: unknown) => unknown = (v) => v): ColumnBuilder {
  const builder = arrow.makeBuilder({ type, nullValues: [null, undefined] });
  return {
    type,
    append(value) {
      builder.append(value === null ? null : (convert(value) as never));
    },
    finish() {
      return builder.finish().flush();
    },
  };
}

/** What a list column's copy reads of DuckDB's list vectors: each row's range of the flat child vector. */
interface RawListVector extends RawVector {
  readonly childVector: DuckDBVector;
  getEntryOffset(index: number): number;
  getEntryLength(index: number): number;
}

/**
 * LIST columns: each row's elements are appended to a builder of the element type (the same
 * builder its column would have: dates stay days, decimals exact), and the row ends at an offset.
 * A NULL list, an empty list and a list of NULLs stay apart: the first is a NULL row, the other
 * two a row of no elements and a row of NULL elements.
 */
function list(type: DuckDBListType, capacity: number): ColumnBuilder {
  // Builders grow by doubling, from at least one value.
  const child = builderFor(type.valueType, Math.max(capacity, 1));
  const arrowType = new arrow.List(new arrow.Field("item", child.type, true));
  let offsets = new Int32Array(capacity + 1);
  const validity = new ValidityBits(capacity);
  let length = 0;
  let elements = 0;
  const reserveRows = (rows: number) => {
    if (length + rows + 1 <= offsets.length) return;
    let size = Math.max(offsets.length * 2, 2);
    while (size < length + rows + 1) size *= 2;
    const grown = new Int32Array(size);
    grown.set(offsets);
    offsets = grown;
  };
  const addElements = (count: number) => {
    elements += count;
    if (elements > MAX_ARROW_OFFSET) throw new UserError(`a result has a list column of over ${MAX_ARROW_OFFSET} elements: too large for one batch`);
  };
  return {
    type: arrowType,
    appendVector(vector, rows) {
      const lists = vector as RawListVector;
      if (!lists.childVector || typeof lists.getEntryOffset !== "function") return false;
      reserveRows(rows);
      validity.copy(vector, length, rows);
      const bits = validity.bits;
      // The elements of the valid rows, in row order: mostly one run of the child vector, which
      // is then copied whole as a column of the element type is; otherwise element by element.
      let runStart = -1;
      let runEnd = -1;
      let contiguous = true;
      const start = length;
      for (let r = 0; r < rows; r++, length++) {
        let size = 0;
        if ((bits[length >> 3] >> (length & 7)) & 1) {
          size = lists.getEntryLength(r);
          if (size > 0) {
            const at = lists.getEntryOffset(r);
            if (runStart < 0) runStart = runEnd = at;
            if (at !== runEnd) contiguous = false;
            runEnd = at + size;
          }
        }
        offsets[length + 1] = offsets[length] + size;
      }
      const count = offsets[length] - offsets[start];
      addElements(count);
      if (count === 0) return true;
      const items = lists.childVector;
      if (contiguous) {
        const run = runStart === 0 && count === items.itemCount ? items : items.slice(runStart, count);
        if (child.appendVector?.(run as unknown as RawVector, count)) return true;
        for (let k = 0; k < count; k++) child.append(run.getItem(k));
        return true;
      }
      for (let r = 0, row = start; r < rows; r++, row++) {
        if (!((bits[row >> 3] >> (row & 7)) & 1)) continue;
        const at = lists.getEntryOffset(r);
        for (let k = 0, size = lists.getEntryLength(r); k < size; k++) child.append(items.getItem(at + k));
      }
      return true;
    },
    append(value) {
      reserveRows(1);
      const valid = value !== null && value !== undefined;
      let size = 0;
      if (valid) {
        const items = (value as { items: readonly unknown[] }).items;
        size = items.length;
        addElements(size);
        for (const item of items) child.append(item);
      }
      validity.set(length, valid);
      offsets[length + 1] = offsets[length] + size;
      length++;
    },
    finish() {
      return arrow.makeData({
        type: arrowType,
        ...validity.rows(length),
        valueOffsets: offsets.subarray(0, length + 1),
        child: child.finish(),
      });
    },
  };
}

/** What a struct column's copy reads of DuckDB's struct vectors: a vector per field, row for row with the struct's. */
interface RawStructVector extends RawVector {
  entryVectorAt(index: number): DuckDBVector;
}

/**
 * STRUCT columns: each field's values go to a builder of the field's type (the one its column
 * would have: a list field stays a list, a struct field a struct), row for row with the
 * struct's, and the struct's own validity is kept apart from its fields'. A NULL struct and a
 * struct of NULL fields stay apart: the first is a NULL row (its fields' values under it are
 * whatever DuckDB left there), the second a valid row of NULL fields.
 */
function struct(type: DuckDBStructType, capacity: number): ColumnBuilder {
  // Builders grow by doubling, from at least one value.
  const fields = type.entryTypes.map((fieldType) => builderFor(fieldType, Math.max(capacity, 1)));
  const arrowType = new arrow.Struct(fields.map((field, f) => new arrow.Field(type.entryNames[f], field.type, true)));
  const validity = new ValidityBits(capacity);
  let length = 0;
  return {
    type: arrowType,
    appendVector(vector, rows) {
      const structs = vector as RawStructVector;
      if (typeof structs.entryVectorAt !== "function") return false;
      validity.copy(vector, length, rows);
      fields.forEach((field, f) => {
        const values = structs.entryVectorAt(f);
        if (field.appendVector?.(values as unknown as RawVector, rows)) return;
        for (let r = 0; r < rows; r++) field.append(values.getItem(r));
      });
      length += rows;
      return true;
    },
    append(value) {
      // A DuckDBStructValue: its entries by field name (an unnamed struct's, all named "", are
      // lost in it; its vectors, appendVector's, keep them).
      const entries = value === null || value === undefined ? undefined : (value as { entries: Readonly<Record<string, unknown>> }).entries;
      fields.forEach((field, f) => field.append(entries ? entries[type.entryNames[f]] : null));
      validity.set(length, entries !== undefined);
      length++;
    },
    finish() {
      return arrow.makeData({
        type: arrowType,
        ...validity.rows(length),
        children: fields.map((field) => field.finish()),
      });
    },
  };
}

/**
 * Maps as Arrow's maps: a list of key-value structs tagged as a map (Arrow lays both out alike).
 * Whoever reads the column as a list of structs (a plan runs maps so: exec/substrait/structs.ts)
 * reads it unchanged; the tag keeps printing it as DuckDB prints a map.
 */
function map(type: DuckDBMapType, capacity: number): ColumnBuilder {
  const entries = list(LIST(STRUCT({ key: type.keyType, value: type.valueType })), capacity);
  const listType = entries.type as arrow.List<arrow.Struct>;
  const arrowType = new arrow.Map_(new arrow.Field("entries", listType.children[0].type, false));
  const unnamedWithin = holdsUnnamedStruct(type.keyType) || holdsUnnamedStruct(type.valueType);
  return {
    type: arrowType,
    appendVector(vector, rows) {
      // DuckDB's MAP is a LIST(STRUCT(key, value)): node-api's map vector holds that list, read as one.
      const entryLists = (vector as unknown as { listVector?: RawVector }).listVector;
      return entryLists !== undefined && entries.appendVector!(entryLists, rows);
    },
    append(value) {
      // Value by value, a DuckDBStructValue keys its fields by name: an unnamed struct's, all named "", would be one field.
      if (unnamedWithin) throw new UnsupportedError("a MAP holding unnamed structs (row(…)) as a column of a result: name the fields ({'a': …}), or write the map as text");
      // A DuckDBMapValue: its entries, each a key and a value.
      const mapEntries = value === null || value === undefined ? undefined : (value as { entries: readonly { key: unknown; value: unknown }[] }).entries;
      entries.append(mapEntries && new DuckDBListValue(mapEntries.map((e) => new DuckDBStructValue({ key: e.key as never, value: e.value as never }))));
    },
    finish() {
      const data = entries.finish();
      return arrow.makeData({ type: arrowType, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, valueOffsets: data.valueOffsets, child: data.children[0] });
    },
  };
}

function decimal(precision: number, scale: number, capacity: number): ColumnBuilder {
  return fixedWidth(new arrow.Decimal(scale, precision, 128), (n) => new Uint32Array(n), 4, (words: Uint32Array, i, value) => {
    let v = BigInt.asUintN(128, typeof value === "bigint" ? value : (value as { value: bigint }).value);
    for (let w = 0; w < 4; w++) {
      words[i * 4 + w] = Number(v & 0xffffffffn);
      v >>= 32n;
    }
  }, capacity);
}

/** Whether a DuckDB type holds a struct of unnamed fields (a ROW(…)'s) anywhere within it. */
function holdsUnnamedStruct(type: DuckDBType): boolean {
  switch (type.typeId) {
    case DuckDBTypeId.STRUCT: {
      const struct = type as DuckDBStructType;
      return struct.entryNames.every((name) => name === "") || struct.entryTypes.some(holdsUnnamedStruct);
    }
    case DuckDBTypeId.LIST:
      return holdsUnnamedStruct((type as DuckDBListType).valueType);
    case DuckDBTypeId.MAP:
      return holdsUnnamedStruct((type as DuckDBMapType).keyType) || holdsUnnamedStruct((type as DuckDBMapType).valueType);
    default:
      return false;
  }
}

/** The Arrow type a DuckDB column's values become here. */
export function arrowTypeOf(type: DuckDBType): arrow.DataType {
  return builderFor(type, 0).type;
}

const INTEGER_TYPES: Readonly<Record<number, DuckDBType>> = { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT };

/**
 * The DuckDB type of an Arrow column of arrowTypeOf's: what it is written back as (a column
 * arrowTypeOf made text, an INTERVAL or a UUID, stays VARCHAR). A map as the list of its entries,
 * STRUCT(key, value)[], as Arrow lays it out and BatchScan reads it (map_from_entries makes it a
 * map again); a struct of no names (a ROW's) as one of fields v1, v2, … (BatchScan gives a
 * struct's values to its fields by name).
 */
export function duckdbTypeOfArrow(type: arrow.DataType): DuckDBType {
  if (arrow.DataType.isBool(type)) return BOOLEAN;
  if (arrow.DataType.isInt(type) && type.isSigned && INTEGER_TYPES[type.bitWidth]) return INTEGER_TYPES[type.bitWidth];
  if (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF) return type.precision === arrow.Precision.SINGLE ? FLOAT : DOUBLE;
  if (arrow.DataType.isDecimal(type)) return DECIMAL(type.precision, type.scale);
  if (arrow.DataType.isDate(type) && type.unit === arrow.DateUnit.DAY) return DATE;
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.NANOSECOND && !type.timezone) return TIMESTAMP_NS;
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.MICROSECOND) return type.timezone ? TIMESTAMPTZ : TIMESTAMP;
  if (arrow.DataType.isTime(type) && type.unit === arrow.TimeUnit.MICROSECOND) return TIME;
  if (arrow.DataType.isBinary(type)) return BLOB;
  if (arrow.DataType.isUtf8(type)) return VARCHAR;
  if (arrow.DataType.isList(type)) return LIST(duckdbTypeOfArrow(type.children[0].type));
  if (arrow.DataType.isMap(type)) {
    const [key, value] = (type.children[0].type as arrow.Struct).children;
    return LIST(new DuckDBStructType(["key", "value"], [duckdbTypeOfArrow(key.type), duckdbTypeOfArrow(value.type)]));
  }
  if (arrow.DataType.isStruct(type)) {
    // apache-arrow reads a field of no name back from IPC as null.
    return new DuckDBStructType(type.children.map((f, i) => f.name || `v${i + 1}`), type.children.map((f) => duckdbTypeOfArrow(f.type)));
  }
  throw new UnsupportedError(`an Arrow column of type ${type}`);
}

function builderFor(type: DuckDBType, capacity: number): ColumnBuilder {
  const set = (buffer: never, i: number, value: unknown) => ((buffer as unknown[])[i] = value);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return viaBuilder(new arrow.Bool());
    case DuckDBTypeId.TINYINT:
      return fixedWidth(new arrow.Int8(), (n) => new Int8Array(n), 1, set, capacity);
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return fixedWidth(new arrow.Int16(), (n) => new Int16Array(n), 1, set, capacity);
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return fixedWidth(new arrow.Int32(), (n) => new Int32Array(n), 1, set, capacity);
    case DuckDBTypeId.BIGINT:
      return fixedWidth(new arrow.Int64(), (n) => new BigInt64Array(n), 1, set, capacity);
    case DuckDBTypeId.UINTEGER:
      return fixedWidth(new arrow.Int64(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = BigInt(v as number)), capacity);
    case DuckDBTypeId.UBIGINT:
      return decimal(20, 0, capacity);
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return decimal(38, 0, capacity);
    case DuckDBTypeId.FLOAT:
      return fixedWidth(new arrow.Float32(), (n) => new Float32Array(n), 1, set, capacity);
    case DuckDBTypeId.DOUBLE:
      return fixedWidth(new arrow.Float64(), (n) => new Float64Array(n), 1, set, capacity);
    case DuckDBTypeId.DECIMAL: {
      const d = type as DuckDBDecimalType;
      return decimal(d.width, d.scale, capacity);
    }
    case DuckDBTypeId.DATE:
      return fixedWidth(new arrow.DateDay(), (n) => new Int32Array(n), 1, (b: Int32Array, i, v) => (b[i] = (v as { days: number }).days), capacity);
    case DuckDBTypeId.TIMESTAMP:
      return fixedWidth(new arrow.TimestampMicrosecond(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { micros: bigint }).micros), capacity);
    case DuckDBTypeId.TIMESTAMP_NS:
      return fixedWidth(new arrow.TimestampNanosecond(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { nanos: bigint }).nanos), capacity);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return fixedWidth(new arrow.TimestampMicrosecond("UTC"), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { micros: bigint }).micros), capacity);
    case DuckDBTypeId.TIME:
      return fixedWidth(new arrow.TimeMicrosecond(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { micros: bigint }).micros), capacity);
    case DuckDBTypeId.BLOB:
      return viaBuilder(new arrow.Binary(), (v) => (v as { bytes: Uint8Array }).bytes);
    case DuckDBTypeId.VARCHAR:
      return utf8(capacity);
    case DuckDBTypeId.LIST:
      return list(type as DuckDBListType, capacity);
    case DuckDBTypeId.STRUCT:
      return struct(type as DuckDBStructType, capacity);
    case DuckDBTypeId.MAP:
      return map(type as DuckDBMapType, capacity);
    default:
      // Intervals, UUIDs and exotic values: DuckDB's own text for them (in a list or a struct
      // too: an INTERVAL[] is a list of texts, which exec/arrow-load.ts reads back as intervals;
      // a UUID's text, lower-case hex, orders as the UUID does).
      return viaBuilder(new arrow.Utf8(), (v) => String(v));
  }
}

/**
 * Rows per batch a collector makes: every batch's buffers are allocated once at this size (growing
 * one large buffer by doubling cost page faults on fresh memory, more than the copy), and a
 * task's output is already in the pieces an exchange sends.
 */
export const COLLECT_BATCH_ROWS = 4096;

/** Reads every chunk of a result into an Arrow table with the given column names, in batches of at most `batchRows` rows. */
export class ArrowCollector {
  readonly #types: readonly DuckDBType[];
  readonly #batchRows: number;
  readonly #fields: arrow.Field[] = [];
  readonly #batches: arrow.RecordBatch[] = [];
  #builders: ColumnBuilder[];
  #batchLength = 0;
  #rows = 0;

  constructor(types: readonly DuckDBType[], names: readonly string[], batchRows = COLLECT_BATCH_ROWS) {
    this.#types = types;
    this.#batchRows = Math.max(batchRows, DUCKDB_VECTOR_ROWS);
    this.#builders = this.#newBuilders();
    this.#fields = this.#builders.map((b, i) => new arrow.Field(names[i] ?? `c${i}`, b.type, true));
  }

  get rowCount(): number {
    return this.#rows;
  }

  add(chunk: DuckDBDataChunk): void {
    const rows = chunk.rowCount;
    if (this.#batchLength + rows > this.#batchRows) this.#flush();
    this.#builders.forEach((builder, c) => {
      const vector = chunk.getColumnVector(c);
      if (builder.appendVector?.(vector as unknown as RawVector, rows)) return;
      for (let r = 0; r < rows; r++) builder.append(vector.getItem(r));
    });
    this.#batchLength += rows;
    this.#rows += rows;
  }

  finish(): arrow.Table {
    if (this.#batchLength > 0 || this.#batches.length === 0) this.#flush();
    return new arrow.Table(new arrow.Schema(this.#fields), this.#batches);
  }

  #newBuilders(): ColumnBuilder[] {
    return this.#types.map((type) => builderFor(type, this.#batchRows));
  }

  #flush(): void {
    const data = this.#builders.map((b) => b.finish());
    const schema = new arrow.Schema(this.#fields);
    this.#batches.push(new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(this.#fields), length: this.#batchLength, children: data })));
    this.#builders = this.#newBuilders();
    this.#batchLength = 0;
  }
}
