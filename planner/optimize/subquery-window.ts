// A query that compares its rows with an aggregate of the tables it reads, filtered as it filters
// them, is bound as a join of the query with that aggregate over a second reading of those tables
// (subqueries.ts). The second reading is the first: the aggregate becomes a window over one
// reading, and a scan of the tables (across nodes, a stage and its exchange) is saved.
//
// Correlated by a key the rest of the query holds (TPC-H Q2: the cheapest supply cost of each
// part among European suppliers; Q17: the average quantity ordered of each part), the aggregate
// grouped by the key, over the rows of the keys the rest holds, becomes a window partitioned by
// the key over those rows, joined with the rest. A partition holds exactly the rows the subquery
// aggregates for its key, so any aggregate keeps its value.
//
//   Join(outer.k = key)                          Join(rest ⋈ M on the query's own conditions)
//     outer: M ⋈ rest                      →       rest
//     Aggregate(key := m.k) f(e)                   Window(f(e) OVER (PARTITION BY m.k))
//       SemiJoin(M', keys of rest)                   SemiJoin(M, keys of rest)
//
// Only where the rest keeps a small share of the keys: over all of them (or with no rest at all)
// the window moves every row by its key, where the aggregate moves only its groups.
//
// Uncorrelated, beside the query's own grouped aggregate of the same rows (TPC-H Q11: the parts
// whose stock value is more than a share of the whole country's), a sum, min or max of the
// whole is that of the groups' sums, minimums or maximums: a window over all the groups.
//
//   CrossJoin                                    Window(f(g) OVER ())
//     Aggregate(groups) g := f(e) over M   →       Aggregate(groups) g := f(e) over M
//     Aggregate() f(e) over M'
import type { ColumnId, Expr, LogicalPlan, ProjectOutput, Scan, WindowOutput } from "../logical.ts";
import { aggregateKey, columnEquality, columnRef, columnsOf, conjuncts, containsSubquery, exprKey, makeAnd, outputColumns, passedThrough, replaceColumns, transformUp } from "../plan-utils.ts";
import { estimateRows, keyDistinctValues } from "./cardinality.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

/** The rest of the query keeps at most this share of the key's values for the rewrite to pay. */
const MAX_KEPT_KEY_SHARE = 0.25;
/** Aggregates computed as windows here (avg is bound as sum and count). */
const WINDOWED_AGGREGATES = new Set(["sum", "count", "min", "max"]);
/** A table the query reads more often than this is not matched (each assignment of the subquery's readings is tried). */
const MAX_SAME_TABLE_SCANS = 4;

/** Groups at most this many (estimated) are gathered to one place for a window over all of them. */
const MAX_TOTALLED_GROUPS = 1_000_000;
/** Aggregates whose value over all rows is the same aggregate of its values over groups of them. */
const REAGGREGATED = new Set(["sum", "min", "max"]);

export function aggregateJoinsAsWindows(plan: LogicalPlan): LogicalPlan {
  return transformUp(mapSubqueryPlans(plan, aggregateJoinsAsWindows), (node) => keyedAsWindow(node) ?? totalAsWindow(node) ?? node);
}

/** A plan flattened into its scans and the conjuncts of its filters and inner join conditions. */
interface Flat {
  scans: Scan[];
  predicates: Expr[];
}

function flatten(plan: LogicalPlan, into: Flat = { scans: [], predicates: [] }): Flat | undefined {
  if (plan.kind === "scan") {
    into.scans.push(plan);
    into.predicates.push(...plan.filters);
    return into;
  }
  if (plan.kind === "filter") {
    into.predicates.push(...conjuncts(plan.predicate));
    return flatten(plan.input, into);
  }
  if (plan.kind === "join" && plan.joinType === "inner" && !plan.emit) {
    into.predicates.push(...conjuncts(plan.condition));
    return flatten(plan.left, into) && flatten(plan.right, into);
  }
  return undefined;
}

