// Constant folding: computes what the plan can know before it runs (literal arithmetic,
// casts of literals, date ± interval, boolean logic with known sides), and compares DATE
// columns with DATE literals where SQL wrote a midnight TIMESTAMP (`d < date '…' + interval`),
// so scans can use the bound against their column statistics.
import type { Expr, IntervalValue, LogicalPlan } from "../logical.ts";
import { exprKey, mapExpr, transformUp } from "../plan-utils.ts";
import { type, isInteger, isTimestamp, withNullable, type SqlType } from "../types.ts";
import { mapNodeExpressions, mapSubqueryPlans } from "./rewrite.ts";

const MICROS_PER_DAY = 86_400_000_000n;
const MS_PER_DAY = 86_400_000;

const INTEGER_RANGE: Record<string, [bigint, bigint]> = {
  i8: [-(2n ** 7n), 2n ** 7n - 1n],
  i16: [-(2n ** 15n), 2n ** 15n - 1n],
  i32: [-(2n ** 31n), 2n ** 31n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

export function foldConstants(plan: LogicalPlan): LogicalPlan {
  const folded = transformUp(plan, (node) => mapNodeExpressions(node, foldExpr));
  return mapSubqueryPlans(folded, foldConstants);
}

export function foldExpr(e: Expr): Expr {
  return mapExpr(e, foldNode);
}

type Lit = Expr & { kind: "literal" };

function isLit(e: Expr): e is Lit {
  return e.kind === "literal";
}

function lit(value: Lit["value"], t: SqlType): Expr {
  return { kind: "literal", value, type: withNullable(t, value === null) };
}

function foldNode(e: Expr): Expr {
  switch (e.kind) {
    case "cast":
      // A TRY_CAST is left to the engine: its NULL for a value that does not convert is DuckDB's to say.
      return isLit(e.input) && !e.try ? (castLiteral(e.input, e.type) ?? e) : e;
    case "call":
      return foldCall(e);
    case "case": {
      const whens = e.whens.filter((w) => !(isLit(w.when) && w.when.value !== true));
      if (whens.length > 0 && isLit(whens[0].when) && whens[0].when.value === true) return whens[0].then;
      if (whens.length === 0) return e.otherwise ?? lit(null, e.type);
      // Every branch the same: the conditions decide nothing, and are not evaluated (as in DuckDB,
      // whose optimizer drops them too; one that overflowed would otherwise fail the query here alone).
      const otherwise = e.otherwise;
      if (otherwise && otherwise.type.kind === e.type.kind && whens.every((w) => exprKey(w.then) === exprKey(otherwise))) return otherwise;
      return whens.length === e.whens.length ? e : { ...e, whens };
    }
    default:
      return e;
  }
}

/** The literal `v` read as type `to`, or undefined when it cannot be computed exactly here. */
function castLiteral(v: Lit, to: SqlType): Expr | undefined {
  const from = v.type;
  if (v.value === null) return lit(null, to);
  if (from.kind === to.kind && from.kind !== "decimal") return lit(v.value, to);
  // An interval of months, or of days and time, is one of all three as it is.
  if ((from.kind === "interval_year" || from.kind === "interval_day") && to.kind === "interval_compound") return lit(v.value, to);
  const asBig = (x: unknown) => (typeof x === "bigint" ? x : BigInt(x as number));
  if (isInteger(from) && isInteger(to)) {
    const n = asBig(v.value);
    const [lo, hi] = INTEGER_RANGE[to.kind];
    if (n < lo || n > hi) return undefined;
    return lit(to.kind === "i64" ? n : Number(n), to);
  }
  if ((isInteger(from) || from.kind === "decimal") && to.kind === "decimal") {
    const fromScale = from.kind === "decimal" ? from.scale! : 0;
    const n = asBig(v.value);
    const shift = to.scale! - fromScale;
    if (shift < 0 && n % 10n ** BigInt(-shift) !== 0n) return undefined; // rounding: leave to the engine
    const scaled = shift >= 0 ? n * 10n ** BigInt(shift) : n / 10n ** BigInt(-shift);
    if ((scaled < 0n ? -scaled : scaled) >= 10n ** BigInt(to.precision!)) return undefined;
    return lit(scaled, to);
  }
  if ((isInteger(from) || from.kind === "decimal") && (to.kind === "fp64" || to.kind === "fp32")) {
    const scale = from.kind === "decimal" ? from.scale! : 0;
    const n = asBig(v.value);
    if ((n < 0n ? -n : n) > 2n ** 53n) return undefined;
    return lit(Number(n) / 10 ** scale, to);
  }
  // Midnight, or the same time, in UTC: the time zone of every engine here.
  if (from.kind === "date" && isTimestamp(to)) return lit(BigInt(v.value as number) * MICROS_PER_DAY, to);
  if (from.kind === "timestamp" && to.kind === "timestamp_tz") return lit(v.value as bigint, to);
  if (from.kind === "date" && to.kind === "timestamp_ns") return lit(BigInt(v.value as number) * MICROS_PER_DAY * 1000n, to);
  if (from.kind === "timestamp" && to.kind === "timestamp_ns") return lit((v.value as bigint) * 1000n, to);
  return undefined;
}

function foldCall(e: Expr & { kind: "call" }): Expr {
  const args = e.args;
  switch (e.fn) {
    case "and":
    case "or": {
      const absorbing = e.fn === "or";
      const kept: Expr[] = [];
      let sawNull = false;
      for (const a of args.flatMap((x) => (x.kind === "call" && x.fn === e.fn ? x.args : [x]))) {
        if (isLit(a)) {
          if (a.value === absorbing) return lit(absorbing, type("boolean"));
          if (a.value === null) sawNull = true;
          continue;
        }
        kept.push(a);
      }
      if (sawNull) kept.push(lit(null, type("boolean")));
      if (kept.length === 0) return lit(!absorbing, type("boolean"));
      if (kept.length === 1) return kept[0];
      return e.fn === "or" ? factorDisjunction({ ...e, args: kept }) : { ...e, args: kept };
    }
    case "not": {
      const [a] = args;
      if (isLit(a)) return lit(a.value === null ? null : !a.value, e.type);
      if (a.kind === "call" && a.fn === "not") return a.args[0];
      return e;
    }
    case "is_null":
    case "is_not_null": {
      const [a] = args;
      if (isLit(a)) return lit((a.value === null) === (e.fn === "is_null"), type("boolean", false));
      if (!a.type.nullable) return lit(e.fn === "is_not_null", type("boolean", false));
      return e;
    }
  }
  if (["equal", "not_equal", "lt", "lte", "gt", "gte"].includes(e.fn)) return foldComparison(e);
  if (!args.every(isLit)) return e;
  if (args.some((a) => a.value === null) && ["add", "subtract", "multiply", "divide", "divide_or_null", "negate"].includes(e.fn)) return lit(null, e.type);
  switch (e.fn) {
    case "add":
    case "subtract":
    case "multiply":
      return foldArithmetic(e, args as Lit[]) ?? e;
    case "negate": {
      const [a] = args as Lit[];
      if (typeof a.value === "bigint") return lit(-a.value, e.type);
      if (typeof a.value === "number" && (e.type.kind === "fp64" || e.type.kind === "fp32")) return lit(-a.value, e.type);
      if (typeof a.value === "number" && isInteger(e.type)) {
        const [lo, hi] = INTEGER_RANGE[e.type.kind];
        const n = -BigInt(a.value);
        return n >= lo && n <= hi ? lit(Number(n), e.type) : e;
      }
      return e;
    }
    case "divide": {
      const [a, b] = args as Lit[];
      if (e.type.kind === "fp64" && typeof a.value === "number" && typeof b.value === "number") return lit(a.value / b.value, e.type);
      return foldIntegerDivision(e, a, b) ?? e;
    }
    case "modulus":
      return foldIntegerDivision(e, args[0] as Lit, args[1] as Lit) ?? e;
  }
  return e;
}

/**
 * Integers' // (divide) and % (modulus), which truncate toward zero as BigInt's do; by zero (NULL
 * in DuckDB) and past the type's range (its error) are left to the engine.
 */
function foldIntegerDivision(e: Expr & { kind: "call" }, a: Lit, b: Lit): Expr | undefined {
  if (!isInteger(e.type) || !isInteger(a.type) || !isInteger(b.type) || a.value === null || b.value === null) return undefined;
  const x = BigInt(a.value as number | bigint);
  const y = BigInt(b.value as number | bigint);
  if (y === 0n) return undefined;
  const r = e.fn === "divide" ? x / y : x % y;
  const [lo, hi] = INTEGER_RANGE[e.type.kind];
  if (r < lo || r > hi) return undefined;
  return lit(e.type.kind === "i64" ? r : Number(r), e.type);
}

function foldArithmetic(e: Expr & { kind: "call" }, [a, b]: Lit[]): Expr | undefined {
  const t = e.type;
  // An instant ± an interval steps the calendar in UTC, as a timestamp does.
  if (isTimestamp(t)) {
    if (typeof a.value !== "bigint") return undefined;
    const iv = b.value as IntervalValue;
    const sign = e.fn === "subtract" ? -1 : e.fn === "add" ? 1 : 0;
    if (sign === 0) return undefined;
    return lit(addInterval(a.value, iv, sign), t);
  }
  if (t.kind === "fp64" || t.kind === "fp32") {
    const x = Number(a.value);
    const y = Number(b.value);
    return lit(e.fn === "add" ? x + y : e.fn === "subtract" ? x - y : x * y, t);
  }
  if (isInteger(t)) {
    const x = BigInt(a.value as number | bigint);
    const y = BigInt(b.value as number | bigint);
    const r = e.fn === "add" ? x + y : e.fn === "subtract" ? x - y : x * y;
    const [lo, hi] = INTEGER_RANGE[t.kind];
    if (r < lo || r > hi) return undefined; // overflow is the engine's error to raise
    return lit(t.kind === "i64" ? r : Number(r), t);
  }
  if (t.kind === "decimal" && a.type.kind === "decimal" && b.type.kind === "decimal") {
    const x = a.value as bigint;
    const y = b.value as bigint;
    let r: bigint;
    if (e.fn === "multiply") {
      r = x * y;
      if (a.type.scale! + b.type.scale! !== t.scale) return undefined;
    } else {
      const xs = x * 10n ** BigInt(t.scale! - a.type.scale!);
      const ys = y * 10n ** BigInt(t.scale! - b.type.scale!);
      r = e.fn === "add" ? xs + ys : xs - ys;
    }
    if ((r < 0n ? -r : r) >= 10n ** BigInt(t.precision!)) return undefined;
    return lit(r, t);
  }
  return undefined;
}

/** DuckDB's timestamp + interval: months move the calendar date (clamped to the month's end), then days and µs. */
function addInterval(micros: bigint, iv: IntervalValue, sign: number): bigint {
  let result = micros;
  if (iv.months !== 0) {
    const day = result >= 0n ? result / MICROS_PER_DAY : (result - MICROS_PER_DAY + 1n) / MICROS_PER_DAY;
    const timeOfDay = result - day * MICROS_PER_DAY;
    const date = new Date(Number(day) * MS_PER_DAY);
    const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() + sign * iv.months;
    const year = Math.floor(totalMonths / 12);
    const month = totalMonths - year * 12;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const newDay = Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)) / MS_PER_DAY;
    result = BigInt(newDay) * MICROS_PER_DAY + timeOfDay;
  }
  result += BigInt(sign) * (BigInt(iv.days) * MICROS_PER_DAY + iv.micros);
  return result;
}

