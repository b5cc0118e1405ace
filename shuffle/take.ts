// Picking rows out of Arrow data by index, a buffer at a time: the kernel the partitioner runs
// once per destination (and an ordered gather's merge, over its runs put end to end by
// concatBatches). apache-arrow's JavaScript library has no such kernel (its builders go value by
// value through type dispatch, a few times slower).
import * as arrow from "apache-arrow";
import { MAX_ARROW_OFFSET } from "../common/arrow-limits.ts";
import { UnsupportedError, invariant } from "../common/errors.ts";

/** Types whose values are `stride` elements each of one typed array: taken and concatenated alike. */
const FIXED_WIDTH_TYPES: ReadonlySet<arrow.Type> = new Set([
  arrow.Type.Int,
  arrow.Type.Float,
  arrow.Type.Decimal,
  arrow.Type.Date,
  arrow.Type.Timestamp,
  arrow.Type.Time,
  arrow.Type.Interval,
  arrow.Type.Duration,
  arrow.Type.FixedSizeBinary,
]);
/** Values longer than this are copied through a view of their bytes, shorter ones byte by byte. */
const LONG_VALUE_BYTES = 64;

/** The rows of `batch` at `indexes`, in that order. */
export function takeRows(batch: arrow.RecordBatch, indexes: Uint32Array): arrow.RecordBatch {
  const children = batch.data.children.map((column) => takeData(column, indexes));
  const data = arrow.makeData({ type: new arrow.Struct(batch.schema.fields), length: indexes.length, children, nullCount: 0 });
  return new arrow.RecordBatch(batch.schema, data);
}

/** The approximate bytes a batch holds: what a receiver's memory budget counts. */
export function batchBytes(batch: arrow.RecordBatch): number {
  return batch.data.children.reduce((bytes, column) => bytes + dataBytes(column), 0);
}

/** The bytes of a column's buffers, a list's elements and a struct's fields included. */
function dataBytes(data: arrow.Data): number {
  let bytes = (data.values?.byteLength ?? 0) + (data.valueOffsets?.byteLength ?? 0) + (data.nullBitmap?.byteLength ?? 0);
  for (const child of data.children) bytes += dataBytes(child);
  return bytes;
}

