// Literal values as DuckDB reads them: the type of a number follows its text, dates and
// timestamps are checked here so a bad one is the user's error at its position, not a
// failure at run time.
import { UserError, UnsupportedError, type SourcePosition } from "../../common/errors.ts";
import { civilDays, parseTimestampText } from "../../common/temporal.ts";
import { canonicalUuid } from "../../common/uuid.ts";
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

/**
 * `INTERVAL '90' DAY` or `INTERVAL '1 year 2 months'`: of months only, of days and time only, or
 * (`INTERVAL '1 month 2 days'`) DuckDB's interval of all three.
 */
export function parseInterval(text: string, unit: string | undefined, position: SourcePosition | undefined): Literal {
  const pieces = intervalPieces(text, unit, position);
  if (pieces.length === 1) return pieces[0];
  const [{ months }, { days, micros }] = pieces.map((p) => p.value as IntervalValue);
  return literal({ months, days, micros } satisfies IntervalValue, type("interval_compound", false));
}

/**
 * An interval's text as interval literals: one, or (`1 month 2 days`, which neither of the two
 * kinds trustql keeps apart holds) its months, then its days and time, in the order DuckDB adds
 * them to a time.
 */
export function intervalPieces(text: string, unit: string | undefined, position: SourcePosition | undefined): Literal[] {
  const { months, days, micros } = unit ? intervalOfUnits(text, unit, position) : readIntervalText(text, position);
  const ofMonths = literal({ months, days: 0, micros: 0n } satisfies IntervalValue, type("interval_year", false));
  const ofDays = literal({ months: 0, days, micros } satisfies IntervalValue, type("interval_day", false));
  if (months !== 0 && (days !== 0 || micros !== 0n)) return [ofMonths, ofDays];
  return [months !== 0 ? ofMonths : ofDays];
}

/** `INTERVAL '3' DAY`: a whole number of one unit. */
function intervalOfUnits(amount: string, unit: string, position: SourcePosition | undefined): IntervalValue {
  const spec = INTERVAL_UNITS[intervalUnit(unit, position).unit];
  if (!/^-?\d+$/.test(amount.trim())) throw new UserError(`invalid interval amount '${amount}'`, position);
  const n = Number(amount);
  return { months: (spec.months ?? 0) * n, days: (spec.days ?? 0) * n, micros: (spec.micros ?? 0n) * BigInt(n) };
}

/** The units an interval's text may name, by every name DuckDB reads (its date part specifiers that intervals take). */
const TEXT_UNITS: Record<string, keyof typeof INTERVAL_UNITS> = {
  ...Object.fromEntries(["millennium", "mil", "millenniums", "millennia", "mils"].map((n) => [n, "millennium"])),
  ...Object.fromEntries(["century", "cent", "centuries", "c"].map((n) => [n, "century"])),
  ...Object.fromEntries(["decade", "dec", "decades", "decs"].map((n) => [n, "decade"])),
  ...Object.fromEntries(["year", "yr", "y", "years", "yrs"].map((n) => [n, "year"])),
  ...Object.fromEntries(["quarter", "quarters"].map((n) => [n, "quarter"])),
  ...Object.fromEntries(["month", "mon", "months", "mons"].map((n) => [n, "month"])),
  ...Object.fromEntries(["week", "weeks", "w"].map((n) => [n, "week"])),
  ...Object.fromEntries(["day", "days", "d"].map((n) => [n, "day"])),
  ...Object.fromEntries(["hour", "hr", "hours", "hrs", "h"].map((n) => [n, "hour"])),
  ...Object.fromEntries(["minute", "min", "minutes", "mins", "m"].map((n) => [n, "minute"])),
  ...Object.fromEntries(["second", "sec", "seconds", "secs", "s"].map((n) => [n, "second"])),
  ...Object.fromEntries(["millisecond", "milliseconds", "ms", "msec", "msecs", "msecond", "mseconds"].map((n) => [n, "millisecond"])),
  ...Object.fromEntries(["microsecond", "microseconds", "us", "usec", "usecs", "usecond", "useconds"].map((n) => [n, "microsecond"])),
};

const MICROS_PER_DAY = 86_400_000_000n;
/** A fraction of a unit as DuckDB reads it: its first six digits, millionths of the unit. */
const MILLIONTHS = 1_000_000n;
const INT32_LIMIT = 2n ** 31n;
const INT64_LIMIT = 2n ** 63n;

/**
 * An interval's text as DuckDB 1.5 reads it: amounts with units (`1 year 2 months`, `3h`, `2 mons`),
 * a time last (`1 day 02:30:00`, `-36:00`), a lone number of seconds (`'90.5'`), `ago` at the end
 * negating it all. Months, days and microseconds stay apart. A fraction of a unit is read to six
 * digits and goes where DuckDB puts it: into the unit's own part (`1.5 years`: 18 months, cut to
 * whole months), a month's into whole days (`1.5 months`: 1 month 15 days), a quarter's into
 * months and whole days, a week's into days and time, a day's into time.
 */
