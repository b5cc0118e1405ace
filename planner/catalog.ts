// What the planner knows of the tables it binds against. Schemas are Substrait NamedStructs:
// the same shape a ReadRel carries, so whoever serves tables (a folder of parquet files, a
// cluster's dataset manifests) describes them in the contract's own terms.
import type { NamedStruct } from "../proto/index.ts";

export interface CatalogTable {
  /** The table's full name as a plan names it, e.g. ["lineitem"] or ["tpch", "lineitem"]. */
  names: string[];
  /** Top-level column names and their types; names resolve case-insensitively. */
  schema: NamedStruct;
  /** Estimated row count, for join ordering and the choice of broadcast; undefined if unknown. */
  rowCount?: number;
}

export interface Catalog {
  /**
   * The table a query names (one or more dotted parts, matched case-insensitively), or
   * undefined. A catalog may accept an unqualified name when exactly one table has it.
   */
  lookup(names: string[]): CatalogTable | undefined;
  /** Every table, for error messages that suggest a name and for tooling. */
  tables(): CatalogTable[];
}
