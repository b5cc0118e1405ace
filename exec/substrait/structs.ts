// DuckDB matches a struct's fields by name: in casts, comparisons, a CASE's branches, a UNION's
// sides. A Substrait plan matches them by position and names them only where it names a
// relation's columns (a read's base schema, the root). So within a plan every struct runs with
// its fields named by position (positionalFieldName: f0, f1, …, as duckdbTypeFromSubstrait names
// them without names), and structs are renamed at the two edges: a file's, as it is read; the
// root's, as the plan names its output.
import { fieldNameCount, positionalFieldName, type Type } from "../../proto/index.ts";
import { invariant } from "../../common/errors.ts";
import { quoteIdentifier } from "./literals.ts";

/** Whether a type holds a struct anywhere within it (its field names then need care). */
export function holdsStruct(type: Type | undefined): boolean {
  return type !== undefined && (type.struct !== undefined || (type.list?.type !== undefined && holdsStruct(type.list.type)));
}

/**
 * SQL giving `sql`'s value (of `type`) with every struct within it rebuilt, field by field in
 * order, under `fieldNames` (depth first, as a NamedStruct lists them) or, without them, under
 * f0, f1, …. `sql` is written several times: pass a column, not a computation.
 */
export function renameStructFields(sql: string, type: Type, fieldNames?: readonly string[]): string {
  invariant(!fieldNames || fieldNames.length === fieldNameCount(type), `${fieldNames?.length} struct field names for a type of ${fieldNameCount(type)}`);
  return renamed(sql, type, fieldNames && { list: fieldNames, next: 0 }, 0);
}

function renamed(sql: string, type: Type, names: { list: readonly string[]; next: number } | undefined, depth: number): string {
  if (type.list?.type && holdsStruct(type.list.type)) {
    const element = `__trustql_element${depth}`;
    return `list_transform(${sql}, lambda ${element}: ${renamed(element, type.list.type, names, depth + 1)})`;
  }
  if (!type.struct) return sql;
  const fields = type.struct.types.map((field, i) => {
    // Depth first: the field's name, then those within its type.
    const name = names ? names.list[names.next++] : positionalFieldName(i);
    return `${quoteIdentifier(name)} := ${renamed(`struct_extract_at(${sql}, ${i + 1})`, field, names, depth)}`;
  });
  return `CASE WHEN ${sql} IS NULL THEN NULL ELSE struct_pack(${fields.join(", ")}) END`;
}
