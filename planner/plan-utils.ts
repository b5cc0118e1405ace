// Shared traversal of the IR: output schemas, children, expression walks and rewrites.
import { invariant } from "../common/errors.ts";
import type {
  ColumnDef,
  ColumnId,
  ColumnRef,
  Expr,
  Join,
  LogicalPlan,
  ProjectOutput,
  SortKey,
  WindowCall,
  AggregateCall,
} from "./logical.ts";
import { type, withNullable, type SqlType } from "./types.ts";

const outputCache = new WeakMap<LogicalPlan, readonly ColumnDef[]>();

/** The columns a node produces, in order (the positions Substrait will see). */
export function outputColumns(plan: LogicalPlan): readonly ColumnDef[] {
  const cached = outputCache.get(plan);
  if (cached) return cached;
  const columns = computeOutputColumns(plan);
  outputCache.set(plan, columns);
  return columns;
}

function nullableColumns(columns: readonly ColumnDef[]): ColumnDef[] {
  return columns.map((c) => (c.type.nullable ? c : { ...c, type: withNullable(c.type, true) }));
}

/** What a join passes on before `emit` picks from it. */
export function joinColumns(join: Join): readonly ColumnDef[] {
  const left = outputColumns(join.left);
  const right = outputColumns(join.right);
  switch (join.joinType) {
    case "inner":
      return [...left, ...right];
    case "left":
      return [...left, ...nullableColumns(right)];
    case "right":
      return [...nullableColumns(left), ...right];
    case "full":
      return [...nullableColumns(left), ...nullableColumns(right)];
    case "semi":
    case "anti":
      return left;
  }
}

function computeOutputColumns(plan: LogicalPlan): readonly ColumnDef[] {
  switch (plan.kind) {
    case "scan":
    case "values":
    case "set":
    case "recursive":
    case "working_table":
      return plan.columns;
    case "filter":
    case "sort":
    case "limit":
      return outputColumns(plan.input);
    case "project":
      return plan.outputs.map((o) => o.column);
    case "join": {
      const all = joinColumns(plan);
      if (!plan.emit) return all;
      const byId = new Map(all.map((c) => [c.id, c]));
      return plan.emit.map((id) => {
        const c = byId.get(id);
        invariant(c, `join emits unknown column #${id}`);
        return c;
      });
    }
    case "aggregate":
      return [...plan.groups.map((g) => g.column), ...plan.measures.map((m) => m.column)];
    case "window":
      return [...outputColumns(plan.input), ...plan.functions.map((f) => f.column)];
    case "unnest":
      return [...outputColumns(plan.input), plan.column];
  }
}

export function children(plan: LogicalPlan): LogicalPlan[] {
  switch (plan.kind) {
    case "scan":
    case "values":
    case "working_table":
      return [];
    case "filter":
    case "project":
    case "aggregate":
    case "window":
    case "sort":
    case "limit":
    case "unnest":
      return [plan.input];
    case "join":
      return [plan.left, plan.right];
    case "set":
      return [...plan.inputs];
    case "recursive":
      return [plan.anchor, plan.step];
  }
}

/** The two columns of an equality between plain columns (`a = b`), or undefined. */
export function columnEquality(p: Expr): [ColumnRef, ColumnRef] | undefined {
  if (p.kind !== "call" || p.fn !== "equal" || p.args.length !== 2) return undefined;
  const [a, b] = p.args;
  return a.kind === "column" && b.kind === "column" ? [a, b] : undefined;
}

/**
 * Whether a plan is scans, filters, projections and inner joins only: it gives the same rows
 * every time it runs (no LIMIT without an order to pick them), so a copy of it may stand in
 * for it, and it runs where its scans' chunks are, given its joins' small sides.
 */
export function isScanJoinTree(plan: LogicalPlan): boolean {
  if (plan.kind === "join" && plan.joinType !== "inner") return false;
  if (plan.kind !== "scan" && plan.kind !== "filter" && plan.kind !== "project" && plan.kind !== "join") return false;
  return children(plan).every(isScanJoinTree);
}

