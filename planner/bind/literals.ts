// Literal values as DuckDB reads them: the type of a number follows its text, dates and
// timestamps are checked here so a bad one is the user's error at its position, not a
// failure at run time.
import { UserError, UnsupportedError, type SourcePosition } from "../../common/errors.ts";
import { civilDays, parseTimestampText } from "../../common/temporal.ts";
import type { Expr, IntervalValue, Literal, LiteralValue } from "../logical.ts";
import { MAX_DECIMAL_PRECISION, decimal, hugeint, type, type SqlType } from "../types.ts";
import { INTERVAL_UNITS, intervalUnit } from "../intervals.ts";

const INT32_MAX = 2n ** 31n - 1n;
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL38_MAX = 10n ** 38n - 1n;

export function literal(value: LiteralValue, t: SqlType): Literal {
  return { kind: "literal", value, type: t };
}

export function nullLiteral(t: SqlType = type("null")): Literal {
  return { kind: "literal", value: null, type: { ...t, nullable: true } };
}

/** A numeric literal from its SQL text (without sign), typed as DuckDB types it. */
export function numberLiteral(text: string, position: SourcePosition | undefined): Literal {
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  if (/[eE]/.test(digits)) return literal(Number(text), type("fp64", false));
  if (/^[0-9]+$/.test(digits)) {
    const v = BigInt(text);
    const magnitude = v < 0n ? -v : v;
    if (magnitude <= INT32_MAX || v === -(INT32_MAX + 1n)) {
      // DuckDB types -2147483648 as BIGINT: the sign is applied after the literal is typed.
      if (v === -(INT32_MAX + 1n)) return literal(v, type("i64", false));
      return literal(Number(v), type("i32", false));
    }
    if (magnitude <= INT64_MAX) return literal(v, type("i64", false));
    // Past BIGINT, DuckDB types an integer HUGEINT (trustql's: 38 digits; more are a DOUBLE here).
    if (magnitude <= DECIMAL38_MAX) return literal(v, hugeint(false));
    return literal(Number(text), type("fp64", false));
  }
  const m = /^([0-9]*)\.([0-9]*)$/.exec(digits);
  if (!m) throw new UserError(`invalid number ${text}`, position);
  const integral = m[1].replace(/^0+(?=[0-9])/, "");
  const fraction = m[2];
  const scale = fraction.length;
  const precision = Math.max(integral.length + scale, scale + 1, 1);
  if (precision > MAX_DECIMAL_PRECISION) return literal(Number(text), type("fp64", false));
  const unscaled = BigInt((negative ? "-" : "") + (integral || "0") + fraction);
  return literal(unscaled, decimal(precision, scale, false));
}

