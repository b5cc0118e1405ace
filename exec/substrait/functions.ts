// Substrait functions of the standard extension files as DuckDB SQL. One table, keyed by the
// bare function name; a function that is not here is rejected by name before anything runs.
import { JSON_FUNCTION_NAMES } from "../../planner/bind/json.ts";
import type { Type } from "../../proto/index.ts";
import { UnsupportedError } from "../../common/errors.ts";
import { asRunInPlans, planEntries } from "./structs.ts";

export interface CallContext {
  /** The function's enum arguments (e.g. extract's component), in order. */
  enums: string[];
  /** The plan's declared output type, when it gives one. */
  outputType: Type | undefined;
  /** The producer's name for messages, e.g. `add:i64_i64`. */
  declared: string;
  /** The call's options by upper-case name: its first preference (`CASE_SENSITIVITY` → `CASE_INSENSITIVE`). */
  options?: ReadonlyMap<string, string>;
}

type Render = (args: string[], context: CallContext) => string;

const infix = (operator: string): Render => (args) => `(${args.join(` ${operator} `)})`;
const call = (name: string): Render => (args) => `${name}(${args.join(", ")})`;
const postfix = (suffix: string): Render => ([x]) => `(${x} ${suffix})`;
/** A map as DuckDB's MAP, from the entries a plan runs it as (structs.ts). */
const asMap = (entries: string) => `map_from_entries(${entries})`;

function isIntegerType(type: Type | undefined): boolean {
  return Boolean(type && (type.i8 || type.i16 || type.i32 || type.i64));
}

/**
 * extract's components (functions_datetime.yaml) as DuckDB's date parts, with the number DuckDB
 * counts the part from where Substrait lets the plan choose (its ONE or ZERO indexing).
 */
const DATE_PARTS: Record<string, { part: string; from?: 0 | 1 }> = {
  YEAR: { part: "year" },
  ISO_YEAR: { part: "isoyear" },
  US_YEAR: { part: "yearweek" },
  QUARTER: { part: "quarter", from: 1 },
  MONTH: { part: "month", from: 1 },
  DAY: { part: "day", from: 1 },
  DAY_OF_YEAR: { part: "doy", from: 1 },
  MONDAY_DAY_OF_WEEK: { part: "isodow", from: 1 },
  SUNDAY_DAY_OF_WEEK: { part: "dow", from: 0 },
  ISO_WEEK: { part: "week" },
  HOUR: { part: "hour" },
  MINUTE: { part: "minute" },
  SECOND: { part: "second" },
  MILLISECOND: { part: "millisecond" },
  MICROSECOND: { part: "microsecond" },
  EPOCH: { part: "epoch" },
};

/** The units of date_trunc, date_diff and interval_of (trustql_functions_scalar.yaml), DuckDB's part names. */
const UNITS = new Set(["MILLENNIUM", "CENTURY", "DECADE", "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"]);

/** The parts of an interval interval_part takes (trustql_functions_scalar.yaml), DuckDB's part names. */
const INTERVAL_PARTS = new Set(["MILLENNIUM", "CENTURY", "DECADE", "YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"]);

function unitName(c: CallContext): string {
  const unit = c.enums[0]?.toUpperCase();
  if (unit === undefined || !UNITS.has(unit)) throw new UnsupportedError(`unit ${c.enums[0] ?? "(none)"} of ${c.declared}`);
  return unit;
}

function unitOf(c: CallContext): string {
  return `'${unitName(c).toLowerCase()}'`;
}

