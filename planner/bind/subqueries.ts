// Subqueries in predicates become joins when that is exact:
//   EXISTS / NOT EXISTS (correlated)       → semi / anti join on the correlated conjuncts
//   x IN (subquery)                        → semi join on x = column (plus correlated conjuncts)
//   x NOT IN (uncorrelated subquery)       → anti join on x = column, guarded by the subquery's
//                                            row and non-NULL counts (SQL's NULL rules, below)
//   scalar aggregate without GROUP BY      → cross join with its single row (uncorrelated), or
//                                            a join with the aggregate grouped by the correlated
//                                            columns (correlated by equalities; for counts, a left
//                                            join that substitutes the value over no rows)
//   x IN (uncorrelated) as a value         → left join with its distinct values, and a cross join
//                                            with its row and non-NULL counts (a mark, below)
//   EXISTS (uncorrelated) as a value       → cross join with its row count
//   x IN / EXISTS (correlated by           → left joins with its distinct keys (and values), and
//   equalities) as a value                   for IN its row and non-NULL counts per keys
//   scalar aggregate, or EXISTS or IN as a  → LEFT JOIN LATERAL (lateral.ts): over the outer
//   value, correlated otherwise              query's distinct values of the columns it reads
//                                            (IN: S's rows, non-NULL values and matches, counted)
//   scalar subquery, not an aggregate       → first as a scalar aggregate (asAggregate: any_value
//                                            and a row count; ORDER BY … LIMIT 1 as first), then as above
// Everything else stays a Substrait subquery expression with outer references.
import { UnsupportedError } from "../../common/errors.ts";
import { COUNTING_AGGREGATES, type ColumnDef, type ColumnId, type Expr, type LogicalPlan, type Measure, type SortKey, type Subquery } from "../logical.ts";
import {
  columnRef,
  columnsOf,
  conjuncts,
  containsSubquery,
  definedColumns,
  exprChildren,
  exprSome,
  freeColumns,
  makeAnd,
  mapExpr,
  outputColumns,
  passedThrough,
  replaceColumns,
  visitExpr,
} from "../plan-utils.ts";
import { type, withNullable } from "../types.ts";
import type { ColumnIds } from "./binder.ts";
import { literal } from "./literals.ts";
import { and, call, caseExpr, castTo, compare, countStar, isNull, or } from "./operators.ts";
import { foldExpr } from "../optimize/constant-folding.ts";
import { correlationPairs, freshCopy, keyGroups, pullCorrelated, renameColumns, valuesOverNoRows } from "./correlation.ts";
import { lateralJoin } from "./lateral.ts";

/** Functions whose result is NULL whenever an argument is. */
export const STRICT_FUNCTIONS = new Set([
  "add", "subtract", "multiply", "divide", "divide_or_null", "modulus", "negate", "abs",
  "equal", "not_equal", "lt", "lte", "gt", "gte",
  "like", "substring", "upper", "lower", "char_length", "concat", "extract", "trim", "ltrim", "rtrim",
]);

/** Adds `predicate` above `plan`, turning its subqueries into joins where exact. */
export function applyPredicate(plan: LogicalPlan, predicate: Expr, ids: ColumnIds): LogicalPlan {
  const plain: Expr[] = [];
  const withSubqueries: Expr[] = [];
  for (const c of conjuncts(asFilter(predicate))) (containsSubquery(c) ? withSubqueries : plain).push(c);
  let current: LogicalPlan = plain.length > 0 ? { kind: "filter", input: plan, predicate: makeAnd(plain)! } : plan;
  for (const c of withSubqueries) {
    const joined = joinForPredicate(current, c, ids);
    if (joined) {
      current = joined;
      continue;
    }
    const scalar = decorrelateScalarSubqueries(current, [c], ids, true);
    current = { kind: "filter", input: scalar.plan, predicate: scalar.exprs[0] };
  }
  return current;
}

/**
 * A predicate as a filter reads it: only TRUE keeps a row, so a NULL constant under AND and OR
 * (and no NOT) acts as FALSE; the parts it makes never TRUE go (`x OR (y AND NULL)` is x).
 */
function asFilter(e: Expr): Expr {
  if (e.kind !== "call" || (e.fn !== "and" && e.fn !== "or")) return e;
  const never = (x: Expr) => x.kind === "literal" && (x.value === null || x.value === false);
  const args = e.args.map(asFilter);
  if (e.fn === "and") return args.some(never) ? literal(false, type("boolean", false)) : { ...e, args };
  const kept = args.filter((x) => !never(x));
  if (kept.length === 0) return literal(false, type("boolean", false));
  return kept.length === 1 ? kept[0] : { ...e, args: kept };
}

