// The scalar functions of the dialect beyond its operators: math, strings, regular expressions,
// dates. Each binds arguments already bound to one call of the plan, with the conversions and
// the result type DuckDB gives the same call (planner/functions.ts says which extension file
// declares it). A function not here, and not among the binder's own, is refused by name.
import { UnsupportedError, UserError, type SourcePosition } from "../../common/errors.ts";
import type { Expr } from "../logical.ts";
import { commonSupertype, decimal, hugeint, isInteger, isInterval, isNumeric, isTimestamp, type, typeName, withNullable, type SqlType } from "../types.ts";
import { literal } from "./literals.ts";
import { visitExpr } from "../plan-utils.ts";
import { anyNullable, arithmetic, bitwise, call, castTo, countStar, isStringLiteral, like, unify } from "./operators.ts";

export interface FunctionSite {
  readonly name: string;
  readonly position: SourcePosition | undefined;
}

type FunctionBinder = (args: Expr[], site: FunctionSite) => Expr;

/** A UUID argument; text is read as one (`'…'` folds to the UUID), as DuckDB casts it. */
function uuidArgument(e: Expr, site: FunctionSite): Expr {
  if (e.type.kind === "uuid") return e;
  if (e.type.kind === "string" || e.type.kind === "null") return castTo(e, type("uuid"), site.position);
  throw new UserError(`${site.name} needs a UUID, not ${typeName(e.type)}`, site.position);
}

/** Most values one hash(…) takes. */
const MAX_HASHED_VALUES = 100;

export function bindLibraryFunction(name: string, args: Expr[], position: SourcePosition | undefined): Expr | undefined {
  const bind = LIBRARY.get(name);
  return bind?.(args, { name, position });
}

export function isLibraryFunction(name: string): boolean {
  return LIBRARY.has(name);
}

// ---------------------------------------------------------------- argument checks

/** Refuses a call of `name` with `count` arguments unless it takes that many. */
export function checkArity(name: string, count: number, position: SourcePosition | undefined, min: number, max = min): void {
  if (count < min || count > max) {
    throw new UserError(`${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, not ${count}`, position);
  }
}

function arity(args: readonly Expr[], site: FunctionSite, min: number, max = min): void {
  checkArity(site.name, args.length, site.position, min, max);
}

function text(e: Expr, site: FunctionSite): Expr {
  if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`${site.name} needs VARCHAR, not ${typeName(e.type)}`, site.position);
  return castTo(e, type("string"));
}

function integer(e: Expr, site: FunctionSite, to: "i32" | "i64"): Expr {
  if (!isInteger(e.type) && e.type.kind !== "null") throw new UserError(`${site.name} needs an integer, not ${typeName(e.type)}`, site.position);
  return castTo(e, type(to));
}

/** A number argument; a NULL one is a DOUBLE, or (`nullAs`) what DuckDB's overloads make it for the function. */
function number(e: Expr, site: FunctionSite, nullAs: SqlType = type("fp64")): Expr {
  if (e.type.kind === "null") return castTo(e, nullAs);
  if (!isNumeric(e.type)) throw new UserError(`${site.name} needs a number, not ${typeName(e.type)}`, site.position);
  return e;
}

function double(e: Expr, site: FunctionSite): Expr {
  return castTo(number(e, site), type("fp64"));
}

/**
 * A DATE, TIMESTAMP or TIMESTAMPTZ (a string literal is read as a TIMESTAMP, as DuckDB reads it); a
 * TIME where `times`. A TIMESTAMP_NS is read as its TIMESTAMP, microseconds toward zero, as DuckDB
 * casts it for the functions that have no form of their own for nanoseconds.
 */
function dateOrTimestamp(e: Expr, site: FunctionSite, times = false): Expr {
  if (isStringLiteral(e)) return castTo(e, type("timestamp"), site.position);
  if (e.type.kind === "null" || e.type.kind === "timestamp_ns") return castTo(e, type("timestamp"));
  if (times && e.type.kind === "time") return e;
  if (e.type.kind !== "date" && !isTimestamp(e.type)) throw new UserError(`${site.name} needs a DATE or TIMESTAMP, not ${typeName(e.type)}`, site.position);
  return e;
}

