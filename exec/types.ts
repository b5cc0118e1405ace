// Substrait types and DuckDB's SQL type names, both ways. One place for the mapping, used by
// the parquet catalog (DuckDB → Substrait) and by the consumer (Substrait → DuckDB casts).
import { JSON_TYPE_VARIATION, Type, Type_Nullability, fieldNameCount, namedStructOf, positionalFieldName, type NamedStruct } from "../proto/index.ts";
import { UnsupportedError, UserError } from "../common/errors.ts";
import { UNSIGNED_READ_AS } from "../common/unsigned.ts";

const NULLABLE = Type_Nullability.NULLABILITY_NULLABLE;
const REQUIRED = Type_Nullability.NULLABILITY_REQUIRED;

/** Microsecond precision: what DuckDB's TIMESTAMP, TIME and INTERVAL carry. */
const MICROS = 6;

/**
 * The Substrait type of a DuckDB type name (as DESCRIBE and typeof write it, or as
 * duckdbTypeFromSubstrait does). A STRUCT's fields become a Substrait struct's types, each
 * nullable (DuckDB's fields always are); their names, which a Substrait type has no place for,
 * are structFieldNames'.
 */
export function substraitTypeFromDuckdb(duckdbType: string, nullable = true): Type {
  const nullability = nullable ? NULLABLE : REQUIRED;
  // Lists and structs before the name is upper-cased: a struct's field names keep their case.
  const source = duckdbType.trim();
  const list = /^(.*)\[\]$/s.exec(source);
  if (list) {
    return { list: { type: substraitTypeFromDuckdb(list[1], true), typeVariationReference: 0, nullability } };
  }
  const map = typeArguments(source, "MAP");
  if (map?.length === 2) {
    return { map: { key: substraitTypeFromDuckdb(map[0], false), value: substraitTypeFromDuckdb(map[1], true), typeVariationReference: 0, nullability } };
  }
  const struct = structFields(source);
  if (struct) {
    return { struct: { types: struct.map((field) => substraitTypeFromDuckdb(field.type, true)), typeVariationReference: 0, nullability } };
  }
  const text = source.toUpperCase();
  const decimal = /^(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(text);
  if (decimal) {
    return { decimal: { precision: Number(decimal[1]), scale: Number(decimal[2] ?? 0), typeVariationReference: 0, nullability } };
  }
  const simple = { typeVariationReference: 0, nullability };
  switch (text) {
    case "BOOLEAN":
    case "BOOL":
      return { bool: simple };
    case "TINYINT":
      return { i8: simple };
    case "SMALLINT":
      return { i16: simple };
    case "INTEGER":
    case "INT":
      return { i32: simple };
    case "BIGINT":
      return { i64: simple };
    case "FLOAT":
    case "REAL":
      return { fp32: simple };
    case "DOUBLE":
      return { fp64: simple };
    case "VARCHAR":
    case "TEXT":
    case "STRING":
      return { string: simple };
    // DuckDB's JSON is text it has checked: a string of the json variation.
    case "JSON":
      return { string: { typeVariationReference: JSON_TYPE_VARIATION, nullability } };
    case "BLOB":
      return { binary: simple };
    case "DATE":
      return { date: simple };
    case "TIME":
      return { precisionTime: { precision: MICROS, typeVariationReference: 0, nullability } };
    case "TIMESTAMP":
      return { precisionTimestamp: { precision: MICROS, typeVariationReference: 0, nullability } };
    case "TIMESTAMP_NS":
      return { precisionTimestamp: { precision: 9, typeVariationReference: 0, nullability } };
    case "TIMESTAMP WITH TIME ZONE":
    case "TIMESTAMPTZ":
      return { precisionTimestampTz: { precision: MICROS, typeVariationReference: 0, nullability } };
    case "INTERVAL":
      return { intervalCompound: { precision: MICROS, typeVariationReference: 0, nullability } };
    case "UUID":
      return { uuid: simple };
    // DuckDB's 128-bit integers have no Substrait type of their own; the narrowest exact
    // Substrait type that holds every value is a decimal.
    case "HUGEINT":
      return { decimal: { precision: 38, scale: 0, typeVariationReference: 0, nullability } };
  }
  const signed = UNSIGNED_READ_AS.get(text);
  if (signed) return substraitTypeFromDuckdb(signed, nullable);
  throw new UnsupportedError(`column type ${duckdbType}`);
}

/** A DuckDB type name's arguments, split at its top-level commas: `MAP(VARCHAR, INTEGER)` → [VARCHAR, INTEGER]; undefined when it is no `keyword(…)`. */
function typeArguments(text: string, keyword: string): string[] | undefined {
  const call = new RegExp(`^${keyword}\\s*\\((.*)\\)$`, "is").exec(text);
  if (!call) return undefined;
  const inner = call[1];
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    // A quote within a name or string is doubled: closing and opening again reads it alike.
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(inner.slice(start).trim());
  return parts;
}

/**
 * A STRUCT type name's fields, `STRUCT(a INTEGER, "my field" VARCHAR[])` → a INTEGER and
 * my field VARCHAR[]: each a name, bare or between double quotes (`""` a quote), then its
 * type. Undefined when the name is no STRUCT. DuckDB's unnamed structs (`STRUCT(INTEGER,
 * VARCHAR)`, a ROW(…)'s type) cannot be declared by name: refused.
 */
function structFields(text: string): { name: string; type: string }[] | undefined {
  const parts = typeArguments(text, "STRUCT");
  if (!parts) return undefined;
  return parts.map((part) => {
    const field = /^(?:"((?:[^"]|"")*)"|(\S+))\s+(\S.*)$/s.exec(part);
    if (!field) throw new UnsupportedError(`column type ${text}: a STRUCT field without a name and a type`);
    return { name: field[1] !== undefined ? field[1].replaceAll('""', '"') : field[2], type: field[3] };
  });
}

