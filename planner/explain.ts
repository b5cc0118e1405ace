// The optimized plan as an indented tree, one operator a line, expressions in SQL-like text
// with column names (and #ids where a name alone would be ambiguous).
import type { ColumnDef, ColumnId, Expr, LogicalPlan, SortKey, WindowCall, AggregateCall } from "./logical.ts";
import { formatDateDays as formatDate, formatTimestampMicros as formatTimestamp, formatTimestampNanos } from "../common/temporal.ts";
import { aggregateArguments, children, joinColumns, outputColumns } from "./plan-utils.ts";
import { typeName } from "./types.ts";

const INFIX: Record<string, string> = {
  add: "+", subtract: "-", multiply: "*", divide: "/", divide_or_null: "//", modulus: "%",
  equal: "=", not_equal: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=", and: "AND", or: "OR", like: "LIKE",
};

export function explainPlan(plan: LogicalPlan): string {
  const names = new Map<ColumnId, string>();
  const collect = (p: LogicalPlan) => {
    for (const c of p.kind === "scan" ? p.allColumns : outputColumns(p)) names.set(c.id, c.name);
    if (p.kind === "join") for (const c of joinColumns(p)) names.set(c.id, c.name);
    for (const k of children(p)) collect(k);
  };
  collect(plan);
  // Names used by more than one column get their id appended.
  const counts = new Map<string, Set<ColumnId>>();
  for (const [id, name] of names) {
    const ids = counts.get(name) ?? new Set<ColumnId>();
    ids.add(id);
    counts.set(name, ids);
  }
  const label = (id: ColumnId) => {
    const name = names.get(id) ?? "?";
    return (counts.get(name)?.size ?? 0) > 1 ? `${name}#${id}` : name;
  };
  const lines: string[] = [];
  const walk = (p: LogicalPlan, depth: number) => {
    lines.push(`${"  ".repeat(depth)}${describe(p, label)}`);
    for (const k of children(p)) walk(k, depth + 1);
  };
  walk(plan, 0);
  return lines.join("\n");
}

function describe(p: LogicalPlan, label: (id: ColumnId) => string): string {
  const e = (x: Expr) => exprText(x, label);
  const col = (c: ColumnDef) => label(c.id);
  switch (p.kind) {
    case "scan": {
      const filters = p.filters.length > 0 ? ` filters=[${p.filters.map(e).join(", ")}]` : "";
      return `Scan ${p.table.names.join(".")} [${p.columns.map(col).join(", ")}]${filters}`;
    }
    case "values":
      return `Values ${p.rows.length} row${p.rows.length === 1 ? "" : "s"}`;
    case "filter":
      return `Filter ${e(p.predicate)}`;
    case "project":
      return `Project ${p.outputs.map((o) => (o.expr.kind === "column" && o.expr.id === o.column.id ? col(o.column) : `${col(o.column)} := ${e(o.expr)}`)).join(", ")}`;
    case "join": {
      const kind = p.condition ? `${p.joinType[0].toUpperCase()}${p.joinType.slice(1)}Join` : "CrossJoin";
      const emit = p.emit ? ` emit=[${p.emit.map(label).join(", ")}]` : "";
      return `${kind}${p.condition ? ` ${e(p.condition)}` : ""}${emit}`;
    }
    case "aggregate": {
      const phase = p.phase === "single" ? "" : `(${p.phase})`;
      const groups = p.groups.map((g) => (g.expr.kind === "column" && g.expr.id === g.column.id ? col(g.column) : `${col(g.column)} := ${e(g.expr)}`));
      const measures = p.measures.map((m) => `${col(m.column)} := ${aggregateText(m.call, e)}`);
      return `Aggregate${phase} groups=[${groups.join(", ")}] measures=[${measures.join(", ")}]`;
    }
    case "window":
      return `Window ${p.functions.map((f) => `${col(f.column)} := ${windowText(f.call, e)}`).join(", ")}`;
    case "sort":
      return `Sort ${p.keys.map((k) => sortText(k, e)).join(", ")}`;
    case "limit":
      return `Limit ${p.count ?? "ALL"}${p.offset ? ` offset ${p.offset}` : ""}`;
    case "set":
      return `${p.op.toUpperCase().replace("_", " ")} [${p.columns.map(col).join(", ")}]`;
    case "recursive":
      return `Recursive${p.all ? " ALL" : ""} ${p.workingTable} [${p.columns.map(col).join(", ")}]`;
    case "working_table":
      return `WorkingTable ${p.name} [${p.columns.map(col).join(", ")}]`;
    case "unnest":
      return `Unnest ${col(p.column)} := unnest(${e(p.list)})`;
  }
}

function sortText(k: SortKey, e: (x: Expr) => string): string {
  return `${e(k.expr)} ${k.descending ? "DESC" : "ASC"}${k.nullsFirst ? " NULLS FIRST" : ""}`;
}

