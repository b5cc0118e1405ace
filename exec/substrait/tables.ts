// What a ReadRel reads, as the translator sees it: a FROM item and its real columns. The
// engine decides where names and files point; the translator only asks.
import type { NamedStruct, ReadRel_LocalFiles, Type } from "../../proto/index.ts";

export interface TableColumn {
  name: string;
  type: Type;
  /** The struct field names within `type`, depth first (as a NamedStruct lists them); none when it holds no struct. */
  fieldNames?: readonly string[];
  /** DuckDB's name of the column's type when trustql cannot run it (`type` is then no type of Substrait's): for the error that names it. */
  unrunnableType?: string;
}

export interface TableSource {
  /** A DuckDB FROM item, e.g. `read_parquet(['/data/lineitem.parquet'])`. */
  from: string;
  columns: TableColumn[];
  /** Its structs and maps are as a plan runs them (rows a plan gave), not as DuckDB keeps them (a file's): see structs.ts. */
  asRunInPlans?: boolean;
}

export interface TableResolver {
  /** A named table (`["lineitem"]`, `["tpch", "lineitem"]`); throws a UserError naming it when unknown. */
  namedTable(names: readonly string[]): TableSource;
  /** Files a plan names directly; `baseSchema` lets placeholders resolve to a registered table. */
  localFiles(files: ReadRel_LocalFiles, baseSchema: NamedStruct | undefined): TableSource;
}
