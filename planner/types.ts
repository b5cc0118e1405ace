// The planner's view of SQL types. Kinds follow Substrait's type classes; widths and decimal
// rules follow DuckDB, because DuckDB runs the plan and is the reference the answers are
// compared with. Conversion to Substrait `Type` happens only at emission.
import { JSON_TYPE_VARIATION, Type_Nullability, type Type } from "../proto/index.ts";
import { UnsupportedError, invariant, type SourcePosition } from "../common/errors.ts";
import { DUCKDB_KEYWORDS } from "./duckdb-keywords.ts";

export type TypeKind =
  | "boolean"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "fp32"
  | "fp64"
  | "decimal"
  | "string"
  | "binary"
  | "date"
  | "time"
  | "timestamp"
  /** DuckDB's TIMESTAMP WITH TIME ZONE: an instant, µs since the epoch in UTC; every engine here reads and writes it in UTC. */
  | "timestamp_tz"
  /** DuckDB's TIMESTAMP_NS: nanoseconds since the epoch (pandas' timestamps, as pyarrow writes them to parquet). */
  | "timestamp_ns"
  /** DuckDB's UUID: 128 bits, written as 32 hex digits in groups of 8-4-4-4-12, ordered as that text. */
  | "uuid"
  | "interval_year"
  | "interval_day"
  /**
   * DuckDB's INTERVAL of months, days and time at once (what age() gives, a parquet file's INTERVAL
   * column, a sum of the two above); trustql keeps an interval it knows to be of months only, or of
   * days and time only, as one of the two above (see bind/literals.ts and bind/operators.ts).
   */
  | "interval_compound"
  /** DuckDB's LIST (`INTEGER[]`): a variable number of values of `element`'s type, each may be NULL. */
  | "list"
  /** DuckDB's STRUCT (`STRUCT(a INTEGER, b VARCHAR)`): named fields, each of its own type, each may be NULL. */
  | "struct"
  /** DuckDB's MAP (`MAP(VARCHAR, INTEGER)`): entries of a `key` (unique, never NULL) and a `value`, in order. */
  | "map"
  | "null";

export interface SqlType {
  readonly kind: TypeKind;
  readonly nullable: boolean;
  /** Only for decimals. */
  readonly precision?: number;
  readonly scale?: number;
  /**
   * DuckDB's HUGEINT (what it sums integers into), which Substrait has not: a decimal(38,0) that
   * names itself HUGEINT and divides as an integer (`sum(i) // 2`), as DuckDB's does.
   */
  readonly hugeint?: boolean;
  /** Only for lists: the type of their values (always nullable). */
  readonly element?: SqlType;
  /** Only for structs: their fields, in order. */
  readonly fields?: readonly StructField[];
  /** Only for maps: the types of their keys and of their values (nullable). */
  readonly key?: SqlType;
  readonly value?: SqlType;
  /**
   * DuckDB's JSON, which Substrait has not: a string that names itself JSON (typeof, DESCRIBE).
   * It is the same type as VARCHAR otherwise: DuckDB's json functions read either.
   */
  readonly json?: boolean;
}

export interface StructField {
  readonly name: string;
  /** Always nullable, as a DuckDB struct's fields are. */
  readonly type: SqlType;
}

/** DuckDB's widest decimal (and Substrait's): 38 digits in a 128-bit integer. */
export const MAX_DECIMAL_PRECISION = 38;
/** DuckDB keeps decimals of up to 18 digits in an int64 and avoids promoting past it. */
export const INT64_DECIMAL_PRECISION = 18;
/** Microseconds: the precision of DuckDB's TIMESTAMP and INTERVAL. */
export const TIMESTAMP_PRECISION = 6;
/** Nanoseconds: DuckDB's TIMESTAMP_NS. */
export const NANOSECOND_PRECISION = 9;

export function type(kind: Exclude<TypeKind, "decimal" | "list" | "struct" | "map">, nullable = true): SqlType {
  return { kind, nullable };
}

export function decimal(precision: number, scale: number, nullable = true): SqlType {
  invariant(precision >= 1 && precision <= MAX_DECIMAL_PRECISION && scale >= 0 && scale <= precision, `bad decimal(${precision},${scale})`);
  return { kind: "decimal", precision, scale, nullable };
}