const SCALAR: Record<string, Render> = {
  // functions_arithmetic(_decimal).yaml
  add: infix("+"),
  subtract: infix("-"),
  multiply: infix("*"),
  // Substrait's integer division truncates; DuckDB's `/` on integers gives a double.
  divide: (args, c) => {
    // DuckDB's // divides integers truncating, and floats as / does but NULL by zero (where / gives an infinity).
    if (isIntegerType(c.outputType)) return infix("//")(args, c);
    if (c.options?.get("ON_DIVISION_BY_ZERO") !== "NULL") return infix("/")(args, c);
    // Decimals of scale 0 (a HUGEINT) divide as integers do: in DuckDB's HUGEINT.
    const whole = c.outputType?.decimal?.scale === 0 ? c.outputType.decimal : undefined;
    if (!whole) return infix("//")(args, c);
    return `CAST(${infix("//")(args.map((a) => `CAST(${a} AS HUGEINT)`), c)} AS DECIMAL(${whole.precision},0))`;
  },
  modulus: infix("%"),
  negate: ([x]) => `(-${x})`,
  abs: call("abs"),
  sign: call("sign"),
  power: call("pow"),
  // trustql_functions_scalar.yaml: DuckDB's bitwise operators.
  bitwise_and: infix("&"),
  bitwise_or: infix("|"),
  bitwise_xor: call("xor"),
  bitwise_not: ([x]) => `(~${x})`,
  shift_left: infix("<<"),
  shift_right: infix(">>"),
  sqrt: call("sqrt"),
  exp: call("exp"),
  sin: call("sin"),
  cos: call("cos"),
  tan: call("tan"),
  asin: call("asin"),
  acos: call("acos"),
  atan: call("atan"),
  atan2: call("atan2"),
  sinh: call("sinh"),
  cosh: call("cosh"),
  tanh: call("tanh"),
  asinh: call("asinh"),
  acosh: call("acosh"),
  atanh: call("atanh"),
  radians: call("radians"),
  degrees: call("degrees"),
  ln: call("ln"),
  log10: call("log10"),
  log2: call("log2"),
  round: call("round"),
  ceil: call("ceil"),
  floor: call("floor"),
  trunc: call("trunc"),
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
  is_infinite: call("isinf"),
  is_finite: call("isfinite"),
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
  like: ([x, pattern, escape], c) => {
    const sensitivity = c.options?.get("CASE_SENSITIVITY") ?? "CASE_SENSITIVE";
    if (sensitivity !== "CASE_SENSITIVE" && sensitivity !== "CASE_INSENSITIVE") throw new UnsupportedError(`like with case_sensitivity ${sensitivity}`);
    const operator = sensitivity === "CASE_INSENSITIVE" ? "ILIKE" : "LIKE";
    return escape ? `(${x} ${operator} ${pattern} ESCAPE ${escape})` : `(${x} ${operator} ${pattern})`;
  },
  ilike: ([x, pattern]) => `(${x} ILIKE ${pattern})`,
  substring: call("substring"),
  upper: call("upper"),
  lower: call("lower"),
  char_length: call("length"),
  octet_length: call("octet_length"),
  strlen: call("strlen"),
  bit_length: call("bit_length"),
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
  repeat: call("repeat"),
  concat_ws: call("concat_ws"),
  // functions_logarithmic.yaml: logb(x, base)
  logb: ([x, base]) => `log(${base}, ${x})`,
  // functions_datetime.yaml
  extract: (args, c) => {
    const component = c.enums[0]?.toUpperCase();
    const known = component === undefined ? undefined : DATE_PARTS[component];
    if (!known) throw new UnsupportedError(`extract of ${c.enums[0] ?? "no component"} (${c.declared})`);
    const value = `extract(${known.part} FROM ${args[0]})`;
    const indexing = c.enums[1]?.toUpperCase();
    if (known.from === undefined || indexing === undefined) return value;
    const wanted = indexing === "ZERO" ? 0 : indexing === "ONE" ? 1 : undefined;
    if (wanted === undefined) throw new UnsupportedError(`extract indexing ${c.enums[1]} (${c.declared})`);
    return wanted === known.from ? value : `(${value} ${wanted > known.from ? "+" : "-"} 1)`;
  },
  strftime: call("strftime"),
  // trustql_functions_scalar.yaml: DuckDB's own, with its semantics
  split_part: call("split_part"),
  like_escape: ([x, pattern, escape]) => `(${x} LIKE ${pattern} ESCAPE ${escape})`,
  ilike_escape: ([x, pattern, escape]) => `(${x} ILIKE ${pattern} ESCAPE ${escape})`,
  regexp_matches: call("regexp_matches"),
  regexp_full_match: call("regexp_full_match"),
  regexp_replace: call("regexp_replace"),
  regexp_extract: call("regexp_extract"),
  date_trunc: ([x], c) => `date_trunc(${unitOf(c)}, ${x})`,
  date_diff: ([a, b], c) => `date_diff(${unitOf(c)}, ${a}, ${b})`,
  date_sub: ([a, b], c) => `date_sub(${unitOf(c)}, ${a}, ${b})`,
  age: call("age"),
  make_date: call("make_date"),
  last_day: call("last_day"),
  dayname: call("dayname"),
  monthname: call("monthname"),
  epoch: call("epoch"),
  epoch_ms: call("epoch_ms"),
  timestamp_of_epoch_ms: call("epoch_ms"),
  concat_bytes: infix("||"),
  glob: infix("~~~"),
  to_timestamp: call("to_timestamp"),
  timezone: call("timezone"),
  md5: call("md5"),
  sha256: call("sha256"),
  ascii: call("ascii"),
  chr: call("chr"),
  printf: call("printf"),
  format: call("format"),
  cot: call("cot"),
  cbrt: call("cbrt"),
  even: call("even"),
  signbit: call("signbit"),
  gcd: call("gcd"),
  lcm: call("lcm"),
  bit_count: call("bit_count"),
  translate: call("translate"),
  strip_accents: call("strip_accents"),
  nfc_normalize: call("nfc_normalize"),
  unicode: call("unicode"),
  levenshtein: call("levenshtein"),
  damerau_levenshtein: call("damerau_levenshtein"),
  hamming: call("hamming"),
  jaccard: call("jaccard"),
  jaro_similarity: call("jaro_similarity"),
  jaro_winkler_similarity: call("jaro_winkler_similarity"),
  hex: call("hex"),
  bin: call("bin"),
  format_bytes: call("format_bytes"),
  format_decimal_bytes: call("formatReadableDecimalSize"),
  sha1: call("sha1"),
  error: call("error"),
  hash: call("hash"),
  uuid_extract_version: call("uuid_extract_version"),
  uuid_extract_timestamp: call("uuid_extract_timestamp"),
  // DuckDB's hash of the values (a UBIGINT), into [0, 2^53): see planner/bind/sample.ts.
  sample_hash: (args) => `CAST(hash(${args.join(", ")}) % 9007199254740992 AS BIGINT)`,
  decade: call("decade"),
  century: call("century"),
  millennium: call("millennium"),
  yearweek: call("yearweek"),
  round_even: call("round_even"),
  factorial: call("factorial"),
  to_base64: call("to_base64"),
  from_base64: call("from_base64"),
  encode: call("encode"),
  decode: call("decode"),
  epoch_us: call("epoch_us"),
  epoch_ns: call("epoch_ns"),
  strptime: call("strptime"),
  try_strptime: call("try_strptime"),
  make_timestamp: call("make_timestamp"),
  make_timestamp_ns: call("make_timestamp_ns"),
  make_time: call("make_time"),
  time_bucket: call("time_bucket"),
  to_years: call("to_years"),
  to_months: call("to_months"),
  to_quarters: call("to_quarters"),
  to_decades: call("to_decades"),
  to_centuries: call("to_centuries"),
  to_millennia: call("to_millennia"),
  to_weeks: call("to_weeks"),
  to_days: call("to_days"),
  to_hours: call("to_hours"),
  to_minutes: call("to_minutes"),
  to_seconds: call("to_seconds"),
  to_milliseconds: call("to_milliseconds"),
  to_microseconds: call("to_microseconds"),
  interval_of: ([x], c) => `INTERVAL (${x}) ${unitName(c)}`,
  array_slice: call("array_slice"),
  // Maps (planner/bind/maps.ts): a plan runs a map as the list of its entries (structs.ts), made a
  // map where DuckDB's function needs one, and a map it returns made entries again.
  map: (args) => planEntries(`map(${args.join(", ")})`),
  map_from_entries: ([entries]) => planEntries(`map_from_entries(${entries})`),
  map_concat: (args) => planEntries(`map_concat(${args.map(asMap).join(", ")})`),
  map_extract_value: ([m, key]) => `map_extract_value(${asMap(m)}, ${key})`,
  map_extract: ([m, key]) => `map_extract(${asMap(m)}, ${key})`,
  map_keys: ([m]) => `map_keys(${asMap(m)})`,
  map_values: ([m]) => `map_values(${asMap(m)})`,
  map_contains: ([m, key]) => `map_contains(${asMap(m)}, ${key})`,
  map_entries: ([m]) => m,
  cardinality: ([m]) => `len(${m})`,
  // Lists (planner/bind/lists.ts): DuckDB's functions of the same names.
  list_value: call("list_value"),
  list_extract: call("list_extract"),
  list_length: call("len"),
  list_contains: call("list_contains"),
  list_position: call("list_position"),
  list_sort: call("list_sort"),
  list_select: call("list_select"),
  list_where: call("list_where"),
  list_grade_up: call("list_grade_up"),
  // DuckDB's unnamed structs, renamed to the plan's f0, f1… (structs.ts).
  list_zip: (args, c) => {
    if (!c.outputType) throw new UnsupportedError(`${c.declared} without its output type (its structs' fields are named by it)`);
    return asRunInPlans(`list_zip(${args.join(", ")})`, c.outputType);
  },
  list_reverse_sort: call("list_reverse_sort"),
  list_reverse: call("list_reverse"),
  list_concat: call("list_concat"),
  list_concat_or_null: infix("||"),
  list_to_string: call("array_to_string"),
  string_split: call("string_split"),
  regexp_split_to_array: call("regexp_split_to_array"),
  list_min: call("list_min"),
  list_max: call("list_max"),
  list_sum: call("list_sum"),
  list_avg: call("list_avg"),
  flatten: call("flatten"),
  list_has_any: call("list_has_any"),
  list_has_all: call("list_has_all"),
  list_transform: call("list_transform"),
  list_filter: call("list_filter"),
  list_reduce: call("list_reduce"),
  list_distinct: call("list_distinct"),
  list_append: call("list_append"),
  list_prepend: call("list_prepend"),
  array_pop_back: call("array_pop_back"),
  array_pop_front: call("array_pop_front"),
  list_count: call("list_count"),
  list_aggregate: call("list_aggregate"),
  // JSON (planner/bind/json.ts): DuckDB's functions of the same names.
  ...Object.fromEntries(JSON_FUNCTION_NAMES.map((name) => [name, call(name)])),
  cast_json: ([x]) => `CAST(${x} AS JSON)`,
  list_unique: call("list_unique"),
  list_intersect: call("list_intersect"),
  regexp_extract_all: call("regexp_extract_all"),
  list_range: call("range"),
  list_generate_series: call("generate_series"),
  interval_add: infix("+"),
  interval_subtract: infix("-"),
  interval_multiply: infix("*"),
  interval_divide: infix("/"),
  interval_negate: ([x]) => `(-${x})`,
  interval_part: ([x], c) => {
    const part = c.enums[0]?.toUpperCase();
    if (part === undefined || !INTERVAL_PARTS.has(part)) throw new UnsupportedError(`part ${c.enums[0] ?? "(none)"} of ${c.declared}`);
    return `date_part('${part.toLowerCase()}', ${x})`;
  },
};

