// DuckDB's lists: `[a, b]` literals, `l[i]` and `l[a:b]`, and the functions of lists (`len`,
// `list_contains`, `list_sort`, `string_split`, …). Each call is DuckDB's own function, so what it
// does with NULLs and bounds is DuckDB's by construction; what is bound here is the type DuckDB
// gives its result. `list(x)` / `array_agg(x)` is the binder's (an aggregate); `unnest` too.
import { UnsupportedError, UserError, invariant, type SourcePosition } from "../../common/errors.ts";
import type { Expr, Lambda } from "../logical.ts";
import { LAMBDA_CALLS } from "../parse/index.ts";
import { commonSupertype, elementOf, isInteger, isInterval, isNumeric, listOf, structOf, type, typeName, withNullable, type SqlType } from "../types.ts";
import { anyNullable, call, castTo, isStringLiteral, sumType, unifyAll } from "./operators.ts";
import { checkArity, integerConstant, type FunctionSite } from "./library.ts";
import { literal } from "./literals.ts";

/** The most values a list literal may hold: a plan is a message of bounded size. */
export const MAX_LIST_LITERAL_VALUES = 10_000;

/** A list argument; an untyped NULL is a NULL list of INTEGER (as DuckDB reads it). */
function requireList(e: Expr, site: FunctionSite): Expr {
  if (e.type.kind === "list") return e;
  if (e.type.kind === "null") return castTo(e, listOf(type("i32")));
  throw new UserError(`${site.name} needs a list, not ${typeName(e.type)}`, site.position);
}

/** A list brought to hold values of `element`'s type (DuckDB casts the list, value by value). */
function listIn(list: Expr, element: SqlType): Expr {
  return castTo(list, listOf(element, list.type.nullable));
}

/** The lists' values in one type: each list cast to hold it. */
function unifyLists(lists: readonly Expr[], site: FunctionSite): Expr[] {
  const element = lists.map((l) => elementOf(l.type)).reduce<SqlType | undefined>((t, u) => (t === undefined ? undefined : commonSupertype(t, u)), elementOf(lists[0].type));
  if (!element) throw new UserError(`${site.name} of lists of ${lists.map((l) => typeName(elementOf(l.type))).join(" and ")}`, site.position);
  return lists.map((l) => listIn(l, element));
}

/** A value and a list's values brought to one type: `[1, 2]` holds 2.5 as a DECIMAL list does. */
function valueAndList(list: Expr, value: Expr, site: FunctionSite): [Expr, Expr] {
  const element = elementOf(list.type);
  if (isStringLiteral(value) && element.kind !== "null") return [list, castTo(value, element, site.position)];
  const common = commonSupertype(element, value.type);
  if (!common) throw new UserError(`${site.name} cannot look for ${typeName(value.type)} in a list of ${typeName(element)}`, site.position);
  return [listIn(list, common), castTo(value, common)];
}

function integerArgument(e: Expr, site: FunctionSite, what: string): Expr {
  if (!isInteger(e.type) && e.type.kind !== "null") throw new UserError(`${site.name}'s ${what} must be an integer, not ${typeName(e.type)}`, site.position);
  return castTo(e, type("i64"));
}

function textArgument(e: Expr, site: FunctionSite, what: string): Expr {
  if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`${site.name}'s ${what} must be VARCHAR, not ${typeName(e.type)}`, site.position);
  return castTo(e, type("string"));
}

/** `[a, b, c]` (and `list_value(a, b, c)`): the values in their common type. */
export function listValue(values: readonly Expr[], position: SourcePosition | undefined): Expr {
  if (values.length > MAX_LIST_LITERAL_VALUES) throw new UserError(`a list literal of ${values.length} values (at most ${MAX_LIST_LITERAL_VALUES})`, position);
  if (values.length === 0) return call("list_value", [], listOf(type("null"), false));
  const unified = unifyAll([...values], "put in one list", position);
  return call("list_value", unified, listOf(unified[0].type, false));
}

/** `l[i]`: the i-th value, counted from 1 (from the end when negative); NULL past either end. */
export function listExtract(list: Expr, index: Expr, position: SourcePosition | undefined): Expr {
  const site = { name: "a list's subscript", position };
  const at = integerArgument(index, site, "index");
  return call("list_extract", [list, at], withNullable(elementOf(list.type), true));
}

