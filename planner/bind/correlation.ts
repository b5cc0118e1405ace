// What the decorrelation of subqueries shares (subqueries.ts in predicates and values,
// lateral.ts in FROM): splitting a subquery's correlated conjuncts off, reading them as
// equalities between its columns and the outer query's, grouping by its side of them, and
// copying a plan with new column ids.
import { COUNTING_AGGREGATES, type ColumnDef, type ColumnId, type Expr, type LogicalPlan, type Measure } from "../logical.ts";
import { columnRef, columnsOf, conjuncts, containsSubquery, definedColumns, exprKey, freeColumns, makeAnd, mapExpr, outputColumns, transformUp, visitExpr } from "../plan-utils.ts";
import type { ColumnIds } from "./binder.ts";
import { withNullable } from "../types.ts";
import { literal } from "./literals.ts";
import { and, compare } from "./operators.ts";

export interface Pulled {
  /** The subquery without its correlated conjuncts. */
  readonly inner: LogicalPlan;
  /** Conjuncts over the subquery's and the outer query's columns. */
  readonly correlated: Expr[];
}

/** Columns an expression reads, including those read by subqueries inside it. */
export function exprFreeColumns(e: Expr): Set<ColumnId> {
  const ids = columnsOf(e);
  visitExpr(e, (x) => {
    if (x.kind === "subquery") for (const id of freeColumns(x.plan)) ids.add(id);
  });
  return ids;
}

/**
 * Splits the correlated conjuncts off the filters of `body`: the one at its top, and those below
 * it on the side of a join whose rows the join passes on whole (a semi, anti or left join's left
 * side, either side of an inner join), where the binder puts a WHERE's plain conjuncts before the
 * joins its subqueries become (`u.a = t.a AND u.kind IN (…)`). A conjunct over one side's columns
 * keeps the same rows above such a join as below it. Fails (undefined) when the subquery refers
 * to outer columns anywhere else, or to columns not in `outer`.
 */
export function pullCorrelated(body: LogicalPlan, outer: ReadonlySet<ColumnId>): Pulled | undefined {
  const correlated: Expr[] = [];
  const inner = withoutCorrelated(body, outer, correlated);
  if (!inner || freeColumns(inner).size > 0) return undefined;
  return { inner, correlated };
}

/** `plan` with its correlated conjuncts (see pullCorrelated) moved to `correlated`; undefined when one is read elsewhere. */
function withoutCorrelated(plan: LogicalPlan, outer: ReadonlySet<ColumnId>, correlated: Expr[]): LogicalPlan | undefined {
  if (freeColumns(plan).size === 0) return plan;
  if (plan.kind === "filter") {
    const local = splitCorrelated(plan.predicate, definedColumns(plan.input), outer, correlated);
    const input = local && withoutCorrelated(plan.input, outer, correlated);
    if (!input) return undefined;
    return local!.length > 0 ? { kind: "filter", input, predicate: makeAnd(local!)! } : input;
  }
  // An emit may drop a column a pulled conjunct reads.
  if (plan.kind !== "join" || plan.emit !== undefined) return undefined;
  const inner = plan.joinType === "inner";
  // An inner join's condition filters like a WHERE above it; another join's may not read the outer query.
  const defined = definedColumns(plan);
  const condition = !plan.condition ? [] : inner ? splitCorrelated(plan.condition, defined, outer, correlated) : [...exprFreeColumns(plan.condition)].every((id) => defined.has(id)) ? conjuncts(plan.condition) : undefined;
  const passesLeft = inner || plan.joinType === "semi" || plan.joinType === "anti" || plan.joinType === "left";
  const left = passesLeft ? withoutCorrelated(plan.left, outer, correlated) : freeColumns(plan.left).size === 0 ? plan.left : undefined;
  const right = inner ? withoutCorrelated(plan.right, outer, correlated) : freeColumns(plan.right).size === 0 ? plan.right : undefined;
  return condition && left && right && { ...plan, left, right, condition: makeAnd(condition) };
}

/** A predicate's conjuncts over `defined` columns only; the correlated ones go to `correlated`. Undefined when one reads other columns. */
function splitCorrelated(predicate: Expr, defined: ReadonlySet<ColumnId>, outer: ReadonlySet<ColumnId>, correlated: Expr[]): Expr[] | undefined {
  const local: Expr[] = [];
  for (const p of conjuncts(predicate)) {
    const foreign = [...exprFreeColumns(p)].filter((id) => !defined.has(id));
    if (foreign.length === 0) local.push(p);
    else if (foreign.every((id) => outer.has(id)) && !containsSubquery(p)) correlated.push(p);
    else return undefined;
  }
  return local;
}

/** A correlated conjunct `inner = outer`: an expression over the subquery's columns equal to one over the outer query's. */
export interface CorrelationPair {
  inner: Expr;
  outer: Expr;
}