export function withChildren(plan: LogicalPlan, kids: LogicalPlan[]): LogicalPlan {
  switch (plan.kind) {
    case "scan":
    case "values":
    case "working_table":
      return plan;
    case "filter":
    case "project":
    case "aggregate":
    case "window":
    case "sort":
    case "limit":
    case "unnest":
      return kids[0] === plan.input ? plan : { ...plan, input: kids[0] };
    case "join":
      return kids[0] === plan.left && kids[1] === plan.right ? plan : { ...plan, left: kids[0], right: kids[1] };
    case "set":
      return kids.every((k, i) => k === plan.inputs[i]) ? plan : { ...plan, inputs: kids };
    case "recursive":
      return kids[0] === plan.anchor && kids[1] === plan.step ? plan : { ...plan, anchor: kids[0], step: kids[1] };
  }
}

/** Rebuilds a plan bottom-up with `f` applied to every node after its children. */
export function transformUp(plan: LogicalPlan, f: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  const kids = children(plan);
  const newKids = kids.map((k) => transformUp(k, f));
  return f(withChildren(plan, newKids));
}

// ---- expressions ----

export function exprChildren(e: Expr): Expr[] {
  switch (e.kind) {
    case "column":
    case "literal":
    case "lambda_parameter":
      return [];
    case "lambda":
      return [e.body];
    case "call":
      return [...e.args];
    case "cast":
      return [e.input];
    case "case":
      return [...e.whens.flatMap((w) => [w.when, w.then]), ...(e.otherwise ? [e.otherwise] : [])];
    case "in_list":
      return [e.value, ...e.list];
    case "subquery":
      return e.needle ? [e.needle] : [];
    case "aggregate":
      return [...e.call.args];
    case "window":
      return [...e.call.args, ...e.call.partitionBy, ...e.call.orderBy.map((k) => k.expr)];
  }
}

/** Rewrites top-down: where `f` returns an expression, that replaces the subtree. */
export function rewriteTopDown(e: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const replaced = f(e);
  if (replaced) return replaced;
  const kids = exprChildren(e);
  if (kids.length === 0) return e;
  const rec = (x: Expr) => rewriteTopDown(x, f);
  switch (e.kind) {
    case "call":
      return { ...e, args: e.args.map(rec) };
    case "cast":
      return { ...e, input: rec(e.input) };
    case "case":
      return { ...e, whens: e.whens.map((w) => ({ when: rec(w.when), then: rec(w.then) })), otherwise: e.otherwise ? rec(e.otherwise) : undefined };
    case "in_list":
      return { ...e, value: rec(e.value), list: e.list.map(rec) };
    case "subquery":
      return e.needle ? { ...e, needle: rec(e.needle) } : e;
    case "lambda":
      return { ...e, body: rec(e.body) };
    case "aggregate":
      return { ...e, call: { ...e.call, args: e.call.args.map(rec) } };
    case "window":
      return {
        ...e,
        call: { ...e.call, args: e.call.args.map(rec), partitionBy: e.call.partitionBy.map(rec), orderBy: e.call.orderBy.map((k) => ({ ...k, expr: rec(k.expr) })) },
      };
    default:
      return e;
  }
}

/** Rewrites an expression bottom-up; `f` sees each node with its children already rewritten. */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  const rec = (x: Expr) => mapExpr(x, f);
  let next: Expr;
  switch (e.kind) {
    case "column":
    case "literal":
    case "lambda_parameter":
      next = e;
      break;
    case "lambda":
      next = { ...e, body: rec(e.body) };
      break;
    case "call":
      next = { ...e, args: e.args.map(rec) };
      break;
    case "cast":
      next = { ...e, input: rec(e.input) };
      break;
    case "case":
      next = {
        ...e,
        whens: e.whens.map((w) => ({ when: rec(w.when), then: rec(w.then) })),
        otherwise: e.otherwise ? rec(e.otherwise) : undefined,
      };
      break;
    case "in_list":
      next = { ...e, value: rec(e.value), list: e.list.map(rec) };
      break;
    case "subquery":
      next = e.needle ? { ...e, needle: rec(e.needle) } : e;
      break;
    case "aggregate":
      next = { ...e, call: { ...e.call, args: e.call.args.map(rec) } };
      break;
    case "window":
      next = { ...e, call: mapWindowCall(e.call, rec) };
      break;
  }
  return f(next);
}