function joinForPredicate(plan: LogicalPlan, c: Expr, ids: ColumnIds): LogicalPlan | undefined {
  const negated = c.kind === "call" && c.fn === "not";
  const inner = negated ? (c as { args: readonly Expr[] }).args[0] : c;
  if (inner.kind !== "subquery") return undefined;
  if (inner.op === "exists") return existsJoin(plan, inner, negated ? "anti" : "semi");
  if (inner.op === "in") return negated ? notInJoin(plan, inner, ids) : inJoin(plan, inner);
  return undefined;
}

/** The plan under a SELECT DISTINCT's aggregate (its groups are its input's columns, kept as they are), if `plan` is one. */
export function distinctInput(plan: LogicalPlan): LogicalPlan | undefined {
  const distinct = plan.kind === "aggregate" && plan.measures.length === 0 && plan.groups.length > 0 && plan.groups.every((g) => g.expr.kind === "column" && g.expr.id === g.column.id);
  return distinct ? plan.input : undefined;
}

function stripProjection(plan: LogicalPlan): LogicalPlan {
  let body = plan;
  while (body.kind === "project" || body.kind === "sort") body = body.input;
  return body;
}

/**
 * What a one-column subquery yields, as one expression over the plan below its projections and
 * sorts (a cast the binder put over the column the query selected makes a second projection).
 */
export function elementOf(plan: LogicalPlan): { element: Expr; body: LogicalPlan } | undefined {
  if (plan.kind !== "project" || plan.outputs.length !== 1) return undefined;
  let element = plan.outputs[0].expr;
  let body = plan.input;
  while (body.kind === "project" || body.kind === "sort") {
    if (body.kind === "project") element = replaceColumns(element, new Map(body.outputs.map((o) => [o.column.id, o.expr])));
    body = body.input;
  }
  return { element, body };
}

function existsJoin(plan: LogicalPlan, sub: Subquery, joinType: "semi" | "anti"): LogicalPlan | undefined {
  const outer = new Set(outputColumns(plan).map((c) => c.id));
  // Whether a row exists is whether a distinct one does.
  const pulled = pullCorrelated(stripProjection(distinctInput(sub.plan) ?? sub.plan), outer);
  // An uncorrelated EXISTS is one check for the whole query: left to the subquery expression.
  if (!pulled || pulled.correlated.length === 0) return undefined;
  return { kind: "join", joinType, left: plan, right: pulled.inner, condition: makeAnd(pulled.correlated) };
}

function inJoin(plan: LogicalPlan, sub: Subquery): LogicalPlan | undefined {
  const needle = sub.needle!;
  const [target] = outputColumns(sub.plan);
  const equality = call("equal", [needle, columnRef(target)], type("boolean", needle.type.nullable || target.type.nullable));
  if (freeColumns(sub.plan).size === 0) {
    // In a WHERE conjunct, IN's NULL (no match but NULLs around) filters like FALSE: a semi join is exact.
    return { kind: "join", joinType: "semi", left: plan, right: sub.plan, condition: equality };
  }
  const top = elementOf(sub.plan);
  if (!top) return undefined;
  const outer = new Set(outputColumns(plan).map((c) => c.id));
  const pulled = pullCorrelated(top.body, outer);
  if (!pulled || pulled.correlated.length === 0) return undefined;
  // The correlated conjuncts read inner columns the projection dropped: pass them through.
  const innerColumns = new Map(outputColumns(pulled.inner).map((c) => [c.id, c]));
  const passed = new Map<ColumnId, ColumnDef>();
  for (const p of pulled.correlated) for (const id of columnsOf(p)) if (innerColumns.has(id)) passed.set(id, innerColumns.get(id)!);
  if ([...columnsOf(top.element)].some((id) => !innerColumns.has(id))) {
    // The element reads the outer row too (`b IN (SELECT t.b + u.y …)`): compared in the join's condition, over the inner columns it reads.
    if (containsSubquery(top.element)) return undefined;
    for (const id of columnsOf(top.element)) if (innerColumns.has(id)) passed.set(id, innerColumns.get(id)!);
    if (passed.size === 0) return undefined;
    const passing: LogicalPlan = { kind: "project", input: pulled.inner, outputs: passedThrough([...passed.values()]) };
    const matches = call("equal", [needle, top.element], type("boolean", needle.type.nullable || top.element.type.nullable));
    return { kind: "join", joinType: "semi", left: plan, right: passing, condition: makeAnd([matches, ...pulled.correlated]) };
  }
  const right: LogicalPlan = {
    kind: "project",
    input: pulled.inner,
    outputs: [{ column: target, expr: top.element }, ...passedThrough([...passed.values()])],
  };
  return { kind: "join", joinType: "semi", left: plan, right, condition: makeAnd([equality, ...pulled.correlated]) };
}

/**
 * `x NOT IN (S)` keeps a row when S is empty, or when x is not NULL, S holds no NULL and no
 * element equal to x. An anti join on x = s handles the last part; a one-row aggregate of S
 * (rows, non-NULL values) decides the rest, so both stay hash joins.
 */
