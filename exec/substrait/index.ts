// A Substrait plan as one DuckDB SELECT. The translation is positional and typed by the plan:
// nothing of the SQL the plan may have come from is consulted.
import { UserError } from "../../common/errors.ts";
import { namedColumnsOf, type NamedColumn, type Plan, type Type } from "../../proto/index.ts";
import type { RelSql } from "./expressions.ts";
import { asNamedOutput, holdsStruct } from "./structs.ts";
import { FunctionDeclarations } from "./extensions.ts";
import { RelationWriter } from "./relations.ts";
import type { TableResolver } from "./tables.ts";

export type { TableColumn, TableResolver, TableSource } from "./tables.ts";

export interface TranslatedPlan {
  /** A SELECT whose columns are c0, c1, … in the plan's output order. */
  sql: string;
  /** The output names the plan's root gives (or c0, c1, … when it gives none). */
  names: string[];
  /** Each output column's type as the plan declares it, when it does. */
  types: (Type | undefined)[];
  /** Each output column's struct field names, depth first, where the root names them (else its structs' fields are f0, f1, …). */
  fieldNames?: (readonly string[])[];
}

export interface TranslateOptions {
  /**
   * Inner joins keep the plan's tree (for DuckDB without its join-order optimizer): a join whose
   * right side is itself a join reads that side as a SELECT of its own. Otherwise every tree of
   * inner joins becomes one FROM list, for DuckDB to order.
   */
  joinTree?: boolean;
}

export function translatePlan(plan: Plan, tables: TableResolver, options: TranslateOptions = {}): TranslatedPlan {
  const roots = plan.relations.filter((r) => r.root !== undefined);
  if (roots.length !== 1) throw new UserError(`a plan to run needs exactly one root relation, this one has ${roots.length}`);
  const root = roots[0].root!;
  if (!root.input) throw new UserError("the plan's root relation has no input");
  const writer = new RelationWriter(new FunctionDeclarations(plan), tables, options.joinTree ?? false);
  const rel = writer.write(root.input);
  const width = rel.types.length;
  if (root.names.length > width || rel.types.some(holdsStruct)) return withStructFieldNames(rel, root.names);
  const names = root.names.length === width ? [...root.names] : Array.from({ length: width }, (_, i) => root.names[i] ?? `c${i}`);
  return { sql: rel.sql, names, types: rel.types };
}

/** A root of structs or maps: its structs' fields named as its names (depth first) name them, its maps maps again (structs.ts). */
function withStructFieldNames(rel: RelSql, rootNames: readonly string[]): TranslatedPlan {
  if (rel.types.some((t) => t === undefined)) throw new UserError(`the plan's root names ${rootNames.length} columns and struct fields, but the types of its ${rel.types.length} columns are not all known`);
  let columns: NamedColumn[];
  try {
    columns = namedColumnsOf(rootNames, rel.types as Type[]);
  } catch {
    throw new UserError(`the plan's root has ${rootNames.length} names, which are not its ${rel.types.length} columns' names and their struct fields' (depth first)`);
  }
  const items = columns.map((c, i) => `${holdsStruct(c.type) ? asNamedOutput(`r.c${i}`, c.type, c.fieldNames) : `r.c${i}`} AS c${i}`);
  return { sql: `SELECT ${items.join(", ")} FROM (${rel.sql}) r`, names: columns.map((c) => c.name), types: rel.types, fieldNames: columns.map((c) => c.fieldNames) };
}
