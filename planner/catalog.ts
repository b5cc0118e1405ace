// What the planner knows of the tables it binds against. Schemas are Substrait NamedStructs:
// the same shape a ReadRel carries, so whoever serves tables (a folder of parquet files, a
// cluster's dataset manifests) describes them in the contract's own terms.
import { partitionPoint } from "../common/search.ts";
import { namedColumns, type NamedStruct, type Type } from "../proto/index.ts";

export interface CatalogTable {
  /** The table's full name as a plan names it, e.g. ["lineitem"] or ["tpch", "lineitem"]. */
  names: string[];
  /** Top-level column names and their types; names resolve case-insensitively. */
  schema: NamedStruct;
  /** Estimated row count, for join ordering and the choice of broadcast; undefined if unknown. */
  rowCount?: number;
  /** Per column name: its smallest and largest values, where statistics give them (for estimates only). */
  columnRanges?: Readonly<Record<string, ColumnRange>>;
  /**
   * Columns the table's chunks are clustered on (see clusteredColumns): a join on one of them
   * can read the other side's chunks by key range where the rows are, instead of moving rows.
   */
  clustered?: readonly string[];
  /**
   * Per column whose type trustql cannot run (its schema type is then a placeholder): the type's
   * name where it was read (DuckDB's), for the error of a query that names the column.
   */
  unrunnableTypes?: Readonly<Record<string, string>>;
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
    ? (text: string) => daysOfDateText(text) ?? NaN
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

/** A column's statistics in one chunk: DuckDB's text of its smallest and largest value, and its NULLs. */
export interface PartStats {
  min: string | null;
  max: string | null;
  nullCount: number;
}

/** Inclusive bounds of integer keys (dates as days since 1970-01-01). */
export interface KeyRange {
  min: bigint;
  max: bigint;
}

/**
 * The range of key values a chunk of `rows` rows may hold in an integer or date column, exactly:
 * null when every value is NULL (an equality meets nothing there), "unknown" when the statistics
 * do not say (it may hold any key).
 */
export function chunkKeyRange(type: Type | undefined, stats: PartStats | undefined, rows: number): KeyRange | null | "unknown" {
  if (!isRangeKeyType(type)) return "unknown";
  if (stats && stats.nullCount >= rows) return null;
  if (!stats || stats.min === null || stats.max === null) return "unknown";
  const min = keyOf(type!, stats.min);
  const max = keyOf(type!, stats.max);
  return min === undefined || max === undefined || min > max ? "unknown" : { min, max };
}

function keyOf(type: Type, text: string): bigint | undefined {
  if (type.date) {
    const days = daysOfDateText(text);
    return days === undefined ? undefined : BigInt(days);
  }
  return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
}

/** Days since 1970-01-01 of a date as statistics write it (YYYY-MM-DD), or undefined. */
function daysOfDateText(text: string): number | undefined {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) ? Math.round(ms / 86_400_000) : undefined;
}

/** Types whose chunk statistics can place a join key (chunkKeyRange). */
export function isRangeKeyType(type: Type | undefined): boolean {
  return !!type && !!(type.i8 || type.i16 || type.i32 || type.i64 || type.date);
}

/**
 * On average a chunk's key range meets at most this many chunks' (itself and the neighbours
 * sharing a boundary key) when a table is clustered on the key, and at most half of them.
 */
export const CLUSTERED_MAX_OVERLAP = 3;

/**
 * The integer and date columns a table's chunks are clustered on: each chunk's range of the
 * column meets few others' (rows sorted or loaded in key order, as a primary key usually is),
 * so that a read of the chunks holding some keys reads few of them.
 */
export function clusteredColumns(schema: NamedStruct, chunks: readonly { rows: number; stats: Readonly<Record<string, PartStats>> }[]): string[] {
  const keyColumns = namedColumns(schema).filter(({ type }) => isRangeKeyType(type));
  return keyColumns.filter(({ name, type }) => {
    const ranges: KeyRange[] = [];
    for (const chunk of chunks) {
      const range = chunkKeyRange(type, chunk.stats[name], chunk.rows);
      if (range === "unknown") return false;
      if (range) ranges.push(range);
    }
    const overlap = meanOverlap(ranges);
    return overlap <= CLUSTERED_MAX_OVERLAP && overlap <= ranges.length / 2;
  }).map(({ name }) => name);
}

/** How many of `ranges` (itself included) each one meets, on average. */
function meanOverlap(ranges: readonly KeyRange[]): number {
  if (ranges.length <= 1) return ranges.length;
  const ascending = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
  const mins = ranges.map((r) => r.min).sort(ascending);
  const maxes = ranges.map((r) => r.max).sort(ascending);
  // Those meeting [min, max]: every range starting at or before max, but for those ending before min.
  let total = 0;
  for (const r of ranges) total += countBelow(mins, r.max, true) - countBelow(maxes, r.min, false);
  return total / ranges.length;
}

/** How many values of `sorted` are below `value` (or equal to it, when `inclusive`). */
function countBelow(sorted: readonly bigint[], value: bigint, inclusive: boolean): number {
  return partitionPoint(sorted.length, (i) => sorted[i] < value || (inclusive && sorted[i] === value));
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