function notInJoin(plan: LogicalPlan, sub: Subquery, ids: ColumnIds): LogicalPlan | undefined {
  if (freeColumns(sub.plan).size > 0) return undefined;
  const needle = sub.needle!;
  const [target] = outputColumns(sub.plan);
  const equality = call("equal", [needle, columnRef(target)], type("boolean", needle.type.nullable || target.type.nullable));
  const anti: LogicalPlan = { kind: "join", joinType: "anti", left: plan, right: sub.plan, condition: equality };
  if (!needle.type.nullable && !target.type.nullable) return anti;
  const copy = freshCopy(sub.plan, ids);
  const [copiedTarget] = outputColumns(copy);
  const rows = ids.column("not_in_rows", type("i64", false));
  const nonNull = ids.column("not_in_non_null", type("i64", false));
  const guard: LogicalPlan = {
    kind: "aggregate",
    input: copy,
    groups: [],
    measures: [
      { column: rows, call: countStar().call },
      { column: nonNull, call: { fn: "count", args: [columnRef(copiedTarget)], distinct: false, type: nonNull.type } },
    ],
    phase: "single",
  };
  const zero = literal(0n, type("i64", false));
  const keep = or([
    compare("equal", columnRef(rows), zero, undefined),
    and([isNull(needle, true), compare("equal", columnRef(rows), columnRef(nonNull), undefined)]),
  ]);
  return { kind: "filter", input: { kind: "join", joinType: "inner", left: anti, right: guard, condition: undefined }, predicate: keep };
}

/**
 * Replaces scalar subqueries in `exprs` by columns of joins added to `plan` where exact.
 * `nullRejecting`: the expressions are one WHERE/HAVING conjunct, so a NULL subquery value
 * filters the row and an inner join may stand for the left join.
 */
export function decorrelateScalarSubqueries(
  plan: LogicalPlan,
  exprs: Expr[],
  ids: ColumnIds,
  nullRejecting = false,
): { plan: LogicalPlan; exprs: Expr[] } {
  let current = plan;
  const out = exprs.map((e) => {
    // By the subquery's plan: rewriting bottom-up copies a subquery node whose needle it maps.
    const replacements = new Map<LogicalPlan, Expr>();
    visitExpr(e, (x) => {
      if (x.kind !== "subquery" || replacements.has(x.plan)) return;
      const rejecting = nullRejecting && isNullRejectingPath(e, x);
      const result = x.op === "scalar" ? scalarJoin(current, x, ids, rejecting) : markJoin(current, x, ids);
      if (result) {
        current = result.plan;
        replacements.set(x.plan, result.value);
      }
    });
    if (replacements.size === 0) return e;
    return mapExpr(e, (x) => (x.kind === "subquery" && replacements.has(x.plan) ? replacements.get(x.plan)! : x));
  });
  return { plan: current, exprs: out };
}

/**
 * An uncorrelated `x IN (S)` or `EXISTS (S)` where its value is read (a select list, an OR): as
 * columns of joins. IN is TRUE where S holds x; otherwise FALSE when S is empty, NULL when x is
 * NULL or S holds a NULL, else FALSE: a left join with S's distinct values finds the match, a
 * cross join with S's row and non-NULL counts (one row) decides the rest. EXISTS is S's row count
 * above 0. Both stay hash joins a cluster can run.
 */
function markJoin(plan: LogicalPlan, sub: Subquery, ids: ColumnIds): { plan: LogicalPlan; value: Expr } | undefined {
  if (freeColumns(sub.plan).size > 0) return correlatedMarkJoin(plan, sub, ids);
  const rows = ids.column("subquery_rows", type("i64", false));
  const countOf = (input: LogicalPlan, measures: Measure[]): LogicalPlan => ({ kind: "aggregate", input, groups: [], measures, phase: "single" });
  const zero = literal(0n, type("i64", false));
  if (sub.op === "exists") {
    const counted = countOf(sub.plan, [{ column: rows, call: countStar().call }]);
    return { plan: { kind: "join", joinType: "inner", left: plan, right: counted, condition: undefined }, value: compare("gt", columnRef(rows), zero, undefined) };
  }
  const needle = sub.needle!;
  const [target] = outputColumns(sub.plan);
  const value = ids.column(target.name, target.type);
  const distinct: LogicalPlan = { kind: "aggregate", input: sub.plan, groups: [{ column: value, expr: columnRef(target) }], measures: [], phase: "single" };
  const copy = freshCopy(sub.plan, ids);
  const nonNull = ids.column("subquery_non_null", type("i64", false));
  const counts = countOf(copy, [
    { column: rows, call: countStar().call },
    { column: nonNull, call: { fn: "count", args: [columnRef(outputColumns(copy)[0])], distinct: false, type: nonNull.type } },
  ]);
  const counted: LogicalPlan = { kind: "join", joinType: "inner", left: plan, right: counts, condition: undefined };
  const equality = call("equal", [needle, columnRef(value)], type("boolean", needle.type.nullable || value.type.nullable));
  const marked: LogicalPlan = { kind: "join", joinType: "left", left: counted, right: distinct, condition: equality };
  const mark = caseExpr(
    [
      { when: isNull(columnRef({ ...value, type: withNullable(value.type, true) }), true), then: booleanLiteral(true) },
      { when: compare("equal", columnRef(rows), zero, undefined), then: booleanLiteral(false) },
      { when: or([isNull(needle, false), compare("lt", columnRef(nonNull), columnRef(rows), undefined)]), then: booleanLiteral(null) },
    ],
    booleanLiteral(false),
    undefined,
  );
  return { plan: marked, value: mark };
}

