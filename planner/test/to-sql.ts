// Test support: a logical plan rendered back into DuckDB SQL, operator by operator, so the
// planner's semantics (decorrelation, NOT IN, pushdown, reordering, two-phase aggregates) can
// be checked against DuckDB running the original SQL on the same data. Every column is named
// c<id>; ids are unique within a plan, so correlated references need no qualification.
import type { AggregateCall, AggregatePhase, Expr, IntervalValue, LogicalPlan, SortKey, WindowCall } from "../logical.ts";
import { formatDateDays as formatDate, formatTimestampMicros as formatTimestamp, formatTimestampNanos } from "../../common/temporal.ts";
import { joinColumns, outputColumns } from "../plan-utils.ts";
import { typeName, type SqlType } from "../types.ts";

const c = (id: number) => (id < 0 ? `cm${-id}` : `c${id}`);

export function planToSql(plan: LogicalPlan): string {
  switch (plan.kind) {
    case "scan": {
      const names = new Map(plan.allColumns.map((col) => [col.id, `"${col.name}"`]));
      const select = plan.columns.map((col) => `"${col.name}" AS ${c(col.id)}`).join(", ");
      const where = plan.filters.length > 0 ? ` WHERE ${plan.filters.map((f) => exprSql(f, names)).join(" AND ")}` : "";
      return `SELECT ${select} FROM ${plan.table.names.join(".")}${where}`;
    }
    case "values":
      if (plan.columns.length === 0) return "SELECT 1 AS placeholder";
      return plan.rows.map((r) => `SELECT ${r.map((e, i) => `${exprSql(e)} AS ${c(plan.columns[i].id)}`).join(", ")}`).join(" UNION ALL ");
    case "filter":
      return `SELECT * FROM (${planToSql(plan.input)}) WHERE ${exprSql(plan.predicate)}`;
    case "unnest":
      return `SELECT *, unnest(${exprSql(plan.list)}) AS ${c(plan.column.id)} FROM (${planToSql(plan.input)})`;
    case "project":
      return `SELECT ${plan.outputs.map((o) => `${exprSql(o.expr)} AS ${c(o.column.id)}`).join(", ")} FROM (${planToSql(plan.input)})`;
    case "join": {
      const left = planToSql(plan.left);
      const right = planToSql(plan.right);
      const columns = (plan.emit ?? joinColumns(plan).map((x) => x.id)).map(c).join(", ");
      const on = plan.condition ? exprSql(plan.condition) : "true";
      switch (plan.joinType) {
        case "semi":
          return `SELECT ${columns} FROM (${left}) WHERE EXISTS (SELECT 1 FROM (${right}) WHERE ${on})`;
        case "anti":
          return `SELECT ${columns} FROM (${left}) WHERE NOT EXISTS (SELECT 1 FROM (${right}) WHERE ${on})`;
        default: {
          const kind = { inner: "INNER", left: "LEFT", right: "RIGHT", full: "FULL OUTER" }[plan.joinType];
          return plan.condition
            ? `SELECT ${columns} FROM (${left}) ${kind} JOIN (${right}) ON ${on}`
            : `SELECT ${columns} FROM (${left}) CROSS JOIN (${right})`;
        }
      }
    }
    case "aggregate": {
      const groups = plan.groups.map((g) => exprSql(g.expr));
      const select = [
        ...plan.groups.map((g, i) => `${groups[i]} AS ${c(g.column.id)}`),
        ...plan.measures.map((m) => `${aggregateSql(m.call, plan.phase)} AS ${c(m.column.id)}`),
      ];
      const groupBy = groups.length > 0 ? ` GROUP BY ${groups.join(", ")}` : "";
      return `SELECT ${select.join(", ")} FROM (${planToSql(plan.input)})${groupBy}`;
    }
    case "window":
      return `SELECT *, ${plan.functions.map((f) => `${windowSql(f.call)} AS ${c(f.column.id)}`).join(", ")} FROM (${planToSql(plan.input)})`;
    case "sort":
      return `SELECT * FROM (${planToSql(plan.input)}) ORDER BY ${plan.keys.map(sortSql).join(", ")}`;
    case "limit": {
      const input = plan.input;
      const inner = input.kind === "sort" ? `SELECT * FROM (${planToSql(input.input)}) ORDER BY ${input.keys.map(sortSql).join(", ")}` : `SELECT * FROM (${planToSql(input)})`;
      return `${inner}${plan.count !== undefined ? ` LIMIT ${plan.count}` : ""}${plan.offset ? ` OFFSET ${plan.offset}` : ""}`;
    }
    case "set": {
      const op = { union: "UNION", union_all: "UNION ALL", intersect: "INTERSECT", intersect_all: "INTERSECT ALL", except: "EXCEPT", except_all: "EXCEPT ALL" }[plan.op];
      const names = plan.columns.map((x) => c(x.id)).join(", ");
      return `SELECT * FROM (${plan.inputs.map((i) => `(${planToSql(i)})`).join(` ${op} `)}) AS s(${names})`;
    }
    case "recursive": {
      const positions = plan.columns.map((_, i) => `w${i}`).join(", ");
      const body = `${planToSql(plan.anchor)} UNION${plan.all ? " ALL" : ""} ${planToSql(plan.step)}`;
      return `WITH RECURSIVE ${plan.workingTable}(${positions}) AS (${body}) SELECT ${plan.columns.map((x, i) => `w${i} AS ${c(x.id)}`).join(", ")} FROM ${plan.workingTable}`;
    }
    case "working_table":
      return `SELECT ${plan.columns.map((x, i) => `w${i} AS ${c(x.id)}`).join(", ")} FROM ${plan.name}`;
  }
}

