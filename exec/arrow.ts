// DuckDB result chunks as an Apache Arrow table: values are copied column by column into
// Arrow buffers of the matching type (decimals stay exact 128-bit decimals, dates stay days).
import * as arrow from "apache-arrow";
import { DuckDBTypeId, type DuckDBDataChunk, type DuckDBType, type DuckDBDecimalType } from "@duckdb/node-api";

type FixedBuffer = Int8Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array;

interface ColumnBuilder {
  type: arrow.DataType;
  append(value: unknown): void;
  /** Appends a whole DuckDB vector from its raw values, when they are laid out as this column's; false otherwise. */
  appendVector?(vector: RawVector, rows: number): boolean;
  finish(): arrow.Data;
}

/** What a bulk copy reads of DuckDB's vector classes: their raw values and validity. */
interface RawVector {
  readonly items?: ArrayBufferView;
  readonly dataView?: DataView;
  readonly validity: { itemValid(index: number): boolean };
}

/** Fixed-width columns: values go straight into a typed array, nulls into a validity bitmap. */
function fixedWidth<T extends arrow.DataType>(
  type: T,
  allocate: (length: number) => FixedBuffer,
  stride: number,
  write: (buffer: never, index: number, value: unknown) => void,
): ColumnBuilder {
  let values = allocate(1024 * stride);
  let validity = new Uint8Array(128);
  let length = 0;
  let nullCount = 0;
  const reserve = (rows: number) => {
    while ((length + rows) * stride > values.length) {
      const grown = allocate(values.length * 2);
      grown.set(values as never);
      values = grown;
      const bits = new Uint8Array(validity.length * 2);
      bits.set(validity);
      validity = bits;
    }
  };
  return {
    type,
    appendVector(vector, rows) {
      const sameLayout = vector.items && vector.items.constructor === values.constructor && stride === 1;
      const decimal = vector.dataView && values instanceof Uint32Array && stride === 4;
      if (!sameLayout && !decimal) return false;
      reserve(rows);
      if (sameLayout) (values as unknown as { set(a: ArrayLike<unknown>, at: number): void }).set(vector.items as unknown as ArrayLike<unknown>, length);
      else {
        // DuckDB keeps a decimal in 2, 4, 8 or 16 bytes by its width; Arrow in 16: sign-extend.
        const view = vector.dataView!;
        const width = view.byteLength / rows;
        const words = values as Uint32Array;
        for (let r = 0, w = length * 4; r < rows; r++, w += 4) {
          let low: number;
          let high: number;
          if (width === 16) {
            words[w] = view.getUint32(r * 16, true);
            words[w + 1] = view.getUint32(r * 16 + 4, true);
            words[w + 2] = view.getUint32(r * 16 + 8, true);
            words[w + 3] = view.getUint32(r * 16 + 12, true);
            continue;
          } else if (width === 8) {
            low = view.getUint32(r * 8, true);
            high = view.getInt32(r * 8 + 4, true);
          } else if (width === 4) {
            low = view.getInt32(r * 4, true);
            high = low < 0 ? -1 : 0;
          } else {
            low = view.getInt16(r * 2, true);
            high = low < 0 ? -1 : 0;
          }
          const sign = high < 0 ? 0xffffffff : 0;
          words[w] = low >>> 0;
          words[w + 1] = high >>> 0;
          words[w + 2] = sign;
          words[w + 3] = sign;
        }
      }
      for (let r = 0; r < rows; r++, length++) {
        if (vector.validity.itemValid(r)) validity[length >> 3] |= 1 << (length & 7);
        else nullCount++;
      }
      return true;
    },
    append(value) {
      reserve(1);
      if (value === null || value === undefined) nullCount++;
      else {
        validity[length >> 3] |= 1 << (length & 7);
        write(values as never, length, value);
      }
      length++;
    },
    finish() {
      return arrow.makeData({
        type,
        length,
        nullCount,
        nullBitmap: nullCount > 0 ? validity.subarray(0, (length + 7) >> 3) : null,
        data: values.subarray(0, length * stride),
      } as never);
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

function decimal(precision: number, scale: number): ColumnBuilder {
  return fixedWidth(new arrow.Decimal(scale, precision, 128), (n) => new Uint32Array(n), 4, (words: Uint32Array, i, value) => {
    let v = BigInt.asUintN(128, typeof value === "bigint" ? value : (value as { value: bigint }).value);
    for (let w = 0; w < 4; w++) {
      words[i * 4 + w] = Number(v & 0xffffffffn);
      v >>= 32n;
    }
  });
}

function builderFor(type: DuckDBType): ColumnBuilder {
  const set = (buffer: never, i: number, value: unknown) => ((buffer as unknown[])[i] = value);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return viaBuilder(new arrow.Bool());
    case DuckDBTypeId.TINYINT:
      return fixedWidth(new arrow.Int8(), (n) => new Int8Array(n), 1, set);
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return fixedWidth(new arrow.Int16(), (n) => new Int16Array(n), 1, set);
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return fixedWidth(new arrow.Int32(), (n) => new Int32Array(n), 1, set);
    case DuckDBTypeId.BIGINT:
      return fixedWidth(new arrow.Int64(), (n) => new BigInt64Array(n), 1, set);
    case DuckDBTypeId.UINTEGER:
      return fixedWidth(new arrow.Int64(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = BigInt(v as number)));
    case DuckDBTypeId.UBIGINT:
      return decimal(20, 0);
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return decimal(38, 0);
    case DuckDBTypeId.FLOAT:
      return fixedWidth(new arrow.Float32(), (n) => new Float32Array(n), 1, set);
    case DuckDBTypeId.DOUBLE:
      return fixedWidth(new arrow.Float64(), (n) => new Float64Array(n), 1, set);
    case DuckDBTypeId.DECIMAL: {
      const d = type as DuckDBDecimalType;
      return decimal(d.width, d.scale);
    }
    case DuckDBTypeId.DATE:
      return fixedWidth(new arrow.DateDay(), (n) => new Int32Array(n), 1, (b: Int32Array, i, v) => (b[i] = (v as { days: number }).days));
    case DuckDBTypeId.TIMESTAMP:
      return fixedWidth(new arrow.TimestampMicrosecond(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { micros: bigint }).micros));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return fixedWidth(new arrow.TimestampMicrosecond("UTC"), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { micros: bigint }).micros));
    case DuckDBTypeId.TIME:
      return fixedWidth(new arrow.TimeMicrosecond(), (n) => new BigInt64Array(n), 1, (b: BigInt64Array, i, v) => (b[i] = (v as { micros: bigint }).micros));
    case DuckDBTypeId.BLOB:
      return viaBuilder(new arrow.Binary(), (v) => (v as { bytes: Uint8Array }).bytes);
    case DuckDBTypeId.VARCHAR:
      return viaBuilder(new arrow.Utf8());
    default:
      // Intervals, nested and exotic values: DuckDB's own text for them.
      return viaBuilder(new arrow.Utf8(), (v) => String(v));
  }
}

/** Reads every chunk of a result into one Arrow table with the given column names. */
export class ArrowCollector {
  readonly #builders: ColumnBuilder[];
  readonly #names: readonly string[];
  #rows = 0;

  constructor(types: readonly DuckDBType[], names: readonly string[]) {
    this.#builders = types.map(builderFor);
    this.#names = names;
  }

  get rowCount(): number {
    return this.#rows;
  }

  add(chunk: DuckDBDataChunk): void {
    const rows = chunk.rowCount;
    this.#builders.forEach((builder, c) => {
      const vector = chunk.getColumnVector(c);
      if (builder.appendVector?.(vector as unknown as RawVector, rows)) return;
      for (let r = 0; r < rows; r++) builder.append(vector.getItem(r));
    });
    this.#rows += rows;
  }

  finish(): arrow.Table {
    const data = this.#builders.map((b) => b.finish());
    const fields = this.#builders.map((b, i) => new arrow.Field(this.#names[i] ?? `c${i}`, b.type, true));
    const schema = new arrow.Schema(fields);
    const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length: this.#rows, children: data }));
    return new arrow.Table(schema, [batch]);
  }
}
