// Which standard extension file and compound signature (`add:i64_i64`, `equal:any_any`, ...)
// each function the planner uses resolves to, from its argument types.
import { EXTENSIONS, TRUSTQL_EXTENSIONS, type ExtensionFile } from "../proto/index.ts";
import { UnsupportedError } from "../common/errors.ts";
import type { SqlType } from "./types.ts";
import { BIT_AGGREGATES, DOUBLE_AGGREGATES, STATISTICS_AGGREGATES } from "./logical.ts";
import { JSON_FUNCTION_NAMES } from "./bind/json.ts";

export interface FunctionRef {
  readonly file: ExtensionFile;
  /** The compound name declared in the plan, e.g. `add:dec_dec`. */
  readonly signature: string;
  /** Options the call carries (`like`'s case sensitivity, `std_dev`'s distribution). */
  readonly options?: Readonly<Record<string, string>>;
}

export function shortTypeName(t: SqlType): string {
  switch (t.kind) {
    case "boolean":
      return "bool";
    case "decimal":
      return "dec";
    case "string":
      return "str";
    case "binary":
      return "vbin";
    case "time":
      return "pt";
    case "timestamp":
    case "timestamp_ns":
      return "pts";
    case "timestamp_tz":
      return "ptstz";
    case "interval_year":
      return "iyear";
    case "interval_day":
      return "iday";
    case "interval_compound":
      return "icompound";
    case "null":
      return "i32";
    default:
      return t.kind;
  }
}

const ARITHMETIC = new Set(["add", "subtract", "multiply", "divide", "modulus", "negate", "abs"]);
const ANY_COMPARISONS = new Set([
  "equal", "not_equal", "lt", "lte", "gt", "gte", "is_null", "is_not_null", "is_distinct_from",
  "is_not_distinct_from", "nullif", "coalesce", "greatest_skip_null", "least_skip_null", "between",
]);
const BOOLEAN_TESTS = new Set(["is_true", "is_not_true", "is_false", "is_not_false"]);
const FLOAT_TESTS = new Set(["is_nan", "is_infinite", "is_finite"]);
const VARIADIC = new Set(["and", "or", "coalesce", "concat", "greatest_skip_null", "least_skip_null"]);
const STRINGS = new Set([
  "like", "substring", "upper", "lower", "char_length", "trim", "ltrim", "rtrim", "concat", "starts_with", "ends_with", "contains",
  "replace", "left", "right", "lpad", "rpad", "reverse", "repeat", "strpos", "concat_ws", "bit_length",
]);
const ROUNDING = new Set(["round", "ceil", "floor"]);
const LOGARITHMIC = new Set(["ln", "log10", "log2", "logb"]);
const MATH = new Set([
  "sqrt", "exp", "power", "sign", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
  "asinh", "acosh", "atanh", "radians", "degrees",
]);
/** DuckDB's functions of lists (planner/bind/lists.ts). */
const LIST_SCALARS = [
  "list_value", "list_extract", "list_length", "list_contains", "list_position", "list_sort", "list_reverse_sort", "list_reverse",
  "list_concat", "list_concat_or_null", "list_to_string", "string_split", "regexp_split_to_array", "list_min", "list_max", "list_sum", "list_avg", "flatten",
  "list_has_any", "list_has_all", "list_transform", "list_filter", "list_reduce",
  "list_distinct", "list_unique", "list_intersect", "regexp_extract_all", "list_range", "list_generate_series",
  "list_append", "list_prepend", "array_pop_back", "array_pop_front", "list_count", "list_aggregate", "list_select", "list_where", "list_grade_up", "list_zip",
];
/** DuckDB's functions of maps (planner/bind/maps.ts). */
export const MAP_SCALARS = ["with_field_names", "map", "map_from_entries", "map_concat", "map_extract_value", "map_extract", "map_keys", "map_values", "map_contains", "map_entries", "cardinality"];
/** Functions of DuckDB's dialect no standard file declares: trustql's own scalar extension. */
const OWN_SCALARS = new Set([
  "like_escape", "ilike_escape", "split_part", "regexp_matches", "regexp_full_match", "regexp_replace", "regexp_extract",
  "date_trunc", "date_diff", "date_sub", "age", "make_date", "last_day", "dayname", "monthname",
  "epoch", "epoch_ms", "to_timestamp", "timezone", "md5", "sha256", "ascii", "chr", "printf", "format",
  "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "shift_left", "shift_right", "trunc",
  "cot", "cbrt", "even", "signbit", "gcd", "lcm", "bit_count",
  "translate", "strip_accents", "nfc_normalize", "unicode", "levenshtein", "damerau_levenshtein", "hamming", "jaccard",
  "jaro_similarity", "jaro_winkler_similarity", "hex", "bin", "format_bytes", "format_decimal_bytes", "sha1",
  "decade", "century", "millennium", "epoch_us", "epoch_ns", "strptime", "try_strptime", "make_timestamp", "make_timestamp_ns", "make_time", "time_bucket",
  "to_years", "to_months", "to_quarters", "to_decades", "to_centuries", "to_millennia", "to_weeks", "to_days", "to_hours", "to_minutes", "to_seconds", "to_milliseconds", "to_microseconds",
  "interval_of", "interval_add", "interval_subtract", "interval_multiply", "interval_divide", "interval_negate", "interval_part", "array_slice", "error", "sample_hash", "hash", "uuid_extract_version", "uuid_extract_timestamp",
  "yearweek", "round_even", "factorial", "timestamp_of_epoch_ms", "concat_bytes", "glob", "octet_length", "strlen", "to_base64", "from_base64", "encode", "decode",
  ...LIST_SCALARS,
  ...MAP_SCALARS,
  ...JSON_FUNCTION_NAMES,
]);