/**
 * `l[a:b]`: the values a to b, both counted from 1 (from the end when negative); a bound left out is
 * the list's first or last. `l[a:b:step]`: every step-th of them, from b back to a for a negative
 * step, whose bounds left out are the list's last and first (so the step must then be a constant).
 */
export function listSlice(list: Expr, bounds: readonly (Expr | undefined)[], position: SourcePosition | undefined, stepArg?: Expr): Expr {
  const site = { name: "a list's slice", position };
  const step = stepArg && integerArgument(stepArg, site, "step");
  const stepValue = stepArg && integerConstant(stepArg);
  if (step && stepValue === undefined && bounds.includes(undefined)) throw new UnsupportedError("a slice whose step is not a constant, with a bound left out (write the bound)", position);
  const backwards = stepValue !== undefined && stepValue < 0;
  const [begin, end] = bounds.map((bound, i) => (bound === undefined ? literal((i === 0) !== backwards ? 1 : -1, type("i64", false)) : integerArgument(bound, site, "bound")));
  const args = step ? [list, begin, end, step] : [list, begin, end];
  return call("array_slice", args, withNullable(list.type, anyNullable(args)));
}

/**
 * list_concat(l1, l2): the values of both, in their common type; a NULL list adds none. `l1 || l2`
 * (`operator`) is NULL where either is, as DuckDB's operator is.
 */
export function listConcat(lists: readonly Expr[], site: FunctionSite, operator = false): Expr {
  const unified = unifyLists(lists.map((l) => requireList(l, site)), site);
  if (operator) return call("list_concat_or_null", unified, withNullable(unified[0].type, unified.some((l) => l.type.nullable)));
  return call("list_concat", unified, withNullable(unified[0].type, unified.every((l) => l.type.nullable)));
}

type ListFunction = (args: Expr[], site: FunctionSite) => Expr;

const length: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1, 2);
  if (args[1] !== undefined && !(args[1].kind === "literal" && Number(args[1].value) === 1)) throw new UnsupportedError(`${site.name} of a dimension other than 1`, site.position);
  const list = requireList(args[0], site);
  return call("list_length", [list], type("i64", list.type.nullable));
};

const contains: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const [list, value] = valueAndList(requireList(args[0], site), args[1], site);
  return call("list_contains", [list, value], type("boolean"));
};

const position: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const [list, value] = valueAndList(requireList(args[0], site), args[1], site);
  return call("list_position", [list, value], type("i32"));
};

/** The direction and NULLs' place of list_sort: constant strings, checked as DuckDB checks them. */
function sortOption(e: Expr, site: FunctionSite, allowed: readonly string[]): Expr {
  if (!isStringLiteral(e) || !allowed.includes(e.value.trim().toUpperCase())) throw new UserError(`${site.name} takes ${allowed.map((a) => `'${a}'`).join(" or ")} here`, site.position);
  return literal(e.value.trim().toUpperCase(), type("string", false));
}

const SORT_ORDERS = ["ASC", "DESC"];
const NULL_ORDERS = ["NULLS FIRST", "NULLS LAST"];

const sort: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1, 3);
  const [list, ...options] = args;
  const bound = [requireList(list, site), ...options.map((o, i) => sortOption(o, site, i === 0 ? SORT_ORDERS : NULL_ORDERS))];
  return call("list_sort", bound, bound[0].type);
};

const reverseSort: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1, 2);
  const [list, ...options] = args;
  const bound = [requireList(list, site), ...options.map((o) => sortOption(o, site, NULL_ORDERS))];
  return call("list_reverse_sort", bound, bound[0].type);
};

/** A function of one list, its result's type from the list's. */
const ofList =
  (fn: string, result: (list: SqlType) => SqlType): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 1);
    const list = requireList(args[0], site);
    return call(fn, [list], result(list.type));
  };

const reverse = ofList("list_reverse", (t) => t);

const concat: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  return listConcat(args, site);
};

const toText: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const list = requireList(args[0], site);
  const separator = textArgument(args[1], site, "separator");
  return call("list_to_string", [list, separator], type("string", anyNullable([list, separator])));
};

/** string_split and its regular-expression form: the pieces of a string, as a list of strings. */
const split =
  (fn: "string_split" | "regexp_split_to_array"): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 2);
    const [s, separator] = [textArgument(args[0], site, "string"), textArgument(args[1], site, "separator")];
    return call(fn, [s, separator], listOf(type("string"), s.type.nullable));
  };

