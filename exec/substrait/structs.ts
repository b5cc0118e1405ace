// DuckDB matches a struct's fields by name: in casts, comparisons, a CASE's branches, a UNION's
// sides. A Substrait plan matches them by position and names them only where it names a
// relation's columns (a read's base schema, the root). So within a plan every struct runs with
// its fields named by position (positionalFieldName: f0, f1, …, as duckdbTypeFromSubstrait names
// them without names), and structs are renamed at the two edges: a file's, as it is read; the
// root's, as the plan names its output. A map runs as the list of its entries, structs of key
// and value (which every stage and exchange carries as lists of structs), made a map again at
// the root; the map functions make one of it where they need one.
import { fieldNameCount, positionalFieldName, type Type } from "../../proto/index.ts";
import { invariant } from "../../common/errors.ts";
import { quoteIdentifier } from "./literals.ts";

/**
 * trustql's scalar function with_field_names(value, names…): the value as a plan's output has it
 * (asNamedOutput), for what writes it as text or JSON: its names (depth first) are string literals.
 */
export const WITH_FIELD_NAMES = "with_field_names";

/** Whether a type holds a struct or a map anywhere within it: what runs otherwise than DuckDB keeps it. */
export function holdsStruct(type: Type | undefined): boolean {
  return type !== undefined && (type.struct !== undefined || type.map !== undefined || (type.list?.type !== undefined && holdsStruct(type.list.type)));
}

/**
 * SQL giving `sql`'s value (of `type`) as a plan runs it, from DuckDB's own (a file's): every
 * struct within it rebuilt field by field under f0, f1, …, every map as the list of its entries.
 * `sql` is written several times: pass a column, not a computation.
 */
export function asRunInPlans(sql: string, type: Type): string {
  return renamed(sql, type, undefined, 0);
}

/**
 * SQL giving `sql`'s value (of `type`, as a plan runs it) as the plan's output names it: every
 * struct within it rebuilt under `fieldNames` (depth first, as a NamedStruct lists them), every
 * map made a map again. `sql` is written several times: pass a column, not a computation.
 */
export function asNamedOutput(sql: string, type: Type, fieldNames: readonly string[]): string {
  invariant(fieldNames.length === fieldNameCount(type), `${fieldNames.length} struct field names for a type of ${fieldNameCount(type)}`);
  return renamed(sql, type, { list: fieldNames, next: 0 }, 0);
}

/** A map's entries as a plan runs them (its keys and values already so), from a DuckDB MAP. */
export function planEntries(map: string): string {
  return `list_transform(map_entries(${map}), lambda __trustql_entry: ${entryStruct("__trustql_entry.key", "__trustql_entry.value")})`;
}

/** Aggregates whose DuckDB result is a map it makes (not a map it was given): `call` of one, as a plan runs maps. */
export function asRunAggregate(name: string, call: string): string {
  return name === "histogram" ? planEntries(call) : call;
}

function entryStruct(key: string, value: string): string {
  return `struct_pack(${quoteIdentifier(positionalFieldName(0))} := ${key}, ${quoteIdentifier(positionalFieldName(1))} := ${value})`;
}

/** `names` given: from a plan's form to the output's; otherwise from DuckDB's form to a plan's. */
function renamed(sql: string, type: Type, names: { list: readonly string[]; next: number } | undefined, depth: number): string {
  if (type.list?.type && holdsStruct(type.list.type)) {
    const element = `__trustql_element${depth}`;
    return `list_transform(${sql}, lambda ${element}: ${renamed(element, type.list.type, names, depth + 1)})`;
  }
  if (type.map?.key && type.map.value) {
    const entry = `__trustql_entry${depth}`;
    // Depth first: the key's names, then the value's.
    if (names) {
      if (!holdsStruct(type.map.key) && !holdsStruct(type.map.value)) return `map_from_entries(${sql})`;
      const key = renamed(`struct_extract_at(${entry}, 1)`, type.map.key, names, depth + 1);
      const value = renamed(`struct_extract_at(${entry}, 2)`, type.map.value, names, depth + 1);
      return `map_from_entries(list_transform(${sql}, lambda ${entry}: struct_pack("key" := ${key}, "value" := ${value})))`;
    }
    const key = renamed(`${entry}.key`, type.map.key, undefined, depth + 1);
    const value = renamed(`${entry}.value`, type.map.value, undefined, depth + 1);
    return `list_transform(map_entries(${sql}), lambda ${entry}: ${entryStruct(key, value)})`;
  }
  if (!type.struct) return sql;
  const fields = type.struct.types.map((field, i) => {
    // Depth first: the field's name, then those within its type.
    const name = names ? names.list[names.next++] : positionalFieldName(i);
    return { name, value: renamed(`struct_extract_at(${sql}, ${i + 1})`, field, names, depth) };
  });
  // DuckDB's unnamed struct (its fields' names all empty) is made by row(…): struct_pack names every field.
  const packed = fields.every((f) => f.name === "") ? `row(${fields.map((f) => f.value).join(", ")})` : `struct_pack(${fields.map((f) => `${quoteIdentifier(f.name)} := ${f.value}`).join(", ")})`;
  return `CASE WHEN ${sql} IS NULL THEN NULL ELSE ${packed} END`;
}