/** The value of an integer constant (a literal, or a negated one), if `e` is one. */
export function integerConstant(e: Expr): number | undefined {
  if (e.kind === "literal" && isInteger(e.type) && (typeof e.value === "number" || typeof e.value === "bigint")) return Number(e.value);
  if (e.kind === "call" && e.fn === "negate") {
    const inner = integerConstant(e.args[0]);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

function stringConstant(e: Expr, site: FunctionSite, what: string): string {
  if (!isStringLiteral(e)) throw new UnsupportedError(`${site.name} with ${what} that is not a constant string`, site.position);
  return e.value;
}

// ---------------------------------------------------------------- math

/** DuckDB's round: integers and floats keep their type; a decimal keeps at most `digits` of scale. */
const round: FunctionBinder = (args, site) => {
  arity(args, site, 1, 2);
  const x = number(args[0], site, type("i64"));
  const digitsArg = args[1] ? integer(args[1], site, "i32") : literal(0, type("i32", false));
  let result = x.type;
  if (x.type.kind === "decimal") {
    const digits = integerConstant(args[1] ?? digitsArg);
    if (digits === undefined) throw new UnsupportedError("round of a DECIMAL to a number of digits that is not a constant", site.position);
    if (digits < x.type.scale!) result = decimal(x.type.precision!, Math.max(digits, 0));
  }
  return call("round", [x, digitsArg], withNullable(result, anyNullable([x, digitsArg])));
};

/** ceil and floor: a decimal loses its scale; integers become DOUBLE, as in DuckDB. */
const ceilOrFloor =
  (fn: "ceil" | "floor"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    let x = number(args[0], site);
    if (isInteger(x.type)) x = castTo(x, type("fp64"));
    const result = x.type.kind === "decimal" ? decimal(x.type.precision!, 0) : x.type;
    return call(fn, [x], withNullable(result, x.type.nullable));
  };

/** trunc(x): toward zero, in x's type (a decimal keeps no digits after the point; an integer is itself). */
const trunc: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const x = number(args[0], site, type("i64"));
  if (isInteger(x.type)) return x;
  const result = x.type.kind === "decimal" ? decimal(x.type.precision!, 0) : x.type;
  return call("trunc", [x], withNullable(result, x.type.nullable));
};

/** A function of doubles to a double. */
const ofDoubles =
  (fn: string, count: number): FunctionBinder =>
  (args, site) => {
    arity(args, site, count);
    const xs = args.map((a) => double(a, site));
    return call(fn, xs, type("fp64", anyNullable(xs)));
  };

const log: FunctionBinder = (args, site) => {
  arity(args, site, 1, 2);
  // DuckDB's log(x) is base 10; log(b, x) is base b (Substrait's logb(x, base)).
  if (args.length === 1) return ofDoubles("log10", 1)(args, site);
  const [base, x] = args.map((a) => double(a, site));
  return call("logb", [x, base], type("fp64", anyNullable([x, base])));
};

const sign: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const x = number(args[0], site);
  return call("sign", [x], type("i8", x.type.nullable));
};

/** pi(): a DOUBLE constant. */
const pi: FunctionBinder = (args, site) => {
  arity(args, site, 0);
  return literal(Math.PI, type("fp64", false));
};

/**
 * isnan, isinf, isfinite: what kind of DOUBLE x is (an integer or decimal is read as one, as
 * DuckDB casts it); signbit: whether its sign bit is set (true for -0.0).
 */
const floatTest =
  (fn: "is_nan" | "is_infinite" | "is_finite" | "signbit"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    const x = double(args[0], site);
    return call(fn, [x], type("boolean", x.type.nullable));
  };

/** gcd and lcm of two integers, as BIGINTs (DuckDB's). */
const ofBigints =
  (fn: "gcd" | "lcm"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 2);
    const xs = args.map((a) => integer(a, site, "i64"));
    return call(fn, xs, type("i64", anyNullable(xs)));
  };

/** bit_count(x): the bits set in an integer of any width, a TINYINT. */
const bitCount: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const x = args[0];
  if (!isInteger(x.type)) throw new UserError(`bit_count needs an integer, not ${typeName(x.type)}`, site.position);
  return call("bit_count", [x], type("i8", x.type.nullable));
};

/** round_even(x, n): to n digits, a half to the even neighbour (banker's rounding); a DOUBLE, or a FLOAT's own type, as DuckDB's. */
const roundEven: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  const x = number(args[0], site);
  const value = x.type.kind === "fp32" ? x : castTo(x, type("fp64"));
  const digits = integer(args[1], site, "i32");
  return call("round_even", [value, digits], withNullable(value.type, anyNullable([value, digits])));
};

/** factorial(n): n! as a HUGEINT, of an integer of at most 32 bits (DuckDB's only overload). */
const factorial: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const n = args[0];
  const narrow = n.type.kind === "i8" || n.type.kind === "i16" || n.type.kind === "i32" || n.type.kind === "null";
  if (!narrow) throw new UserError(`factorial needs an INTEGER, not ${typeName(n.type)}: cast it`, site.position);
  const value = castTo(n, type("i32"));
  return call("factorial", [value], withNullable(hugeint(), value.type.nullable));
};

/** mod(a, b): the % operator. */
const mod: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  return arithmetic("%", args[0], args[1], site.position);
};

// ---------------------------------------------------------------- strings

/** A function of a BLOB's bytes, or one that makes them (DuckDB's): `from` is its argument's kind, `to` its result's. */
const ofBytes =
  (fn: string, from: "binary" | "string", to: "binary" | "string" | "i64"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    const x = args[0];
    if (x.type.kind !== from && x.type.kind !== "null") throw new UserError(`${site.name} needs ${from === "binary" ? "a BLOB" : "VARCHAR"}, not ${typeName(x.type)}`, site.position);
    const value = castTo(x, type(from));
    return call(fn, [value], type(to, value.type.nullable));
  };

