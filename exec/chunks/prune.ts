// Whether a chunk can hold a row that passes a scan's filter, judged from its statistics
// alone. The answer may be "maybe" for a chunk with no match, never "no" for one with a match:
// anything the rules below do not understand counts as "maybe".
import type { Expression, Expression_Literal, Type } from "../../proto/index.ts";
import { formatDateDays, formatTimestampNanos, parseTimestampText } from "../../common/temporal.ts";
import type { FunctionDeclarations } from "../substrait/extensions.ts";
import { decimalLiteralValue } from "../substrait/literals.ts";
import { formatScaled } from "../../common/decimal.ts";
import { uuidFromBytes } from "../../common/uuid.ts";
import { valueArguments } from "../substrait/expressions.ts";
import type { ColumnStats } from "./chunker.ts";

export interface PruneInput {
  /** The scan's base schema: column names and types, in field order. */
  names: readonly string[];
  types: readonly Type[];
  stats: Readonly<Record<string, ColumnStats>>;
  rows: number;
  functions: FunctionDeclarations;
}

type Order = (a: string, b: string) => number;

function scaled(text: string): { digits: bigint; scale: number } | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const fraction = m[3] ?? "";
  return { digits: BigInt(`${m[1]}${m[2]}${fraction}`), scale: fraction.length };
}

/** Exact order of decimal texts ("-99.66" < "5"); falls back to doubles for exponents. */
function numericOrder(a: string, b: string): number {
  const [x, y] = [scaled(a), scaled(b)];
  if (!x || !y) return Math.sign(Number(a) - Number(b));
  const scale = Math.max(x.scale, y.scale);
  const dx = x.digits * 10n ** BigInt(scale - x.scale);
  const dy = y.digits * 10n ** BigInt(scale - y.scale);
  return dx < dy ? -1 : dx > dy ? 1 : 0;
}

/** DuckDB orders strings by their UTF-8 bytes; ISO dates order as text. */
const byteOrder: Order = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A timestamp's or an instant's microseconds since the epoch: a literal's (literalText writes
 * them as digits), or those of DuckDB's text in a chunk's statistics (an instant's with the
 * offset of the zone it was written in), or a date's midnight.
 */
function timestampMicros(text: string): bigint | undefined {
  return /^-?\d+$/.test(text) ? BigInt(text) : parseTimestampText(text, { offset: true });
}