export function mapWindowCall(call: WindowCall, f: (e: Expr) => Expr): WindowCall {
  return {
    ...call,
    args: call.args.map(f),
    partitionBy: call.partitionBy.map(f),
    orderBy: call.orderBy.map((k) => ({ ...k, expr: f(k.expr) })),
  };
}

export function mapAggregateCall(call: AggregateCall, f: (e: Expr) => Expr): AggregateCall {
  return { ...call, args: call.args.map(f) };
}

export function visitExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  for (const c of exprChildren(e)) visitExpr(c, f);
}

/** Column ids an expression reads, not counting those inside subquery plans. */
export function columnsOf(e: Expr, into = new Set<ColumnId>()): Set<ColumnId> {
  visitExpr(e, (x) => {
    if (x.kind === "column") into.add(x.id);
  });
  return into;
}

/** Whether `e` or an expression inside it (not inside subquery plans) passes `test`. */
export function exprSome(e: Expr, test: (x: Expr) => boolean): boolean {
  return test(e) || exprChildren(e).some((c) => exprSome(c, test));
}

export function containsSubquery(e: Expr): boolean {
  return exprSome(e, (x) => x.kind === "subquery");
}

export function replaceColumns(e: Expr, replacement: ReadonlyMap<ColumnId, Expr>): Expr {
  if (replacement.size === 0) return e;
  return mapExpr(e, (x) => (x.kind === "column" ? (replacement.get(x.id) ?? x) : x));
}

export const TRUE: Expr = { kind: "literal", value: true, type: type("boolean", false) };

export function conjuncts(e: Expr | undefined): Expr[] {
  if (!e) return [];
  if (e.kind === "call" && e.fn === "and") return e.args.flatMap((a) => conjuncts(a));
  if (e.kind === "literal" && e.value === true) return [];
  return [e];
}

export function disjuncts(e: Expr): Expr[] {
  if (e.kind === "call" && e.fn === "or") return e.args.flatMap((a) => disjuncts(a));
  return [e];
}

export function makeAnd(parts: readonly Expr[]): Expr | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return { kind: "call", fn: "and", args: parts, type: type("boolean", parts.some((p) => p.type.nullable)) };
}

export function makeOr(parts: readonly Expr[]): Expr {
  invariant(parts.length > 0, "empty OR");
  if (parts.length === 1) return parts[0];
  return { kind: "call", fn: "or", args: parts, type: type("boolean", parts.some((p) => p.type.nullable)) };
}

export function columnRef(c: ColumnDef): Expr {
  return { kind: "column", id: c.id, type: c.type };
}

/** Each column as itself: the outputs of a projection (or an aggregate's groups) that passes them through. */
export function passedThrough(columns: readonly ColumnDef[]): ProjectOutput[] {
  return columns.map((c) => ({ column: c, expr: columnRef(c) }));
}

const planIds = new WeakMap<LogicalPlan, number>();
let nextPlanId = 1;

/** A structural key: equal keys mean the same computation (used to match GROUP BY expressions). */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case "column":
      return `#${e.id}`;
    case "literal":
      return `lit(${typeKey(e.type)}:${literalKey(e.value)})`;
    case "call":
      return `${e.fn}${e.enumArgs ? `[${e.enumArgs.join(",")}]` : ""}(${e.args.map(exprKey).join(",")})`;
    case "cast":
      return `${e.try ? "try_cast" : "cast"}(${exprKey(e.input)} as ${typeKey(e.type)})`;
    case "case":
      return `case(${e.whens.map((w) => `${exprKey(w.when)}=>${exprKey(w.then)}`).join(";")};else ${e.otherwise ? exprKey(e.otherwise) : "null"})`;
    case "in_list":
      return `in(${exprKey(e.value)};${e.list.map(exprKey).join(",")})`;
    case "subquery": {
      let id = planIds.get(e.plan);
      if (id === undefined) planIds.set(e.plan, (id = nextPlanId++));
      return `subquery${id}(${e.op}${e.needle ? `;${exprKey(e.needle)}` : ""})`;
    }
    case "aggregate":
      return aggregateKey(e.call);
    case "window":
      return windowKey(e.call);
    case "lambda":
      return `lambda(${e.params.map((p) => typeKey(p.type)).join(",")})(${exprKey(e.body)})`;
    case "lambda_parameter":
      return `param(${e.stepsOut}.${e.index})`;
  }
}