// apache-arrow slices the value and offset buffers of a sliced Data but not its bitmaps: values
// and offsets are indexed from 0, validity and boolean bits from `data.offset`. Nor a list's
// child: a sliced list's offsets point into its child's rows as they were before the slice. A
// struct's children it does slice with it: row i of each field is the struct's row i.
function takeData(data: arrow.Data, indexes: Uint32Array): arrow.Data {
  const type = data.type as arrow.DataType;
  const length = indexes.length;
  const { bitmap: nullBitmap, nullCount } = takeValidity(data, indexes);
  if (FIXED_WIDTH_TYPES.has(type.typeId)) {
    const values = data.values as Uint8Array;
    const stride = data.stride;
    const out = new (values.constructor as new (n: number) => typeof values)(length * stride);
    if (stride === 1) for (let i = 0; i < length; i++) out[i] = values[indexes[i]];
    else {
      for (let i = 0; i < length; i++) {
        const from = indexes[i] * stride;
        for (let s = 0; s < stride; s++) out[i * stride + s] = values[from + s];
      }
    }
    return arrow.makeData({ type, length, nullCount, nullBitmap, data: out } as never);
  }
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const bits = data.values as Uint8Array;
      const out = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) {
        const bit = data.offset + indexes[i];
        if ((bits[bit >> 3] >> (bit & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
      }
      return arrow.makeData({ type: type as arrow.Bool, length, nullCount, nullBitmap, data: out });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const outOffsets = new Int32Array(length + 1);
      for (let i = 0; i < length; i++) {
        const row = indexes[i];
        outOffsets[i + 1] = outOffsets[i] + offsets[row + 1] - offsets[row];
      }
      const out = new Uint8Array(outOffsets[length]);
      for (let i = 0; i < length; i++) {
        const row = indexes[i];
        const start = offsets[row];
        const end = offsets[row + 1];
        // Most values are a few bytes: a loop costs less than a view of each to copy from.
        if (end - start > LONG_VALUE_BYTES) out.set(bytes.subarray(start, end), outOffsets[i]);
        else for (let from = start, to = outOffsets[i]; from < end; from++, to++) out[to] = bytes[from];
      }
      return arrow.makeData({ type: type as arrow.Utf8, length, nullCount, nullBitmap, valueOffsets: outOffsets, data: out });
    }
    case arrow.Type.List:
    // A map is laid out as a list of key-value structs (exec/arrow.ts), and taken, hashed and ordered as one.
    case arrow.Type.Map: {
      // The rows' elements, taken from the child in the rows' order; a NULL row gets none.
      const offsets = data.valueOffsets as Int32Array;
      const outOffsets = new Int32Array(length + 1);
      let total = 0;
      for (let i = 0; i < length; i++) {
        const row = indexes[i];
        total += nullBitmap && !((nullBitmap[i >> 3] >> (i & 7)) & 1) ? 0 : offsets[row + 1] - offsets[row];
        if (total > MAX_ARROW_OFFSET) throw new UnsupportedError(`putting over ${MAX_ARROW_OFFSET} list elements in one column (Arrow's 32-bit offsets hold no more)`);
        outOffsets[i + 1] = total;
      }
      const elements = new Uint32Array(outOffsets[length]);
      for (let i = 0, at = 0; i < length; i++) {
        for (let k = offsets[indexes[i]], size = outOffsets[i + 1] - outOffsets[i]; size > 0; k++, size--) elements[at++] = k;
      }
      const child = takeData(data.children[0], elements);
      return arrow.makeData({ type: type as arrow.List, length, nullCount, nullBitmap, valueOffsets: outOffsets, child });
    }
    case arrow.Type.Struct: {
      // Each field's values at the same rows (a NULL struct's too: they are there, and unread).
      const children = data.children.map((child) => takeData(child, indexes));
      return arrow.makeData({ type: type as arrow.Struct, length, nullCount, nullBitmap, children });
    }
    default:
      throw new UnsupportedError(`shuffling a column of type ${type}`);
  }
}

function takeValidity(data: arrow.Data, indexes: Uint32Array): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return { bitmap: undefined, nullCount: 0 };
  const source = data.nullBitmap;
  const bitmap = new Uint8Array((indexes.length + 7) >> 3);
  let valid = 0;
  for (let i = 0; i < indexes.length; i++) {
    const bit = data.offset + indexes[i];
    if ((source[bit >> 3] >> (bit & 7)) & 1) {
      bitmap[i >> 3] |= 1 << (i & 7);
      valid++;
    }
  }
  return { bitmap, nullCount: indexes.length - valid };
}

/** The rows of `batches` (of one schema), one after another, as one batch with buffers of its own. */
export function concatBatches(batches: readonly arrow.RecordBatch[]): arrow.RecordBatch {
  invariant(batches.length > 0, "concatenating no batches");
  const schema = batches[0].schema;
  const length = batches.reduce((n, b) => n + b.numRows, 0);
  const children = schema.fields.map((_, c) => concatData(batches.map((b) => b.data.children[c]), length));
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length, children, nullCount: 0 }));
}