/**
 * A correlated `x IN (S)` or `EXISTS (S)` read as a value, S correlated by equalities only: S's
 * rows grouped by its side of the correlation. EXISTS is whether the outer row's keys find a
 * group (a left join with S's distinct keys). IN finds its match in a left join with S's
 * distinct (keys, value) pairs; a row without one is FALSE where its keys find no group (its S is
 * empty), NULL where x is NULL or its group holds a NULL (a left join with each group's row and
 * non-NULL counts says which), else FALSE. Each join finds at most one row per outer row.
 */
function correlatedMarkJoin(plan: LogicalPlan, written: Subquery, ids: ColumnIds): { plan: LogicalPlan; value: Expr } | undefined {
  // Whether S has rows, and which values it holds, is the same with or without a DISTINCT.
  const sub: Subquery = { ...written, plan: distinctInput(written.plan) ?? written.plan };
  const outer = new Set(outputColumns(plan).map((c) => c.id));
  const afterLeftJoin = (c: ColumnDef) => columnRef({ ...c, type: withNullable(c.type, true) });
  const correlated = (body: LogicalPlan) => {
    const pulled = pullCorrelated(body, outer);
    const pairs = pulled && pulled.correlated.length > 0 ? correlationPairs(pulled, outer) : undefined;
    return pulled && pairs ? { inner: reduceByOuterKeys(plan, pulled.inner, pairs, ids), pairs } : undefined;
  };
  if (sub.op === "exists") {
    const found = correlated(stripProjection(sub.plan));
    if (!found) {
      // Correlated otherwise than by equalities: whether its row count per outer row is above 0.
      const rows = ids.column("subquery_rows", type("i64", false));
      const counted: LogicalPlan = { kind: "aggregate", input: stripProjection(sub.plan), groups: [], measures: [{ column: rows, call: countStar().call }], phase: "single" };
      const joined = oneRowPerOuterRow(plan, { ...sub, op: "scalar", plan: counted }, ids);
      return joined && { plan: joined.plan, value: compare("gt", joined.value, literal(0n, type("i64", false)), undefined) };
    }
    const { groups, condition } = keyGroups(found.pairs, ids);
    const keys: LogicalPlan = { kind: "aggregate", input: found.inner, groups, measures: [], phase: "single" };
    return { plan: { kind: "join", joinType: "left", left: plan, right: keys, condition }, value: isNull(afterLeftJoin(groups[0].column), true) };
  }
  const top = elementOf(sub.plan);
  const found = top && correlated(top.body);
  if (top && !found && !containsSubquery(top.element)) return inByCounts(plan, sub.needle!, top, ids);
  if (!top || !found || containsSubquery(top.element) || ![...columnsOf(top.element)].every((id) => definedColumns(found.inner).has(id))) return undefined;
  const element = top.element;
  const needle = sub.needle!;
  // The distinct (keys, value) pairs, for the match.
  const { groups, condition } = keyGroups(found.pairs, ids);
  const value = ids.column(outputColumns(sub.plan)[0].name, element.type);
  const pairs: LogicalPlan = { kind: "aggregate", input: found.inner, groups: [...groups, { column: value, expr: element }], measures: [], phase: "single" };
  // Each group's row and non-NULL counts, over a copy of S.
  const copied = new Map<ColumnId, ColumnDef>();
  const copy = freshCopy(found.inner, ids, copied);
  const inCopy = (e: Expr) => renameColumns(e, copied);
  const counted = keyGroups(found.pairs.map((p) => ({ inner: inCopy(p.inner), outer: p.outer })), ids);
  const rows = ids.column("subquery_rows", type("i64", false));
  const nonNull = ids.column("subquery_non_null", type("i64", false));
  const counts: LogicalPlan = {
    kind: "aggregate",
    input: copy,
    groups: counted.groups,
    measures: [
      { column: rows, call: countStar().call },
      { column: nonNull, call: { fn: "count", args: [inCopy(element)], distinct: false, type: nonNull.type } },
    ],
    phase: "single",
  };
  const withCounts: LogicalPlan = { kind: "join", joinType: "left", left: plan, right: counts, condition: counted.condition };
  const equality = call("equal", [needle, columnRef(value)], type("boolean", needle.type.nullable || value.type.nullable));
  const marked: LogicalPlan = { kind: "join", joinType: "left", left: withCounts, right: pairs, condition: and([condition, equality]) };
  const mark = caseExpr(
    [
      { when: isNull(afterLeftJoin(value), true), then: booleanLiteral(true) },
      { when: isNull(afterLeftJoin(rows), false), then: booleanLiteral(false) },
      { when: or([isNull(needle, false), compare("lt", afterLeftJoin(nonNull), afterLeftJoin(rows), undefined)]), then: booleanLiteral(null) },
    ],
    booleanLiteral(false),
    undefined,
  );
  return { plan: marked, value: mark };
}