/** The correlated conjuncts as equalities between inner and outer expressions; undefined when one is anything else. */
export function correlationPairs(pulled: Pulled, outer: ReadonlySet<ColumnId>): CorrelationPair[] | undefined {
  const innerIds = new Set(outputColumns(pulled.inner).map((c) => c.id));
  const pairs: CorrelationPair[] = [];
  for (const p of pulled.correlated) {
    if (p.kind !== "call" || p.fn !== "equal") return undefined;
    const [a, b] = p.args;
    const side = (x: Expr) => {
      const cols = [...columnsOf(x)];
      if (cols.length > 0 && cols.every((id) => innerIds.has(id))) return "inner";
      if (cols.length > 0 && cols.every((id) => outer.has(id))) return "outer";
      return undefined;
    };
    if (side(a) === "inner" && side(b) === "outer") pairs.push({ inner: a, outer: b });
    else if (side(a) === "outer" && side(b) === "inner") pairs.push({ inner: b, outer: a });
    else return undefined;
  }
  return pairs;
}

/**
 * The subquery's side of the correlation as grouping columns (one per distinct inner
 * expression), and the join condition that matches them with the outer sides.
 */
export function keyGroups(pairs: readonly CorrelationPair[], ids: ColumnIds): { groups: { column: ColumnDef; expr: Expr }[]; condition: Expr } {
  const groups: { column: ColumnDef; expr: Expr }[] = [];
  const byKey = new Map<string, ColumnDef>();
  for (const p of pairs) {
    const key = exprKey(p.inner);
    if (!byKey.has(key)) {
      const column = ids.column(p.inner.kind === "column" ? "key" : "key_expr", p.inner.type);
      byKey.set(key, column);
      groups.push({ column, expr: p.inner });
    }
  }
  return { groups, condition: and(pairs.map((p) => compare("equal", p.outer, columnRef(byKey.get(exprKey(p.inner))!), undefined))) };
}

/** `e` reading the copies `map` gives (freshCopy's) in place of the columns it copied. */
export function renameColumns(e: Expr, map: ReadonlyMap<ColumnId, ColumnDef>): Expr {
  return mapExpr(e, (x) => (x.kind === "column" && map.has(x.id) ? { ...x, id: map.get(x.id)!.id } : x));
}

/** The same plan with new column ids throughout, for a subquery that must run twice. */
export function freshCopy(plan: LogicalPlan, ids: ColumnIds, map = new Map<ColumnId, ColumnDef>()): LogicalPlan {
  const def = (c: ColumnDef): ColumnDef => {
    let copy = map.get(c.id);
    if (!copy) {
      copy = ids.column(c.name, c.type);
      map.set(c.id, copy);
    }
    return { ...copy, type: c.type };
  };
  const expr = (e: Expr): Expr =>
    mapExpr(e, (x) => {
      if (x.kind === "column") return map.has(x.id) ? { ...x, id: map.get(x.id)!.id } : x;
      if (x.kind === "subquery") return { ...x, plan: copyPlan(x.plan) };
      return x;
    });
  const copyPlan = (p: LogicalPlan): LogicalPlan =>
    transformUp(p, (node) => {
      switch (node.kind) {
        case "scan": {
          const allColumns = node.allColumns.map(def);
          return { ...node, allColumns, columns: node.columns.map(def), filters: node.filters.map(expr) };
        }
        case "values":
          return { ...node, columns: node.columns.map(def), rows: node.rows.map((r) => r.map(expr)) };
        case "filter":
          return { ...node, predicate: expr(node.predicate) };
        case "project":
          return { ...node, outputs: node.outputs.map((o) => ({ expr: expr(o.expr), column: def(o.column) })) };
        case "join":
          return { ...node, condition: node.condition ? expr(node.condition) : undefined, emit: node.emit?.map((id) => map.get(id)?.id ?? id) };
        case "aggregate":
          return {
            ...node,
            groups: node.groups.map((g) => ({ expr: expr(g.expr), column: def(g.column) })),
            measures: node.measures.map((m) => ({ call: { ...m.call, args: m.call.args.map(expr) }, column: def(m.column) })),
          };
        case "window":
          return {
            ...node,
            functions: node.functions.map((f) => ({
              column: def(f.column),
              call: { ...f.call, args: f.call.args.map(expr), partitionBy: f.call.partitionBy.map(expr), orderBy: f.call.orderBy.map((k) => ({ ...k, expr: expr(k.expr) })) },
            })),
          };
        case "sort":
          return { ...node, keys: node.keys.map((k) => ({ ...k, expr: expr(k.expr) })) };
        case "unnest":
          return { ...node, list: expr(node.list), column: def(node.column) };
        case "limit":
          return node;
        case "set":
        case "recursive":
        case "working_table":
          return { ...node, columns: node.columns.map(def) };
      }
    });
  return copyPlan(plan);
}

/** What each measure comes to over no rows: 0 for the counts, NULL for the rest (the value a group a join did not find stands for). */
export function valuesOverNoRows(measures: readonly Measure[]): Map<ColumnId, Expr> {
  return new Map(measures.map((m) => [m.column.id, COUNTING_AGGREGATES.has(m.call.fn) ? literal(m.call.type.kind === "fp64" ? 0 : 0n, withNullable(m.call.type, false)) : literal(null, withNullable(m.call.type, true))]));
}
