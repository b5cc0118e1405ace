// DuckDB's maps: `MAP {k: v}`, map(keys, values), map_from_entries, m[k], element_at and the
// other functions of maps by DuckDB's names, each typed as DuckDB types it. A plan runs a map as
// the list of its entries (exec/substrait/structs.ts); DuckDB checks a map's keys where one is
// made (unique, never NULL), so every map here is made by DuckDB's own functions.
import { UserError, invariant, type SourcePosition } from "../../common/errors.ts";
import type { Expr } from "../logical.ts";
import { commonSupertype, elementOf, entryTypesOf, fieldsOf, listOf, mapOf, structOf, type, typeName, type SqlType } from "../types.ts";
import { call, castTo } from "./operators.ts";
import { checkArity, type FunctionSite } from "./library.ts";
import { listValue } from "./lists.ts";

/** The most entries a map literal may hold: a plan is a message of bounded size. */
const MAX_MAP_LITERAL_ENTRIES = 10_000;

/** `MAP {k: v, …}`, its keys and values given in turn (the pre-pass writes it so). */
export function mapLiteral(keysAndValues: readonly Expr[], position: SourcePosition | undefined): Expr {
  invariant(keysAndValues.length % 2 === 0, "a map literal's keys and values come in pairs");
  if (keysAndValues.length / 2 > MAX_MAP_LITERAL_ENTRIES) throw new UserError(`a map literal of more than ${MAX_MAP_LITERAL_ENTRIES} entries`, position);
  const keys = keysAndValues.filter((_, i) => i % 2 === 0);
  const values = keysAndValues.filter((_, i) => i % 2 === 1);
  return mapOfLists(listValue(keys, position), listValue(values, position), { name: "MAP", position });
}

/** map(keys, values): the keys' list and the values' list, of one length (DuckDB checks it). */
function mapOfLists(keys: Expr, values: Expr, site: FunctionSite): Expr {
  for (const list of [keys, values]) if (list.type.kind !== "list") throw new UserError(`${site.name} needs lists of keys and of values, not ${typeName(list.type)}`, site.position);
  return call("map", [keys, values], mapOf(elementOf(keys.type), elementOf(values.type), keys.type.nullable || values.type.nullable));
}

function requireMap(e: Expr, site: FunctionSite): Expr {
  if (e.type.kind === "map") return e;
  if (e.type.kind === "null") return castTo(e, mapOf(type("null"), type("null")));
  throw new UserError(`${site.name} needs a MAP, not ${typeName(e.type)}`, site.position);
}

/** A key to look up, in the map's key type (as DuckDB casts it). */
function keyFor(map: Expr, key: Expr, site: FunctionSite): Expr {
  const keyType = entryTypesOf(map.type).key;
  if (keyType.kind === "null") return key;
  if (!commonSupertype(keyType, key.type)) throw new UserError(`${site.name} cannot look for ${typeName(key.type)} among keys of ${typeName(keyType)}`, site.position);
  return castTo(key, keyType, site.position);
}

/** `m[k]` (and map_extract_value): key k's value, NULL where the map has none. */
export function mapValueOf(map: Expr, key: Expr, site: FunctionSite): Expr {
  return call("map_extract_value", [map, keyFor(map, key, site)], entryTypesOf(map.type).value);
}

type MapFunction = (args: Expr[], site: FunctionSite) => Expr;

const oneMap = (fn: string, result: (m: SqlType) => SqlType): MapFunction => (args, site) => {
  checkArity(site.name, args.length, site.position, 1);
  const map = requireMap(args[0], site);
  return call(fn, [map], result(map.type));
};

const mapAndKey = (fn: string, result: (m: SqlType) => SqlType): MapFunction => (args, site) => {
  checkArity(site.name, args.length, site.position, 2);
  const map = requireMap(args[0], site);
  return call(fn, [map, keyFor(map, args[1], site)], result(map.type));
};

const MAP_FUNCTIONS = new Map<string, MapFunction>([
  [
    "map",
    (args, site) => {
      checkArity(site.name, args.length, site.position, 0, 2);
      if (args.length === 0) return call("map", [listValue([], site.position), listValue([], site.position)], mapOf(type("null"), type("null"), false));
      checkArity(site.name, args.length, site.position, 2);
      return mapOfLists(args[0], args[1], site);
    },
  ],
  [
    "map_from_entries",
    (args, site) => {
      checkArity(site.name, args.length, site.position, 1);
      const entries = args[0];
      const entry = entries.type.kind === "list" ? elementOf(entries.type) : undefined;
      if (entry?.kind !== "struct" || fieldsOf(entry).length !== 2) throw new UserError(`map_from_entries needs a list of structs of a key and a value, not ${typeName(entries.type)}`, site.position);
      const [key, value] = fieldsOf(entry);
      return call("map_from_entries", [entries], mapOf(key.type, value.type, entries.type.nullable));
    },
  ],
  [
    "map_concat",
    (args, site) => {
      if (args.length === 0) throw new UserError("map_concat takes at least one map", site.position);
      const maps = args.map((m) => requireMap(m, site));
      const common = maps.map((m) => m.type).reduce<SqlType | undefined>((t, u) => t && commonSupertype(t, u), maps[0].type);
      if (!common) throw new UserError(`map_concat of ${maps.map((m) => typeName(m.type)).join(" and ")}`, site.position);
      return call("map_concat", maps.map((m) => castTo(m, common)), common);
    },
  ],
  ["map_extract_value", mapAndKey("map_extract_value", (m) => entryTypesOf(m).value)],
  ["map_extract", mapAndKey("map_extract", (m) => listOf(entryTypesOf(m).value, false))],
  ["element_at", mapAndKey("map_extract", (m) => listOf(entryTypesOf(m).value, false))],
  ["map_contains", mapAndKey("map_contains", (m) => type("boolean", m.nullable))],
  ["map_keys", oneMap("map_keys", (m) => listOf(entryTypesOf(m).key, m.nullable))],
  ["map_values", oneMap("map_values", (m) => listOf(entryTypesOf(m).value, m.nullable))],
  ["map_entries", oneMap("map_entries", (m) => listOf(structOf([{ name: "key", type: entryTypesOf(m).key }, { name: "value", type: entryTypesOf(m).value }]), m.nullable))],
  // DuckDB's is a UBIGINT, which trustql has not: a BIGINT (typeof says so).
  ["cardinality", oneMap("cardinality", (m) => type("i64", m.nullable))],
]);

export function isMapFunction(name: string): boolean {
  return MAP_FUNCTIONS.has(name);
}

export function bindMapFunction(name: string, args: Expr[], position: SourcePosition | undefined): Expr {
  return MAP_FUNCTIONS.get(name)!(args, { name, position });
}