/**
 * A correlated `x IN (S)` read as a value, S correlated otherwise than by equalities: per outer
 * row, S's rows equal to x, S's rows and its non-NULL values, counted by LEFT JOIN LATERAL (over
 * the outer query's distinct values of the columns S reads). TRUE where a row matched; else
 * FALSE where S is empty; NULL where x is NULL or S holds a NULL; else FALSE.
 */
function inByCounts(plan: LogicalPlan, needle: Expr, top: { element: Expr; body: LogicalPlan }, ids: ColumnIds): { plan: LogicalPlan; value: Expr } | undefined {
  const counted = (body: LogicalPlan, measures: Measure[]): LogicalPlan => ({ kind: "aggregate", input: body, groups: [], measures, phase: "single" });
  const count = (name: string, args: Expr[]): Measure => {
    const column = ids.column(name, type("i64", false));
    return { column, call: { fn: "count", args, distinct: false, type: column.type } };
  };
  const [rows, nonNull, matches] = [count("subquery_rows", []), count("subquery_non_null", [top.element]), count("subquery_matches", [])];
  // The match is one more correlated conjunct of S's WHERE.
  const equal = compare("equal", top.element, needle, undefined);
  const matching: LogicalPlan = top.body.kind === "filter" ? { ...top.body, predicate: and([top.body.predicate, equal]) } : { kind: "filter", input: top.body, predicate: equal };
  const withCounts = oneRowPerOuterRow(plan, { kind: "subquery", op: "scalar", plan: counted(top.body, [rows, nonNull]), type: rows.column.type }, ids);
  const withMatches = withCounts && oneRowPerOuterRow(withCounts.plan, { kind: "subquery", op: "scalar", plan: counted(matching, [matches]), type: matches.column.type }, ids);
  if (!withCounts || !withMatches) return undefined;
  const [rowCount, nonNullCount] = outputColumns(withCounts.plan).slice(outputColumns(plan).length).map(columnRef);
  const zero = literal(0n, type("i64", false));
  const mark = caseExpr(
    [
      { when: compare("gt", withMatches.value, zero, undefined), then: booleanLiteral(true) },
      { when: compare("equal", rowCount, zero, undefined), then: booleanLiteral(false) },
      { when: or([isNull(needle, false), compare("lt", nonNullCount, rowCount, undefined)]), then: booleanLiteral(null) },
    ],
    booleanLiteral(false),
    undefined,
  );
  return { plan: withMatches.plan, value: mark };
}

/** TRUE, FALSE or a NULL boolean: what a mark of IN or EXISTS comes to. */
function booleanLiteral(v: boolean | null): Expr {
  return literal(v, type("boolean", v === null));
}

/** Whether a NULL from `target` makes the whole predicate `e` NULL. */
function isNullRejectingPath(e: Expr, target: Expr): boolean {
  if (e === target) return true;
  if (e.kind === "cast" || (e.kind === "call" && STRICT_FUNCTIONS.has(e.fn))) {
    return exprChildren(e).some((c) => isNullRejectingPath(c, target));
  }
  return false;
}

/**
 * A correlated scalar subquery whose correlation is not all equalities, as `LEFT JOIN LATERAL
 * (subquery) ON true` (lateral.ts: over the outer query's distinct values of the columns it
 * reads): its one column is the value. Undefined where that join is not exact.
 */
function oneRowPerOuterRow(plan: LogicalPlan, sub: Subquery, ids: ColumnIds): { plan: LogicalPlan; value: Expr } | undefined {
  try {
    const joined = lateralJoin(plan, sub.plan, "left", undefined, ids, undefined);
    const [output] = outputColumns(joined).slice(outputColumns(plan).length);
    return { plan: joined, value: columnRef(output) };
  } catch (error) {
    if (error instanceof UnsupportedError) return undefined;
    throw error;
  }
}

/** Whether the plan yields exactly one row, whatever its input. */
function exactlyOneRow(plan: LogicalPlan): boolean {
  if (plan.kind === "project") return exactlyOneRow(plan.input);
  if (plan.kind === "aggregate") return plan.groups.length === 0;
  if (plan.kind === "values") return plan.rows.length === 1;
  return false;
}