/** A function of strings (and integers where `shape` says "i32"/"i64") to `result`. */
const ofStrings =
  (fn: string, shape: readonly ("str" | "i32" | "i64")[], result: "string" | "i32" | "i64" | "fp64" | "boolean", optional = 0): FunctionBinder =>
  (args, site) => {
    arity(args, site, shape.length - optional, shape.length);
    const bound = args.map((a, i) => (shape[i] === "str" ? text(a, site) : integer(a, site, shape[i] as "i32" | "i64")));
    return call(fn, bound, type(result, anyNullable(bound)));
  };

/** concat_ws(separator, values…): values of any type as text, NULLs skipped; NULL only when the separator is. */
const concatWs: FunctionBinder = (args, site) => {
  if (args.length < 2) throw new UserError("concat_ws needs a separator and at least one value", site.position);
  const [separator, ...values] = args;
  const sep = text(separator, site);
  const strings = values.map((v) => castTo(v, type("string"), site.position));
  return call("concat_ws", [sep, ...strings], type("string", sep.type.nullable));
};

/** hex(x) and bin(x): the digits of a BIGINT (two's complement for a negative one) or of a string's bytes. */
const digitsOf =
  (fn: "hex" | "bin"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    const x = args[0];
    const value = isInteger(x.type) ? castTo(x, type("i64")) : text(x, site);
    return call(fn, [value], type("string", value.type.nullable));
  };

/** format_bytes(n): a byte count as DuckDB writes it for people (`1.2 KiB`; `1.2 kB` in powers of 1000). */
const formatBytes =
  (fn: "format_bytes" | "format_decimal_bytes"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    const n = integer(args[0], site, "i64");
    return call(fn, [n], type("string", n.type.nullable));
  };

// ---------------------------------------------------------------- dates

/** extract's components, by the names SQL gives them, with the indexing Substrait asks for where it has one. */
const DATE_PARTS: Record<string, { component: string; indexing?: "ONE" | "ZERO"; timeOfDay?: boolean }> = {
  year: { component: "YEAR" },
  years: { component: "YEAR" },
  isoyear: { component: "ISO_YEAR" },
  quarter: { component: "QUARTER", indexing: "ONE" },
  month: { component: "MONTH", indexing: "ONE" },
  months: { component: "MONTH", indexing: "ONE" },
  day: { component: "DAY", indexing: "ONE" },
  days: { component: "DAY", indexing: "ONE" },
  doy: { component: "DAY_OF_YEAR", indexing: "ONE" },
  dayofyear: { component: "DAY_OF_YEAR", indexing: "ONE" },
  dow: { component: "SUNDAY_DAY_OF_WEEK", indexing: "ZERO" },
  dayofweek: { component: "SUNDAY_DAY_OF_WEEK", indexing: "ZERO" },
  isodow: { component: "MONDAY_DAY_OF_WEEK", indexing: "ONE" },
  week: { component: "ISO_WEEK" },
  weeks: { component: "ISO_WEEK" },
  weekofyear: { component: "ISO_WEEK" },
  hour: { component: "HOUR", timeOfDay: true },
  hours: { component: "HOUR", timeOfDay: true },
  minute: { component: "MINUTE", timeOfDay: true },
  minutes: { component: "MINUTE", timeOfDay: true },
  second: { component: "SECOND", timeOfDay: true },
  seconds: { component: "SECOND", timeOfDay: true },
  // DuckDB's: the second's milli- or microseconds, its whole seconds included (12.345 s is 12345 ms).
  millisecond: { component: "MILLISECOND", timeOfDay: true },
  milliseconds: { component: "MILLISECOND", timeOfDay: true },
  ms: { component: "MILLISECOND", timeOfDay: true },
  microsecond: { component: "MICROSECOND", timeOfDay: true },
  microseconds: { component: "MICROSECOND", timeOfDay: true },
  us: { component: "MICROSECOND", timeOfDay: true },
};

/** Parts no extract component names: DuckDB's own functions of them (trustql_functions_scalar). */
const OWN_PARTS: Record<string, string> = {
  decade: "decade", decades: "decade",
  century: "century", centuries: "century",
  millennium: "millennium", millennia: "millennium",
  yearweek: "yearweek",
};

/**
 * The parts DuckDB takes of an INTERVAL (extract's component or OWN_PARTS' function, upper-cased):
 * each read from the months, days or microseconds as the interval keeps them, none carried into
 * another (`INTERVAL '1 month 40 days'` has 40 days).
 */
const INTERVAL_PARTS = new Set(["MILLENNIUM", "CENTURY", "DECADE", "YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"]);

