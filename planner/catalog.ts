// What the planner knows of the tables it binds against. Schemas are Substrait NamedStructs:
// the same shape a ReadRel carries, so whoever serves tables (a folder of parquet files, a
// cluster's dataset manifests) describes them in the contract's own terms.
import type { NamedStruct, Type } from "../proto/index.ts";

export interface CatalogTable {
  /** The table's full name as a plan names it, e.g. ["lineitem"] or ["tpch", "lineitem"]. */
  names: string[];
  /** Top-level column names and their types; names resolve case-insensitively. */
  schema: NamedStruct;
  /** Estimated row count, for join ordering and the choice of broadcast; undefined if unknown. */
  rowCount?: number;
  /** Per column name: its smallest and largest values, where statistics give them (for estimates only). */
  columnRanges?: Readonly<Record<string, ColumnRange>>;
}

/**
 * Tables of at most this many rows (nation, region) are held by every node: a query reads them
 * whole where it needs them, instead of cutting a stage to send them there.
 */
export const EVERYWHERE_MAX_ROWS = 1_000;

/** Whether every node holds the table (decided by its row count, alike wherever it is asked). */
export function isHeldEverywhere(table: Pick<CatalogTable, "rowCount">): boolean {
  return table.rowCount !== undefined && table.rowCount <= EVERYWHERE_MAX_ROWS;
}

/** How many of `nodes` hold each chunk of a table of `rows` rows: all of them, or `replicas`. */
export function copiesHeld(rows: number, replicas: number, nodes: number): number {
  return isHeldEverywhere({ rowCount: rows }) ? nodes : Math.min(replicas, nodes);
}

/** A numeric or date column's smallest and largest values as numbers (dates as days since 1970-01-01). */
export interface ColumnRange {
  readonly min: number;
  readonly max: number;
}

/**
 * A column's range from statistics of its parts (chunks, row groups), each given as DuckDB's
 * text of its smallest and largest value; undefined for a column that is not numeric or a date,
 * or has no statistics.
 */
export function columnRangeFromStats(type: Type | undefined, parts: Iterable<{ min: string | null; max: string | null }>): ColumnRange | undefined {
  const asNumber = type?.date
    ? (text: string) => Date.parse(`${text}T00:00:00Z`) / 86_400_000
    : type && (type.decimal || type.i8 || type.i16 || type.i32 || type.i64 || type.fp32 || type.fp64)
      ? Number
      : undefined;
  if (!asNumber) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const part of parts) {
    if (part.min == null || part.max == null) continue;
    min = Math.min(min, asNumber(part.min));
    max = Math.max(max, asNumber(part.max));
  }
  // A value that did not parse made its bound NaN: no range rather than a wrong one.
  return Number.isFinite(min) && Number.isFinite(max) && min <= max ? { min, max } : undefined;
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
