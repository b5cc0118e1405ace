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

/** A catalog over a fixed list of tables; names match case-insensitively. */
export class MemoryCatalog implements Catalog {
  readonly #tables: CatalogTable[];

  constructor(tables: CatalogTable[]) {
    this.#tables = [...tables];
  }

  lookup(names: string[]): CatalogTable | undefined {
    const wanted = names.map((n) => n.toLowerCase());
    const matches = (table: CatalogTable) => {
      const have = table.names.map((n) => n.toLowerCase());
      // A query may leave off leading qualifiers ("lineitem" for tpch.lineitem).
      if (wanted.length > have.length) return false;
      return wanted.every((part, i) => part === have[have.length - wanted.length + i]);
    };
    const exact = this.#tables.filter(
      (t) => t.names.length === names.length && matches(t),
    );
    if (exact.length === 1) return exact[0];
    const suffix = this.#tables.filter(matches);
    return suffix.length === 1 ? suffix[0] : undefined;
  }

  tables(): CatalogTable[] {
    return [...this.#tables];
  }
}