/** EXTRACT(part FROM x), date_part('part', x) and year(x), month(x), …: a BIGINT. */
export function extractPart(part: string, source: Expr, site: FunctionSite): Expr {
  if (part.toLowerCase() === "epoch") return epochOf("epoch")([source], site);
  const known = DATE_PARTS[part.toLowerCase()];
  const own = OWN_PARTS[part.toLowerCase()];
  if (!known && !own) throw new UnsupportedError(`${site.name === "extract" ? "EXTRACT" : site.name} of ${part}`, site.position);
  if (isInterval(source.type)) {
    const intervalPart = known?.component ?? own.toUpperCase();
    if (!INTERVAL_PARTS.has(intervalPart)) {
      // DuckDB has no week, day of the week or of the year of an interval (its error: not implemented).
      const what = site.name === "extract" ? `EXTRACT of ${part.toLowerCase()}` : ["date_part", "datepart"].includes(site.name) ? `${site.name} of ${part}` : site.name;
      throw new UserError(`${what} needs a DATE or TIMESTAMP, not INTERVAL`, site.position);
    }
    return call("interval_part", [source], type("i64", source.type.nullable), [intervalPart]);
  }
  if (source.type.kind === "time") {
    // A time of day has its hours, minutes and seconds only.
    if (!known?.timeOfDay) throw new UserError(`${site.name === "extract" ? "EXTRACT" : site.name} of ${part} needs a DATE or TIMESTAMP, not TIME`, site.position);
  } else if (source.type.kind !== "date" && !isTimestamp(source.type) && source.type.kind !== "timestamp_ns") {
    throw new UserError(`${site.name === "extract" ? "EXTRACT" : site.name} needs a DATE or TIMESTAMP, not ${typeName(source.type)}`, site.position);
  }
  if (own) return call(own, [source], type("i64", source.type.nullable));
  if (known.timeOfDay && source.type.kind === "date") throw new UnsupportedError(`${part.toUpperCase()} of a DATE`, site.position);
  const enums = known.indexing ? [known.component, known.indexing] : [known.component];
  return call("extract", [source], type("i64", source.type.nullable), enums);
}

/** What a part is taken of: a DATE, TIMESTAMP or TIME (dateOrTimestamp's), a TIMESTAMP_NS (as EXTRACT takes it), or an INTERVAL. */
function partSource(e: Expr, site: FunctionSite): Expr {
  return isInterval(e.type) || e.type.kind === "timestamp_ns" ? e : dateOrTimestamp(e, site, true);
}

const partFunction =
  (part: string): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    return extractPart(part, partSource(args[0], site), site);
  };

const datePart: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  return extractPart(stringConstant(args[0], site, "a part"), partSource(args[1], site), site);
};

/** The units date_trunc and date_diff take, by DuckDB's names for them. */
const UNITS: Record<string, string> = {
  millennium: "MILLENNIUM", millennia: "MILLENNIUM",
  century: "CENTURY", centuries: "CENTURY",
  decade: "DECADE", decades: "DECADE",
  year: "YEAR", years: "YEAR", y: "YEAR", yr: "YEAR", yrs: "YEAR",
  quarter: "QUARTER", quarters: "QUARTER",
  month: "MONTH", months: "MONTH", mon: "MONTH",
  week: "WEEK", weeks: "WEEK", w: "WEEK",
  day: "DAY", days: "DAY", d: "DAY",
  hour: "HOUR", hours: "HOUR", h: "HOUR", hr: "HOUR",
  minute: "MINUTE", minutes: "MINUTE", min: "MINUTE", m: "MINUTE",
  second: "SECOND", seconds: "SECOND", sec: "SECOND", s: "SECOND",
  millisecond: "MILLISECOND", milliseconds: "MILLISECOND", ms: "MILLISECOND",
  microsecond: "MICROSECOND", microseconds: "MICROSECOND", us: "MICROSECOND",
};

function unit(e: Expr, site: FunctionSite): string {
  const name = stringConstant(e, site, "a unit");
  const known = UNITS[name.trim().toLowerCase()];
  if (!known) throw new UserError(`${site.name}: unknown unit '${name}' (year, quarter, month, week, day, hour, minute, second, …)`, site.position);
  return known;
}

/** date_trunc(unit, x): a DATE or TIMESTAMP gives a TIMESTAMP, a TIMESTAMPTZ an instant (cut in UTC). */
const dateTrunc: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  const x = dateOrTimestamp(args[1], site);
  const result = x.type.kind === "timestamp_tz" ? type("timestamp_tz") : type("timestamp");
  return call("date_trunc", [x], withNullable(result, x.type.nullable), [unit(args[0], site)]);
};

/** date_diff(unit, a, b): unit boundaries crossed from a to b; date_sub: whole units between them. */
const dateDifference =
  (fn: "date_diff" | "date_sub"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 3);
    const [a, b] = unify(dateOrTimestamp(args[1], site), dateOrTimestamp(args[2], site), `${site.name} between`, site.position);
    return call(fn, [a, b], type("i64", anyNullable([a, b])), [unit(args[0], site)]);
  };

