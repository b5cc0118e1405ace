// AST → bound logical plan. Names resolve against the catalog and the scopes of enclosing
// query blocks; every expression gets DuckDB's type; subqueries in WHERE and HAVING are
// turned into joins where that is exact (see subqueries.ts).
import { DUCKDB_KEYWORDS } from "../duckdb-keywords.ts";
import { asJson, bindJsonFunction, castToJson, isJsonFunction, jsonArrow } from "./json.ts";
import { bindLambdaFunction, bindListFunction, isLambdaFunction, isListFunction, listConcat, listExtract, listSlice, listValue } from "./lists.ts";
import { UnsupportedError, UserError, invariant, type SourcePosition } from "../../common/errors.ts";
import type { Catalog, CatalogTable } from "../catalog.ts";
import { namedColumns } from "../../proto/index.ts";
import { bindMapFunction, isMapFunction, mapLiteral, mapValueOf } from "./maps.ts";
import { parseTypeName } from "./type-names.ts";
import { WRITES_VALUES_AS_TEXT, castToNested, rowValue, structField, structFieldAt, structInsert, structPack } from "./structs.ts";
import type {
  Aggregate,
  AggregateCall,
  ColumnDef,
  ColumnId,
  Expr,
  FrameBound,
  IntervalValue,
  Lambda,
  Literal,
  LogicalPlan,
  Measure,
  ProjectOutput,
  SetOpKind,
  SortKey,
  WindowCall,
  WindowFrame,
  WindowOutput,
  Unnest,
} from "../logical.ts";
import { BIT_AGGREGATES, DOUBLE_AGGREGATES, STATISTICS_AGGREGATES, type AggregateFunctionName } from "../logical.ts";
import { COMPREHENSION_CALL, FIELD_CALL, MAP_CALL, TYPED_CAST_CALL, LAMBDA_CALLS, argumentOrderOf, markedListElementType, STRUCT_CALL, STRUCT_PACK_CALL, STRUCT_INSERT_CALL, DISTINCT_FROM_OPERATORS, GROUPING_SETS_CALL, LIMIT_OFFSET_MARK, PIVOT_MARK, UNPIVOT_MARK, HAVING_THEN_QUALIFY, INTERVAL_CALL, AT_TIME_ZONE_CALL, SLICE_CALL, SUBSCRIPT_CALL, aggregateIsDistinct, argumentsGrouped, baseWindowOf, castIsTry, isByAll, isAsofJoin, filteringJoinOf, isIntegerDivision, isNaturalJoin, frameExclusionOf, nullsIgnored, partitionKeyCount, writtenFrameOf, sampleOf, type FrameExclusion, type WrittenFrame, type Sample, writtenName, nodePosition, setOpIsAll, setOpIsByName, starModifier, timestampIsZoned, windowFilterOf, type AstNode, type ParsedQuery } from "../parse/index.ts";
import { tokenPosition, type Token } from "../parse/lexer.ts";
import {
  aggregateKey,
  columnRef,
  columnsOf,
  containsSubquery,
  definedColumns,
  exprKey,
  exprSome,
  freeColumns,
  mapExpr,
  outputColumns,
  passedThrough,
  rewriteTopDown,
  visitExpr,
  windowKey,
} from "../plan-utils.ts";
import {
  decimal,
  elementOf as valueTypeOf,
  fromSubstraitType,
  hugeint,
  isInteger,
  isInterval,
  isNumeric,
  isTemporal,
  jsonType,
  listOf,
  sameType,
  type,
  typeName,
  withNullable,
  type SqlType,
  fieldsOf,
  structFieldNameSql,
  mapOf,
} from "../types.ts";
import { foldExpr } from "../optimize/constant-folding.ts";
import { numberedRows } from "./numbered.ts";
import { castStringLiteral, intervalPieces, literal, nullLiteral, numberLiteral, parseDate, parseInterval, parseTime, parseTimestamp, parseTimestampTz } from "./literals.ts";
import { intervalUnit } from "../intervals.ts";
import {
  COMPARISON_OPERATORS,
  type ComparisonOp,
  and,
  arithmetic,
  bitwise,
  bitwiseNot,
  call,
  caseExpr,
  castTo,
  countStar,
  coalesce,
  filteredAggregates,
  compare,
  isStringLiteral,
  inList,
  isNull,
  like,
  negate,
  not,
  or,
  requireBoolean,
  unify,
  unifyEquality,
  unifyAll,
  sumType,
  namedForText,
} from "./operators.ts";
import { Scope, type ScopeItem } from "./scope.ts";
import { applyPredicate, atMostOneRow, decorrelateScalarSubqueries, distinctInput, elementOf } from "./subqueries.ts";
import { exprFreeColumns, freshCopy, renameColumns } from "./correlation.ts";
import { lateralJoin, readsAny } from "./lateral.ts";
import { asofJoin } from "./asof.ts";
import { SERIES_FUNCTIONS, seriesPlan } from "./series.ts";
import { samplePlan } from "./sample.ts";
import { pivotPlan, unpivotPlan } from "./pivot.ts";
import { WINDOW_ONLY } from "../functions.ts";
import { bindLibraryFunction, checkArity, extractPart, integerConstant, isLibraryFunction } from "./library.ts";

const MS_PER_DAY = 86_400_000;

/** Most rows a VALUES list in FROM may hold: each is a literal row of the plan. */
const MAX_VALUES_ROWS = 10_000;

/** Deepest nesting of query blocks (subqueries, derived tables, CTE references). */
export const MAX_QUERY_DEPTH = 32;

export interface BoundQuery {
  readonly plan: LogicalPlan;
  /** Output names, one per output column of `plan`. */
  readonly names: string[];
}

interface CteDefinition {
  readonly name: string;
  readonly ast: AstNode;
  readonly columnNames: string[] | undefined;
  /** The CTEs visible where this one was defined. */
  readonly environment: Ctes;
  /** Defined under WITH RECURSIVE: it may read itself in the last operand of a UNION. */
  readonly recursive?: boolean;
  /** What reading it gives, instead of binding `ast`: a recursion's working table (or an error, read where it may not be). */
  readonly read?: (position: SourcePosition | undefined) => BoundQuery;
}

type Ctes = ReadonlyMap<string, CteDefinition>;

interface ExprContext {
  readonly scope: Scope;
  readonly clause: string;
  readonly aggregates: boolean;
  readonly windows: boolean;
  readonly ctes: Ctes;
  readonly depth: number;
  /** The block's WINDOW clause: its windows by name (OVER w). */
  readonly namedWindows?: ReadonlyMap<string, AstNode>;
  /** The block's select-list aliases and what they name: GROUPING(alias) reads them as GROUP BY does. */
  readonly selectAliases?: ReadonlyMap<string, AstNode>;
  /** Inside lambdas' bodies: each enclosing lambda's parameters, innermost last (they hide columns of their names). */
  readonly lambdas?: readonly (readonly { readonly name: string; readonly type: SqlType }[])[];
}

/** A set operation between two queries, as written. */
interface SetOperator {
  readonly kind: string;
  readonly all: boolean;
  /** UNION BY NAME: columns matched by name, not position. */
  readonly byName: boolean;
  readonly position: SourcePosition | undefined;
}

/** What a window function's arguments, PARTITION BY and ORDER BY are bound in. */
const WINDOW_FUNCTION_CLAUSE = "a window function";
/**
 * Clauses that may name a select item by its alias (see columnReference): the select list (and
 * ORDER BY) too; and, as in DuckDB, a window function's arguments and keys, not an aggregate's.
 */
const ALIAS_CLAUSES = new Set(["SELECT", "WHERE", "HAVING", "QUALIFY", WINDOW_FUNCTION_CLAUSE]);

/** Makes fresh column ids; one per planned query, so ids never collide within a plan. */
export class ColumnIds {
  #next = 1;
  column(name: string, t: SqlType): ColumnDef {
    return { id: this.#next++, name, type: t };
  }

  /** A number no column of the plan has: for names that must be unique in it. */
  fresh(): number {
    return this.#next++;
  }
}

export function bindQuery(parsed: ParsedQuery, catalog: Catalog, ids = new ColumnIds(), now = new Date()): BoundQuery {
  const binder = new Binder(catalog, ids, parsed, now);
  return binder.query(parsed.ast, undefined, new Map(), 0);
}

/** Aggregates by the names SQL gives them (see aggregateOf). */
const AGGREGATE_NAMES = new Set([
  "sum", "count", "min", "max", "avg", "bool_and", "bool_or",
  "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop",
  "median", "quantile_cont", "quantile_disc", "quantile", "mode", "histogram", "approx_count_distinct",
  "arg_min", "arg_max", "argmin", "argmax", "min_by", "max_by", "string_agg", "group_concat", "listagg",
  "list", "array_agg", "percentile_cont", "percentile_disc", "count_if", "regr_count", "first", "last", ...STATISTICS_AGGREGATES,
  ...DOUBLE_AGGREGATES, ...BIT_AGGREGATES, "sumkahan", "kahan_sum", "geometric_mean", "entropy", "mad", "any_value", "arbitrary",
  "json_group_array", "json_group_object",
]);

class Binder {
  readonly catalog: Catalog;
  readonly ids: ColumnIds;
  readonly tokens: readonly Token[];
  /**
   * Columns of a type trustql cannot run (a UNION in a parquet file), by id, each with what its
   * error says of it (`TIME WITH TIME ZONE of t.c`): a query may read the table's other columns,
   * and fails only where it names one of these.
   */
  readonly #unusable = new Map<ColumnId, string>();
  /** The contexts of the expressions whose subqueries are being bound, innermost last. */
  readonly #subqueryContexts: ExprContext[] = [];
  /**
   * Aggregates written inside a subquery over the enclosing block's columns only, by that
   * block's scope: they are that block's measures (see #outerAggregate).
   */
  readonly #aggregatesFromSubqueries = new Map<Scope, Measure[]>();

  /**
   * When the query was planned: current_date and now() are this time, fixed in the plan, so that
   * every node, and whoever re-runs a task to check it, reads one value.
   */
  readonly now: Date;
  readonly parsed: ParsedQuery;

  /** current_date: the day the query was planned. Every engine runs in UTC: the date is UTC's. */
  today(): Expr {
    return literal(Math.floor(this.now.getTime() / MS_PER_DAY), type("date", false));
  }

  constructor(catalog: Catalog, ids: ColumnIds, parsed: ParsedQuery, now: Date) {
    this.catalog = catalog;
    this.ids = ids;
    this.tokens = parsed.tokens;
    this.parsed = parsed;
    this.now = now;
  }