/** DuckDB's JSON: text that is a JSON document. */
export function jsonType(nullable = true): SqlType {
  return { kind: "string", nullable, json: true };
}

/** A list of `element` values (its values may be NULL, as any list's may). */
export function listOf(element: SqlType, nullable = true): SqlType {
  return { kind: "list", nullable, element: withNullable(element, true) };
}

/** The type of a list's values. */
export function elementOf(t: SqlType): SqlType {
  invariant(t.kind === "list" && t.element !== undefined, `not a list: ${t.kind}`);
  return t.element;
}

/** A struct of `fields` (each may be NULL, as any struct's fields may). */
export function structOf(fields: readonly StructField[], nullable = true): SqlType {
  invariant(fields.length > 0, "a struct of no fields");
  return { kind: "struct", nullable, fields: fields.map((f) => ({ name: f.name, type: withNullable(f.type, true) })) };
}

/** A map of `key` to `value` entries. */
export function mapOf(key: SqlType, value: SqlType, nullable = true): SqlType {
  return { kind: "map", nullable, key: withNullable(key, false), value: withNullable(value, true) };
}

/** A map's key and value types. */
export function entryTypesOf(t: SqlType): { key: SqlType; value: SqlType } {
  invariant(t.kind === "map" && t.key !== undefined && t.value !== undefined, `not a map: ${t.kind}`);
  return { key: t.key, value: t.value };
}

/** A struct's fields. */
export function fieldsOf(t: SqlType): readonly StructField[] {
  invariant(t.kind === "struct" && t.fields !== undefined, `not a struct: ${t.kind}`);
  return t.fields;
}

/** The struct field names within a type, depth first (what a NamedStruct or a RelRoot lists after a column's name). */
export function structFieldNames(t: SqlType): string[] {
  if (t.kind === "list") return structFieldNames(elementOf(t));
  if (t.kind === "map") return [...structFieldNames(entryTypesOf(t).key), ...structFieldNames(entryTypesOf(t).value)];
  if (t.kind === "struct") return fieldsOf(t).flatMap((f) => [f.name, ...structFieldNames(f.type)]);
  return [];
}

/**
 * Whether a type holds a struct or a map anywhere within it (as a list's values too). Both run
 * by position, a map as a list of key-value structs (exec/substrait/structs.ts): their text or
 * JSON there would not be DuckDB's.
 */
export function holdsStruct(t: SqlType): boolean {
  return t.kind === "struct" || t.kind === "map" || (t.kind === "list" && holdsStruct(elementOf(t)));
}

/** Whether two types of one shape (sameType) hold JSON in the same places: a cast between them that changes where is a cast (DuckDB checks JSON made of text). */
export function sameJsonWithin(a: SqlType, b: SqlType): boolean {
  if ((a.json ?? false) !== (b.json ?? false)) return false;
  if (a.kind === "list" && b.kind === "list") return sameJsonWithin(elementOf(a), elementOf(b));
  if (a.kind === "map" && b.kind === "map") return sameJsonWithin(entryTypesOf(a).key, entryTypesOf(b).key) && sameJsonWithin(entryTypesOf(a).value, entryTypesOf(b).value);
  if (a.kind === "struct" && b.kind === "struct") return fieldsOf(a).every((f, i) => sameJsonWithin(f.type, fieldsOf(b)[i].type));
  return true;
}

/** Whether two structs' fields have the same names in the same order (DuckDB matches struct fields by name: only such structs compare or mix here). */
export function sameFieldNames(a: SqlType, b: SqlType): boolean {
  const fa = fieldsOf(a);
  const fb = fieldsOf(b);
  // An unnamed struct meets any struct of as many fields, field by field in order (DuckDB's rule).
  if (fa.length === fb.length && (isUnnamedStruct(a) || isUnnamedStruct(b))) return true;
  return fa.length === fb.length && fa.every((f, i) => f.name.toLowerCase() === fb[i].name.toLowerCase());
}

