// Substrait functions of the standard extension files as DuckDB SQL. One table, keyed by the
// bare function name; a function that is not here is rejected by name before anything runs.
import type { Type } from "../../proto/index.ts";
import { UnsupportedError } from "../../common/errors.ts";

export interface CallContext {
  /** The function's enum arguments (e.g. extract's component), in order. */
  enums: string[];
  /** The plan's declared output type, when it gives one. */
  outputType: Type | undefined;
  /** The producer's name for messages, e.g. `add:i64_i64`. */
  declared: string;
}

type Render = (args: string[], context: CallContext) => string;

const infix = (operator: string): Render => (args) => `(${args.join(` ${operator} `)})`;
const call = (name: string): Render => (args) => `${name}(${args.join(", ")})`;
const postfix = (suffix: string): Render => ([x]) => `(${x} ${suffix})`;

function isIntegerType(type: Type | undefined): boolean {
  return Boolean(type && (type.i8 || type.i16 || type.i32 || type.i64));
}

/** extract's components (functions_datetime.yaml) and DuckDB's date part names. */
const DATE_PARTS: Record<string, string> = {
  YEAR: "year",
  ISO_YEAR: "isoyear",
  US_YEAR: "yearweek",
  QUARTER: "quarter",
  MONTH: "month",
  DAY: "day",
  DAY_OF_YEAR: "doy",
  MONDAY_DAY_OF_WEEK: "isodow",
  SUNDAY_DAY_OF_WEEK: "dow",
  ISO_WEEK: "week",
  HOUR: "hour",
  MINUTE: "minute",
  SECOND: "second",
  MILLISECOND: "millisecond",
  MICROSECOND: "microsecond",
  EPOCH: "epoch",
};

const SCALAR: Record<string, Render> = {
  // functions_arithmetic(_decimal).yaml
  add: infix("+"),
  subtract: infix("-"),
  multiply: infix("*"),
  // Substrait's integer division truncates; DuckDB's `/` on integers gives a double.
  divide: (args, c) => (isIntegerType(c.outputType) ? infix("//")(args, c) : infix("/")(args, c)),
  modulus: infix("%"),
  negate: ([x]) => `(-${x})`,
  abs: call("abs"),
  sign: call("sign"),
  power: call("pow"),
  sqrt: call("sqrt"),
  exp: call("exp"),
  ln: call("ln"),
  log10: call("log10"),
  log2: call("log2"),
  round: call("round"),
  ceil: call("ceil"),
  floor: call("floor"),
  // functions_comparison.yaml
  equal: infix("="),
  not_equal: infix("<>"),
  lt: infix("<"),
  lte: infix("<="),
  gt: infix(">"),
  gte: infix(">="),
  between: ([x, low, high]) => `(${x} BETWEEN ${low} AND ${high})`,
  is_null: postfix("IS NULL"),
  is_not_null: postfix("IS NOT NULL"),
  is_nan: call("isnan"),
  is_true: postfix("IS TRUE"),
  is_not_true: postfix("IS NOT TRUE"),
  is_false: postfix("IS FALSE"),
  is_not_false: postfix("IS NOT FALSE"),
  is_distinct_from: infix("IS DISTINCT FROM"),
  is_not_distinct_from: infix("IS NOT DISTINCT FROM"),
  coalesce: call("coalesce"),
  nullif: call("nullif"),
  // DuckDB's greatest/least skip NULLs; the plain Substrait ones return NULL if any input is.
  greatest_skip_null: call("greatest"),
  least_skip_null: call("least"),
  greatest: (args) => `CASE WHEN ${args.map((a) => `${a} IS NULL`).join(" OR ")} THEN NULL ELSE greatest(${args.join(", ")}) END`,
  least: (args) => `CASE WHEN ${args.map((a) => `${a} IS NULL`).join(" OR ")} THEN NULL ELSE least(${args.join(", ")}) END`,
  // functions_boolean.yaml
  and: (args) => (args.length === 0 ? "TRUE" : infix("AND")(args, {} as CallContext)),
  or: (args) => (args.length === 0 ? "FALSE" : infix("OR")(args, {} as CallContext)),
  not: ([x]) => `(NOT ${x})`,
  xor: infix("<>"),
  // functions_string.yaml
  concat: infix("||"),
  like: ([x, pattern, escape]) => (escape ? `(${x} LIKE ${pattern} ESCAPE ${escape})` : `(${x} LIKE ${pattern})`),
  ilike: ([x, pattern]) => `(${x} ILIKE ${pattern})`,
  substring: call("substring"),
  upper: call("upper"),
  lower: call("lower"),
  char_length: call("length"),
  octet_length: call("octet_length"),
  trim: call("trim"),
  ltrim: call("ltrim"),
  rtrim: call("rtrim"),
  starts_with: call("starts_with"),
  ends_with: call("ends_with"),
  contains: call("contains"),
  strpos: call("strpos"),
  replace: call("replace"),
  reverse: call("reverse"),
  lpad: call("lpad"),
  rpad: call("rpad"),
  left: call("left"),
  right: call("right"),
  // functions_datetime.yaml
  extract: (args, c) => {
    const component = c.enums[0]?.toUpperCase();
    const part = component === undefined ? undefined : DATE_PARTS[component];
    if (!part) throw new UnsupportedError(`extract of ${c.enums[0] ?? "no component"} (${c.declared})`);
    return `extract(${part} FROM ${args[0]})`;
  },
};

/** Functions whose DuckDB result already is the boolean the plan declares: no cast needed. */
export const BOOLEAN_FUNCTIONS = new Set([
  "equal", "not_equal", "lt", "lte", "gt", "gte", "between", "is_null", "is_not_null", "is_nan", "is_true",
  "is_not_true", "is_false", "is_not_false", "is_distinct_from", "is_not_distinct_from", "and", "or", "not",
  "xor", "like", "ilike", "starts_with", "ends_with", "contains",
]);

export function renderScalar(name: string, args: string[], context: CallContext): string {
  const render = SCALAR[name];
  if (!render) throw new UnsupportedError(`function ${context.declared}`);
  return render(args, context);
}

/** Aggregates: Substrait name → DuckDB name. `count` with no argument is count(*). */
const AGGREGATES: Record<string, string> = {
  sum: "sum",
  avg: "avg",
  min: "min",
  max: "max",
  count: "count",
  any_value: "any_value",
  bool_and: "bool_and",
  bool_or: "bool_or",
  std_dev: "stddev_samp",
  variance: "var_samp",
  string_agg: "string_agg",
};

/** Window-only functions (functions_arithmetic.yaml). */
const WINDOW_ONLY: Record<string, string> = {
  row_number: "row_number",
  rank: "rank",
  dense_rank: "dense_rank",
  percent_rank: "percent_rank",
  cume_dist: "cume_dist",
  ntile: "ntile",
  first_value: "first_value",
  last_value: "last_value",
  nth_value: "nth_value",
  lead: "lead",
  lag: "lag",
};

export function aggregateName(name: string, declared: string): string {
  const duckdb = AGGREGATES[name];
  if (!duckdb) throw new UnsupportedError(`aggregate function ${declared}`);
  return duckdb;
}

export function windowName(name: string, declared: string): string {
  const duckdb = WINDOW_ONLY[name] ?? AGGREGATES[name];
  if (!duckdb) throw new UnsupportedError(`window function ${declared}`);
  return duckdb;
}

export function isRankingWindow(name: string): boolean {
  return name in WINDOW_ONLY;
}
