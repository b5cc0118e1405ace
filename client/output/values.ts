// One rendering of Arrow values as text, shared by every output format and by the tests that
// compare answers: decimals exact, dates as YYYY-MM-DD, timestamps as ISO-like local text
// without a zone (as DuckDB prints them), NULL as null (each format decides how to show it).
import * as arrow from "apache-arrow";
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
    return `\\x${Buffer.from(value as Uint8Array).toString("hex")}`;
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

/** Every value of a table as text, column by column. */
/**
 * Rows made text at a time when a whole result need not be (printing it, hashing it): each
 * column's text of 65,536 rows is a few MB, of six million rows gigabytes of small strings, and
 * as one string past V8's limit (~512 MB; lineitem at SF 1 is 0.76 GB of CSV).
 */
export const TEXT_SLICE_ROWS = 65_536;

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

export function tableToText(table: arrow.Table, names?: readonly string[]): TextColumn[] {
  return table.schema.fields.map((field, i) => {
    const column = table.getChildAt(i)!;
    const values: (string | null)[] = new Array(column.length);
    // Batch by batch: a value read through the whole column first looks for its batch.
    let row = 0;
    if (arrow.DataType.isDecimal(field.type)) {
      const scale = field.type.scale;
      for (const data of column.data) {
        const words = data.values as Uint32Array;
        for (let r = 0; r < data.length; r++, row++) values[row] = data.getValid(r) ? formatDecimalAt(words, r * data.stride, data.stride, scale) : null;
      }
      return { name: names?.[i] ?? field.name, type: field.type, values };
    }
    if (arrow.DataType.isTimestamp(field.type) && field.type.unit === arrow.TimeUnit.NANOSECOND) {
      // Arrow's getter gives milliseconds as a double, which cannot hold nanoseconds: the raw values can.
      for (const data of column.data) {
        const nanos = data.values as BigInt64Array;
        for (let r = 0; r < data.length; r++, row++) values[row] = data.getValid(r) ? formatTimestampNanos(nanos[r]) : null;
      }
      return { name: names?.[i] ?? field.name, type: field.type, values };
    }
    for (const data of column.data) {
      const batch = arrow.makeVector(data);
      for (let r = 0; r < batch.length; r++, row++) {
        const v = batch.get(r);
        values[row] = v === null || v === undefined ? null : formatValue(field.type, v);
      }
    }
    return { name: names?.[i] ?? field.name, type: field.type, values };
  });
}