/** Whether two types of one shape name their struct fields alike (an unnamed struct and a named one do not). */
export function sameNamesWithin(a: SqlType, b: SqlType): boolean {
  if (!holdsStruct(a)) return true;
  const [x, y] = [structFieldNames(a), structFieldNames(b)];
  return x.length === y.length && x.every((name, i) => name === y[i]);
}

/** DuckDB's structs of unnamed fields (a ROW(…)'s, `(a, b)`'s): every field's name is empty. */
export function isUnnamedStruct(t: SqlType): boolean {
  return t.kind === "struct" && fieldsOf(t).every((f) => f.name === "");
}

/** An integer type or a HUGEINT: what adds, divides (//) and meets as an integer. */
export function isWholeNumber(t: SqlType): boolean {
  return isInteger(t) || t.hugeint === true;
}

/** DuckDB's HUGEINT, as a decimal(38,0) marked so. */
export function hugeint(nullable = true): SqlType {
  return { ...decimal(MAX_DECIMAL_PRECISION, 0, nullable), hugeint: true };
}

export function withNullable(t: SqlType, nullable: boolean): SqlType {
  return t.nullable === nullable ? t : { ...t, nullable };
}

export const INTEGER_KINDS: readonly TypeKind[] = ["i8", "i16", "i32", "i64"];

export function isInteger(t: SqlType): boolean {
  return INTEGER_KINDS.includes(t.kind);
}
export function isFloat(t: SqlType): boolean {
  return t.kind === "fp32" || t.kind === "fp64";
}
export function isNumeric(t: SqlType): boolean {
  return isInteger(t) || isFloat(t) || t.kind === "decimal";
}
export function isTemporal(t: SqlType): boolean {
  return t.kind === "date" || t.kind === "timestamp" || t.kind === "timestamp_tz" || t.kind === "timestamp_ns" || t.kind === "time";
}

/** A timestamp with or without a time zone (both µs since the epoch). */
export function isTimestamp(t: SqlType): boolean {
  return t.kind === "timestamp" || t.kind === "timestamp_tz";
}
export function isInterval(t: SqlType): boolean {
  return t.kind === "interval_year" || t.kind === "interval_day" || t.kind === "interval_compound";
}

export function sameType(a: SqlType, b: SqlType): boolean {
  if (a.kind === "list" && b.kind === "list") return sameType(elementOf(a), elementOf(b));
  if (a.kind === "map" && b.kind === "map") return sameType(entryTypesOf(a).key, entryTypesOf(b).key) && sameType(entryTypesOf(a).value, entryTypesOf(b).value);
  if (a.kind === "struct" && b.kind === "struct") return sameFieldNames(a, b) && fieldsOf(a).every((f, i) => sameType(f.type, fieldsOf(b)[i].type));
  return a.kind === b.kind && a.precision === b.precision && a.scale === b.scale;
}

/** The decimal an integer converts to without loss, as DuckDB widens it in decimal arithmetic. */
export function integerAsDecimal(t: SqlType): SqlType {
  switch (t.kind) {
    case "i8":
      return decimal(3, 0, t.nullable);
    case "i16":
      return decimal(5, 0, t.nullable);
    case "i32":
      return decimal(10, 0, t.nullable);
    case "i64":
      return decimal(19, 0, t.nullable);
    case "decimal":
      return t;
  }
  throw new Error(`not an integer: ${t.kind}`);
}

const INTEGER_RANK: Partial<Record<TypeKind, number>> = { i8: 1, i16: 2, i32: 3, i64: 4 };
const INTEGER_RANGE: Partial<Record<TypeKind, readonly [bigint, bigint]>> = { i8: [-128n, 127n], i16: [-32768n, 32767n], i32: [-2147483648n, 2147483647n], i64: [-(2n ** 63n), 2n ** 63n - 1n] };

/** Whether integer type `a` is narrower than integer type `b`. */
export function narrowerInteger(a: SqlType, b: SqlType): boolean {
  return isInteger(a) && isInteger(b) && INTEGER_RANK[a.kind]! < INTEGER_RANK[b.kind]!;
}

/** Whether an integer type holds `value`. */
export function integerFits(value: bigint, t: SqlType): boolean {
  const range = INTEGER_RANGE[t.kind];
  return range !== undefined && value >= range[0] && value <= range[1];
}