/**
 * (a AND b) OR (a AND c) → a AND (b OR c): a conjunct every branch shares becomes a conjunct of
 * the whole, so a join key repeated in each branch (TPC-H Q19) is an equi-join key again.
 */
function factorDisjunction(e: Expr & { kind: "call" }): Expr {
  const branches = e.args.map((a) => (a.kind === "call" && a.fn === "and" ? [...a.args] : [a]));
  const keysOf = branches.map((b) => new Set(b.map(exprKey)));
  const common = branches[0].filter((c) => keysOf.every((keys) => keys.has(exprKey(c))));
  if (common.length === 0) return e;
  const commonKeys = new Set(common.map(exprKey));
  const rests = branches.map((b) => b.filter((c) => !commonKeys.has(exprKey(c))));
  // A branch that was only the common part makes the whole OR true once those hold.
  if (rests.some((r) => r.length === 0)) return andOf(common);
  const alternatives = rests.flatMap((r) => (r.length === 1 && r[0].kind === "call" && r[0].fn === "or" ? r[0].args : [andOf(r)]));
  const remainder: Expr = { kind: "call", fn: "or", args: alternatives, type: type("boolean", rests.some((r) => r.some((c) => c.type.nullable))) };
  return andOf([...common, remainder]);
}

function andOf(parts: Expr[]): Expr {
  if (parts.length === 1) return parts[0];
  return { kind: "call", fn: "and", args: parts, type: type("boolean", parts.some((p) => p.type.nullable)) };
}