export function parseDate(text: string, position: SourcePosition | undefined): number {
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
  const days = m ? civilDays(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
  if (days === undefined) throw new UserError(`invalid date '${text}'`, position);
  return days;
}

export function parseTimestamp(text: string, position: SourcePosition | undefined): bigint {
  const micros = parseTimestampText(text, { offset: false });
  if (micros === undefined) throw new UserError(`invalid timestamp '${text}'`, position);
  return micros;
}

/** A time of day, `HH:MM[:SS[.ffffff]]` (24:00:00 the day's end, as in DuckDB): microseconds since midnight. */
export function parseTime(text: string, position: SourcePosition | undefined): bigint {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*$/.exec(text);
  const [hours, minutes, seconds] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [NaN, NaN, NaN];
  const fraction = BigInt((m?.[4] ?? "").padEnd(6, "0"));
  const valid = minutes < 60 && seconds < 60 && (hours < 24 || (hours === 24 && minutes === 0 && seconds === 0 && fraction === 0n));
  if (!valid) throw new UserError(`invalid time '${text}'`, position);
  return BigInt((hours * 60 + minutes) * 60 + seconds) * 1_000_000n + fraction;
}

/**
 * An instant: a timestamp with an optional UTC offset (`+02`, `-05:30`, `Z`, `UTC`); without
 * one it is read in UTC, the time zone every engine of trustql runs in.
 */
export function parseTimestampTz(text: string, position: SourcePosition | undefined): bigint {
  const micros = parseTimestampText(text, { offset: true });
  if (micros === undefined) throw new UserError(`invalid timestamp with time zone '${text}'`, position);
  return micros;
}

/** `INTERVAL '90' DAY` or `INTERVAL '1 year 2 months'`. */
export function parseInterval(text: string, unit: string | undefined, position: SourcePosition | undefined): Literal {
  const pieces = intervalPieces(text, unit, position);
  if (pieces.length > 1) throw new UnsupportedError("an interval of months and days or time, but added to or subtracted from a date or time", position);
  return pieces[0];
}

/**
 * An interval's text as interval literals: one, or (`1 month 2 days`, which no one interval type
 * holds) its months, then its days and time, in the order DuckDB adds them to a time.
 */
export function intervalPieces(text: string, unit: string | undefined, position: SourcePosition | undefined): Literal[] {
  const parts: [string, string][] = [];
  if (unit) parts.push([text.trim(), unit]);
  else {
    const words = text.trim().split(/\s+/);
    if (words.length % 2 !== 0) throw new UserError(`invalid interval '${text}'`, position);
    for (let i = 0; i < words.length; i += 2) parts.push([words[i], words[i + 1]]);
  }
  let months = 0;
  let days = 0;
  let micros = 0n;
  for (const [amount, rawUnit] of parts) {
    const spec = INTERVAL_UNITS[intervalUnit(rawUnit, position).unit];
    if (!/^-?\d+$/.test(amount)) throw new UserError(`invalid interval amount '${amount}'`, position);
    const n = Number(amount);
    months += (spec.months ?? 0) * n;
    days += (spec.days ?? 0) * n;
    micros += (spec.micros ?? 0n) * BigInt(n);
  }
  const ofMonths = literal({ months, days: 0, micros: 0n } satisfies IntervalValue, type("interval_year", false));
  const ofDays = literal({ months: 0, days, micros } satisfies IntervalValue, type("interval_day", false));
  if (months !== 0 && (days !== 0 || micros !== 0n)) return [ofMonths, ofDays];
  return [months !== 0 ? ofMonths : ofDays];
}

/** A string literal read as another type, the way DuckDB casts a string constant implicitly. */
export function castStringLiteral(text: string, to: SqlType, position: SourcePosition | undefined): Expr | undefined {
  const t = { ...to, nullable: false };
  switch (to.kind) {
    case "string":
      return literal(text, t);
    case "date":
      return literal(parseDate(text, position), t);
    case "timestamp":
      return literal(parseTimestamp(text, position), t);
    case "timestamp_tz":
      return literal(parseTimestampTz(text, position), t);
    case "timestamp_ns": {
      const nanos = parseTimestampText(text, { offset: false, nanos: true });
      if (nanos === undefined) throw new UserError(`invalid timestamp '${text}'`, position);
      return literal(nanos, t);
    }
    case "boolean": {
      const v = text.trim().toLowerCase();
      if (["true", "t", "1", "yes", "y"].includes(v)) return literal(true, t);
      if (["false", "f", "0", "no", "n"].includes(v)) return literal(false, t);
      throw new UserError(`invalid boolean '${text}'`, position);
    }
    case "i8":
    case "i16":
    case "i32":
    case "i64":
    case "decimal":
    case "fp32":
    case "fp64": {
      const trimmed = text.trim();
      if (to.hugeint && !/^[-+]?\d+$/.test(trimmed)) throw new UserError(`invalid HUGEINT '${text}'`, position);
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
        throw new UserError(`invalid number '${text}'`, position);
      }
      return undefined; // numbers go through a typed cast of the numeric literal
    }
    default:
      return undefined;
  }
}