/**
 * age(a, b): the interval from b to a in years, months, days and time, as DuckDB counts them (a
 * DATE as its midnight); DuckDB's INTERVAL of months, days and time (see interval_compound).
 */
const age: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  const [x, y] = args.map((a) => dateOrTimestamp(a, site));
  let [a, b] = unify(x, y, "age between", site.position);
  if (a.type.kind === "date") [a, b] = [castTo(a, type("timestamp")), castTo(b, type("timestamp"))];
  return call("age", [a, b], type("interval_compound", anyNullable([a, b])));
};

/** strftime(x, format): x's text in the format; of a TIMESTAMP_NS, with its nanoseconds (%n), DuckDB's form for them. */
const strftime: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  const x = args[0].type.kind === "timestamp_ns" ? args[0] : dateOrTimestamp(args[0], site);
  const format = text(args[1], site);
  return call("strftime", [x, format], type("string", anyNullable([x, format])));
};

const makeDate: FunctionBinder = (args, site) => {
  arity(args, site, 3);
  const parts = args.map((a) => integer(a, site, "i64"));
  return call("make_date", parts, type("date", anyNullable(parts)));
};

const ofDate =
  (fn: string, result: "date" | "string"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    const x = dateOrTimestamp(args[0], site);
    return call(fn, [x], type(result, x.type.nullable));
  };

/** epoch(x): seconds since 1970-01-01 00:00 UTC as a DOUBLE (of an interval: its length); epoch_ms, _us, _ns(x): milli-, micro-, nanoseconds, a BIGINT (epoch_ms of a BIGINT: its TIMESTAMP). */
const epochOf =
  (fn: "epoch" | "epoch_ms" | "epoch_us" | "epoch_ns"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    if (fn === "epoch_ms" && isInteger(args[0].type)) {
      // DuckDB's epoch_ms of a number of milliseconds is the other way: their TIMESTAMP.
      const ms = castTo(args[0], type("i64"));
      return call("timestamp_of_epoch_ms", [ms], type("timestamp", ms.type.nullable));
    }
    // Of an interval: its length, a month counted as 30 days (DuckDB's); epoch_ns of nanoseconds: all of them.
    const x = isInterval(args[0].type) || (fn === "epoch_ns" && args[0].type.kind === "timestamp_ns") ? args[0] : dateOrTimestamp(args[0], site);
    return call(fn, [x], type(fn === "epoch" ? "fp64" : "i64", x.type.nullable));
  };

/** to_timestamp(seconds): the instant that many seconds after 1970-01-01 00:00 UTC. */
const toTimestamp: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const seconds = double(args[0], site);
  return call("to_timestamp", [seconds], type("timestamp_tz", seconds.type.nullable));
};

/**
 * timezone(zone, t), and `t AT TIME ZONE zone`: a TIMESTAMP read as the wall clock in `zone` is
 * the instant it names (TIMESTAMP WITH TIME ZONE); an instant is the wall clock in `zone` at it
 * (TIMESTAMP); a DATE is its midnight's TIMESTAMP. Zones are ICU's names ('UTC', 'Europe/Oslo').
 */
const timezone: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  const zone = text(args[0], site);
  const given = args[1].type.kind === "date" || args[1].type.kind === "null" ? castTo(args[1], type("timestamp")) : args[1];
  if (given.type.kind !== "timestamp" && given.type.kind !== "timestamp_tz") throw new UserError(`${site.name} needs a TIMESTAMP or a TIMESTAMP WITH TIME ZONE, not ${typeName(given.type)}`, site.position);
  return call("timezone", [zone, given], type(given.type.kind === "timestamp" ? "timestamp_tz" : "timestamp", zone.type.nullable || given.type.nullable));
};

/**
 * strptime(text, format): the TIMESTAMP the text names, read by a constant format (a TIMESTAMPTZ
 * when the format reads a zone, %z or %Z); one that does not match is an error, or NULL for
 * try_strptime.
 */
const strptime =
  (fn: "strptime" | "try_strptime"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 2);
    const value = text(args[0], site);
    const format = stringConstant(args[1], site, "a format");
    const zoned = /%[zZ]/.test(format.replaceAll("%%", ""));
    return call(fn, [value, text(args[1], site)], type(zoned ? "timestamp_tz" : "timestamp", fn === "try_strptime" || value.type.nullable));
  };

/**
 * make_timestamp(year, month, day, hour, minute, seconds) and make_time(hour, minute, seconds):
 * seconds may have a fraction; make_timestamp(µs) is the timestamp that many microseconds from
 * 1970, make_timestamp_ns(ns) the TIMESTAMP_NS that many nanoseconds from it.
 */