  /**
   * Where a keyword sequence (or a string literal's text) first occurs: for the nodes the
   * parser gives no location, such as the clauses of a SELECT.
   */
  locate(...words: string[]): SourcePosition | undefined {
    const t = this.tokens;
    for (let i = 0; i < t.length; i++) {
      if (words.every((w, k) => t[i + k] && (t[i + k].kind === "string" ? t[i + k].text === w : t[i + k].text === w.toUpperCase()))) {
        return tokenPosition(t[i]);
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- queries

  query(ast: AstNode, outer: Scope | undefined, ctes: Ctes, depth: number): BoundQuery {
    if (depth > MAX_QUERY_DEPTH) throw new UserError(`query nests subqueries deeper than ${MAX_QUERY_DEPTH} levels`, this.here(ast));
    const environment = this.withClause(ast, ctes);
    if (!ast._next) return this.selectBlock(ast, outer, environment, depth, true);
    return this.setOperation(ast, outer, environment, depth);
  }

  withClause(ast: AstNode, ctes: Ctes): Ctes {
    if (!ast.with) return ctes;
    const next = new Map(ctes);
    // RECURSIVE, written once after WITH, holds for every CTE of the list.
    const recursive = ast.with.some((cte: AstNode) => cte.recursive === true);
    for (const cte of ast.with) {
      const name = String(cte.name?.value ?? cte.name).toLowerCase();
      const columnNames = Array.isArray(cte.columns)
        ? cte.columns.map((c: AstNode) => String(c?.column?.expr?.value ?? c?.value ?? c))
        : undefined;
      next.set(name, { name, ast: cte.stmt?.ast ?? cte.stmt, columnNames, environment: new Map(next), recursive });
    }
    return next;
  }

  setOperation(ast: AstNode, outer: Scope | undefined, ctes: Ctes, depth: number): BoundQuery {
    // The parser chains operands left to right; INTERSECT binds tighter than UNION and EXCEPT.
    const operands: AstNode[] = [];
    const ops: SetOperator[] = [];
    for (let node = ast; node; node = node._next) {
      operands.push(node);
      if (node._next) {
        const text = String(node.set_op).toLowerCase();
        const kind = text.split(" ")[0];
        ops.push({ kind, all: text.includes("all") || setOpIsAll(node), byName: setOpIsByName(node), position: this.here(node) });
      }
    }
    // A trailing ORDER BY / LIMIT without parentheses belongs to the whole set operation.
    const last = operands[operands.length - 1];
    const trailing = !last.parentheses_symbol && (last.orderby || hasLimit(last)) ? { orderby: last.orderby, limit: last.limit } : undefined;
    const bound = operands.map((operand, i) =>
      this.selectBlock(operand, outer, ctes, depth, i !== operands.length - 1 || !trailing),
    );

    // Precedence: fold INTERSECTs first, then the rest left to right.
    let items: BoundQuery[] = [bound[0]];
    let pending: typeof ops = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.kind === "intersect") {
        const left = items.pop()!;
        items.push(this.combine(op, left, bound[i + 1]));
      } else {
        pending.push(op);
        items.push(bound[i + 1]);
      }
    }
    let result = items[0];
    for (let i = 0; i < pending.length; i++) result = this.combine(pending[i], result, items[i + 1]);

    if (trailing) {
      const columns = outputColumns(result.plan);
      const keys: SortKey[] = (trailing.orderby ?? []).map((item: AstNode) => {
        const index = this.outputIndex(item.expr, result.names, this.here(item.expr));
        if (index === undefined) {
          throw new UnsupportedError("ORDER BY on a set operation other than by output name or position", this.here(item.expr));
        }
        return sortKey(columnRef(columns[index]), item);
      });
      let plan = result.plan;
      if (keys.length > 0) plan = { kind: "sort", input: plan, keys };
      plan = this.limit(plan, trailing.limit);
      result = { plan, names: result.names };
    }
    return result;
  }

  /**
   * UNION BY NAME: both sides as the left side's columns, then the right side's others, each
   * matched by name (case aside); a side without a column gives NULL there.
   */
  alignByName(left: BoundQuery, right: BoundQuery): [BoundQuery, BoundQuery] {
    const names = [...left.names];
    for (const name of right.names) if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(name);
    const align = (q: BoundQuery, other: BoundQuery): BoundQuery => {
      const [own, others] = [outputColumns(q.plan), outputColumns(other.plan)];
      const at = (b: BoundQuery, name: string) => b.names.findIndex((n) => n.toLowerCase() === name.toLowerCase());
      const outputs = names.map((name) => {
        const i = at(q, name);
        if (i >= 0) return { column: this.ids.column(name, own[i].type), expr: columnRef(own[i]) };
        const t = withNullable(others[at(other, name)].type, true);
        return { column: this.ids.column(name, t), expr: literal(null, t) };
      });
      return { plan: { kind: "project", input: q.plan, outputs }, names };
    };
    return [align(left, right), align(right, left)];
  }

  combine(op: SetOperator, first: BoundQuery, second: BoundQuery): BoundQuery {
    const [left, right] = op.byName ? this.alignByName(first, second) : [first, second];
    const lc = outputColumns(left.plan);
    const rc = outputColumns(right.plan);
    if (lc.length !== rc.length) {
      throw new UserError(`each ${op.kind.toUpperCase()} query must have the same number of columns (${lc.length} and ${rc.length})`, op.position);
    }
    const types = lc.map((c, i) => unifyAll([columnRef(c), columnRef(rc[i])], op.kind, op.position)[0].type);
    const conform = (q: BoundQuery, cols: readonly ColumnDef[]): LogicalPlan => {
      if (cols.every((c, i) => sameType(c.type, types[i]))) return q.plan;
      return {
        kind: "project",
        input: q.plan,
        outputs: cols.map((c, i) => ({ column: this.ids.column(c.name, withNullable(types[i], c.type.nullable)), expr: castTo(columnRef(c), types[i]) })),
      };
    };
    const kind = `${op.kind}${op.all ? "_all" : ""}` as SetOpKind;
    if (!["union", "union_all", "intersect", "intersect_all", "except", "except_all"].includes(kind)) {
      throw new UnsupportedError(`set operation ${op.kind}`, op.position);
    }
    const leftPlan = conform(left, lc);
    const rightPlan = conform(right, rc);
    const lo = outputColumns(leftPlan);
    const ro = outputColumns(rightPlan);
    const columns = lo.map((c, i) => {
      const nullable = op.kind === "except" ? c.type.nullable : op.kind === "intersect" ? c.type.nullable && ro[i].type.nullable : c.type.nullable || ro[i].type.nullable;
      return this.ids.column(left.names[i], withNullable(types[i], nullable));
    });
    return { plan: { kind: "set", op: kind, inputs: [leftPlan, rightPlan], columns }, names: left.names };
  }

  /**
   * A CTE under WITH RECURSIVE. When it is a UNION [ALL] whose last operand reads the CTE (the
   * step), the operands before it are the anchor, run once, and the step runs over the rows the
   * previous round added until a round adds none. Its columns have the anchor's types (the
   * step's rows are cast to them), as DuckDB's.
   * Otherwise it is an ordinary CTE. Only the step may read the CTE.
   */
  recursiveCte(cte: CteDefinition, depth: number): BoundQuery {
    const circular: CteDefinition = {
      ...cte,
      read: (position) => {
        throw new UserError(`circular reference to CTE ${cte.name}: only the last query of its UNION may read it`, position);
      },
    };
    const outside = new Map(cte.environment).set(cte.name, circular);
    const operands: AstNode[] = [];
    for (let node: AstNode = cte.ast; node; node = node._next) operands.push(node);
    const [last, beforeLast] = [operands[operands.length - 1], operands[operands.length - 2]];
    const union = String(beforeLast?.set_op ?? "").toLowerCase();
    if (!union.startsWith("union")) return this.query(cte.ast, undefined, outside, depth);
    const position = this.here(beforeLast);
    if (setOpIsByName(beforeLast)) throw new UnsupportedError("UNION BY NAME in a recursive CTE", position);
    if (!last.parentheses_symbol && (last.orderby || hasLimit(last))) {
      throw new UnsupportedError("ORDER BY or LIMIT after the UNION of a recursive CTE (put the last query in parentheses)", this.here(last));
    }

    // The anchor: the operands before the step, a query of their own (the first holds the CTE's own WITH).
    const anchorAst = operands.slice(0, -1).reduceRight<AstNode | undefined>((next, node) => ({ ...node, _next: next, set_op: next ? node.set_op : undefined }), undefined);
    const anchor = this.query(anchorAst!, undefined, outside, depth);
    const anchorColumns = outputColumns(anchor.plan);
    const names = anchorColumns.map((c, i) => cte.columnNames?.[i] ?? anchor.names[i]);
    // Later rounds may bring NULLs whatever the anchor's columns are; a NULL of the anchor is an INTEGER, as in DuckDB.
    const types = anchorColumns.map((c) => (c.type.kind === "null" ? type("i32") : withNullable(c.type, true)));
    const workingTable = `recursive_${this.ids.fresh()}`;
    let reads = 0;
    const working: CteDefinition = {
      ...cte,
      read: () => {
        reads++;
        const columns = types.map((t, i) => this.ids.column(names[i], t));
        return { plan: { kind: "working_table", name: workingTable, columns }, names: [...names] };
      },
    };
    const step = this.selectBlock(last, undefined, new Map(this.withClause(cte.ast, cte.environment)).set(cte.name, working), depth, true);
    if (reads === 0) return this.query(cte.ast, undefined, outside, depth);
    const stepColumns = outputColumns(step.plan);
    if (stepColumns.length !== types.length) {
      throw new UserError(`each UNION query of recursive CTE ${cte.name} must have the same number of columns (${types.length} and ${stepColumns.length})`, position);
    }
    const conformed = (plan: LogicalPlan): LogicalPlan => {
      const columns = outputColumns(plan);
      if (columns.every((c, i) => sameType(c.type, types[i]))) return plan;
      const outputs = columns.map((c, i) => ({ column: this.ids.column(c.name, withNullable(types[i], c.type.nullable)), expr: sameType(c.type, types[i]) ? columnRef(c) : castTo(columnRef(c), types[i]) }));
      return { kind: "project", input: plan, outputs };
    };
    const columns = names.map((name, i) => this.ids.column(name, withNullable(types[i], anchorColumns[i].type.nullable || stepColumns[i].type.nullable)));
    const all = union.includes("all") || setOpIsAll(beforeLast);
    return { plan: { kind: "recursive", anchor: conformed(anchor.plan), step: conformed(step.plan), all, workingTable, columns }, names };
  }

  outputIndex(expr: AstNode, names: readonly string[], position: SourcePosition | undefined): number | undefined {
    if (expr?.type === "number" && Number.isInteger(Number(expr.value))) {
      const n = Number(expr.value);
      if (n < 1 || n > names.length) throw new UserError(`ORDER BY position ${n} is not in the select list`, nodePosition(expr) ?? this.locate("ORDER", "BY"));
      return n - 1;
    }
    if (expr?.type === "column_ref" && !expr.table && typeof expr.column !== "string") {
      const name = String(expr.column.expr.value).toLowerCase();
      const matches = names.map((n, i) => (n.toLowerCase() === name ? i : -1)).filter((i) => i >= 0);
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  limit(plan: LogicalPlan, limit: AstNode): LogicalPlan {
    if (!hasLimit({ limit })) return plan;
    const values: AstNode[] = limit.value;
    let percent: number | undefined;
    const read = (v: AstNode, what: string): number | undefined => {
      if (v?.type === "origin" && String(v.value).toLowerCase() === "all") return undefined;
      if (what === "LIMIT" && v?.type === "number" && Number(v.value) < 0) {
        // LIMIT p% reached the grammar as LIMIT -p (the pre-pass).
        percent = -Number(v.value);
        if (!(percent <= 100)) throw new UserError(`LIMIT ${percent}%: a percentage is from 0% to 100%`, this.locate("LIMIT"));
        return undefined;
      }
      if (v?.type === "number" && Number.isSafeInteger(Number(v.value)) && Number(v.value) >= 0) return Number(v.value);
      return this.#constantLimit(v, what);
    };
    let count: number | undefined;
    let offset = 0;
    const [first] = values;
    if (first?.type === "select" && first.columns?.length === 2 && first.columns[1].as === LIMIT_OFFSET_MARK) {
      // LIMIT count OFFSET offset where either is an expression (see the pre-pass).
      count = this.#constantLimit(first.columns[0].expr, "LIMIT");
      offset = this.#constantLimit(first.columns[1].expr, "OFFSET") ?? 0;
    } else if (limit.seperator === "offset") {
      if (values.length === 1) offset = read(values[0], "OFFSET") ?? 0;
      else {
        count = read(values[0], "LIMIT");
        offset = read(values[1], "OFFSET") ?? 0;
      }
    } else if (limit.seperator === ",") {
      offset = read(values[0], "OFFSET") ?? 0;
      count = read(values[1], "LIMIT");
    } else {
      count = read(values[0], "LIMIT");
    }
    if (percent !== undefined) return this.#limitPercent(plan, percent, offset);
    if (count === undefined && offset === 0) return plan;
    return { kind: "limit", input: plan, offset, count };
  }

  /**
   * A LIMIT or OFFSET other than a whole number: a constant expression (which the pre-pass wrote
   * as `(SELECT expr)`), or a scalar subquery without FROM, worked out when planning and cast to
   * BIGINT as DuckDB casts it. NULL: no limit (undefined).
   */
  #constantLimit(v: AstNode, what: string): number | undefined {
    let written = v;
    if (v?.ast?.type === "select" && !v.ast._next) return this.#constantLimit(v.ast, what);
    if (v?.type === "select") {
      const item = v.columns?.length === 1 ? v.columns[0] : undefined;
      if (v.from || v.where || v.groupby || v.having || v.orderby || hasLimit(v) || v._next || v.with || v.window || !item?.expr || item.expr.type === "star") {
        throw new UnsupportedError(`${what} of a subquery that reads a table`, nodePosition(v) ?? this.locate(what));
      }
      written = item.expr;
    }
    const position = nodePosition(written) ?? this.locate(what);
    const ctx: ExprContext = { scope: new Scope([], undefined), clause: what, aggregates: false, windows: false, ctes: new Map(), depth: 0 };
    const value = foldExpr(this.expr(written, ctx));
    if (value.kind !== "literal") throw new UnsupportedError(`${what} of an expression other than constant arithmetic`, position);
    const count = bigintOf(value.value, value.type, what, position);
    if (count === null) return undefined;
    if (count < 0n) throw new UserError("LIMIT/OFFSET cannot be negative", position);
    // The plan's counts are numbers: past 2^53 rows no table reaches, a count is as good as any larger.
    return Number(count > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : count);
  }

  /**
   * LIMIT p% OFFSET k: the rows numbered (in ORDER BY's order) past k and up to k plus p% of all
   * the rows, rounded down, as DuckDB counts them. Numbered by a window over the whole result.
   */
  #limitPercent(plan: LogicalPlan, percent: number, offset: number): LogicalPlan {
    const columns = outputColumns(plan);
    const keys = plan.kind === "sort" ? plan.keys : [];
    const input = plan.kind === "sort" ? plan.input : plan;
    const whole = { partitionBy: [], frame: undefined };
    const position = this.ids.column("row_number", type("i64", false));
    const rows = this.ids.column("rows", type("i64", false));
    const numbered: LogicalPlan = {
      kind: "window",
      input,
      functions: [
        { column: position, call: { fn: "row_number", args: [], orderBy: keys, ...whole, type: position.type } },
        { column: rows, call: { fn: "count", args: [], orderBy: [], ...whole, type: rows.type } },
      ],
    };
    const fp = type("fp64", false);
    const share = call("floor", [arithmetic("/", arithmetic("*", castTo(columnRef(rows), fp), literal(percent, fp), undefined), literal(100, fp), undefined)], fp);
    const first = literal(BigInt(offset), type("i64", false));
    const kept = and([compare("gt", columnRef(position), first, undefined), compare("lte", castTo(columnRef(position), fp), arithmetic("+", share, castTo(first, fp), undefined), undefined)]);
    const sorted: LogicalPlan = { kind: "sort", input: { kind: "filter", input: numbered, predicate: kept }, keys: [{ expr: columnRef(position), descending: false, nullsFirst: false }] };
    return { kind: "project", input: sorted, outputs: passedThrough(columns) };
  }

  // ---------------------------------------------------------------- one SELECT

  selectBlock(ast: AstNode, outer: Scope | undefined, inherited: Ctes, depth: number, ownOrderAndLimit: boolean): BoundQuery {
    const own = nodePosition(ast);
    if (own) this.#enclosing.push(own);
    try {
      return this.selectBlockAt(ast, outer, inherited, depth, ownOrderAndLimit);
    } finally {
      if (own) this.#enclosing.pop();
    }
  }

  selectBlockAt(ast: AstNode, outer: Scope | undefined, inherited: Ctes, depth: number, ownOrderAndLimit: boolean): BoundQuery {
    const ctes = this.withClause(ast, inherited);
    const position = this.here(ast);
    if (ast.type !== "select") throw new UnsupportedError(`${String(ast.type).toUpperCase()} in a query`, position);
    if (ast.into?.position) throw new UnsupportedError("SELECT INTO", position);
    const namedWindows = new Map<string, AstNode>();
    for (const named of ast.window?.expr ?? []) {
      const name = String(named.name).toLowerCase();
      if (namedWindows.has(name)) throw new UserError(`window ${named.name} is defined twice`, position);
      if (typeof named.as_window_specification === "string") throw new UnsupportedError("a named window defined by another", position);
      namedWindows.set(name, named.as_window_specification);
    }
    if (ast.options) throw new UnsupportedError("SELECT options", position);

    // FROM
    let { plan, items } = ast.from ? this.fromClause(ast.from, outer, ctes, depth) : { plan: oneRow(), items: [] as ScopeItem[] };
    const scope = new Scope(items, outer);
    const selectAliases = new Map<string, AstNode>(
      (Array.isArray(ast.columns) ? ast.columns : []).filter((c: AstNode) => typeof c?.as === "string").map((c: AstNode) => [String(c.as).toLowerCase(), c.expr]),
    );
    const context = (clause: string, aggregates: boolean, windows: boolean): ExprContext => ({ scope, clause, aggregates, windows, ctes, depth, namedWindows, selectAliases });

    // WHERE
    if (ast.where) {
      const predicate = requireBoolean(this.expr(ast.where, context("WHERE", false, false)), "WHERE", this.here(ast.where));
      plan = applyPredicate(plan, predicate, this.ids);
    }

    // SELECT list, expanded
    const selectContext = context("SELECT", true, true);
    const selected: { expr: Expr; name: string; position: SourcePosition | undefined }[] = [];
    const columns: AstNode[] = ast.columns === "*" ? [{ expr: { type: "column_ref", column: "*" } }] : ast.columns;
    for (let k = 0; k < columns.length; k++) {
      const item = columns[k];
      const e = item.expr;
      const modifier = e?.type === "column_ref" ? starModifier(e.column, this.parsed) : undefined;
      if (e?.type === "column_ref" && (e.column === "*" || e.column?.expr?.value === "*" || modifier)) {
        const qualifier = typeof e.table === "string" ? e.table : e.table?.value;
        const starred = items.filter((i) => !i.merged && (qualifier === undefined || i.qualifier === String(qualifier).toLowerCase()));
        if (qualifier !== undefined && !scope.hasQualifier(qualifier)) {
          // s.* of a struct column s: its fields, each a column named as the field.
          const struct = !modifier && !e.schema ? this.#structFieldReference([String(qualifier)], selectContext, this.here(e)) : undefined;
          if (!struct) throw new UserError(`unknown table ${qualifier}`, this.here(e));
          selected.push(...this.#structFields(struct, this.here(e)));
          continue;
        }
        const selects = (name: string) => starred.some((i) => i.name.toLowerCase() === name.toLowerCase());
        const excluded = modifier?.exclude ?? [];
        const unknown = excluded.find((name) => !selects(name));
        if (unknown !== undefined) throw new UserError(`EXCLUDE names ${unknown}, which * does not select`, this.here(e) ?? position);
        // * REPLACE (expr AS name, …): the items after the marker, each in place of the star's column of its name.
        const replacements = new Map<string, Expr>();
        for (const replacing of columns.slice(k + 1, k + 1 + (modifier?.replace ?? 0))) {
          const name = typeof replacing.as === "string" ? replacing.as : undefined;
          if (name === undefined) throw new UserError("REPLACE takes expressions AS column names", this.here(replacing.expr) ?? position);
          if (!selects(name)) throw new UserError(`REPLACE names ${name}, which * does not select`, this.here(replacing.expr) ?? position);
          replacements.set(name.toLowerCase(), this.expr(replacing.expr, selectContext));
        }
        k += modifier?.replace ?? 0;
        const visible = starred.filter((i) => !excluded.some((name) => name.toLowerCase() === i.name.toLowerCase()));
        if (visible.length === 0) throw new UserError("SELECT * with no columns", this.here(e) ?? position);
        for (const i of visible) selected.push({ expr: replacements.get(i.name.toLowerCase()) ?? this.#usable(i.column, this.here(e)), name: i.name, position: this.here(e) });
        continue;
      }
      const unnested = e?.type === "function" && functionName(e) === "unnest" && argumentAsts(e).length === 1 && argumentAsts(e)[0]?.type === "column_ref" ? this.expr(argumentAsts(e)[0], selectContext) : undefined;
      if (unnested?.type.kind === "struct") {
        // unnest(s) of a struct column: its fields, as s.* (DuckDB's).
        selected.push(...this.#structFields(unnested, this.here(e)));
        continue;
      }
      const columnsSelector = columnsCallSelector(e, this.parsed, this.here(e) ?? position);
      if (columnsSelector !== undefined) {
        // COLUMNS('regex'), COLUMNS(*), COLUMNS(['a', 'b']) or COLUMNS(c -> …): the item once per
        // column it selects, named as that column unless the item has its own name (in which a
        // regular expression's groups, \1 …, are the column's).
        const at = this.here(e) ?? position;
        const visible = items.filter((i) => !i.merged);
        const selects = (name: string): boolean => {
          switch (columnsSelector.kind) {
            case "all":
              return !columnsSelector.exclude.some((n) => n.toLowerCase() === name.toLowerCase());
            case "pattern":
              return columnsSelector.pattern.test(name);
            case "names":
              return columnsSelector.names.some((n) => n.toLowerCase() === name.toLowerCase());
            case "lambda":
              return this.#columnNameTest(columnsSelector, name, selectContext, at);
          }
        };
        if (columnsSelector.kind === "names" || columnsSelector.kind === "all") {
          const unknown = (columnsSelector.kind === "names" ? columnsSelector.names : columnsSelector.exclude).find((n) => !visible.some((i) => i.name.toLowerCase() === n.toLowerCase()));
          if (unknown !== undefined) throw new UserError(columnsSelector.kind === "names" ? `COLUMNS names ${unknown}, which is no column here` : `EXCLUDE names ${unknown}, which * does not select`, at);
        }
        const matched = visible.filter((i) => selects(i.name));
        if (matched.length === 0) throw new UserError(`COLUMNS(${columnsSelector.text}) matches no column`, at);
        for (const i of matched) {
          const reference = { type: "column_ref", table: i.qualifier ?? null, column: { expr: { type: "default", value: i.name } } };
          const alias = item.as === null || item.as === undefined ? undefined : String(item.as);
          const name = alias === undefined ? i.name : columnsSelector.kind === "pattern" && /\\\d/.test(alias) ? i.name.replace(columnsSelector.pattern, alias.replaceAll("$", "$$$$").replace(/\\(\d)/g, "$$$1")) : alias;
          selected.push({ expr: this.expr(withColumnsCalls(e, reference), selectContext), name, position: at });
        }
        continue;
      }
      const bound = this.expr(e, selectContext);
      const columnName = bound.kind === "column" && e?.type === "column_ref" ? items.find((i) => i.column.id === bound.id)?.name : undefined;
      selected.push({ expr: bound, name: item.as ? String(item.as) : (columnName ?? (e?.type === "column_ref" ? writtenColumnNames(e).at(-1)! : displayName(e, bound))), position: this.here(e) });
    }

    // GROUP BY
    let groupAsts: AstNode[] = ast.groupby?.columns ?? (Array.isArray(ast.groupby) ? ast.groupby : []);
    if (groupAsts.length === 1 && isByAll(groupAsts[0], this.parsed)) {
      // GROUP BY ALL: by every select item without an aggregate, by position.
      const measured = new Set((this.#aggregatesFromSubqueries.get(scope) ?? []).map((m) => m.column.id));
      const aggregates = (e: Expr) => hasKind(e, "aggregate") || [...exprFreeColumns(e)].some((id) => measured.has(id));
      groupAsts = selected.flatMap((item, i) => (aggregates(item.expr) || hasKind(item.expr, "window") ? [] : [{ type: "number", value: i + 1 }]));
    }
    if (ast.groupby && !Array.isArray(ast.groupby) && ast.groupby.modifiers?.some(Boolean)) {
      throw new UnsupportedError("GROUP BY modifiers", position);
    }
    const groupKey = (g: AstNode): Expr => {
      const index = this.groupOrdinal(g, selected.map((s) => s.name), scope);
      if (index !== undefined) {
        const chosen = selected[index].expr;
        if (hasKind(chosen, "aggregate")) throw new UserError("GROUP BY cannot refer to an aggregate", this.here(g));
        return chosen;
      }
      return this.expr(g, context("GROUP BY", false, false));
    };
    const groupingSets = groupingSetsOf(groupAsts, groupKey, (g) => this.here(g));
    const groupExprs: Expr[] = [];
    for (const set of groupingSets) for (const e of set) if (!groupExprs.some((g) => exprKey(g) === exprKey(e))) groupExprs.push(e);
    // One set of every key is a plain GROUP BY; otherwise (ROLLUP, CUBE, GROUPING SETS) each set is grouped alone.
    const plainGroupBy = groupingSets.length === 1 && new Set(groupingSets[0].map(exprKey)).size === groupExprs.length;

    // HAVING, and QUALIFY (filters after the window functions: the grammar reads it as HAVING)
    const both = ast.having?.type === "binary_expr" && ast.having.operator === HAVING_THEN_QUALIFY ? ast.having : undefined;
    const havingAst = both ? both.left : this.parsed.qualify ? undefined : ast.having;
    const having = havingAst ? requireBoolean(this.expr(havingAst, context("HAVING", true, false)), "HAVING", this.here(havingAst)) : undefined;
    const qualifyAst = both ? both.right : this.parsed.qualify ? ast.having : undefined;
    const qualify = qualifyAst ? requireBoolean(this.expr(qualifyAst, context("QUALIFY", true, true)), "QUALIFY", this.here(qualifyAst)) : undefined;

    // ORDER BY and DISTINCT ON: by output position or name, or any expression of the block
    const orderItems: { key: AstNode; index: number | undefined; expr: Expr | undefined; distinctOn?: true }[] = [];
    if (ownOrderAndLimit && ast.orderby) {
      // ORDER BY ALL [ASC|DESC] [NULLS …]: by every select item, left to right, each so.
      const orderAsts: AstNode[] = ast.orderby.length === 1 && isByAll(ast.orderby[0].expr, this.parsed) ? selected.map((_, i) => ({ ...ast.orderby[0], expr: { type: "number", value: i + 1 } })) : ast.orderby;
      for (const item of orderAsts) {
        const index = this.outputIndex(item.expr, selected.map((s) => s.name), this.here(item.expr));
        orderItems.push({ key: item, index, expr: index === undefined ? this.expr(item.expr, selectContext) : undefined });
      }
    }
    if (ast.distinct?.type === "DISTINCT ON") {
      for (const item of ast.distinct.columns ?? []) {
        const index = this.outputIndex(item.expr, selected.map((s) => s.name), this.here(item.expr));
        orderItems.push({ key: item, index, expr: index === undefined ? this.expr(item.expr, selectContext) : undefined, distinctOn: true });
      }
    }

    // Aggregation
    const everything = [...selected.map((s) => s.expr), ...(having ? [having] : []), ...(qualify ? [qualify] : []), ...orderItems.flatMap((o) => (o.expr ? [o.expr] : []))];
    // HAVING alone makes the block a grand total, as GROUP BY () does (DuckDB's reading).
    const fromSubqueries = this.#aggregatesFromSubqueries.get(scope) ?? [];
    const aggregated = groupAsts.length > 0 || having !== undefined || fromSubqueries.length > 0 || everything.some((e) => hasKind(e, "aggregate"));
    let rewrite = (e: Expr): Expr => e;
    if (aggregated) {
      const unnestKey = groupExprs.find((g) => exprSome(g, (x) => x.kind === "call" && x.fn === UNNEST_CALL));
      if (unnestKey) throw new UserError("unnest as a GROUP BY key (DuckDB refuses it too): group the rows a subquery unnests (SELECT w, count(*) FROM (SELECT unnest(…) AS w FROM t) GROUP BY w)", position);
      const local = new Set(items.map((i) => i.column.id));
      // A measure or key that is a whole select item takes that item's name (EXPLAIN reads better).
      const itemNames = new Map(selected.map((s) => [s.expr.kind === "aggregate" ? aggregateKey(s.expr.call) : exprKey(s.expr), s.name]));
      const groups: ProjectOutput[] = [];
      const groupByKey = new Map<string, ColumnDef>();
      for (const g of groupExprs) {
        const key = exprKey(g);
        if (groupByKey.has(key)) continue;
        // A key some grouping set leaves out is NULL in that set's rows.
        const t = plainGroupBy ? g.type : withNullable(g.type, true);
        // A grouped column keeps its id: rules then see it is the same value above and below.
        const column = g.kind === "column" ? { id: g.id, name: groupName(g, items), type: t } : this.ids.column(itemNames.get(key) ?? "group", t);
        groupByKey.set(key, column);
        groups.push({ column, expr: g });
      }
      const grouped = new Set(groups.map((g) => g.column.id));
      const measures: Measure[] = [];
      const measureByKey = new Map<string, ColumnDef>();
      for (const e of everything) {
        visitExpr(e, (x) => {
          if (x.kind !== "aggregate") return;
          const key = aggregateKey(x.call);
          if (measureByKey.has(key)) return;
          const column = this.ids.column(itemNames.get(key) ?? x.call.fn, x.call.type);
          measureByKey.set(key, column);
          measures.push({ column, call: x.call });
        });
      }
      measures.push(...fromSubqueries);
      const setIndexes = groupingSets.map((set) => set.map((e) => groupExprs.findIndex((g) => exprKey(g) === exprKey(e))));
      // GROUPING(keys): per grouping set, a bit per key (the first the highest), set where the set leaves the key out.
      const groupings: { column: ColumnDef; values: bigint[] }[] = [];
      const groupingByKey = new Map<string, ColumnDef>();
      for (const e of everything) {
        visitExpr(e, (x) => {
          if (x.kind !== "call" || x.fn !== "grouping" || groupingByKey.has(exprKey(x))) return;
          if (groupAsts.length === 0) throw new UserError("GROUPING needs a GROUP BY", position);
          const keys = x.args.map((a) => {
            const at = groupExprs.findIndex((g) => exprKey(g) === exprKey(a));
            if (at < 0) throw new UserError("GROUPING's arguments must be GROUP BY keys", position);
            return at;
          });
          const column = this.ids.column("grouping", x.type);
          groupingByKey.set(exprKey(x), column);
          groupings.push({ column, values: setIndexes.map((set) => keys.reduce((bits, key) => (bits << 1n) | (set.includes(key) ? 0n : 1n), 0n)) });
        });
      }
      // Subqueries in GROUP BY keys and in aggregates' arguments become joins below the aggregate
      // (each keeps its input's rows, one for one); keys and measures stay found by what the query wrote.
      const below = [...groups.map((g) => g.expr), ...measures.flatMap((m) => m.call.args)];
      if (below.some(containsSubquery)) {
        const decorrelated = decorrelateScalarSubqueries(plan, below, this.ids);
        plan = decorrelated.plan;
        const exprs = decorrelated.exprs;
        groups.forEach((g, i) => (groups[i] = { ...g, expr: exprs[i] }));
        let next = groups.length;
        measures.forEach((m, i) => (measures[i] = { ...m, call: { ...m.call, args: m.call.args.map(() => exprs[next++]) } }));
      }
      const aggregate: Aggregate = { kind: "aggregate", input: plan, groups, measures, phase: "single" };
      plan = plainGroupBy ? grandTotalSafe(aggregate, this.ids) : unionOfGroupingSets(aggregate, setIndexes, groupings, this.ids);
      rewrite = (e: Expr) =>
        rewriteTopDown(e, (x) => {
          if (x.kind === "call" && x.fn === "grouping") {
            // One grouping set holding every key: no key is ever left out.
            return plainGroupBy ? literal(0n, type("i64", false)) : columnRef(groupingByKey.get(exprKey(x))!);
          }
          const group = groupByKey.get(exprKey(x));
          if (group) return columnRef(group);
          if (x.kind === "aggregate") return columnRef(measureByKey.get(aggregateKey(x.call))!);
          // A subquery reads the block's rows after the aggregate, as the select list does.
          const ungrouped = x.kind === "column" ? [x.id] : x.kind === "subquery" ? [...freeColumns(x.plan)] : [];
          const id = ungrouped.find((id) => local.has(id) && !grouped.has(id));
          if (id !== undefined) {
            const item = items.find((i) => i.column.id === id)!;
            throw new UserError(
              `column ${item.qualifier ? item.qualifier + "." : ""}${item.name} must appear in the GROUP BY clause or be used in an aggregate function`,
              selected.find((s) => hasColumn(s.expr, id))?.position ?? this.locate(item.name) ?? position,
            );
          }
          return undefined;
        });
      if (having) plan = applyPredicate(plan, rewrite(having), this.ids);
    } else if (everything.some((e) => hasCall(e, "grouping"))) {
      throw new UserError("GROUPING needs a GROUP BY", position);
    }
    let selectExprs = selected.map((s) => rewrite(s.expr));
    let orderExprs = orderItems.map((o) => (o.expr ? rewrite(o.expr) : undefined));
    let qualifyExpr = qualify ? rewrite(qualify) : undefined;

    // Window functions
    const windowCalls: WindowOutput[] = [];
    const windowByKey = new Map<string, ColumnDef>();
    for (const e of [...selectExprs, ...orderExprs.filter((x): x is Expr => x !== undefined), ...(qualifyExpr ? [qualifyExpr] : [])]) {
      visitExpr(e, (x) => {
        if (x.kind !== "window") return;
        const key = windowKey(x.call);
        if (windowByKey.has(key)) return;
        const column = this.ids.column(x.call.fn, x.call.type);
        windowByKey.set(key, column);
        windowCalls.push({ column, call: x.call });
      });
    }
    if (windowCalls.length > 0) {
      plan = { kind: "window", input: plan, functions: windowCalls };
      const replaceWindows = (e: Expr) => mapExpr(e, (x) => (x.kind === "window" ? columnRef(windowByKey.get(windowKey(x.call))!) : x));
      selectExprs = selectExprs.map(replaceWindows);
      orderExprs = orderExprs.map((x) => (x ? replaceWindows(x) : x));
      qualifyExpr = qualifyExpr && replaceWindows(qualifyExpr);
    }
    if (qualifyExpr) {
      if (windowCalls.length === 0) throw new UserError("QUALIFY needs a window function in the select list or in QUALIFY", this.here(qualifyAst));
      plan = applyPredicate(plan, qualifyExpr, this.ids);
    }

    // Scalar subqueries in the select list and ORDER BY become joins where exact.
    const decorrelated = decorrelateScalarSubqueries(plan, [...selectExprs, ...orderExprs.filter((x): x is Expr => x !== undefined)], this.ids);
    plan = decorrelated.plan;
    selectExprs = decorrelated.exprs.slice(0, selectExprs.length);
    let rest = decorrelated.exprs.slice(selectExprs.length);
    orderExprs = orderExprs.map((x) => (x ? rest.shift()! : x));

    ({ plan, exprs: selectExprs, orderExprs } = this.#unnest(plan, selectExprs, orderExprs, position));

    // Projection, with hidden columns for ORDER BY expressions not in the select list
    const own = new Set(outputColumns(plan).map((c) => c.id));
    const outputs: ProjectOutput[] = selectExprs.map((e, i) => ({ column: this.outputColumn(e, selected[i].name, own), expr: e }));
    const visibleCount = outputs.length;
    const keys: SortKey[] = [];
    const distinctOn: Expr[] = [];
    for (let k = 0; k < orderItems.length; k++) {
      const item = orderItems[k];
      let target: ColumnDef;
      if (item.index !== undefined) target = outputs[item.index].column;
      else {
        const e = orderExprs[k]!;
        const existing = outputs.findIndex((o) => exprKey(o.expr) === exprKey(e));
        if (existing >= 0) target = outputs[existing].column;
        else {
          if (ast.distinct?.type === "DISTINCT") {
            throw new UserError("for SELECT DISTINCT, ORDER BY expressions must appear in the select list", this.here(item.key.expr));
          }
          target = this.ids.column("sort_key", e.type);
          outputs.push({ column: target, expr: e });
        }
      }
      if (item.distinctOn) distinctOn.push(columnRef(target));
      else keys.push(sortKey(columnRef(target), item.key));
    }
    plan = { kind: "project", input: plan, outputs };
    if (distinctOn.length > 0) {
      // DISTINCT ON (keys): each key's first row in ORDER BY's order, the one numbered 1 in its partition.
      plan = numberedRows(plan, this.ids.column("row_number", type("i64", false)), distinctOn, keys, 0, 1);
    }
    // DISTINCT of one row or none (a grand total: `SELECT DISTINCT count(*) …`) keeps it as it is.
    if (ast.distinct?.type === "DISTINCT" && !atMostOneRow(plan)) {
      plan = {
        kind: "aggregate",
        input: plan,
        groups: outputs.map((o) => ({ column: o.column, expr: columnRef(o.column) })),
        measures: [],
        phase: "single",
      };
    }
    if (keys.length > 0) plan = { kind: "sort", input: plan, keys };
    if (ownOrderAndLimit) plan = this.limit(plan, ast.limit);
    if (outputs.length > visibleCount || distinctOn.length > 0) {
      plan = { kind: "project", input: plan, outputs: outputs.slice(0, visibleCount).map((o) => ({ column: o.column, expr: columnRef(o.column) })) };
    }
    return { plan, names: selected.map((s) => s.name) };
  }

  /**
   * unnest(list) in the select list (or ORDER BY): an unnest operator under the projection, whose
   * value column the select items read instead.
   */
  #unnest(plan: LogicalPlan, exprs: Expr[], orderExprs: (Expr | undefined)[], position: SourcePosition | undefined): { plan: LogicalPlan; exprs: Expr[]; orderExprs: (Expr | undefined)[] } {
    const calls = new Map<string, Expr>();
    for (const e of [...exprs, ...orderExprs]) {
      if (e) visitExpr(e, (x) => void (x.kind === "call" && x.fn === UNNEST_CALL && calls.set(exprKey(x), x)));
    }
    if (calls.size === 0) return { plan, exprs, orderExprs };
    const lists = [...calls.values()].map((x) => (x as Expr & { kind: "call" }).args[0]);
    let unnest: Unnest;
    let valueOf: (list: Expr, type: SqlType) => Expr;
    if (lists.length === 1) {
      unnest = { kind: "unnest", input: plan, list: lists[0], column: this.ids.column("unnest", withNullable(valueTypeOf(lists[0].type), true)) };
      valueOf = () => columnRef(unnest.column);
    } else {
      // Several lists pair their values by position, as in DuckDB: the positions 1 … the longest
      // list's length are unnested (none where every list is empty or NULL), and each list read
      // at the position (NULL past its end).
      const i64 = type("i64");
      const longest = call("greatest_skip_null", lists.map((l) => call("list_length", [l], i64)), i64);
      const positions = call("list_range", [literal(1n, type("i64", false)), call("add", [longest, literal(1n, type("i64", false))], i64)], listOf(type("i64", false)));
      unnest = { kind: "unnest", input: plan, list: positions, column: this.ids.column("unnest_position", i64) };
      valueOf = (list, t) => call("list_extract", [list, columnRef(unnest.column)], t);
    }
    const replace = (e: Expr) => mapExpr(e, (x) => (x.kind === "call" && x.fn === UNNEST_CALL ? valueOf(x.args[0], x.type) : x));
    return { plan: unnest, exprs: exprs.map(replace), orderExprs: orderExprs.map((e) => e && replace(e)) };
  }

  /** list_transform, list_filter and list_reduce: the list, then a lambda over its values, list_reduce's initial value (lists.ts types the call). */
  #lambdaCall(name: string, rawArgs: AstNode[], ctx: ExprContext, position: SourcePosition | undefined): Expr {
    checkArity(name, rawArgs.length, position, 2, LAMBDA_CALLS[name] === "list_reduce" ? 3 : 2);
    const [listAst, lambdaAst, initialAst] = rawArgs;
    if (lambdaAst?.type !== "binary_expr" || lambdaAst.operator !== "->") throw new UserError(`${name} takes a lambda (x -> …) as its second argument`, this.here(lambdaAst) ?? position);
    const initial = initialAst === undefined ? undefined : this.expr(initialAst, ctx);
    return bindLambdaFunction(name, this.expr(listAst, ctx), this.#lambda(name, lambdaAst.left, lambdaAst.right, ctx, position), position, initial);
  }

  /** A lambda of `name` with these parameters and body, once its parameters' types are known. */
  #lambda(name: string, parametersAst: AstNode, bodyAst: AstNode, ctx: ExprContext, position: SourcePosition | undefined): (parameterTypes: readonly SqlType[]) => Lambda {
    return (parameterTypes) => {
      const names = lambdaParameterNames(parametersAst, position);
      if (names.length !== parameterTypes.length && names.length !== parameterTypes.length + 1) {
        throw new UserError(`${name}'s lambda takes ${parameterTypes.length} parameter${parameterTypes.length === 1 ? "" : "s"} (and, after them, the value's position), not ${names.length}`, position);
      }
      // The last one may name the value's position in the list, from 1.
      const params = names.map((n, i) => ({ name: n, type: parameterTypes[i] ?? type("i64", false) }));
      const body = this.expr(bodyAst, { ...ctx, aggregates: false, windows: false, clause: `a lambda of ${name}`, lambdas: [...(ctx.lambdas ?? []), params] });
      if (containsSubquery(body)) throw new UnsupportedError(`a subquery in a lambda of ${name}`, position);
      return { kind: "lambda", params, body, type: body.type };
    };
  }

  /**
   * `[expr FOR x IN l IF c]` (and `FOR x, i IN l`: i the value's position), DuckDB's: expr of each
   * value of l that c keeps, c and expr both seeing the value's position in l. Each value becomes a
   * list of one, or a NULL list where c drops it, which flatten leaves out.
   */
  #comprehension(rawArgs: AstNode[], ctx: ExprContext, position: SourcePosition | undefined): Expr {
    invariant(rawArgs.length === 3 || rawArgs.length === 4, "the pre-pass's comprehension has a value, its variables, a list and a condition");
    const [valueAst, variablesAst, listAst, conditionAst] = rawArgs;
    const list = this.expr(listAst, ctx);
    if (!conditionAst) return bindLambdaFunction("list_transform", list, this.#lambda("a list comprehension", variablesAst, valueAst, ctx, position), position);
    const kept: AstNode = { type: "case", expr: null, args: [{ type: "when", cond: conditionAst, result: { type: "array", expr_list: { type: "expr_list", value: [valueAst] } } }] };
    const lists = bindLambdaFunction("list_transform", list, this.#lambda("a list comprehension", variablesAst, kept, ctx, position), position);
    return bindListFunction("flatten", [lists], position)!;
  }

  /** A column of the block's input keeps its id; a new one stands for anything else (an outer query's column too, which the block does not define). */
  outputColumn(e: Expr, name: string, own: ReadonlySet<ColumnId>): ColumnDef {
    if (e.kind === "column" && own.has(e.id)) return { id: e.id, name, type: e.type };
    return this.ids.column(name, e.type);
  }

  groupOrdinal(g: AstNode, names: string[], scope: Scope): number | undefined {
    if (g?.type === "number" && Number.isInteger(Number(g.value))) {
      const n = Number(g.value);
      if (n < 1 || n > names.length) throw new UserError(`GROUP BY position ${n} is not in the select list`, this.here(g) ?? this.locate("GROUP", "BY"));
      return n - 1;
    }
    // A bare name that is no column of the FROM clause may be a select-list alias (as in DuckDB).
    if (g?.type === "column_ref" && !g.table && typeof g.column !== "string") {
      const name = String(g.column.expr.value);
      if (scope.resolve(undefined, name, this.here(g))?.depth === 0) return undefined;
      const index = names.findIndex((n) => n.toLowerCase() === name.toLowerCase());
      return index >= 0 ? index : undefined;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- FROM

  fromClause(from: AstNode[], outer: Scope | undefined, ctes: Ctes, depth: number): { plan: LogicalPlan; items: ScopeItem[] } {
    let plan: LogicalPlan | undefined;
    let items: ScopeItem[] = [];
    // The grammar reads `t CROSS JOIN u` (t without an alias) as t aliased "cross", then a
    // JOIN without condition; put the CROSS back where it belongs.
    from = from.map((entry, i) => {
      const next = from[i + 1];
      const misread = typeof entry.as === "string" && entry.as.toLowerCase() === "cross" && next?.join === "INNER JOIN" && !next.on && !next.using;
      return misread ? { ...entry, as: null } : i > 0 && typeof from[i - 1].as === "string" && from[i - 1].as.toLowerCase() === "cross" && entry.join === "INNER JOIN" && !entry.on && !entry.using ? { ...entry, join: "CROSS JOIN" } : entry;
    });
    // USING SAMPLE samples the FROM clause's rows, marked on its first table; TABLESAMPLE its table's.
    const fromSample = sampleOf(from[0])?.of === "from" ? sampleOf(from[0]) : undefined;
    for (const entry of from) {
      const position = this.here(entry);
      if (isUnnestCall(entry.expr)) {
        ({ plan, items } = this.#fromUnnest(entry, plan, items, outer, ctes, depth, position));
        continue;
      }
      // A subquery in FROM sees the FROM items before it, LATERAL written or not (as in DuckDB).
      const subquery = entry.expr?.ast !== undefined || entry.expr?.type === "select";
      if (entry.prefix && String(entry.prefix).toLowerCase() === "lateral" && !subquery) throw new UnsupportedError("LATERAL other than of a subquery", this.locate("LATERAL"));
      let right = this.tableReference(entry, plan && subquery ? new Scope(items, outer) : outer, ctes, depth);
      const tableSample = sampleOf(entry)?.of === "table" ? sampleOf(entry) : undefined;
      if (tableSample) right = { ...right, plan: this.#sampled(right.plan, right.items, tableSample) };
      const leftIds = new Set(plan ? outputColumns(plan).map((c) => c.id) : []);
      const lateral = subquery && readsAny(right.plan, leftIds);
      if (lateral) right = this.ownColumns(right, leftIds);
      if (!plan) {
        plan = right.plan;
        items = right.items;
        if (entry.join) throw new UserError("a join needs a table on its left", position);
        continue;
      }
      const qualifier = right.items[0]?.qualifier;
      if (qualifier && items.some((l) => l.qualifier === qualifier)) {
        throw new UserError(`table name "${qualifier}" specified more than once`, position);
      }
      const joinKind = String(entry.join ?? "CROSS JOIN").toUpperCase();
      const type = joinKind.startsWith("LEFT") ? "left" : joinKind.startsWith("RIGHT") ? "right" : joinKind.startsWith("FULL") ? "full" : "inner";
      if (!["INNER JOIN", "JOIN", "LEFT JOIN", "LEFT OUTER JOIN", "RIGHT JOIN", "RIGHT OUTER JOIN", "FULL JOIN", "FULL OUTER JOIN", "CROSS JOIN"].includes(joinKind)) {
        throw new UnsupportedError(joinKind, position);
      }
      if (isAsofJoin(entry)) {
        if (type !== "inner" && type !== "left") throw new UnsupportedError(`ASOF ${joinKind} (ASOF JOIN and ASOF LEFT JOIN are)`, position);
        if (!entry.on) throw new UnsupportedError("ASOF JOIN without ON (its equalities and one inequality)", position);
        const scope = new Scope([...items, ...right.items], outer);
        const on = requireBoolean(this.expr(entry.on, { scope, clause: "JOIN condition", aggregates: false, windows: false, ctes, depth }), "JOIN condition", this.here(entry.on));
        plan = asofJoin(plan, right.plan, on, type, this.ids, position);
        items = [...items, ...right.items.map((i) => (type === "left" ? { ...i, column: { ...i.column, type: withNullable(i.column.type, true) } } : i))];
        continue;
      }
      const filtering = filteringJoinOf(entry);
      let condition: Expr | undefined;
      let rightItems = right.items;
      /** RIGHT JOIN … USING: each left column of USING's, and the right side's item of the same name. */
      const rightUsing = new Map<ColumnId, ScopeItem>();
      /** FULL JOIN … USING: the two columns of each name, which it coalesces. */
      const fullUsing: { name: string; left: ColumnDef; right: ColumnDef }[] = [];
      // NATURAL JOIN: USING the columns both sides name, in the left side's order (none: a cross join).
      const natural = isNaturalJoin(entry)
        ? items.filter((l) => !l.merged && right.items.some((r) => r.name.toLowerCase() === l.name.toLowerCase())).map((l) => l.name)
        : undefined;
      const using: readonly unknown[] | undefined = natural && natural.length > 0 ? natural : natural ? undefined : entry.using;
      if (using) {
        const parts: Expr[] = [];
        const mergedIds = new Set<number>();
        for (const u of using as AstNode[]) {
          const name = String(u?.value ?? u);
          const l = new Scope(items, undefined).resolve(undefined, name, position);
          const r = new Scope(right.items, undefined).resolve(undefined, name, position);
          if (!l || !r) throw new UserError(`column ${name} of USING is missing on the ${l ? "right" : "left"} side`, position);
          parts.push(compare("equal", this.#usable(l.column, position), this.#usable(r.column, position), position));
          mergedIds.add((type === "right" ? l : r).column.id);
          if (type === "right") rightUsing.set(l.column.id, right.items.find((i) => i.column.id === r.column.id)!);
          if (type === "full") {
            mergedIds.add(l.column.id);
            fullUsing.push({ name, left: l.column, right: r.column });
          }
        }
        condition = and(parts);
        if (type === "right" || type === "full") items = items.map((i) => (mergedIds.has(i.column.id) ? { ...i, merged: true } : i));
        if (type !== "right") rightItems = right.items.map((i) => (mergedIds.has(i.column.id) ? { ...i, merged: true } : i));
      } else if (entry.on) {
        const scope = new Scope([...items, ...right.items], outer);
        const bound = this.expr(entry.on, { scope, clause: "JOIN condition", aggregates: false, windows: false, ctes, depth });
        if (hasKind(bound, "subquery")) throw new UnsupportedError("subquery in a JOIN condition", this.here(entry.on));
        condition = requireBoolean(bound, "JOIN condition", this.here(entry.on));
      } else if (natural) {
        if (type !== "inner") throw new UnsupportedError(`NATURAL ${joinKind} of sides without a common column`, position);
      } else if (type !== "inner") {
        throw new UserError(`${joinKind} needs an ON or USING condition`, position);
      } else if (entry.join && joinKind !== "CROSS JOIN") {
        throw new UserError(`${filtering ? `${filtering.toUpperCase()} JOIN` : joinKind} needs an ON or USING condition`, position);
      }
      if (filtering) {
        // The left rows with a match on the right (ANTI: with none), once each; only the left side's columns go on.
        if (lateral || natural) throw new UnsupportedError(`${filtering.toUpperCase()} JOIN ${lateral ? "of a LATERAL subquery" : "with NATURAL"}`, position);
        plan = { kind: "join", joinType: filtering, left: plan, right: right.plan, condition };
        continue;
      }
      if (lateral) {
        if ((type !== "inner" && type !== "left") || using || natural) throw new UnsupportedError(`${natural ? "NATURAL " : ""}${joinKind}${using ? " … USING" : ""} of a LATERAL subquery`, this.here(entry.expr.ast ?? entry.expr));
        plan = lateralJoin(plan, right.plan, type, condition, this.ids, this.here(entry.expr.ast ?? entry.expr));
      } else plan = { kind: "join", joinType: type, left: plan, right: right.plan, condition };
      const nullableLeft = type === "right" || type === "full";
      const nullableRight = type === "left" || type === "full";
      const widen = (list: ScopeItem[], nullable: boolean) =>
        nullable ? list.map((i) => ({ ...i, column: { ...i.column, type: withNullable(i.column.type, true) } })) : list;
      items = [...widen(items, nullableLeft), ...widen(rightItems, nullableRight)];
      if (fullUsing.length > 0) {
        // A FULL JOIN's USING column is whichever side's value is there, in the left side's place.
        const coalesced = fullUsing.map((u) => {
          const nullable = (c: ColumnDef) => columnRef({ ...c, type: withNullable(c.type, true) });
          const expr = coalesce([nullable(u.left), nullable(u.right)], position);
          return { ...u, column: this.ids.column(u.name, expr.type), expr };
        });
        plan = { kind: "project", input: plan, outputs: [...passedThrough(outputColumns(plan)), ...coalesced.map((c) => ({ column: c.column, expr: c.expr }))] };
        items = items.flatMap((i) => {
          const shown = coalesced.find((c) => c.left.id === i.column.id);
          return shown ? [{ qualifier: undefined, name: shown.name, column: shown.column }, i] : [i];
        });
      }
      // A RIGHT JOIN's USING column has the right side's value but the left side's place (SELECT *
      // lists it where the left side has it, as DuckDB does).
      if (rightUsing.size > 0) {
        const moved = new Set([...rightUsing.values()].map((r) => r.column.id));
        items = items.filter((i) => !moved.has(i.column.id)).flatMap((i) => {
          const shown = i.merged ? rightUsing.get(i.column.id) : undefined;
          return shown ? [items.find((r) => r.column.id === shown.column.id)!, i] : [i];
        });
      }
    }
    invariant(plan, "empty FROM");
    if (fromSample) plan = this.#sampled(plan, items, fromSample);
    return { plan, items };
  }

  /**
   * `FROM t, unnest(t.l) AS u(x)` (and `FROM unnest([1, 2])`): each row of the FROM items before
   * it once per value of its list, which may read them (as a LATERAL subquery would), as the
   * column x (DuckDB's default name: unnest).
   */
  #fromUnnest(entry: AstNode, left: LogicalPlan | undefined, items: ScopeItem[], outer: Scope | undefined, ctes: Ctes, depth: number, position: SourcePosition | undefined): { plan: LogicalPlan; items: ScopeItem[] } {
    const joinKind = String(entry.join ?? "CROSS JOIN").toUpperCase();
    if (joinKind !== "CROSS JOIN" && !((joinKind === "JOIN" || joinKind === "INNER JOIN") && isTrueLiteral(entry.on))) throw new UnsupportedError(`unnest in FROM under ${joinKind} (a comma or CROSS JOIN unnests)`, position);
    const listed = entry.expr.args?.value;
    const args: AstNode[] = Array.isArray(listed) ? listed : listed ? [listed] : [];
    checkArity("unnest", args.length, position, 1);
    const ctx: ExprContext = { scope: new Scope(items, outer), clause: "FROM", aggregates: false, windows: false, ctes, depth };
    const bound = this.expr(args[0], ctx);
    const list = bound.type.kind === "null" ? castTo(bound, listOf(type("i32"))) : bound;
    if (list.type.kind !== "list") throw new UserError(`unnest needs a list, not ${typeName(list.type)}`, position);
    const { alias, columnAliases } = parseAlias(entry.as);
    if (columnAliases && columnAliases.length > 1) throw new UserError(`unnest gives one column, not ${columnAliases.length}`, position);
    const name = columnAliases?.[0] ?? "unnest";
    const column = this.ids.column(name, withNullable(valueTypeOf(list.type), true));
    const qualifier = (alias ?? "unnest").toLowerCase();
    if (items.some((i) => i.qualifier === qualifier)) throw new UserError(`table name "${qualifier}" specified more than once`, position);
    return { plan: { kind: "unnest", input: left ?? oneRow(), list, column }, items: [...items, { qualifier, name, column }] };
  }

  /** Rows sampled by the values of the columns a query may read (not a type trustql cannot run). */
  #sampled(plan: LogicalPlan, items: readonly ScopeItem[], sample: Sample): LogicalPlan {
    const columns = [...new Map(items.map((i) => [i.column.id, i.column])).values()];
    return samplePlan(plan, columns.filter((c) => !this.#unusable.has(c.id)), sample, this.ids);
  }

  /**
   * A LATERAL subquery's output as columns of its own: one that passes a column of the left side
   * on (`SELECT t.a AS y`) gets a new id, since the join outputs both (and NULL for y under a
   * LEFT JOIN where the subquery gave no row).
   */
  ownColumns(side: { plan: LogicalPlan; items: ScopeItem[] }, leftIds: ReadonlySet<ColumnId>): { plan: LogicalPlan; items: ScopeItem[] } {
    const columns = outputColumns(side.plan);
    if (!columns.some((c) => leftIds.has(c.id))) return side;
    const fresh = new Map(columns.filter((c) => leftIds.has(c.id)).map((c) => [c.id, this.ids.column(c.name, c.type)]));
    return {
      plan: { kind: "project", input: side.plan, outputs: columns.map((c) => ({ column: fresh.get(c.id) ?? c, expr: columnRef(c) })) },
      items: side.items.map((i) => (fresh.has(i.column.id) ? { ...i, column: fresh.get(i.column.id)! } : i)),
    };
  }

  tableReference(entry: AstNode, outer: Scope | undefined, ctes: Ctes, depth: number): { plan: LogicalPlan; items: ScopeItem[] } {
    const position = this.here(entry);
    const { alias, columnAliases } = parseAlias(entry.as);
    if (entry.expr?.ast || entry.expr?.type === "select") {
      const pivotMark = String((entry.expr.ast ?? entry.expr).columns?.[0]?.as ?? "");
      if (pivotMark.startsWith(PIVOT_MARK)) {
        // PIVOT_MARK, the aggregates' count, then (ON several columns) each column's count of values: see the pre-pass.
        const [aggregateCount, ...valueCounts] = pivotMark.slice(PIVOT_MARK.length).split("_").map(Number);
        return this.#pivot(entry.expr.ast ?? entry.expr, aggregateCount, valueCounts, alias, outer, ctes, depth, position);
      }
      if (pivotMark.startsWith(UNPIVOT_MARK)) return this.#unpivot(entry.expr.ast ?? entry.expr, pivotMark.slice(UNPIVOT_MARK.length) === "1", alias, outer, ctes, depth, position);
      // A derived table: `outer` holds the FROM items before it (fromClause).
      const sub = this.query(entry.expr.ast ?? entry.expr, outer, ctes, depth + 1);
      return this.derivedTable(sub, alias, columnAliases, position);
    }
    if (entry.expr?.type === "values") return this.valuesTable(entry.expr, alias, columnAliases, outer, ctes, depth, position);
    if (entry.expr?.type === "function") {
      const name = (entry.expr.name?.name ?? []).map((n: AstNode) => String(n.value)).join(".").toLowerCase();
      const at = this.locate(name.split(".")[0], "(") ?? position;
      if (FILE_READERS.has(name)) throw new UnsupportedError(`${name}(…): a query reads the tables trustql was given (a folder's parquet files, a dataset's tables), each by its name (FROM orders)`, at);
      if (!SERIES_FUNCTIONS.has(name)) throw new UnsupportedError(`table function ${name}`, at);
      const ctx: ExprContext = { scope: new Scope([], outer), clause: "FROM", aggregates: false, windows: false, ctes, depth };
      const { plan, column } = seriesPlan(name, ((entry.expr.args?.value ?? []) as AstNode[]).map((a) => this.expr(a, ctx)), this.ids, at);
      return this.derivedTable({ plan, names: [column.name] }, alias ?? name, columnAliases, position);
    }
    if (typeof entry.table !== "string") {
      throw new UnsupportedError("this kind of FROM item", position);
    }
    if (entry.tablesample || entry.temporal) throw new UnsupportedError("TABLESAMPLE", position);
    const names = [entry.db, entry.schema, entry.table].filter((n) => typeof n === "string" && n.length > 0) as string[];
    if (names.length === 1) {
      const cte = ctes.get(names[0].toLowerCase());
      if (cte) {
        const sub = cte.read ? cte.read(position) : cte.recursive ? this.recursiveCte(cte, depth + 1) : this.query(cte.ast, undefined, cte.environment, depth + 1);
        return this.derivedTable(sub, alias ?? cte.name, columnAliases ?? cte.columnNames, position);
      }
    }
    const table = this.catalog.lookup(names);
    if (!table) throw new UserError(`unknown table ${names.join(".")}${this.suggestTable(names)}`, position);
    return this.scan(table, alias ?? names[names.length - 1], columnAliases, position);
  }

  suggestTable(names: string[]): string {
    // A file's path, as DuckDB reads one (FROM 'orders.parquet'): its table goes by its name.
    const file = /^(?:.*[\\/])?([^\\/]+)\.(?:parquet|csv|json|ndjson)$/i.exec(names.join("."));
    if (file) {
      const table = this.catalog.tables().find((t) => t.names[t.names.length - 1].toLowerCase() === file[1].toLowerCase());
      return ` (a query reads the tables trustql was given by name${table ? `: FROM ${table.names.join(".")}` : ", not files by path"})`;
    }
    const wanted = names[names.length - 1].toLowerCase();
    const candidates = this.catalog.tables().map((t) => t.names.join("."));
    let best: string | undefined;
    let bestDistance = 3;
    for (const c of candidates) {
      const d = editDistanceOf(wanted, c.split(".").pop()!.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best ? ` (did you mean ${best}?)` : "";
  }

  scan(table: CatalogTable, alias: string, columnAliases: string[] | undefined, position: SourcePosition | undefined) {
    const allColumns = namedColumns(table.schema).map(({ name, type: columnType, fieldNames }) => {
      const what = `${table.names.join(".")}.${name}`;
      let sqlType: SqlType;
      try {
        sqlType = fromSubstraitType(columnType, what, position, fieldNames);
      } catch (error) {
        if (!(error instanceof UnsupportedError)) throw error;
        const column = this.ids.column(name, type("null"));
        const typeName = table.unrunnableTypes?.[name];
        this.#unusable.set(column.id, typeName === undefined ? `of ${what}` : `${typeName} of ${what}`);
        return column;
      }
      return this.ids.column(name, sqlType);
    });
    if (columnAliases && columnAliases.length > allColumns.length) {
      throw new UserError(`table ${alias} has ${allColumns.length} columns but ${columnAliases.length} aliases`, position);
    }
    const plan: LogicalPlan = {
      kind: "scan",
      table,
      columns: allColumns,
      fieldIndexes: allColumns.map((_, i) => i),
      filters: [],
      allColumns,
    };
    const qualifier = alias.toLowerCase();
    const items = allColumns.map((column, i) => ({ qualifier, name: columnAliases?.[i] ?? column.name, column }));
    return { plan, items };
  }

  /** (VALUES (…), (…)) AS v(x, y): rows of constant expressions, each column of their common type (DuckDB names them col0, col1, …). */
  valuesTable(ast: AstNode, alias: string | undefined, columnAliases: string[] | undefined, outer: Scope | undefined, ctes: Ctes, depth: number, position: SourcePosition | undefined) {
    const ctx: ExprContext = { scope: new Scope([], outer), clause: "VALUES", aggregates: false, windows: false, ctes, depth };
    const rows = (ast.values as AstNode[]).map((row) => (row?.type === "expr_list" ? row.value : [row]).map((v: AstNode) => this.expr(v, ctx)));
    const width = rows[0]?.length ?? 0;
    if (rows.some((r) => r.length !== width)) throw new UserError("each row of VALUES must have the same number of values", position);
    if (rows.length > MAX_VALUES_ROWS) throw new UserError(`VALUES of more than ${MAX_VALUES_ROWS.toLocaleString("en")} rows`, position);
    const unified = Array.from({ length: width }, (_, c) => unifyAll(rows.map((r) => r[c]), "mix", position));
    const columns = unified.map((values, c) => this.ids.column(columnAliases?.[c] ?? `col${c}`, withNullable(values[0].type, values.some((v) => v.type.nullable))));
    const plan: LogicalPlan = { kind: "values", columns, rows: rows.map((_, r) => unified.map((values) => values[r])) };
    return this.derivedTable({ plan, names: columns.map((c) => c.name) }, alias, columnAliases, position);
  }

  /** FROM t PIVOT (…), which the pre-pass wrote as a derived table of its pieces (PIVOT_MARK). */
  #pivot(ast: AstNode, aggregateCount: number, valueCounts: readonly number[], alias: string | undefined, outer: Scope | undefined, ctes: Ctes, depth: number, position: SourcePosition | undefined) {
    const input = this.fromClause(ast.from, outer, ctes, depth + 1);
    const scope = new Scope(input.items, outer);
    const ctx = (aggregates: boolean): ExprContext => ({ scope, clause: "PIVOT", aggregates, windows: false, ctes, depth: depth + 1 });
    const [, ...pieces]: AstNode[] = ast.columns;
    const aggregates = pieces.slice(0, aggregateCount).map((item) => {
      const expr = this.expr(item.expr, ctx(true));
      if (!exprSome(expr, (x) => x.kind === "aggregate")) throw new UserError("PIVOT's values are aggregates (sum(x), count(*), …)", this.here(item.expr) ?? position);
      return { expr, alias: typeof item.as === "string" ? item.as : undefined, text: displayName(item.expr, expr) };
    });
    // Each ON column, then its values (one column: every piece after it).
    const onPieces = pieces.slice(aggregateCount);
    const counts = valueCounts.length > 0 ? valueCounts : [onPieces.length - 1];
    const columns: Expr[] = [];
    const valueLists = counts.map((count) => {
      const column = this.expr(onPieces[0].expr, ctx(false));
      columns.push(column);
      const listed = onPieces.slice(1, 1 + count);
      onPieces.splice(0, 1 + count);
      return listed.map((item) => {
        const [, compared] = unify(column, this.expr(item.expr, ctx(false)), "compare", this.here(item.expr) ?? position);
        const value = constantOf(compared, this.here(item.expr) ?? position);
        if (value.kind !== "literal") throw new UserError("PIVOT's IN list holds constants", this.here(item.expr) ?? position);
        // A column is named by its value as written: a string's text, a number's digits; another needs AS.
        const written = item.expr?.type === "single_quote_string" || item.expr?.type === "number" ? String(item.expr.value) : item.expr?.type === "null" ? "NULL" : undefined;
        const name = typeof item.as === "string" ? item.as : written;
        if (name === undefined) throw new UnsupportedError("a PIVOT value other than a string, a number or NULL without AS name", this.here(item.expr) ?? position);
        return { value, name };
      });
    });
    invariant(onPieces.length === 0, "a PIVOT's ON columns and values are all read");
    // Several ON columns: a pivot column per combination of their values, in order, named by the values joined by _ (DuckDB's).
    const columnCount = valueLists.reduce((n, list) => n * list.length, 1);
    if (columnCount > MAX_PIVOT_COLUMNS) throw new UserError(`PIVOT makes ${columnCount} columns of its values, more than ${MAX_PIVOT_COLUMNS}`, position);
    let combinations: { values: Expr[]; names: string[] }[] = [{ values: [], names: [] }];
    for (const list of valueLists) combinations = combinations.flatMap((c) => list.map(({ value, name }) => ({ values: [...c.values, value], names: [...c.names, name] })));
    const values = combinations.map((c) => ({ values: c.values, name: c.names.join("_") }));
    // DuckDB's PIVOT statement's GROUP BY (the pre-pass left it in the derived table): the groups' keys, columns of the source.
    const groupBy = (ast.groupby?.columns ?? (Array.isArray(ast.groupby) ? ast.groupby : [])).map((key: AstNode) => {
      const bound = this.expr(key, ctx(false));
      const item = bound.kind === "column" ? input.items.find((i) => i.column.id === bound.id) : undefined;
      if (!item) throw new UserError("PIVOT's GROUP BY takes the source's columns", this.here(key) ?? position);
      return item;
    });
    const pivoted = pivotPlan({ input, aggregates, columns, values, ...(groupBy.length > 0 ? { groupBy } : {}) }, this.ids);
    return { plan: pivoted.plan, items: pivoted.items.map((i) => ({ ...i, qualifier: alias?.toLowerCase() })) };
  }

  /** FROM t UNPIVOT (…), which the pre-pass wrote as a derived table of its pieces (UNPIVOT_MARK). */
  #unpivot(ast: AstNode, includeNulls: boolean, alias: string | undefined, outer: Scope | undefined, ctes: Ctes, depth: number, position: SourcePosition | undefined) {
    const input = this.fromClause(ast.from, outer, ctes, depth + 1);
    const scope = new Scope(input.items, outer);
    const [, valueItem, nameItem, ...columnItems]: AstNode[] = ast.columns;
    const columns = columnItems.map((item) => {
      const bound = this.expr(item.expr, { scope, clause: "UNPIVOT", aggregates: false, windows: false, ctes, depth: depth + 1 });
      if (bound.kind !== "column" || !input.items.some((i) => i.column.id === bound.id)) throw new UserError("UNPIVOT's IN list holds the table's columns", this.here(item.expr) ?? position);
      return { column: bound, name: String(item.as) };
    });
    const values = unifyAll(columns.map((c) => c.column), "UNPIVOT", position);
    const unpivoted = unpivotPlan({ input, columns: columns.map((c, i) => ({ value: values[i], name: c.name })), valueName: String(valueItem.as), nameName: String(nameItem.as), includeNulls }, this.ids);
    return { plan: unpivoted.plan, items: unpivoted.items.map((i) => ({ ...i, qualifier: alias?.toLowerCase() })) };
  }

  derivedTable(sub: BoundQuery, alias: string | undefined, columnAliases: string[] | undefined, position: SourcePosition | undefined) {
    const columns = outputColumns(sub.plan);
    if (columnAliases && columnAliases.length > columns.length) {
      throw new UserError(`subquery ${alias ?? ""} has ${columns.length} columns but ${columnAliases.length} aliases`, position);
    }
    const qualifier = alias?.toLowerCase();
    const items = columns.map((column, i) => ({ qualifier, name: columnAliases?.[i] ?? sub.names[i], column }));
    return { plan: sub.plan, items };
  }

  // ---------------------------------------------------------------- expressions

  /** Positions of the enclosing nodes that have one: errors in the others point there. */
  readonly #enclosing: SourcePosition[] = [];

  here(ast: AstNode): SourcePosition | undefined {
    return nodePosition(ast) ?? this.#enclosing.at(-1);
  }

  expr(ast: AstNode, ctx: ExprContext): Expr {
    const own = nodePosition(ast);
    if (own) this.#enclosing.push(own);
    try {
      const position = own ?? this.#enclosing.at(-1);
      // The grammar hangs `[i]` on any expression: bound here, never dropped.
      const subscripts: AstNode[] | undefined = ast?.array_index;
      if (!subscripts?.length) return this.exprAt(ast, ctx, position);
      return subscripts.reduce((e: Expr, s: AstNode) => this.subscript(e, s, ctx, position), this.exprAt({ ...ast, array_index: undefined }, ctx, position));
    } finally {
      if (own) this.#enclosing.pop();
    }
  }

  subscript(e: Expr, subscript: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    if (!subscript?.brackets || !subscript.index) throw new UnsupportedError("this kind of subscript", position);
    return subscriptOf(e, this.expr(subscript.index, ctx), position);
  }

  exprAt(ast: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    if (ast === null || ast === undefined) throw new UserError("missing expression", position);
    if (ast.ast || (ast.type === "select" && ast.columns)) {
      return this.subquery("scalar", ast.ast ?? ast, undefined, ctx, position);
    }
    switch (ast.type) {
      case "column_ref":
        return this.columnReference(ast, ctx);
      case "number":
      case "bigint":
        return numberLiteral(String(ast.value), position);
      case "single_quote_string":
      case "string":
      case "natural_string":
        return literal(String(ast.value), type("string", false));
      case "escape_string":
        return literal(String(ast.value), type("string", false));
      case "bool":
      case "boolean":
        return literal(Boolean(ast.value), type("boolean", false));
      case "null":
        return nullLiteral();
      case "date":
        return literal(parseDate(String(ast.value), position ?? this.locate("DATE", String(ast.value))), type("date", false));
      case "time":
        return literal(parseTime(String(ast.value), position ?? this.locate("TIME", String(ast.value))), type("time", false));
      case "timestamp": {
        const at = position ?? this.locate("TIMESTAMP", String(ast.value));
        if (timestampIsZoned(ast)) return literal(parseTimestampTz(String(ast.value), at), type("timestamp_tz", false));
        return literal(parseTimestamp(String(ast.value), at), type("timestamp", false));
      }
      case "interval":
        return this.interval(ast, ctx, position ?? this.locate("INTERVAL"));
      case "binary_expr":
        return this.binary(ast, ctx);
      case "unary_expr":
        return this.unary(ast, ctx);
      case "function":
        return this.func(ast, ctx);
      case "aggr_func":
        return this.aggregateFunction(ast, ctx);
      case "window_func":
        return this.windowFunction(ast, ctx);
      case "case":
        return this.caseExpression(ast, ctx);
      case "cast":
        return this.cast(ast, ctx);
      case "extract":
        return this.extract(ast, ctx);
      case "expr_list":
        if (Array.isArray(ast.value) && ast.value.length === 1) return this.expr(ast.value[0], ctx);
        return rowValue((ast.value as AstNode[]).map((v) => this.expr(v, ctx)), position);
      case "array": {
        // `[a, b]` (the pre-pass writes ARRAY before it) and `ARRAY[a, b]`.
        const values: AstNode[] = Array.isArray(ast.expr_list?.value) ? ast.expr_list.value : [];
        return listValue(values.map((v) => this.expr(v, ctx)), position);
      }
      default:
        throw new UnsupportedError(`expression ${ast.type ?? JSON.stringify(ast).slice(0, 40)}`, position);
    }
  }

  columnReference(ast: AstNode, ctx: ExprContext): Expr {
    const position = this.here(ast);
    const qualifier = typeof ast.table === "string" ? ast.table : ast.table?.value;
    const column = typeof ast.column === "string" ? ast.column : ast.column?.expr?.value;
    if (column === "*") throw new UserError("* is only allowed in the select list and in count(*)", position);
    const dotted = dottedNames(ast.column?.expr);
    if (dotted) {
      // Four names or more (`t.s.a.b`): the grammar writes them as a chain of dots.
      const field = this.#structFieldReference(dotted, ctx, position);
      if (!field) throw new UserError(`unknown column ${dotted.join(".")}`, position);
      return field;
    }
    if (typeof column !== "string") throw new UnsupportedError("this kind of column reference", position);
    if (ast.collate?.collate) throw new UnsupportedError("COLLATE", position);
    const parameter = qualifier === undefined ? lambdaParameter(ctx, column) : undefined;
    if (parameter) return parameter;
    const found = ctx.scope.resolve(qualifier, column, position);
    // As in DuckDB, the select list, WHERE, HAVING, QUALIFY and window functions may name a select
    // item by its alias where no column has that name (the item is computed again there; an alias
    // may name another, not itself).
    const alias = !found && !qualifier && ALIAS_CLAUSES.has(ctx.clause) ? ctx.selectAliases?.get(column.toLowerCase()) : undefined;
    if (alias) {
      const others = new Map(ctx.selectAliases);
      others.delete(column.toLowerCase());
      return this.expr(alias, { ...ctx, selectAliases: others });
    }
    const names = (p: AstNode) => (typeof p === "string" ? p : p?.value);
    const field = !found && qualifier ? this.#structFieldReference([names(ast.schema), qualifier, column].filter((p): p is string => typeof p === "string"), ctx, position) : undefined;
    if (field) return field;
    if (!found) {
      if (qualifier && !scopeHasQualifier(ctx.scope, qualifier)) {
        throw new UserError(`unknown table ${qualifier} in column reference ${qualifier}.${column}`, position);
      }
      const suggestion = ctx.scope.suggest(column);
      // "F" names a column; a string is between single quotes ('F'), the mistake a user of another SQL makes.
      const quoted = !qualifier && ast?.column?.expr?.type === "double_quote_string";
      const hints = [...(suggestion ? [`did you mean ${suggestion}?`] : []), ...(quoted ? [`a string is written between single quotes: '${column.replaceAll("'", "''")}'`] : [])];
      const hint = hints.length > 0 ? ` (${hints.join(" ")})` : "";
      throw new UserError(`unknown column ${qualifier ? qualifier + "." : ""}${column}${hint}`, position);
    }
    return this.#usable(found.column, position);
  }

  /**
   * `s.a`, `t.s.a`, `s.a.b`: a field of a struct column, where the name's first part is no table
   * of the scope (as in DuckDB, a table's column is found first); undefined when it is none.
   */
  #structFieldReference(parts: readonly string[], ctx: ExprContext, position: SourcePosition | undefined): Expr | undefined {
    const start = (qualifier: string | undefined, name: string): Expr | undefined => {
      const parameter = qualifier === undefined ? lambdaParameter(ctx, name) : undefined;
      if (parameter) return parameter;
      const found = ctx.scope.resolve(qualifier, name, position);
      return found && this.#usable(found.column, position);
    };
    // t.s.a: table t's column s; else s.a.b: column s.
    const starts: [Expr | undefined, readonly string[]][] = parts.length >= 2 ? [[start(parts[0], parts[1]), parts.slice(2)], [start(undefined, parts[0]), parts.slice(1)]] : [[start(undefined, parts[0]), parts.slice(1)]];
    for (const [value, fields] of starts) {
      if (!value || value.type.kind !== "struct") continue;
      if (fields.length === 0) return value;
      return fields.reduce((struct, name) => {
        if (struct.type.kind !== "struct") throw new UserError(`.${name} of ${typeName(struct.type)}, which is no STRUCT`, position);
        return structField(struct, literal(name, type("string", false)), position);
      }, value);
    }
    return undefined;
  }

  /** A struct's fields as select items, each named as its field. */
  #structFields(struct: Expr, position: SourcePosition | undefined): { expr: Expr; name: string; position: SourcePosition | undefined }[] {
    return fieldsOf(struct.type).map((field, index) => ({ expr: structFieldAt(struct, literal(index + 1, type("i32", false)), position), name: field.name, position }));
  }

  /** A reference to `column`, unless its type is one trustql cannot run (see #unusable). */
  #usable(column: ColumnDef, position: SourcePosition | undefined): Expr {
    const unusable = this.#unusable.get(column.id);
    if (unusable !== undefined) throw new UnsupportedError(`column type ${unusable}`, position);
    return columnRef(column);
  }

  /** An interval literal of months and days or time, as its two pieces (intervalPieces); undefined for anything else. */
  #mixedInterval(ast: AstNode, position: SourcePosition | undefined): Literal[] | undefined {
    if (ast?.type !== "interval" || ast.expr?.type !== "single_quote_string" || ast.parentheses) return undefined;
    const pieces = intervalPieces(String(ast.expr.value), ast.unit ? String(ast.unit) : undefined, this.here(ast) ?? position);
    return pieces.length > 1 ? pieces : undefined;
  }

  /** `INTERVAL '2' DAY`, `INTERVAL '1 year 2 months'`, and `INTERVAL (n) DAY` of any number or text n (as DuckDB reads it). */
  interval(ast: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const value = ast.expr;
    if (value?.type === "single_quote_string" || (value?.type === "number" && /^-?\d+$/.test(String(value.value)))) {
      return parseInterval(String(value.value), ast.unit ? String(ast.unit) : undefined, position);
    }
    if (!ast.unit) throw new UserError("INTERVAL of an expression needs a unit (INTERVAL (n) DAY)", position);
    return this.intervalOf(value, String(ast.unit), ctx, position);
  }

  /** INTERVAL (amount) unit: DuckDB's reading of any number or text as that many units. */
  intervalOf(amountAst: AstNode, written: string, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const { unit, kind } = intervalUnit(written, position);
    const amount = this.expr(amountAst, ctx);
    if (!isNumeric(amount.type) && amount.type.kind !== "string" && amount.type.kind !== "null") throw new UserError(`INTERVAL needs a number of ${unit}s, not ${typeName(amount.type)}`, position);
    return call("interval_of", [amount.type.kind === "null" ? castTo(amount, type("i64")) : amount], type(kind, amount.type.nullable), [unit.toUpperCase()]);
  }

  binary(ast: AstNode, ctx: ExprContext): Expr {
    const op = String(ast.operator).toUpperCase();
    const position = this.here(ast);
    const arrow = (n: AstNode) => n?.type === "binary_expr" && (n.operator === "->" || n.operator === "->>") && !n.parentheses;
    if (op !== "AND" && op !== "OR" && !arrow(ast) && arrow(ast.right)) {
      // DuckDB binds -> and ->> as loosely as this operator, from the left: `x = j ->> 'k'` is
      // `(x = j) ->> 'k'` there. Refused rather than answered as either reading.
      throw new UserError(`put ( … ) around the ${ast.right.operator} after ${ast.operator}: DuckDB reads x ${ast.operator} j ${ast.right.operator} k as (x ${ast.operator} j) ${ast.right.operator} k`, position);
    }
    switch (op) {
      case "->":
      case "->>":
        // A lambda is read where a call takes one (#lambdaCall); anywhere else this is JSON's.
        return jsonArrow(op, this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
      case "AND":
      case "OR": {
        const l = requireBoolean(this.expr(ast.left, ctx), op, position);
        const r = requireBoolean(this.expr(ast.right, ctx), op, position);
        return op === "AND" ? and([l, r]) : or([l, r]);
      }
      case "IN":
      case "NOT IN": {
        const list = ast.right?.type === "expr_list" ? ast.right.value : [ast.right];
        if (rowValues(ast.left)) {
          if (list.length === 1 && (list[0]?.ast || list[0]?.type === "select")) {
            const e = this.rowsInSubquery(rowValues(ast.left)!, list[0].ast ?? list[0], ctx, position);
            return op === "IN" ? e : not(e);
          }
          // (a, b) IN ((1, 2), (3, 4)): equal to one of the rows.
          const e = or(list.map((row: AstNode) => this.rowsEqual(ast.left, row, ctx, position)));
          return op === "IN" ? e : not(e);
        }
        const needle = this.expr(ast.left, ctx);
        if (list.length === 1 && (list[0]?.ast || list[0]?.type === "select")) {
          const e = this.subquery("in", list[0].ast ?? list[0], needle, ctx, position);
          return op === "IN" ? e : not(e);
        }
        const e = inList(needle, list.map((x: AstNode) => this.expr(x, ctx)), position);
        return op === "IN" ? e : not(e);
      }
      case "BETWEEN":
      case "NOT BETWEEN": {
        const [lowAst, highAst] = ast.right.value;
        const value = this.expr(ast.left, ctx);
        const low = this.expr(lowAst, ctx);
        const high = this.expr(highAst, ctx);
        const [v, lo, hi] = unifyAll([value, low, high], "compare", position);
        if (op === "BETWEEN") return and([compare("gte", v, lo, position), compare("lte", v, hi, position)]);
        return or([compare("lt", v, lo, position), compare("gt", v, hi, position)]);
      }
      case "LIKE":
      case "NOT LIKE": {
        if (writtenName(ast) === "glob") {
          // DuckDB's x GLOB pattern: * any text, ? one character, [...] one of them; the whole string.
          const [value, pattern] = [this.expr(ast.left, ctx), this.expr(ast.right, ctx)].map((e) => {
            if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`GLOB needs VARCHAR, not ${typeName(e.type)}`, position);
            return castTo(e, type("string"), position);
          });
          return call("glob", [value, pattern], type("boolean", value.type.nullable || pattern.type.nullable));
        }
        // The grammar hangs ESCAPE on the pattern: `{ …pattern, escape: { value: character } }`.
        const escape = ast.right?.escape?.value;
        if (ast.right?.type === "escape" || ast.escape) throw new UnsupportedError("LIKE ... ESCAPE", position);
        const e = escape
          ? like(this.expr(ast.left, ctx), this.expr({ ...ast.right, escape: undefined }, ctx), position, "like", this.expr(escape, ctx))
          : like(this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
        return op === "LIKE" ? e : not(e);
      }
      case "SIMILAR TO":
      case "NOT SIMILAR TO": {
        // DuckDB's SIMILAR TO: the whole string matches the regular expression (RE2), as regexp_full_match.
        const e = bindLibraryFunction("regexp_full_match", [this.expr(ast.left, ctx), this.expr(ast.right, ctx)], position)!;
        return op === "SIMILAR TO" ? e : not(e);
      }
      case "ILIKE":
      case "NOT ILIKE": {
        const escape = ast.right?.escape?.value;
        const e = escape
          ? like(this.expr(ast.left, ctx), this.expr({ ...ast.right, escape: undefined }, ctx), position, "ilike", this.expr(escape, ctx))
          : like(this.expr(ast.left, ctx), this.expr(ast.right, ctx), position, "ilike");
        return op === "ILIKE" ? e : not(e);
      }
      case "IS":
      case "IS NOT": {
        const negated = op === "IS NOT";
        const value = this.expr(ast.left, ctx);
        const right = ast.right;
        if (right?.type === "null") return isNull(value, negated);
        if (right?.type === "bool") {
          const v = requireBoolean(value, "IS TRUE/FALSE", position);
          const fn = right.value ? (negated ? "is_not_true" : "is_true") : negated ? "is_not_false" : "is_false";
          return call(fn, [v], type("boolean", false));
        }
        // IS [NOT] UNKNOWN: a condition's NULL (the grammar reads UNKNOWN as a column's name).
        if (right?.type === "column_ref" && !right.table && right.column?.expr?.type === "default" && String(right.column.expr.value).toUpperCase() === "UNKNOWN") {
          return isNull(requireBoolean(value, "IS UNKNOWN", position), negated);
        }
        throw new UnsupportedError(`IS ${negated ? "NOT " : ""}${right?.value ?? "..."}`, position);
      }
      case DISTINCT_FROM_OPERATORS.distinct.toUpperCase():
      case DISTINCT_FROM_OPERATORS.notDistinct.toUpperCase(): {
        // IS [NOT] DISTINCT FROM (see the pre-pass): = and <> where NULL equals NULL; never NULL.
        const [l, r] = unifyEquality(this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
        return call(op === DISTINCT_FROM_OPERATORS.distinct ? "is_distinct_from" : "is_not_distinct_from", [l, r], type("boolean", false));
      }
      case "||": {
        const [left, right] = [this.expr(ast.left, ctx), this.expr(ast.right, ctx)];
        // Bytes joined to bytes stay bytes (DuckDB's); with anything else `||` joins text.
        if (left.type.kind === "binary" && right.type.kind === "binary") return call("concat_bytes", [left, right], type("binary", left.type.nullable || right.type.nullable));
        // A list joined to a list is one list (DuckDB's list_concat).
        if (left.type.kind === "list" || right.type.kind === "list") return listConcat([left, right], { name: "||", position }, true);
        return this.concat([left, right], false, position);
      }
      case "^":
        return bindLibraryFunction("power", [this.expr(ast.left, ctx), this.expr(ast.right, ctx)], position)!;
      case "^@":
        return stringTest("starts_with", "^@", this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
      case "&":
      case "|":
      case "<<":
      case ">>":
        return bitwise(op, this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
      case "+":
      case "-": {
        // A time plus or minus an interval of months and days (INTERVAL '1 month 2 days'): its
        // months, then its days and time, as DuckDB adds them.
        const right = this.#mixedInterval(ast.right, position);
        if (right) return arithmetic(op, arithmetic(op, this.expr(ast.left, ctx), right[0], position), right[1], position);
        const left = op === "+" ? this.#mixedInterval(ast.left, position) : undefined;
        if (left) return arithmetic(op, arithmetic(op, this.expr(ast.right, ctx), left[0], position), left[1], position);
        return arithmetic(op, this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
      }
      case "*":
      case "/":
      case "%":
        return arithmetic(op === "/" && isIntegerDivision(ast) ? "//" : op, this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
      default: {
        const comparison = COMPARISON_OPERATORS[op];
        // Two rows written out are equal value by value; any other comparison of rows is of structs.
        const [leftRow, rightRow] = [rowValues(ast.left), rowValues(ast.right)];
        if ((comparison === "equal" || comparison === "not_equal") && leftRow && rightRow && leftRow.length === rightRow.length) {
          const e = this.rowsEqual(ast.left, ast.right, ctx, position);
          return comparison === "equal" ? e : not(e);
        }
        if (comparison) {
          if (ast.right?.type === "function" && ["any", "all", "some"].includes(functionName(ast.right))) {
            const quantifier = functionName(ast.right) === "all" ? "all" : "any";
            const subquery = ast.right.args?.value?.[0];
            // = ANY is IN and <> ALL is NOT IN, with the same NULL rules; the other comparisons are not yet.
            if (!subquery?.ast || ast.right.args.value.length !== 1) throw new UnsupportedError(`${op} ${functionName(ast.right).toUpperCase()} of a list`, position);
            if ((comparison === "equal" && quantifier === "any") || (comparison === "not_equal" && quantifier === "all")) {
              const e = this.subquery("in", subquery.ast, this.expr(ast.left, ctx), ctx, position);
              return quantifier === "any" ? e : not(e);
            }
            return this.quantifiedComparison(comparison, quantifier, this.expr(ast.left, ctx), subquery.ast, ctx, position);
          }
          return compare(comparison, this.expr(ast.left, ctx), this.expr(ast.right, ctx), position);
        }
        throw new UnsupportedError(`operator ${op}`, position);
      }
    }
  }

  unary(ast: AstNode, ctx: ExprContext): Expr {
    const op = String(ast.operator).toUpperCase();
    const position = this.here(ast);
    if (op === "NOT EXISTS" || op === "EXISTS") {
      const sub = ast.expr?.ast ?? ast.expr;
      const e = this.subquery("exists", sub, undefined, ctx, position);
      return op === "EXISTS" ? e : not(e);
    }
    if (op === "NOT" || op === "!") return not(requireBoolean(this.expr(ast.expr, ctx), "NOT", position));
    if (op === "-") return negate(this.expr(ast.expr, ctx), position);
    if (op === "+") return this.expr(ast.expr, ctx);
    if (op === "~") return bitwiseNot(this.expr(ast.expr, ctx), position);
    throw new UnsupportedError(`operator ${op}`, position);
  }

  /** The query of a subquery in an expression bound in `ctx`. */
  subqueryBlock(ast: AstNode, ctx: ExprContext): BoundQuery {
    this.#subqueryContexts.push(ctx);
    try {
      return this.query(ast, ctx.scope, ctx.ctes, ctx.depth + 1);
    } finally {
      this.#subqueryContexts.pop();
    }
  }

  subquery(op: "scalar" | "exists" | "in", ast: AstNode, needle: Expr | undefined, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const sub = this.subqueryBlock(ast, ctx);
    const columns = outputColumns(sub.plan);
    if (op === "exists") return { kind: "subquery", op, plan: sub.plan, type: type("boolean", false) };
    if (columns.length !== 1) throw new UserError(`subquery must return one column, not ${columns.length}`, position);
    if (op === "scalar") return { kind: "subquery", op, plan: sub.plan, type: withNullable(columns[0].type, true) };
    const [n, unified] = unify(needle!, columnRef(columns[0]), "compare", position);
    let plan = sub.plan;
    let target = unified;
    if (target.kind !== "column") {
      // The subquery's column needs a cast to the needle's type: project it.
      const column = this.ids.column(columns[0].name, target.type);
      plan = { kind: "project", input: plan, outputs: [{ column, expr: target }] };
      target = columnRef(column);
    }
    return { kind: "subquery", op, plan, needle: n, type: type("boolean", n.type.nullable || target.type.nullable) };
  }

  /**
   * `(x1, …, xn) IN (subquery of n columns)` as DuckDB reads it: TRUE when a row equals every x;
   * else NULL when the subquery has rows and a NULL is on either side (a row with a NULL in it
   * compares as NULL, whatever its other values); else FALSE. That is EXISTS(equal rows) OR
   * (… AND NULL), whose second part in a WHERE is never TRUE and goes (applyPredicate), leaving
   * a semi join on the equalities; the subqueries of the second part are uncorrelated.
   */
  rowsInSubquery(needles: AstNode[], ast: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const sub = this.subqueryBlock(ast, ctx);
    const columns = outputColumns(sub.plan);
    if (columns.length !== needles.length) throw new UserError(`cannot compare a row of ${needles.length} values with a subquery of ${columns.length} columns`, position);
    const pairs = needles.map((needle, i) => unify(this.expr(needle, ctx), columnRef(columns[i]), "compare", position));
    const rowsWhere = (condition?: Expr): Expr => ({ kind: "subquery", op: "exists", plan: condition ? { kind: "filter", input: sub.plan, predicate: condition } : sub.plan, type: type("boolean", false) });
    const equalRows = rowsWhere(and(pairs.map(([x, y]) => compare("equal", x, y, position))));
    const needleHasNull = or(pairs.map(([x]) => isNull(x, false)));
    const rowsWithNull = rowsWhere(or(pairs.map(([, y]) => isNull(y, false))));
    return or([equalRows, and([or([and([needleHasNull, rowsWhere()]), rowsWithNull]), nullLiteral(type("boolean"))])]);
  }

  /**
   * Two rows of values equal. DuckDB compares rows as structs, field by field with NULL equal to
   * NULL: (3, NULL) = (3, NULL) is TRUE, never NULL.
   */
  rowsEqual(left: AstNode, right: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const [l, r] = [rowValues(left) ?? [left], rowValues(right) ?? [right]];
    if (l.length !== r.length) throw new UserError(`cannot compare a row of ${l.length} values with a row of ${r.length}`, position);
    return and(
      l.map((a, i) => {
        const [x, y] = unify(this.expr(a, ctx), this.expr(r[i], ctx), "compare", position);
        return call("is_not_distinct_from", [x, y], type("boolean", false));
      }),
    );
  }

  /**
   * `x op ANY (S)` and `x op ALL (S)`, from S's row count, non-NULL count, least and greatest
   * value (each a scalar aggregate: a cross join with one row when S is uncorrelated; when it is
   * correlated, decorrelated as any correlated aggregate is, counts over no rows being 0):
   * ANY is TRUE when x beats S's easiest value, ALL is FALSE when x fails its hardest; S empty
   * gives ANY FALSE and ALL TRUE; otherwise a NULL x, or a NULL in S where nothing decided,
   * gives NULL, as SQL says.
   */
  quantifiedComparison(comparison: ComparisonOp, quantifier: "any" | "all", value: Expr, ast: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const sub = this.subqueryBlock(ast, ctx);
    // A DISTINCT in S changes no answer: its least and greatest values are the same, and so is
    // whether it has rows and NULLs.
    const s = distinctInput(sub.plan) ?? sub.plan;
    const columns = outputColumns(s);
    if (columns.length !== 1) throw new UserError(`subquery must return one column, not ${columns.length}`, position);
    const [x] = unify(value, columnRef(columns[0]), "compare", position);
    /** One aggregate of S's value, as a scalar subquery over S's own copy. */
    const over = (fn: "count" | "min" | "max", star = false): Expr => {
      const copied = new Map<ColumnId, ColumnDef>();
      const copy = freshCopy(s, this.ids, copied);
      // Aggregated right over what S's select list reads (its WHERE, where a correlation is): the shape a correlated aggregate is decorrelated from.
      const top = elementOf(copy);
      const input = top?.body ?? copy;
      const [, target] = unify(x, top?.element ?? columnRef(outputColumns(copy)[0]), "compare", position);
      const t = fn === "count" ? type("i64", false) : withNullable(target.type, true);
      const ofS = definedColumns(input);
      if (!star && !exprSome(target, (e) => e.kind === "column" && ofS.has(e.id))) {
        // S's value is the outer row's (`b > ALL (SELECT b FROM u)`, b being t's): the same on each
        // of S's rows, so its count is S's rows' and its least and greatest value itself. (An
        // aggregate of outer values only would be the outer query's, in DuckDB's SQL too.)
        const rowsOfS = over("count", true);
        if (fn === "count") return caseExpr([{ when: isNull(target, false), then: literal(0n, t) }], rowsOfS, position);
        return caseExpr([{ when: compare("gt", rowsOfS, literal(0n, type("i64", false)), position), then: target }], undefined, position);
      }
      const measure = this.ids.column(fn, t);
      const aggregate: LogicalPlan = { kind: "aggregate", input, groups: [], measures: [{ column: measure, call: { fn, args: star ? [] : [target], distinct: false, type: t } }], phase: "single" };
      // Selected as a scalar subquery's select list selects its aggregate.
      const plan: LogicalPlan = { kind: "project", input: aggregate, outputs: [{ column: this.ids.column(fn, t), expr: columnRef(measure) }] };
      return { kind: "subquery", op: "scalar", plan, type: withNullable(t, true) };
    };
    const rows = over("count", true);
    const nonNull = over("count");
    const zero = literal(0n, type("i64", false));
    const bool = (v: boolean | null) => literal(v, type("boolean", v === null));
    // Where x meets every non-NULL value of S (ALL) or some (ANY): against the least or the greatest.
    const against = (bound: "min" | "max") => compare(comparison, x, over(bound), position);
    const lowFirst = comparison === "lt" || comparison === "lte";
    let decided: Expr;
    if (comparison === "equal" || comparison === "not_equal") {
      // = ALL: every value is x (least and greatest both); <> ANY: some value is not x.
      decided = not(and([compare("equal", x, over("min"), position), compare("equal", x, over("max"), position)]));
    } else {
      // ANY: x beats S's easiest value (the greatest for <, the least for >); ALL: it beats the hardest.
      decided = quantifier === "any" ? against(lowFirst ? "max" : "min") : not(against(lowFirst ? "min" : "max"));
    }
    // `decided` is TRUE when the answer is settled by S's non-NULL values (ANY: TRUE; ALL: FALSE).
    const settled = quantifier === "any" ? bool(true) : bool(false);
    return caseExpr(
      [
        { when: compare("equal", rows, zero, position), then: bool(quantifier === "all") },
        { when: isNull(x, false), then: bool(null) },
        { when: and([compare("gt", nonNull, zero, position), decided]), then: settled },
        { when: compare("lt", nonNull, rows, position), then: bool(null) },
      ],
      bool(quantifier === "all"),
      position,
    );
  }

  func(ast: AstNode, ctx: ExprContext): Expr {
    const name = functionName(ast);
    const position = this.here(ast);
    // The grammar may hang one expression where the list goes (`date_part('m', TIME AND x)`).
    const listed = ast.args?.value;
    const rawArgs: AstNode[] = Array.isArray(listed) ? listedArguments(ast) : listed ? [listed] : ast.args ? [ast.args] : [];
    if (ast.over) return this.windowFunction(ast, ctx);
    if (name === "exists") {
      return this.subquery("exists", rawArgs[0]?.ast ?? rawArgs[0], undefined, ctx, position);
    }
    if (name === "not") return not(requireBoolean(this.expr(rawArgs[0], ctx), "NOT", position));
    if (name === "trim" || name === "ltrim" || name === "rtrim" || name === "btrim") return this.trim(name, rawArgs, ctx, position);
    if (AGGREGATE_NAMES.has(name)) return this.aggregateFunction(ast, ctx);
    let bound: Expr[] | undefined;
    const args = () => (bound ??= rawArgs.map((a) => this.expr(a, ctx)));
    if (isLambdaFunction(name)) return this.#lambdaCall(name, rawArgs, ctx, position);
    if (isJsonFunction(name) || WRITES_VALUES_AS_TEXT.has(name)) bound = args().map(namedForText);
    if (isJsonFunction(name)) return bindJsonFunction(name, args(), position);
    if (isMapFunction(name)) return bindMapFunction(name, args(), position);
    if (isListFunction(name)) {
      const listCall = bindListFunction(name, args(), position);
      if (listCall) return listCall;
    }
    const arity = (min: number, max = min) => checkArity(name, rawArgs.length, position, min, max);
    const str = (e: Expr) => {
      if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`${name} needs VARCHAR, not ${typeName(e.type)}`, position);
      return castTo(e, type("string"));
    };
    switch (name) {
      case "substring":
      case "substr": {
        arity(2, 3);
        const [s, ...rest] = args();
        const i32 = type("i32");
        const bounds = rest.map((r) => {
          if (!isNumeric(r.type) && r.type.kind !== "null") throw new UserError(`${name} positions must be integers`, position);
          return castTo(r, i32);
        });
        const string = str(s);
        return call("substring", [string, ...bounds], type("string", [string, ...bounds].some((a) => a.type.nullable)));
      }
      case "upper":
      case "ucase":
      case "lower":
      case "lcase": {
        arity(1);
        const s = str(args()[0]);
        return call(name === "ucase" ? "upper" : name === "lcase" ? "lower" : name, [s], type("string", s.type.nullable));
      }
      case "length":
      case "len":
      case "char_length":
      case "character_length": {
        arity(1);
        const s = str(args()[0]);
        return call("char_length", [s], type("i64", s.type.nullable));
      }
      case "concat":
        if (rawArgs.length === 0) throw new UserError("concat needs arguments", position);
        return this.concat(args(), true, position);
      case "coalesce":
        if (rawArgs.length === 0) throw new UserError("coalesce needs arguments", position);
        return coalesce(args(), position);
      case "ifnull":
        // DuckDB's two-argument coalesce.
        arity(2);
        return coalesce(args(), position);
      case "if": {
        // DuckDB's if(condition, then, else).
        arity(3);
        const [condition, then, otherwise] = args();
        return caseExpr([{ when: requireBoolean(condition, "if's condition", position), then }], otherwise, position);
      }
      case "nullif": {
        arity(2);
        const [a, b] = args();
        if (a.type.kind === "null") return nullLiteral();
        const [l, r] = unify(a, b, "compare", position);
        // Compared in their common type, the value keeps the first argument's (as in DuckDB).
        const value = call("nullif", [l, r], withNullable(l.type, true));
        return sameType(l.type, a.type) ? value : castTo(value, withNullable(a.type, true));
      }
      case "abs": {
        arity(1);
        const [a] = args();
        if (!isNumeric(a.type)) throw new UserError(`abs needs a number, not ${typeName(a.type)}`, position);
        return call("abs", [a], a.type);
      }
      case "greatest":
      case "least": {
        if (rawArgs.length === 0) throw new UserError(`${name} needs arguments`, position);
        const unified = unifyAll(args(), "compare", position);
        // DuckDB's greatest/least skip NULLs.
        return call(`${name}_skip_null`, unified, withNullable(unified[0].type, unified.every((a) => a.type.nullable)));
      }
      case "starts_with":
      case "prefix":
      case "ends_with":
      case "suffix":
      case "contains": {
        arity(2);
        const [a, b] = args();
        return stringTest(name === "prefix" ? "starts_with" : name === "suffix" ? "ends_with" : name, name, a, b, position);
      }
      case "position": {
        // position(needle IN haystack) arrives as [needle, the keyword IN, haystack].
        const operands = rawArgs.filter((a) => !(a?.type === "origin" && String(a.value).toLowerCase() === "in"));
        if (operands.length !== 2) throw new UserError("position takes (substring IN string)", position);
        const [needle, haystack] = operands.map((a) => this.expr(a, ctx));
        return bindLibraryFunction("strpos", [haystack, needle], position)!;
      }
      case "columns":
        throw new UnsupportedError("COLUMNS(…) outside the select list", position);
      case "unnest": {
        // A row per value: the select block puts an unnest operator under its projection (#unnest).
        if (ctx.clause !== "SELECT") throw new UserError(`unnest is allowed in the select list only, not in ${ctx.clause}`, position);
        arity(1);
        const list = args()[0].type.kind === "null" ? castTo(args()[0], listOf(type("i32"))) : args()[0];
        if (list.type.kind !== "list") throw new UserError(`unnest needs a list, not ${typeName(list.type)}`, position);
        if (exprSome(list, (x) => x.kind === "call" && x.fn === UNNEST_CALL)) throw new UnsupportedError("unnest of an unnest", position);
        return call(UNNEST_CALL, [list], withNullable(valueTypeOf(list.type), true));
      }
      case COMPREHENSION_CALL:
        return this.#comprehension(rawArgs, ctx, position);
      case SUBSCRIPT_CALL: {
        invariant(rawArgs.length === 2, "the pre-pass's subscript has an operand and an index");
        const [operand, index] = args();
        return subscriptOf(operand, index, position);
      }
      case STRUCT_CALL:
      case STRUCT_PACK_CALL: {
        // Names in turn with values: each written bare or quoted (read as a column's name) or as a
        // string. struct_pack's column alone (the pre-pass wrote its name as a string) takes the
        // column's name as its table has it (`struct_pack(ID)` of a column id: id), as DuckDB's.
        const values = rawArgs.map((a, i) => (i % 2 === 1 ? this.expr(a, ctx) : undefined));
        const fieldName = (a: AstNode, value: Expr | undefined) => {
          const stored = name === STRUCT_PACK_CALL && a?.type === "single_quote_string" && value?.kind === "column" ? ctx.scope.nameOf(value.id) : undefined;
          return literal(stored ?? fieldNameOf(a, position), type("string", false));
        };
        return structPack(rawArgs.map((a, i) => values[i] ?? fieldName(a, values[i + 1])), position);
      }
      case STRUCT_INSERT_CALL: {
        // The struct, then names in turn with values, as struct_pack's.
        const [struct, ...pairs] = rawArgs;
        return structInsert(this.expr(struct, ctx), pairs.map((a, i) => (i % 2 === 1 ? this.expr(a, ctx) : literal(fieldNameOf(a, position), type("string", false)))), position);
      }
      case MAP_CALL:
        return mapLiteral(args(), position);
      case TYPED_CAST_CALL: {
        const written = rawArgs[1];
        invariant(rawArgs.length === 2 && written?.type === "single_quote_string", "the pre-pass's cast has a value and a type's name");
        return castToNested(this.expr(rawArgs[0], ctx), parseTypeName(String(written.value), namedCastType, position), position);
      }
      case FIELD_CALL: {
        const name = rawArgs[1]?.type === "column_ref" ? writtenColumnNames(rawArgs[1]) : [];
        invariant(rawArgs.length === 2 && name.length === 1, "the pre-pass's field of a value has the value and a name");
        const value = this.expr(rawArgs[0], ctx);
        if (value.type.kind !== "struct") throw new UserError(`.${name[0]} of ${typeName(value.type)}, which is no STRUCT`, position);
        return structField(value, literal(name[0], type("string", false)), position);
      }
      case "struct_extract": {
        arity(2);
        const [value, name] = args();
        if (value.type.kind !== "struct") throw new UserError(`struct_extract needs a STRUCT, not ${typeName(value.type)}`, position);
        return structField(value, name, position);
      }
      case "struct_extract_at":
        arity(2);
        return structFieldAt(args()[0], args()[1], position);
      case "row":
        return rowValue(args(), position);
      case SLICE_CALL: {
        // A bound left out reached the grammar as NULL (see the pre-pass); a step follows them, if written.
        invariant(rawArgs.length === 3 || rawArgs.length === 4, "the pre-pass's slice has an operand, two bounds and perhaps a step");
        const bounds = rawArgs.slice(1, 3).map((a) => (a?.type === "null" ? undefined : this.expr(a, ctx)));
        const step = rawArgs[3] === undefined ? undefined : this.expr(rawArgs[3], ctx);
        const operand = this.expr(rawArgs[0], ctx);
        if (operand.type.kind === "list") return listSlice(operand, bounds, position, step);
        if (step) throw new UserError(`a slice of ${typeName(operand.type)} by a step (DuckDB steps through lists only)`, position);
        return stringSlice(operand, bounds, position);
      }
      case AT_TIME_ZONE_CALL: {
        // x AT TIME ZONE z, written so by the pre-pass.
        invariant(rawArgs.length === 2, "the pre-pass's AT TIME ZONE call has a time and a zone");
        const [value, zone] = args();
        return bindLibraryFunction("timezone", [zone, value], position)!;
      }
      case INTERVAL_CALL: {
        // INTERVAL (n) WEEK, written so by the pre-pass: the grammar reads few units.
        const unit = rawArgs[1];
        invariant(rawArgs.length === 2 && unit?.type === "single_quote_string", "the pre-pass's INTERVAL call has an amount and a unit");
        return this.intervalOf(rawArgs[0], String(unit.value), ctx, position);
      }
      case "current_date":
      case "today":
        arity(0);
        return this.today();
      case "age":
        // age(x): from x to today at midnight (DuckDB's), today being the plan's (see now).
        if (rawArgs.length === 1) return bindLibraryFunction("age", [this.today(), this.expr(rawArgs[0], ctx)], position)!;
        return bindLibraryFunction("age", args(), position)!;
      case "now":
      case "current_timestamp":
      case "get_current_timestamp":
      case "transaction_timestamp":
        arity(0);
        return literal(BigInt(this.now.getTime()) * 1000n, type("timestamp_tz", false));
      case "grouping":
      case "grouping_id": {
        // Which of its keys the row's grouping set leaves out: replaced by a column of the
        // grouping sets' parts once the GROUP BY is known (see the aggregation below).
        if (!ctx.aggregates) throw new UserError(`GROUPING is not allowed in ${ctx.clause}`, position);
        if (rawArgs.length === 0) throw new UserError("GROUPING needs the GROUP BY keys it asks about", position);
        // A bare name that is no column of the FROM clause may be a select-list alias, as in GROUP BY.
        const keys = rawArgs.map((a) => {
          const name = a?.type === "column_ref" && !a.table && typeof a.column !== "string" ? String(a.column.expr.value).toLowerCase() : undefined;
          const aliased = name === undefined || ctx.scope.resolve(undefined, name, position) ? undefined : ctx.selectAliases?.get(name);
          return this.expr(aliased ?? a, ctx);
        });
        return call("grouping", keys, type("i64", false));
      }
      case "rollup":
      case "cube":
        throw new UnsupportedError(`${name.toUpperCase()}`, position);
      default: {
        const bound = isLibraryFunction(name) ? bindLibraryFunction(name, args(), position) : undefined;
        if (!bound && RANDOM_FUNCTIONS.has(name)) {
          throw new UnsupportedError(`${name}(), which gives another value each time it runs: a query's answer must be the one every node that runs or checks it computes (sample rows with USING SAMPLE, which is repeatable)`, position);
        }
        if (!bound) throw new UnsupportedError(`function ${name}`, position);
        return bound;
      }
    }
  }

  trim(name: string, rawArgs: AstNode[], ctx: ExprContext, position: SourcePosition | undefined): Expr {
    // trim([BOTH|LEADING|TRAILING] [chars] FROM s) arrives as a flat list with keywords.
    let fn = name === "btrim" ? "trim" : name;
    const values: AstNode[] = [];
    let sawFrom = false;
    for (const a of rawArgs) {
      const keyword = a?.type === "origin" ? String(a.value).toLowerCase() : undefined;
      if (keyword === "both") fn = "trim";
      else if (keyword === "leading") fn = "ltrim";
      else if (keyword === "trailing") fn = "rtrim";
      else if (keyword === "from") sawFrom = true;
      else values.push(a);
    }
    const bound = values.map((v) => this.expr(v, ctx));
    let source: Expr;
    let chars: Expr;
    if (sawFrom) {
      source = bound[bound.length - 1];
      chars = bound.length > 1 ? bound[0] : literal(" ", type("string", false));
    } else {
      source = bound[0];
      chars = bound[1] ?? literal(" ", type("string", false));
    }
    if (!source || bound.length > 2) throw new UserError(`${name} takes a string and optionally the characters to trim`, position);
    for (const e of [source, chars]) {
      if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`${name} needs VARCHAR, not ${typeName(e.type)}`, position);
    }
    const s = castTo(source, type("string"));
    const c = castTo(chars, type("string"));
    return call(fn, [s, c], type("string", s.type.nullable || c.type.nullable));
  }

  concat(values: Expr[], skipNulls: boolean, position: SourcePosition | undefined): Expr {
    // `||` is NULL when any side is; DuckDB's concat() treats NULL as ''. Non-strings are cast.
    const asString = values.map((v) => castTo(v, type("string"), position));
    const args = skipNulls
      ? asString.map((v) => (v.type.nullable ? call("coalesce", [v, literal("", type("string", false))], type("string", false)) : v))
      : asString;
    return call("concat", args, type("string", args.some((a) => a.type.nullable)));
  }

  extract(ast: AstNode, ctx: ExprContext): Expr {
    const position = this.here(ast);
    const field = String(ast.args?.field ?? "").toUpperCase();
    // The parser splits `EXTRACT(YEAR FROM DATE '2000-02-29')` into the string and its type.
    const castType = ast.args?.cast_type ? String(ast.args.cast_type).toLowerCase() : undefined;
    // An interval's string is the interval node's value, not the node itself.
    const typed = castType === "interval" ? { type: "interval", expr: ast.args.source, unit: "" } : castType && { ...ast.args.source, type: castType };
    const sourceAst = castType && ast.args?.source ? typed : ast.args?.source;
    return extractPart(field, this.expr(sourceAst, ctx), { name: "extract", position });
  }

  caseExpression(ast: AstNode, ctx: ExprContext): Expr {
    const position = this.here(ast);
    const operand = ast.expr ? this.expr(ast.expr, ctx) : undefined;
    const whens: { when: Expr; then: Expr }[] = [];
    let otherwise: Expr | undefined;
    for (const arm of ast.args) {
      if (arm.type === "else") {
        otherwise = this.expr(arm.result, ctx);
        continue;
      }
      const cond = this.expr(arm.cond, ctx);
      const when = operand ? compare("equal", operand, cond, position) : requireBoolean(cond, "CASE WHEN", position);
      whens.push({ when, then: this.expr(arm.result, ctx) });
    }
    return caseExpr(whens, otherwise, position);
  }

  cast(ast: AstNode, ctx: ExprContext): Expr {
    const position = this.here(ast);
    // The grammar reads a select item `… ::t op x` as the cast of all before `::`, with the rest
    // apart (the pre-pass parenthesizes the forms that lead it there): never drop the rest.
    if (ast.tail) throw new UnsupportedError("an operator after this cast (put the value before :: in parentheses)", position);
    // x::a::b casts to a, then to b.
    const targets: AstNode[] = Array.isArray(ast.target) ? ast.target : [ast.target];
    let value = this.expr(ast.expr, ctx);
    for (const [k, target] of targets.entries()) {
      const to = castTargetType(target, position);
      if (to.json) {
        // CAST(x AS JSON): text checked as a document, any other value written as one (DuckDB's).
        if (castIsTry(ast)) throw new UnsupportedError("TRY_CAST to JSON (json_valid(x) says whether x is a document)", position);
        value = castToJson(namedForText(value));
        continue;
      }
      // A list casts to a list or to text, and from one or from text, as in DuckDB.
      const textOrNull = (t: SqlType) => t.kind === "string" || t.kind === "null";
      if ((to.kind === "list") !== (value.type.kind === "list") && !textOrNull(to.kind === "list" ? value.type : to)) throw new UserError(`cannot cast ${typeName(value.type)} to ${typeName(to)}`, position);
      // A HUGEINT runs as a DECIMAL(38,0), which rounds the fraction of a string DuckDB's HUGEINT refuses ('12.5').
      if (to.hugeint && value.type.kind === "string" && !isStringLiteral(value)) throw new UnsupportedError("CAST of a VARCHAR to HUGEINT (cast it to DECIMAL(38,0): a fraction rounds)", position);
      if (!castsToInterval(value.type, to)) throw new UserError(`cannot cast ${typeName(value.type)} to ${typeName(to)}`, position);
      if (to.kind === "interval_compound" && isStringLiteral(value) && !(k === 0 && castIsTry(ast))) {
        // A constant's text read now, as INTERVAL '…' reads it: of months, of days and time, or of all three.
        value = parseInterval(value.value, undefined, position);
        continue;
      }
      value = k === 0 && castIsTry(ast) ? { kind: "cast", input: value, type: withNullable(to, true), try: true } : castTo(value, to, position);
    }
    return value.kind === "literal" ? { ...value, cast: true } : value;
  }

  aggregateFunction(ast: AstNode, ctx: ExprContext): Expr {
    const name = writtenName(ast) ?? String(typeof ast.name === "string" ? ast.name : functionName(ast)).toLowerCase();
    const position = this.here(ast);
    if (ast.args?.orderby && !ORDERED_AGGREGATES.has(name) && !ROW_BY_ORDER_AGGREGATES.has(name) && !LIST_AGGREGATES.has(name) && name !== "mode") throw new UnsupportedError(`ORDER BY inside ${name}()`, position);
    if (ast.over) return this.windowFunction(ast, ctx);
    if (!AGGREGATE_NAMES.has(name)) throw new UnsupportedError(`aggregate function ${name}`, position);
    const bound = this.#aggregateCall(name, ast, ctx, position);
    const outer = this.#outerAggregate(bound, ctx, position);
    if (outer) return outer;
    if (!ctx.aggregates) throw new UserError(`aggregate functions are not allowed in ${ctx.clause}`, position);
    return bound;
  }

  /**
   * An aggregate written in a subquery whose arguments read columns of the enclosing block only
   * is that block's, as in DuckDB and PostgreSQL (`(SELECT c_name FROM customer WHERE c_custkey =
   * min(o_custkey))` per group of orders): a measure of the enclosing block's aggregate, which the
   * subquery reads as it reads any of that block's columns. Undefined for the subquery's own.
   */
  #outerAggregate(bound: Expr, ctx: ExprContext, position: SourcePosition | undefined): Expr | undefined {
    const enclosing = this.#subqueryContexts.at(-1);
    if (!enclosing || enclosing.scope === ctx.scope || containsSubquery(bound)) return undefined;
    const read = columnsOf(bound);
    if (read.size === 0 || ![...read].every((id) => enclosing.scope.items.some((i) => i.column.id === id))) return undefined;
    if (!enclosing.aggregates) throw new UserError(`aggregate functions are not allowed in ${enclosing.clause}`, position);
    const measures = this.#aggregatesFromSubqueries.get(enclosing.scope) ?? [];
    this.#aggregatesFromSubqueries.set(enclosing.scope, measures);
    return mapExpr(bound, (x) => {
      if (x.kind !== "aggregate") return x;
      const column = this.ids.column(x.call.fn, x.call.type);
      measures.push({ column, call: x.call });
      return columnRef(column);
    });
  }

  /** An aggregate call's arguments, FILTER and ORDER BY bound, wherever it is written. */
  #aggregateCall(name: string, ast: AstNode, ctx: ExprContext, position: SourcePosition | undefined): Expr {
    const inner: ExprContext = { ...ctx, aggregates: false, windows: false, clause: `the argument of ${name}()` };
    const distinct = aggregateIsDistinct(ast);
    // string_agg(x, ',') arrives with its separator apart.
    const argAsts = ast.args?.separator?.delimiter ? [...argumentAsts(ast), ast.args.separator.delimiter] : argumentAsts(ast);
    const filter = ast.filter?.where ? requireBoolean(this.expr(ast.filter.where, { ...inner, clause: "FILTER (WHERE ...)" }), "FILTER (WHERE ...)", position) : undefined;
    const aggregate = this.#unfilteredAggregate(name, ast, argAsts, inner, distinct, position);
    return filter ? filteredAggregates(aggregate, filter) : aggregate;
  }

  #unfilteredAggregate(name: string, ast: AstNode, argAsts: AstNode[], inner: ExprContext, distinct: boolean, position: SourcePosition | undefined): Expr {
    if (argAsts.length === 1 && isStar(argAsts[0])) {
      if (name !== "count") throw new UserError(`${name}(*) is not a function; only count(*) is`, position);
      if (distinct) throw new UserError("count(DISTINCT *) is not a function", position);
      return countStar();
    }
    if (name === "mode" && ast.within_group_orderby) return this.#modeWithinGroup(ast, argAsts, inner, distinct, position);
    if (argAsts.length === 0) throw new UserError(`${name} needs an argument`, position);
    if (name === "percentile_cont" || name === "percentile_disc") return this.percentile(name, ast, argAsts, inner, position);
    const args = argAsts.map((a) => this.expr(a, inner));
    const order: SortKey[] = (ast.args?.orderby ?? []).map((o: AstNode) => sortKey(this.expr(o.expr, inner), o));
    if (name === "json_group_array" || name === "json_group_object") {
      if (distinct || order.length > 0) throw new UserError(`DISTINCT and ORDER BY are not for ${name} (DuckDB's refusal)`, position);
      return name === "json_group_array" ? this.#jsonGroupArray(args, position) : this.#jsonGroupObject(args, position);
    }
    return aggregateOf(name, args, distinct, position, order);
  }

  /**
   * DuckDB's json_group_array(x) (its macro, to_json(list(x))): the group's values, NULLs too, as
   * one JSON array, joined in the order the group's rows come, as DuckDB's are.
   */
  #jsonGroupArray(args: readonly Expr[], position: SourcePosition | undefined): Expr {
    checkArity("json_group_array", args.length, position, 1);
    return this.#jsonJoined("[", this.#jsonValueText(args[0]), "]", position);
  }

  /**
   * DuckDB's json_group_object(k, v): the group's pairs as one JSON object, each key as its text
   * (a key twice is there twice, as DuckDB writes it), each value as JSON; a NULL key is DuckDB's
   * error. The pairs are joined in the order the group's rows come, as DuckDB's are.
   */
  #jsonGroupObject(args: readonly Expr[], position: SourcePosition | undefined): Expr {
    checkArity("json_group_object", args.length, position, 2);
    const [key, value] = args;
    const text = (e: Expr) => castTo(e, type("string"), position);
    const string = (s: string) => literal(s, type("string", false));
    const entry = this.concat([text(asJson(text(namedForText(key)))), string(":"), this.#jsonValueText(value)], false, position);
    const checked = caseExpr([{ when: isNull(key, false), then: call("error", [string("json_group_object key cannot be NULL")], type("string")) }], entry, position);
    return this.#jsonJoined("{", checked, "}", position);
  }

  /** A value's JSON as text, `null` for NULL. */
  #jsonValueText(value: Expr): Expr {
    return call("coalesce", [castTo(asJson(namedForText(value)), type("string")), literal("null", type("string", false))], type("string", false));
  }

  /** The group's `texts` joined by commas between `open` and `close`, as JSON; NULL over no rows. */
  #jsonJoined(open: string, texts: Expr, close: string, position: SourcePosition | undefined): Expr {
    const string = (s: string) => literal(s, type("string", false));
    const joined = aggregateOf("string_agg", [texts, string(",")], false, position);
    const whole = this.concat([string(open), joined, string(close)], false, position);
    return { ...whole, type: jsonType(whole.type.nullable) };
  }

  /** Whether COLUMNS(c -> condition) selects the column `name`: the condition with the name for c, worked out here. */
  #columnNameTest(selector: ColumnsSelector & { kind: "lambda" }, name: string, ctx: ExprContext, position: SourcePosition | undefined): boolean {
    const body = withColumnReplaced(selector.body, selector.parameter, { type: "single_quote_string", value: name });
    const result = valueOfNameCondition(this.expr(body, { ...ctx, aggregates: false, windows: false, clause: "COLUMNS(…)" }));
    if (result === undefined) {
      throw new UnsupportedError("a COLUMNS lambda of other than its name and constants, compared, matched (LIKE, ILIKE, GLOB, regular expressions, IN, starts_with, ends_with, contains) or combined (AND, OR, NOT)", position);
    }
    return result === true;
  }

  /** `mode() WITHIN GROUP (ORDER BY x)` is mode(x ORDER BY x): of values as frequent, the first in that order. */
  #modeWithinGroup(ast: AstNode, argAsts: AstNode[], inner: ExprContext, distinct: boolean, position: SourcePosition | undefined): Expr {
    const ordering: AstNode[] = ast.within_group_orderby;
    // The grammar gives mode()'s missing argument as an empty node.
    if (ordering.length !== 1 || argAsts.some((a) => a?.type !== undefined) || distinct) throw new UserError("mode takes no argument and WITHIN GROUP (ORDER BY one value)", position);
    const value = this.expr(ordering[0].expr, inner);
    return aggregateOf("mode", [value], false, position, [sortKey(value, ordering[0])]);
  }

  /**
   * `percentile_cont(q) WITHIN GROUP (ORDER BY x)` is quantile_cont(x, q), and _disc quantile_disc.
   * Ordered DESC, an interpolated one is the fraction 1 − q from the bottom; a discrete one takes
   * the value at q from the top, which for numbers is −quantile_disc(−x, q).
   */
  percentile(name: "percentile_cont" | "percentile_disc", ast: AstNode, argAsts: AstNode[], inner: ExprContext, position: SourcePosition | undefined): Expr {
    const ordering: AstNode[] = ast.within_group_orderby ?? [];
    if (ordering.length !== 1 || argAsts.length !== 1) throw new UserError(`${name} takes a fraction and WITHIN GROUP (ORDER BY one value)`, position);
    const value = this.expr(ordering[0].expr, inner);
    const fraction = fractionOf(this.expr(argAsts[0], inner), name, position);
    if (String(ordering[0].type ?? "").toUpperCase() !== "DESC") return aggregateOf(name === "percentile_cont" ? "quantile_cont" : "quantile_disc", [value, fraction], false, position);
    if (fraction.type.kind === "list") throw new UnsupportedError(`${name} of a list of quantiles WITHIN GROUP (ORDER BY … DESC)`, position);
    if (name === "percentile_cont") return aggregateOf("quantile_cont", [value, literal(1 - Number((fraction as { value: number }).value), type("fp64", false))], false, position);
    if (!isNumeric(value.type)) throw new UnsupportedError(`percentile_disc WITHIN GROUP (ORDER BY … DESC) of ${typeName(value.type)}`, position);
    return negate(aggregateOf("quantile_disc", [negate(value, position), fraction], false, position), position);
  }

  windowFunction(ast: AstNode, ctx: ExprContext): Expr {
    const name = writtenName(ast) ?? String(typeof ast.name === "string" ? ast.name : functionName(ast)).toLowerCase();
    const position = this.here(ast);
    if (!ctx.windows) throw new UserError(`window functions are not allowed in ${ctx.clause}`, position);
    const written = ast.over?.as_window_specification;
    const spec = typeof written === "string" ? ctx.namedWindows?.get(written.toLowerCase()) : written;
    if (typeof written === "string" && !spec) throw new UserError(`unknown window ${written}`, position);
    if (!spec) throw new UnsupportedError("this OVER clause", position);
    const ws = spec.window_specification ?? {};
    const inner: ExprContext = { ...ctx, windows: false, clause: WINDOW_FUNCTION_CLAUSE };
    // The pre-pass has the grammar read PARTITION BY keys as the first ORDER BY keys (partitionKeyCount).
    const keys = partitionKeyCount(ast) || partitionKeyCount(spec);
    let partitionAsts: AstNode[] = [...(ws.partitionby ?? []), ...(ws.orderby ?? []).slice(0, keys)];
    let orderAsts: AstNode[] = (ws.orderby ?? []).slice(keys);
    // A RANGE or GROUPS frame and EXCLUDE are marked on the call for OVER (…), on the named window's specification for OVER w.
    const frameOwner = spec === written ? ast : spec;
    const baseName = baseWindowOf(ast);
    if (baseName !== undefined) {
      // OVER (w …): w's partition and order, and what this one adds (DuckDB's rules: nothing w has already, and no frame of w's).
      const base = ctx.namedWindows?.get(baseName);
      if (!base) throw new UserError(`unknown window ${baseName}`, position);
      const baseWs = base.window_specification ?? {};
      const baseKeys = partitionKeyCount(base);
      const basePartition: AstNode[] = [...(baseWs.partitionby ?? []), ...(baseWs.orderby ?? []).slice(0, baseKeys)];
      const baseOrder: AstNode[] = (baseWs.orderby ?? []).slice(baseKeys);
      if (baseWs.window_frame_clause) throw new UserError(`cannot copy window ${baseName}: it has a frame clause`, position);
      if (partitionAsts.length > 0 && basePartition.length > 0) throw new UserError(`cannot override the PARTITION BY of window ${baseName}`, position);
      if (orderAsts.length > 0 && baseOrder.length > 0) throw new UserError(`cannot override the ORDER BY of window ${baseName}`, position);
      if (basePartition.length > 0) partitionAsts = basePartition;
      if (baseOrder.length > 0) orderAsts = baseOrder;
    }
    const partitionBy = partitionAsts.map((p: AstNode) => this.expr(p.expr ?? p, inner));
    const orderBy: SortKey[] = orderAsts.map((o: AstNode) => sortKey(this.expr(o.expr, inner), o));
    const writtenFrame = writtenFrameOf(frameOwner);
    const frame = withExclusion(writtenFrame ? writtenWindowFrame(writtenFrame, orderBy, position) : windowFrame(ws.window_frame_clause, position), frameExclusionOf(frameOwner), position);
    let argAsts = argumentAsts(ast);
    // FILTER (WHERE c): the pre-pass made c the last argument.
    const filtered = windowFilterOf(ast);
    const filter = filtered ? requireBoolean(this.expr(argAsts.at(-1), { ...inner, clause: "FILTER (WHERE ...)" }), "FILTER (WHERE ...)", position) : undefined;
    if (filtered) argAsts = filtered.star ? [{ type: "star", value: "*" }] : argAsts.slice(0, -1);
    // list(x ORDER BY k) OVER …: the pre-pass made the keys the last arguments.
    const argumentOrder = argumentOrderOf(ast);
    const orderKeyAsts = argumentOrder ? argAsts.slice(-argumentOrder.length) : [];
    if (argumentOrder) argAsts = argAsts.slice(0, -argumentOrder.length);
    WINDOW_DISPLAY_NAMES.set(ast, windowDisplayName({ name, ast, argAsts, filterAst: filtered ? argumentAsts(ast).at(-1) : undefined, orderKeyAsts, partitionAsts, orderAsts, frame }));
    if (WINDOW_ONLY.has(name)) {
      if (filter) throw new UserError(`FILTER (WHERE ...) is for aggregates, not ${name}()`, position);
      const { args, type: t } = windowOnly(name, argAsts.map((a) => this.expr(a, { ...inner, aggregates: ctx.aggregates })), position);
      const call: WindowCall = { fn: name as WindowCall["fn"], args, partitionBy, orderBy, frame, ...(nullsIgnored(ast) ? { ignoreNulls: true } : {}), type: t };
      return { kind: "window", call, type: call.type };
    }
    if (!AGGREGATE_NAMES.has(name)) throw new UnsupportedError(`window function ${name}`, position);
    if (name === "json_group_array" || name === "json_group_object") throw new UserError(`${name} over a window: it is a macro (DuckDB's), not a window function`, position);
    const valueContext: ExprContext = { ...inner, aggregates: ctx.aggregates };
    // The call's own ORDER BY (list(x ORDER BY k) OVER …): over a whole partition, the window is
    // ordered by its keys (DuckDB's answer: the partition's rows in k's order).
    const argumentKeys: SortKey[] = orderKeyAsts.map((k, i) => ({ expr: this.expr(k, valueContext), ...argumentOrder![i] }));
    const ownFrame = Boolean(ws.window_frame_clause || writtenFrame);
    const byKeys = argumentKeys.length > 0 && orderBy.length === 0 && !ownFrame ? { orderBy: argumentKeys, frame: WHOLE_PARTITION } : undefined;
    const keysRefused = () => new UnsupportedError(`${name}(x ORDER BY …) over a window with an ORDER BY or a frame of its own (over a whole partition only)`, position);
    if (ROW_BY_ORDER_AGGREGATES.has(name) || (ANY_VALUE_AGGREGATES.has(name) && (orderBy.length > 0 || argumentKeys.length > 0))) {
      // DuckDB's first(x) and last(x) over a window are first_value and last_value (FILTER and
      // DISTINCT refused, as it refuses them); any_value over an ordered window is the first
      // value of the frame that is not NULL.
      const rowByOrder = ROW_BY_ORDER_AGGREGATES.has(name);
      if (filter && rowByOrder) throw new UserError(`FILTER is not implemented for ${name}() over a window`, position);
      if (aggregateIsDistinct(ast)) throw new UserError(`DISTINCT is not implemented for ${name}() over a window`, position);
      checkArity(name, argAsts.length, position, 1);
      const value = this.expr(argAsts[0], valueContext);
      if (argumentKeys.length > 0 && !byKeys) throw keysRefused();
      if (!byKeys && orderBy.length === 0) throw new UserError(`${name}(x) over a window without ORDER BY takes any row: write ${name}(x ORDER BY …) OVER (…), or an ORDER BY in the window`, position);
      const fn = name === "last" ? "last_value" : "first_value";
      // any_value's FILTER: the rows it leaves out as NULLs, which it skips.
      const { args, type: t } = windowOnly(fn, [filter ? caseExpr([{ when: filter, then: value }], undefined, position) : value], position);
      const call: WindowCall = { fn, args, partitionBy, ...(byKeys ?? { orderBy, frame }), ...(rowByOrder ? {} : { ignoreNulls: true }), type: t };
      return { kind: "window", call, type: call.type };
    }
    if (argumentKeys.length > 0 && aggregateIsDistinct(ast)) throw new UnsupportedError(`${name}(DISTINCT … ORDER BY …) over a window`, position);
    let window = { orderBy, frame };
    let unfiltered: Expr;
    /** The key a list's frame values are sorted by after the window, if the call orders them. */
    let sortedBy: SortKey | undefined;
    if (LIST_AGGREGATES.has(name)) {
      // The frame's values in the window's order; without one, the partition's in their own order
      // (as list(x) without ORDER BY lists them), which a re-run gives again.
      checkArity(name, argAsts.length, position, 1);
      const value = this.expr(argAsts[0], valueContext);
      if (orderBy.length === 0) {
        if (ownFrame) throw new UnsupportedError(`${name}(x) over a frame without ORDER BY (its values would be in any order)`, position);
        // Over the whole partition: its values in the call's order (or, with none, in their own).
        window = byKeys ?? { orderBy: [{ expr: value, descending: false, nullsFirst: false }], frame: WHOLE_PARTITION };
      } else if (argumentKeys.length > 0) {
        // The window's own order makes the frames; their values sorted by x itself are list_sort's.
        if (argumentKeys.length !== 1 || exprKey(argumentKeys[0].expr) !== exprKey(value)) throw new UnsupportedError(`${name}(x ORDER BY …) over a window with an ORDER BY or a frame of its own (over a whole partition, or ordered by x itself)`, position);
        sortedBy = argumentKeys[0];
      }
      const t = listOf(value.type);
      unfiltered = { kind: "aggregate", call: { fn: "list", args: [value], distinct: aggregateIsDistinct(ast), type: t }, type: t };
    } else {
      // string_agg(x, sep ORDER BY k) over a whole partition: its values joined in k's order.
      if (argumentKeys.length > 0) {
        if (!byKeys) throw keysRefused();
        window = byKeys;
      }
      unfiltered = this.#unfilteredAggregate(name, ast, argAsts, valueContext, aggregateIsDistinct(ast), position);
    }
    if (unfiltered.kind === "aggregate" && unfiltered.call.order) throw new UnsupportedError(`${name} over a window`, position);
    const aggregate = filter ? filteredAggregates(unfiltered, filter) : unfiltered;
    // The aggregate (or avg's sum/count pair) becomes the same computation over the window; an
    // aggregate inside its argument (sum(sum(x)) OVER …, after a GROUP BY) stays an aggregate.
    const overWindow = rewriteTopDown(aggregate, (x) =>
      x.kind === "aggregate" ? { kind: "window", call: { fn: x.call.fn, args: x.call.args, partitionBy, ...window, ...(x.call.distinct ? { distinct: true } : {}), type: x.call.type }, type: x.call.type } : undefined,
    );
    if (!sortedBy) return overWindow;
    const direction = literal(sortedBy.descending ? "DESC" : "ASC", type("string", false));
    const nulls = literal(sortedBy.nullsFirst ? "NULLS FIRST" : "NULLS LAST", type("string", false));
    return call("list_sort", [overWindow, direction, nulls], overWindow.type);
  }
}

// ---------------------------------------------------------------- helpers

/**
 * A constant cast to BIGINT as DuckDB casts it: a decimal rounds half away from zero, a double half
 * to even; NULL stays NULL.
 */
function bigintOf(value: unknown, t: SqlType, what: string, position: SourcePosition | undefined): bigint | null {
  if (value === null) return null;
  const outOfRange = () => new UserError(`${what} ${value} is out of range for BIGINT`, position);
  let n: bigint;
  if (isInteger(t)) n = BigInt(value as number | bigint);
  else if (t.kind === "boolean") n = value ? 1n : 0n;
  else if (t.kind === "decimal") {
    const unit = 10n ** BigInt(t.scale ?? 0);
    const magnitude = (value as bigint) < 0n ? -(value as bigint) : (value as bigint);
    const rounded = magnitude / unit + (2n * (magnitude % unit) >= unit ? 1n : 0n);
    n = (value as bigint) < 0n ? -rounded : rounded;
  } else if (t.kind === "fp64" || t.kind === "fp32") {
    const x = value as number;
    if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 63) throw outOfRange();
    const nearest = Math.round(x);
    // Math.round takes a half up; DuckDB (nearbyint) takes it to the even neighbour.
    n = BigInt(nearest - x === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest);
  } else throw new UnsupportedError(`${what} of ${typeName(t)} (a number is taken)`, position);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw outOfRange();
  return n;
}

function oneRow(): LogicalPlan {
  return { kind: "values", columns: [], rows: [[]] };
}

function hasLimit(node: AstNode): boolean {
  return Array.isArray(node?.limit?.value) && node.limit.value.length > 0;
}

function sortKey(expr: Expr, item: AstNode): SortKey {
  const descending = String(item.type ?? "ASC").toUpperCase() === "DESC";
  const nulls = String(item.nulls ?? "").toLowerCase();
  // DuckDB's default is NULLS LAST in both directions.
  const nullsFirst = nulls.includes("first");
  return { expr, descending, nullsFirst };
}

/** Whether `node` is a call of COLUMNS. */
function isColumnsCall(node: AstNode): boolean {
  return node?.type === "function" && functionName(node) === "columns";
}

/** Calls `each` on every node of an expression, not within its subqueries. */
function eachNode(node: AstNode, each: (node: AstNode) => void): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((n) => eachNode(n, each));
  if (node.type === "select" || node.ast) return;
  each(node);
  for (const value of Object.values(node)) eachNode(value, each);
}

/** Which columns a COLUMNS call selects, and its argument as written (`text`, for errors). */
type ColumnsSelector = { text: string } & (
  /** COLUMNS(*), COLUMNS(* EXCLUDE (…)): every column but those named. */
  | { kind: "all"; exclude: readonly string[] }
  | { kind: "pattern"; pattern: RegExp }
  | { kind: "names"; names: string[] }
  /** COLUMNS(c -> condition): the condition of a column's name, `parameter` standing for it. */
  | { kind: "lambda"; parameter: string; body: AstNode }
);

/**
 * What the COLUMNS calls of a select item select — every column, those a regular expression
 * matches, those of a list of names, or those a lambda of the name holds for — or undefined when
 * it has none. Its calls must all select alike, as in DuckDB.
 */
function columnsCallSelector(item: AstNode, parsed: ParsedQuery, position: SourcePosition | undefined): ColumnsSelector | undefined {
  const selectors: ColumnsSelector[] = [];
  eachNode(item, (node) => {
    if (!isColumnsCall(node)) return;
    const args: AstNode[] = node.args?.value ?? [];
    const [arg] = args;
    if (args.length !== 1) throw new UserError("COLUMNS takes one argument: a regular expression, *, a list of names or a lambda of a name", position);
    const modifier = arg?.type === "column_ref" ? starModifier(arg.column, parsed) : undefined;
    if (isStar(arg) && !arg.table) selectors.push({ kind: "all", exclude: [], text: "*" });
    else if (modifier) {
      if (modifier.replace > 0) throw new UnsupportedError("COLUMNS(* REPLACE (…))", position);
      selectors.push({ kind: "all", exclude: modifier.exclude, text: `* EXCLUDE (${modifier.exclude.join(", ")})` });
    } else if (arg?.type === "single_quote_string") {
      const source = String(arg.value);
      try {
        selectors.push({ kind: "pattern", pattern: new RegExp(source), text: `'${source}'` });
      } catch (error) {
        throw new UserError(`COLUMNS('${source}'): ${(error as Error).message}`, position);
      }
    } else if (arg?.type === "array") {
      const values: AstNode[] = arg.expr_list?.value ?? [];
      if (!values.every((v) => v?.type === "single_quote_string")) throw new UserError("COLUMNS of a list takes the columns' names as strings", position);
      const names = values.map((v) => String(v.value));
      selectors.push({ kind: "names", names, text: `[${names.map((n) => `'${n}'`).join(", ")}]` });
    } else if (arg?.type === "binary_expr" && arg.operator === "->" && arg.left?.type === "column_ref") {
      selectors.push({ kind: "lambda", parameter: writtenColumnNames(arg.left).join("."), body: arg.right, text: "a lambda" });
    } else throw new UserError("COLUMNS takes a regular expression (a string), *, a list of names or a lambda of a name", position);
  });
  if (selectors.length === 0) return undefined;
  if (selectors.some((s) => s.text !== selectors[0].text || (s.kind === "lambda" && s.body !== (selectors[0] as { body?: AstNode }).body))) {
    throw new UnsupportedError("COLUMNS(…) of different selections in one expression", position);
  }
  return selectors[0];
}

/** A copy of `node` with every reference to the column `name` (not within a subquery) replaced by `replacement`. */
function withColumnReplaced(node: AstNode, name: string, replacement: AstNode): AstNode {
  return withNodesReplaced(node, (n) => n.type === "column_ref" && writtenColumnNames(n).join(".").toLowerCase() === name.toLowerCase(), replacement);
}

/**
 * The value of a condition of a column's name (COLUMNS(c -> …), bound with the name in place of
 * c): comparisons, LIKE, ILIKE, GLOB, regular expressions, IN, starts_with, ends_with, contains,
 * lower, upper, length, AND, OR and NOT of the name and constants. Undefined for anything else.
 */
function valueOfNameCondition(e: Expr): unknown {
  const NOT_WORKED_OUT = Symbol("not worked out");
  const value = (x: Expr): unknown => {
    if (x.kind === "literal") return x.value;
    if (x.kind === "cast" && (x.type.kind === "string" || x.type.kind === "boolean")) return value(x.input);
    if (x.kind === "cast" && isNumeric(x.type)) {
      const v = value(x.input);
      return v === null ? null : isInteger(x.type) ? BigInt(v as number | bigint) : Number(v);
    }
    if (x.kind === "in_list") {
      const v = value(x.value);
      return v === null ? null : x.list.some((item) => value(item) === v);
    }
    if (x.kind !== "call") throw NOT_WORKED_OUT;
    const args = x.args.map(value);
    const [a, b] = args;
    // Numbers by value (a length beside a constant), text by its characters.
    const order = (): number => (typeof a === "string" || typeof b === "string" ? (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0) : Number(a) - Number(b));
    if (x.fn === "and") return args.every((v) => v === true);
    if (x.fn === "or") return args.some((v) => v === true);
    if (args.some((v) => v === null)) return null;
    // Options (a regular expression's flags) are not worked out here.
    if (args.length > 2) throw NOT_WORKED_OUT;
    switch (x.fn) {
      case "not":
        return !a;
      case "equal":
        return order() === 0;
      case "not_equal":
        return order() !== 0;
      case "lt":
        return order() < 0;
      case "lte":
        return order() <= 0;
      case "gt":
        return order() > 0;
      case "gte":
        return order() >= 0;
      case "like":
      case "ilike":
        return likePattern(String(b), x.fn === "ilike").test(String(a));
      case "glob":
        return globPattern(String(b)).test(String(a));
      case "regexp_matches":
        return new RegExp(String(b)).test(String(a));
      case "regexp_full_match":
        return new RegExp(`^(?:${String(b)})$`).test(String(a));
      case "starts_with":
        return String(a).startsWith(String(b));
      case "ends_with":
        return String(a).endsWith(String(b));
      case "contains":
        return String(a).includes(String(b));
      case "lower":
        return String(a).toLowerCase();
      case "upper":
        return String(a).toUpperCase();
      case "char_length":
        return BigInt([...String(a)].length);
    }
    throw NOT_WORKED_OUT;
  };
  try {
    return value(e);
  } catch (error) {
    if (error === NOT_WORKED_OUT) return undefined;
    // A regular expression that does not compile is the query's error.
    if (error instanceof SyntaxError) throw new UserError(`COLUMNS lambda: ${error.message}`);
    throw error;
  }
}

/** A LIKE pattern (% any text, _ one character) as a regular expression of the whole text. */
function likePattern(pattern: string, caseless: boolean): RegExp {
  return wildcardPattern(pattern, { "%": ".*", _: "." }, caseless);
}

/** A GLOB pattern (* any text, ? one character, [set]) as a regular expression of the whole text. */
function globPattern(pattern: string): RegExp {
  return wildcardPattern(pattern, { "*": ".*", "?": ".", "[": "[", "]": "]" }, false);
}

/** A pattern of wildcards (each character's regular expression in `wildcards`, every other one literal) as a regular expression of the whole text. */
function wildcardPattern(pattern: string, wildcards: Readonly<Record<string, string>>, caseless: boolean): RegExp {
  const source = [...pattern].map((c) => wildcards[c] ?? c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("");
  return new RegExp(`^${source}$`, caseless ? "is" : "s");
}

/** A copy of `node` with each COLUMNS call (not within a subquery) replaced by `reference`. */
function withColumnsCalls(node: AstNode, reference: AstNode): AstNode {
  return withNodesReplaced(node, isColumnsCall, reference);
}

/** A copy of `node` with each node `matches` (not within a subquery) replaced by `replacement`, at the node's place. */
function withNodesReplaced(node: AstNode, matches: (node: AstNode) => boolean, replacement: AstNode): AstNode {
  if (!node || typeof node !== "object") return node;
  if (Array.isArray(node)) return node.map((n) => withNodesReplaced(n, matches, replacement));
  if (node.type === "select" || node.ast) return node;
  if (matches(node)) return { ...replacement, loc: node.loc };
  // Every key, the pre-pass's marks (symbols) too.
  const copy: AstNode = {};
  for (const key of Reflect.ownKeys(node)) copy[key] = withNodesReplaced(node[key], matches, replacement);
  return copy;
}

/** The innermost lambda parameter of this name, as an expression, where the name is one. */
function lambdaParameter(ctx: ExprContext, name: string): Expr | undefined {
  const lambdas = ctx.lambdas ?? [];
  for (let stepsOut = 0; stepsOut < lambdas.length; stepsOut++) {
    const params = lambdas[lambdas.length - 1 - stepsOut];
    const index = params.findIndex((p) => p.name.toLowerCase() === name.toLowerCase());
    if (index >= 0) return { kind: "lambda_parameter", stepsOut, index, name: params[index].name, type: params[index].type };
  }
  return undefined;
}

/** A lambda's parameter names: `x` or `(x, i)`. */
function lambdaParameterNames(left: AstNode, position: SourcePosition | undefined): string[] {
  const items: AstNode[] = left?.type === "expr_list" ? left.value : [left];
  return items.map((item) => {
    const name = item?.type === "column_ref" && !item.table ? (typeof item.column === "string" ? item.column : item.column?.expr?.value) : undefined;
    if (typeof name !== "string") throw new UserError("a lambda's parameters are names: x -> … or (x, i) -> …", position);
    return name;
  });
}

/** Whether a FROM item is the table function unnest(…). */
function isUnnestCall(node: AstNode): boolean {
  return node?.type === "function" && (node.name?.name ?? []).map((n: AstNode) => String(n.value).toLowerCase()).join(".") === "unnest";
}

function isTrueLiteral(node: AstNode): boolean {
  return (node?.type === "bool" || node?.type === "boolean") && node.value === true;
}

/** The type names of SQL's grammar (DuckDB's keywords of category column_name): bare in a cast's column name, every other quoted. */
const GRAMMAR_TYPE_NAMES = new Set(["BIGINT", "BOOLEAN", "FLOAT", "INTEGER", "INTERVAL", "SMALLINT", "TIME", "TIMESTAMP", "VARCHAR"]);

/** A cast's target as DuckDB writes it in the cast's column name: `CAST(x AS "DOUBLE")`, `DECIMAL(4, 1)`, `INTEGER[]`. */
function castTypeDisplayName(t: SqlType): string {
  if (t.kind === "list" && t.element) return `${castTypeDisplayName(t.element)}[]`;
  if (t.kind === "decimal" && !t.hugeint) return `DECIMAL(${t.precision}, ${t.scale})`;
  if (t.kind === "struct") return `STRUCT(${fieldsOf(t).map((f) => `${structFieldNameSql(f.name)} ${castTypeDisplayName(f.type)}`).join(", ")})`;
  if (t.kind === "map") return `MAP(${castTypeDisplayName(t.key!)}, ${castTypeDisplayName(t.value!)})`;
  const name = typeName(t);
  return GRAMMAR_TYPE_NAMES.has(name) ? name : `"${name}"`;
}

/** A struct field's name as a struct literal or struct_pack writes it: a bare or quoted name, or a string. */
function fieldNameOf(ast: AstNode, position: SourcePosition | undefined): string {
  if (ast?.type === "single_quote_string" || ast?.type === "string") return String(ast.value);
  const names = ast?.type === "column_ref" ? writtenColumnNames(ast) : [];
  if (names.length !== 1) throw new UserError("a struct field's name is a name or a string", position);
  return names[0];
}

/** A column reference's names as written: `t.s.x` → t, s, x. */
function writtenColumnNames(ast: AstNode): string[] {
  const name = (p: AstNode) => (typeof p === "string" ? p : p?.value);
  const column = typeof ast.column === "string" ? ast.column : ast.column?.expr?.value;
  return dottedNames(ast.column?.expr) ?? [name(ast.schema), name(ast.table), column].filter((p): p is string => typeof p === "string");
}

/** The names of a chain of dots the grammar writes for `a.b.c.d` (four names or more), or undefined for anything else. */
function dottedNames(ast: AstNode): string[] | undefined {
  if (ast?.type !== "binary_expr" || ast.operator !== ".") return undefined;
  const part = (p: AstNode): string[] | undefined => (typeof p === "string" ? [p] : p?.type === "default" ? [String(p.value)] : dottedNames(p));
  const left = part(ast.left);
  const right = part(ast.right);
  return left && right && [...left, ...right];
}

/** unnest(list) while the select list is bound: the select block replaces it by its operator's column. */
const UNNEST_CALL = "unnest";

/** `x[i]`: a list's i-th value, or a string's i-th character. */
function subscriptOf(e: Expr, index: Expr, position: SourcePosition | undefined): Expr {
  if (e.type.kind === "struct") return structField(e, index, position);
  if (e.type.kind === "map") return mapValueOf(e, index, { name: "a map's subscript", position });
  return e.type.kind === "list" ? listExtract(e, index, position) : stringSubscript(e, index, position);
}

/** `s[i]`: the i-th character of a string (from the end when negative; '' past either end), as DuckDB's array_extract reads a VARCHAR. */
function stringSubscript(e: Expr, index: Expr, position: SourcePosition | undefined): Expr {
  if (e.type.kind !== "string") throw new UnsupportedError(`a subscript of ${typeName(e.type)} (of a list or a string only)`, position);
  if (!isInteger(index.type) && index.type.kind !== "null") throw new UserError(`a string's subscript must be an integer, not ${typeName(index.type)}`, position);
  const at = castTo(index, type("i32"));
  return call("substring", [e, at, literal(1, type("i32", false))], type("string", e.type.nullable || at.type.nullable));
}

/**
 * `s[a:b]`: the characters a to b of a string, both counted from 1 (from the end when negative),
 * as DuckDB's array_slice reads a VARCHAR; a bound left out is the string's first or last.
 */
function stringSlice(e: Expr, bounds: readonly (Expr | undefined)[], position: SourcePosition | undefined): Expr {
  if (e.type.kind !== "string") throw new UnsupportedError(`a slice of ${typeName(e.type)} (of a list or a string only)`, position);
  const [begin, end] = bounds.map((bound, i) => {
    if (bound === undefined) return literal(i === 0 ? 1 : -1, type("i64", false));
    if (!isInteger(bound.type) && bound.type.kind !== "null") throw new UserError(`a string's slice bounds must be integers, not ${typeName(bound.type)}`, position);
    return castTo(bound, type("i64"));
  });
  return call("array_slice", [e, begin, end], type("string", e.type.nullable || begin.type.nullable || end.type.nullable));
}

/** starts_with, ends_with, contains: a test of one string by another. */
function stringTest(fn: "starts_with" | "ends_with" | "contains", written: string, a: Expr, b: Expr, position: SourcePosition | undefined): Expr {
  const [x, y] = [a, b].map((e) => {
    if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`${written} needs VARCHAR, not ${typeName(e.type)}`, position);
    return castTo(e, type("string"));
  });
  return call(fn, [x, y], type("boolean", x.type.nullable || y.type.nullable));
}

function functionName(ast: AstNode): string {
  if (typeof ast.name === "string") return ast.name.toLowerCase();
  const parts = ast.name?.name ?? [];
  return parts.map((p: AstNode) => String(p.value)).join(".").toLowerCase();
}

function parseAlias(as: unknown): { alias: string | undefined; columnAliases: string[] | undefined } {
  if (as === null || as === undefined) return { alias: undefined, columnAliases: undefined };
  const text = String(typeof as === "object" ? ((as as { value?: unknown }).value ?? "") : as);
  const m = /^\s*("?)([^"(]*)\1\s*(?:\(([^)]*)\))?\s*$/.exec(text);
  if (!m) return { alias: text, columnAliases: undefined };
  const columns = m[3]?.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
  return { alias: m[2].trim(), columnAliases: columns };
}

function hasKind(e: Expr, kind: Expr["kind"]): boolean {
  return exprSome(e, (x) => x.kind === kind);
}

/** The values of a row written (a, b, …), if `ast` is one of at least two. */
function rowValues(ast: AstNode): AstNode[] | undefined {
  return ast?.type === "expr_list" && Array.isArray(ast.value) && ast.value.length > 1 ? ast.value : undefined;
}

function hasCall(e: Expr, fn: string): boolean {
  let found = false;
  visitExpr(e, (x) => {
    if (x.kind === "call" && x.fn === fn) found = true;
  });
  return found;
}

function hasColumn(e: Expr, id: number): boolean {
  return exprSome(e, (x) => x.kind === "column" && x.id === id);
}

function scopeHasQualifier(scope: Scope, qualifier: string): boolean {
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.hasQualifier(qualifier)) return true;
  return false;
}

function editDistanceOf(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** Most grouping sets one GROUP BY may make (CUBE of n keys makes 2^n). */
const MAX_GROUPING_SETS = 1024;

/**
 * The grouping sets of a GROUP BY clause: each item's sets (a key: one set of it; ROLLUP: its
 * prefixes; CUBE: its subsets; GROUPING SETS: those listed), and the clause's sets their product.
 */
function groupingSetsOf(items: readonly AstNode[], bind: (g: AstNode) => Expr, here: (g: AstNode) => SourcePosition | undefined): Expr[][] {
  const elements = (ast: AstNode): AstNode[] => (ast?.type === "expr_list" ? ast.value : [ast]);
  let sets: Expr[][] = [[]];
  for (const item of items) {
    const name = item?.type === "function" ? functionName(item) : undefined;
    let itemSets: Expr[][];
    if (name === "rollup" || name === "cube") {
      const parts = argumentAsts(item).map((a) => elements(a).map(bind));
      if (name === "cube" && 2 ** parts.length > MAX_GROUPING_SETS) throw new UserError(`CUBE of ${parts.length} keys makes more than ${MAX_GROUPING_SETS} grouping sets`, here(item));
      itemSets =
        name === "rollup"
          ? parts.map((_, i) => parts.slice(0, parts.length - i).flat()).concat([[]])
          : Array.from({ length: 2 ** parts.length }, (_, mask) => parts.filter((_, i) => (mask & (1 << (parts.length - 1 - i))) === 0).flat());
    } else if (name === GROUPING_SETS_CALL) {
      itemSets = argumentAsts(item).map((set) => {
        if (set?.type === "function" && ["rollup", "cube", GROUPING_SETS_CALL].includes(functionName(set))) throw new UnsupportedError("ROLLUP, CUBE or GROUPING SETS inside GROUPING SETS", here(set));
        // The empty set () reaches the binder as '' (see GROUPING_SETS_CALL).
        return set?.type === "single_quote_string" && set.value === "" ? [] : elements(set).map(bind);
      });
    } else {
      // GROUP BY (a, b) is by a and by b, as DuckDB reads it (not by the row of both).
      itemSets = [elements(item).map(bind)];
    }
    sets = sets.flatMap((left) => itemSets.map((right) => [...left, ...right]));
    if (sets.length > MAX_GROUPING_SETS) throw new UserError(`GROUP BY makes more than ${MAX_GROUPING_SETS} grouping sets`, here(item));
  }
  return sets;
}

/**
 * GROUP BY with several grouping sets as one aggregate per set over its own copy of the input,
 * their rows appended (UNION ALL) as the columns of `aggregate`: a key the set leaves out is
 * NULL. Each part is an ordinary aggregate, so it splits into phases and runs where its rows are.
 */
function unionOfGroupingSets(aggregate: Aggregate, sets: readonly number[][], groupings: readonly { column: ColumnDef; values: readonly bigint[] }[], ids: ColumnIds): LogicalPlan {
  const parts = sets.map((set, index): LogicalPlan => {
    const copied = new Map<ColumnId, ColumnDef>();
    const input = freshCopy(aggregate.input, ids, copied);
    const moved = (e: Expr) => renameColumns(e, copied);
    const kept = [...new Set(set)];
    const groups = kept.map((i) => ({ column: ids.column(aggregate.groups[i].column.name, aggregate.groups[i].expr.type), expr: moved(aggregate.groups[i].expr) }));
    const measures = aggregate.measures.map((m) => ({ column: ids.column(m.column.name, m.column.type), call: { ...m.call, args: m.call.args.map(moved) } }));
    const outputs: ProjectOutput[] = [
      ...aggregate.groups.map((g, i) => {
        const at = kept.indexOf(i);
        return { column: ids.column(g.column.name, g.column.type), expr: at >= 0 ? columnRef(groups[at].column) : castTo(nullLiteral(), g.column.type) };
      }),
      ...measures.map((m) => ({ column: ids.column(m.column.name, m.column.type), expr: columnRef(m.column) })),
      ...groupings.map((g) => ({ column: ids.column(g.column.name, g.column.type), expr: literal(g.values[index], g.column.type) })),
    ];
    return { kind: "project", input: grandTotalSafe({ kind: "aggregate", input, groups, measures, phase: "single" }, ids), outputs };
  });
  const columns = [...aggregate.groups.map((g) => g.column), ...aggregate.measures.map((m) => m.column), ...groupings.map((g) => g.column)];
  return { kind: "set", op: "union_all", inputs: parts, columns };
}

/**
 * A grand total (no keys) is one row over any input; an aggregate of no keys and no measures
 * would be a DISTINCT of no columns (no row over no rows, and a column to stand for none): such
 * an aggregate counts rows instead, a measure nothing above reads.
 */
function grandTotalSafe(aggregate: Aggregate, ids: ColumnIds): Aggregate {
  if (aggregate.groups.length > 0 || aggregate.measures.length > 0) return aggregate;
  return { ...aggregate, measures: [{ column: ids.column("rows", type("i64", false)), call: countStar().call }] };
}

/**
 * A call's list of arguments: f((a, b)) reaches here as f(a, b) marked parenthesized, one
 * argument, the row (a, b). The pre-pass's own calls (trustql_…) take no row, and may be
 * written with their list parenthesized (a subscript in an aggregate's ORDER BY argument).
 */
function listedArguments(call: AstNode): AstNode[] {
  const args = call.args;
  const row = args.parentheses === true && args.value.length > 1 && !functionName(call).startsWith("trustql_");
  return row ? [args] : args.value;
}

/** The arguments of a function call's AST: a list, or an aggregate's one argument. */
function argumentAsts(ast: AstNode): AstNode[] {
  const args = ast.args;
  if (!args) return [];
  if (argumentsGrouped(ast)) return args.expr.value;
  if (Array.isArray(args.value)) return listedArguments(ast);
  if (args.type !== undefined && args.expr === undefined) return [args];
  return args.expr === undefined || args.expr === null ? [] : [args.expr];
}

function isStar(ast: AstNode): boolean {
  return ast?.type === "star" || ast?.value === "*" || (ast?.type === "column_ref" && ast.column === "*");
}

/** DuckDB's functions of chance: a task's re-run on another node could not give its rows. */
const RANDOM_FUNCTIONS = new Set(["random", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "setseed"]);

/** Aggregates of a value and a second argument (the other value, or the quantile). */
const TWO_ARGUMENT_AGGREGATES = new Set(["arg_min", "arg_max", "argmin", "argmax", "min_by", "max_by", "quantile", "quantile_cont", "quantile_disc", "regr_count", ...STATISTICS_AGGREGATES]);

/** Aggregates whose result depends on the order of their rows: they take ORDER BY inside. */
const ORDERED_AGGREGATES = new Set(["string_agg", "group_concat", "listagg"]);
/** Aggregates into a list, in their ORDER BY's order. */
const LIST_AGGREGATES = new Set(["list", "array_agg"]);
/**
 * A constant cast to another type as the constant of that type: a string read as it (0 for
 * '0' of a BIGINT, a date for '2024-01-01'), another constant folded (0 to a BIGINT).
 */
function constantOf(e: Expr, position: SourcePosition | undefined): Expr {
  const text = e.kind === "cast" && e.input.kind === "literal" && typeof e.input.value === "string" ? e.input.value : undefined;
  const read = text === undefined ? undefined : (castStringLiteral(text, e.type, position) ?? (isNumeric(e.type) ? castTo(numberLiteral(text.trim(), position), e.type) : undefined));
  return foldExpr(read ?? e);
}

/** Aggregates of the first or last row by their ORDER BY: without one they would take any row. */
const ROW_BY_ORDER_AGGREGATES = new Set(["first", "last"]);
/** DuckDB's aggregate of any value that is not NULL, by both its names. */
const ANY_VALUE_AGGREGATES = new Set(["any_value", "arbitrary"]);
/** A window frame of the whole partition. */
const WHOLE_PARTITION: WindowFrame = { unit: "rows", lower: { kind: "unbounded" }, upper: { kind: "unbounded" } };

/** DuckDB's readers of files by path, which a query of trustql's tables does not call. */
const FILE_READERS = new Set(["read_parquet", "parquet_scan", "read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_ndjson", "read_text", "read_blob"]);

/** Most columns a PIVOT's values (their combinations, ON several columns) may make. */
const MAX_PIVOT_COLUMNS = 1_000;

/** Most quantiles one call may ask for at once. */
const MAX_QUANTILES = 1_000;

/**
 * A quantile's fraction: a numeric constant from 0 to 1, or a list of them (DuckDB's quantiles
 * at once: the aggregate's value is then the list of each one's).
 */
function fractionOf(e: Expr | undefined, name: string, position: SourcePosition | undefined): Expr {
  if (e === undefined) throw new UserError(`${name} needs the quantile, a number from 0 to 1, as its second argument`, position);
  const fraction = (x: Expr): Expr => {
    let value: number | undefined;
    if (x.kind === "literal" && isNumeric(x.type) && x.value !== null) {
      value = x.type.kind === "decimal" ? Number(x.value) / 10 ** x.type.scale! : Number(x.value);
    }
    if (value === undefined || !(value >= 0 && value <= 1)) throw new UserError(`${name}'s quantile must be a constant from 0 to 1, or a list of them`, position);
    return literal(value, type("fp64", false));
  };
  if (e.kind === "call" && e.fn === "list_value") {
    if (e.args.length === 0 || e.args.length > MAX_QUANTILES) throw new UserError(`${name} takes from 1 to ${MAX_QUANTILES} quantiles in a list, not ${e.args.length}`, position);
    return call("list_value", e.args.map((x) => fraction(foldExpr(x))), listOf(type("fp64", false), false));
  }
  return fraction(e);
}

/** A quantile aggregate's type: its value's (`single`), or a list of them when it asks for a list of quantiles. */
function quantileType(fraction: Expr, single: SqlType): SqlType {
  return fraction.type.kind === "list" ? listOf(single, true) : single;
}

/** An aggregate with DuckDB's result type; avg is sum/count in double, as DuckDB computes it. */
function aggregateOf(name: string, args: readonly Expr[], distinct: boolean, position: SourcePosition | undefined, order: readonly SortKey[] = []): Expr {
  const [arg] = args;
  const expected = TWO_ARGUMENT_AGGREGATES.has(name) ? 2 : 1;
  if (ORDERED_AGGREGATES.has(name)) {
    checkArity(name, args.length, position, 1, 2);
    // The separator: a constant string, ',' when left out (DuckDB's default).
    const separator = args[1] ?? literal(",", type("string", false));
    if (!isStringLiteral(separator)) throw new UnsupportedError(`${name} with a separator that is not a constant string`, position);
    const call: AggregateCall = {
      fn: "string_agg",
      args: [castTo(arg, type("string"), position), separator, ...order.map((k) => k.expr)],
      distinct,
      type: type("string"),
      ...(order.length > 0 ? { order: order.map((k) => ({ descending: k.descending, nullsFirst: k.nullsFirst })) } : {}),
    };
    return { kind: "aggregate", call, type: call.type };
  }
  checkArity(name, args.length, position, expected);
  if (LIST_AGGREGATES.has(name)) {
    // DuckDB lists the values in the order its scan meets them, which differs between nodes and
    // between runs; a task's rows must not (a node that checks it re-runs it). Without ORDER BY
    // trustql's order is the values' own, NULLs last: DuckDB's list_sort of DuckDB's list.
    const keys = order.length > 0 ? order : [{ expr: arg, descending: false, nullsFirst: false }];
    const call: AggregateCall = { fn: "list", args: [arg, ...keys.map((k) => k.expr)], distinct, type: listOf(arg.type), order: keys.map((k) => ({ descending: k.descending, nullsFirst: k.nullsFirst })) };
    return { kind: "aggregate", call, type: call.type };
  }
  if (name === "mode" && order.length > 0) {
    // Of values as frequent, the first in the order (DuckDB's, which without ORDER BY takes the first its scan meets).
    if (distinct) throw new UnsupportedError("mode(DISTINCT …) with ORDER BY", position);
    const call: AggregateCall = { fn: "mode", args: [arg, ...order.map((k) => k.expr)], distinct: false, type: withNullable(arg.type, true), order: order.map((k) => ({ descending: k.descending, nullsFirst: k.nullsFirst })) };
    return { kind: "aggregate", call, type: call.type };
  }
  if (ROW_BY_ORDER_AGGREGATES.has(name)) {
    // A row's value by the order (ties: any of them, as DuckDB's): one group's rows meet on one node.
    if (order.length === 0) throw new UserError(`${name}(x) takes any row without ORDER BY: write ${name}(x ORDER BY …), or any_value(x)`, position);
    if (distinct) throw new UnsupportedError(`${name}(DISTINCT …)`, position);
    const call: AggregateCall = { fn: name as AggregateCall["fn"], args: [arg, ...order.map((k) => k.expr)], distinct: false, type: withNullable(arg.type, true), order: order.map((k) => ({ descending: k.descending, nullsFirst: k.nullsFirst })) };
    return { kind: "aggregate", call, type: call.type };
  }
  const agg = (fn: AggregateCall["fn"], t: SqlType, callArgs: readonly Expr[] = [arg]): Expr => ({ kind: "aggregate", call: { fn, args: callArgs, distinct, type: t }, type: t });
  const orderable = (e: Expr) => {
    if (e.type.kind === "binary" || isInterval(e.type)) throw new UnsupportedError(`${name} of ${typeName(e.type)}`, position);
    return e;
  };
  /** median and quantile_cont interpolate: integers as DOUBLE, dates as TIMESTAMP; strings take a value, as DuckDB does. */
  const interpolated = (e: Expr) => {
    if (!isNumeric(e.type) && !isTemporal(e.type) && e.type.kind !== "string") throw new UserError(`${name} needs a number, a time or a string, not ${typeName(e.type)}`, position);
    if (isInteger(e.type)) return withNullable(type("fp64"), true);
    if (e.type.kind === "date") return type("timestamp");
    return withNullable(e.type, true);
  };
  switch (name) {
    case "count":
      return agg("count", type("i64", false));
    case "min":
    case "max":
      // Strings, booleans and bytes go through trustql's own extension (functions.ts).
      return agg(name, withNullable(arg.type, true));
    case "sum":
    case "avg": {
      if (!isNumeric(arg.type)) throw new UserError(`${name} needs a number, not ${typeName(arg.type)}`, position);
      const sum = agg("sum", sumType(arg.type));
      if (name === "sum") return sum;
      const fp = type("fp64");
      const count = agg("count", type("i64", false));
      return call("divide", [castTo(sum, fp), castTo(count, fp)], fp);
    }
    case "any_value":
    case "arbitrary":
      // DuckDB's is the first value its scan meets that is not NULL, which may differ between
      // runs over the same rows; a task's rows must not (a node that checks it re-runs it).
      // trustql's is the least: where the group's values are all one (the common use), DuckDB's.
      return aggregateOf("min", [arg], distinct, position);
    case "bool_and":
    case "bool_or":
      return agg(name, type("boolean"), [requireBoolean(arg, name, position)]);
    case "regr_count": {
      // DuckDB's: the pairs of numbers neither of which is NULL. A count, so it splits into phases as count does.
      for (const a of args) if (!isNumeric(a.type) && a.type.kind !== "null") throw new UserError(`${name} needs numbers, not ${typeName(a.type)}`, position);
      // DISTINCT would count distinct pairs, which one count of one value cannot.
      if (distinct) throw new UnsupportedError(`${name}(DISTINCT …)`, position);
      const pair = caseExpr([{ when: and(args.map((a) => isNull(a, true))), then: literal(true, type("boolean", false)) }], undefined, position);
      return agg("count", type("i64", false), [pair]);
    }
    case "count_if":
      // DuckDB's: the sum of its condition as 0 or 1 (NULL over no rows or only NULLs, as a sum).
      return aggregateOf("sum", [castTo(requireBoolean(arg, name, position), type("i32"))], distinct, position);
    case "stddev":
    case "stddev_samp":
    case "stddev_pop":
    case "variance":
    case "var_samp":
    case "var_pop": {
      if (!isNumeric(arg.type) && arg.type.kind !== "null") throw new UserError(`${name} needs a number, not ${typeName(arg.type)}`, position);
      const fn = ({ stddev: "stddev_samp", variance: "var_samp" } as Record<string, AggregateCall["fn"]>)[name] ?? (name as AggregateCall["fn"]);
      return agg(fn, type("fp64"), [castTo(arg, type("fp64"))]);
    }
    case "median":
      return agg("median", interpolated(arg));
    case "quantile_cont": {
      const fraction = fractionOf(args[1], name, position);
      return agg("quantile_cont", quantileType(fraction, interpolated(arg)), [arg, fraction]);
    }
    case "quantile_disc":
    case "quantile": {
      const fraction = fractionOf(args[1], name, position);
      return agg("quantile_disc", quantileType(fraction, withNullable(orderable(arg).type, true)), [arg, fraction]);
    }
    case "mode":
      return agg("mode", withNullable(orderable(arg).type, true));
    case "histogram":
      // Each value's count, keys in order; NULL over no rows. DuckDB's counts are UBIGINTs, which trustql has not: BIGINTs.
      if (orderable(arg).type.kind === "null") throw new UserError("histogram of an untyped NULL", position);
      return agg("histogram", mapOf(arg.type, type("i64", false)));
    case "approx_count_distinct":
      return agg("approx_count_distinct", type("i64", false));
    case "entropy":
      // Of the values' frequencies, in bits; 0 over no rows (DuckDB's).
      return agg("entropy", type("fp64", false));
    case "skewness":
    case "kurtosis":
    case "kurtosis_pop":
    case "product":
    case "fsum":
    case "sumkahan":
    case "kahan_sum":
    case "favg":
    case "geomean":
    case "geometric_mean":
    case "sem": {
      if (!isNumeric(arg.type) && arg.type.kind !== "null") throw new UserError(`${name} needs a number, not ${typeName(arg.type)}`, position);
      const fn = ({ sumkahan: "fsum", kahan_sum: "fsum", geometric_mean: "geomean" } as Record<string, AggregateCall["fn"]>)[name] ?? (name as AggregateCall["fn"]);
      return agg(fn, type("fp64"), [castTo(arg, type("fp64"))]);
    }
    case "mad": {
      // The median absolute deviation: a decimal's in its type, other numbers' a DOUBLE (DuckDB's).
      if (!isNumeric(arg.type) && arg.type.kind !== "null") throw new UnsupportedError(`mad of ${typeName(arg.type)}`, position);
      const value = arg.type.kind === "decimal" && !arg.type.hugeint ? arg : castTo(arg, type("fp64"));
      return agg("mad", withNullable(value.type, true), [value]);
    }
    case "bit_and":
    case "bit_or":
    case "bit_xor":
      if (!isInteger(arg.type)) throw new UserError(`${name} needs an integer, not ${typeName(arg.type)}`, position);
      return agg(name, withNullable(arg.type, true));
    case "arg_min":
    case "argmin":
    case "min_by":
      return agg("arg_min", withNullable(arg.type, true), [arg, orderable(args[1])]);
    case "arg_max":
    case "argmax":
    case "max_by":
      return agg("arg_max", withNullable(arg.type, true), [arg, orderable(args[1])]);
  }
  if (STATISTICS_AGGREGATES.has(name as AggregateFunctionName)) {
    // Pairs of numbers, in DOUBLE; a pair with a NULL counts for nothing (DuckDB's).
    const pair = args.map((a) => {
      if (!isNumeric(a.type) && a.type.kind !== "null") throw new UserError(`${name} needs numbers, not ${typeName(a.type)}`, position);
      return castTo(a, type("fp64"));
    });
    return agg(name as AggregateFunctionName, withNullable(type("fp64"), true), pair);
  }
  throw new UnsupportedError(`aggregate function ${name}`, position);
}

/** A function only windows compute, with DuckDB's result type: its arguments, checked. */
function windowOnly(name: string, args: readonly Expr[], position: SourcePosition | undefined): { args: Expr[]; type: SqlType } {
  const arity = (min: number, max = min) => checkArity(name, args.length, position, min, max);
  /** An integer constant of at least `least` (ntile's buckets, nth_value's position, lag's offset). */
  const count = (e: Expr, what: string, least: number) => {
    const value = integerConstant(e);
    if (value === undefined || value < least) throw new UserError(`${name}'s ${what} must be an integer constant of at least ${least}`, position);
    return literal(BigInt(value), type("i64", false));
  };
  switch (name) {
    case "row_number":
    case "rank":
    case "dense_rank":
      arity(0);
      return { args: [], type: type("i64", false) };
    case "percent_rank":
    case "cume_dist":
      arity(0);
      return { args: [], type: type("fp64", false) };
    case "ntile":
      arity(1);
      return { args: [count(args[0], "number of buckets", 1)], type: type("i64", false) };
    case "first_value":
    case "last_value":
      arity(1);
      return { args: [args[0]], type: withNullable(args[0].type, true) };
    case "nth_value":
      arity(2);
      return { args: [args[0], count(args[1], "position", 1)], type: withNullable(args[0].type, true) };
    case "lag":
    case "lead": {
      arity(1, 3);
      const offset = args[1] ? count(args[1], "offset", 0) : literal(1n, type("i64", false));
      if (args.length < 3) return { args: [args[0], offset], type: withNullable(args[0].type, true) };
      const [value, fallback] = unifyAll([args[0], args[2]], "mix", position);
      return { args: [value, offset, fallback], type: withNullable(value.type, true) };
    }
  }
  throw new UnsupportedError(`window function ${name}`, position);
}

function windowFrame(clause: AstNode, position: SourcePosition | undefined): WindowFrame | undefined {
  if (!clause) return undefined;
  const bound = (text: string): FrameBound => {
    const t = text.trim().toUpperCase();
    if (t === "CURRENT ROW") return { kind: "current" };
    if (t === "UNBOUNDED PRECEDING" || t === "UNBOUNDED FOLLOWING") return { kind: "unbounded" };
    const m = /^(\d+)\s+(PRECEDING|FOLLOWING)$/.exec(t);
    if (!m) throw new UnsupportedError(`window frame bound ${text}`, position);
    return { kind: m[2] === "PRECEDING" ? "preceding" : "following", offset: Number(m[1]) };
  };
  if (clause.type === "binary_expr" && String(clause.operator).toUpperCase() === "BETWEEN") {
    const unit = String(clause.left?.value ?? "").toLowerCase();
    if (unit !== "rows") throw new UnsupportedError(`${unit.toUpperCase()} window frames`, position);
    const [lo, hi] = clause.right.value.map((v: AstNode) => String(v.value));
    return { unit: "rows", lower: bound(lo), upper: bound(hi) };
  }
  if (String(clause.type).toLowerCase() === "rows") {
    return { unit: "rows", lower: bound(String(clause.expr?.value ?? "")), upper: { kind: "current" } };
  }
  throw new UnsupportedError("this window frame", position);
}

/** A RANGE or GROUPS frame's bound as written: CURRENT ROW, UNBOUNDED …, or an offset's text PRECEDING or FOLLOWING. */
function writtenFrameBound(written: string, position: SourcePosition | undefined): FrameBound | { kind: "preceding" | "following"; offsetText: string } {
  const text = written.trim().replace(/\s+/g, " ");
  const upper = text.toUpperCase();
  if (upper === "CURRENT ROW") return { kind: "current" };
  if (upper === "UNBOUNDED PRECEDING" || upper === "UNBOUNDED FOLLOWING") return { kind: "unbounded" };
  const m = /^(.+) (PRECEDING|FOLLOWING)$/i.exec(text);
  if (!m) throw new UnsupportedError(`window frame bound ${written}`, position);
  return { kind: m[2].toUpperCase() === "PRECEDING" ? "preceding" : "following", offsetText: m[1] };
}

/** A GROUPS frame's bound: its offset a whole number of peer groups. */
function groupsBound(written: string, position: SourcePosition | undefined): FrameBound {
  const bound = writtenFrameBound(written, position);
  if (!("offsetText" in bound)) return bound;
  if (!/^\d+$/.test(bound.offsetText)) throw new UnsupportedError(`a GROUPS frame's offset ${bound.offsetText} (a whole number)`, position);
  return { kind: bound.kind, offset: Number(bound.offsetText) };
}

/** A frame with its EXCLUDE clause (see the pre-pass): EXCLUDE NO OTHERS is the frame as it is. */
function withExclusion(frame: WindowFrame | undefined, exclusion: FrameExclusion | undefined, position: SourcePosition | undefined): WindowFrame | undefined {
  if (!exclusion) return frame;
  if (!frame) throw new UserError("EXCLUDE needs a frame before it (ROWS, RANGE or GROUPS …)", position);
  if (exclusion === "NO OTHERS") return frame;
  return { ...frame, exclude: exclusion === "CURRENT ROW" ? "current_row" : exclusion === "GROUP" ? "group" : "ties" };
}

/**
 * A RANGE or GROUPS frame (see the pre-pass). A GROUPS frame's offsets are whole numbers of peer
 * groups. A RANGE frame's are over the one ORDER BY key, in the key's own units: a whole number
 * for a numeric key, an INTERVAL for a DATE (in days) or a TIMESTAMP (in microseconds).
 */
function writtenWindowFrame(frame: WrittenFrame, orderBy: readonly SortKey[], position: SourcePosition | undefined): WindowFrame {
  if (frame.unit === "groups") return { unit: "groups", lower: groupsBound(frame.lower, position), upper: groupsBound(frame.upper, position) };
  const key = orderBy.length === 1 ? orderBy[0].expr.type : undefined;
  const temporal = key !== undefined && (key.kind === "date" || key.kind === "timestamp" || key.kind === "timestamp_tz");
  const bound = (written: string): FrameBound => {
    const parsed = writtenFrameBound(written, position);
    if (!("offsetText" in parsed)) return parsed;
    const { kind, offsetText } = parsed;
    if (!key) throw new UserError("a RANGE frame with an offset needs exactly one ORDER BY key", position);
    const interval = /^INTERVAL (?:'([^']*)'|(\d+))(?: ([A-Za-z]+))?$/i.exec(offsetText);
    if (interval) {
      if (!temporal) throw new UserError(`a RANGE frame over ${typeName(key)} takes whole numbers, not intervals`, position);
      const value = parseInterval(interval[1] ?? interval[2], interval[3], position).value as IntervalValue;
      if (value.months !== 0) throw new UnsupportedError("a RANGE frame's offset in months or years", position);
      const micros = BigInt(value.days) * 86_400_000_000n + value.micros;
      if (micros < 0n) throw new UserError("a RANGE frame's offset cannot be negative", position);
      if (key.kind !== "date") return { kind, offset: Number(micros) };
      if (micros % 86_400_000_000n !== 0n) throw new UserError("a RANGE frame over a DATE takes whole days", position);
      return { kind, offset: Number(micros / 86_400_000_000n) };
    }
    if (!/^\d+$/.test(offsetText)) throw new UnsupportedError(`a RANGE frame's offset ${offsetText} (a whole number or an INTERVAL)`, position);
    if (temporal) throw new UserError(`a RANGE frame over ${typeName(key)} takes INTERVAL offsets`, position);
    if (!isNumeric(key)) throw new UserError(`a RANGE frame with an offset needs a numeric, DATE or TIMESTAMP ORDER BY key, not ${typeName(key)}`, position);
    return { kind, offset: Number(offsetText) };
  };
  return { unit: "range", lower: bound(frame.lower), upper: bound(frame.upper) };
}

/** Whether DuckDB casts `from` to `to` as far as intervals go: only text and intervals become one (and lists of them, lists). */
function castsToInterval(from: SqlType, to: SqlType): boolean {
  if (from.kind === "list" && to.kind === "list") return castsToInterval(valueTypeOf(from), valueTypeOf(to));
  return to.kind !== "interval_compound" || from.kind === "string" || from.kind === "null" || isInterval(from);
}

/**
 * DuckDB's TIMESTAMP(p): p fraction digits, rounded up to its timestamps' (seconds, milli-, micro-
 * or nanoseconds). trustql has no type of whole seconds or milliseconds (a file's are read as
 * TIMESTAMP): their casts, which round, are refused.
 */
function timestampOfPrecision(digits: number, position: SourcePosition | undefined): SqlType {
  if (digits > 9) throw new UserError("TIMESTAMP only supports until nano-second precision (9)", position);
  if (digits > 6) return type("timestamp_ns");
  if (digits > 3) return type("timestamp");
  const name = digits === 0 ? "TIMESTAMP_S" : "TIMESTAMP_MS";
  throw new UnsupportedError(`CAST to ${name} (DuckDB's timestamp of whole ${digits === 0 ? "seconds" : "milliseconds"}, which trustql has no type for; CAST to TIMESTAMP keeps microseconds)`, position);
}

/** DuckDB's INT<n> types (HUGEINT reaches the grammar as INT128). */
const INTEGER_TYPES_BY_LENGTH = new Map<number, () => SqlType>([
  [1, () => type("i8")],
  [2, () => type("i16")],
  [4, () => type("i32")],
  [8, () => type("i64")],
  [16, () => type("i16")],
  [32, () => type("i32")],
  [64, () => type("i64")],
  [128, () => hugeint()],
]);

/** A cast's target: `INTEGER[]` (and `INTEGER[][]`) a list of the type named. */
function castTargetType(target: AstNode, position: SourcePosition | undefined): SqlType {
  // The grammar gives the brackets apart, or (after TEXT) in the name.
  const written = String(target?.dataType ?? "");
  const bracketed = /(\[\])+$/.exec(written)?.[0].length ?? 0;
  const dimensions = Number(target?.array?.dimension ?? 0) + bracketed / 2;
  let t = namedCastType(bracketed > 0 ? { ...target, dataType: written.slice(0, -bracketed) } : target, position);
  for (let d = 0; d < dimensions; d++) t = listOf(t);
  return t;
}

function namedCastType(target: AstNode, position: SourcePosition | undefined): SqlType {
  // A list's type the grammar could not bracket, which the pre-pass marked (`DATE[]`).
  const marked = markedListElementType(target);
  if (marked) return namedCastType({ dataType: marked }, position);
  const name = String(target?.dataType ?? "").toUpperCase();
  switch (name) {
    case "INT": {
      // The grammar reads DuckDB's INT1 … INT128 as INT of that length: bytes (1, 2, 4, 8) or bits (16 … 128).
      const sized = INTEGER_TYPES_BY_LENGTH.get(target.length ?? 4);
      if (!sized) throw new UnsupportedError(`CAST to INT${target.length}`, position);
      return sized();
    }
    case "INTEGER":
      return type("i32");
    case "BIGINT":
      return type("i64");
    case "SMALLINT":
      return type("i16");
    case "TINYINT":
      return type("i8");
    case "DECIMAL":
    case "NUMERIC": {
      // DuckDB's DECIMAL without arguments is DECIMAL(18,3).
      const precision = target.length ?? 18;
      const scale = target.scale ?? (target.length !== undefined ? 0 : 3);
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        throw new UserError(`invalid DECIMAL(${precision},${scale})`, position);
      }
      return decimal(precision, scale);
    }
    case "REAL":
      return type("fp32");
    case "FLOAT":
      // DuckDB's FLOAT is four bytes, unlike PostgreSQL's; FLOAT(p) a DOUBLE past 24 bits of
      // precision. The grammar reads FLOAT4 and FLOAT8 as FLOAT of that many bytes.
      if (target.parentheses) return target.length > 24 ? type("fp64") : type("fp32");
      return target.length === 8 ? type("fp64") : type("fp32");
    case "DOUBLE":
    case "DOUBLE PRECISION":
      return type("fp64");
    case "VARCHAR":
    case "TEXT":
    case "CHAR":
    case "CHARACTER":
    case "CHARACTER VARYING":
    case "STRING":
      return type("string");
    case "JSON":
      return jsonType();
    case "DATE":
      return type("date");
    case "TIME":
      // DuckDB's TIMETZ keeps the offset (12:00:00+02 is 10:00:00+00); trustql's TIME has none.
      if ((target.suffix ?? []).join(" ").toUpperCase() === "WITH TIME ZONE") throw new UnsupportedError("TIME WITH TIME ZONE (a TIMESTAMP WITH TIME ZONE keeps the offset)", position);
      return type("time");
    case "TIMESTAMP":
      if ((target.suffix ?? []).join(" ").toUpperCase() === "WITH TIME ZONE") return type("timestamp_tz");
      // TIMESTAMP(p), as DuckDB reads it (the pre-pass writes TIMESTAMP_NS so).
      return target.parentheses ? timestampOfPrecision(Number(target.length), position) : type("timestamp");
    case "DATETIME":
      return type("timestamp");
    case "TIMESTAMPTZ":
    case "TIMESTAMP WITH TIME ZONE":
      return type("timestamp_tz");
    case "BOOL":
    case "BOOLEAN":
      return type("boolean");
    case "BYTEA":
      return type("binary");
    case "UUID":
      return type("uuid");
    case "INTERVAL":
      // DuckDB's one INTERVAL, of months, days and time at once (a constant's text is read to the narrowest: see cast).
      return type("interval_compound");
    default:
      throw new UnsupportedError(`CAST to ${name || "this type"}`, position);
  }
}

function groupName(g: Expr, items: ScopeItem[]): string {
  if (g.kind === "column") return items.find((i) => i.column.id === g.id)?.name ?? "group";
  return "group";
}

/** The operators DuckDB names otherwise than SQL writes them (its own functions' and operators' names). */
const OPERATOR_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  LIKE: "~~", "NOT LIKE": "!~~", ILIKE: "~~*", "NOT ILIKE": "!~~*",
  [DISTINCT_FROM_OPERATORS.distinct]: "IS DISTINCT FROM", [DISTINCT_FROM_OPERATORS.notDistinct]: "IS NOT DISTINCT FROM",
  "<>": "!=",
};

/** Calls DuckDB names by its own function of another name, as the grammar rewrote them (`ifnull(x, 1)` is `COALESCE(x, 1)`). */
const CALL_DISPLAY_NAMES: Readonly<Record<string, string>> = { coalesce: "COALESCE", ifnull: "COALESCE", trim: 'main."trim"', substring: 'main."substring"' };

/** A call's name as DuckDB writes it in a column's name: quoted when it is a keyword of its grammar (`"left"(s, 2)`, `"first"(x ORDER BY t)`). */
function callDisplayName(name: string): string {
  return CALL_DISPLAY_NAMES[name] ?? (DUCKDB_KEYWORDS.has(name) ? `"${name}"` : name);
}

/** Calls written without parentheses, and named so: `current_date`. */
const NILADIC_CALLS = new Set(["current_date", "current_timestamp", "current_time", "localtimestamp", "localtime"]);

/** The comparison NOT turns a comparison into, as DuckDB names it: NOT (x > 1) is (x <= 1). */
const NEGATED_COMPARISONS: Readonly<Record<string, string>> = { "=": "!=", "<>": "=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<" };

/** NOT x as DuckDB names it: a comparison turned round, NOT IN, else `(NOT x)`. */
function notDisplayName(operand: AstNode, bound: Expr | undefined): string {
  const op = operand?.type === "binary_expr" ? String(operand.operator).toUpperCase() : "";
  const negated = NEGATED_COMPARISONS[op];
  if (negated) return `(${displayName(operand.left, bound)} ${negated} ${displayName(operand.right, bound)})`;
  if (op === "IN" && operand.right?.type === "expr_list") return displayName({ ...operand, operator: "NOT IN" }, bound);
  return `(NOT ${displayName(operand, bound)})`;
}

/** `CASE  WHEN (c) THEN (v) … ELSE e END`, as DuckDB names a CASE (and IF) column. */
function caseDisplayName(whens: readonly { when: string; then: string }[], otherwise: string | undefined): string {
  return `CASE ${whens.map((w) => ` WHEN (${w.when}) THEN (${w.then})`).join("")} ELSE ${otherwise ?? "NULL"} END`;
}

/** A binary expression's name as DuckDB gives its column: `(a ~~ 'x%')`, `(x BETWEEN 1 AND 2)`, `(x IN (1, 2))`. */
function binaryDisplayName(ast: AstNode, bound: Expr | undefined): string {
  const op = String(ast.operator).toUpperCase();
  const left = displayName(ast.left, bound);
  const listed = (): string[] => (ast.right?.type === "expr_list" && Array.isArray(ast.right.value) ? ast.right.value : [ast.right]).map((a: AstNode) => displayName(a, bound));
  switch (op) {
    case "IS":
    case "IS NOT":
      // x IS TRUE, as DuckDB names it: (CAST(x AS BOOLEAN) IS NOT DISTINCT FROM true).
      if (ast.right?.type === "bool" || ast.right?.type === "boolean") return `(CAST(${left} AS BOOLEAN) IS ${op === "IS" ? "NOT " : ""}DISTINCT FROM ${ast.right.value ? "true" : "false"})`;
      break;
    case "BETWEEN":
    case "NOT BETWEEN": {
      const [low, high] = listed();
      const between = `(${left} BETWEEN ${low} AND ${high})`;
      return op === "BETWEEN" ? between : `(NOT ${between})`;
    }
    case "IN":
    case "NOT IN":
      return ast.right?.type === "expr_list" ? `(${left} ${op} (${listed().join(", ")}))` : `(${left} ${op} ${displayName(ast.right, bound)})`;
    case "SIMILAR TO":
    case "NOT SIMILAR TO": {
      const match = `regexp_full_match(${left}, ${displayName(ast.right, bound)})`;
      return op === "SIMILAR TO" ? match : `(NOT ${match})`;
    }
  }
  const written = writtenName(ast) === "glob" ? "~~~" : (OPERATOR_DISPLAY_NAMES[op] ?? (isIntegerDivision(ast) ? "//" : ast.operator));
  return `(${left} ${written} ${displayName(ast.right, bound)})`;
}

/** Window calls' output names (DuckDB's text of the call and its whole window), made as they are bound. */
const WINDOW_DISPLAY_NAMES = new WeakMap<AstNode, string>();

/**
 * A window call's name as DuckDB gives its column: `sum(x) FILTER (WHERE (x > 1)) OVER
 * (PARTITION BY k ORDER BY d DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)`: a named window
 * written out, the default frame left out, keys' ASC, DESC and NULLS as written.
 */
function windowDisplayName(w: { name: string; ast: AstNode; argAsts: readonly AstNode[]; filterAst: AstNode | undefined; orderKeyAsts: readonly AstNode[]; partitionAsts: readonly AstNode[]; orderAsts: readonly AstNode[]; frame: WindowFrame | undefined }): string {
  const shown = (a: AstNode) => displayName(a, undefined);
  const args = w.argAsts.filter((a) => !isStar(a)).map(shown);
  const argumentOrder = argumentOrderOf(w.ast) ?? [];
  const ownOrder = w.orderKeyAsts.map((k, i) => `${shown(k)}${argumentOrder[i]?.descending ? " DESC" : ""}${argumentOrder[i]?.nullsFirst ? " NULLS FIRST" : ""}`);
  const call = `${w.name.toLowerCase()}(${aggregateIsDistinct(w.ast) ? "DISTINCT " : ""}${args.join(", ")}${ownOrder.length > 0 ? ` ORDER BY ${ownOrder.join(", ")}` : ""}${nullsIgnored(w.ast) ? " IGNORE NULLS" : ""})`;
  const filter = w.filterAst ? ` FILTER (WHERE ${shown(w.filterAst)})` : "";
  const clauses: string[] = [];
  if (w.partitionAsts.length > 0) clauses.push(`PARTITION BY ${w.partitionAsts.map((p) => shown(p.expr ?? p)).join(", ")}`);
  if (w.orderAsts.length > 0) clauses.push(`ORDER BY ${w.orderAsts.map((o) => [shown(o.expr), ...[o.type, o.nulls].filter(Boolean).map((word) => String(word).toUpperCase())].join(" ")).join(", ")}`);
  const frame = w.frame;
  const isDefault = !frame || (frame.unit === "range" && frame.lower.kind === "unbounded" && frame.upper.kind === "current" && !frame.exclude);
  if (frame && !isDefault) {
    const bound = (b: FrameBound, unbounded: string) => (b.kind === "unbounded" ? unbounded : b.kind === "current" ? "CURRENT ROW" : `${b.offset} ${b.kind.toUpperCase()}`);
    const exclude = frame.exclude ? ` EXCLUDE ${frame.exclude.replace("_", " ").toUpperCase()}` : "";
    clauses.push(`${frame.unit.toUpperCase()} BETWEEN ${bound(frame.lower, "UNBOUNDED PRECEDING")} AND ${bound(frame.upper, "UNBOUNDED FOLLOWING")}${exclude}`);
  }
  return `${call}${filter} OVER (${clauses.join(" ")})`;
}

/** The name DuckDB gives an unaliased select item, for the common shapes. */
function displayName(ast: AstNode, bound: Expr | undefined): string {
  const windowName = ast?.over ? WINDOW_DISPLAY_NAMES.get(ast) : undefined;
  if (windowName !== undefined) return windowName;
  switch (ast?.type) {
    case "column_ref":
      // Within an expression, as written (`min(t.a)`, `s.x + 1`); a select item of a column alone is named by its last name.
      return writtenColumnNames(ast).join(".");
    case "aggr_func": {
      const name = writtenName(ast) ?? String(ast.name).toLowerCase();
      const arg = ast.args?.expr;
      const filter = ast.filter?.where ? ` FILTER (WHERE ${displayName(ast.filter.where, bound)})` : "";
      if (arg?.type === "star" || arg?.value === "*") return `count_star()${filter}`;
      const sortKeyName = (o: AstNode) => `${displayName(o.expr, bound)}${String(o.type ?? "").toUpperCase() === "DESC" ? " DESC" : ""}`;
      // WITHIN GROUP (ORDER BY x): DuckDB's quantiles by their ORDER BY, mode() as written.
      const within: AstNode[] | undefined = ast.within_group_orderby;
      if (within && name === "mode") return `"mode"() WITHIN GROUP ( ORDER BY ${within.map(sortKeyName).join(", ")})`;
      if (within && (name === "percentile_cont" || name === "percentile_disc")) {
        return `quantile_${name.slice("percentile_".length)}(${argumentAsts(ast).map((a) => displayName(a, bound)).join(", ")} ORDER BY ${within.map(sortKeyName).join(", ")})${filter}`;
      }
      const argAsts = ast.args?.separator?.delimiter ? [...argumentAsts(ast), ast.args.separator.delimiter] : argumentAsts(ast);
      const inner = argAsts.map((a) => displayName(a, bound)).join(", ");
      const order = (ast.args?.orderby ?? []).map(sortKeyName);
      return `${callDisplayName(name)}(${aggregateIsDistinct(ast) ? "DISTINCT " : ""}${inner}${order.length > 0 ? ` ORDER BY ${order.join(", ")}` : ""})${filter}`;
    }
    case "number":
      return String(ast.value);
    case "null":
      return "NULL";
    case "bool":
    case "boolean":
      return `CAST('${ast.value ? "t" : "f"}' AS BOOLEAN)`;
    case "extract":
      return `main.date_part('${String(ast.args?.field).toLowerCase()}', ${displayName(ast.args?.source, bound)})`;
    case "unary_expr":
      if (String(ast.operator).toUpperCase() === "NOT") return notDisplayName(ast.expr, bound);
      // DuckDB names -x, +x and ~x as calls of their operator, and - before a number as the negative number.
      if (ast.operator === "-" && ast.expr?.type === "number") return `-${ast.expr.value}`;
      return ["-", "+", "~"].includes(ast.operator) ? `${ast.operator}(${displayName(ast.expr, bound)})` : "expr";
    case "case": {
      const args: AstNode[] = ast.args ?? [];
      const whens = args.filter((a) => a.type === "when").map((w) => ({ when: ast.expr ? `(${displayName(ast.expr, bound)} = ${displayName(w.cond, bound)})` : displayName(w.cond, bound), then: displayName(w.result, bound) }));
      const otherwise = args.find((a) => a.type === "else");
      return caseDisplayName(whens, otherwise && displayName(otherwise.result, bound));
    }
    case "array":
      return `main.list_value(${(Array.isArray(ast.expr_list?.value) ? ast.expr_list.value : []).map((a: AstNode) => displayName(a, bound)).join(", ")})`;
    case "single_quote_string":
      return `'${ast.value}'`;
    // A typed literal, as DuckDB names it: the cast of its text (an INTERVAL is left out: DuckDB names INTERVAL 1 DAY as a call, which the pre-pass wrote as INTERVAL '1 DAY').
    case "date":
      return `CAST('${ast.value}' AS "DATE")`;
    case "time":
      return `CAST('${ast.value}' AS TIME)`;
    case "timestamp":
      return `CAST('${ast.value}' AS ${timestampIsZoned(ast) ? '"TIMESTAMP WITH TIME ZONE"' : "TIMESTAMP"})`;
    case "binary_expr":
      return binaryDisplayName(ast, bound);
    case "cast": {
      // CAST(x AS t), x::t and x::t::u as DuckDB names them: CAST(CAST(x AS T) AS U).
      const targets: AstNode[] = Array.isArray(ast.target) ? ast.target : [ast.target];
      const cast = castIsTry(ast) ? "TRY_CAST" : "CAST";
      return targets.reduce((inner: string, target) => `${cast}(${inner} AS ${castTypeDisplayName(castTargetType(target, undefined))})`, displayName(ast.expr, bound));
    }
    case "function": {
      const args = argumentAsts(ast).map((a) => displayName(a, bound));
      const name = writtenName(ast) ?? functionName(ast);
      // The pre-pass's calls for x[i] and x[a:b] (a bound left out reached it as NULL), named as written.
      if (name === SUBSCRIPT_CALL) return `${args[0]}[${args[1]}]`;
      if (name === FIELD_CALL) return `(${args[0]}).${args[1]}`;
      if (name === AT_TIME_ZONE_CALL) return `main.timezone(${args[1]}, ${args[0]})`;
      // (Within a window's name, no bound value to read the type from: the type as written.)
      if (name === TYPED_CAST_CALL) return `CAST(${args[0]} AS ${bound ? castTypeDisplayName(bound.type) : String(argumentAsts(ast)[1]?.value)})`;
      if (name === MAP_CALL) {
        const [keys, values] = [args.filter((_, i) => i % 2 === 0), args.filter((_, i) => i % 2 === 1)];
        return `main."map"(main.list_value(${keys.join(", ")}), main.list_value(${values.join(", ")}))`;
      }
      if (name === STRUCT_CALL || name === STRUCT_PACK_CALL || name === STRUCT_INSERT_CALL) {
        const inserting = name === STRUCT_INSERT_CALL ? 1 : 0;
        const fields = inserting ? [args[0]] : [];
        for (let i = inserting; i + 1 < args.length; i += 2) {
          // A name the pre-pass wrote as a string is a column's own (`struct_pack(id, v)`), shown as written.
          const written = name !== STRUCT_CALL && argumentAsts(ast)[i]?.type === "single_quote_string";
          fields.push(written ? args[i + 1] : `${structFieldNameSql(fieldNameOf(argumentAsts(ast)[i], undefined))} := ${args[i + 1]}`);
        }
        return `${name === STRUCT_CALL ? "main." : ""}${inserting ? "struct_insert" : "struct_pack"}(${fields.join(", ")})`;
      }
      // With a step, DuckDB names an end left out `-` (`l[2:-:2]`).
      if (name === SLICE_CALL) return `${args[0]}[${args.slice(1).map((b, k) => (b !== "NULL" ? b : k === 1 && args.length === 4 ? "-" : "")).join(":")}]`;
      if (name === COMPREHENSION_CALL) {
        const variables = lambdaParameterNames(argumentAsts(ast)[1], undefined).join(", ");
        return `[${args[0]} FOR ${variables} IN ${args[2]}${args[3] === undefined ? "" : ` IF ${args[3]}`}]`;
      }
      if (name === "row") return `main."row"(${args.join(", ")})`;
      if (name === "not" && args.length === 1) return notDisplayName(argumentAsts(ast)[0], bound);
      if (NILADIC_CALLS.has(name) && args.length === 0) return name;
      if (name === "if" && args.length === 3) return caseDisplayName([{ when: args[0], then: args[1] }], args[2]);
      // position(needle IN haystack): DuckDB's position(haystack, needle).
      if (name === "position" && args.length === 3) return `main."position"(${args[2]}, ${args[0]})`;
      return `${callDisplayName(name)}(${args.join(", ")})`;
    }
    case "expr_list":
      return Array.isArray(ast.value) && ast.value.length > 1 ? `main."row"(${ast.value.map((a: AstNode) => displayName(a, bound)).join(", ")})` : "expr";
    default:
      return "expr";
  }
}
