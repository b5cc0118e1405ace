// Join ordering for trees of inner joins. Each tree is flattened into its relations and the
// conjuncts of its conditions, then rebuilt left-deep, greedily: start from the largest
// relation (it streams, as the probe side), then add the connected relation that keeps the
// intermediate result smallest, as the build side. Relations connected by no predicate come
// last, as cross products. Before that, a relation that meets only one other and filters it
// is joined to that one first (see absorbFilteringSatellites), and filters through a copy of
// itself the relations that join its partner on the same key (see filterSideways). Estimates
// use catalog row counts when present (see cardinality.ts).
import { freshCopy } from "../bind/correlation.ts";
import type { ColumnIds } from "../bind/binder.ts";
import type { ColumnDef, ColumnId, ColumnRef, Expr, LogicalPlan } from "../logical.ts";
import { children, columnEquality, columnsOf, conjuncts, isScanJoinTree, makeAnd, outputColumns, withChildren } from "../plan-utils.ts";
import { estimateRows, keyDistinctValues } from "./cardinality.ts";
import { mapSubqueryPlans } from "./rewrite.ts";

/** Larger join trees keep the order the query wrote: the greedy pass is quadratic in relations. */
export const MAX_REORDERED_RELATIONS = 64;

/** With `ids`, satellites also filter other relations through copies of themselves (filterSideways). */
export function reorderJoins(plan: LogicalPlan, ids?: ColumnIds): LogicalPlan {
  return mapSubqueryPlans(visit(plan, ids), (p) => reorderJoins(p, ids));
}

/** Top-down, so each maximal tree of inner joins is reordered once, as a whole. */
function visit(plan: LogicalPlan, ids: ColumnIds | undefined): LogicalPlan {
  if (isInnerJoin(plan)) return reorderTree(plan, ids);
  return withChildren(plan, children(plan).map((c) => visit(c, ids)));
}

function isInnerJoin(p: LogicalPlan): p is LogicalPlan & { kind: "join" } {
  return p.kind === "join" && p.joinType === "inner" && !p.emit;
}

function flatten(p: LogicalPlan, relations: LogicalPlan[], predicates: Expr[]): void {
  if (isInnerJoin(p)) {
    flatten(p.left, relations, predicates);
    flatten(p.right, relations, predicates);
    predicates.push(...conjuncts(p.condition));
  } else relations.push(p);
}

interface Relation {
  readonly plan: LogicalPlan;
  readonly columns: ReadonlySet<ColumnId>;
  readonly rows: number;
}

function reorderTree(root: LogicalPlan & { kind: "join" }, ids: ColumnIds | undefined): LogicalPlan {
  const plans: LogicalPlan[] = [];
  const predicates: Expr[] = [];
  flatten(root, plans, predicates);
  plans.forEach((p, i) => (plans[i] = visit(p, ids)));
  if (plans.length > MAX_REORDERED_RELATIONS) return root;
  const absorbed: Absorbed[] = [];
  let relations: Relation[] = absorbFilteringSatellites(
    plans.map((plan) => ({ plan, columns: new Set(outputColumns(plan).map((c) => c.id)), rows: estimateRows(plan) })),
    predicates,
    absorbed,
    ids,
  );
  if (ids) relations = relations.map((r) => filterSideways(r, predicates, absorbed, ids));
  const owner = (id: ColumnId) => relations.findIndex((r) => r.columns.has(id));
  const predicateRelations = predicates.map((p) => new Set([...columnsOf(p)].map(owner)));

  const remaining = new Set(relations.map((_, i) => i));
  let start = 0;
  for (const i of remaining) if (relations[i].rows > relations[start].rows) start = i;
  remaining.delete(start);
  const joined = new Set([start]);
  let tree: LogicalPlan = relations[start].plan;
  let treeRows = relations[start].rows;
  const used = new Set<number>();

  while (remaining.size > 0) {
    let best: number | undefined;
    let bestRows = Infinity;
    for (const i of remaining) {
      const connecting = predicates
        .map((p, k) => ({ p, k }))
        .filter(({ k }) => !used.has(k) && predicateRelations[k].has(i) && [...predicateRelations[k]].every((r) => r === i || joined.has(r)));
      if (connecting.length === 0) continue;
      const rows = joinRows(treeRows, relations[i], connecting.map((c) => c.p), relations);
      if (rows < bestRows || (rows === bestRows && best !== undefined && relations[i].rows < relations[best].rows)) {
        best = i;
        bestRows = rows;
      }
    }
    if (best === undefined) {
      // No predicate reaches the rest: cross the smallest next.
      for (const i of remaining) if (best === undefined || relations[i].rows < relations[best].rows) best = i;
      bestRows = treeRows * relations[best!].rows;
    }
    const next = best!;
    remaining.delete(next);
    joined.add(next);
    const conditionParts: Expr[] = [];
    predicates.forEach((p, k) => {
      if (!used.has(k) && [...predicateRelations[k]].every((r) => joined.has(r))) {
        used.add(k);
        conditionParts.push(p);
      }
    });
    tree = { kind: "join", joinType: "inner", left: tree, right: relations[next].plan, condition: makeAnd(conditionParts) };
    treeRows = Math.max(1, bestRows);
  }
  const leftover = predicates.filter((_, k) => !used.has(k));
  if (leftover.length > 0) tree = { kind: "filter", input: tree, predicate: makeAnd(leftover)! };
  // Parents refer to columns by id, but keep the original column order for anything positional.
  const originalOrder = outputColumns(root).map((c) => c.id);
  const newOrder = outputColumns(tree).map((c) => c.id);
  if (originalOrder.some((id, i) => newOrder[i] !== id)) {
    if (tree.kind === "join") tree = { ...tree, emit: originalOrder };
    else tree = { kind: "project", input: tree, outputs: outputColumns(root).map((c) => ({ column: c, expr: { kind: "column", id: c.id, type: c.type } })) };
  }
  return tree;
}