/** list_min and list_max: a value of the list, in its values' type. */
const extreme =
  (fn: "list_min" | "list_max"): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 1);
    const list = requireList(args[0], site);
    return call(fn, [list], withNullable(elementOf(list.type), true));
  };

const sum: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  const list = requireList(args[0], site);
  const element = elementOf(list.type);
  if (!isNumeric(element) && element.kind !== "null") throw new UserError(`${site.name} needs a list of numbers, not ${typeName(list.type)}`, site.position);
  return call("list_sum", [list], sumType(element));
};

const average: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  const list = requireList(args[0], site);
  if (!isNumeric(elementOf(list.type)) && elementOf(list.type).kind !== "null") throw new UserError(`${site.name} needs a list of numbers, not ${typeName(list.type)}`, site.position);
  return call("list_avg", [list], type("fp64"));
};

const flatten: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  const list = requireList(args[0], site);
  const inner = elementOf(list.type);
  if (inner.kind === "null") return call("flatten", [list], listOf(type("null")));
  if (inner.kind !== "list") throw new UserError(`${site.name} needs a list of lists, not ${typeName(list.type)}`, site.position);
  return call("flatten", [list], withNullable(inner, list.type.nullable));
};

const hasAnyOrAll =
  (fn: "list_has_any" | "list_has_all"): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 2);
    const lists = unifyLists(args.map((a) => requireList(a, site)), site);
    return call(fn, lists, type("boolean"));
  };

/** list_distinct: each value once, NULL left out (in DuckDB's order, the same on every node). */
const distinct = ofList("list_distinct", (t) => t);

/** list_unique: how many distinct values, NULL not counted (DuckDB's UBIGINT, here a BIGINT). */
const unique = ofList("list_unique", (t) => type("i64", t.nullable));

const intersect: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const lists = unifyLists(args.map((a) => requireList(a, site)), site);
  return call("list_intersect", lists, withNullable(lists[0].type, anyNullable(lists)));
};

/** regexp_extract_all(s, pattern[, group]): every match (or its group), as a list of strings. */
const extractAll: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2, 3);
  const [s, pattern] = [textArgument(args[0], site, "string"), textArgument(args[1], site, "pattern")];
  const group = args[2] === undefined ? [] : [castTo(integerArgument(args[2], site, "group"), type("i32"))];
  return call("regexp_extract_all", [s, pattern, ...group], listOf(type("string"), anyNullable([s, pattern, ...group])));
};

/**
 * range(stop) / range(start, stop[, step]) as a value: the integers from start (0) up to stop, stop
 * left out; generate_series(start, stop[, step]) with stop in. BIGINT lists, as DuckDB's. Of dates
 * or timestamps by an interval: TIMESTAMP lists (WITH TIME ZONE when a bound is one), as DuckDB's.
 */
const series =
  (fn: "list_range" | "list_generate_series"): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, fn === "list_range" ? 1 : 2, 3);
    const datetime = (t: SqlType) => t.kind === "date" || t.kind === "timestamp" || t.kind === "timestamp_tz";
    if (args.length === 3 && args.slice(0, 2).some((a) => datetime(a.type))) {
      const zoned = args.slice(0, 2).some((a) => a.type.kind === "timestamp_tz");
      const [start, stop] = args.slice(0, 2).map((a) => {
        if (!datetime(a.type) && a.type.kind !== "null") throw new UserError(`${site.name} of ${typeName(args[0].type)} and ${typeName(a.type)}`, site.position);
        return castTo(a, type(zoned ? "timestamp_tz" : "timestamp"));
      });
      const step = args[2];
      if (!isInterval(step.type)) throw new UserError(`${site.name} of times steps by an INTERVAL, not ${typeName(step.type)}`, site.position);
      return call(fn, [start, stop, step], listOf(type(zoned ? "timestamp_tz" : "timestamp"), anyNullable([start, stop, step])));
    }
    const bounds = args.map((a) => {
      if (!isInteger(a.type) && a.type.kind !== "null") throw new UnsupportedError(`${site.name} of ${typeName(a.type)} as a value (of integers; in FROM, of dates and timestamps too)`, site.position);
      return castTo(a, type("i64"));
    });
    return call(fn, bounds, listOf(type("i64"), anyNullable(bounds)));
  };