const FLIPPED: Record<string, string> = { equal: "equal", not_equal: "not_equal", lt: "gt", lte: "gte", gt: "lt", gte: "lte" };

function foldComparison(e: Expr & { kind: "call" }): Expr {
  let [a, b] = e.args;
  let fn = e.fn;
  if (isLit(a) && isLit(b)) {
    if (a.value === null || b.value === null) return lit(null, type("boolean"));
    const c = compareValues(a.value, b.value);
    if (c === undefined) return e;
    const result = fn === "equal" ? c === 0 : fn === "not_equal" ? c !== 0 : fn === "lt" ? c < 0 : fn === "lte" ? c <= 0 : fn === "gt" ? c > 0 : c >= 0;
    return lit(result, type("boolean", false));
  }
  if (isLit(a) && !isLit(b)) {
    [a, b] = [b, a];
    fn = FLIPPED[fn];
  }
  // CAST(date AS TIMESTAMP[TZ]) op TIMESTAMP[TZ] literal → date op DATE literal, when exact (midnight in UTC).
  if (a.kind === "cast" && a.input.type.kind === "date" && isTimestamp(a.type) && isLit(b) && typeof b.value === "bigint") {
    const ts = b.value;
    const day = ts >= 0n ? ts / MICROS_PER_DAY : (ts - MICROS_PER_DAY + 1n) / MICROS_PER_DAY;
    const midnight = day * MICROS_PER_DAY === ts;
    const dateLit = lit(Number(day), type("date", false));
    const make = (op: string, dl: Expr): Expr => ({ ...e, fn: op, args: [a.input, dl] });
    if (midnight) return make(fn, dateLit);
    // Between midnights: d < ts and d <= ts mean d <= the day; d > ts and d >= ts mean d > the day.
    if (fn === "lt" || fn === "lte") return make("lte", dateLit);
    if (fn === "gt" || fn === "gte") return make("gt", dateLit);
  }
  return fn === e.fn ? e : { ...e, fn, args: [a, b] };
}

function compareValues(x: unknown, y: unknown): number | undefined {
  if (typeof x === "bigint" || typeof y === "bigint") {
    const a = BigInt(x as number | bigint);
    const b = BigInt(y as number | bigint);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof x === "number" && typeof y === "number") return x < y ? -1 : x > y ? 1 : 0;
  // JavaScript orders strings by UTF-16 units, DuckDB by bytes: they agree on ASCII only.
  if (typeof x === "string" && typeof y === "string") {
    if (x === y) return 0;
    return /^[\x00-\x7f]*$/.test(x + y) ? (x < y ? -1 : 1) : undefined;
  }
  if (typeof x === "boolean" && typeof y === "boolean") return Number(x) - Number(y);
  return undefined;
}
