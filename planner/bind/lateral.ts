// LATERAL subqueries, and subqueries in FROM that read an earlier FROM item (DuckDB reads those
// as LATERAL too): each row of the left side gets the subquery's rows for it. They become joins
// where that is exact:
//   correlated conjuncts of its WHERE (any predicates)      → a join on them
//   an aggregate without GROUP BY, correlated by equalities  → a left join with it grouped by the
//                                                              correlated columns (its values over
//                                                              no rows where a left row has none)
//   an aggregate with GROUP BY, correlated by equalities     → a join with it grouped by those too
//   ORDER BY … LIMIT n, correlated by equalities             → a join with its first n rows per
//                                                              correlated columns (row_number)
//   window functions, correlated by equalities               → partitioned by those columns too
//   any of these, correlated otherwise                       → the same over the left side's
//                                                              distinct values of the columns it
//                                                              reads (its domain), joined to them
// Its select list, which may read the left side's columns, is computed after the join; under a
// LEFT JOIN, as NULL for a left row the subquery gave no row.
import { UnsupportedError, type SourcePosition } from "../../common/errors.ts";
import type { ColumnDef, ColumnId, Expr, LogicalPlan, ProjectOutput } from "../logical.ts";
import { columnRef, columnsOf, freeColumns, outputColumns, passedThrough, replaceColumns } from "../plan-utils.ts";
import { foldExpr } from "../optimize/constant-folding.ts";
import { type, withNullable } from "../types.ts";
import type { ColumnIds } from "./binder.ts";
import { literal } from "./literals.ts";
import { and, call, isNull } from "./operators.ts";
import { correlationPairs, freshCopy, keyGroups, pullCorrelated, valuesOverNoRows, type Pulled } from "./correlation.ts";
import { numberedRows } from "./numbered.ts";

/** The subquery without its correlation, and how its rows meet the left side's. */
interface Decorrelated {
  right: LogicalPlan;
  condition: Expr | undefined;
  /**
   * An aggregate without GROUP BY: one row for every left row. Its measures' values over no rows
   * (count 0, the rest NULL), and the column that is NULL where the left row had no group.
   */
  noRows?: { values: ReadonlyMap<ColumnId, Expr>; marker: ColumnDef };
}

/** Whether `plan` reads any of `columns` it does not define. */
export function readsAny(plan: LogicalPlan, columns: ReadonlySet<ColumnId>): boolean {
  return [...freeColumns(plan)].some((id) => columns.has(id));
}

/** Whether `e` reads any of `columns`. */
function exprReads(e: Expr, columns: ReadonlySet<ColumnId>): boolean {
  return [...columnsOf(e)].some((id) => columns.has(id));
}

export function lateralJoin(left: LogicalPlan, subquery: LogicalPlan, joinType: "inner" | "left", on: Expr | undefined, ids: ColumnIds, position: SourcePosition | undefined): LogicalPlan {
  const outer = new Set(outputColumns(left).map((c) => c.id));
  const unsupported = (what: string) => new UnsupportedError(`LATERAL subquery ${what}`, position);
  const { body, outputs } = composedProjections(subquery);
  const decorrelated = decorrelate(body, left, ids, unsupported);
  if (readsAny(decorrelated.right, outer)) throw unsupported("that reads the left side other than in its WHERE and select list");

  // ON true (LEFT JOIN LATERAL … ON true, the usual way to keep every left row) is no condition.
  if (on?.kind === "literal" && on.value === true) on = undefined;
  const onRight = on && replaceColumns(on, new Map(outputs.map((o) => [o.column.id, o.expr])));
  let join: LogicalPlan;
  let value = (e: Expr) => e;
  const { right } = decorrelated;
  if (right.kind === "values" && right.columns.length === 0 && right.rows.length === 1 && !onRight) {
    // A subquery without FROM (its select list reads the left side): one row for each left row.
    join = left;
  } else if (decorrelated.noRows) {
    // One row per left row whatever matched: a left join, and the values over no rows where none did.
    if (joinType === "left" && onRight) throw unsupported("of an aggregate without GROUP BY under LEFT JOIN … ON");
    const { values, marker } = decorrelated.noRows;
    join = { kind: "join", joinType: "left", left, right: decorrelated.right, condition: decorrelated.condition };
    value = (e) => unmatchedThen(marker, foldExpr(replaceColumns(e, values)), e);
  } else if (joinType === "left") {
    // A left row the subquery gave no row gets NULLs, even where its select list reads the left side.
    const marker = ids.column("matched", type("boolean", false));
    const right: LogicalPlan = {
      kind: "project",
      input: decorrelated.right,
      outputs: [...passedThrough(outputColumns(decorrelated.right)), { column: marker, expr: literal(true, marker.type) }],
    };
    join = { kind: "join", joinType: "left", left, right, condition: and([decorrelated.condition, onRight].filter((c) => c !== undefined)) };
    value = (e) => (e.kind === "column" && !outer.has(e.id) ? e : unmatchedThen(marker, literal(null, withNullable(e.type, true)), e));
  } else {
    join = { kind: "join", joinType: "inner", left, right: decorrelated.right, condition: decorrelated.condition };
  }
  const projected: LogicalPlan = {
    kind: "project",
    input: join,
    outputs: [
      ...passedThrough(outputColumns(left)),
      ...outputs.map((o) => {
        const expr = value(o.expr);
        return { column: { ...o.column, type: withNullable(o.column.type, o.column.type.nullable || expr.type.nullable) }, expr };
      }),
    ],
  };
  // Under a plain join an ON condition is a filter on the pairs.
  return joinType === "inner" && on ? { kind: "filter", input: projected, predicate: on } : projected;
}