/** Whether the plan yields one row or none, whatever its input (a grand total under a HAVING, a window, an order). */
export function atMostOneRow(plan: LogicalPlan): boolean {
  if (plan.kind === "project" || plan.kind === "filter" || plan.kind === "sort" || plan.kind === "window" || plan.kind === "limit") return atMostOneRow(plan.input);
  return exactlyOneRow(plan) || (plan.kind === "values" && plan.rows.length === 0);
}

/** DuckDB's words for a scalar subquery that yields more than one row. */
export const SCALAR_SUBQUERY_ROWS_ERROR = "More than one row returned by a subquery used as an expression - scalar subqueries can only return a single row.";

/**
 * A scalar subquery that is not an aggregate, as one that is (which decorrelates into a grouped
 * join, or joins its one row): its value is its one row's, NULL over no rows, and an error over
 * more — any_value of the value beside a count of the rows, the error raised only where a count
 * above 1 is read. `ORDER BY k LIMIT 1` reads the first row by k: first(value ORDER BY k);
 * `LIMIT 1` alone any row's: any_value. Undefined for other shapes (DISTINCT, GROUP BY, OFFSET).
 */
function asAggregate(sub: Subquery, ids: ColumnIds): Subquery | undefined {
  const plan = sub.plan;
  if (exactlyOneRow(plan) || outputColumns(plan).length !== 1) return undefined;
  // The value: a projection's one expression, or the one column a LIMIT passes on.
  const [column] = outputColumns(plan);
  let element = plan.kind === "project" ? plan.outputs[0].expr : columnRef(column);
  const below = plan.kind === "project" ? plan.input : plan;
  const limit = below.kind === "limit" ? below : undefined;
  if (limit && (limit.count !== 1 || limit.offset !== 0)) return undefined;
  let keys: SortKey[] = [];
  let body = limit ? limit.input : below;
  // SELECT DISTINCT: its rows are the value's distinct values (the one column it groups by).
  let distinct = false;
  for (;;) {
    if (body.kind === "sort") {
      // Without LIMIT 1 an ORDER BY orders nothing; with it, the innermost sort under the limit decides.
      if (limit && keys.length === 0) keys = [...body.keys];
      body = body.input;
    } else if (body.kind === "project") {
      const inlined = new Map(body.outputs.map((o) => [o.column.id, o.expr]));
      element = replaceColumns(element, inlined);
      keys = keys.map((k) => ({ ...k, expr: replaceColumns(k.expr, inlined) }));
      body = body.input;
    } else {
      const under = distinctInput(body);
      if (!under) break;
      distinct = true;
      body = under;
    }
  }
  if (body.kind === "aggregate" && body.groups.length === 0) return undefined;
  const own = new Set(outputColumns(body).map((c) => c.id));
  const ownOnly = (e: Expr) => !containsSubquery(e) && [...columnsOf(e)].every((id) => own.has(id));
  // The value may read the outer row too, but not under LIMIT 1 (each column's first row could be another row).
  if (containsSubquery(element) || !keys.every((k) => ownOnly(k.expr)) || ((limit || distinct) && !ownOnly(element))) return undefined;
  const value = ids.column(column.name, withNullable(element.type, true));
  const anyValue = (of: Expr, into: ColumnDef): Measure => ({ column: into, call: { fn: "any_value", args: [of], distinct: false, type: into.type } });
  let measures: Measure[];
  let result: Expr;
  if (limit) {
    const order = keys.map(({ descending, nullsFirst }) => ({ descending, nullsFirst }));
    measures = [keys.length === 0 ? anyValue(element, value) : { column: value, call: { fn: "first", args: [element, ...keys.map((k) => k.expr)], distinct: false, type: value.type, order } }];
    result = columnRef(value);
  } else {
    // With one row, any_value of the value (or of each of its own columns, where it reads the outer row too) is that row's.
    let picked: Expr = columnRef(value);
    measures = [];
    if (ownOnly(element)) measures.push(anyValue(element, value));
    else {
      const byColumn = new Map<ColumnId, Expr>();
      for (const c of outputColumns(body).filter((c) => columnsOf(element).has(c.id))) {
        const single = ids.column(c.name, withNullable(c.type, true));
        measures.push(anyValue(columnRef(c), single));
        byColumn.set(c.id, columnRef(single));
      }
      picked = replaceColumns(element, byColumn);
    }
    const count = (n: bigint) => literal(n, type("i64", false));
    /** A count measure: of the rows (no argument), of the non-NULL values, or of the distinct ones. */
    const counted = (args: Expr[], distinctValues = false): Expr => {
      const column = ids.column("subquery_rows", type("i64", false));
      measures.push({ column, call: { fn: "count", args, distinct: distinctValues, type: column.type } });
      return columnRef(column);
    };
    // Over SELECT DISTINCT, the rows are the distinct non-NULL values and one for NULL if any.
    const rows = distinct
      ? call("add", [counted([element], true), caseExpr([{ when: compare("gt", counted([]), counted([element]), undefined), then: count(1n) }], count(0n), undefined)], type("i64", false))
      : counted([]);
    const tooMany = call("error", [literal(SCALAR_SUBQUERY_ROWS_ERROR, type("string", false))], value.type);
    result = caseExpr(
      [
        { when: compare("gt", rows, count(1n), undefined), then: tooMany },
        { when: compare("equal", rows, count(1n), undefined), then: picked },
      ],
      undefined,
      undefined,
    );
  }
  const aggregated: LogicalPlan = { kind: "aggregate", input: body, groups: [], measures, phase: "single" };
  return { ...sub, plan: { kind: "project", input: aggregated, outputs: [{ column: { ...column, type: value.type }, expr: result }] } };
}