function keyedAsWindow(node: LogicalPlan): LogicalPlan | undefined {
  if (node.kind !== "join" || node.joinType !== "inner" || node.emit || !node.condition) return undefined;
  const project = node.right.kind === "project" ? node.right : undefined;
  const aggregate = project ? project.input : node.right;
  if (aggregate.kind !== "aggregate" || aggregate.phase !== "single" || aggregate.groups.length === 0) return undefined;
  if (aggregate.measures.some((m) => !WINDOWED_AGGREGATES.has(m.call.fn) || m.call.distinct || m.call.order)) return undefined;
  // The subquery's rows, restricted by a semi join to the keys the query keeps.
  const semi = aggregate.input;
  if (semi.kind !== "join" || semi.joinType !== "semi" || semi.emit || !semi.condition) return undefined;
  const outer = flatten(node.left);
  const inner = flatten(semi.left);
  if (!outer || !inner || [...outer.predicates, ...inner.predicates].some(containsSubquery)) return undefined;

  // The join: each group's column equal to a column of the query, nothing else.
  const outerKeyOf = new Map<ColumnId, ColumnId>();
  const groupIds = new Set(aggregate.groups.map((g) => g.column.id));
  for (const part of conjuncts(node.condition)) {
    const pair = columnEquality(part);
    const group = pair?.find((c) => groupIds.has(c.id));
    const other = pair?.find((c) => c !== group);
    if (!group || !other || groupIds.has(other.id) || outerKeyOf.has(group.id)) return undefined;
    outerKeyOf.set(group.id, other.id);
  }
  if (outerKeyOf.size !== groupIds.size) return undefined;

  const mapping = matchScans(inner, outer);
  if (!mapping) return undefined;
  const { innerToOuter, matched } = mapping;
  const toOuter = (e: Expr) => replaceColumns(e, innerToOuter);
  const mColumns = new Set(matched.flatMap((s) => s.allColumns.map((c) => c.id)));
  // Over the subquery's tables alone a window moves all their rows by the key, where the aggregate
  // moves its groups (measured: 4 s against 1.4 for each lineitem against its part's largest).
  const rest = outer.scans.filter((s) => !matched.includes(s));
  if (rest.length === 0) return undefined;

  // The keys: each group is a column of the matched tables the query equates with its side of the join.
  const partitionBy: Expr[] = [];
  const keyColumns = new Set<ColumnId>();
  const keyOf = new Map<ColumnId, Expr>();
  for (const group of aggregate.groups) {
    if (group.expr.kind !== "column") return undefined;
    const key = toOuter(group.expr);
    if (key.kind !== "column" || !mColumns.has(key.id)) return undefined;
    const outerKey = outerKeyOf.get(group.column.id)!;
    const equated = key.id === outerKey || outer.predicates.some((p) => sameColumns(columnEquality(p), key.id, outerKey));
    if (!equated) return undefined;
    partitionBy.push(key);
    keyColumns.add(key.id);
    keyOf.set(group.column.id, key);
  }

  // Worth it only where the other tables keep few of the key's values.
  if (estimateRows(semi.right) > keyDistinctValues(partitionBy[0], matched) * MAX_KEPT_KEY_SHARE) return undefined;

  // The semi join restricting the keys reads the subquery's columns: the query's, once mapped. It
  // restricts the query's rows too, so it may read their keys only: a row whose key it drops has
  // no group of the aggregate, and the inner join with the groups dropped it as well.
  const restriction = toOuter(semi.condition);
  const sourceColumns = new Set(outputColumns(semi.right).map((c) => c.id));
  if ([...columnsOf(restriction)].some((id) => (mColumns.has(id) ? !keyColumns.has(id) : !sourceColumns.has(id)))) return undefined;

  const mPredicates: Expr[] = [];
  const restPredicates: Expr[] = [];
  const linking: Expr[] = [];
  const constant: Expr[] = [];
  for (const p of outer.predicates) {
    const ids = [...columnsOf(p)];
    if (ids.length === 0) constant.push(p);
    else if (ids.every((id) => mColumns.has(id))) mPredicates.push(p);
    else if (ids.some((id) => mColumns.has(id))) linking.push(p);
    else restPredicates.push(p);
  }

  const keyed: LogicalPlan = { kind: "join", joinType: "semi", left: crossFiltered(matched, mPredicates), right: semi.right, condition: restriction };
  const functions: WindowOutput[] = aggregate.measures.map((m) => ({
    column: m.column,
    call: { fn: m.call.fn, args: m.call.args.map(toOuter), partitionBy, orderBy: [], frame: undefined, type: m.call.type },
  }));
  const windowed: LogicalPlan = { kind: "window", input: keyed, functions };
  const aggregated: ProjectOutput[] = project
    ? project.outputs.map((o) => ({ column: o.column, expr: replaceColumns(o.expr, keyOf) }))
    : [...aggregate.groups.map((g) => ({ column: g.column, expr: keyOf.get(g.column.id)! })), ...aggregate.measures.map((m) => ({ column: m.column, expr: columnRef(m.column) }))];
  const withAggregates: LogicalPlan = { kind: "project", input: windowed, outputs: [...passedThrough(outputColumns(keyed)), ...aggregated] };
  const joined: LogicalPlan = {
    kind: "join",
    joinType: "inner",
    left: crossFiltered(rest, restPredicates),
    right: withAggregates,
    condition: makeAnd([...linking, ...conjuncts(node.condition)]),
    // The columns in the order the join gave them: anything positional above stays as it was.
    emit: outputColumns(node).map((c) => c.id),
  };
  return constant.length > 0 ? { kind: "filter", input: joined, predicate: makeAnd(constant)! } : joined;
}


function sameColumns(pair: [{ id: ColumnId }, { id: ColumnId }] | undefined, a: ColumnId, b: ColumnId): boolean {
  return pair !== undefined && ((pair[0].id === a && pair[1].id === b) || (pair[0].id === b && pair[1].id === a));
}

