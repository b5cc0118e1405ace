// One rendering of Arrow values as text, shared by every output format and by the tests that
// compare answers: decimals exact, dates as YYYY-MM-DD, timestamps as ISO-like local text
// without a zone (as DuckDB prints them), NULL as null (each format decides how to show it).
import * as arrow from "apache-arrow";

const MS_PER_DAY = 86_400_000;

/** The unscaled integer of an Arrow Decimal128 value (little-endian two's complement words). */
export function decimalToBigInt(words: Uint32Array): bigint {
  let result = 0n;
  for (let i = words.length - 1; i >= 0; i--) result = (result << 32n) | BigInt(words[i]);
  const bits = BigInt(words.length * 32);
  return result >= 1n << (bits - 1n) ? result - (1n << bits) : result;
}

export function formatScaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${whole}` : whole;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

export function formatDate(msSinceEpoch: number): string {
  const d = new Date(msSinceEpoch);
  const year = d.getUTCFullYear();
  const yearText = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${yearText}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Microseconds since midnight or since the epoch, rendered with as many fraction digits as needed. */
function formatClock(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const h = Number(seconds / 3600n);
  const m = Number((seconds / 60n) % 60n);
  const s = Number(seconds % 60n);
  const base = `${pad(h)}:${pad(m)}:${pad(s)}`;
  return fraction === 0n ? base : `${base}.${fraction.toString().padStart(6, "0").replace(/0+$/, "")}`;
}

function toMicros(value: bigint | number, unit: arrow.TimeUnit): bigint {
  const v = BigInt(value);
  switch (unit) {
    case arrow.TimeUnit.SECOND:
      return v * 1_000_000n;
    case arrow.TimeUnit.MILLISECOND:
      return v * 1_000n;
    case arrow.TimeUnit.MICROSECOND:
      return v;
    case arrow.TimeUnit.NANOSECOND:
      return v / 1_000n;
  }
  return v;
}

export function formatTimestamp(micros: bigint): string {
  const day = micros >= 0n ? micros / 86_400_000_000n : -((-micros + 86_399_999_999n) / 86_400_000_000n);
  const clock = micros - day * 86_400_000_000n;
  return `${formatDate(Number(day) * MS_PER_DAY)} ${formatClock(clock)}`;
}

/** The text of one non-null value of the given Arrow type. */
export function formatValue(type: arrow.DataType, value: unknown): string {
  if (arrow.DataType.isDecimal(type)) {
    return formatScaled(decimalToBigInt(value as Uint32Array), type.scale);
  }
  if (arrow.DataType.isDate(type)) {
    return formatDate(Number(value));
  }
  if (arrow.DataType.isTimestamp(type)) {
    return formatTimestamp(toMicros(value as bigint | number, type.unit));
  }
  if (arrow.DataType.isTime(type)) {
    return formatClock(toMicros(value as bigint | number, type.unit));
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
export function tableToText(table: arrow.Table, names?: readonly string[]): TextColumn[] {
  return table.schema.fields.map((field, i) => {
    const vector = table.getChildAt(i)!;
    const values: (string | null)[] = new Array(vector.length);
    for (let row = 0; row < vector.length; row++) {
      const v = vector.get(row);
      values[row] = v === null || v === undefined ? null : formatValue(field.type, v);
    }
    return { name: names?.[i] ?? field.name, type: field.type, values };
  });
}
