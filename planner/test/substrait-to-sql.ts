// Test support: a decoded Substrait plan read back as DuckDB SQL, purely positionally (field
// indexes, emit mappings, outer references with steps_out), with function names taken from
// the plan's extension declarations. It checks what the planner emits, independently of the
// IR: a wrong position, emit or anchor gives a wrong answer against DuckDB on the same data.
import {
  AggregationPhase,
  JoinRel_JoinType,
  SetRel_SetOp,
  SortField_SortDirection,
  type AggregateFunction,
  type Expression,
  type Expression_Literal,
  type Expression_WindowFunction,
  type Expression_WindowFunction_Bound,
  type Plan,
  type Rel,
  type SortField,
  type Type,
} from "../../proto/index.ts";
import { duckdbTypeFromSubstrait } from "../../exec/types.ts";
import { formatDate, formatTimestamp } from "../bind/literals.ts";

type Resolver = (field: number) => string;

interface Translated {
  sql: string;
  width: number;
}

export function substraitToSql(plan: Plan): string {
  const names = new Map<number, string>();
  for (const d of plan.extensions) if (d.extensionFunction) names.set(d.extensionFunction.functionAnchor, d.extensionFunction.name.split(":")[0]);
  const root = plan.relations[0].root!;
  return new Reader(names).rel(root.input!, []).sql;
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
const BOOLEAN_RESULTS = new Set(["and", "or", "not", "like", "equal", "not_equal", "lt", "lte", "gt", "gte", "is_null", "is_not_null", "is_true", "is_not_true", "is_false", "is_not_false"]);

class Reader {
  readonly functions: Map<number, string>;
  #alias = 0;

  constructor(functions: Map<number, string>) {
    this.functions = functions;
  }

  fn(anchor: number): string {
    const name = this.functions.get(anchor);
    if (!name) throw new Error(`undeclared function anchor ${anchor}`);
    return name;
  }

  alias(): string {
    return `r${++this.#alias}`;
  }

  columns(width: number, resolve: Resolver): string[] {
    return Array.from({ length: width }, (_, i) => resolve(i));
  }

  select(exprs: string[], from: string, emit?: number[], suffix = ""): Translated {
    const picked = emit ? emit.map((i) => exprs[i]) : exprs;
    return { sql: `SELECT ${picked.map((e, i) => `${e} AS f${i}`).join(", ") || "1 AS f0"} FROM ${from}${suffix}`, width: picked.length };
  }

  rel(rel: Rel, outer: Resolver[]): Translated {
    if (rel.read) {
      const read = rel.read;
      const a = this.alias();
      if (read.virtualTable) {
        const rows = read.virtualTable.expressions.map((row) => `SELECT ${row.fields.map((f, i) => `${this.expr(f, () => "", outer)} AS f${i}`).join(", ")}`);
        return { sql: rows.join(" UNION ALL "), width: read.baseSchema!.names.length };
      }
      const base = read.baseSchema!.names;
      const resolve: Resolver = (i) => `${a}."${base[i]}"`;
      const fields = read.projection?.select?.structItems.map((s) => s.field) ?? base.map((_, i) => i);
      const where = read.filter ? ` WHERE ${this.expr(read.filter, resolve, outer)}` : "";
      return this.select(fields.map(resolve), `${read.namedTable!.names.join(".")} ${a}`, undefined, where);
    }
    if (rel.filter) {
      const input = this.rel(rel.filter.input!, outer);
      const a = this.alias();
      const resolve: Resolver = (i) => `${a}.f${i}`;
      return this.select(this.columns(input.width, resolve), `(${input.sql}) ${a}`, undefined, ` WHERE ${this.expr(rel.filter.condition!, resolve, outer)}`);
    }
    if (rel.project) {
      const input = this.rel(rel.project.input!, outer);
      const a = this.alias();
      const resolve: Resolver = (i) => `${a}.f${i}`;
      const exprs = [...this.columns(input.width, resolve), ...rel.project.expressions.map((e) => this.expr(e, resolve, outer))];
      return this.select(exprs, `(${input.sql}) ${a}`, rel.project.common?.emit?.outputMapping);
    }
    if (rel.join || rel.cross) {
      const j = rel.join ?? rel.cross!;
      const left = this.rel(j.left!, outer);
      const right = this.rel(j.right!, outer);
      const l = this.alias();
      const r = this.alias();
      const resolve: Resolver = (i) => (i < left.width ? `${l}.f${i}` : `${r}.f${i - left.width}`);
      const emit = j.common?.emit?.outputMapping;
      if (rel.cross) return this.select(this.columns(left.width + right.width, resolve), `(${left.sql}) ${l} CROSS JOIN (${right.sql}) ${r}`, emit);
      const condition = this.expr(rel.join!.expression!, resolve, outer);
      switch (rel.join!.type) {
        case JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI:
        case JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI: {
          const not = rel.join!.type === JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI ? "NOT " : "";
          return this.select(this.columns(left.width, resolve), `(${left.sql}) ${l}`, emit, ` WHERE ${not}EXISTS (SELECT 1 FROM (${right.sql}) ${r} WHERE ${condition})`);
        }
        default: {
          const kind = {
            [JoinRel_JoinType.JOIN_TYPE_INNER]: "INNER",
            [JoinRel_JoinType.JOIN_TYPE_LEFT]: "LEFT",
            [JoinRel_JoinType.JOIN_TYPE_RIGHT]: "RIGHT",
            [JoinRel_JoinType.JOIN_TYPE_OUTER]: "FULL OUTER",
          }[rel.join!.type as 1 | 2 | 3 | 4];
          if (!kind) throw new Error(`join type ${rel.join!.type}`);
          return this.select(this.columns(left.width + right.width, resolve), `(${left.sql}) ${l} ${kind} JOIN (${right.sql}) ${r} ON ${condition}`, emit);
        }
      }
    }
    if (rel.aggregate) {
      const agg = rel.aggregate;
      const input = this.rel(agg.input!, outer);
      const a = this.alias();
      const resolve: Resolver = (i) => `${a}.f${i}`;
      const keys = (agg.groupings[0]?.expressionReferences ?? []).map((k) => this.expr(agg.groupingExpressions[k], resolve, outer));
      const measures = agg.measures.map((m) => this.aggregate(m.measure!, resolve, outer));
      return this.select([...keys, ...measures], `(${input.sql}) ${a}`, undefined, keys.length > 0 ? ` GROUP BY ${keys.join(", ")}` : "");
    }
    if (rel.sort) {
      const input = this.rel(rel.sort.input!, outer);
      const a = this.alias();
      const resolve: Resolver = (i) => `${a}.f${i}`;
      return this.select(this.columns(input.width, resolve), `(${input.sql}) ${a}`, undefined, ` ORDER BY ${rel.sort.sorts.map((s) => this.sort(s, resolve, outer)).join(", ")}`);
    }
    if (rel.fetch) {
      const input = this.rel(rel.fetch.input!, outer);
      const a = this.alias();
      const count = rel.fetch.countExpr?.literal?.i64;
      const offset = rel.fetch.offsetExpr?.literal?.i64;
      // A sort right below keeps its order through the LIMIT when both are one SELECT.
      const inner = rel.fetch.input!.sort ? input.sql : `SELECT * FROM (${input.sql}) ${a}`;
      return { sql: `${inner}${count !== undefined ? ` LIMIT ${count}` : ""}${offset ? ` OFFSET ${offset}` : ""}`, width: input.width };
    }
    if (rel.set) {
      const inputs = rel.set.inputs.map((i) => this.rel(i, outer));
      const op = {
        [SetRel_SetOp.SET_OP_UNION_ALL]: "UNION ALL",
        [SetRel_SetOp.SET_OP_UNION_DISTINCT]: "UNION",
        [SetRel_SetOp.SET_OP_INTERSECTION_MULTISET]: "INTERSECT",
        [SetRel_SetOp.SET_OP_INTERSECTION_MULTISET_ALL]: "INTERSECT ALL",
        [SetRel_SetOp.SET_OP_MINUS_PRIMARY]: "EXCEPT",
        [SetRel_SetOp.SET_OP_MINUS_PRIMARY_ALL]: "EXCEPT ALL",
      }[rel.set.op as 1];
      if (!op) throw new Error(`set op ${rel.set.op}`);
      return { sql: `SELECT * FROM (${inputs.map((i) => `(${i.sql})`).join(` ${op} `)})`, width: inputs[0].width };
    }
    throw new Error(`relation ${Object.keys(rel).join(",")}`);
  }

  sort(s: SortField, resolve: Resolver, outer: Resolver[]): string {
    const d = s.direction;
    const desc = d === SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_FIRST || d === SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_LAST;
    const first = d === SortField_SortDirection.SORT_DIRECTION_ASC_NULLS_FIRST || d === SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_FIRST;
    return `${this.expr(s.expr!, resolve, outer)} ${desc ? "DESC" : "ASC"} NULLS ${first ? "FIRST" : "LAST"}`;
  }

  aggregate(m: AggregateFunction, resolve: Resolver, outer: Resolver[]): string {
    let name = this.fn(m.functionReference);
    if (m.phase === AggregationPhase.AGGREGATION_PHASE_INTERMEDIATE_TO_RESULT && name === "count") name = "sum";
    const args = m.arguments.map((a) => this.expr(a.value!, resolve, outer));
    const distinct = m.invocation === 2 ? "DISTINCT " : "";
    return `CAST(${name}(${distinct}${args.length === 0 ? "*" : args.join(", ")}) AS ${sqlType(m.outputType!)})`;
  }

  window(w: Expression_WindowFunction, resolve: Resolver, outer: Resolver[]): string {
    const name = this.fn(w.functionReference);
    const args = w.arguments.map((a) => this.expr(a.value!, resolve, outer));
    const parts: string[] = [];
    if (w.partitions.length > 0) parts.push(`PARTITION BY ${w.partitions.map((p) => this.expr(p, resolve, outer)).join(", ")}`);
    if (w.sorts.length > 0) parts.push(`ORDER BY ${w.sorts.map((s) => this.sort(s, resolve, outer)).join(", ")}`);
    const bound = (b: Expression_WindowFunction_Bound | undefined, end: string) =>
      !b || b.unbounded ? `UNBOUNDED ${end}` : b.currentRow ? "CURRENT ROW" : b.preceding ? `${b.preceding.offset} PRECEDING` : `${b.following!.offset} FOLLOWING`;
    if (!["row_number", "rank", "dense_rank"].includes(name)) {
      parts.push(`${w.boundsType === 1 ? "ROWS" : "RANGE"} BETWEEN ${bound(w.lowerBound, "PRECEDING")} AND ${bound(w.upperBound, "FOLLOWING")}`);
    }
    return `CAST(${name}(${args.length === 0 && name === "count" ? "*" : args.join(", ")}) OVER (${parts.join(" ")}) AS ${sqlType(w.outputType!)})`;
  }

  expr(e: Expression, resolve: Resolver, outer: Resolver[]): string {
    const r = (x: Expression) => this.expr(x, resolve, outer);
    if (e.selection) {
      const field = e.selection.directReference!.structField!.field;
      if (e.selection.outerReference) return outer[outer.length - e.selection.outerReference.stepsOut](field);
      return resolve(field);
    }
    if (e.literal) return literalSql(e.literal);
    if (e.scalarFunction) {
      const f = e.scalarFunction;
      const name = this.fn(f.functionReference);
      const enums = f.arguments.filter((a) => a.enum !== undefined).map((a) => a.enum!);
      const args = f.arguments.filter((a) => a.value).map((a) => r(a.value!));
      let text: string;
      if (INFIX[name]) text = `(${args.join(` ${INFIX[name]} `)})`;
      else if (name === "not") text = `(NOT ${args[0]})`;
      else if (name === "negate") text = `(-${args[0]})`;
      else if (name === "is_null") text = `(${args[0]} IS NULL)`;
      else if (name === "is_not_null") text = `(${args[0]} IS NOT NULL)`;
      else if (name.startsWith("is_")) text = `(${args[0]} IS ${name.slice(3).replace("_", " ").toUpperCase()})`;
      else if (name === "concat") text = `(${args.join(" || ")})`;
      else if (name === "extract") text = `extract(${enums[0].replace("DAY_OF_YEAR", "doy")} FROM ${args[0]})`;
      else if (NAMED[name]) text = `${NAMED[name]}(${args.join(", ")})`;
      else throw new Error(`function ${name}`);
      return BOOLEAN_RESULTS.has(name) ? text : `CAST(${text} AS ${sqlType(f.outputType!)})`;
    }
    if (e.windowFunction) return this.window(e.windowFunction, resolve, outer);
    if (e.cast) return `CAST(${r(e.cast.input!)} AS ${sqlType(e.cast.type!)})`;
    if (e.ifThen) return `(CASE ${e.ifThen.ifs.map((c) => `WHEN ${r(c.if!)} THEN ${r(c.then!)}`).join(" ")} ELSE ${r(e.ifThen.else!)} END)`;
    if (e.singularOrList) return `(${r(e.singularOrList.value!)} IN (${e.singularOrList.options.map(r).join(", ")}))`;
    if (e.subquery) {
      const nested = [...outer, resolve];
      const s = e.subquery;
      if (s.scalar) return `(SELECT f0 FROM (${this.rel(s.scalar.input!, nested).sql}))`;
      if (s.setPredicate) return `EXISTS (${this.rel(s.setPredicate.tuples!, nested).sql})`;
      if (s.inPredicate) return `(${r(s.inPredicate.needles[0])} IN (SELECT f0 FROM (${this.rel(s.inPredicate.haystack!, nested).sql})))`;
    }
    throw new Error(`expression ${Object.keys(e).join(",")}`);
  }
}

function sqlType(t: Type): string {
  return duckdbTypeFromSubstrait(t);
}

function literalSql(l: Expression_Literal): string {
  if (l.null) return `CAST(NULL AS ${sqlType(l.null)})`;
  if (l.boolean !== undefined) return l.boolean ? "true" : "false";
  if (l.i8 !== undefined) return `CAST(${l.i8} AS TINYINT)`;
  if (l.i16 !== undefined) return `CAST(${l.i16} AS SMALLINT)`;
  if (l.i32 !== undefined) return `CAST(${l.i32} AS INTEGER)`;
  if (l.i64 !== undefined) return `CAST(${l.i64} AS BIGINT)`;
  if (l.fp64 !== undefined) return `CAST('${l.fp64}' AS DOUBLE)`;
  if (l.fp32 !== undefined) return `CAST('${l.fp32}' AS FLOAT)`;
  if (l.string !== undefined) return `'${l.string.replace(/'/g, "''")}'`;
  if (l.date !== undefined) return `DATE '${formatDate(l.date)}'`;
  if (l.precisionTimestamp) return `TIMESTAMP '${formatTimestamp(l.precisionTimestamp.value)}'`;
  if (l.decimal) {
    let v = 0n;
    for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(l.decimal.value[i]);
    v = BigInt.asIntN(128, v);
    const { precision, scale } = l.decimal;
    const neg = v < 0n;
    const digits = (neg ? -v : v).toString().padStart(scale + 1, "0");
    const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
    return `CAST('${neg ? "-" : ""}${text}' AS DECIMAL(${precision},${scale}))`;
  }
  if (l.intervalYearToMonth) return `INTERVAL '${l.intervalYearToMonth.years * 12 + l.intervalYearToMonth.months} months'`;
  if (l.intervalDayToSecond) {
    const d = l.intervalDayToSecond;
    return `(INTERVAL '${d.days} days' + INTERVAL '${BigInt(d.seconds) * 1_000_000n + d.subseconds} microseconds')`;
  }
  throw new Error(`literal ${Object.keys(l).join(",")}`);
}
