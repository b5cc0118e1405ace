// One rendering of Arrow values as text, shared by every output format and by the tests that
// compare answers: decimals exact, dates as YYYY-MM-DD, timestamps as ISO-like local text
// without a zone (as DuckDB prints them), NULL as null (each format decides how to show it).
import * as arrow from "apache-arrow";
import { isAscii } from "node:buffer";
import { arrowTimeToMicros, formatDateDays, formatTimeMicros, formatTimestampMicros, formatTimestampNanos } from "../../common/temporal.ts";
import { decimalToBigInt, formatDecimalAt, formatScaled } from "../../common/decimal.ts";
import { ResultHasher } from "../../common/result-hash.ts";

export { decimalToBigInt, formatScaled };

export { formatTimestampMicros as formatTimestamp };

const MS_PER_DAY = 86_400_000;



/** The text of one non-null value of the given Arrow type. */
export function formatValue(type: arrow.DataType, value: unknown): string {
  if (arrow.DataType.isDecimal(type)) {
    return formatScaled(decimalToBigInt(value as Uint32Array), type.scale);
  }
  if (arrow.DataType.isDate(type)) {
    return formatDateDays(Math.floor(Number(value) / MS_PER_DAY));
  }
  if (arrow.DataType.isTimestamp(type)) {
    // An instant (a time zone on the type) is written in UTC with its offset, as DuckDB writes it there.
    return formatTimestampMicros(arrowTimeToMicros(value as bigint | number, type.unit)) + (type.timezone ? "+00" : "");
  }
  if (arrow.DataType.isTime(type)) {
    return formatTimeMicros(arrowTimeToMicros(value as bigint | number, type.unit));
  }
  if (arrow.DataType.isFloat(type)) {
    return formatFloat(value as number);
  }
  if (arrow.DataType.isBool(type)) {
    return value ? "true" : "false";
  }
  if (arrow.DataType.isBinary(type)) {
    return formatBytes(value as Uint8Array);
  }
  if (arrow.DataType.isList(type)) {
    const child = (type as arrow.List).children[0].type;
    const items = [...(value as arrow.Vector)].map((v) => (v === null ? "NULL" : formatValue(child, v)));
    return `[${items.join(", ")}]`;
  }
  if (arrow.DataType.isStruct(type)) {
    const row = value as Record<string, unknown>;
    const fields = (type as arrow.Struct).children.map(
      (f) => `'${f.name}': ${row[f.name] === null ? "NULL" : formatValue(f.type, row[f.name])}`,
    );
    return `{${fields.join(", ")}}`;
  }
  if (arrow.DataType.isInterval(type) || arrow.DataType.isDuration(type)) {
    return String(value);
  }
  return String(value);
}

/** Bytes as DuckDB writes a BLOB: printable ASCII as itself, any other byte (and \, ', ") as \xHH. */
export function formatBytes(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    const printable = byte >= 0x20 && byte <= 0x7e && byte !== 0x5c && byte !== 0x27 && byte !== 0x22;
    text += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return text;
}

export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return String(value);
}

/** Whether a column's values read as numbers (right-aligned in tables, unquoted in JSON). */
export function isNumeric(type: arrow.DataType): boolean {
  return arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type);
}

export interface TextColumn {
  name: string;
  type: arrow.DataType;
  /** Rendered values; null stays null. */
  values: (string | null)[];
}

/**
 * Rows made text at a time when a whole result need not be (printing it, hashing it): each
 * column's text of 65,536 rows is a few MB, of six million rows gigabytes of small strings, and
 * as one string past V8's limit (~512 MB; lineitem at SF 1 is 0.76 GB of CSV).
 */
const TEXT_SLICE_ROWS = 65_536;

/** tableToText of the table's rows `rows` at a time (fewer at the end). */
export function* textSlices(table: arrow.Table, names?: readonly string[], rows = TEXT_SLICE_ROWS): Generator<{ columns: TextColumn[]; rows: number }> {
  for (let start = 0; start < table.numRows; start += rows) {
    const slice = table.slice(start, Math.min(table.numRows, start + rows));
    yield { columns: tableToText(slice, names), rows: slice.numRows };
  }
}