export function readIntervalText(text: string, position: SourcePosition | undefined): IntervalValue {
  const invalid = () => new UserError(`invalid interval '${text}'`, position);
  const parts = { months: 0n, days: 0n, micros: 0n };
  const add = (part: keyof typeof parts, n: bigint) => {
    parts[part] += n;
    const limit = part === "micros" ? INT64_LIMIT : INT32_LIMIT;
    if (parts[part] >= limit || parts[part] < -limit) throw new UserError(`interval '${text}' out of range`, position);
  };
  // An item: an amount (its sign, digits, fraction) then a unit, or a time, which ends the text.
  const item = /\s*(-?)(\d+)(?:(:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?)|(?:\.(\d*))?\s*([A-Za-z]*))/y;
  let rest = text.replace(/^@/, "");
  let found = false;
  for (;;) {
    item.lastIndex = 0;
    const m = item.exec(rest);
    if (!m) break;
    const [whole, sign, digits, time, fractionDigits = "", unitText] = m;
    const negative = sign === "-";
    rest = rest.slice(whole.length);
    if (time !== undefined) {
      // H:MM[:SS[.ffffff]] (hours of up to 9 digits): the time, nothing after it.
      const [minutes, seconds = "0"] = time.slice(1).split(":");
      const [wholeSeconds, fraction = ""] = seconds.split(".");
      if (Number(minutes) >= 60 || Number(wholeSeconds) >= 60 || digits.length > 9) throw invalid();
      if (rest.trim() !== "") throw new UnsupportedError(`text after an interval's time ('${text}', which DuckDB reads without it)`, position);
      const value = ((BigInt(digits) * 60n + BigInt(minutes)) * 60n + BigInt(wholeSeconds)) * 1_000_000n + BigInt(fraction.slice(0, 6).padEnd(6, "0"));
      add("micros", negative ? -value : value);
      found = true;
      break;
    }
    const n = negative ? -BigInt(digits) : BigInt(digits);
    const f = (negative ? -1n : 1n) * BigInt(fractionDigits.slice(0, 6).padEnd(6, "0"));
    if (unitText === "") {
      // A lone number: seconds (DuckDB's SS[.FFFFFF]), only as the whole text.
      if (found || rest.trim() !== "") throw invalid();
      add("micros", n * 1_000_000n + f);
      found = true;
      break;
    }
    const unit = TEXT_UNITS[unitText.toLowerCase()];
    if (!unit) throw invalid();
    const spec = INTERVAL_UNITS[unit];
    // BigInt's / truncates toward zero and its % takes the dividend's sign, as C++'s do.
    switch (unit) {
      case "microsecond":
        // A fraction of a microsecond rounds, half away from zero.
        add("micros", n + (f + (f < 0n ? -MILLIONTHS / 2n : MILLIONTHS / 2n)) / MILLIONTHS);
        break;
      case "day":
        add("days", n);
        add("micros", (f * MICROS_PER_DAY) / MILLIONTHS);
        break;
      case "week":
        add("days", n * 7n + (f * 7n) / MILLIONTHS);
        add("micros", (((f * 7n) % MILLIONTHS) * MICROS_PER_DAY) / MILLIONTHS);
        break;
      case "month":
        add("months", n);
        add("days", (f * 30n) / MILLIONTHS);
        break;
      case "quarter":
        add("months", n * 3n + (f * 3n) / MILLIONTHS);
        add("days", (((f * 3n) % MILLIONTHS) * 30n) / MILLIONTHS);
        break;
      default: {
        // Years and longer in months, hours to milliseconds in microseconds.
        const per = spec.micros ?? BigInt(spec.months!);
        add(spec.micros ? "micros" : "months", n * per + (f * per) / MILLIONTHS);
      }
    }
    found = true;
  }
  const ago = /^\s*ago\s*$/i.test(rest);
  if (!found || (rest.trim() !== "" && !ago)) throw invalid();
  const sign = ago ? -1n : 1n;
  return { months: Number(sign * parts.months), days: Number(sign * parts.days), micros: sign * parts.micros };
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
    case "uuid": {
      const canonical = canonicalUuid(text.trim());
      if (canonical === undefined) throw new UserError(`invalid UUID '${text}' (32 hex digits, as 01234567-89ab-cdef-0123-456789abcdef)`, position);
      return literal(canonical, t);
    }
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
      // Floats also take DuckDB's words for their special values ('nan', '-inf', 'Infinity').
      const special = (to.kind === "fp32" || to.kind === "fp64") && /^[-+]?(nan|inf|infinity)$/i.test(trimmed);
      if (!special && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
        throw new UserError(`invalid number '${text}'`, position);
      }
      return undefined; // numbers go through a typed cast of the numeric literal
    }
    default:
      return undefined;
  }
}