function scalarJoin(plan: LogicalPlan, sub: Subquery, ids: ColumnIds, nullRejecting: boolean): { plan: LogicalPlan; value: Expr } | undefined {
  const aggregated = asAggregate(sub, ids);
  if (aggregated) return scalarJoin(plan, aggregated, ids, nullRejecting);
  const [output] = outputColumns(sub.plan);
  if (freeColumns(sub.plan).size === 0) {
    if (!exactlyOneRow(sub.plan)) return undefined;
    return { plan: { kind: "join", joinType: "inner", left: plan, right: sub.plan, condition: undefined }, value: columnRef(output) };
  }
  const top = sub.plan;
  if (top.kind !== "project" || top.outputs.length !== 1) return undefined;
  const aggregate = top.input;
  if (aggregate.kind !== "aggregate" || aggregate.groups.length > 0) return undefined;
  const nullOnNoRows = nullWhenEmpty(top.outputs[0].expr, aggregate.measures);
  const outer = new Set(outputColumns(plan).map((c) => c.id));
  const pulled = pullCorrelated(aggregate.input, outer);
  if (!pulled) return undefined;
  if (pulled.correlated.length === 0) {
    // Aggregated over its own rows, read with the outer row (`count(*) + t.a`, the second an
    // aggregate of the outer query's): the one row joins every outer row, the value computed after.
    if (freeColumns(aggregate).size === 0) return { plan: { kind: "join", joinType: "inner", left: plan, right: aggregate, condition: undefined }, value: top.outputs[0].expr };
    // An aggregate of the outer row's values over the subquery's rows (`count(t.b)`, `max(t.b + u.a)`).
    return oneRowPerOuterRow(plan, sub, ids);
  }
  const pairs = correlationPairs(pulled, outer);
  if (!pairs) return oneRowPerOuterRow(plan, sub, ids);
  const { groups, condition } = keyGroups(pairs, ids);
  // asAggregate's error over many rows must not come from a group no outer row reads: DuckDB
  // evaluates a join condition's side before matching, so where the check is read cannot keep it
  // out. The groups are restricted to the keys of the outer table the equalities name; where
  // they cannot be, the subquery stays one (a single engine runs it as DuckDB does).
  const raises = exprSome(top.outputs[0].expr, (x) => x.kind === "call" && x.fn === "error");
  const reduced = reduceByOuterKeys(plan, pulled.inner, pairs, ids, raises);
  if (raises && reduced === pulled.inner) return undefined;
  const grouped: LogicalPlan = { kind: "aggregate", input: reduced, groups, measures: aggregate.measures, phase: "single" };
  const value: ColumnDef = { ...top.outputs[0].column, type: withNullable(top.outputs[0].column.type, true) };
  // A value that reads the outer row too (`max(y) - t.c`) is computed after the join, from its group's measures.
  const readsOuter = [...columnsOf(top.outputs[0].expr)].some((id) => outer.has(id));
  const afterJoin = new Map(aggregate.measures.map((m) => [m.column.id, columnRef({ ...m.column, type: withNullable(m.column.type, true) })]));
  const right: LogicalPlan = readsOuter
    ? grouped
    : { kind: "project", input: grouped, outputs: [...groups.map((g) => ({ column: g.column, expr: columnRef(g.column) })), { column: value, expr: top.outputs[0].expr }] };
  const joined = readsOuter ? replaceColumns(top.outputs[0].expr, afterJoin) : columnRef(value);
  if (nullOnNoRows) return { plan: { kind: "join", joinType: nullRejecting ? "inner" : "left", left: plan, right, condition }, value: joined };
  // The count bug: with no matching rows the subquery still yields a row (count 0), the left
  // join yields NULLs. Where the join found no group (its key is NULL), use the value the
  // subquery's expression has over no rows.
  const noRows = foldExpr(replaceColumns(top.outputs[0].expr, valuesOverNoRows(aggregate.measures)));
  const key = groups[0].column;
  return {
    plan: { kind: "join", joinType: "left", left: plan, right, condition },
    value: {
      kind: "case",
      whens: [{ when: isNull(columnRef({ ...key, type: withNullable(key.type, true) }), false), then: castTo(noRows, value.type) }],
      otherwise: castTo(joined, value.type),
      type: value.type,
    },
  };
}