/**
 * The result hash (common/result-hash.ts) of a table's rows as text, made a slice at a time,
 * letting other work run between slices: a node hashing a large answer (seconds for millions of
 * rows) still takes part in the ledger meanwhile.
 */
export async function resultHashOfTable(table: arrow.Table, names: readonly string[]): Promise<string> {
  const hasher = new ResultHasher(names);
  for (const slice of textSlices(table, names)) {
    hasher.add(slice.columns.map((c) => c.values));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return hasher.digest();
}

/** Every value of a table as text, column by column. */
export function tableToText(table: arrow.Table, names?: readonly string[]): TextColumn[] {
  return table.schema.fields.map((field, i) => {
    const column = table.getChildAt(i)!;
    const values: (string | null)[] = new Array(column.length);
    // Batch by batch, from the buffers where a type allows: a value read through the whole
    // column first looks for its batch, and Arrow's getters build an object or a BigInt per value.
    let row = 0;
    const dates = new Map<number, string>();
    for (const data of column.data) {
      const text = textOf(data, dates);
      for (let r = 0; r < data.length; r++, row++) values[row] = data.getValid(r) ? text(r) : null;
    }
    return { name: names?.[i] ?? field.name, type: field.type, values };
  });
}

const TWO_POW_32 = 2 ** 32;

/**
 * The text of row `r`'s (valid) value of `data`, read from its buffers where its type allows
 * (apache-arrow slices the values and offsets of a sliced Data, so they start at its first row);
 * other types through the getter. `dates` caches a column's days as text.
 */
function textOf(data: arrow.Data, dates: Map<number, string>): (r: number) => string {
  const type = data.type as arrow.DataType;
  if (arrow.DataType.isDecimal(type)) {
    const words = data.values as Uint32Array;
    return (r) => formatDecimalAt(words, r * data.stride, data.stride, type.scale);
  }
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.NANOSECOND) {
    // Arrow's getter gives milliseconds as a double, which cannot hold nanoseconds: the raw values can.
    const nanos = data.values as BigInt64Array;
    return (r) => formatTimestampNanos(nanos[r]);
  }
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth < 64) {
      const ints = data.values as Int32Array;
      return (r) => String(ints[r]);
    }
    // Two 32-bit words, little-endian: most values fit a double exactly, without a BigInt.
    const words = new Uint32Array((data.values as BigInt64Array).buffer, (data.values as BigInt64Array).byteOffset, data.length * 2);
    const big = data.values as BigInt64Array | BigUint64Array;
    const signed = type.isSigned;
    return (r) => {
      const low = words[2 * r];
      const high = signed ? words[2 * r + 1] | 0 : words[2 * r + 1];
      return high >= -0x20_0000 && high < 0x20_0000 ? String(high * TWO_POW_32 + low) : String(big[r]);
    };
  }
  if (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF) {
    const floats = data.values as Float32Array | Float64Array;
    return (r) => formatFloat(floats[r]);
  }
  if (arrow.DataType.isDate(type) && type.unit === arrow.DateUnit.DAY) {
    const days = data.values as Int32Array;
    return (r) => {
      let text = dates.get(days[r]);
      if (text === undefined) dates.set(days[r], (text = formatDateDays(days[r])));
      return text;
    };
  }
  if (arrow.DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = Buffer.from((data.values as Uint8Array).buffer, (data.values as Uint8Array).byteOffset, (data.values as Uint8Array).byteLength);
    const [start, end] = [offsets[0], offsets[data.length]];
    // ASCII text (most is) is decoded once and cut: a string per value decoded alone costs a call each.
    if (isAscii(bytes.subarray(start, end))) {
      const all = bytes.toString("latin1", start, end);
      return (r) => all.slice(offsets[r] - start, offsets[r + 1] - start);
    }
    return (r) => bytes.toString("utf8", offsets[r], offsets[r + 1]);
  }
  const vector = arrow.makeVector(data);
  return (r) => formatValue(type, vector.get(r));
}
