// range(…) and generate_series(…) in FROM: DuckDB's series of integers, dates or timestamps, as
// rows of constants. Their arguments are constants, so the rows are known when the query is
// planned; they are written into the plan (a VALUES), which caps them at MAX_SERIES_ROWS.
import { UnsupportedError, UserError, type SourcePosition } from "../../common/errors.ts";
import type { ColumnDef, Expr, IntervalValue, LogicalPlan } from "../logical.ts";
import { foldExpr } from "../optimize/constant-folding.ts";
import { isInteger, type, type SqlType } from "../types.ts";
import type { ColumnIds } from "./binder.ts";
import { literal } from "./literals.ts";

export const SERIES_FUNCTIONS = new Set(["range", "generate_series"]);
export const MAX_SERIES_ROWS = 100_000;

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * The rows of `range(stop)`, `range(start, stop[, step])` or generate_series (which includes
 * `stop`), as DuckDB gives them: integers (BIGINT), or timestamps from dates or timestamps by an
 * interval, each the one before plus the step (so a month after January 31 is February 29, then
 * March 29). A NULL argument gives no rows.
 */
export function seriesPlan(fn: string, written: readonly Expr[], ids: ColumnIds, position: SourcePosition | undefined): { plan: LogicalPlan; column: ColumnDef } {
  if (written.length < 1 || written.length > 3) throw new UserError(`${fn} takes 1 to 3 arguments, got ${written.length}`, position);
  const args = written.map((a) => foldExpr(a));
  if (args.some((a) => a.kind !== "literal")) throw new UnsupportedError(`${fn} with arguments that are not constants`, position);
  const values = args.map((a) => (a as Extract<Expr, { kind: "literal" }>).value);
  const inclusive = fn === "generate_series";
  const temporal = args.some((a) => isTemporal(a.type));
  const outputType = temporal ? type(args.some((a) => a.type.kind === "timestamp_tz") ? "timestamp_tz" : "timestamp", false) : type("i64", false);
  const column = ids.column(fn, outputType);
  if (values.some((v) => v === null)) return { plan: noRows(column), column };

  const series: bigint[] = [];
  const push = (v: bigint) => {
    if (series.length >= MAX_SERIES_ROWS) throw new UserError(`${fn} of more than ${MAX_SERIES_ROWS.toLocaleString("en")} rows: trustql writes a series' rows into the query's plan`, position);
    series.push(v);
  };
  if (temporal) {
    if (args.length !== 3 || !isTemporal(args[0].type) || !isTemporal(args[1].type) || !args[2].type.kind.startsWith("interval")) {
      throw new UserError(`${fn} of dates or timestamps takes a start, a stop and an interval`, position);
    }
    const [start, stop] = args.slice(0, 2).map((a, i) => (a.type.kind === "date" ? BigInt(values[i] as number) * MICROS_PER_DAY : (values[i] as bigint)));
    const step = values[2] as IntervalValue;
    const sign = Math.sign(step.months) || Math.sign(step.days) || Number(step.micros > 0n) - Number(step.micros < 0n);
    if (sign === 0) throw new UserError(`${fn}'s step cannot be 0`, position);
    for (let at = start; sign > 0 ? at < stop || (inclusive && at === stop) : at > stop || (inclusive && at === stop); at = addInterval(at, step)) push(at);
  } else {
    if (!args.every((a) => isInteger(a.type))) throw new UserError(`${fn} takes integers, or dates or timestamps and an interval`, position);
    const numbers = values.map((v) => BigInt(v as number | bigint));
    const [start, stop, step] = numbers.length === 1 ? [0n, numbers[0], 1n] : [numbers[0], numbers[1], numbers[2] ?? 1n];
    if (step === 0n) throw new UserError(`${fn}'s step cannot be 0`, position);
    for (let at = start; step > 0n ? at < stop || (inclusive && at === stop) : at > stop || (inclusive && at === stop); at += step) push(at);
  }
  if (series.length === 0) return { plan: noRows(column), column };
  return { plan: { kind: "values", columns: [column], rows: series.map((v) => [literal(v, outputType)]) }, column };
}

function isTemporal(t: SqlType): boolean {
  return t.kind === "date" || t.kind === "timestamp" || t.kind === "timestamp_tz";
}

/** A one-column table with no rows. */
function noRows(column: ColumnDef): LogicalPlan {
  return { kind: "filter", input: { kind: "values", columns: [column], rows: [[literal(null, { ...column.type, nullable: true })]] }, predicate: literal(false, type("boolean", false)) };
}

/** A timestamp (microseconds since the epoch) plus an interval, as DuckDB adds them: months (the day kept, or the month's last), then days, then time. */
export function addInterval(micros: bigint, interval: IntervalValue): bigint {
  let at = micros;
  if (interval.months !== 0) {
    const day = at >= 0n ? at / MICROS_PER_DAY : -((-at + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
    const date = new Date(Number(day) * 86_400_000);
    const months = date.getUTCFullYear() * 12 + date.getUTCMonth() + interval.months;
    const [year, month] = [Math.floor(months / 12), ((months % 12) + 12) % 12];
    const end = new Date(0);
    end.setUTCFullYear(year, month + 1, 0);
    const lastDay = end.getUTCDate();
    const moved = new Date(0);
    moved.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
    at = BigInt(moved.getTime() / 86_400_000) * MICROS_PER_DAY + (at - day * MICROS_PER_DAY);
  }
  return at + BigInt(interval.days) * MICROS_PER_DAY + interval.micros;
}