function sortSql(k: SortKey): string {
  return `${exprSql(k.expr)} ${k.descending ? "DESC" : "ASC"} NULLS ${k.nullsFirst ? "FIRST" : "LAST"}`;
}

function aggregateSql(call: AggregateCall, phase: AggregatePhase): string {
  const args = call.args.length === 0 ? "*" : call.args.map((a) => exprSql(a)).join(", ");
  // A final phase merges partial results: counts add up.
  const fn = phase === "final" && call.fn === "count" ? "sum" : call.fn;
  return `CAST(${fn}(${call.distinct ? "DISTINCT " : ""}${args}) AS ${sqlType(call.type)})`;
}

function windowSql(call: WindowCall): string {
  const parts: string[] = [];
  if (call.partitionBy.length > 0) parts.push(`PARTITION BY ${call.partitionBy.map((e) => exprSql(e)).join(", ")}`);
  if (call.orderBy.length > 0) parts.push(`ORDER BY ${call.orderBy.map(sortSql).join(", ")}`);
  if (call.frame) {
    const b = (x: { kind: string; offset?: number }, end: "PRECEDING" | "FOLLOWING") =>
      x.kind === "unbounded" ? `UNBOUNDED ${end}` : x.kind === "current" ? "CURRENT ROW" : `${x.offset} ${x.kind.toUpperCase()}`;
    const exclusion = call.frame.exclude ? ` EXCLUDE ${call.frame.exclude.replace("_", " ").toUpperCase()}` : "";
    parts.push(`${call.frame.unit.toUpperCase()} BETWEEN ${b(call.frame.lower, "PRECEDING")} AND ${b(call.frame.upper, "FOLLOWING")}${exclusion}`);
  }
  const args = call.fn === "count" && call.args.length === 0 ? "*" : call.args.map((a) => exprSql(a)).join(", ");
  return `CAST(${call.fn}(${args}) OVER (${parts.join(" ")}) AS ${sqlType(call.type)})`;
}

function sqlType(t: SqlType): string {
  return t.kind === "null" ? "INTEGER" : typeName(t);
}

const INFIX: Record<string, string> = {
  add: "+", subtract: "-", multiply: "*", divide: "/", modulus: "%",
  equal: "=", not_equal: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=", and: "AND", or: "OR", like: "LIKE",
};

