// Substrait relations as nested DuckDB SELECTs. Every relation's output columns are named
// c0, c1, … so a parent refers to them by position, exactly as Substrait does; DuckDB's
// optimizer flattens the nesting, and pushes filters and projections into the parquet scans.
import {
  planpb,
  PLAN_DETAIL_TYPE_URLS,
  AggregateFunction_AggregationInvocation,
  AggregationPhase,
  JoinRel_JoinType,
  SetRel_SetOp,
  type AggregateRel,
  type AggregateRel_Measure,
  type Expression,
  type Expression_Literal,
  type FetchRel,
  type JoinRel,
  type ExtensionLeafRel,
  type ExtensionSingleRel,
  type ExtensionMultiRel,
  type ReadRel,
  type Rel,
  type RelCommon,
  type Type,
  namedColumns,
} from "../../proto/index.ts";
import { UnsupportedError, UserError } from "../../common/errors.ts";
import { duckdbTypeFromSubstrait } from "../types.ts";
import { castTo, ExpressionWriter, kindOf, required, valueArguments, type RelSql, type Scope } from "./expressions.ts";
import type { FunctionDeclarations } from "./extensions.ts";
import { aggregateName, optionMap } from "./functions.ts";
import { literalSql, quoteIdentifier } from "./literals.ts";
import { asRunAggregate, asRunInPlans, holdsStruct } from "./structs.ts";
import type { TableResolver, TableSource } from "./tables.ts";

/** Deeper plans than this are refused rather than risking the stack. */
const MAX_NESTING = 200;

/** Rows this many or more of one BIGINT column in steps of one size run as range(): below, a VALUES list binds as fast. */
const MIN_PROGRESSION_ROWS = 64;

/** A working table's name, written into the SQL as an identifier. */
const WORKING_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** One BIGINT column whose values go up or down by one step (not 0): as range(start, stop, step). */
function integerProgression(rows: readonly (readonly (Expression_Literal | undefined)[])[]): { start: bigint; stop: bigint; step: bigint } | undefined {
  if (rows.length < MIN_PROGRESSION_ROWS || rows[0].length !== 1) return undefined;
  const values = rows.map((row) => row[0]?.i64);
  if (values.some((v) => v === undefined)) return undefined;
  const step = values[1]! - values[0]!;
  if (step === 0n) return undefined;
  for (let i = 2; i < values.length; i++) if (values[i]! - values[i - 1]! !== step) return undefined;
  return { start: values[0]!, stop: values[values.length - 1]! + step, step };
}

function selectList(exprs: readonly string[]): string {
  return exprs.length === 0 ? "NULL AS c0" : exprs.map((e, i) => `${e} AS c${i}`).join(", ");
}

function columnRefs(alias: string, width: number): string[] {
  return Array.from({ length: width }, (_, i) => `${alias}.c${i}`);
}

export class RelationWriter {
  readonly #functions: FunctionDeclarations;
  readonly #tables: TableResolver;
  readonly #expressions: ExpressionWriter;
  #aliases = 0;
  #depth = 0;
  /** The recursions whose step is being written, by working table name: their columns' types. */
  readonly #workingTables = new Map<string, (Type | undefined)[]>();
  /** See TranslateOptions.joinTree. */
  readonly #joinTree: boolean;

  constructor(functions: FunctionDeclarations, tables: TableResolver, joinTree = false) {
    this.#functions = functions;
    this.#tables = tables;
    this.#joinTree = joinTree;
    this.#expressions = new ExpressionWriter(functions, (rel, outer) => this.write(rel, outer));
  }

  write(rel: Rel, outer: readonly Scope[] = []): RelSql {
    if (++this.#depth > MAX_NESTING) throw new UnsupportedError(`plans nested deeper than ${MAX_NESTING} relations`);
    try {
      const [direct, common] = this.#direct(rel, outer);
      return this.#emit(direct, common);
    } finally {
      this.#depth--;
    }
  }

  #alias(): string {
    return `r${++this.#aliases}`;
  }