function concatData(parts: readonly arrow.Data[], length: number): arrow.Data {
  const type = parts[0].type as arrow.DataType;
  const { bitmap: nullBitmap, nullCount } = concatValidity(parts, length);
  if (FIXED_WIDTH_TYPES.has(type.typeId)) {
    const stride = parts[0].stride;
    const first = parts[0].values as Uint8Array;
    const out = new (first.constructor as new (n: number) => typeof first)(length * stride);
    let at = 0;
    for (const part of parts) {
      out.set((part.values as Uint8Array).subarray(0, part.length * stride), at);
      at += part.length * stride;
    }
    return arrow.makeData({ type, length, nullCount, nullBitmap, data: out } as never);
  }
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const out = new Uint8Array((length + 7) >> 3);
      let at = 0;
      for (const part of parts) {
        const bits = part.values as Uint8Array;
        for (let r = 0; r < part.length; r++, at++) {
          const bit = part.offset + r;
          if ((bits[bit >> 3] >> (bit & 7)) & 1) out[at >> 3] |= 1 << (at & 7);
        }
      }
      return arrow.makeData({ type: type as arrow.Bool, length, nullCount, nullBitmap, data: out });
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const bytes = parts.reduce((n, p) => n + (p.valueOffsets as Int32Array)[p.length] - (p.valueOffsets as Int32Array)[0], 0);
      if (bytes > MAX_ARROW_OFFSET) throw new UnsupportedError(`putting ${bytes} bytes of text in one column (Arrow's 32-bit offsets hold ${MAX_ARROW_OFFSET})`);
      const outOffsets = new Int32Array(length + 1);
      const out = new Uint8Array(bytes);
      let row = 0;
      for (const part of parts) {
        const offsets = part.valueOffsets as Int32Array;
        const base = outOffsets[row] - offsets[0];
        out.set((part.values as Uint8Array).subarray(offsets[0], offsets[part.length]), outOffsets[row]);
        for (let r = 1; r <= part.length; r++) outOffsets[row + r] = offsets[r] + base;
        row += part.length;
      }
      return arrow.makeData({ type: type as arrow.Utf8, length, nullCount, nullBitmap, valueOffsets: outOffsets, data: out });
    }
    case arrow.Type.List:
    // A map is laid out as a list of key-value structs (exec/arrow.ts), and taken, hashed and ordered as one.
    case arrow.Type.Map: {
      // Each part's elements (a slice of its child: the rows' offsets need not start at 0) one
      // after another, the offsets moved along with them.
      const elements = parts.reduce((n, p) => n + (p.valueOffsets as Int32Array)[p.length] - (p.valueOffsets as Int32Array)[0], 0);
      if (elements > MAX_ARROW_OFFSET) throw new UnsupportedError(`putting ${elements} list elements in one column (Arrow's 32-bit offsets hold ${MAX_ARROW_OFFSET})`);
      const outOffsets = new Int32Array(length + 1);
      const children: arrow.Data[] = [];
      let row = 0;
      for (const part of parts) {
        const offsets = part.valueOffsets as Int32Array;
        const base = outOffsets[row] - offsets[0];
        for (let r = 1; r <= part.length; r++) outOffsets[row + r] = offsets[r] + base;
        children.push(part.children[0].slice(offsets[0], offsets[part.length] - offsets[0]));
        row += part.length;
      }
      const child = concatData(children, elements);
      return arrow.makeData({ type: type as arrow.List, length, nullCount, nullBitmap, valueOffsets: outOffsets, child });
    }
    case arrow.Type.Struct: {
      // Each field's parts end to end, as the structs' are.
      const children = (type as arrow.Struct).children.map((_, f) => concatData(parts.map((part) => part.children[f]), length));
      return arrow.makeData({ type: type as arrow.Struct, length, nullCount, nullBitmap, children });
    }
    default:
      throw new UnsupportedError(`concatenating a column of type ${type}`);
  }
}

function concatValidity(parts: readonly arrow.Data[], length: number): { bitmap: Uint8Array | undefined; nullCount: number } {
  const nullCount = parts.reduce((n, p) => n + p.nullCount, 0);
  if (nullCount === 0) return { bitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array((length + 7) >> 3);
  let at = 0;
  for (const part of parts) {
    const source = part.nullCount > 0 ? part.nullBitmap : undefined;
    for (let r = 0; r < part.length; r++, at++) {
      const bit = part.offset + r;
      if (!source || (source[bit >> 3] >> (bit & 7)) & 1) bitmap[at >> 3] |= 1 << (at & 7);
    }
  }
  return { bitmap, nullCount };
}