const NAMED: Record<string, string> = {
  substring: "substring", upper: "upper", lower: "lower", char_length: "length", trim: "trim", ltrim: "ltrim", rtrim: "rtrim",
  coalesce: "coalesce", nullif: "nullif", abs: "abs", greatest_skip_null: "greatest", least_skip_null: "least",
  starts_with: "starts_with", ends_with: "ends_with", contains: "contains",
};

export function exprSql(e: Expr, names?: ReadonlyMap<number, string>): string {
  const r = (x: Expr) => exprSql(x, names);
  switch (e.kind) {
    case "column":
      return names?.get(e.id) ?? c(e.id);
    case "literal":
      return literalSql(e.value, e.type);
    case "call": {
      const args = e.args.map(r);
      let text: string;
      if (INFIX[e.fn]) text = `(${args.join(` ${INFIX[e.fn]} `)})`;
      else if (e.fn === "not") text = `(NOT ${args[0]})`;
      else if (e.fn === "negate") text = `(-${args[0]})`;
      else if (e.fn === "is_null") text = `(${args[0]} IS NULL)`;
      else if (e.fn === "is_not_null") text = `(${args[0]} IS NOT NULL)`;
      else if (e.fn === "is_distinct_from" || e.fn === "is_not_distinct_from") text = `(${args[0]} ${e.fn === "is_distinct_from" ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM"} ${args[1]})`;
      else if (e.fn.startsWith("is_")) text = `(${args[0]} IS ${e.fn.slice(3).replace("_", " ").toUpperCase()})`;
      else if (e.fn === "concat") text = `(${args.join(" || ")})`;
      else if (e.fn === "extract") text = `extract(${e.enumArgs![0].replace("DAY_OF_YEAR", "doy")} FROM ${args[0]})`;
      else if (NAMED[e.fn]) text = `${NAMED[e.fn]}(${args.join(", ")})`;
      else throw new Error(`no SQL for ${e.fn}`);
      // The declared type is part of the plan's contract: a consumer casts to it.
      return ["and", "or", "not", "like", "equal", "not_equal", "lt", "lte", "gt", "gte"].includes(e.fn) || e.fn.startsWith("is_") ? text : `CAST(${text} AS ${sqlType(e.type)})`;
    }
    case "cast":
      return `CAST(${r(e.input)} AS ${sqlType(e.type)})`;
    case "case":
      return `(CASE ${e.whens.map((w) => `WHEN ${r(w.when)} THEN ${r(w.then)}`).join(" ")}${e.otherwise ? ` ELSE ${r(e.otherwise)}` : ""} END)`;
    case "in_list":
      return `(${r(e.value)} IN (${e.list.map(r).join(", ")}))`;
    case "subquery": {
      const sql = planToSql(e.plan);
      const [first] = outputColumns(e.plan);
      if (e.op === "scalar") return `(SELECT ${c(first.id)} FROM (${sql}))`;
      if (e.op === "exists") return `EXISTS (${sql})`;
      return `(${r(e.needle!)} IN (SELECT ${c(first.id)} FROM (${sql})))`;
    }
    case "aggregate":
    case "window":
      throw new Error(`${e.kind} left in a plan`);
    case "lambda":
    case "lambda_parameter":
      throw new Error("no SQL for lambdas here");
  }
}

function literalSql(value: unknown, t: SqlType): string {
  if (value === null) return `CAST(NULL AS ${sqlType(t)})`;
  switch (t.kind) {
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
    case "decimal": {
      const v = value as bigint;
      const neg = v < 0n;
      const digits = (neg ? -v : v).toString().padStart(t.scale! + 1, "0");
      const text = t.scale! > 0 ? `${digits.slice(0, -t.scale!)}.${digits.slice(-t.scale!)}` : digits;
      return `CAST('${neg ? "-" : ""}${text}' AS ${typeName(t)})`;
    }
    case "interval_year":
    case "interval_day": {
      const iv = value as IntervalValue;
      return `(INTERVAL '${iv.months} months' + INTERVAL '${iv.days} days' + INTERVAL '${iv.micros} microseconds')`;
    }
    case "fp64":
    case "fp32":
      return `CAST('${String(value)}' AS ${typeName(t)})`;
    default:
      return `CAST(${String(value)} AS ${sqlType(t)})`;
  }
}