const makeTemporal =
  (fn: "make_timestamp" | "make_timestamp_ns" | "make_time"): FunctionBinder =>
  (args, site) => {
    if (fn === "make_timestamp_ns") arity(args, site, 1);
    if (fn !== "make_time" && args.length === 1) {
      const since = integer(args[0], site, "i64");
      return call(fn, [since], type(fn === "make_timestamp" ? "timestamp" : "timestamp_ns", since.type.nullable));
    }
    const wholeParts = fn === "make_timestamp" ? 5 : 2;
    arity(args, site, wholeParts + 1);
    const parts = [...args.slice(0, wholeParts).map((a) => integer(a, site, "i64")), double(args[wholeParts], site)];
    return call(fn, parts, type(fn === "make_timestamp" ? "timestamp" : "time", anyNullable(parts)));
  };

/** to_years(n), to_days(n), to_seconds(x), …: an INTERVAL of that many units (DuckDB's argument types). */
const toInterval =
  (fn: string, argument: "i32" | "i64" | "fp64", result: "interval_year" | "interval_day"): FunctionBinder =>
  (args, site) => {
    arity(args, site, 1);
    const n = argument === "fp64" ? double(args[0], site) : integer(args[0], site, argument);
    return call(fn, [n], type(result, n.type.nullable));
  };

/**
 * time_bucket(width, x[, origin or offset]): the start of the bucket of `width` (an INTERVAL) that
 * holds x, in x's type; buckets start at 2000-01-03 (a Monday) unless an origin moves them.
 */
const timeBucket: FunctionBinder = (args, site) => {
  arity(args, site, 2, 3);
  const width = args[0];
  if (width.type.kind !== "interval_day" && width.type.kind !== "interval_year") throw new UserError(`time_bucket needs an INTERVAL width, not ${typeName(width.type)}`, site.position);
  let x = dateOrTimestamp(args[1], site);
  const third = args[2];
  let shift: Expr[] = [];
  if (third !== undefined && (third.type.kind === "interval_day" || third.type.kind === "interval_year")) shift = [third];
  else if (third !== undefined) {
    // An origin and x meet in their common type (a DATE beside a TIMESTAMP origin is one: its buckets start at the origin's time).
    const origin = dateOrTimestamp(third, site);
    const common = commonSupertype(x.type, origin.type) ?? x.type;
    x = castTo(x, common, site.position);
    shift = [castTo(origin, withNullable(common, origin.type.nullable), site.position)];
  }
  return call("time_bucket", [width, x, ...shift], withNullable(x.type, anyNullable([width, x, ...shift])));
};

/** date_add(x, interval): the + operator. */
const dateAdd: FunctionBinder = (args, site) => {
  arity(args, site, 2);
  return arithmetic("+", args[0], args[1], site.position);
};

/** printf(format, values…) and format(format, values…): text of values of any type. */
const formatted =
  (fn: "printf" | "format"): FunctionBinder =>
  (args, site) => {
    if (args.length < 1) throw new UserError(`${site.name} needs a format`, site.position);
    const [format, ...values] = args;
    const f = text(format, site);
    for (const v of values) {
      if (v.type.kind === "binary" || v.type.kind === "interval_year" || v.type.kind === "interval_day") throw new UnsupportedError(`${site.name} of ${typeName(v.type)}`, site.position);
    }
    // NULL when any argument is, as DuckDB gives it.
    return call(fn, [f, ...values], type("string", anyNullable([f, ...values])));
  };

const chr: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const code = integer(args[0], site, "i32");
  return call("chr", [code], type("string", code.type.nullable));
};

/** typeof(x): the name of x's type, known when the plan is made (DuckDB's names; NULL's is `"NULL"`, quoted as DuckDB prints it). */
const typeOf: FunctionBinder = (args, site) => {
  arity(args, site, 1);
  const name = literal(args[0].type.kind === "null" ? '"NULL"' : typeName(args[0].type), type("string", false));
  // An aggregate in the argument still makes the query aggregate (a row per group), as in DuckDB,
  // which computes nothing of the argument (its overflow is no error): a count(*) stands in.
  let aggregates = false;
  visitExpr(args[0], (e) => (aggregates ||= e.kind === "aggregate"));
  if (!aggregates) return name;
  return call("coalesce", [name, castTo(countStar(), type("string"))], type("string", false));
};

// ---------------------------------------------------------------- the table