/**
 * The type both sides of a comparison, a CASE, COALESCE or a set operation are cast to
 * (DuckDB's max logical type for the pairs we accept), or undefined when they don't mix.
 */
export function commonSupertype(a: SqlType, b: SqlType): SqlType | undefined {
  const nullable = a.nullable || b.nullable;
  if (a.kind === "null") return withNullable(b, true);
  if (b.kind === "null") return withNullable(a, true);
  if (a.kind === "list" && b.kind === "list") {
    const element = commonSupertype(elementOf(a), elementOf(b));
    return element && listOf(element, nullable);
  }
  if (a.kind === "map" && b.kind === "map") {
    const key = commonSupertype(entryTypesOf(a).key, entryTypesOf(b).key);
    const value = commonSupertype(entryTypesOf(a).value, entryTypesOf(b).value);
    return key && value && mapOf(key, value, nullable);
  }
  if (a.kind === "struct" && b.kind === "struct") {
    // DuckDB also mixes structs of other fields (by name, the missing ones NULL): refused here, where nothing is cast by name.
    if (!sameFieldNames(a, b)) return undefined;
    // Where an unnamed struct meets a named one, the result has the named one's names.
    const named = isUnnamedStruct(a) ? b : a;
    const fields = fieldsOf(named).map((f, i) => ({ name: f.name, type: commonSupertype(fieldsOf(a)[i].type, fieldsOf(b)[i].type) }));
    return fields.every((f) => f.type !== undefined) ? structOf(fields as StructField[], nullable) : undefined;
  }
  if (a.kind === b.kind && a.kind !== "decimal") return withNullable(a, nullable);
  if (isInteger(a) && isInteger(b)) {
    return INTEGER_RANK[a.kind]! >= INTEGER_RANK[b.kind]! ? withNullable(a, nullable) : withNullable(b, nullable);
  }
  if (isNumeric(a) && isNumeric(b)) {
    // A FLOAT meets any other number but a DOUBLE as a FLOAT (as in DuckDB).
    if (isFloat(a) || isFloat(b)) return type(a.kind === "fp64" || b.kind === "fp64" ? "fp64" : "fp32", nullable);
    // A HUGEINT meets an integer or another as a HUGEINT.
    if ((a.hugeint || b.hugeint) && isWholeNumber(a) && isWholeNumber(b)) return hugeint(nullable);
    const da = integerAsDecimal(a);
    const db = integerAsDecimal(b);
    const scale = Math.max(da.scale!, db.scale!);
    const integral = Math.max(da.precision! - da.scale!, db.precision! - db.scale!);
    return decimal(Math.min(MAX_DECIMAL_PRECISION, integral + scale), scale, nullable);
  }
  if ((a.kind === "date" && b.kind === "timestamp") || (a.kind === "timestamp" && b.kind === "date")) {
    return type("timestamp", nullable);
  }
  // A date or a timestamp meets nanoseconds as nanoseconds, as in DuckDB.
  if ((a.kind === "timestamp_ns" && (b.kind === "date" || b.kind === "timestamp")) || (b.kind === "timestamp_ns" && (a.kind === "date" || a.kind === "timestamp"))) {
    return type("timestamp_ns", nullable);
  }
  // Any interval meets one of months, days and time as one (DuckDB has one INTERVAL type).
  if ((a.kind === "interval_compound" && isInterval(b)) || (b.kind === "interval_compound" && isInterval(a))) {
    return type("interval_compound", nullable);
  }
  // A date or a timestamp meets an instant as one (at midnight, or at that time, in UTC).
  if ((a.kind === "timestamp_tz" && (b.kind === "date" || b.kind === "timestamp")) || (b.kind === "timestamp_tz" && (a.kind === "date" || a.kind === "timestamp"))) {
    return type("timestamp_tz", nullable);
  }
  return undefined;
}