/** A satellite is absorbed when joining it keeps at most this share of its partner's rows. */
const SATELLITE_MAX_KEPT = 0.5;

/**
 * Joins first each relation that meets only one other and filters it (a customer segment that
 * picks a fifth of the orders): the pair becomes one relation, so the tree is bushy where that
 * helps. Left-deep, the filter would apply only after its partner met the largest relation;
 * across nodes, the whole partner would be sent there. The smallest satellite goes first: it is
 * the one a node can hold whole and filter its partner with where the partner's rows are (TPC-H
 * Q7's German and French customers pick their orders before the orders meet their lineitems,
 * rather than after). Takes the predicates it joins on out of `predicates`.
 */
function absorbFilteringSatellites(relations: Relation[], predicates: Expr[], absorbed: Absorbed[], ids: ColumnIds | undefined): Relation[] {
  for (;;) {
    const owner = (id: ColumnId) => relations.findIndex((r) => r.columns.has(id));
    let chosen: { satellite: number; partner: number; joining: Expr[]; rows: number } | undefined;
    for (let i = 0; i < relations.length; i++) {
      const satellite = relations[i];
      if (chosen && satellite.rows >= relations[chosen.satellite].rows) continue;
      // Its join keys: equalities between one of its columns and another relation's. Other
      // conditions that name it (an OR across two relations) stay for when both are joined.
      const joining = predicates.filter((p) => {
        const sides = columnEquality(p)?.map((c) => owner(c.id));
        return sides !== undefined && sides.includes(i) && sides.some((r) => r !== i);
      });
      const partners = new Set(joining.flatMap((p) => [...columnsOf(p)].map(owner)).filter((r) => r !== i));
      if (joining.length === 0 || partners.size !== 1 || partners.has(-1)) continue;
      const partner = [...partners][0];
      if (satellite.rows > relations[partner].rows) continue;
      const rows = joinRows(relations[partner].rows, satellite, joining, relations);
      if (rows <= relations[partner].rows * SATELLITE_MAX_KEPT) chosen = { satellite: i, partner, joining, rows };
    }
    if (!chosen) return relations;
    const { satellite, partner, joining, rows } = chosen;
    // The pair's condition: its keys, then whatever else names only the two of them.
    const between = predicates.filter((p) => !joining.includes(p) && [...columnsOf(p)].every((id) => [satellite, partner].includes(owner(id))));
    // Either side may meet, on these keys, a key an earlier satellite filtered.
    const [host, joined] = [relations[partner], relations[satellite]].map((r) => (ids ? filterSideways(r, joining, absorbed, ids) : r));
    const pair: Relation = {
      plan: { kind: "join", joinType: "inner", left: host.plan, right: joined.plan, condition: makeAnd([...joining, ...between]) },
      columns: new Set([...relations[partner].columns, ...relations[satellite].columns]),
      rows: Math.max(1, rows),
    };
    for (const p of [...joining, ...between]) predicates.splice(predicates.indexOf(p), 1);
    absorbed.push({ satellite: relations[satellite], joining, kept: rows / relations[partner].rows });
    // The pair may be a satellite of a third relation now.
    relations = relations.map((r, k) => (k === partner ? pair : r)).filter((_, k) => k !== satellite);
  }
}

