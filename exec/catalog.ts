// The tables an engine can read: parquet files, or rows loaded into DuckDB, registered under a name. It is both the
// planner's catalog (schemas as Substrait NamedStructs, row counts) and the translator's
// resolver (names and placeholders → FROM items).
import { columnNames, namedStructOf, positionalFieldNames, type NamedStruct, type ReadRel_LocalFiles } from "../proto/index.ts";
import type { Catalog, CatalogTable, ColumnRange } from "../planner/catalog.ts";
import { MemoryCatalog } from "../planner/catalog.ts";
import { UserError } from "../common/errors.ts";
import type { TableColumn, TableResolver, TableSource } from "./substrait/index.ts";
import { quoteString } from "./substrait/literals.ts";

export interface ParquetTable {
  names: string[];
  /** The parquet files; empty for rows loaded into a DuckDB table. */
  files: string[];
  /** The FROM item when it is not a scan of `files`. */
  from?: string;
  columns: TableColumn[];
  /** Rows a plan gave (registerBatches): structs and maps as plans run them (exec/substrait/structs.ts). */
  asRunInPlans?: boolean;
  rowCount: number;
  /** Per column: its range, where the files' statistics give one (for the planner's estimates). */
  columnRanges?: Record<string, ColumnRange>;
}

/** DuckDB's read of parquet files; `byName`: of files whose columns differ, each read by its columns' names, NULL for those it lacks. */
export function parquetScan(files: readonly string[], byName = false): string {
  return `read_parquet([${files.map(quoteString).join(", ")}]${byName ? ", union_by_name = true" : ""})`;
}

function displayName(names: readonly string[]): string {
  return names.join(".");
}

export class ParquetTables implements TableResolver {
  readonly #tables: ParquetTable[] = [];
  /** The catalog of #tables, made once per change of them: every read of a plan looks a table up in it. */
  #catalog: Catalog | undefined;

  add(table: ParquetTable): void {
    const key = displayName(table.names).toLowerCase();
    if (this.#tables.some((t) => displayName(t.names).toLowerCase() === key)) {
      throw new UserError(`table ${displayName(table.names)} is registered twice`);
    }
    this.#tables.push(table);
    this.#catalog = undefined;
  }

  clear(): void {
    this.#tables.length = 0;
    this.#catalog = undefined;
  }

  catalog(): Catalog {
    return (this.#catalog ??= new MemoryCatalog(this.#tables.map(catalogTable)));
  }

  namedTable(names: readonly string[]): TableSource {
    const table = this.#find(names);
    if (!table) {
      const known = this.#tables.map((t) => displayName(t.names)).join(", ") || "none";
      throw new UserError(`the plan reads table ${displayName(names)}, which is not registered (tables: ${known})`);
    }
    return source(table);
  }

  /** Whether the table a plan names `names` is read from parquet files (not rows loaded into DuckDB); false when none is. */
  readsFiles(names: readonly string[]): boolean {
    return (this.#find(names)?.files.length ?? 0) > 0;
  }

  /** The registered table a plan names `names`, matched as the catalog matches names. */
  #find(names: readonly string[]): ParquetTable | undefined {
    const entry = this.catalog().lookup([...names]);
    return entry && this.#tables.find((t) => displayName(t.names) === displayName(entry.names));
  }

  localFiles(files: ReadRel_LocalFiles, baseSchema: NamedStruct | undefined): TableSource {
    const paths = files.items.map((item) => (item.uriFile ?? item.uriPath ?? item.uriPathGlob ?? item.uriFolder ?? "").replace(/^file:\/\//, ""));
    // A registered table with exactly these files, or else (plans written with placeholder
    // file names) the one registered table whose columns are the plan's base schema.
    const byFiles = this.#tables.find((t) => t.files.length > 0 && t.files.length === paths.length && t.files.every((f) => paths.includes(f)));
    if (byFiles) return source(byFiles);
    const wanted = new Set((baseSchema ? columnNames(baseSchema) : []).map((n) => n.toLowerCase()));
    const bySchema = this.#tables.filter(
      (t) => t.files.length > 0 && t.columns.length === wanted.size && t.columns.every((c) => wanted.has(c.name.toLowerCase())),
    );
    if (bySchema.length === 1) return source(bySchema[0]);
    throw new UserError(
      `the plan reads local file ${paths[0] ?? "(none)"}; pass it with --data (no registered table has these files${bySchema.length > 1 ? ", and several have its columns" : " or its columns"})`,
    );
  }
}

function source(table: ParquetTable): TableSource {
  return { from: table.from ?? parquetScan(table.files), columns: table.columns, ...(table.asRunInPlans ? { asRunInPlans: true } : {}) };
}

function catalogTable(table: ParquetTable): CatalogTable {
  // Rows a task was given (registerBatches) hold structs as a plan runs them, their fields by position.
  const schema = namedStructOf(table.columns.map((c) => ({ ...c, fieldNames: c.fieldNames ?? positionalFieldNames(c.type) })));
  const unrunnable = table.columns.filter((c) => c.unrunnableType !== undefined);
  return {
    names: table.names,
    schema,
    rowCount: table.rowCount,
    columnRanges: table.columnRanges,
    ...(unrunnable.length > 0 ? { unrunnableTypes: Object.fromEntries(unrunnable.map((c) => [c.name, c.unrunnableType!])) } : {}),
  };
}
