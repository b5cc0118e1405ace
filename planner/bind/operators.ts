// Typing of operators and functions with DuckDB's rules, made explicit in the plan: every
// implicit conversion DuckDB would make becomes a cast, every result carries DuckDB's type.
import { UserError, UnsupportedError, type SourcePosition } from "../../common/errors.ts";
import type { AggregateCall, AggregateExpr, Expr, SortKey } from "../logical.ts";
import { aggregateArguments, rewriteTopDown } from "../plan-utils.ts";
import {
  INT64_DECIMAL_PRECISION,
  MAX_DECIMAL_PRECISION,
  holdsStruct,
  elementOf,
  structFieldNames,
  commonSupertype,
  decimal,
  hugeint,
  integerAsDecimal,
  integerFits,
  isFloat,
  isInteger,
  isInterval,
  isNumeric,
  isTimestamp,
  isWholeNumber,
  listOf,
  narrowerInteger,
  sameJsonWithin,
  sameNamesWithin,
  sameType,
  type,
  typeName,
  withNullable,
  type SqlType,
} from "../types.ts";
import { castStringLiteral, literal } from "./literals.ts";

export function call(fn: string, args: Expr[], t: SqlType, enumArgs?: string[]): Expr {
  return enumArgs ? { kind: "call", fn, args, type: t, enumArgs } : { kind: "call", fn, args, type: t };
}

/** The type DuckDB sums values of `t` into: integers into a HUGEINT, decimals into 38 digits, floats into a DOUBLE. */
export function sumType(t: SqlType): SqlType {
  if (t.kind === "decimal") return t.hugeint ? hugeint() : decimal(MAX_DECIMAL_PRECISION, t.scale!);
  return isFloat(t) ? type("fp64") : hugeint();
}

/** Whether any of the values may be NULL (a strict function's result then may be). */
export function anyNullable(args: readonly Expr[]): boolean {
  return args.some((a) => a.type.nullable);
}

export function isStringLiteral(e: Expr): e is Expr & { kind: "literal"; value: string } {
  return e.kind === "literal" && typeof e.value === "string" && e.type.kind === "string";
}

/** A cast to `t` (keeping the input's nullability), or the input itself when it already has that type. */
export function castTo(e: Expr, t: SqlType, position?: SourcePosition): Expr {
  const target = withNullable(t, e.type.nullable);
  // Structs run by position: one unnamed meeting one named takes its names, but nothing is cast.
  // Text made JSON, or JSON made text, is cast (DuckDB checks the JSON, and writes JSON within JSON as itself).
  if (sameType(e.type, target) && sameJsonWithin(e.type, target)) return e.type.nullable === target.nullable && sameNamesWithin(e.type, target) ? e : ({ ...e, type: target } as Expr);
  if (e.kind === "literal" && sameType(e.type, target) && typeof e.value === "string") return { ...e, type: target };
  if (e.kind === "literal" && e.value === null) return { kind: "literal", value: null, type: withNullable(t, true) };
  if (holdsStruct(e.type) && !holdsStruct(t)) {
    // DuckDB's text of a struct or a map (of a list of them: a list of texts), written from its named form.
    const text = t.kind === "string" ? t : t.kind === "list" && elementOf(t).kind === "string" && e.type.kind === "list" ? elementOf(t) : undefined;
    if (!text || t.json) throw new UnsupportedError(`a cast of ${typeName(e.type)} to ${typeName(t)}`, position);
    return { kind: "cast", input: namedForText(e), type: target };
  }
  if (holdsStruct(t) && !holdsStruct(e.type)) throw new UnsupportedError(`a cast of ${typeName(e.type)} to ${typeName(t)}`, position);
  if (isStringLiteral(e) && t.kind !== "string") {
    const folded = castStringLiteral(e.value, target, position);
    if (folded) return folded;
  }
  return { kind: "cast", input: e, type: target };
}