  #scope(alias: string, input: RelSql): Scope {
    return { refs: columnRefs(alias, input.types.length), types: input.types };
  }

  #expr(e: Expression, scope: Scope, outer: readonly Scope[]): string {
    return this.#expressions.write(e, scope, outer);
  }

  #emit(rel: RelSql, common: RelCommon | undefined): RelSql {
    const mapping = common?.emit?.outputMapping;
    if (!mapping) return rel;
    for (const i of mapping) if (i < 0 || i >= rel.types.length) throw new UserError(`emit refers to column ${i} of ${rel.types.length}`);
    const a = this.#alias();
    return { sql: `SELECT ${selectList(mapping.map((i) => `${a}.c${i}`))} FROM (${rel.sql}) ${a}`, types: mapping.map((i) => rel.types[i]) };
  }

  #direct(rel: Rel, outer: readonly Scope[]): [RelSql, RelCommon | undefined] {
    if (rel.read) return [this.#read(rel.read, outer), rel.read.common];
    if (rel.filter) {
      const input = this.write(required(rel.filter.input, "filter input"), outer);
      const a = this.#alias();
      const condition = this.#expr(required(rel.filter.condition, "filter condition"), this.#scope(a, input), outer);
      return [{ sql: `SELECT * FROM (${input.sql}) ${a} WHERE ${condition}`, types: input.types }, rel.filter.common];
    }
    if (rel.project) {
      const input = this.write(required(rel.project.input, "project input"), outer);
      const a = this.#alias();
      const scope = this.#scope(a, input);
      const exprs = [...scope.refs, ...rel.project.expressions.map((e) => this.#expr(e, scope, outer))];
      const types = [...input.types, ...rel.project.expressions.map((e) => this.#expressions.typeOf(e, scope, outer))];
      return [{ sql: `SELECT ${selectList(exprs)} FROM (${input.sql}) ${a}`, types }, rel.project.common];
    }
    if (isInnerJoin(rel)) {
      // Emit mappings are applied inside the group, so none is left for write() to apply.
      const group = this.#joinGroup(rel, outer);
      const where = group.conditions.length > 0 ? ` WHERE ${group.conditions.join(" AND ")}` : "";
      return [{ sql: `SELECT ${selectList(group.refs)} FROM ${group.from.join(", ")}${where}`, types: group.types }, undefined];
    }
    if (rel.join) return [this.#join(rel.join, outer), rel.join.common];
    if (rel.aggregate) return [this.#aggregate(rel.aggregate, outer), rel.aggregate.common];
    if (rel.sort) {
      const input = this.write(required(rel.sort.input, "sort input"), outer);
      const a = this.#alias();
      const keys = rel.sort.sorts.map((s) => this.#expressions.sortKey(s, this.#scope(a, input), outer));
      return [{ sql: `SELECT * FROM (${input.sql}) ${a}${keys.length ? ` ORDER BY ${keys.join(", ")}` : ""}`, types: input.types }, rel.sort.common];
    }
    if (rel.fetch) return [this.#fetch(rel.fetch, outer), rel.fetch.common];
    if (rel.set) return [this.#set(rel, outer), rel.set.common];
    if (rel.extensionMulti) return [this.#recursiveUnion(rel.extensionMulti, outer), rel.extensionMulti.common];
    if (rel.extensionLeaf) return [this.#workingTable(rel.extensionLeaf), rel.extensionLeaf.common];
    if (rel.extensionSingle) return [this.#unnest(rel.extensionSingle, outer), rel.extensionSingle.common];
    if (rel.window) {
      const w = rel.window;
      const input = this.write(required(w.input, "window input"), outer);
      const a = this.#alias();
      const scope = this.#scope(a, input);
      const partitions = w.partitionExpressions.map((p) => this.#expr(p, scope, outer));
      const sorts = w.sorts.map((s) => this.#expressions.sortKey(s, scope, outer));
      const calls = w.windowFunctions.map((f) => {
        const fn = this.#functions.get(f.functionReference);
        return this.#expressions.windowCall({
          name: fn.name,
          declared: fn.declared,
          args: valueArguments(f.arguments, []).map((x) => this.#expr(x, scope, outer)),
          options: optionMap(f.options),
          distinct: f.invocation === AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_DISTINCT,
          phase: f.phase,
          partitions,
          sorts,
          boundsType: f.boundsType,
          lower: f.lowerBound,
          upper: f.upperBound,
          outputType: f.outputType,
          rangeKey: this.#expressions.rangeKey(f.boundsType, w.sorts, scope, outer),
        });
      });
      return [
        { sql: `SELECT ${selectList([...scope.refs, ...calls])} FROM (${input.sql}) ${a}`, types: [...input.types, ...w.windowFunctions.map((f) => f.outputType)] },
        w.common,
      ];
    }
    throw new UnsupportedError(`relation of kind ${kindOf(rel)}`);
  }

  /**
   * Inner and cross joins, and filters over them, gathered into one FROM list and WHERE: a
   * SELECT per join would hide the join graph from DuckDB's join-order optimizer, which then
   * could only follow the producer's order. Without that optimizer DuckDB joins a FROM list in
   * its order, left to right: a join tree the list would reorder (a join's right side a join,
   * whose relations the list would join to its left side's one by one) keeps that side apart
   * (`joinTree`).
   */
  #joinGroup(rel: Rel, outer: readonly Scope[], leftmost = true): JoinGroup {
    if (++this.#depth > MAX_NESTING) throw new UnsupportedError(`plans nested deeper than ${MAX_NESTING} relations`);
    try {
      let group: JoinGroup;
      let common: RelCommon | undefined;
      const join = rel.join ?? rel.cross;
      const apart = this.#joinTree && !leftmost;
      if (join && isInnerJoin(rel) && !apart) {
        const left = this.#joinGroup(required(join.left, "join left"), outer, leftmost);
        const right = this.#joinGroup(required(join.right, "join right"), outer, false);
        group = {
          from: [...left.from, ...right.from],
          conditions: [...left.conditions, ...right.conditions],
          refs: [...left.refs, ...right.refs],
          types: [...left.types, ...right.types],
        };
        const conditions = [rel.join?.expression, rel.join?.postJoinFilter].filter((c) => c !== undefined);
        for (const c of conditions) group.conditions.push(this.#expr(c, group, outer));
        common = join.common;
      } else if (rel.filter && isInnerJoin(required(rel.filter.input, "filter input")) && !apart) {
        group = this.#joinGroup(rel.filter.input!, outer, leftmost);
        group.conditions.push(this.#expr(required(rel.filter.condition, "filter condition"), group, outer));
        common = rel.filter.common;
      } else {
        const leaf = this.write(rel, outer);
        const a = this.#alias();
        return { from: [`(${leaf.sql}) ${a}`], conditions: [], refs: columnRefs(a, leaf.types.length), types: leaf.types };
      }
      const mapping = common?.emit?.outputMapping;
      if (!mapping) return group;
      for (const i of mapping) if (i < 0 || i >= group.refs.length) throw new UserError(`emit refers to column ${i} of ${group.refs.length}`);
      return { ...group, refs: mapping.map((i) => group.refs[i]), types: mapping.map((i) => group.types[i]) };
    } finally {
      this.#depth--;
    }
  }

  #read(read: ReadRel, outer: readonly Scope[]): RelSql {
    if (read.virtualTable) return this.#values(read, outer);
    let source: TableSource;
    if (read.namedTable) source = this.#tables.namedTable(read.namedTable.names);
    else if (read.localFiles) source = this.#tables.localFiles(read.localFiles, read.baseSchema);
    else throw new UnsupportedError(`read of kind ${kindOf(read)}`);

    const a = this.#alias();
    const declared = read.baseSchema ? namedColumns(read.baseSchema) : source.columns;
    const refs: string[] = [];
    const types: (Type | undefined)[] = [];
    for (const { name, type: declaredType } of declared) {
      const column = source.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (!column) throw new UserError(`column ${name} not found in ${source.from}: it has ${source.columns.map((c) => c.name).join(", ")}`);
      const reconciled = reconcile(column.type, declaredType, name);
      const ref = `${a}.${quoteIdentifier(column.name)}`;
      // A file's structs and maps are DuckDB's; within the plan they run otherwise (structs.ts).
      // A file's string column is read as its plan's type says (VARCHAR, or JSON for the json
      // variation): the same value in every stage, whether or not it crossed an exchange (a cast
      // to the column's own type DuckDB drops, so strings' filters still reach the scan).
      const value = source.asRunInPlans ? ref : holdsStruct(column.type) ? asRunInPlans(ref, column.type) : column.type.string ? castTo(ref, column.type) : ref;
      refs.push(reconciled === column.type ? value : castTo(value, reconciled));
      types.push(reconciled);
    }
    const scope = { refs, types };
    const filters = [read.filter, read.bestEffortFilter].filter((f) => f !== undefined).map((f) => this.#expr(f, scope, outer));
    const fields = read.projection?.select?.structItems.map((item) => {
      if (item.child) throw new UnsupportedError("projection into nested struct fields");
      if (item.field < 0 || item.field >= refs.length) throw new UserError(`read projection refers to column ${item.field} of ${refs.length}`);
      return item.field;
    }) ?? refs.map((_, i) => i);
    const where = filters.length > 0 ? ` WHERE ${filters.join(" AND ")}` : "";
    return { sql: `SELECT ${selectList(fields.map((f) => refs[f]))} FROM ${source.from} ${a}${where}`, types: fields.map((f) => types[f]) };
  }

  #values(read: ReadRel, outer: readonly Scope[]): RelSql {
    const table = read.virtualTable!;
    const types = required(read.baseSchema, "virtual table schema").struct?.types ?? [];
    // A column of BIGINTs in steps of one size (what range() and generate_series() write): DuckDB's range(), not a list to bind.
    const literalRows = table.expressions.length > 0 ? table.expressions.map((row) => row.fields.map((f) => f.literal)) : table.values.map((row) => row.fields);
    const progression = types.length === 1 ? integerProgression(literalRows) : undefined;
    if (progression) return { sql: `SELECT ${selectList([castTo("range", types[0])])} FROM range(${progression.start}, ${progression.stop}, ${progression.step})`, types: [...types] };
    const empty: Scope = { refs: [], types: [] };
    const rows = table.expressions.length > 0
      ? table.expressions.map((row) => row.fields.map((f) => this.#expr(f, empty, outer)))
      : table.values.map((row) => row.fields.map(literalSql));
    for (const row of rows) if (row.length !== types.length) throw new UserError(`virtual table row has ${row.length} values for ${types.length} columns`);
    if (rows.length === 0) return { sql: `SELECT ${selectList(types.map((t) => castTo("NULL", t)))} WHERE FALSE`, types: [...types] };
    if (types.length === 0) return { sql: rows.map(() => `SELECT ${selectList([])}`).join(" UNION ALL "), types: [] };
    // A VALUES list, not a UNION ALL of one-row SELECTs: DuckDB binds 10,000 rows of one in 50 ms, of the other in 360.
    const v = this.#alias();
    const columns = types.map((_, i) => `col${i}`);
    const list = rows.map((row) => `(${row.join(", ")})`).join(", ");
    return { sql: `SELECT ${selectList(columns.map((c, i) => castTo(`${v}.${c}`, types[i])))} FROM (VALUES ${list}) ${v}(${columns.join(", ")})`, types: [...types] };
  }

  #join(join: JoinRel, outer: readonly Scope[]): RelSql {
    const left = this.write(required(join.left, "join left"), outer);
    const right = this.write(required(join.right, "join right"), outer);
    const [l, r] = [this.#alias(), this.#alias()];
    const leftRefs = columnRefs(l, left.types.length);
    const rightRefs = columnRefs(r, right.types.length);
    const both: Scope = { refs: [...leftRefs, ...rightRefs], types: [...left.types, ...right.types] };
    const on = join.expression ? this.#expr(join.expression, both, outer) : "TRUE";
    const from = (kind: string) => `(${left.sql}) ${l} ${kind} JOIN (${right.sql}) ${r} ON ${on}`;
    const post = join.postJoinFilter ? ` WHERE ${this.#expr(join.postJoinFilter, both, outer)}` : "";
    const kinds: Record<number, string> = {
      [JoinRel_JoinType.JOIN_TYPE_INNER]: "INNER",
      [JoinRel_JoinType.JOIN_TYPE_LEFT]: "LEFT",
      [JoinRel_JoinType.JOIN_TYPE_RIGHT]: "RIGHT",
      [JoinRel_JoinType.JOIN_TYPE_OUTER]: "FULL OUTER",
    };
    const kind = kinds[join.type];
    if (kind) return { sql: `SELECT ${selectList(both.refs)} FROM ${from(kind)}${post}`, types: [...both.types] };
    if (post) throw new UnsupportedError("post-join filter on a semi or anti join");
    switch (join.type) {
      case JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI:
        return { sql: `SELECT ${selectList(leftRefs)} FROM ${from("SEMI")}`, types: left.types };
      case JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI:
        return { sql: `SELECT ${selectList(leftRefs)} FROM ${from("ANTI")}`, types: left.types };
      case JoinRel_JoinType.JOIN_TYPE_RIGHT_SEMI:
        return { sql: `SELECT ${selectList(rightRefs)} FROM (${right.sql}) ${r} SEMI JOIN (${left.sql}) ${l} ON ${on}`, types: right.types };
      case JoinRel_JoinType.JOIN_TYPE_RIGHT_ANTI:
        return { sql: `SELECT ${selectList(rightRefs)} FROM (${right.sql}) ${r} ANTI JOIN (${left.sql}) ${l} ON ${on}`, types: right.types };
    }
    throw new UnsupportedError(`join type ${JoinRel_JoinType[join.type as never] ?? join.type}`);
  }

  #aggregate(agg: AggregateRel, outer: readonly Scope[]): RelSql {
    const input = this.write(required(agg.input, "aggregate input"), outer);
    const a = this.#alias();
    const scope = this.#scope(a, input);
    // Current plans list grouping expressions once and refer to them by index; older ones
    // repeat the expressions inside each grouping.
    const expressions = agg.groupingExpressions.length > 0 ? agg.groupingExpressions : uniqueExpressions(agg);
    const sets = agg.groupings.map((g) =>
      g.expressionReferences.length > 0 || agg.groupingExpressions.length > 0
        ? g.expressionReferences
        : g.groupingExpressions.map((e) => expressions.findIndex((x) => sameExpression(x, e))),
    );
    const keys = expressions.map((e) => this.#expr(e, scope, outer));
    const keyTypes = expressions.map((e) => this.#expressions.typeOf(e, scope, outer));
    const measures = agg.measures.map((m) => this.#measure(m, scope, outer));
    const measureTypes = agg.measures.map((m) => m.measure?.outputType);
    const exprs = [...keys, ...measures];
    const types = [...keyTypes, ...measureTypes];
    let groupBy = "";
    if (sets.length > 1) {
      // Substrait appends the index of the grouping set each row belongs to.
      const masks = sets.map((set) => keys.reduce((mask, _, k) => (set.includes(k) ? mask : mask | (1 << (keys.length - 1 - k))), 0));
      if (new Set(masks).size !== masks.length) throw new UnsupportedError("repeated grouping sets");
      exprs.push(`CAST(CASE GROUPING(${keys.join(", ")}) ${masks.map((m, i) => `WHEN ${m} THEN ${i}`).join(" ")} END AS INTEGER)`);
      types.push({ i32: { typeVariationReference: 0, nullability: 2 } });
      groupBy = ` GROUP BY GROUPING SETS (${sets.map((set) => `(${set.map((k) => keys[k]).join(", ")})`).join(", ")})`;
    } else if (keys.length > 0) {
      groupBy = ` GROUP BY ${keys.join(", ")}`;
    }
    if (exprs.length === 0) {
      // SELECT DISTINCT over no columns: one row if the input has any.
      return { sql: `SELECT DISTINCT TRUE AS c0 FROM (${input.sql}) ${a}`, types: [undefined] };
    }
    return { sql: `SELECT ${selectList(exprs)} FROM (${input.sql}) ${a}${groupBy}`, types };
  }

  #measure(measure: AggregateRel_Measure, scope: Scope, outer: readonly Scope[]): string {
    const m = required(measure.measure, "aggregate measure");
    const fn = this.#functions.get(m.functionReference);
    let name = aggregateName(fn.name, fn.declared, optionMap(m.options));
    const phase = m.phase;
    const finishing = phase === AggregationPhase.AGGREGATION_PHASE_INTERMEDIATE_TO_RESULT || phase === AggregationPhase.AGGREGATION_PHASE_INTERMEDIATE_TO_INTERMEDIATE;
    if (finishing || phase === AggregationPhase.AGGREGATION_PHASE_INITIAL_TO_INTERMEDIATE) {
      // The intermediate state of these is a value of the result's own kind; others (avg's
      // sum-and-count) are split by the producer before they reach us.
      if (!["sum", "count", "min", "max", "any_value", "bool_and", "bool_or"].includes(name)) {
        throw new UnsupportedError(`${fn.declared} in phase ${AggregationPhase[phase as never] ?? phase}`);
      }
      if (finishing && name === "count") name = "sum";
    }
    const args = valueArguments(m.arguments, m.args).map((x) => this.#expr(x, scope, outer));
    const distinct = m.invocation === AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_DISTINCT ? "DISTINCT " : "";
    const order = m.sorts.length > 0 ? ` ORDER BY ${m.sorts.map((s) => this.#expressions.sortKey(s, scope, outer)).join(", ")}` : "";
    const filter = measure.filter ? ` FILTER (WHERE ${this.#expr(measure.filter, scope, outer)})` : "";
    let call = `${name}(${args.length === 0 ? "*" : distinct + args.join(", ")}${order})${filter}`;
    // count's partial states over no rows are absent, not zero.
    if (finishing && fn.name === "count") call = `coalesce(${call}, 0)`;
    return castTo(asRunAggregate(name, call), m.outputType);
  }

  #fetch(fetch: FetchRel, outer: readonly Scope[]): RelSql {
    const inputRel = required(fetch.input, "fetch input");
    const empty: Scope = { refs: [], types: [] };
    const constant = (e: Expression | undefined, legacy: bigint | undefined) => (e ? this.#expr(e, empty, outer) : legacy !== undefined ? String(legacy) : undefined);
    const count = constant(fetch.countExpr, fetch.count);
    const offset = constant(fetch.offsetExpr, fetch.offset);
    const limit = count !== undefined && count !== "-1" && count !== "CAST(-1 AS BIGINT)" ? ` LIMIT ${count}` : "";
    const skip = offset !== undefined && offset !== "0" ? ` OFFSET ${offset}` : "";
    // A sort right below shares the SELECT, so the LIMIT applies to the sorted rows.
    const input = this.write(inputRel, outer);
    const a = this.#alias();
    const ordered = inputRel.sort && !inputRel.sort.common?.emit ? input.sql : `SELECT * FROM (${input.sql}) ${a}`;
    return { sql: `${ordered}${limit}${skip}`, types: input.types };
  }

  /** WITH RECURSIVE, as DuckDB's own: the step's working table leaves read the CTE by its name. */
  #recursiveUnion(rel: ExtensionMultiRel, outer: readonly Scope[]): RelSql {
    const { workingTable: name, all } = detailOf(rel, PLAN_DETAIL_TYPE_URLS.recursiveUnion, (b) => planpb.RecursiveUnion.decode(b));
    if (!WORKING_TABLE_NAME.test(name)) throw new UserError(`working table name ${JSON.stringify(name.slice(0, 80))}: expected a word of letters, digits and _`);
    if (this.#workingTables.has(name)) throw new UserError(`working table ${name} is named by two nested recursions`);
    if (rel.inputs.length !== 2) throw new UserError(`a recursion has an anchor and a step, not ${rel.inputs.length} inputs`);
    const anchor = this.write(rel.inputs[0], outer);
    this.#workingTables.set(name, anchor.types);
    let step: RelSql;
    try {
      step = this.write(rel.inputs[1], outer);
    } finally {
      this.#workingTables.delete(name);
    }
    if (step.types.length !== anchor.types.length) throw new UserError(`a recursion's anchor has ${anchor.types.length} columns and its step ${step.types.length}`);
    // The rows of every round take the anchor's types (what DuckDB does too, said outright).
    const s = this.#alias();
    const stepSql = `SELECT ${selectList(step.types.map((t, i) => (t && anchor.types[i] && duckdbTypeFromSubstrait(t) === duckdbTypeFromSubstrait(anchor.types[i]!) ? `${s}.c${i}` : castTo(`${s}.c${i}`, anchor.types[i]))))} FROM (${step.sql}) ${s}`;
    const columns = anchor.types.map((_, i) => `c${i}`).join(", ");
    const a = this.#alias();
    return { sql: `SELECT * FROM (WITH RECURSIVE ${quoteIdentifier(name)}(${columns}) AS ((${anchor.sql}) UNION${all ? " ALL" : ""} (${stepSql})) SELECT * FROM ${quoteIdentifier(name)}) ${a}`, types: anchor.types };
  }

  /** DuckDB's unnest of the input's last field (a list): a row per value, the other fields as they are. */
  #unnest(rel: ExtensionSingleRel, outer: readonly Scope[]): RelSql {
    detailOf(rel, PLAN_DETAIL_TYPE_URLS.unnest, (b) => planpb.Unnest.decode(b));
    const input = this.write(required(rel.input, "unnest input"), outer);
    const element = input.types.at(-1)?.list?.type;
    if (!element) throw new UserError("unnest's input has no list as its last field");
    const a = this.#alias();
    const refs = input.types.map((_, i) => `${a}.c${i}`);
    const exprs = [...refs.slice(0, -1), `unnest(${refs.at(-1)})`];
    return { sql: `SELECT ${selectList(exprs)} FROM (${input.sql}) ${a}`, types: [...input.types.slice(0, -1), element] };
  }

  #workingTable(rel: ExtensionLeafRel): RelSql {
    const { name, schema } = detailOf(rel, PLAN_DETAIL_TYPE_URLS.workingTable, (b) => planpb.WorkingTable.decode(b));
    const types = this.#workingTables.get(name);
    if (!types) throw new UserError(`working table ${JSON.stringify(name.slice(0, 80))} is read outside the step of its recursion`);
    const width = schema?.struct?.types.length ?? 0;
    if (width !== types.length) throw new UserError(`working table ${name} has ${types.length} columns, not ${width}`);
    return { sql: `SELECT * FROM ${quoteIdentifier(name)}`, types };
  }

  #set(rel: Rel, outer: readonly Scope[]): RelSql {
    const set = rel.set!;
    if (set.inputs.length < 2) throw new UserError("a set operation needs at least two inputs");
    const ops: Record<number, string> = {
      [SetRel_SetOp.SET_OP_UNION_ALL]: "UNION ALL",
      [SetRel_SetOp.SET_OP_UNION_DISTINCT]: "UNION",
      [SetRel_SetOp.SET_OP_INTERSECTION_MULTISET]: "INTERSECT",
      [SetRel_SetOp.SET_OP_INTERSECTION_MULTISET_ALL]: "INTERSECT ALL",
      [SetRel_SetOp.SET_OP_MINUS_PRIMARY]: "EXCEPT",
      [SetRel_SetOp.SET_OP_MINUS_PRIMARY_ALL]: "EXCEPT ALL",
    };
    const op = ops[set.op];
    if (!op) throw new UnsupportedError(`set operation ${SetRel_SetOp[set.op as never] ?? set.op}`);
    const inputs = set.inputs.map((i) => this.write(i, outer));
    const width = inputs[0].types.length;
    for (const input of inputs) if (input.types.length !== width) throw new UserError(`set operation inputs have ${width} and ${input.types.length} columns`);
    const a = this.#alias();
    return { sql: `SELECT * FROM (${inputs.map((i) => `(${i.sql})`).join(` ${op} `)}) ${a}`, types: inputs[0].types };
  }
}

/** An extension relation's detail, when it is the trustql relation named. */
function detailOf<T>(rel: ExtensionMultiRel | ExtensionSingleRel | ExtensionLeafRel, url: string, decode: (bytes: Uint8Array) => T): T {
  const detail = rel.detail;
  if (detail?.typeUrl !== url) throw new UnsupportedError(`extension relation ${detail?.typeUrl || "without a detail"}`);
  try {
    return decode(detail.value);
  } catch {
    throw new UserError(`extension relation ${url}: its detail does not decode`);
  }
}

const INTEGER_TYPES = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT"]);

/** The DuckDB type a column of the plan runs as: the file's, unless the plan asks for a wider integer. */
function reconcile(actual: Type, declared: Type | undefined, name: string): Type {
  // A column of a type with no DuckDB name here (exec/types.ts) is read as it is, and only if named.
  if (!declared || actual.userDefinedTypeReference !== undefined || declared.userDefinedTypeReference !== undefined) return actual;
  const actualName = duckdbTypeFromSubstrait(actual);
  const declaredName = duckdbTypeFromSubstrait(declared);
  if (actualName === declaredName) return actual;
  const family = (t: string) => (INTEGER_TYPES.has(t) ? "integer" : t.startsWith("DECIMAL") ? "decimal" : t);
  if (family(actualName) !== family(declaredName)) {
    throw new UserError(`column ${name} is ${actualName} in the data but ${declaredName} in the plan`);
  }
  // Integers of another width are cast (an i64 key over an i32 column); decimals and strings
  // of another precision or length are the producer's idea of the same column, read as stored.
  return family(actualName) === "integer" ? declared : actual;
}

function uniqueExpressions(agg: AggregateRel): Expression[] {
  const all: Expression[] = [];
  for (const g of agg.groupings) for (const e of g.groupingExpressions) if (!all.some((x) => sameExpression(x, e))) all.push(e);
  return all;
}

function sameExpression(a: Expression, b: Expression): boolean {
  return JSON.stringify(a, (_, v) => (typeof v === "bigint" ? v.toString() : v)) === JSON.stringify(b, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

interface JoinGroup {
  /** FROM items, each `(SELECT …) alias`. */
  from: string[];
  /** Join conditions and filters, all to hold. */
  conditions: string[];
  /** The group's output columns, as references into its FROM items. */
  refs: string[];
  types: (Type | undefined)[];
}

function isInnerJoin(rel: Rel): boolean {
  return rel.cross !== undefined || rel.join?.type === JoinRel_JoinType.JOIN_TYPE_INNER;
}