function signature(name: string, parts: string[]): string {
  const args = VARIADIC.has(name) && parts.length > 0 ? [parts[0]] : parts;
  return `${name}:${args.join("_")}`;
}

export function scalarFunction(name: string, args: readonly SqlType[], enumCount: number): FunctionRef {
  const shorts = [...Array.from({ length: enumCount }, () => "req"), ...args.map(shortTypeName)];
  if (ARITHMETIC.has(name)) {
    // A time of day plus an interval or a date, or a time moved by DuckDB's interval of all three:
    // DuckDB's, declared in trustql's own file.
    if (args.some((a) => a.kind === "time" || a.kind === "interval_compound")) return { file: TRUSTQL_EXTENSIONS.scalar, signature: signature(name, shorts) };
    const temporal = args.some((a) => a.kind === "timestamp" || a.kind === "timestamp_tz" || a.kind === "date" || a.kind === "interval_year" || a.kind === "interval_day");
    if (temporal) return { file: EXTENSIONS.datetime, signature: signature(name, shorts) };
    if (args.some((a) => a.kind === "decimal")) return { file: EXTENSIONS.arithmeticDecimal, signature: signature(name, shorts) };
    // The standard file's modulus takes integers only.
    if (name === "modulus" && args.some((a) => a.kind === "fp32" || a.kind === "fp64")) return { file: TRUSTQL_EXTENSIONS.scalar, signature: signature(name, shorts) };
    return { file: EXTENSIONS.arithmetic, signature: signature(name, shorts) };
  }
  // DuckDB's // of floats: divide's option for division by zero (functions_arithmetic.yaml).
  // (Of HUGEINTs, decimals of scale 0, it is an integer's: truncating.)
  if (name === "divide_or_null") return { file: args.some((a) => a.kind === "decimal") ? EXTENSIONS.arithmeticDecimal : EXTENSIONS.arithmetic, signature: signature("divide", shorts), options: { on_division_by_zero: "NULL" } };
  if (ANY_COMPARISONS.has(name)) return { file: EXTENSIONS.comparison, signature: signature(name, args.map(() => "any")) };
  if (BOOLEAN_TESTS.has(name)) return { file: EXTENSIONS.comparison, signature: signature(name, ["bool"]) };
  if (FLOAT_TESTS.has(name)) return { file: EXTENSIONS.comparison, signature: signature(name, shorts) };
  if (name === "and" || name === "or" || name === "not") return { file: EXTENSIONS.boolean, signature: signature(name, shorts) };
  if (name === "ilike") return { file: EXTENSIONS.string, signature: signature("like", shorts), options: { case_sensitivity: "CASE_INSENSITIVE" } };
  if (STRINGS.has(name)) return { file: EXTENSIONS.string, signature: signature(name, shorts) };
  if (name === "extract" || name === "strftime") return { file: EXTENSIONS.datetime, signature: signature(name, shorts) };
  if (ROUNDING.has(name)) return { file: EXTENSIONS.rounding, signature: signature(name, shorts) };
  if (LOGARITHMIC.has(name)) return { file: EXTENSIONS.logarithmic, signature: signature(name, shorts) };
  if (MATH.has(name)) return { file: EXTENSIONS.arithmetic, signature: signature(name, shorts) };
  if (OWN_SCALARS.has(name)) return { file: TRUSTQL_EXTENSIONS.scalar, signature: signature(name, shorts) };
  throw new UnsupportedError(`function ${name} in a plan`);
}

