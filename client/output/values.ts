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
    return formatDuckdbFloat(value as number, type.precision === arrow.Precision.SINGLE);
  }
  if (arrow.DataType.isBool(type)) {
    return value ? "true" : "false";
  }
  if (arrow.DataType.isBinary(type)) {
    return formatBytes(value as Uint8Array);
  }
  if (arrow.DataType.isList(type)) {
    return formatList(value as arrow.Vector);
  }
  if (arrow.DataType.isStruct(type)) {
    return formatStruct(value as arrow.StructRowProxy);
  }
  if (arrow.DataType.isInterval(type) || arrow.DataType.isDuration(type)) {
    return String(value);
  }
  return String(value);
}

/**
 * A list as DuckDB 1.5 casts one to VARCHAR (see listText). `elements` is what Arrow gives for a
 * list row: a vector of the child's values.
 */
function formatList(elements: arrow.Vector): string {
  const items: string[] = [];
  const dates = new Map<number, string>();
  for (const data of elements.data) {
    const text = elementText(data, dates);
    for (let r = 0; r < data.length; r++) items.push(data.getValid(r) ? text(r) : "NULL");
  }
  return `[${items.join(", ")}]`;
}

/**
 * A struct row as Arrow's getter gives it, as DuckDB 1.5 casts it to VARCHAR (see structText):
 * read from the Data it keeps (apache-arrow's StructRow holds it and its row under these
 * registered symbols), whose raw values keep what the getters lose (timestamps' microseconds).
 */
function formatStruct(row: arrow.StructRowProxy): string {
  const data = (row as unknown as Record<symbol, arrow.Data>)[Symbol.for("parent")];
  const index = (row as unknown as Record<symbol, number>)[Symbol.for("rowIndex")];
  return structText(data.slice(index, 1), new Map())(0);
}

/** The text of row `r`'s (valid) value of a list or struct `data`, as DuckDB prints it; undefined for other types. */
function nestedText(data: arrow.Data, dates: Map<number, string>): ((r: number) => string) | undefined {
  if (arrow.DataType.isList(data.type)) return listText(data, dates);
  if (arrow.DataType.isMap(data.type)) return mapText(data, dates);
  if (arrow.DataType.isStruct(data.type)) return structText(data, dates);
  return undefined;
}

/**
 * Lists as DuckDB 1.5 casts one to VARCHAR: `[1, 2, NULL]`, `[]`, `[[1], [2, 3]]`. An element
 * is DuckDB's text of it (doubles `2.0`, `1e+20`; decimals with their scale; timestamps with
 * their time), quoted when it would otherwise read ambiguously (see quoteListElement); a nested
 * list or struct stands as it is.
 */
function listText(data: arrow.Data, dates: Map<number, string>): (r: number) => string {
  const items = listValues(data, (child) => elementText(child, dates), "NULL");
  return (r) => `[${items(r).join(", ")}]`;
}

/**
 * Structs as DuckDB 1.5 casts one to VARCHAR: `{'a': 1, 'b': x}`, each field's name always
 * between single quotes (`'` and `\` escaped by a backslash, as a quoted list element's) and its
 * value as a list element is written (quoted where DuckDB quotes one, NULL, a nested list or
 * struct as it is). An unnamed struct (ROW(1, 'a')) is `(1, a)`.
 */
function structText(data: arrow.Data, dates: Map<number, string>): (r: number) => string {
  const type = data.type as arrow.Struct;
  const fields = fieldValues(data, (child) => elementText(child, dates), "NULL");
  if (isUnnamed(type)) return (r) => `(${fields(r).join(", ")})`;
  const names = type.children.map((field) => `${singleQuoted(field.name)}: `);
  return (r) => `{${fields(r).map((value, f) => names[f] + value).join(", ")}}`;
}

/**
 * Maps as DuckDB 1.5 casts one to VARCHAR: `{a=1, b=NULL}`, `{}`, each key and value written as a
 * list element is (quoted where DuckDB quotes one: `{'it\'s'='a,b'}`).
 */
function mapText(data: arrow.Data, dates: Map<number, string>): (r: number) => string {
  const entries = listValues(data, (entry) => {
    const [keys, values] = entry.children as arrow.Data[];
    const [key, value] = [elementText(keys, dates), elementText(values, dates)];
    return (k) => `${key(k)}=${values.getValid(k) ? value(k) : "NULL"}`;
  }, "NULL");
  return (r) => `{${entries(r).join(", ")}}`;
}