/** list_append(l, x) and list_prepend(x, l): the list with one value more, in their common type. */
const withValue =
  (at: "end" | "start"): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 2);
    const [listArg, valueArg] = at === "end" ? args : [args[1], args[0]];
    const [list, value] = valueAndList(requireList(listArg, site), valueArg, site);
    const bound = at === "end" ? [list, value] : [value, list];
    return call(at === "end" ? "list_append" : "list_prepend", bound, withNullable(list.type, false));
  };

/** array_pop_back and array_pop_front: the list without its last (first) value. */
const without =
  (fn: "array_pop_back" | "array_pop_front"): ListFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 1);
    const list = requireList(args[0], site);
    return call(fn, [list], list.type);
  };

const count = ofList("list_count", (t) => type("i64", t.nullable));

/** The aggregates list_aggregate(l, 'name') takes here, and the type each gives over values of a type. */
const AGGREGATES_OVER_LISTS: Readonly<Record<string, (element: SqlType) => SqlType>> = {
  sum: sumType,
  min: (e) => e,
  max: (e) => e,
  first: (e) => e,
  last: (e) => e,
  any_value: (e) => e,
  avg: () => type("fp64"),
  count: () => type("i64"),
  string_agg: () => type("string"),
  bool_and: () => type("boolean"),
  bool_or: () => type("boolean"),
};

/** list_aggregate(l, 'name'[, separator]): an aggregate over the list's values, as DuckDB computes it. */
const aggregate: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2, 3);
  const list = requireList(args[0], site);
  const written = isStringLiteral(args[1]) ? args[1].value.trim().toLowerCase() : undefined;
  if (written === undefined) throw new UnsupportedError(`${site.name} of an aggregate that is not named by a constant string`, site.position);
  const result = AGGREGATES_OVER_LISTS[written];
  if (!result) throw new UnsupportedError(`${site.name} of '${written}' (${Object.keys(AGGREGATES_OVER_LISTS).join(", ")} are)`, site.position);
  const element = elementOf(list.type);
  if ((written === "sum" || written === "avg") && !isNumeric(element) && element.kind !== "null") throw new UserError(`${site.name} '${written}' needs a list of numbers, not ${typeName(list.type)}`, site.position);
  if ((written === "bool_and" || written === "bool_or") && element.kind !== "boolean" && element.kind !== "null") throw new UserError(`${site.name} '${written}' needs a list of BOOLEAN, not ${typeName(list.type)}`, site.position);
  if (args[2] !== undefined && written !== "string_agg") throw new UserError(`${site.name} '${written}' takes no third argument`, site.position);
  const extra = args[2] === undefined ? (written === "string_agg" ? [literal(",", type("string", false))] : []) : [textArgument(args[2], site, "separator")];
  const text = written === "string_agg" ? [castTo(list, listOf(type("string"), list.type.nullable))] : [list];
  return call("list_aggregate", [...text, literal(written, type("string", false)), ...extra], withNullable(result(element.kind === "null" ? type("i32") : element), true));
};

/** list_select(l, positions): the values at those positions, from 1 (NULL past either end); a NULL position is DuckDB's error. */
const select: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const list = requireList(args[0], site);
  const positions = requireList(args[1], site);
  const element = elementOf(positions.type);
  if (!isInteger(element) && element.kind !== "null") throw new UserError(`${site.name}'s positions must be a list of integers, not ${typeName(positions.type)}`, site.position);
  const bigints = listIn(positions, type("i64"));
  return call("list_select", [list, bigints], withNullable(list.type, anyNullable([list, bigints])));
};

/** list_where(l, mask): the values whose mask is true, in order (past the list's end, NULLs: DuckDB's); a NULL in the mask is DuckDB's error. */
const where: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const list = requireList(args[0], site);
  const mask = requireList(args[1], site);
  const element = elementOf(mask.type);
  if (element.kind !== "boolean" && element.kind !== "null") throw new UserError(`${site.name}'s mask must be a list of BOOLEAN, not ${typeName(mask.type)}`, site.position);
  const booleans = listIn(mask, type("boolean"));
  return call("list_where", [list, booleans], withNullable(list.type, anyNullable([list, booleans])));
};

/** list_grade_up(l[, 'ASC'|'DESC'[, 'NULLS FIRST'|'NULLS LAST']]): the positions that sort the list (a BIGINT list), ties in their order. */
const gradeUp: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1, 3);
  const [list, ...options] = args;
  const bound = [requireList(list, site), ...options.map((o, i) => sortOption(o, site, i === 0 ? SORT_ORDERS : NULL_ORDERS))];
  return call("list_grade_up", bound, listOf(type("i64"), bound[0].type.nullable));
};