/**
 * The names of the struct fields within a DuckDB type, in Substrait's depth-first order (a
 * NamedStruct's names after the column's own): each field's name, then the names within its
 * type; a list's element's, a map's key's then value's. `STRUCT(a INTEGER, b STRUCT(c
 * INTEGER)[])` → a, b, c; `INTEGER` → none.
 */
export function structFieldNames(duckdbType: string): string[] {
  const source = duckdbType.trim();
  const list = /^(.*)\[\]$/s.exec(source);
  if (list) return structFieldNames(list[1]);
  const struct = structFields(source);
  if (struct) return struct.flatMap((field) => [field.name, ...structFieldNames(field.type)]);
  return (typeArguments(source, "MAP") ?? []).flatMap(structFieldNames);
}

/**
 * A column of a type with no Substrait type here (a MAP, a BIT, an unnamed STRUCT…): the table still
 * registers, and the planner refuses only the queries that name that column.
 */
const UNSUPPORTED_COLUMN_TYPE: Type = { userDefinedTypeReference: 0 };

/** Whether a column's type is one trustql runs (not UNSUPPORTED_COLUMN_TYPE). */
export function isRunnableColumnType(type: Type): boolean {
  return type.userDefinedTypeReference === undefined;
}

/** substraitTypeFromDuckdb, or UNSUPPORTED_COLUMN_TYPE for a type it has no Substrait type for. */
export function columnTypeFromDuckdb(duckdbType: string, nullable = true): Type {
  try {
    return substraitTypeFromDuckdb(duckdbType, nullable);
  } catch (error) {
    if (error instanceof UnsupportedError) return UNSUPPORTED_COLUMN_TYPE;
    throw error;
  }
}

/** DuckDB's timestamps by their fraction digits. */
const TIMESTAMP_OF_PRECISION: Readonly<Record<number, string>> = { 0: "TIMESTAMP_S", 3: "TIMESTAMP_MS", 6: "TIMESTAMP", 9: "TIMESTAMP_NS" };

function unsupportedPrecision(type: Type): never {
  throw new UnsupportedError(`a timestamp of precision ${type.precisionTimestamp!.precision}`);
}