/** `then` where the left join found no row for `marker` (a column of its right side that is never NULL), else `e`. */
function unmatchedThen(marker: ColumnDef, then: Expr, e: Expr): Expr {
  return { kind: "case", whens: [{ when: isNull(columnRef({ ...marker, type: withNullable(marker.type, true) }), false), then }], otherwise: e, type: withNullable(e.type, true) };
}

/** The plan below its top projections (and sorts, which order nothing without a LIMIT), and its outputs as expressions over that plan. */
function composedProjections(plan: LogicalPlan): { body: LogicalPlan; outputs: ProjectOutput[] } {
  if (plan.kind === "sort") return composedProjections(plan.input);
  if (plan.kind !== "project") return { body: plan, outputs: passedThrough(outputColumns(plan)) };
  const below = composedProjections(plan.input);
  const map = new Map(below.outputs.map((o) => [o.column.id, o.expr]));
  return { body: below.body, outputs: plan.outputs.map((o) => ({ column: o.column, expr: replaceColumns(o.expr, map) })) };
}

/**
 * pullCorrelated, also below projections that do not read the left side (SELECT DISTINCT's,
 * an aggregate's computed arguments): they pass on the columns the correlated conjuncts read.
 */
function pullCorrelatedBelow(plan: LogicalPlan, outer: ReadonlySet<ColumnId>): Pulled | undefined {
  if (plan.kind !== "project" || plan.outputs.some((o) => exprReads(o.expr, outer))) return pullCorrelated(plan, outer);
  const pulled = pullCorrelatedBelow(plan.input, outer);
  if (!pulled) return undefined;
  const passed = new Set(plan.outputs.map((o) => o.column.id));
  const below = new Map(outputColumns(pulled.inner).map((c) => [c.id, c]));
  const needed = [...new Set(pulled.correlated.flatMap((p) => [...columnsOf(p)]))].filter((id) => !outer.has(id) && !passed.has(id) && below.has(id));
  const outputs = [...plan.outputs, ...needed.map((id) => ({ column: below.get(id)!, expr: columnRef(below.get(id)!) }))];
  return { inner: { ...plan, input: pulled.inner, outputs }, correlated: pulled.correlated };
}

/** How a subquery's rows meet the left row they belong to: equal keys, or the row of the left side's domain. */
interface Correlation {
  rows: LogicalPlan;
  keys: ProjectOutput[];
  condition: Expr;
}

/**
 * The subquery's rows with the columns they are correlated by: the inner sides of its
 * equalities; or, for other correlations, the left side's distinct values of the columns it
 * reads (its domain), joined to the rows on the correlated conjuncts, and matched to a left row
 * NULL-safely.
 */
function correlate(pulled: Pulled, left: LogicalPlan, outer: ReadonlySet<ColumnId>, ids: ColumnIds): Correlation {
  const pairs = correlationPairs(pulled, outer);
  if (pairs && pairs.length > 0) {
    const keys = keyGroups(pairs, ids);
    return { rows: pulled.inner, keys: keys.groups, condition: keys.condition };
  }
  const read = [...new Set(pulled.correlated.flatMap((p) => [...columnsOf(p)]))].filter((id) => outer.has(id));
  const copies = new Map<ColumnId, ColumnDef>();
  const copy = freshCopy(left, ids, copies);
  const keys = read.map((id) => ({ column: copies.get(id)!, expr: columnRef(copies.get(id)!) }));
  const domain: LogicalPlan = { kind: "aggregate", input: copy, groups: keys, measures: [], phase: "single" };
  const onDomain = new Map(read.map((id) => [id, columnRef(copies.get(id)!)]));
  const rows: LogicalPlan = { kind: "join", joinType: "inner", left: domain, right: pulled.inner, condition: and(pulled.correlated.map((p) => replaceColumns(p, onDomain))) };
  const leftColumns = new Map(outputColumns(left).map((c) => [c.id, c]));
  const condition = and(read.map((id) => call("is_not_distinct_from", [columnRef(leftColumns.get(id)!), columnRef(copies.get(id)!)], type("boolean", false))));
  return { rows, keys, condition };
}

