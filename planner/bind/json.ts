// DuckDB's JSON: the JSON type (text DuckDB has checked is JSON), `j -> path` and `j ->> path`,
// casts to JSON, and the json_* functions. Each call is DuckDB's own function, so what it makes
// of a path, a malformed document or NULL is DuckDB's by construction; what is bound here is the
// type DuckDB gives the result. In a Substrait plan JSON is a string.
import { UnsupportedError, UserError, type SourcePosition } from "../../common/errors.ts";
import type { Expr } from "../logical.ts";
import { isInteger, jsonType, listOf, type, typeName, type SqlType } from "../types.ts";
import { anyNullable, call, castTo } from "./operators.ts";
import { checkArity, type FunctionSite } from "./library.ts";

/** A JSON document argument: JSON or text (DuckDB reads text as JSON where a function wants JSON). */
function document(e: Expr, site: FunctionSite): Expr {
  if (e.type.kind !== "string" && e.type.kind !== "null") throw new UserError(`${site.name} needs JSON or VARCHAR, not ${typeName(e.type)}`, site.position);
  return castTo(e, jsonType());
}

/** A path: '$.a.b[0]' or a key 'a' (text), or an array's index (an integer). */
function path(e: Expr, site: FunctionSite): Expr {
  if (isInteger(e.type)) return castTo(e, type("i64"));
  if (e.type.kind === "string" || e.type.kind === "null") return castTo(e, type("string"));
  throw new UserError(`${site.name}'s path must be text ('$.a', 'a') or an array's index, not ${typeName(e.type)}`, site.position);
}

/** `j -> path` (the JSON there) and `j ->> path` (its text). */
export function jsonArrow(operator: "->" | "->>", left: Expr, right: Expr, position: SourcePosition | undefined): Expr {
  const site = { name: operator, position };
  const args = [document(left, site), path(right, site)];
  return operator === "->" ? call("json_extract", args, jsonType()) : call("json_extract_string", args, type("string"));
}

/** CAST(x AS JSON): text checked as a document and kept as written, any other value written as one (to_json()). */
export function castToJson(value: Expr): Expr {
  if (value.type.kind === "string" || value.type.kind === "null") return value.type.json ? value : call("cast_json", [castTo(value, type("string"))], jsonType(value.type.nullable));
  return call("to_json", [value], jsonType(value.type.nullable));
}

type JsonFunction = (args: Expr[], site: FunctionSite) => Expr;

const extract =
  (fn: "json_extract" | "json_extract_string"): JsonFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 2);
    return jsonArrow(fn === "json_extract" ? "->" : "->>", args[0], args[1], site.position);
  };

/** A function of a document and, optionally, a path in it. */
const ofDocument =
  (fn: string, result: (nullable: boolean) => SqlType): JsonFunction =>
  (args, site) => {
    checkArity(site.name, args.length, site.position, 1, 2);
    const bound = [document(args[0], site), ...(args[1] === undefined ? [] : [path(args[1], site)])];
    return call(fn, bound, result(anyNullable(bound)));
  };

const valid: JsonFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  const text = castTo(args[0], type("string"));
  if (args[0].type.kind !== "string" && args[0].type.kind !== "null") throw new UserError(`${site.name} needs VARCHAR, not ${typeName(args[0].type)}`, site.position);
  return call("json_valid", [text], type("boolean", text.type.nullable));
};

const contains: JsonFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const bound = args.map((a) => document(a, site));
  return call("json_contains", bound, type("boolean", anyNullable(bound)));
};

const toJson: JsonFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  return asJson(args[0]);
};

/**
 * A value written as JSON (to_json): JSON minified, as DuckDB's to_json writes it (json() of its
 * text, whether DuckDB holds it as JSON or as text there); anything else by DuckDB's to_json. Its
 * structs and maps are named already (namedForText).
 */
export function asJson(value: Expr): Expr {
  if (value.type.json) return call("json", [castTo(value, type("string"))], jsonType(value.type.nullable));
  return call("to_json", [value], jsonType(value.type.nullable));
}

/** json(s): the document minified (DuckDB's). */
const json: JsonFunction = (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  if (args[0].type.kind !== "string" && args[0].type.kind !== "null") throw new UserError(`${site.name} needs VARCHAR, not ${typeName(args[0].type)}`, site.position);
  return call("json", [castTo(args[0], type("string"))], jsonType(args[0].type.nullable));
};

/** json_object(k1, v1, …) and json_array(v1, …): documents built of values (keys text). */
const build =
  (fn: "json_object" | "json_array"): JsonFunction =>
  (args, site) => {
    if (fn === "json_object" && args.length % 2 !== 0) throw new UserError(`${site.name} takes keys and values in pairs, not ${args.length} arguments`, site.position);
    const bound = args.map((a, i) => (fn === "json_object" && i % 2 === 0 ? castTo(a, type("string")) : a));
    if (bound.some((a) => a.type.kind === "list" && a.type.element?.kind === "null")) throw new UnsupportedError(`${site.name} of an empty list literal`, site.position);
    return call(fn, bound, jsonType(false));
  };

const JSON_FUNCTIONS = new Map<string, JsonFunction>([
  ["json_extract", extract("json_extract")],
  ["json_extract_path", extract("json_extract")],
  ["json_extract_string", extract("json_extract_string")],
  ["json_extract_path_text", extract("json_extract_string")],
  ["json_value", ofDocument("json_value", (n) => type("string", n))],
  ["json_exists", ofDocument("json_exists", (n) => type("boolean", n))],
  ["json_array_length", ofDocument("json_array_length", (n) => type("i64", n))],
  ["json_keys", ofDocument("json_keys", (n) => listOf(type("string"), n))],
  ["json_type", ofDocument("json_type", (n) => type("string", n))],
  ["json_structure", ofDocument("json_structure", (n) => jsonType(n))],
  ["json_valid", valid],
  ["json_contains", contains],
  ["to_json", toJson],
  ["json", json],
  ["json_object", build("json_object")],
  ["json_array", build("json_array")],
]);

export function isJsonFunction(name: string): boolean {
  return JSON_FUNCTIONS.has(name);
}

export function bindJsonFunction(name: string, args: Expr[], position: SourcePosition | undefined): Expr {
  return JSON_FUNCTIONS.get(name)!(args, { name, position });
}

/** The Substrait names of the calls bound here, which exec runs as DuckDB's functions of the same names. */
export const JSON_FUNCTION_NAMES = [
  "json_extract", "json_extract_string", "json_value", "json_exists", "json_array_length", "json_keys", "json_type", "json_structure",
  "json_valid", "json_contains", "to_json", "json", "json_object", "json_array", "cast_json",
];