/** Whether `e` is certainly NULL when the aggregates saw no rows (counts 0, the rest NULL). */
function nullWhenEmpty(e: Expr, measures: readonly Measure[]): boolean {
  switch (e.kind) {
    case "column": {
      const m = measures.find((x) => x.column.id === e.id);
      return m !== undefined && !COUNTING_AGGREGATES.has(m.call.fn);
    }
    case "literal":
      return e.value === null;
    case "cast":
      return nullWhenEmpty(e.input, measures);
    case "call":
      return STRICT_FUNCTIONS.has(e.fn) && e.args.some((a) => nullWhenEmpty(a, measures));
    case "case": {
      // What the branches come to over no rows (asAggregate's `CASE WHEN rows > 1 THEN error WHEN rows = 1 THEN value END`: NULL).
      const folded = foldExpr(replaceColumns(e, valuesOverNoRows(measures)));
      return folded.kind === "literal" && folded.value === null;
    }
    default:
      return false;
  }
}

/**
 * The subquery's rows restricted to keys the outer query can ask for: when every outer side of
 * the correlation reads columns of one table of the outer query that is filtered, or semi-joined
 * on its own columns (an IN subquery), a semi join with (a copy of) that restricted table keeps
 * only the groups the final join can use. Exact, because whole groups go or stay; it spares
 * aggregating every group of a large table (TPC-H Q17, Q2, Q20). `always`: restrict to the
 * table's keys even when nothing filters it (the plan is `inner` itself where it cannot).
 */
function reduceByOuterKeys(outerPlan: LogicalPlan, inner: LogicalPlan, pairs: { inner: Expr; outer: Expr }[], ids: ColumnIds, always = false): LogicalPlan {
  const keyIds = pairs.flatMap((p) => [...columnsOf(p.outer)]);
  if (pairs.some((p) => containsSubquery(p.outer))) return inner;
  const scans: (LogicalPlan & { kind: "scan" })[] = [];
  const predicates: Expr[] = [];
  const semiJoins: (LogicalPlan & { kind: "join" })[] = [];
  const walk = (p: LogicalPlan) => {
    if (p.kind === "filter") {
      predicates.push(...conjuncts(p.predicate));
      walk(p.input);
    } else if (p.kind === "join" && p.joinType === "inner") {
      if (p.condition) predicates.push(...conjuncts(p.condition));
      walk(p.left);
      walk(p.right);
    } else if (p.kind === "join" && p.joinType === "semi" && !p.emit) {
      semiJoins.push(p);
      walk(p.left);
    } else if (p.kind === "join" && p.joinType === "left") walk(p.left);
    else if (p.kind === "project") walk(p.input);
    else if (p.kind === "scan") scans.push(p);
  };
  walk(outerPlan);
  const scan = scans.find((s) => keyIds.every((id) => s.columns.some((c) => c.id === id)));
  if (!scan) {
    // No one table holds the keys (an aggregate's, a join's of two tables): with `always`, a copy
    // of the whole outer plan gives them — computed twice, and exact.
    if (!always || freeColumns(outerPlan).size > 0) return inner;
    const map = new Map<ColumnId, ColumnDef>();
    const copy = freshCopy(outerPlan, ids, map);
    const condition = and(pairs.map((p) => compare("equal", p.inner, renameColumns(p.outer, map), undefined)));
    return { kind: "join", joinType: "semi", left: inner, right: copy, condition };
  }
  const own = new Set(scan.allColumns.map((c) => c.id));
  const filters = [...scan.filters, ...predicates].filter((p) => !containsSubquery(p) && [...columnsOf(p)].every((id) => own.has(id)) && columnsOf(p).size > 0);
  // Semi joins whose left side is this table alone (through filters and other such semi joins),
  // on the table's columns and their right side's only.
  const alone = (p: LogicalPlan): boolean => p === scan || (p.kind === "filter" && alone(p.input)) || (p.kind === "join" && semiJoins.includes(p) && alone(p.left));
  const restricting = semiJoins.filter((j) => {
    const right = new Set(outputColumns(j.right).map((c) => c.id));
    return alone(j.left) && j.condition !== undefined && !containsSubquery(j.condition) && [...columnsOf(j.condition)].every((id) => own.has(id) || right.has(id));
  });
  if (filters.length === 0 && restricting.length === 0 && !always) return inner;
  let restricted: LogicalPlan = filters.length > 0 ? { kind: "filter", input: { ...scan, filters: [] }, predicate: makeAnd(filters)! } : { ...scan, filters: [] };
  for (const j of restricting) restricted = { kind: "join", joinType: "semi", left: restricted, right: j.right, condition: j.condition };
  const map = new Map<ColumnId, ColumnDef>();
  const reducer = freshCopy(restricted, ids, map);
  const condition = and(pairs.map((p) => compare("equal", p.inner, renameColumns(p.outer, map), undefined)));
  return { kind: "join", joinType: "semi", left: inner, right: reducer, condition };
}