/**
 * The DuckDB type a Substrait type is run as. Without `fieldNames`, as within a plan
 * (exec/substrait/structs.ts): a struct's fields named by position (f0, f1, …), a map as the list
 * of its entries, STRUCT(f0 key, f1 value)[]. With them, as a plan's output names it: a struct's
 * fields named by `fieldNames`, the type's struct field names in Substrait's depth-first order
 * (structFieldNames; a NamedStruct's names after its column's own, fieldNameCount of them), and
 * a map a MAP. Names are written between double quotes, as node-api writes a column's type:
 * `STRUCT("a" INTEGER, "b" VARCHAR[])`.
 */
export function duckdbTypeFromSubstrait(type: Type, fieldNames?: readonly string[]): string {
  if (fieldNames && fieldNames.length !== fieldNameCount(type)) {
    throw new UserError(`${fieldNames.length} struct field names for a type of ${fieldNameCount(type)}: ${JSON.stringify(Type.toJSON(type))}`);
  }
  return duckdbTypeName(type, fieldNames && { list: fieldNames, next: 0 });
}

/** Field names taken one after another, depth first. */
interface FieldNames {
  readonly list: readonly string[];
  next: number;
}

/** A struct field's name as a DuckDB identifier: always quoted, a quote doubled. */
const quoteFieldName = (name: string) => `"${name.replaceAll('"', '""')}"`;

function duckdbTypeName(type: Type, names: FieldNames | undefined): string {
  if (type.bool) return "BOOLEAN";
  if (type.i8) return "TINYINT";
  if (type.i16) return "SMALLINT";
  if (type.i32) return "INTEGER";
  if (type.i64) return "BIGINT";
  if (type.fp32) return "FLOAT";
  if (type.fp64) return "DOUBLE";
  if (type.string?.typeVariationReference === JSON_TYPE_VARIATION) return "JSON";
  if (type.string || type.varchar || type.fixedChar) return "VARCHAR";
  if (type.binary || type.fixedBinary) return "BLOB";
  if (type.date) return "DATE";
  if (type.time || type.precisionTime) return "TIME";
  if (type.timestamp) return "TIMESTAMP";
  if (type.precisionTimestamp) return TIMESTAMP_OF_PRECISION[type.precisionTimestamp.precision] ?? unsupportedPrecision(type);
  if (type.timestampTz || type.precisionTimestampTz) return "TIMESTAMPTZ";
  if (type.intervalYear || type.intervalDay || type.intervalCompound) return "INTERVAL";
  if (type.uuid) return "UUID";
  if (type.decimal) {
    const { precision, scale } = type.decimal;
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      throw new UserError(`invalid decimal type decimal<${precision},${scale}> in plan`);
    }
    return `DECIMAL(${precision},${scale})`;
  }
  if (type.list?.type) return `${duckdbTypeName(type.list.type, names)}[]`;
  if (type.struct) {
    if (type.struct.types.length === 0) throw new UnsupportedError("a struct of no fields");
    const fields = type.struct.types.map((t, i) => {
      // Depth first: the field's name, then those within its type.
      const name = names ? names.list[names.next++] : positionalFieldName(i);
      return `${quoteFieldName(name)} ${duckdbTypeName(t, names)}`;
    });
    return `STRUCT(${fields.join(", ")})`;
  }
  if (type.map?.key && type.map.value) {
    // Within a plan a map runs as the list of its entries (exec/substrait/structs.ts).
    const key = duckdbTypeName(type.map.key, names);
    const value = duckdbTypeName(type.map.value, names);
    return names ? `MAP(${key}, ${value})` : `STRUCT(${quoteFieldName(positionalFieldName(0))} ${key}, ${quoteFieldName(positionalFieldName(1))} ${value})[]`;
  }
  throw new UnsupportedError(`Substrait type ${JSON.stringify(Type.toJSON(type))}`);
}

export interface ColumnDefinition {
  name: string;
  /** A DuckDB type name, e.g. "BIGINT" or "DECIMAL(15,2)". */
  type: string;
  nullable?: boolean;
}

export function namedStructFromColumns(columns: readonly ColumnDefinition[]): NamedStruct {
  return namedStructOf(columns.map((c) => ({ name: c.name, type: substraitTypeFromDuckdb(c.type, c.nullable ?? true), fieldNames: structFieldNames(c.type) })));
}