export function aggregateKey(call: AggregateCall): string {
  const order = call.order?.map((k) => `${k.descending ? "desc" : "asc"} ${k.nullsFirst ? "nf" : "nl"}`).join(",");
  return `agg:${call.fn}${call.distinct ? " distinct" : ""}(${call.args.map(exprKey).join(",")}${order ? ` order ${order}` : ""})`;
}

/** An aggregate's value arguments and its sort keys (see AggregateCall.order). */
export function aggregateArguments(call: AggregateCall): { values: readonly Expr[]; sortKeys: SortKey[] } {
  const count = call.order?.length ?? 0;
  const values = call.args.slice(0, call.args.length - count);
  return { values, sortKeys: (call.order ?? []).map((k, i) => ({ expr: call.args[values.length + i], ...k })) };
}

export function sortKeyText(k: SortKey): string {
  return `${exprKey(k.expr)} ${k.descending ? "desc" : "asc"} ${k.nullsFirst ? "nf" : "nl"}`;
}

export function windowKey(call: WindowCall): string {
  const frame = call.frame ? JSON.stringify(call.frame) : "default";
  return `win:${call.fn}(${call.distinct ? "distinct " : ""}${call.args.map(exprKey).join(",")}${call.ignoreNulls ? " ignore nulls" : ""}) over(${call.partitionBy.map(exprKey).join(",")};${call.orderBy.map(sortKeyText).join(",")};${frame})`;
}

function typeKey(t: SqlType): string {
  return t.kind === "decimal" ? `dec${t.precision},${t.scale}` : t.kind;
}

function literalKey(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v !== null && typeof v === "object") return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
  return JSON.stringify(v);
}

/** Every column id defined by some node of the plan (including hidden table columns). */
export function definedColumns(plan: LogicalPlan, into = new Set<ColumnId>()): Set<ColumnId> {
  switch (plan.kind) {
    case "scan":
      for (const c of plan.allColumns) into.add(c.id);
      break;
    default:
      for (const c of outputColumns(plan)) into.add(c.id);
  }
  for (const k of children(plan)) definedColumns(k, into);
  return into;
}

/** The expressions a node evaluates itself (not those of its children). */
export function nodeExpressions(plan: LogicalPlan): Expr[] {
  switch (plan.kind) {
    case "scan":
      return [...plan.filters];
    case "values":
      return plan.rows.flat();
    case "filter":
      return [plan.predicate];
    case "project":
      return plan.outputs.map((o) => o.expr);
    case "join":
      return plan.condition ? [plan.condition] : [];
    case "aggregate":
      return [...plan.groups.map((g) => g.expr), ...plan.measures.flatMap((m) => m.call.args)];
    case "window":
      return plan.functions.flatMap((f) => [...f.call.args, ...f.call.partitionBy, ...f.call.orderBy.map((k) => k.expr)]);
    case "sort":
      return plan.keys.map((k) => k.expr);
    case "unnest":
      return [plan.list];
    case "limit":
    case "set":
    case "recursive":
    case "working_table":
      return [];
  }
}

/**
 * Columns a plan reads that it does not define: the outer columns a correlated subquery
 * refers to. Subquery expressions nested in the plan count with their own free columns.
 */
export function freeColumns(plan: LogicalPlan): Set<ColumnId> {
  const defined = definedColumns(plan);
  const free = new Set<ColumnId>();
  const visit = (p: LogicalPlan) => {
    for (const e of nodeExpressions(p)) {
      visitExpr(e, (x) => {
        if (x.kind === "column" && !defined.has(x.id)) free.add(x.id);
        if (x.kind === "subquery") for (const id of freeColumns(x.plan)) if (!defined.has(id)) free.add(id);
      });
    }
    for (const k of children(p)) visit(k);
  };
  visit(plan);
  return free;
}