/** Functions whose DuckDB result already is the boolean the plan declares: no cast needed. */
export const BOOLEAN_FUNCTIONS = new Set([
  "equal", "not_equal", "lt", "lte", "gt", "gte", "between", "is_null", "is_not_null", "is_nan", "is_true",
  "is_not_true", "is_false", "is_not_false", "is_distinct_from", "is_not_distinct_from", "and", "or", "not", "is_infinite", "is_finite", "signbit",
  "xor", "like", "ilike", "starts_with", "ends_with", "contains", "like_escape", "ilike_escape", "regexp_matches", "regexp_full_match",
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
  string_agg: "string_agg",
  // trustql_functions_aggregate.yaml
  list: "list",
  median: "median",
  quantile_cont: "quantile_cont",
  quantile_disc: "quantile_disc",
  mode: "mode",
  histogram: "histogram",
  approx_count_distinct: "approx_count_distinct",
  arg_min: "arg_min",
  arg_max: "arg_max",
  first: "first",
  last: "last",
  corr: "corr",
  covar_pop: "covar_pop",
  covar_samp: "covar_samp",
  regr_slope: "regr_slope",
  regr_intercept: "regr_intercept",
  regr_r2: "regr_r2",
  regr_avgx: "regr_avgx",
  regr_avgy: "regr_avgy",
  regr_sxx: "regr_sxx",
  regr_syy: "regr_syy",
  regr_sxy: "regr_sxy",
  skewness: "skewness",
  kurtosis: "kurtosis",
  kurtosis_pop: "kurtosis_pop",
  entropy: "entropy",
  product: "product",
  fsum: "fsum",
  favg: "favg",
  geomean: "geomean",
  sem: "sem",
  mad: "mad",
  bit_and: "bit_and",
  bit_or: "bit_or",
  bit_xor: "bit_xor",
};

/** std_dev and variance (functions_arithmetic.yaml) by their `distribution` option: SAMPLE unless it says POPULATION. */
const SPREADS: Record<string, { SAMPLE: string; POPULATION: string }> = {
  std_dev: { SAMPLE: "stddev_samp", POPULATION: "stddev_pop" },
  variance: { SAMPLE: "var_samp", POPULATION: "var_pop" },
};

/** Window-only functions (functions_arithmetic.yaml) that ignore the frame: they see the partition in order. */
const RANKING: Record<string, string> = {
  row_number: "row_number",
  rank: "rank",
  dense_rank: "dense_rank",
  percent_rank: "percent_rank",
  cume_dist: "cume_dist",
  ntile: "ntile",
  lead: "lead",
  lag: "lag",
};
/** Window-only functions that read the frame, as aggregates do. */
const FRAME_VALUES: Record<string, string> = {
  first_value: "first_value",
  last_value: "last_value",
  nth_value: "nth_value",
};

/** Window functions DuckDB runs with IGNORE NULLS (trustql_functions_aggregate's null_handling option). */
export const NULLS_IGNORABLE = new Set([...Object.keys(FRAME_VALUES), "lead", "lag"]);

export function aggregateName(name: string, declared: string, options?: ReadonlyMap<string, string>): string {
  const spread = SPREADS[name];
  if (spread) {
    const distribution = options?.get("DISTRIBUTION") ?? "SAMPLE";
    if (distribution !== "SAMPLE" && distribution !== "POPULATION") throw new UnsupportedError(`${declared} with distribution ${distribution}`);
    return spread[distribution];
  }
  const duckdb = AGGREGATES[name];
  if (!duckdb) throw new UnsupportedError(`aggregate function ${declared}`);
  return duckdb;
}

export function windowName(name: string, declared: string, options?: ReadonlyMap<string, string>): string {
  const duckdb = RANKING[name] ?? FRAME_VALUES[name];
  if (duckdb) return duckdb;
  if (!(name in AGGREGATES) && !(name in SPREADS)) throw new UnsupportedError(`window function ${declared}`);
  return aggregateName(name, declared, options);
}

export function isRankingWindow(name: string): boolean {
  return name in RANKING;
}

/** A call's options by upper-case name, each its first preference. */
export function optionMap(options: readonly { name: string; preference: readonly string[] }[]): ReadonlyMap<string, string> {
  return new Map(options.filter((o) => o.preference.length > 0).map((o) => [o.name.toUpperCase(), o.preference[0].toUpperCase()]));
}
