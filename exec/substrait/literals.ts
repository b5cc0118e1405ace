// Substrait literals as DuckDB SQL text. Every literal is written with its exact type, so a
// plan's `i32 5` stays INTEGER and `decimal<15,2> 0.05` stays DECIMAL(15,2) in DuckDB.
import { JSON_TYPE_VARIATION, positionalFieldName, type Expression_Literal, type Expression_Literal_IntervalDayToSecond, type Expression_Literal_IntervalYearToMonth, type Type } from "../../proto/index.ts";
import { UnsupportedError, UserError } from "../../common/errors.ts";
import { formatDateDays, formatTimeMicros, formatTimestampMicros, formatTimestampNanos } from "../../common/temporal.ts";
import { duckdbTypeFromSubstrait } from "../types.ts";
import { formatScaled } from "../../common/decimal.ts";
import { uuidFromBytes } from "../../common/uuid.ts";

export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A name in DuckDB's SQL, whatever it holds: a plan's names (a foreign producer's too) never end the quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A little-endian two's-complement 16-byte decimal literal as its unscaled integer. */
export function decimalLiteralValue(bytes: Uint8Array): bigint {
  if (bytes.length !== 16) throw new UserError(`decimal literal must have 16 bytes, has ${bytes.length}`);
  let value = 0n;
  for (let i = 15; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return BigInt.asIntN(128, value);
}


/** Microseconds in `value` at 10^-precision seconds. */
function toMicros(value: bigint, precision: number): bigint {
  if (precision < 0 || precision > 12) throw new UserError(`precision ${precision} out of range 0..12`);
  return precision <= 6 ? value * 10n ** BigInt(6 - precision) : value / 10n ** BigInt(precision - 6);
}

function yearToMonth(interval: Expression_Literal_IntervalYearToMonth): string {
  return `INTERVAL '${interval.years * 12 + interval.months} months'`;
}

function dayToSecond(interval: Expression_Literal_IntervalDayToSecond): string {
  // `microseconds` is the deprecated spelling of `subseconds` at precision 6.
  const subsecondMicros =
    interval.precision !== undefined ? toMicros(interval.subseconds, interval.precision) : BigInt(interval.microseconds ?? 0);
  const micros = BigInt(interval.seconds) * 1_000_000n + subsecondMicros;
  return `(INTERVAL '${interval.days} days' + INTERVAL '${micros} microseconds')`;
}

function typed(text: string, duckdbType: string): string {
  return `CAST(${text} AS ${duckdbType})`;
}

export function literalSql(literal: Expression_Literal): string {
  const l = literal;
  if (l.null) return typed("NULL", duckdbTypeFromSubstrait(l.null));
  if (l.boolean !== undefined) return l.boolean ? "TRUE" : "FALSE";
  if (l.i8 !== undefined) return typed(String(l.i8), "TINYINT");
  if (l.i16 !== undefined) return typed(String(l.i16), "SMALLINT");
  if (l.i32 !== undefined) return typed(String(l.i32), "INTEGER");
  if (l.i64 !== undefined) return typed(String(l.i64), "BIGINT");
  if (l.fp32 !== undefined) return typed(floatText(l.fp32), "FLOAT");
  if (l.fp64 !== undefined) return typed(floatText(l.fp64), "DOUBLE");
  if (l.string !== undefined) return l.typeVariationReference === JSON_TYPE_VARIATION ? typed(quoteString(l.string), "JSON") : quoteString(l.string);
  if (l.fixedChar !== undefined) return quoteString(l.fixedChar);
  if (l.varChar) return quoteString(l.varChar.value);
  if (l.binary !== undefined || l.fixedBinary !== undefined) {
    return `from_hex('${Buffer.from((l.binary ?? l.fixedBinary)!).toString("hex")}')`;
  }
  if (l.uuid !== undefined) return `UUID '${uuidFromBytes(l.uuid)}'`;
  if (l.date !== undefined) return `DATE '${formatDateDays(l.date)}'`;
  if (l.time !== undefined) return `TIME '${formatTimeMicros(l.time)}'`;
  if (l.precisionTime) return `TIME '${formatTimeMicros(toMicros(l.precisionTime.value, l.precisionTime.precision))}'`;
  if (l.timestamp !== undefined) return `TIMESTAMP '${formatTimestampMicros(l.timestamp)}'`;
  if (l.precisionTimestamp) {
    const { value, precision } = l.precisionTimestamp;
    if (precision > 6) return `TIMESTAMP_NS '${formatTimestampNanos(BigInt(value) * 10n ** BigInt(9 - Math.min(precision, 9)))}'`;
    return `TIMESTAMP '${formatTimestampMicros(toMicros(value, precision))}'`;
  }
  if (l.timestampTz !== undefined) return `TIMESTAMPTZ '${formatTimestampMicros(l.timestampTz)}+00'`;
  if (l.precisionTimestampTz) {
    return `TIMESTAMPTZ '${formatTimestampMicros(toMicros(l.precisionTimestampTz.value, l.precisionTimestampTz.precision))}+00'`;
  }
  if (l.decimal) {
    const { precision, scale } = l.decimal;
    return typed(`'${formatScaled(decimalLiteralValue(l.decimal.value), scale)}'`, `DECIMAL(${precision},${scale})`);
  }
  if (l.intervalYearToMonth) return yearToMonth(l.intervalYearToMonth);
  if (l.intervalDayToSecond) return dayToSecond(l.intervalDayToSecond);
  if (l.intervalCompound) {
    const { intervalYearToMonth: months, intervalDayToSecond: days } = l.intervalCompound;
    const parts = [months && yearToMonth(months), days && dayToSecond(days)].filter((p) => p !== undefined);
    return parts.length === 0 ? "INTERVAL '0 days'" : `(${parts.join(" + ")})`;
  }
  if (l.list) return `[${l.list.values.map(literalSql).join(", ")}]`;
  if (l.emptyList) return typed("[]", `${duckdbTypeFromSubstrait(l.emptyList.type ?? ({} as Type))}[]`);
  if (l.struct) return structPack(l.struct.fields.map(literalSql));
  throw new UnsupportedError(`literal of kind ${Object.keys(l).filter((k) => !["nullable", "typeVariationReference"].includes(k)).join(", ") || "(empty)"}`);
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return "'NaN'";
  if (!Number.isFinite(value)) return value > 0 ? "'Infinity'" : "'-Infinity'";
  // String(-0) is "0": the sign of a negative zero (DuckDB's -0.0, which prints and divides as one) would be lost.
  return Object.is(value, -0) ? "'-0.0'" : `'${value}'`;
}

const NULLABLE = 1;

/** The Substrait type a literal carries. */
export function literalType(l: Expression_Literal): Type | undefined {
  const simple = { typeVariationReference: 0, nullability: NULLABLE } as const;
  if (l.null) return l.null;
  if (l.boolean !== undefined) return { bool: simple };
  if (l.i8 !== undefined) return { i8: simple };
  if (l.i16 !== undefined) return { i16: simple };
  if (l.i32 !== undefined) return { i32: simple };
  if (l.i64 !== undefined) return { i64: simple };
  if (l.fp32 !== undefined) return { fp32: simple };
  if (l.fp64 !== undefined) return { fp64: simple };
  if (l.string !== undefined) return { string: { ...simple, typeVariationReference: l.typeVariationReference } };
  if (l.fixedChar !== undefined || l.varChar) return { string: simple };
  if (l.date !== undefined) return { date: simple };
  if (l.uuid !== undefined) return { uuid: simple };
  if (l.decimal) return { decimal: { precision: l.decimal.precision, scale: l.decimal.scale, ...simple } };
  if (l.binary !== undefined || l.fixedBinary !== undefined) return { binary: simple };
  if (l.timestamp !== undefined) return { precisionTimestamp: { precision: 6, ...simple } };
  if (l.timestampTz !== undefined) return { precisionTimestampTz: { precision: 6, ...simple } };
  if (l.precisionTimestamp) return { precisionTimestamp: { precision: l.precisionTimestamp.precision, ...simple } };
  if (l.precisionTimestampTz) return { precisionTimestampTz: { precision: l.precisionTimestampTz.precision, ...simple } };
  if (l.time !== undefined) return { precisionTime: { precision: 6, ...simple } };
  if (l.precisionTime) return { precisionTime: { precision: l.precisionTime.precision, ...simple } };
  if (l.intervalYearToMonth) return { intervalYear: simple };
  if (l.intervalDayToSecond) return { intervalDay: { precision: l.intervalDayToSecond.precision ?? 6, ...simple } };
  if (l.intervalCompound) return { intervalCompound: { precision: l.intervalCompound.intervalDayToSecond?.precision ?? 6, ...simple } };
  return undefined;
}

/** A struct's value from its fields' (named by position within a plan: structs.ts). */
export function structPack(fields: readonly string[]): string {
  if (fields.length === 0) throw new UserError("a struct of no fields");
  return `struct_pack(${fields.map((f, i) => `${positionalFieldName(i)} := ${f}`).join(", ")})`;
}