/**
 * list_zip(a, b, …[, truncate]): a list of unnamed structs, the i-th of each list's i-th values, as
 * long as the longest list (NULLs past a shorter one's end; a NULL list is empty), or the
 * shortest when `truncate` is true.
 */
const zip: ListFunction = (args, site) => {
  const truncates = args.length > 1 && args.at(-1)!.type.kind === "boolean";
  const lists = (truncates ? args.slice(0, -1) : args).map((a) => requireList(a, site));
  if (lists.length === 0) throw new UserError(`${site.name} needs at least one list`, site.position);
  const bound = truncates ? [...lists, args.at(-1)!] : lists;
  return call("list_zip", bound, listOf(structOf(lists.map((l) => ({ name: "", type: elementOf(l.type) }))), false));
};

const value: ListFunction = (args, site) => listValue(args, site.position);

const extract: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  return listExtract(requireList(args[0], site), args[1], site.position);
};

const slice: ListFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 3, 4);
  return listSlice(requireList(args[0], site), args.slice(1, 3), site.position, args[3]);
};

/** Functions of lists by every name DuckDB gives them. */
const LIST_FUNCTIONS = new Map<string, ListFunction>([
  ["list_value", value],
  ["list_pack", value],
  ["len", length],
  ["length", length],
  ["array_length", length],
  ["list_extract", extract],
  ["list_element", extract],
  ["array_extract", extract],
  ["list_slice", slice],
  ["array_slice", slice],
  ["list_contains", contains],
  ["list_has", contains],
  ["array_contains", contains],
  ["array_has", contains],
  ["contains", contains],
  ["list_position", position],
  ["list_indexof", position],
  ["array_position", position],
  ["array_indexof", position],
  ["list_sort", sort],
  ["array_sort", sort],
  ["list_reverse_sort", reverseSort],
  ["array_reverse_sort", reverseSort],
  ["list_reverse", reverse],
  ["array_reverse", reverse],
  ["list_concat", concat],
  ["list_cat", concat],
  ["array_concat", concat],
  ["array_cat", concat],
  ["array_to_string", toText],
  ["list_to_string", toText],
  ["array_join", toText],
  ["string_split", split("string_split")],
  ["str_split", split("string_split")],
  ["string_to_array", split("string_split")],
  ["split", split("string_split")],
  ["regexp_split_to_array", split("regexp_split_to_array")],
  ["string_split_regex", split("regexp_split_to_array")],
  ["str_split_regex", split("regexp_split_to_array")],
  ["list_min", extreme("list_min")],
  ["list_max", extreme("list_max")],
  ["list_sum", sum],
  ["list_avg", average],
  ["flatten", flatten],
  ["list_append", withValue("end")],
  ["array_append", withValue("end")],
  ["array_push_back", withValue("end")],
  ["list_prepend", withValue("start")],
  ["array_prepend", withValue("start")],
  ["array_push_front", withValue("start")],
  ["array_pop_back", without("array_pop_back")],
  ["array_pop_front", without("array_pop_front")],
  ["list_count", count],
  ["list_aggregate", aggregate],
  ["list_aggr", aggregate],
  ["aggregate", aggregate],
  ["array_aggregate", aggregate],
  ["array_aggr", aggregate],
  ["list_distinct", distinct],
  ["array_distinct", distinct],
  ["list_unique", unique],
  ["array_unique", unique],
  ["list_intersect", intersect],
  ["array_intersect", intersect],
  ["regexp_extract_all", extractAll],
  ["range", series("list_range")],
  ["generate_series", series("list_generate_series")],
  ["list_select", select],
  ["array_select", select],
  ["list_where", where],
  ["array_where", where],
  ["list_grade_up", gradeUp],
  ["array_grade_up", gradeUp],
  ["grade_up", gradeUp],
  ["list_zip", zip],
  ["array_zip", zip],
  ["list_has_any", hasAnyOrAll("list_has_any")],
  ["array_has_any", hasAnyOrAll("list_has_any")],
  ["list_has_all", hasAnyOrAll("list_has_all")],
  ["array_has_all", hasAnyOrAll("list_has_all")],
]);

// ---------------------------------------------------------------- lambdas

