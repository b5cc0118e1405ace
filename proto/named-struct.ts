// A Substrait NamedStruct (a ReadRel's base schema, a table's schema) and a RelRoot's names list
// the names of a relation's columns and of every struct field within their types, depth first:
// a column's name, then its fields' names (each followed by the names within its own type), then
// the next column's. Substrait's types carry no names; this is the one place they are paired
// with them again. Without structs the two orders are the same.
import { invariant } from "../common/errors.ts";
import type { NamedStruct, Type } from "./index.ts";

/** A column of a NamedStruct: its name, its type, and the struct field names within the type, depth first. */
export interface NamedColumn {
  readonly name: string;
  readonly type: Type;
  /** Empty unless the type holds a struct. */
  readonly fieldNames: readonly string[];
}

/** How many struct field names a type holds, depth first: how many of a NamedStruct's names follow a column's own. */
export function fieldNameCount(type: Type): number {
  if (type.list?.type) return fieldNameCount(type.list.type);
  if (type.struct) return type.struct.types.reduce((n, t) => n + 1 + fieldNameCount(t), 0);
  if (type.map?.key && type.map.value) return fieldNameCount(type.map.key) + fieldNameCount(type.map.value);
  return 0;
}

/**
 * The name of a struct's field at `index` (from 0) where a consumer names fields by position:
 * trustql's executor runs every struct so (exec/substrait/structs.ts).
 */
export function positionalFieldName(index: number): string {
  return `f${index}`;
}

/** The names within a type whose structs' fields are named by position (positionalFieldName), depth first. */
export function positionalFieldNames(type: Type): string[] {
  if (type.list?.type) return positionalFieldNames(type.list.type);
  if (type.struct) return type.struct.types.flatMap((t, i) => [positionalFieldName(i), ...positionalFieldNames(t)]);
  if (type.map?.key && type.map.value) return [...positionalFieldNames(type.map.key), ...positionalFieldNames(type.map.value)];
  return [];
}

/** Depth-first names split by column: each column's name and the names within its type. */
export function namedColumnsOf(names: readonly string[], types: readonly Type[]): NamedColumn[] {
  let next = 0;
  const columns = types.map((type) => {
    const count = fieldNameCount(type);
    invariant(next + 1 + count <= names.length, `${names.length} names for columns of ${types.length} types holding more struct fields`);
    const column = { name: names[next], type, fieldNames: names.slice(next + 1, next + 1 + count) };
    next += 1 + count;
    return column;
  });
  invariant(next === names.length, `${names.length} names for ${next} columns and struct fields`);
  return columns;
}

/** A NamedStruct's columns. */
export function namedColumns(schema: NamedStruct): NamedColumn[] {
  return namedColumnsOf(schema.names, schema.struct?.types ?? []);
}

/** The top-level column names of depth-first names. */
export function columnNames(schema: NamedStruct): string[] {
  return namedColumns(schema).map((c) => c.name);
}

/** Depth-first names of columns. */
export function depthFirstNames(columns: readonly { name: string; fieldNames?: readonly string[] }[]): string[] {
  return columns.flatMap((c) => [c.name, ...(c.fieldNames ?? [])]);
}

/** The NamedStruct of columns (REQUIRED: a relation's row is never NULL). */
export function namedStructOf(columns: readonly { name: string; type: Type; fieldNames?: readonly string[] }[]): NamedStruct {
  for (const c of columns) invariant((c.fieldNames?.length ?? 0) === fieldNameCount(c.type), `column ${c.name}: ${c.fieldNames?.length ?? 0} struct field names for a type of ${fieldNameCount(c.type)}`);
  return { names: depthFirstNames(columns), struct: { types: columns.map((c) => c.type), typeVariationReference: 0, nullability: 2 } };
}