/** Scans crossed, in order, under a filter of `predicates` (later rules make joins of them). */
function crossFiltered(scans: readonly Scan[], predicates: readonly Expr[]): LogicalPlan {
  const bare = scans.map((s) => (s.filters.length > 0 ? { ...s, filters: [] } : s));
  const crossed = bare.slice(1).reduce<LogicalPlan>((tree, scan) => ({ kind: "join", joinType: "inner", left: tree, right: scan, condition: undefined }), bare[0]);
  const condition = makeAnd(predicates);
  return condition ? { kind: "filter", input: crossed, predicate: condition } : crossed;
}

/**
 * An assignment of the subquery's scans to distinct scans of the query, of the same tables, under
 * which the subquery's conditions are exactly the query's conditions on those scans; with the
 * subquery's columns as the query's.
 */
function matchScans(inner: Flat, outer: Flat): { innerToOuter: Map<ColumnId, Expr>; matched: Scan[] } | undefined {
  const tableOf = (s: Scan) => s.table.names.join(".");
  const candidates = inner.scans.map((s) => outer.scans.filter((o) => tableOf(o) === tableOf(s)));
  if (candidates.some((c) => c.length === 0 || c.length > MAX_SAME_TABLE_SCANS)) return undefined;
  const innerKeys = canonicalSet(inner.predicates, inner.scans);
  const chosen: Scan[] = [];
  const search = (i: number): Scan[] | undefined => {
    if (i === inner.scans.length) {
      const owned = new Set(chosen.flatMap((s) => s.allColumns.map((c) => c.id)));
      const theirs = outer.predicates.filter((p) => {
        const ids = [...columnsOf(p)];
        return ids.length > 0 && ids.every((id) => owned.has(id));
      });
      return canonicalSet(theirs, chosen) === innerKeys ? [...chosen] : undefined;
    }
    for (const candidate of candidates[i]) {
      if (chosen.includes(candidate)) continue;
      chosen.push(candidate);
      const found = search(i + 1);
      chosen.pop();
      if (found) return found;
    }
    return undefined;
  };
  const matched = search(0);
  if (!matched) return undefined;
  const innerToOuter = new Map<ColumnId, Expr>();
  inner.scans.forEach((scan, i) => scan.allColumns.forEach((column, field) => innerToOuter.set(column.id, columnRef(matched[i].allColumns[field]))));
  return { innerToOuter, matched };
}

/**
 * Conditions over scans as one string, each column named by its scan's place and its field, the
 * two sides of an equality in one order: equal strings, the same conditions on the same tables.
 */
function canonicalSet(predicates: readonly Expr[], scans: readonly Scan[]): string {
  const canonical = new Map<ColumnId, Expr>();
  scans.forEach((scan, s) => scan.allColumns.forEach((column, field) => canonical.set(column.id, { kind: "column", id: -(s * 100_000 + field + 1), type: column.type })));
  const keys = predicates.map((p) => {
    const renamed = replaceColumns(p, canonical);
    if (renamed.kind === "call" && renamed.fn === "equal" && renamed.args.length === 2) return `equal(${renamed.args.map(exprKey).sort().join(",")})`;
    return exprKey(renamed);
  });
  return keys.sort().join("\n");
}

function totalAsWindow(node: LogicalPlan): LogicalPlan | undefined {
  if (node.kind !== "join" || node.joinType !== "inner" || node.emit || node.condition) return undefined;
  const grouped = node.left;
  const project = node.right.kind === "project" ? node.right : undefined;
  const total = project ? project.input : node.right;
  if (grouped.kind !== "aggregate" || grouped.phase !== "single" || grouped.groups.length === 0) return undefined;
  if (total.kind !== "aggregate" || total.phase !== "single" || total.groups.length > 0) return undefined;
  const outer = flatten(grouped.input);
  const inner = flatten(total.input);
  if (!outer || !inner || [...outer.predicates, ...inner.predicates].some(containsSubquery)) return undefined;
  const mapping = matchScans(inner, outer);
  if (!mapping || mapping.matched.length !== outer.scans.length) return undefined;
  // Groups are at most the product of their keys' distinct values (the bound plan's joins are
  // still filtered cross products: estimated as such, far too many).
  const groups = grouped.groups.reduce((n, g) => n * keyDistinctValues(g.expr, outer.scans), 1);
  if (Math.min(groups, estimateRows(grouped)) > MAX_TOTALLED_GROUPS) return undefined;
  // Each measure of the whole: the same aggregate of the same values as one of the groups'.
  const functions: WindowOutput[] = [];
  for (const m of total.measures) {
    if (!REAGGREGATED.has(m.call.fn) || m.call.distinct || m.call.order) return undefined;
    const key = aggregateKey({ ...m.call, args: m.call.args.map((a) => replaceColumns(a, mapping.innerToOuter)) });
    const same = grouped.measures.find((g) => aggregateKey(g.call) === key);
    if (!same) return undefined;
    functions.push({ column: m.column, call: { fn: m.call.fn, args: [columnRef(same.column)], partitionBy: [], orderBy: [], frame: undefined, type: m.call.type } });
  }
  const windowed: LogicalPlan = { kind: "window", input: grouped, functions };
  if (!project) return windowed;
  return { kind: "project", input: windowed, outputs: [...passedThrough(outputColumns(grouped)), ...project.outputs] };
}