/** A satellite joined to its partner, on `joining` (equalities), keeping `kept` of the partner's rows. */
interface Absorbed {
  satellite: Relation;
  joining: readonly Expr[];
  kept: number;
}

/** A relation this large is worth a semi join with a copy of a satellite (a stage more, a broadcast of the satellite's keys). */
const SIDEWAYS_MIN_ROWS = 50_000;
/** Satellites copied are at most this large: every node holds the copy. */
const SIDEWAYS_MAX_SATELLITE_ROWS = 100_000;

/**
 * A satellite that filters its partner on a key filters every relation joined to the partner on
 * that same key: TPC-H Q9's green parts pick a nineteenth of the lineitems by l_partkey, and
 * partsupp meets lineitem on ps_partkey = l_partkey. Such a relation (`equalities` are the ones
 * it is joined on) gets a semi join with a copy of the satellite (fresh column ids) on its own
 * key, so it is filtered where its rows are before it meets the partner: Q9 broadcast all
 * 800,000 partsupp rows to every node. It applies to both sides of a later absorption (the
 * partner may be the one meeting the key) and to the relations left unabsorbed.
 */
function filterSideways(relation: Relation, equalities: readonly Expr[], absorbed: readonly Absorbed[], ids: ColumnIds): Relation {
  if (relation.rows < SIDEWAYS_MIN_ROWS) return relation;
  let { plan, rows } = relation;
  for (const { satellite, joining, kept } of absorbed) {
    // Not a satellite this relation holds already (as part of a pair), nor one a copy of which
    // might keep other rows (a LIMIT without an order) or cost more than a scan.
    if (satellite.rows > SIDEWAYS_MAX_SATELLITE_ROWS || [...satellite.columns].some((id) => relation.columns.has(id)) || !isScanJoinTree(satellite.plan)) continue;
    for (const key of joining) {
      const [a, b] = columnEquality(key)!;
      const [own, partnerKey] = satellite.columns.has(a.id) ? [a, b] : [b, a];
      // An equality of one of this relation's columns with the partner's key column.
      const mine = equalities
        .map(columnEquality)
        .map((pair) => pair && (pair[0].id === partnerKey.id ? pair[1] : pair[1].id === partnerKey.id ? pair[0] : undefined))
        .find((column) => column !== undefined && relation.columns.has(column.id));
      if (!mine) continue;
      const renamed = new Map<ColumnId, ColumnDef>();
      const copy = freshCopy(satellite.plan, ids, renamed);
      const theirs: ColumnRef = { ...own, id: renamed.get(own.id)!.id };
      plan = { kind: "join", joinType: "semi", left: plan, right: copy, condition: { kind: "call", fn: "equal", args: [mine, theirs], type: key.type } };
      rows = Math.max(1, rows * kept);
      break;
    }
  }
  return plan === relation.plan ? relation : { ...relation, plan, rows };
}

/** Rows of (tree ⋈ r): for each equality, divide by the distinct keys of the wider side. */
function joinRows(treeRows: number, r: Relation, connecting: Expr[], relations: Relation[]): number {
  let rows = treeRows * r.rows;
  let equalities = 0;
  for (const p of connecting) {
    if (p.kind === "call" && p.fn === "equal") {
      const [a, b] = p.args;
      const da = keyDistinctValues(a, relations.map((x) => x.plan));
      const db = keyDistinctValues(b, relations.map((x) => x.plan));
      rows /= Math.max(da, db, 1);
      equalities++;
    } else rows *= 0.5;
  }
  if (equalities === 0) rows = Math.max(rows, treeRows);
  return rows;
}