/** Row `r`'s values of a list `data`, each as `read` makes its child's (a NULL one `none`). */
function listValues<T>(data: arrow.Data, read: (child: arrow.Data) => (k: number) => T, none: T): (r: number) => T[] {
  const offsets = data.valueOffsets as Int32Array;
  // A sliced list's offsets point into its child as it was: read just the elements its rows span.
  const first = offsets[0];
  const child = (data.children[0] as arrow.Data).slice(first, offsets[data.length] - first);
  const value = read(child);
  return (r) => {
    const items: T[] = [];
    for (let k = offsets[r] - first; k < offsets[r + 1] - first; k++) items.push(child.getValid(k) ? value(k) : none);
    return items;
  };
}

/** Row `r`'s field values of a struct `data`, each as `read` makes its field's (a NULL one `none`). */
function fieldValues<T>(data: arrow.Data, read: (field: arrow.Data) => (r: number) => T, none: T): (r: number) => T[] {
  // apache-arrow slices a struct's children with it: row r of each is the struct's row r.
  const children = data.children as arrow.Data[];
  const values = children.map(read);
  return (r) => children.map((child, f) => (child.getValid(r) ? values[f](r) : none));
}

/**
 * Whether a struct is DuckDB's unnamed kind (a ROW(…)'s), as DuckDB tells: its first field's name
 * is empty (apache-arrow reads an empty name back from IPC as null).
 */
const isUnnamed = (type: arrow.Struct) => type.children.length > 0 && (type.children[0].name === "" || type.children[0].name === null);

/** The text of row `r`'s (valid) value of `data` as an element of a list or a field of a struct DuckDB prints. */
function elementText(data: arrow.Data, dates: Map<number, string>): (r: number) => string {
  const type = data.type as arrow.DataType;
  const nested = nestedText(data, dates);
  if (nested) return nested;
  if (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF) {
    const floats = data.values as Float32Array | Float64Array;
    const single = type.precision === arrow.Precision.SINGLE;
    return (r) => quoteListElement(formatDuckdbFloat(floats[r], single));
  }
  if ((arrow.DataType.isTimestamp(type) || arrow.DataType.isTime(type)) && data.values instanceof BigInt64Array) {
    // From the raw values: Arrow's getter gives milliseconds as a double.
    const raw = data.values;
    const unit = type.unit;
    if (arrow.DataType.isTime(type)) return (r) => quoteListElement(formatTimeMicros(arrowTimeToMicros(raw[r], unit)));
    const zone = type.timezone ? "+00" : "";
    if (unit === arrow.TimeUnit.NANOSECOND) return (r) => quoteListElement(formatTimestampNanos(raw[r]) + zone);
    return (r) => quoteListElement(formatTimestampMicros(arrowTimeToMicros(raw[r], unit)) + zone);
  }
  const text = textOf(data, dates);
  return (r) => quoteListElement(text(r));
}

