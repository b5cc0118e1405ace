// The planner's relational IR. Columns are named by ids that are unique within one query,
// so rules can move operators around without renumbering fields; positions (what Substrait
// wants) are computed only when the plan is emitted.
import type { CatalogTable } from "./catalog.ts";
import type { SqlType } from "./types.ts";

export type ColumnId = number;

export interface ColumnDef {
  readonly id: ColumnId;
  /** The name a person would use for it; output names of the root come from here. */
  readonly name: string;
  readonly type: SqlType;
}

/** Literal values by type kind: integers up to i32, floats and dates (days since 1970-01-01) are numbers;
 * i64 and decimals (unscaled) and timestamps (µs since the epoch) are bigints; intervals are objects. */
export type LiteralValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | IntervalValue;

export interface IntervalValue {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

export type Expr =
  | ColumnRef
  | Literal
  | Call
  | Cast
  | Case
  | InList
  | Subquery
  | AggregateExpr
  | WindowExpr
  | Lambda
  | LambdaParameter;

export interface ColumnRef {
  readonly kind: "column";
  readonly id: ColumnId;
  readonly type: SqlType;
}

export interface Literal {
  readonly kind: "literal";
  readonly value: LiteralValue;
  readonly type: SqlType;
  /** Cast by the query (`CAST(3 AS INTEGER)`): its type is its own, not one an operator's other side lends it. */
  readonly cast?: boolean;
}

/** The call that builds a struct of its arguments, named as its type says (emitted as Substrait's Nested.Struct). */
export const STRUCT_PACK = "struct_pack";
/** The call of a struct's field: the struct and the field's position from 1 (emitted as a field reference). */
export const STRUCT_FIELD = "struct_extract_at";

/** A scalar function of the standard extensions, by Substrait name (`add`, `equal`, `like`, ...). */
export interface Call {
  readonly kind: "call";
  readonly fn: string;
  readonly args: readonly Expr[];
  /** Enumeration arguments that precede the value arguments (`extract`'s component). */
  readonly enumArgs?: readonly string[];
  readonly type: SqlType;
}

export interface Cast {
  readonly kind: "cast";
  readonly input: Expr;
  readonly type: SqlType;
  /** TRY_CAST: NULL where the value does not convert, instead of an error. */
  readonly try?: boolean;
}

export interface Case {
  readonly kind: "case";
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly otherwise: Expr | undefined;
  readonly type: SqlType;
}

export interface InList {
  readonly kind: "in_list";
  readonly value: Expr;
  readonly list: readonly Expr[];
  readonly type: SqlType;
}

/**
 * DuckDB's lambda (`x -> x + 1`, `lambda x: x + 1`), only as an argument of a function of lists
 * (list_transform, list_filter, list_reduce); its type is its body's. In a plan Substrait's Lambda.
 */
export interface Lambda {
  readonly kind: "lambda";
  /** The parameters' names as written (for EXPLAIN) and types. */
  readonly params: readonly { readonly name: string; readonly type: SqlType }[];
  readonly body: Expr;
  readonly type: SqlType;
}

/** A lambda's parameter in its body: parameter `index` of the lambda `stepsOut` lambdas out (0: the innermost). */
export interface LambdaParameter {
  readonly kind: "lambda_parameter";
  readonly stepsOut: number;
  readonly index: number;
  readonly name: string;
  readonly type: SqlType;
}

/** A subquery left as an expression: the plan may refer to columns of enclosing queries. */
export interface Subquery {
  readonly kind: "subquery";
  readonly op: "scalar" | "exists" | "in";
  readonly plan: LogicalPlan;
  readonly needle?: Expr;
  readonly type: SqlType;
}

export type AggregateFunctionName =
  | "sum"
  | "count"
  | "min"
  | "max"
  | "any_value"
  | "bool_and"
  | "bool_or"
  | "stddev_samp"
  | "stddev_pop"
  | "var_samp"
  | "var_pop"
  | "median"
  | "quantile_cont"
  | "quantile_disc"
  | "mode"
  | "histogram"
  | "arg_min"
  | "arg_max"
  | "string_agg"
  | "list"
  | "first"
  | "last"
  | "approx_count_distinct"
  | "corr"
  | "covar_pop"
  | "covar_samp"
  | "regr_slope"
  | "regr_intercept"
  | "regr_r2"
  | "regr_avgx"
  | "regr_avgy"
  | "regr_sxx"
  | "regr_syy"
  | "regr_sxy"
  | "skewness"
  | "kurtosis"
  | "kurtosis_pop"
  | "entropy"
  | "product"
  | "fsum"
  | "geomean"
  | "favg"
  | "sem"
  | "mad"
  | "bit_and"
  | "bit_or"
  | "bit_xor";

/** Aggregates of pairs of numbers (y, x): correlation, covariance and the least-squares line's figures. */
export const STATISTICS_AGGREGATES: ReadonlySet<AggregateFunctionName> = new Set(["corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "regr_avgx", "regr_avgy", "regr_sxx", "regr_syy", "regr_sxy"]);

/** Aggregates of one number's values as a DOUBLE: their shape (skewness, kurtosis), product, compensated sum and mean, geometric mean, standard error. */
export const DOUBLE_AGGREGATES: ReadonlySet<AggregateFunctionName> = new Set(["skewness", "kurtosis", "kurtosis_pop", "product", "fsum", "favg", "geomean", "sem"]);

/** Aggregates of integers' bits, in their type. */
export const BIT_AGGREGATES: ReadonlySet<AggregateFunctionName> = new Set(["bit_and", "bit_or", "bit_xor"]);

/** Aggregates that give 0, not NULL, over no rows (entropy 0.0: no uncertainty about nothing). */
export const COUNTING_AGGREGATES: ReadonlySet<AggregateFunctionName> = new Set(["count", "approx_count_distinct", "entropy"]);

/**
 * Aggregates whose results over disjoint sets of rows merge into the result over their union by
 * the same function (a count's by a sum): they split into a partial and a final phase. The others
 * (the spread and the order statistics) see all of a group's rows in one place.
 */
export const MERGEABLE_AGGREGATES: ReadonlySet<AggregateFunctionName> = new Set(["sum", "count", "min", "max", "any_value", "bool_and", "bool_or"]);

export interface AggregateCall {
  readonly fn: AggregateFunctionName;
  /** Empty for count(*). */
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  readonly type: SqlType;
  /**
   * An ordered aggregate's sort directions (string_agg(x, ',' ORDER BY y)): its sort keys are its
   * last `order.length` arguments, so every rule that reads or rewrites arguments sees them.
   */
  readonly order?: readonly { readonly descending: boolean; readonly nullsFirst: boolean }[];
  /**
   * A final phase reads intermediate values, but names the same implementation as its partial
   * phase (`count:` for count(*), `sum:i32` for a sum of integers): the partial's argument types.
   */
  readonly implementationArgs?: readonly SqlType[];
}

/** Only while binding: an aggregate call not yet replaced by the column of its measure. */
export interface AggregateExpr {
  readonly kind: "aggregate";
  readonly call: AggregateCall;
  readonly type: SqlType;
}

export type WindowFunctionName =
  | "row_number"
  | "rank"
  | "dense_rank"
  | "percent_rank"
  | "cume_dist"
  | "ntile"
  | "lag"
  | "lead"
  | "first_value"
  | "last_value"
  | "nth_value"
  | AggregateFunctionName;

export interface WindowCall {
  readonly fn: WindowFunctionName;
  readonly args: readonly Expr[];
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly SortKey[];
  /** The frame when one is written; otherwise SQL's default (range from the partition start to the current peer group). */
  readonly frame: WindowFrame | undefined;
  /** IGNORE NULLS (first_value, last_value, nth_value, lag, lead): null values are passed over. */
  readonly ignoreNulls?: boolean;
  /** An aggregate of the frame's distinct values (count(DISTINCT x) OVER …). */
  readonly distinct?: boolean;
  readonly type: SqlType;
}

export interface WindowFrame {
  /** Offsets count rows, values of the one ORDER BY key (range), or peer groups of the ORDER BY keys (groups). */
  readonly unit: "rows" | "range" | "groups";
  readonly lower: FrameBound;
  readonly upper: FrameBound;
  /** EXCLUDE CURRENT ROW, GROUP (the row's peers) or TIES (its peers but itself); none: all of the frame. */
  readonly exclude?: "current_row" | "group" | "ties";
}

export type FrameBound =
  | { readonly kind: "unbounded" }
  | { readonly kind: "current" }
  | { readonly kind: "preceding"; readonly offset: number }
  | { readonly kind: "following"; readonly offset: number };

/** Only while binding: a window function not yet replaced by the column the window operator adds. */
export interface WindowExpr {
  readonly kind: "window";
  readonly call: WindowCall;
  readonly type: SqlType;
}

export interface SortKey {
  readonly expr: Expr;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

export type JoinType = "inner" | "left" | "right" | "full" | "semi" | "anti";

export type SetOpKind = "union" | "union_all" | "intersect" | "intersect_all" | "except" | "except_all";

export type AggregatePhase = "single" | "partial" | "final";

export type LogicalPlan = Scan | Values | Filter | Project | Join | Aggregate | Window | Sort | Limit | SetOperation | RecursiveUnion | WorkingTable | Unnest;

export interface Scan {
  readonly kind: "scan";
  readonly table: CatalogTable;
  /** The columns read, each with its index in the table's schema. */
  readonly columns: readonly ColumnDef[];
  readonly fieldIndexes: readonly number[];
  /** Conjuncts pushed into the read; they may use columns of the table that are not read. */
  readonly filters: readonly Expr[];
  /** Every column of the table, for filters over columns that are not in the output. */
  readonly allColumns: readonly ColumnDef[];
}

/** Literal rows; a SELECT without FROM reads one row of no columns. */
export interface Values {
  readonly kind: "values";
  readonly columns: readonly ColumnDef[];
  readonly rows: readonly (readonly Expr[])[];
}

export interface Filter {
  readonly kind: "filter";
  readonly input: LogicalPlan;
  readonly predicate: Expr;
}

export interface ProjectOutput {
  readonly column: ColumnDef;
  readonly expr: Expr;
}

export interface Project {
  readonly kind: "project";
  readonly input: LogicalPlan;
  readonly outputs: readonly ProjectOutput[];
}

export interface Join {
  readonly kind: "join";
  readonly joinType: JoinType;
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  /** Absent: a cross product (inner joins only). */
  readonly condition: Expr | undefined;
  /** The columns passed on, in order; absent: all of left then right. */
  readonly emit?: readonly ColumnId[];
}

export interface Measure {
  readonly column: ColumnDef;
  readonly call: AggregateCall;
}

export interface Aggregate {
  readonly kind: "aggregate";
  readonly input: LogicalPlan;
  readonly groups: readonly ProjectOutput[];
  readonly measures: readonly Measure[];
  readonly phase: AggregatePhase;
}

export interface WindowOutput {
  readonly column: ColumnDef;
  readonly call: WindowCall;
}

export interface Window {
  readonly kind: "window";
  readonly input: LogicalPlan;
  readonly functions: readonly WindowOutput[];
}

export interface Sort {
  readonly kind: "sort";
  readonly input: LogicalPlan;
  readonly keys: readonly SortKey[];
}

export interface Limit {
  readonly kind: "limit";
  readonly input: LogicalPlan;
  readonly offset: number;
  /** Absent: no limit, only an offset. */
  readonly count: number | undefined;
}

export interface SetOperation {
  readonly kind: "set";
  readonly op: SetOpKind;
  readonly inputs: readonly LogicalPlan[];
  readonly columns: readonly ColumnDef[];
}

/**
 * WITH RECURSIVE: the anchor's rows, then the step's over the rows the previous round added
 * (read through WorkingTable leaves of the same `workingTable`), until a round adds none. Both
 * inputs give the output's columns by position (the step's are cast to them when bound). Rules
 * treat it as a wall: nothing is pushed into or through it, and its inputs keep every column.
 */
export interface RecursiveUnion {
  readonly kind: "recursive";
  readonly anchor: LogicalPlan;
  readonly step: LogicalPlan;
  /** UNION ALL; false: UNION, which drops rows made before. */
  readonly all: boolean;
  /** The name its step's working tables give: unique in the plan. */
  readonly workingTable: string;
  readonly columns: readonly ColumnDef[];
}

/** Inside a RecursiveUnion's step: the rows its previous round added. */
export interface WorkingTable {
  readonly kind: "working_table";
  readonly name: string;
  readonly columns: readonly ColumnDef[];
}

/**
 * DuckDB's unnest(list) in a select list: each input row once per value of its list (none for an
 * empty or NULL list), with the input's columns and the value as `column`. In a Substrait plan an
 * extension relation (`proto/trustql/plan.proto`).
 */
export interface Unnest {
  readonly kind: "unnest";
  readonly input: LogicalPlan;
  /** A list of the input's row. */
  readonly list: Expr;
  readonly column: ColumnDef;
}