const LIBRARY = new Map<string, FunctionBinder>([
  // math
  ["round", round],
  ["ceil", ceilOrFloor("ceil")],
  ["ceiling", ceilOrFloor("ceil")],
  ["floor", ceilOrFloor("floor")],
  ["trunc", trunc],
  ["sqrt", ofDoubles("sqrt", 1)],
  ["exp", ofDoubles("exp", 1)],
  ["ln", ofDoubles("ln", 1)],
  ["log10", ofDoubles("log10", 1)],
  ["log2", ofDoubles("log2", 1)],
  ["log", log],
  ["power", ofDoubles("power", 2)],
  ["pow", ofDoubles("power", 2)],
  ["sign", sign],
  ["xor", (args, site) => (arity(args, site, 2), bitwise("xor", args[0], args[1], site.position))],
  ["mod", mod],
  ["pi", pi],
  ["sin", ofDoubles("sin", 1)],
  ["cos", ofDoubles("cos", 1)],
  ["tan", ofDoubles("tan", 1)],
  ["cot", ofDoubles("cot", 1)],
  ["asin", ofDoubles("asin", 1)],
  ["acos", ofDoubles("acos", 1)],
  ["atan", ofDoubles("atan", 1)],
  ["atan2", ofDoubles("atan2", 2)],
  ["sinh", ofDoubles("sinh", 1)],
  ["cosh", ofDoubles("cosh", 1)],
  ["tanh", ofDoubles("tanh", 1)],
  ["asinh", ofDoubles("asinh", 1)],
  ["acosh", ofDoubles("acosh", 1)],
  ["atanh", ofDoubles("atanh", 1)],
  ["degrees", ofDoubles("degrees", 1)],
  ["radians", ofDoubles("radians", 1)],
  ["cbrt", ofDoubles("cbrt", 1)],
  ["even", ofDoubles("even", 1)],
  ["isnan", floatTest("is_nan")],
  ["isinf", floatTest("is_infinite")],
  ["isfinite", floatTest("is_finite")],
  ["signbit", floatTest("signbit")],
  ["gcd", ofBigints("gcd")],
  ["greatest_common_divisor", ofBigints("gcd")],
  ["lcm", ofBigints("lcm")],
  ["least_common_multiple", ofBigints("lcm")],
  ["bit_count", bitCount],
  ["round_even", roundEven],
  ["roundbankers", roundEven],
  ["factorial", factorial],
  // strings
  ["replace", ofStrings("replace", ["str", "str", "str"], "string")],
  ["left", ofStrings("left", ["str", "i32"], "string")],
  ["right", ofStrings("right", ["str", "i32"], "string")],
  ["lpad", ofStrings("lpad", ["str", "i32", "str"], "string")],
  ["rpad", ofStrings("rpad", ["str", "i32", "str"], "string")],
  ["reverse", ofStrings("reverse", ["str"], "string")],
  ["repeat", ofStrings("repeat", ["str", "i64"], "string")],
  ["strpos", ofStrings("strpos", ["str", "str"], "i64")],
  ["instr", ofStrings("strpos", ["str", "str"], "i64")],
  ["concat_ws", concatWs],
  ["split_part", ofStrings("split_part", ["str", "str", "i64"], "string")],
  ["regexp_matches", ofStrings("regexp_matches", ["str", "str", "str"], "boolean", 1)],
  ["regexp_replace", ofStrings("regexp_replace", ["str", "str", "str", "str"], "string", 1)],
  ["regexp_extract", ofStrings("regexp_extract", ["str", "str", "i32"], "string", 1)],
  ["regexp_full_match", ofStrings("regexp_full_match", ["str", "str", "str"], "boolean", 1)],
  ["translate", ofStrings("translate", ["str", "str", "str"], "string")],
  ["strip_accents", ofStrings("strip_accents", ["str"], "string")],
  ["nfc_normalize", ofStrings("nfc_normalize", ["str"], "string")],
  ["bit_length", ofStrings("bit_length", ["str"], "i64")],
  ["unicode", ofStrings("unicode", ["str"], "i32")],
  ["ord", ofStrings("unicode", ["str"], "i32")],
  ["levenshtein", ofStrings("levenshtein", ["str", "str"], "i64")],
  ["editdist3", ofStrings("levenshtein", ["str", "str"], "i64")],
  ["damerau_levenshtein", ofStrings("damerau_levenshtein", ["str", "str"], "i64")],
  ["hamming", ofStrings("hamming", ["str", "str"], "i64")],
  ["mismatches", ofStrings("hamming", ["str", "str"], "i64")],
  ["jaccard", ofStrings("jaccard", ["str", "str"], "fp64")],
  ["jaro_similarity", ofStrings("jaro_similarity", ["str", "str"], "fp64")],
  ["jaro_winkler_similarity", ofStrings("jaro_winkler_similarity", ["str", "str"], "fp64")],
  ["hex", digitsOf("hex")],
  ["to_hex", digitsOf("hex")],
  ["bin", digitsOf("bin")],
  ["to_binary", digitsOf("bin")],
  ["format_bytes", formatBytes("format_bytes")],
  ["formatreadablesize", formatBytes("format_bytes")],
  ["formatreadabledecimalsize", formatBytes("format_decimal_bytes")],
  // like_escape(s, pattern, escape): s LIKE pattern ESCAPE escape, as a call.
  ["like_escape", (args, site) => (arity(args, site, 3), like(args[0], args[1], site.position, "like", args[2]))],
  ["ilike_escape", (args, site) => (arity(args, site, 3), like(args[0], args[1], site.position, "ilike", args[2]))],
  ["md5", ofStrings("md5", ["str"], "string")],
  ["sha256", ofStrings("sha256", ["str"], "string")],
  ["sha1", ofStrings("sha1", ["str"], "string")],
  // A UUID's version (DuckDB's UINTEGER, a BIGINT here), and a version 7 UUID's instant (another version is DuckDB's error).
  ["uuid_extract_version", (args, site) => (arity(args, site, 1), call("uuid_extract_version", [uuidArgument(args[0], site)], type("i64", args[0].type.nullable)))],
  ["uuid_extract_timestamp", (args, site) => (arity(args, site, 1), call("uuid_extract_timestamp", [uuidArgument(args[0], site)], type("timestamp_tz", args[0].type.nullable)))],
  // DuckDB's hash, a UBIGINT there: a DECIMAL(20,0) here (trustql's type of UBIGINT values), never NULL.
  ["hash", (args, site) => (arity(args, site, 1, MAX_HASHED_VALUES), call("hash", args, decimal(20, 0, false)))],
  // bytes
  ["octet_length", ofBytes("octet_length", "binary", "i64")],
  ["strlen", ofBytes("strlen", "string", "i64")],
  ["base64", ofBytes("to_base64", "binary", "string")],
  ["to_base64", ofBytes("to_base64", "binary", "string")],
  ["from_base64", ofBytes("from_base64", "string", "binary")],
  ["encode", ofBytes("encode", "string", "binary")],
  ["decode", ofBytes("decode", "binary", "string")],
  ["ascii", ofStrings("ascii", ["str"], "i32")],
  ["chr", chr],
  ["printf", formatted("printf")],
  ["format", formatted("format")],
  ["typeof", typeOf],
  // dates
  ["year", partFunction("year")],
  ["quarter", partFunction("quarter")],
  ["month", partFunction("month")],
  ["day", partFunction("day")],
  ["dayofmonth", partFunction("day")],
  ["dayofyear", partFunction("doy")],
  ["dayofweek", partFunction("dow")],
  ["weekday", partFunction("dow")],
  ["isodow", partFunction("isodow")],
  ["week", partFunction("week")],
  ["weekofyear", partFunction("week")],
  ["isoyear", partFunction("isoyear")],
  ["yearweek", partFunction("yearweek")],
  ["hour", partFunction("hour")],
  ["minute", partFunction("minute")],
  ["second", partFunction("second")],
  ["millisecond", partFunction("millisecond")],
  ["microsecond", partFunction("microsecond")],
  ["decade", partFunction("decade")],
  ["century", partFunction("century")],
  ["millennium", partFunction("millennium")],
  ["date_part", datePart],
  ["datepart", datePart],
  ["date_trunc", dateTrunc],
  ["datetrunc", dateTrunc],
  ["date_diff", dateDifference("date_diff")],
  ["age", age],
  ["datediff", dateDifference("date_diff")],
  ["date_sub", dateDifference("date_sub")],
  ["datesub", dateDifference("date_sub")],
  ["strftime", strftime],
  ["make_date", makeDate],
  ["last_day", ofDate("last_day", "date")],
  ["dayname", ofDate("dayname", "string")],
  ["monthname", ofDate("monthname", "string")],
  ["epoch", epochOf("epoch")],
  ["epoch_ms", epochOf("epoch_ms")],
  ["epoch_us", epochOf("epoch_us")],
  ["epoch_ns", epochOf("epoch_ns")],
  ["strptime", strptime("strptime")],
  ["try_strptime", strptime("try_strptime")],
  ["make_timestamp", makeTemporal("make_timestamp")],
  ["make_timestamp_ns", makeTemporal("make_timestamp_ns")],
  ["make_time", makeTemporal("make_time")],
  ["date_add", dateAdd],
  ["time_bucket", timeBucket],
  ["to_years", toInterval("to_years", "i32", "interval_year")],
  ["to_months", toInterval("to_months", "i32", "interval_year")],
  ["to_quarters", toInterval("to_quarters", "i32", "interval_year")],
  ["to_decades", toInterval("to_decades", "i32", "interval_year")],
  ["to_centuries", toInterval("to_centuries", "i32", "interval_year")],
  ["to_millennia", toInterval("to_millennia", "i32", "interval_year")],
  ["to_weeks", toInterval("to_weeks", "i32", "interval_day")],
  ["to_days", toInterval("to_days", "i32", "interval_day")],
  ["to_hours", toInterval("to_hours", "i64", "interval_day")],
  ["to_minutes", toInterval("to_minutes", "i64", "interval_day")],
  ["to_seconds", toInterval("to_seconds", "fp64", "interval_day")],
  ["to_milliseconds", toInterval("to_milliseconds", "fp64", "interval_day")],
  ["to_microseconds", toInterval("to_microseconds", "i64", "interval_day")],
  ["to_timestamp", toTimestamp],
  ["timezone", timezone],
]);