type LambdaBinder = (parameterTypes: readonly SqlType[]) => Lambda;

/** The types of each lambda's parameters, from the list's values' (the value's position may follow them). */
const LAMBDA_PARAMETERS: Readonly<Record<(typeof LAMBDA_CALLS)[string], (element: SqlType) => SqlType[]>> = {
  list_transform: (e) => [e],
  list_filter: (e) => [e],
  list_reduce: (e) => [e, e],
};

export function isLambdaFunction(name: string): boolean {
  return Object.hasOwn(LAMBDA_CALLS, name);
}

/**
 * list_transform(l, x -> f(x)): each value through the lambda, a list of its results;
 * list_filter(l, x -> p(x)): the values for which it is true; list_reduce(l, (a, x) -> f(a, x)[,
 * initial]): the values folded into one, in the values' type (an empty list is DuckDB's error),
 * or from `initial`, in the common type of the values and it (an empty list gives it). `bindLambda`
 * binds the lambda once its parameters' types are known.
 */
export function bindLambdaFunction(name: string, list: Expr, bindLambda: LambdaBinder, position: SourcePosition | undefined, initial?: Expr): Expr {
  const fn = LAMBDA_CALLS[name];
  const parameters = LAMBDA_PARAMETERS[fn];
  const site = { name, position };
  if (initial) {
    invariant(fn === "list_reduce", `an initial value for ${fn}`);
    return reduceFrom(requireList(list, site), initial, bindLambda, site);
  }
  const l = requireList(list, site);
  const element = withNullable(elementOf(l.type), true);
  const lambda = bindLambda(parameters(element));
  switch (fn) {
    case "list_transform":
      return call(fn, [l, lambda], listOf(lambda.type, l.type.nullable));
    case "list_filter":
      if (lambda.type.kind !== "boolean" && lambda.type.kind !== "null") throw new UserError(`${name}'s lambda must give a BOOLEAN, not ${typeName(lambda.type)}`, position);
      return call(fn, [l, lambda], l.type);
    case "list_reduce": {
      // DuckDB folds into the values' type: the lambda's result is cast to it.
      if (!commonSupertype(lambda.type, element)) throw new UserError(`${name}'s lambda gives ${typeName(lambda.type)}, which the list's ${typeName(element)} values cannot hold`, position);
      return call(fn, [l, { ...lambda, body: castTo(lambda.body, element), type: element }], element);
    }
  }
}

/**
 * list_reduce(l, lambda, initial): DuckDB 1.5 folds `initial` and then each value, all in the
 * common type of the list's values and `initial` (a SMALLINT list from 1 is an INTEGER, an INTEGER
 * list from 10.5 a DECIMAL(11,1)), the lambda's result cast to it.
 */
function reduceFrom(list: Expr, initial: Expr, bindLambda: LambdaBinder, site: FunctionSite): Expr {
  const element = elementOf(list.type);
  const common = commonSupertype(element, initial.type);
  if (!common) throw new UserError(`${site.name}'s initial value is ${typeName(initial.type)}, which meets no type with the list's ${typeName(element)} values`, site.position);
  const t = withNullable(common.kind === "null" ? type("i32") : common, true);
  const lambda = bindLambda([t, t]);
  if (!commonSupertype(lambda.type, t)) throw new UserError(`${site.name}'s lambda gives ${typeName(lambda.type)}, which the list's ${typeName(t)} values cannot hold`, site.position);
  return call("list_reduce", [listIn(list, t), { ...lambda, body: castTo(lambda.body, t), type: t }, castTo(initial, t)], t);
}

/** Names that are functions of strings too: theirs when the first argument is not a list. */
const SHARED_WITH_STRINGS = new Set(["len", "length", "contains", "array_extract", "array_slice"]);

/** Whether `name` may be a function of lists (its arguments then decide, for names strings share). */
export function isListFunction(name: string): boolean {
  return LIST_FUNCTIONS.has(name);
}

/**
 * A call of a list function, or undefined where `name` is a function of strings and its first
 * argument is not a list.
 */
export function bindListFunction(name: string, args: Expr[], position: SourcePosition | undefined): Expr | undefined {
  const bind = LIST_FUNCTIONS.get(name);
  if (!bind) return undefined;
  if (SHARED_WITH_STRINGS.has(name) && args[0]?.type.kind !== "list") return undefined;
  return bind(args, { name, position });
}