/**
 * A value as text or JSON must show it: a plan runs structs with fields named by position and
 * maps as lists of entries (exec/substrait/structs.ts), so a value holding either is named again
 * (trustql's with_field_names, its struct field names depth first) before it is written so.
 */
export function namedForText(e: Expr): Expr {
  if (!holdsStruct(e.type)) return e;
  const names = structFieldNames(e.type).map((name) => literal(name, type("string", false)));
  return call(WITH_FIELD_NAMES, [e, ...names], e.type);
}

/** trustql's function that names a value's struct fields for text and JSON (exec/substrait/structs.ts). */
export const WITH_FIELD_NAMES = "with_field_names";

/** The value of an integer literal as written (`-1` too, which binds as a negation), else undefined. */
function writtenInteger(e: Expr): bigint | undefined {
  if (e.kind === "literal" && !e.cast && isInteger(e.type) && (typeof e.value === "number" || typeof e.value === "bigint")) return BigInt(e.value);
  if (e.kind === "call" && e.fn === "negate" && e.args.length === 1) {
    const inner = writtenInteger(e.args[0]);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

/**
 * An integer literal beside an integer of a narrower type, as DuckDB types it: in that type when
 * its value fits (`tiny + 1` is a TINYINT, `tiny + 300` an INTEGER).
 */
function literalBeside(e: Expr, other: SqlType): Expr {
  const value = writtenInteger(e);
  if (value === undefined || !narrowerInteger(other, e.type) || !integerFits(value, other)) return e;
  return { kind: "literal", value: other.kind === "i64" ? value : Number(value), type: withNullable(other, e.type.nullable) };
}

/** Brings two operands to one type, as DuckDB does for comparisons, IN and BETWEEN. */
export function unify(a: Expr, b: Expr, what: string, position: SourcePosition | undefined): [Expr, Expr] {
  [a, b] = [literalBeside(a, b.type), literalBeside(b, a.type)];
  if (sameType(a.type, b.type)) return [a, b];
  if (isStringLiteral(b) && a.type.kind !== "null") return [a, castTo(b, a.type, position)];
  if (isStringLiteral(a) && b.type.kind !== "null") return [castTo(a, b.type, position), b];
  const common = commonSupertype(a.type, b.type);
  if (!common) {
    throw new UserError(`cannot ${what} ${kindName(a.type)} and ${kindName(b.type)}`, position);
  }
  return [castTo(a, common, position), castTo(b, common, position)];
}

/** The common type of many values (CASE branches, COALESCE, IN lists, set operations). */
/** A type's name in an error: an interval says which of the two kinds trustql keeps apart it is. */
function kindName(t: SqlType): string {
  if (t.kind === "interval_year") return "INTERVAL (of months)";
  if (t.kind === "interval_day") return "INTERVAL (of days and time)";
  if (t.kind === "interval_compound") return "INTERVAL (of months, days and time)";
  return typeName(t);
}

export function unifyAll(values: Expr[], what: string, position: SourcePosition | undefined): Expr[] {
  // Integer literals take the others' integer type where they fit in it (as in DuckDB).
  const others = values.filter((v) => writtenInteger(v) === undefined && v.type.kind !== "null" && !isStringLiteral(v));
  const narrowest = others.length > 0 && others.every((v) => isInteger(v.type)) ? others.map((v) => v.type).reduce((t, u) => commonSupertype(t, u)!) : undefined;
  if (narrowest) values = values.map((v) => literalBeside(v, narrowest));
  let target: SqlType | undefined;
  for (const v of values) {
    if (isStringLiteral(v)) continue;
    if (!target) {
      target = v.type;
      continue;
    }
    const common = commonSupertype(target, v.type);
    if (!common) throw new UserError(`cannot ${what} ${kindName(target)} and ${kindName(v.type)}`, position);
    target = common;
  }
  if (!target || target.kind === "null") target = values.some((v) => isStringLiteral(v)) ? type("string") : type("i32");
  const t = target;
  return values.map((v) => castTo(v, t, position));
}

export type ComparisonOp = "equal" | "not_equal" | "lt" | "lte" | "gt" | "gte";

export const COMPARISON_OPERATORS: Record<string, ComparisonOp> = {
  "=": "equal",
  "<>": "not_equal",
  "!=": "not_equal",
  "<": "lt",
  "<=": "lte",
  ">": "gt",
  ">=": "gte",
};

/** DuckDB tests a UUID's equality with text by reading the text as a UUID (`u = s`, `u IN (s)`); it orders neither by the other. */
function textAsUuid(a: Expr, b: Expr): [Expr, Expr] {
  const asUuid = (e: Expr) => castTo(e, type("uuid"));
  if (a.type.kind === "uuid" && b.type.kind === "string") return [a, asUuid(b)];
  if (b.type.kind === "uuid" && a.type.kind === "string") return [asUuid(a), b];
  return [a, b];
}

/** unify for =, <>, IS [NOT] DISTINCT FROM. */
export function unifyEquality(a: Expr, b: Expr, position: SourcePosition | undefined): [Expr, Expr] {
  return unify(...textAsUuid(a, b), "compare", position);
}

export function compare(op: ComparisonOp, a: Expr, b: Expr, position: SourcePosition | undefined): Expr {
  const [l, r] = op === "equal" || op === "not_equal" ? unifyEquality(a, b, position) : unify(a, b, "compare", position);
  return call(op, [l, r], type("boolean", anyNullable([l, r])));
}

export function requireBoolean(e: Expr, what: string, position: SourcePosition | undefined): Expr {
  if (e.type.kind === "boolean") return e;
  // As in DuckDB, a number where a condition stands is true where it is not 0, and text reads as
  // a boolean ('true', 't', '1', …; other text is an error).
  if (e.type.kind === "null" || isNumeric(e.type) || e.type.kind === "string") return castTo(e, type("boolean"), position);
  throw new UserError(`${what} must be BOOLEAN, not ${typeName(e.type)}`, position);
}

/** count(*): every row counted, never NULL. */
export function countStar(): Expr & { kind: "aggregate" } {
  const t = type("i64", false);
  return { kind: "aggregate", call: { fn: "count", args: [], distinct: false, type: t }, type: t };
}

/**
 * Every aggregate in `e` over the rows `condition` keeps (`agg(x) FILTER (WHERE c)`, a pivot
 * column's aggregate): agg(CASE WHEN c THEN x END), since every aggregate here skips NULLs, and
 * the rewritten one splits into phases as the plain one does. count(*) counts the kept rows.
 * first and last read their row's value, NULL too: the kept rows go first (for first) or last
 * (for last) in their order, so a dropped row is read only when none is kept.
 */
export function filteredAggregates(e: Expr, condition: Expr): Expr {
  // Top-down: an aggregate inside one's argument (sum(sum(x)) OVER …) is not filtered.
  return rewriteTopDown(e, (x) => {
    if (x.kind !== "aggregate") return undefined;
    const { fn } = x.call;
    const only = (value: Expr) => caseExpr([{ when: condition, then: value }], undefined, undefined);
    const { values, sortKeys } = aggregateArguments(x.call);
    if (values.length === 0) return { ...x, call: { ...x.call, args: [only(literal(true, type("boolean", false)))] } };
    if (fn === "list") return filteredList(x, condition);
    const filtered = values.map((a, i) => (isAggregateParameter(fn, i) ? a : only(a)));
    if (fn !== "first" && fn !== "last") return { ...x, call: { ...x.call, args: [...filtered, ...sortKeys.map((k) => k.expr)] } };
    const kept = caseExpr([{ when: condition, then: literal(1n, type("i64", false)) }], literal(0n, type("i64", false)), undefined);
    const keys: SortKey[] = [{ expr: kept, descending: fn === "first", nullsFirst: false }, ...sortKeys];
    const call: AggregateCall = { ...x.call, args: [...filtered, ...keys.map((k) => k.expr)], order: keys.map(({ descending, nullsFirst }) => ({ descending, nullsFirst })) };
    return { ...x, call };
  });
}

/**
 * list(x) FILTER (WHERE c): list keeps NULL values, so a dropped row cannot be a NULL value. Each
 * kept row's value goes in as a list of one, a dropped row's as a NULL list, which flatten leaves
 * out; over no kept row the answer is NULL, as DuckDB's.
 */
function filteredList(aggregate: AggregateExpr, condition: Expr): Expr {
  const { values, sortKeys } = aggregateArguments(aggregate.call);
  const [value] = values;
  const single = caseExpr([{ when: condition, then: call("list_value", [value], listOf(value.type, false)) }], undefined, undefined);
  const lists: AggregateCall = { ...aggregate.call, args: [single, ...sortKeys.map((k) => k.expr)], type: listOf(single.type) };
  const kept: AggregateCall = { fn: "bool_or", args: [condition], distinct: false, type: type("boolean") };
  const flattened = call("flatten", [{ kind: "aggregate", call: lists, type: lists.type }], aggregate.type);
  return caseExpr([{ when: { kind: "aggregate", call: kept, type: kept.type }, then: flattened }], undefined, undefined);
}

/** Whether argument `index` of a bound aggregate shapes it (a quantile's fraction, a separator) rather than being a value it reads. */
function isAggregateParameter(fn: AggregateCall["fn"], index: number): boolean {
  return index === 1 && (fn === "quantile_cont" || fn === "quantile_disc" || fn === "string_agg");
}

export function and(args: Expr[]): Expr {
  if (args.length === 1) return args[0];
  return call("and", args, type("boolean", anyNullable(args)));
}

export function or(args: Expr[]): Expr {
  if (args.length === 1) return args[0];
  return call("or", args, type("boolean", anyNullable(args)));
}

export function not(e: Expr): Expr {
  return call("not", [e], type("boolean", e.type.nullable));
}

export function isNull(e: Expr, negated: boolean): Expr {
  return call(negated ? "is_not_null" : "is_null", [e], type("boolean", false));
}

const ADD_SUB_MUL: Record<string, string> = { "+": "add", "-": "subtract", "*": "multiply" };

/** The floating-point type DuckDB computes in when a side is a float (and for / and //): FLOAT when one side is FLOAT and neither is DOUBLE, else DOUBLE. */
function floatOperandType(a: SqlType, b: SqlType): SqlType {
  return a.kind !== "fp64" && b.kind !== "fp64" && (a.kind === "fp32" || b.kind === "fp32") ? type("fp32") : type("fp64");
}

/**
 * The two operands of a binary operator as DuckDB meets them: an integer literal takes the other
 * side's type where it fits, a string literal the other side's type when `takes` it, and NULL the
 * other side's type (`nulls` when both are NULL).
 */
function meetOperands(a: Expr, b: Expr, takes: (t: SqlType) => boolean, nulls: SqlType, position: SourcePosition | undefined): [Expr, Expr] {
  let l = literalBeside(a, b.type);
  let r = literalBeside(b, a.type);
  if (isStringLiteral(l) && takes(r.type)) l = castTo(l, r.type, position);
  if (isStringLiteral(r) && takes(l.type)) r = castTo(r, l.type, position);
  if (l.type.kind === "null") l = castTo(l, r.type.kind === "null" ? nulls : r.type);
  if (r.type.kind === "null") r = castTo(r, l.type);
  return [l, r];
}

/** `a op b` for + - * / // %, with DuckDB's result types. */
export function arithmetic(op: string, a: Expr, b: Expr, position: SourcePosition | undefined): Expr {
  const [l, r] = meetOperands(a, b, isNumeric, type("i32"), position);
  const nullable = l.type.nullable || r.type.nullable;

  const temporal = (t: SqlType) => t.kind === "date" || t.kind === "time" || t.kind === "timestamp_ns" || isTimestamp(t);
  if (temporal(l.type) || temporal(r.type)) {
    return temporalArithmetic(op, l, r, position);
  }
  if (isInterval(l.type) || isInterval(r.type)) return intervalArithmetic(op, l, r, position);
  if (!isNumeric(l.type) || !isNumeric(r.type)) {
    throw new UserError(`cannot apply ${op} to ${typeName(l.type)} and ${typeName(r.type)}`, position);
  }
  // A HUGEINT beside an integer or another is one: its + - * // % are an integer's.
  const huge = isWholeNumber(l.type) && isWholeNumber(r.type) && (l.type.hugeint || r.type.hugeint) ? withNullable(hugeint(), nullable) : undefined;
  if (op === "//") {
    // DuckDB's //: integers divide truncating (by zero: NULL), in their common type; otherwise
    // it divides in floating point, in FLOAT when no side is DOUBLE and one is FLOAT.
    if (isInteger(l.type) && isInteger(r.type)) {
      const t = commonSupertype(l.type, r.type)!;
      return call("divide", [castTo(l, t), castTo(r, t)], withNullable(t, true));
    }
    if (huge) return call("divide_or_null", [castTo(l, huge), castTo(r, huge)], withNullable(huge, true));
    // By zero NULL, where / gives an infinity.
    const t = floatOperandType(l.type, r.type);
    return call("divide_or_null", [castTo(l, t), castTo(r, t)], withNullable(t, true));
  }
  if (op === "/") {
    // DuckDB's / always divides in floating point (Substrait's divide on integers truncates): in
    // FLOAT when no side is DOUBLE and one is FLOAT.
    const fp = floatOperandType(l.type, r.type);
    return call("divide", [castTo(l, fp), castTo(r, fp)], withNullable(fp, nullable));
  }
  if (op === "%") {
    // DuckDB's %: integers in their common type; floats as C's fmod, in FLOAT when no side is
    // DOUBLE and one is FLOAT; decimals in a decimal of the wider integral part and the larger
    // scale. By zero: NULL, but NaN for floats.
    if (isInteger(l.type) && isInteger(r.type)) {
      const t = commonSupertype(l.type, r.type)!;
      return call("modulus", [castTo(l, t), castTo(r, t)], withNullable(t, true));
    }
    if (huge) return call("modulus", [castTo(l, huge), castTo(r, huge)], withNullable(huge, true));
    if (isFloat(l.type) || isFloat(r.type)) {
      const t = floatOperandType(l.type, r.type);
      return call("modulus", [castTo(l, t), castTo(r, t)], withNullable(t, nullable));
    }
    const [dl, dr] = [integerAsDecimal(l.type), integerAsDecimal(r.type)];
    const scale = Math.max(dl.scale!, dr.scale!);
    const precision = Math.max(dl.precision! - dl.scale!, dr.precision! - dr.scale!) + scale;
    if (precision > MAX_DECIMAL_PRECISION) {
      // A remainder no decimal holds (a HUGEINT's 38 digits with a fraction's): DuckDB's is a DOUBLE.
      const fp = type("fp64");
      return call("modulus", [castTo(l, fp), castTo(r, fp)], withNullable(fp, true));
    }
    return call("modulus", [castTo(l, dl), castTo(r, dr)], decimal(precision, scale, true));
  }
  const fn = ADD_SUB_MUL[op];
  if (!fn) throw new UnsupportedError(`operator ${op}`, position);
  if (isFloat(l.type) || isFloat(r.type)) {
    const t = floatOperandType(l.type, r.type);
    return call(fn, [castTo(l, t), castTo(r, t)], withNullable(t, nullable));
  }
  if (isInteger(l.type) && isInteger(r.type)) {
    const t = commonSupertype(l.type, r.type)!;
    return call(fn, [castTo(l, t), castTo(r, t)], withNullable(t, nullable));
  }
  if (huge) return call(fn, [castTo(l, huge), castTo(r, huge)], huge);
  const dl = integerAsDecimal(l.type);
  const dr = integerAsDecimal(r.type);
  const result = fn === "multiply" ? decimalMultiplyType(dl, dr) : decimalAddType(dl, dr);
  return call(fn, [castTo(l, dl), castTo(r, dr)], withNullable(result, nullable));
}

/** DuckDB's decimal + and -: one more digit than the wider side, but no silent move past 18 digits into 128 bits. */
export function decimalAddType(a: SqlType, b: SqlType): SqlType {
  const scale = Math.max(a.scale!, b.scale!);
  const maxWidth = Math.max(a.precision!, b.precision!);
  const integral = Math.max(a.precision! - a.scale!, b.precision! - b.scale!);
  let width = Math.max(scale + integral, maxWidth) + 1;
  if (width > INT64_DECIMAL_PRECISION && maxWidth <= INT64_DECIMAL_PRECISION) width = INT64_DECIMAL_PRECISION;
  return decimal(Math.min(width, MAX_DECIMAL_PRECISION), scale);
}

/** DuckDB's decimal *: widths and scales add, capped at 18 digits while both sides fit in 64 bits, and at 38. */
export function decimalMultiplyType(a: SqlType, b: SqlType): SqlType {
  const scale = a.scale! + b.scale!;
  const maxWidth = Math.max(a.precision!, b.precision!);
  let width = a.precision! + b.precision!;
  if (scale > MAX_DECIMAL_PRECISION) throw new UserError(`decimal multiplication needs scale ${scale}, more than ${MAX_DECIMAL_PRECISION}`);
  if (width > INT64_DECIMAL_PRECISION && maxWidth <= INT64_DECIMAL_PRECISION && scale < INT64_DECIMAL_PRECISION) {
    width = INT64_DECIMAL_PRECISION;
  }
  return decimal(Math.min(width, MAX_DECIMAL_PRECISION), scale);
}

function temporalArithmetic(op: string, l: Expr, r: Expr, position: SourcePosition | undefined): Expr {
  const nullable = l.type.nullable || r.type.nullable;
  let base = l;
  let interval = r;
  if (op === "+" && isInterval(l.type)) {
    base = r;
    interval = l;
  }
  if ((op === "+" || op === "-") && isInterval(interval.type) && (base.type.kind === "date" || base.type.kind === "timestamp_ns" || isTimestamp(base.type))) {
    // DuckDB's DATE ± INTERVAL is a TIMESTAMP, and so is TIMESTAMP_NS ± INTERVAL (microseconds);
    // an instant ± INTERVAL is an instant (calendar steps in UTC). Months first, then days, then time.
    const ts = base.type.kind === "timestamp_tz" ? type("timestamp_tz") : type("timestamp");
    return call(op === "+" ? "add" : "subtract", [castTo(base, ts), interval], withNullable(ts, nullable));
  }
  if ((op === "+" || op === "-") && base.type.kind === "time" && isInterval(interval.type)) {
    // DuckDB's TIME ± INTERVAL: a time of day, around the clock past midnight (its months and days move nothing).
    return call(op === "+" ? "add" : "subtract", [base, interval], type("time", nullable));
  }
  const dateAndTime = op === "+" && l.type.kind === "date" && r.type.kind === "time" ? [l, r] : op === "+" && l.type.kind === "time" && r.type.kind === "date" ? [r, l] : undefined;
  if (dateAndTime) {
    // DuckDB's DATE + TIME: that time on that day, a TIMESTAMP.
    return call("add", dateAndTime, type("timestamp", nullable));
  }
  const days = op === "+" && isInteger(l.type) && r.type.kind === "date" ? [r, l] : (op === "+" || op === "-") && l.type.kind === "date" && isInteger(r.type) ? [l, r] : undefined;
  if (days) {
    // DuckDB's DATE ± INTEGER: that many days later or earlier, a DATE.
    return call(op === "+" ? "add" : "subtract", [days[0], castTo(days[1], type("i32"))], type("date", nullable));
  }
  if (op === "-" && l.type.kind === "date" && r.type.kind === "date") {
    // DuckDB's DATE - DATE: the days between them, a BIGINT.
    return call("date_diff", [r, l], type("i64", nullable), ["DAY"]);
  }
  const between = op === "-" ? timestampsBetween(l.type, r.type) : undefined;
  if (between) {
    // DuckDB's TIMESTAMP - TIMESTAMP: an INTERVAL of days and time (60 days, not 2 months). A DATE
    // is its midnight, nanoseconds are cut to microseconds (toward zero), as DuckDB casts them.
    return call("subtract", [castTo(l, between), castTo(r, between)], type("interval_day", nullable));
  }
  throw new UnsupportedError(`${typeName(l.type)} ${op} ${typeName(r.type)}`, position);
}

/**
 * The type two dates or timestamps are subtracted in: an instant's when either is one (but not
 * beside nanoseconds, which DuckDB does not subtract from an instant), else a TIMESTAMP.
 */
function timestampsBetween(a: SqlType, b: SqlType): SqlType | undefined {
  const pointInTime = (t: SqlType) => t.kind === "date" || t.kind === "timestamp_ns" || isTimestamp(t);
  if (!pointInTime(a) || !pointInTime(b)) return undefined;
  if (a.kind !== "timestamp_tz" && b.kind !== "timestamp_tz") return type("timestamp");
  return a.kind === "timestamp_ns" || b.kind === "timestamp_ns" ? undefined : type("timestamp_tz");
}

/**
 * Intervals added to, subtracted from, multiplied and divided by numbers (DuckDB's: each of
 * months, days and microseconds added or scaled apart, a fraction of a month carried into days and
 * of a day into time). An interval of months, or of days and time, stays one where nothing can
 * mix them; a sum of the two kinds, or months scaled by a fraction or divided, is DuckDB's
 * interval of all three.
 */
function intervalArithmetic(op: string, l: Expr, r: Expr, position: SourcePosition | undefined): Expr {
  const nullable = l.type.nullable || r.type.nullable;
  if ((op === "+" || op === "-") && isInterval(l.type) && isInterval(r.type)) {
    const t = l.type.kind === r.type.kind ? l.type : type("interval_compound");
    return call(op === "+" ? "interval_add" : "interval_subtract", [castTo(l, t), castTo(r, t)], withNullable(t, nullable));
  }
  const scaled = op === "*" && isInterval(r.type) && isNumeric(l.type) ? [r, l] : (op === "*" || op === "/") && isInterval(l.type) && isNumeric(r.type) ? [l, r] : undefined;
  if (!scaled) throw new UserError(`cannot apply ${op} to ${typeName(l.type)} and ${typeName(r.type)}`, position);
  const [interval, factor] = scaled;
  const leavesDays = interval.type.kind === "interval_year" && (op === "/" || !isInteger(factor.type));
  const t = leavesDays ? type("interval_compound") : interval.type;
  // DuckDB divides an interval by zero to NULL.
  return call(op === "*" ? "interval_multiply" : "interval_divide", [castTo(interval, t), factor], withNullable(t, nullable || op === "/"));
}

/** DuckDB's bitwise operators (and its xor function) as calls of trustql's extension functions. */
const BITWISE: Record<string, string> = { "&": "bitwise_and", "|": "bitwise_or", xor: "bitwise_xor", "<<": "shift_left", ">>": "shift_right" };

/** `a op b` for & | << >> and xor: integers in their common type (NULLs alone as BIGINT), as DuckDB computes them. */
export function bitwise(op: string, a: Expr, b: Expr, position: SourcePosition | undefined): Expr {
  const [l, r] = meetOperands(a, b, isInteger, type("i64"), position);
  if (!isInteger(l.type) || !isInteger(r.type)) throw new UserError(`cannot apply ${op} to ${typeName(l.type)} and ${typeName(r.type)}`, position);
  const t = commonSupertype(l.type, r.type)!;
  return call(BITWISE[op], [castTo(l, t), castTo(r, t)], withNullable(t, l.type.nullable || r.type.nullable));
}

/** `~x`: the integer with every bit flipped, of x's type. */
export function bitwiseNot(e: Expr, position: SourcePosition | undefined): Expr {
  const x = e.type.kind === "null" ? castTo(e, type("i64")) : e;
  if (!isInteger(x.type)) throw new UserError(`cannot apply ~ to ${typeName(x.type)}`, position);
  return call("bitwise_not", [x], x.type);
}

export function negate(e: Expr, position: SourcePosition | undefined): Expr {
  // An interval's months, days and microseconds each negated (DuckDB's): trustql's own function, Substrait's negate takes numbers.
  if (e.type.kind === "interval_year" || e.type.kind === "interval_day" || e.type.kind === "interval_compound") return call("interval_negate", [e], e.type);
  if (!isNumeric(e.type)) throw new UserError(`cannot negate ${typeName(e.type)}`, position);
  return call("negate", [e], e.type);
}

/**
 * LIKE, or ILIKE (Substrait's like, case-insensitive: see planner/functions.ts); with ESCAPE,
 * trustql's like_escape or ilike_escape (Substrait's like has no escape character).
 */
export function like(value: Expr, pattern: Expr, position: SourcePosition | undefined, fn: "like" | "ilike" = "like", escape?: Expr): Expr {
  const v = castTo(value, type("string"), position);
  const p = castTo(pattern, type("string"), position);
  if (value.type.kind !== "string" && value.type.kind !== "null") {
    throw new UserError(`${fn.toUpperCase()} needs VARCHAR, not ${typeName(value.type)}`, position);
  }
  if (!escape) return call(fn, [v, p], type("boolean", anyNullable([v, p])));
  if (!isStringLiteral(escape) || [...escape.value].length !== 1) throw new UserError("LIKE's ESCAPE takes one character", position);
  return call(fn === "ilike" ? "ilike_escape" : "like_escape", [v, p, escape], type("boolean", anyNullable([v, p])));
}

/** Arguments that feed a CASE, COALESCE or set operation get one common type. */
export function caseExpr(whens: { when: Expr; then: Expr }[], otherwise: Expr | undefined, position: SourcePosition | undefined): Expr {
  const results = unifyAll([...whens.map((w) => w.then), ...(otherwise ? [otherwise] : [])], "mix", position);
  const t = results[0].type;
  const nullable = !otherwise || results.some((r) => r.type.nullable);
  return {
    kind: "case",
    whens: whens.map((w, i) => ({ when: w.when, then: results[i] })),
    otherwise: otherwise ? results[results.length - 1] : undefined,
    type: withNullable(t, nullable),
  };
}

export function coalesce(args: Expr[], position: SourcePosition | undefined): Expr {
  const unified = unifyAll(args, "mix", position);
  return call("coalesce", unified, withNullable(unified[0].type, unified.every((a) => a.type.nullable)));
}

export function inList(value: Expr, list: Expr[], position: SourcePosition | undefined): Expr {
  if (value.type.kind === "string" && list.some((item) => item.type.kind === "uuid")) value = textAsUuid(value, list.find((item) => item.type.kind === "uuid")!)[0];
  const all = unifyAll([value, ...list.map((item) => textAsUuid(value, item)[1])], "compare", position);
  return { kind: "in_list", value: all[0], list: all.slice(1), type: type("boolean", anyNullable(all)) };
}