/** DuckDB's name for a type: what errors and EXPLAIN print, and what DESCRIBE reports. */
export function typeName(t: SqlType): string {
  switch (t.kind) {
    case "boolean":
      return "BOOLEAN";
    case "i8":
      return "TINYINT";
    case "i16":
      return "SMALLINT";
    case "i32":
      return "INTEGER";
    case "i64":
      return "BIGINT";
    case "fp32":
      return "FLOAT";
    case "fp64":
      return "DOUBLE";
    case "decimal":
      return t.hugeint ? "HUGEINT" : `DECIMAL(${t.precision},${t.scale})`;
    case "string":
      return t.json ? "JSON" : "VARCHAR";
    case "binary":
      return "BLOB";
    case "date":
      return "DATE";
    case "time":
      return "TIME";
    case "timestamp":
      return "TIMESTAMP";
    case "timestamp_tz":
      return "TIMESTAMP WITH TIME ZONE";
    case "timestamp_ns":
      return "TIMESTAMP_NS";
    case "uuid":
      return "UUID";
    case "interval_year":
    case "interval_day":
    case "interval_compound":
      return "INTERVAL";
    case "list":
      // An empty list's values have no type: DuckDB names it INTEGER[] too.
      return `${elementOf(t).kind === "null" ? "INTEGER" : typeName(elementOf(t))}[]`;
    case "struct": {
      const named = !isUnnamedStruct(t);
      return `STRUCT(${fieldsOf(t).map((f) => `${named ? `${structFieldNameSql(f.name)} ` : ""}${f.type.kind === "null" ? '"NULL"' : typeName(f.type)}`).join(", ")})`;
    }
    case "map": {
      // An empty map's entries have no type: DuckDB names it MAP("NULL", "NULL").
      const { key, value } = entryTypesOf(t);
      const name = (part: SqlType) => (part.kind === "null" ? '"NULL"' : typeName(part));
      return `MAP(${name(key)}, ${name(value)})`;
    }
    case "null":
      return "NULL";
  }
}

/** A struct field's name as DuckDB writes it in a type's name: bare when it is a plain word and no keyword, else quoted. */
export function structFieldNameSql(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !DUCKDB_KEYWORDS.has(name.toLowerCase()) ? name : `"${name.replaceAll('"', '""')}"`;
}

export function toSubstraitType(t: SqlType): Type {
  const nullability = t.nullable ? Type_Nullability.NULLABILITY_NULLABLE : Type_Nullability.NULLABILITY_REQUIRED;
  const simple = { typeVariationReference: 0, nullability };
  switch (t.kind) {
    case "boolean":
      return { bool: simple };
    case "i8":
      return { i8: simple };
    case "i16":
      return { i16: simple };
    case "i32":
    case "null":
      // An untyped NULL that nothing gave a type to: DuckDB also shows it as INTEGER.
      return { i32: simple };
    case "i64":
      return { i64: simple };
    case "fp32":
      return { fp32: simple };
    case "fp64":
      return { fp64: simple };
    case "decimal":
      return { decimal: { precision: t.precision!, scale: t.scale!, ...simple } };
    case "string":
      return { string: t.json ? { ...simple, typeVariationReference: JSON_TYPE_VARIATION } : simple };
    case "binary":
      return { binary: simple };
    case "date":
      return { date: simple };
    case "time":
      return { precisionTime: { precision: TIMESTAMP_PRECISION, ...simple } };
    case "timestamp":
      return { precisionTimestamp: { precision: TIMESTAMP_PRECISION, ...simple } };
    case "timestamp_tz":
      return { precisionTimestampTz: { precision: TIMESTAMP_PRECISION, ...simple } };
    case "timestamp_ns":
      return { precisionTimestamp: { precision: NANOSECOND_PRECISION, ...simple } };
    case "uuid":
      return { uuid: simple };
    case "interval_year":
      return { intervalYear: simple };
    case "interval_day":
      return { intervalDay: { precision: TIMESTAMP_PRECISION, ...simple } };
    case "interval_compound":
      return { intervalCompound: { precision: TIMESTAMP_PRECISION, ...simple } };
    case "list":
      return { list: { type: toSubstraitType(elementOf(t)), ...simple } };
    case "map":
      return { map: { key: toSubstraitType(entryTypesOf(t).key), value: toSubstraitType(entryTypesOf(t).value), ...simple } };
    case "struct":
      // The fields' names are not part of a Substrait type: a NamedStruct or RelRoot lists them (structFieldNames).
      return { struct: { types: fieldsOf(t).map((f) => toSubstraitType(f.type)), ...simple } };
  }
}

