// Substrait types and DuckDB's SQL type names, both ways. One place for the mapping, used by
// the parquet catalog (DuckDB → Substrait) and by the consumer (Substrait → DuckDB casts).
import { Type, Type_Nullability, type NamedStruct } from "../proto/index.ts";
import { UnsupportedError, UserError } from "../common/errors.ts";

const NULLABLE = Type_Nullability.NULLABILITY_NULLABLE;
const REQUIRED = Type_Nullability.NULLABILITY_REQUIRED;

/** Microsecond precision: what DuckDB's TIMESTAMP, TIME and INTERVAL carry. */
const MICROS = 6;

export function substraitTypeFromDuckdb(duckdbType: string, nullable = true): Type {
  const nullability = nullable ? NULLABLE : REQUIRED;
  const text = duckdbType.trim().toUpperCase();
  const decimal = /^(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(text);
  if (decimal) {
    return { decimal: { precision: Number(decimal[1]), scale: Number(decimal[2] ?? 0), typeVariationReference: 0, nullability } };
  }
  const list = /^(.*)\[\]$/.exec(text);
  if (list) {
    return { list: { type: substraitTypeFromDuckdb(list[1], true), typeVariationReference: 0, nullability } };
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
    // DuckDB's JSON is text it has checked: a string here (its name does not travel).
    case "JSON":
      return { string: simple };
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
    // DuckDB's 128-bit and unsigned integers have no Substrait type of their own; the
    // narrowest exact Substrait type that holds every value is a decimal.
    case "HUGEINT":
    case "UHUGEINT":
      return { decimal: { precision: 38, scale: 0, typeVariationReference: 0, nullability } };
    case "UTINYINT":
      return { i16: simple };
    case "USMALLINT":
      return { i32: simple };
    case "UINTEGER":
      return { i64: simple };
    case "UBIGINT":
      return { decimal: { precision: 20, scale: 0, typeVariationReference: 0, nullability } };
  }
  throw new UnsupportedError(`column type ${duckdbType}`);
}

/**
 * A column of a type with no Substrait type here (a STRUCT, a MAP, a BIT…): the table still
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

/** The DuckDB type a Substrait type is run as. */
export function duckdbTypeFromSubstrait(type: Type): string {
  if (type.bool) return "BOOLEAN";
  if (type.i8) return "TINYINT";
  if (type.i16) return "SMALLINT";
  if (type.i32) return "INTEGER";
  if (type.i64) return "BIGINT";
  if (type.fp32) return "FLOAT";
  if (type.fp64) return "DOUBLE";
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
  if (type.list?.type) return `${duckdbTypeFromSubstrait(type.list.type)}[]`;
  if (type.struct) {
    const fields = type.struct.types.map((t, i) => `f${i} ${duckdbTypeFromSubstrait(t)}`);
    return `STRUCT(${fields.join(", ")})`;
  }
  if (type.map?.key && type.map.value) {
    return `MAP(${duckdbTypeFromSubstrait(type.map.key)}, ${duckdbTypeFromSubstrait(type.map.value)})`;
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
  return {
    names: columns.map((c) => c.name),
    struct: {
      types: columns.map((c) => substraitTypeFromDuckdb(c.type, c.nullable ?? true)),
      typeVariationReference: 0,
      nullability: REQUIRED,
    },
  };
}