function decorrelate(body: LogicalPlan, left: LogicalPlan, ids: ColumnIds, unsupported: (what: string) => Error): Decorrelated {
  const outer = new Set(outputColumns(left).map((c) => c.id));
  if (!readsAny(body, outer)) return { right: body, condition: undefined };
  if (body.kind === "limit") return firstRows(body, left, ids, unsupported);
  if (body.kind === "window") return perLeftRowWindows(body, left, ids, unsupported);
  const having = body.kind === "filter" && body.input.kind === "aggregate" ? body : undefined;
  const aggregate = having ? having.input : body;
  if (aggregate.kind === "aggregate") {
    if (having && exprReads(having.predicate, outer)) throw unsupported("whose HAVING reads the left side");
    if (having && aggregate.groups.length === 0) throw unsupported("with HAVING and no GROUP BY");
    const pulled = pullCorrelatedBelow(aggregate.input, outer);
    if (!pulled || pulled.correlated.length === 0) throw unsupported("with an aggregate that reads the left side other than in its WHERE");
    const { rows, keys, condition } = correlate(pulled, left, outer, ids);
    // Without GROUP BY, a count of each left row's rows marks the groups the join finds: NULL where it finds none.
    const matched = aggregate.groups.length === 0 ? ids.column("matched", type("i64", false)) : undefined;
    const measures = matched ? [...aggregate.measures, { column: matched, call: { fn: "count" as const, args: [], distinct: false, type: matched.type } }] : aggregate.measures;
    const grouped: LogicalPlan = { ...aggregate, input: rows, groups: [...keys, ...aggregate.groups], measures };
    const right = having ? { ...having, input: grouped } : grouped;
    if (!matched) return { right, condition };
    return { right, condition, noRows: { values: valuesOverNoRows(aggregate.measures), marker: matched } };
  }
  const pulled = pullCorrelated(body, outer);
  if (!pulled) throw unsupported("that reads the left side other than in its WHERE and select list");
  return { right: pulled.inner, condition: pulled.correlated.length > 0 ? and(pulled.correlated) : undefined };
}

/** ORDER BY … LIMIT n per left row: the first n rows of each group of the correlated columns, by row_number. */
function firstRows(limit: LogicalPlan & { kind: "limit" }, left: LogicalPlan, ids: ColumnIds, unsupported: (what: string) => Error): Decorrelated {
  const outer = new Set(outputColumns(left).map((c) => c.id));
  const sort = limit.input.kind === "sort" ? limit.input : undefined;
  const { body, outputs } = composedProjections(sort ? sort.input : limit.input);
  if (outputs.some((o) => exprReads(o.expr, outer))) throw unsupported("with LIMIT whose select list reads the left side");
  const pulled = pullCorrelated(body, outer);
  if (!pulled || pulled.correlated.length === 0) throw unsupported("with LIMIT that reads the left side other than in its WHERE");
  const { rows, keys, condition } = correlate(pulled, left, outer, ids);
  const byOutput = new Map(outputs.map((o) => [o.column.id, o.expr]));
  const rowNumber = ids.column("row_number", type("i64", false));
  const orderBy = (sort?.keys ?? []).map((k) => ({ ...k, expr: replaceColumns(k.expr, byOutput) }));
  const kept = numberedRows(rows, rowNumber, keys.map((k) => k.expr), orderBy, limit.offset, limit.count === undefined ? undefined : limit.offset + limit.count);
  const right: LogicalPlan = { kind: "project", input: kept, outputs: [...outputs, ...keys] };
  return { right, condition };
}

/** Window functions over each left row's rows: partitioned by the correlated columns too. */
function perLeftRowWindows(window: LogicalPlan & { kind: "window" }, left: LogicalPlan, ids: ColumnIds, unsupported: (what: string) => Error): Decorrelated {
  const outer = new Set(outputColumns(left).map((c) => c.id));
  if (window.functions.some((f) => [...f.call.args, ...f.call.partitionBy, ...f.call.orderBy.map((k) => k.expr)].some((e) => exprReads(e, outer)))) {
    throw unsupported("with a window function that reads the left side");
  }
  const pulled = pullCorrelatedBelow(window.input, outer);
  if (!pulled || pulled.correlated.length === 0) throw unsupported("with window functions that read the left side other than in its WHERE");
  const { rows, keys, condition } = correlate(pulled, left, outer, ids);
  const functions = window.functions.map((f) => ({ ...f, call: { ...f.call, partitionBy: [...keys.map((k) => k.expr), ...f.call.partitionBy] } }));
  const windowed: LogicalPlan = { ...window, input: rows, functions };
  const right: LogicalPlan = { kind: "project", input: windowed, outputs: [...passedThrough(outputColumns(window)), ...keys] };
  return { right, condition };
}