/** Characters that make DuckDB quote a list element (its NestedToVarcharCast lookup table). */
const QUOTED_ELEMENT_CHARACTERS = /["'(),:=[\]{}]/;
/** C's isspace in the C locale. */
const isCSpace = (c: string) => c === " " || (c >= "\t" && c <= "\r");

/**
 * An element's text as DuckDB writes it in a list: as it is, unless it is empty, starts (or,
 * two characters or longer, ends) with white space, is NULL in any case, or holds one of
 * `"'(),:=[]{}`; then between single quotes, with `'` and `\` escaped by a backslash.
 */
export function quoteListElement(text: string): string {
  const quoted =
    text.length === 0 ||
    isCSpace(text[0]) ||
    (text.length >= 2 && isCSpace(text[text.length - 1])) ||
    (text.length === 4 && text.toLowerCase() === "null") ||
    QUOTED_ELEMENT_CHARACTERS.test(text);
  return quoted ? singleQuoted(text) : text;
}

/** Text between single quotes, `'` and `\` escaped by a backslash: how DuckDB quotes within a list or struct. */
const singleQuoted = (text: string) => `'${text.replace(/['\\]/g, "\\$&")}'`;

/**
 * A DOUBLE (or, `single`, a FLOAT) as DuckDB writes one: the shortest digits that read back as
 * the value; fixed notation with at least one fraction digit (`2.0`) when the decimal exponent is
 * in [-4, 16), otherwise `1e+20`, `1.5e-07`; `nan`, `inf`, `-inf`. (DuckDB's fmt
 * differs in rare cases, left: a FLOAT between two equally near shortest candidates keeps more
 * digits, some whole FLOATs from 2^24 up print every digit (15000000512.0, where 15000000000.0
 * reads back), and a power of two from 2^52 up prints as twice its value, a bug of its fallback.)
 */
export function formatDuckdbFloat(value: number, single = false): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const magnitude = Math.abs(value);
  if (magnitude === 0) return `${sign}0.0`;
  if (!single && magnitude >= 1e-4 && magnitude < 1e16) {
    // JavaScript writes the same shortest digits, in fixed notation over this range: most values, at String's cost.
    const text = String(value);
    return text.includes(".") ? text : `${text}.0`;
  }
  // `exponent`: the power of ten of the first digit.
  const { digits, exponent } = shortestDigits(magnitude, single);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${"0".repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** A FLOAT's shortest digits need at most 9 significant digits to read back. */
const FLOAT_DIGITS = 9;

/** The shortest digits of a positive finite value that read back as it (as a FLOAT when `single`), and the power of ten of the first. */
function shortestDigits(value: number, single: boolean): { digits: string; exponent: number } {
  let text = value.toExponential();
  if (single) {
    // The fewest digits that read back: if some do, any more do too (closer to the value), so a bisection finds them.
    let [fewest, most] = [1, FLOAT_DIGITS];
    text = value.toExponential(most - 1);
    while (fewest < most) {
      const middle = (fewest + most) >> 1;
      const candidate = value.toExponential(middle - 1);
      if (Math.fround(Number(candidate)) === value) [most, text] = [middle, candidate];
      else fewest = middle + 1;
    }
  }
  const [mantissa, exponentText] = text.split("e");
  return { digits: mantissa.replace(".", "").replace(/0+$/, "") || "0", exponent: Number(exponentText) };
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

/** Whether a column's values read as numbers (right-aligned in tables, unquoted in JSON). */
export function isNumeric(type: arrow.DataType): boolean {
  return arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type);
}

export interface TextColumn {
  name: string;
  type: arrow.DataType;
  /** Rendered values; null stays null. */
  values: (string | null)[];
  /** A list or struct column's values as Arrow has them: JSON output writes each as an array or an object (jsonOfNested). */
  nested?: arrow.Vector;
}

/**
 * A value's text as JSON for programs: a boolean, a number where a double holds it exactly
 * (integers and decimals too), otherwise the exact text; a reader never gets a rounded value.
 */
export function jsonOfText(type: arrow.DataType, text: string): unknown {
  if (arrow.DataType.isBool(type)) return text === "true";
  if (isNumeric(type)) {
    const n = Number(text);
    // A float's text reads back as it ("3.0", "1e+20"); an integer's or decimal's only where a double holds it exactly.
    if (Number.isFinite(n) && (arrow.DataType.isFloat(type) || String(n) === text)) return n;
  }
  return text;
}

/**
 * A list or struct column's values as JSON, by row: a list an array of its values, a struct an
 * object of its fields, each value as jsonOfText writes its type's (exact as a column's), a list
 * or struct within an array or object too, NULL null.
 */
export function jsonOfNested(column: arrow.Vector): (row: number) => unknown {
  const chunks = column.data.map((data) => ({ data, value: jsonOf(data) }));
  return (row) => {
    let chunk = 0;
    for (; row >= chunks[chunk].data.length; chunk++) row -= chunks[chunk].data.length;
    const { data, value } = chunks[chunk];
    return data.getValid(row) ? value(row) : null;
  };
}

/** Row `r`'s (valid) value of `data` as JSON (see jsonOfNested). */
function jsonOf(data: arrow.Data): (r: number) => unknown {
  const type = data.type as arrow.DataType;
  if (arrow.DataType.isList(type)) return listValues(data, jsonOf, null);
  if (arrow.DataType.isMap(type)) {
    // DuckDB's JSON of a map: an object, each key as its text.
    const entries = listValues(data, (entry) => {
      const [keys, values] = entry.children as arrow.Data[];
      const [key, value] = [textOf(keys, new Map()), jsonOf(values)];
      return (k) => [key(k), values.getValid(k) ? value(k) : null] as const;
    }, undefined);
    return (r) => Object.fromEntries(entries(r).filter((e) => e !== undefined));
  }
  if (arrow.DataType.isStruct(type)) {
    const fields = fieldValues(data, jsonOf, null);
    // An unnamed struct (ROW(1, 'a')), whose fields' names are all "", is an array of its values.
    if (isUnnamed(type)) return fields;
    const names = type.children.map((field) => field.name);
    return (r) => {
      const values = fields(r);
      return Object.fromEntries(names.map((name, f) => [name, values[f]]));
    };
  }
  const text = textOf(data, new Map());
  return (r) => jsonOfText(type, text(r));
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
    const nested = arrow.DataType.isList(field.type) || arrow.DataType.isStruct(field.type) || arrow.DataType.isMap(field.type);
    return { name: names?.[i] ?? field.name, type: field.type, values, ...(nested ? { nested: column } : {}) };
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
  const nested = nestedText(data, dates);
  if (nested) return nested;
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
    const single = type.precision === arrow.Precision.SINGLE;
    return (r) => formatDuckdbFloat(floats[r], single);
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