/** Texts by the numbers `read` makes of them; NaN (maybe) where it makes none. */
function orderBy(read: (text: string) => bigint | undefined): Order {
  return (a, b) => {
    const [x, y] = [read(a), read(b)];
    if (x === undefined || y === undefined) return NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** Timestamps and instants by their microseconds. */
const timestampOrder = orderBy(timestampMicros);

/**
 * Nanosecond timestamps by their nanoseconds: DuckDB's text of them, in a chunk's statistics and
 * as literalText writes a literal of nine fraction digits. Digits alone (a microsecond literal's)
 * name no nanosecond: maybe.
 */
const nanosecondOrder = orderBy((text) => parseTimestampText(text, { offset: false, nanos: true }));

function orderFor(type: Type | undefined): Order | undefined {
  if (!type) return undefined;
  if (type.i8 || type.i16 || type.i32 || type.i64 || type.decimal || type.fp32 || type.fp64) return numericOrder;
  // A UUID's text in a chunk's statistics is DuckDB's, lower-case hex: it orders as the UUID does.
  if (type.string || type.varchar || type.fixedChar || type.date || type.uuid) return byteOrder;
  if (type.timestamp || type.timestampTz || (type.precisionTimestamp ?? type.precisionTimestampTz)?.precision === 6) return timestampOrder;
  if (type.precisionTimestamp?.precision === 9) return nanosecondOrder;
  return undefined;
}

/**
 * A timestamp literal's value of `precision` fraction digits: in microseconds, as digits; of
 * nanoseconds (a TIMESTAMP_NS), as DuckDB's text, which only nanosecondOrder reads (microseconds
 * cannot tell its values apart). Other precisions: undefined.
 */
function literalTimestamp(value: bigint, precision: number): string | undefined {
  if (precision === 9) return formatTimestampNanos(value);
  return precision <= 6 ? String(value * 10n ** BigInt(6 - precision)) : undefined;
}

function literalText(l: Expression_Literal): string | undefined {
  if (l.i8 !== undefined) return String(l.i8);
  if (l.i16 !== undefined) return String(l.i16);
  if (l.i32 !== undefined) return String(l.i32);
  if (l.i64 !== undefined) return String(l.i64);
  if (l.fp32 !== undefined || l.fp64 !== undefined) {
    const v = (l.fp32 ?? l.fp64)!;
    return Number.isFinite(v) ? String(v) : undefined;
  }
  if (l.decimal) return formatScaled(decimalLiteralValue(l.decimal.value), l.decimal.scale);
  if (l.date !== undefined) return formatDateDays(l.date);
  if (l.timestamp !== undefined) return String(l.timestamp);
  if (l.timestampTz !== undefined) return String(l.timestampTz);
  if (l.precisionTimestamp) return literalTimestamp(BigInt(l.precisionTimestamp.value), l.precisionTimestamp.precision);
  if (l.precisionTimestampTz) return literalTimestamp(BigInt(l.precisionTimestampTz.value), l.precisionTimestampTz.precision);
  if (l.uuid !== undefined) return uuidFromBytes(l.uuid);
  if (l.string !== undefined) return l.string;
  if (l.varChar) return l.varChar.value;
  if (l.fixedChar !== undefined) return l.fixedChar;
  return undefined;
}

/** A constant operand: a literal, or a cast of one (plans often cast '1994-01-01' to date). */
function constantText(e: Expression): string | undefined {
  if (e.literal) return e.literal.null ? undefined : literalText(e.literal);
  if (e.cast?.input?.literal && e.cast.type?.date && e.cast.input.literal.string !== undefined) return e.cast.input.literal.string;
  return undefined;
}

function fieldOf(e: Expression): number | undefined {
  const s = e.selection;
  if (!s || s.outerReference || s.expression || !s.directReference?.structField || s.directReference.structField.child) return undefined;
  return s.directReference.structField.field;
}

interface Bound {
  stats: ColumnStats;
  order: Order;
}

const FLIP: Record<string, string> = { lt: "gt", lte: "gte", gt: "lt", gte: "lte", equal: "equal" };

/** Could some row with `min ≤ value ≤ max` satisfy `column op constant`? */
function comparisonMayMatch(op: string, column: Bound, constant: string): boolean {
  const { min, max } = column.stats;
  if (min === null || max === null) return false; // only NULLs: no comparison is true
  // Values an order cannot place against each other (NaN) prune nothing.
  if (Number.isNaN(column.order(min, constant)) || Number.isNaN(column.order(max, constant))) return true;
  const c = column.order;
  switch (op) {
    case "equal":
      return c(min, constant) <= 0 && c(max, constant) >= 0;
    case "lt":
      return c(min, constant) < 0;
    case "lte":
      return c(min, constant) <= 0;
    case "gt":
      return c(max, constant) > 0;
    case "gte":
      return c(max, constant) >= 0;
  }
  return true;
}

export function chunkMayMatch(filter: Expression | undefined, input: PruneInput): boolean {
  if (!filter || input.rows === 0) return input.rows > 0;
  return mayMatch(filter, input);
}

function column(e: Expression, input: PruneInput): Bound | undefined {
  const field = fieldOf(e);
  if (field === undefined) return undefined;
  const name = input.names[field];
  const stats = name === undefined ? undefined : input.stats[name];
  const order = orderFor(input.types[field]);
  return stats && order ? { stats, order } : undefined;
}

function mayMatch(e: Expression, input: PruneInput): boolean {
  const f = e.scalarFunction;
  if (e.singularOrList) {
    const bound = e.singularOrList.value && column(e.singularOrList.value, input);
    const constants = e.singularOrList.options.map(constantText);
    if (!bound || constants.some((c) => c === undefined)) return true;
    return constants.some((c) => comparisonMayMatch("equal", bound, c!));
  }
  if (!f) return true;
  const name = input.functions.get(f.functionReference).name;
  const args = valueArguments(f.arguments, f.args);
  if (name === "and") return args.every((a) => mayMatch(a, input));
  if (name === "or") return args.some((a) => mayMatch(a, input));
  if (name === "is_null" || name === "is_not_null") {
    const field = args[0] && fieldOf(args[0]);
    const stats = field === undefined ? undefined : input.stats[input.names[field]];
    if (!stats) return true;
    return name === "is_null" ? stats.nullCount > 0 : stats.nullCount < input.rows;
  }
  if (name === "between" && args.length === 3) {
    const bound = column(args[0], input);
    const [low, high] = [constantText(args[1]), constantText(args[2])];
    if (!bound || low === undefined || high === undefined) return true;
    return comparisonMayMatch("gte", bound, low) && comparisonMayMatch("lte", bound, high);
  }
  if (name in FLIP && args.length === 2) {
    const [left, right] = args;
    const leftColumn = column(left, input);
    const rightConstant = constantText(right);
    if (leftColumn && rightConstant !== undefined) return comparisonMayMatch(name, leftColumn, rightConstant);
    const rightColumn = column(right, input);
    const leftConstant = constantText(left);
    if (rightColumn && leftConstant !== undefined) return comparisonMayMatch(FLIP[name], rightColumn, leftConstant);
  }
  return true;
}