/** Aggregates whose sample and population forms are one Substrait function with a `distribution` option. */
const DISTRIBUTIONS: Record<string, { fn: string; distribution: string }> = {
  stddev_samp: { fn: "std_dev", distribution: "SAMPLE" },
  stddev_pop: { fn: "std_dev", distribution: "POPULATION" },
  var_samp: { fn: "variance", distribution: "SAMPLE" },
  var_pop: { fn: "variance", distribution: "POPULATION" },
};
/** Aggregates of DuckDB's dialect no standard file declares for these types: trustql's own aggregate extension. */
const OWN_AGGREGATES = new Set(["list", "median", "quantile_cont", "quantile_disc", "mode", "histogram", "arg_min", "arg_max", "approx_count_distinct", "entropy", "mad", "first", "last", ...STATISTICS_AGGREGATES, ...DOUBLE_AGGREGATES, ...BIT_AGGREGATES]);

/** The functions plans may name in trustql's own extension files: each file must declare them. */
export const TRUSTQL_FUNCTION_NAMES = {
  scalar: [...OWN_SCALARS],
  aggregate: [...OWN_AGGREGATES, "min", "max"],
} as const;

export function aggregateFunction(name: string, args: readonly SqlType[]): FunctionRef {
  if (name === "count") return { file: EXTENSIONS.aggregateGeneric, signature: args.length === 0 ? "count:" : "count:any" };
  if (name === "any_value") return { file: EXTENSIONS.aggregateGeneric, signature: "any_value:any" };
  const [arg] = args;
  const shorts = args.map(shortTypeName);
  const distribution = DISTRIBUTIONS[name];
  if (distribution) return { file: EXTENSIONS.arithmetic, signature: signature(distribution.fn, shorts), options: { distribution: distribution.distribution } };
  if (name === "bool_and" || name === "bool_or") return { file: EXTENSIONS.boolean, signature: signature(name, shorts) };
  if (name === "string_agg") return { file: EXTENSIONS.string, signature: signature(name, shorts) };
  if (OWN_AGGREGATES.has(name)) return { file: TRUSTQL_EXTENSIONS.aggregate, signature: signature(name, shorts) };
  if (arg.kind === "decimal") return { file: EXTENSIONS.arithmeticDecimal, signature: signature(name, shorts) };
  if ((name === "min" || name === "max") && (arg.kind === "date" || arg.kind === "timestamp" || arg.kind === "timestamp_tz" || arg.kind === "timestamp_ns" || arg.kind === "time")) {
    return { file: EXTENSIONS.datetime, signature: signature(name, shorts) };
  }
  if (arg.kind === "string" || arg.kind === "boolean" || arg.kind === "binary" || arg.kind === "list") {
    if (name === "min" || name === "max") return { file: TRUSTQL_EXTENSIONS.aggregate, signature: signature(name, shorts) };
    throw new UnsupportedError(`${name} of ${arg.kind === "string" ? "VARCHAR" : arg.kind === "binary" ? "BLOB" : "BOOLEAN"}: no Substrait function`);
  }
  return { file: EXTENSIONS.arithmetic, signature: signature(name, shorts) };
}

/** Functions only a window computes (functions_arithmetic's window functions), by the names SQL gives them too. */
export const WINDOW_ONLY = new Set(["row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "first_value", "last_value", "nth_value", "lead", "lag"]);

/** Window functions that may pass over nulls (IGNORE NULLS): trustql declares them with a null_handling option. */
export const NULLS_IGNORABLE = new Set(["first_value", "last_value", "nth_value", "lag", "lead"]);

export function windowFunction(name: string, args: readonly SqlType[], ignoreNulls = false): FunctionRef {
  if (ignoreNulls && NULLS_IGNORABLE.has(name)) return { file: TRUSTQL_EXTENSIONS.aggregate, signature: signature(name, args.map(shortTypeName)), options: { null_handling: "IGNORE_NULLS" } };
  if (WINDOW_ONLY.has(name)) return { file: EXTENSIONS.arithmetic, signature: signature(name, args.map(shortTypeName)) };
  return aggregateFunction(name, args);
}