/**
 * The planner type of a catalog column; types the engine cannot run are rejected where they are
 * named. `fieldNames`: the struct field names within the type, depth first (structFieldNames).
 */
export function fromSubstraitType(t: Type, what: string, position?: SourcePosition, fieldNames: readonly string[] = []): SqlType {
  const names = { list: fieldNames, next: 0 };
  const sqlType = fromSubstraitTypeNamed(t, what, position, names);
  invariant(names.next === fieldNames.length, `${fieldNames.length} struct field names for ${what}, whose type holds ${names.next}`);
  return sqlType;
}

function fromSubstraitTypeNamed(t: Type, what: string, position: SourcePosition | undefined, names: { list: readonly string[]; next: number }): SqlType {
  const nullableOf = (n: { nullability: number } | undefined) => n?.nullability !== Type_Nullability.NULLABILITY_REQUIRED;
  if (t.bool) return type("boolean", nullableOf(t.bool));
  if (t.i8) return type("i8", nullableOf(t.i8));
  if (t.i16) return type("i16", nullableOf(t.i16));
  if (t.i32) return type("i32", nullableOf(t.i32));
  if (t.i64) return type("i64", nullableOf(t.i64));
  if (t.fp32) return type("fp32", nullableOf(t.fp32));
  if (t.fp64) return type("fp64", nullableOf(t.fp64));
  if (t.decimal) return decimal(t.decimal.precision, t.decimal.scale, nullableOf(t.decimal));
  if (t.string) return t.string.typeVariationReference === JSON_TYPE_VARIATION ? jsonType(nullableOf(t.string)) : type("string", nullableOf(t.string));
  if (t.varchar) return type("string", nullableOf(t.varchar));
  if (t.fixedChar) return type("string", nullableOf(t.fixedChar));
  if (t.binary) return type("binary", nullableOf(t.binary));
  if (t.date) return type("date", nullableOf(t.date));
  if (t.precisionTime) return type("time", nullableOf(t.precisionTime));
  // DuckDB's TIMESTAMP is microseconds, its TIMESTAMP_NS nanoseconds (TIMESTAMP_S and _MS are read as TIMESTAMP).
  if (t.precisionTimestamp?.precision === TIMESTAMP_PRECISION) return type("timestamp", nullableOf(t.precisionTimestamp));
  if (t.precisionTimestamp?.precision === NANOSECOND_PRECISION) return type("timestamp_ns", nullableOf(t.precisionTimestamp));
  if (t.timestamp) return type("timestamp", nullableOf(t.timestamp));
  if (t.uuid) return type("uuid", nullableOf(t.uuid));
  if (t.precisionTimestampTz?.precision === TIMESTAMP_PRECISION) return type("timestamp_tz", nullableOf(t.precisionTimestampTz));
  if (t.timestampTz) return type("timestamp_tz", nullableOf(t.timestampTz));
  // DuckDB has one INTERVAL (a parquet file's INTERVAL column is one): months, days and time at once.
  if (t.intervalCompound) return type("interval_compound", nullableOf(t.intervalCompound));
  if (t.intervalYear) return type("interval_year", nullableOf(t.intervalYear));
  if (t.intervalDay) return type("interval_day", nullableOf(t.intervalDay));
  if (t.list?.type) return listOf(fromSubstraitTypeNamed(t.list.type, what, position, names), nullableOf(t.list));
  if (t.map?.key && t.map.value) {
    const key = fromSubstraitTypeNamed(t.map.key, what, position, names);
    return mapOf(key, fromSubstraitTypeNamed(t.map.value, what, position, names), nullableOf(t.map));
  }
  if (t.struct && t.struct.types.length > 0) {
    const fields = t.struct.types.map((field) => {
      invariant(names.next < names.list.length, `too few struct field names for ${what}`);
      const name = names.list[names.next++];
      return { name, type: fromSubstraitTypeNamed(field, what, position, names) };
    });
    return structOf(fields, nullableOf(t.struct));
  }
  throw new UnsupportedError(`column type of ${what}`, position);
}