function aggregateText(call: AggregateCall, e: (x: Expr) => string): string {
  const { values, sortKeys } = aggregateArguments(call);
  const order = sortKeys.length > 0 ? ` ORDER BY ${sortKeys.map((k) => sortText(k, e)).join(", ")}` : "";
  return `${call.fn}(${call.distinct ? "DISTINCT " : ""}${values.length === 0 ? "*" : values.map(e).join(", ")}${order})`;
}

function windowText(call: WindowCall, e: (x: Expr) => string): string {
  const parts: string[] = [];
  if (call.partitionBy.length > 0) parts.push(`PARTITION BY ${call.partitionBy.map(e).join(", ")}`);
  if (call.orderBy.length > 0) parts.push(`ORDER BY ${call.orderBy.map((k) => sortText(k, e)).join(", ")}`);
  if (call.frame) parts.push(`${call.frame.unit.toUpperCase()} ${JSON.stringify(call.frame.lower)}..${JSON.stringify(call.frame.upper)}${call.frame.exclude ? ` EXCLUDE ${call.frame.exclude}` : ""}`);
  return `${call.fn}(${call.distinct ? "DISTINCT " : ""}${call.args.map(e).join(", ")}${call.ignoreNulls ? " IGNORE NULLS" : ""}) OVER (${parts.join(" ")})`;
}

export function exprText(x: Expr, label: (id: ColumnId) => string): string {
  const e = (y: Expr) => exprText(y, label);
  switch (x.kind) {
    case "column":
      return label(x.id);
    case "literal":
      return literalText(x.value, x.type.kind, x.type);
    case "call": {
      const infix = INFIX[x.fn];
      if (infix && x.args.length >= 2) return `(${x.args.map(e).join(` ${infix} `)})`;
      if (x.fn === "not") return `NOT ${e(x.args[0])}`;
      if (x.fn === "is_null") return `${e(x.args[0])} IS NULL`;
      if (x.fn === "is_not_null") return `${e(x.args[0])} IS NOT NULL`;
      const enums = x.enumArgs ? x.enumArgs.join(" ") + (x.args.length > 0 ? " FROM " : "") : "";
      return `${x.fn}(${enums}${x.args.map(e).join(", ")})`;
    }
    case "cast":
      return `${x.try ? "TRY_CAST" : "CAST"}(${e(x.input)} AS ${typeName(x.type)})`;
    case "case":
      return `CASE ${x.whens.map((w) => `WHEN ${e(w.when)} THEN ${e(w.then)}`).join(" ")}${x.otherwise ? ` ELSE ${e(x.otherwise)}` : ""} END`;
    case "in_list":
      return `${e(x.value)} IN (${x.list.map(e).join(", ")})`;
    case "subquery": {
      const body = explainPlan(x.plan).replace(/\n/g, "\n    ");
      const head = x.op === "scalar" ? "SUBQUERY" : x.op === "exists" ? "EXISTS" : `${e(x.needle!)} IN`;
      return `${head} (\n    ${body})`;
    }
    case "aggregate":
      return aggregateText(x.call, e);
    case "window":
      return windowText(x.call, e);
    case "lambda":
      return `(${x.params.map((p) => p.name).join(", ")}) -> ${e(x.body)}`;
    case "lambda_parameter":
      return x.name;
  }
}

function literalText(value: unknown, kind: string, t: { scale?: number }): string {
  if (value === null) return "NULL";
  switch (kind) {
    case "string":
      return `'${String(value).replace(/'/g, "''")}'`;
    case "date":
      return `DATE '${formatDate(Number(value))}'`;
    case "timestamp":
      return `TIMESTAMP '${formatTimestamp(value as bigint)}'`;
    case "timestamp_tz":
      return `TIMESTAMPTZ '${formatTimestamp(value as bigint)}+00'`;
    case "timestamp_ns":
      return `TIMESTAMP_NS '${formatTimestampNanos(value as bigint)}'`;
    case "uuid":
      return `UUID '${value}'`;
    case "decimal": {
      const v = value as bigint;
      const scale = t.scale ?? 0;
      const negative = v < 0n;
      const digits = (negative ? -v : v).toString().padStart(scale + 1, "0");
      const text = scale > 0 ? `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}` : digits;
      return negative ? `-${text}` : text;
    }
    case "interval_year":
    case "interval_day":
    case "interval_compound": {
      const iv = value as { months: number; days: number; micros: bigint };
      const parts = [iv.months ? `${iv.months} months` : "", iv.days ? `${iv.days} days` : "", iv.micros ? `${iv.micros} microseconds` : ""].filter(Boolean);
      return `INTERVAL '${parts.join(" ") || "0 days"}'`;
    }
    default:
      return String(value);
  }
}
