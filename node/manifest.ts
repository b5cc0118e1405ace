// A dataset's manifest as the ledger records it (trustql.ledger.v1.DatasetManifest): its tables'
// schemas, every chunk by content hash with its row count and column statistics, and where the
// chunks live (the `replicas` members nearest each chunk's hash). Built by the client that adds
// the dataset, read by every node that plans a query over it.
import { UserError } from "../common/errors.ts";
import type { Chunk } from "../exec/chunks/index.ts";
import type { PlacedTable } from "../exec/stages/index.ts";
import { clusteredColumns, columnRangeFromStats, copiesHeld, type CatalogTable, type ColumnRange } from "../planner/catalog.ts";
import { NamedStruct, namedColumns } from "../proto/index.ts";
import type { DatasetManifest } from "../ledger/schema.ts";
import { chunkHolders, member, type Member } from "../shuffle/index.ts";

/** Limits a manifest from a peer is held to. */
export const MAX_MANIFEST_TABLES = 256;
export const MAX_MANIFEST_CHUNKS = 100_000;
export const MAX_REPLICAS = 16;
const DATASET_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ManifestTable {
  name: string;
  schema: NamedStruct;
  chunks: Chunk[];
  /** Per column of a type trustql cannot run: the type's name (see CatalogTable.unrunnableTypes). */
  unrunnableTypes?: Readonly<Record<string, string>>;
}

/** The longest type name a manifest may give an unrunnable column (DuckDB's names of nested types grow with their fields). */
const MAX_TYPE_NAME_LENGTH = 4_096;

export function buildManifest(name: string, tables: readonly ManifestTable[], members: readonly string[], replicas: number): DatasetManifest {
  if (!DATASET_NAME.test(name)) throw new UserError(`dataset name '${name}': expected lowercase letters, digits and _ (not first), at most 63`);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) throw new UserError(`--replicas ${replicas}: expected 1 to ${MAX_REPLICAS}`);
  if (members.length === 0) throw new UserError("no node to place the chunks on");
  const schemas = tables.map((t) => NamedStruct.encode(t.schema).finish());
  const schema = new Uint8Array(schemas.reduce((n, s) => n + 4 + s.length, 0));
  let at = 0;
  for (const s of schemas) {
    new DataView(schema.buffer).setUint32(at, s.length);
    schema.set(s, at + 4);
    at += 4 + s.length;
  }
  const chunks = tables.flatMap((t, table) =>
    t.chunks.map((c) => ({
      table,
      ref: {
        hash: Uint8Array.from(Buffer.from(c.hash, "hex")),
        rows: BigInt(c.rows),
        sizeBytes: BigInt(c.bytes),
        stats: Object.entries(c.stats).map(([column, s]) => ({ column, hasMinMax: s.min !== null, min: s.min ?? "", max: s.max ?? "", nullCount: BigInt(s.nullCount) })),
      },
    })),
  );
  return {
    name,
    tables: tables.map((t) => t.name),
    schema,
    chunks: chunks.map((c) => c.ref),
    chunkTable: chunks.map((c) => c.table),
    replicas,
    members: [...members],
    unrunnableColumns: tables.flatMap((t, table) => Object.entries(t.unrunnableTypes ?? {}).map(([column, type]) => ({ table, column, type }))),
  };
}

export interface ReadTable {
  /** [dataset, table] */
  names: string[];
  schema: NamedStruct;
  rows: number;
  chunks: { hash: string; rows: number; bytes: number; stats: Chunk["stats"] }[];
  unrunnableTypes: Record<string, string>;
}

/** The manifest's tables, checked: a manifest that does not hold together is refused with the reason. */
export function readManifest(manifest: DatasetManifest): ReadTable[] {
  const fail = (why: string): never => {
    throw new UserError(`dataset manifest ${manifest.name}: ${why}`);
  };
  if (!DATASET_NAME.test(manifest.name)) fail("not a valid dataset name");
  if (manifest.tables.length === 0 || manifest.tables.length > MAX_MANIFEST_TABLES) fail(`${manifest.tables.length} tables`);
  if (manifest.chunks.length > MAX_MANIFEST_CHUNKS || manifest.chunkTable.length !== manifest.chunks.length) fail("chunks and their tables do not line up");
  if (manifest.replicas < 1 || manifest.replicas > MAX_REPLICAS || manifest.members.length === 0) fail("no placement");
  const schemas: NamedStruct[] = [];
  const view = new DataView(manifest.schema.buffer, manifest.schema.byteOffset, manifest.schema.byteLength);
  for (let at = 0; at < manifest.schema.length; ) {
    if (at + 4 > manifest.schema.length) fail("a truncated schema");
    const length = view.getUint32(at);
    if (at + 4 + length > manifest.schema.length) fail("a truncated schema");
    schemas.push(NamedStruct.decode(manifest.schema.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  if (schemas.length !== manifest.tables.length) fail(`${schemas.length} schemas for ${manifest.tables.length} tables`);
  const tables: ReadTable[] = manifest.tables.map((name, i) => ({ names: [manifest.name, name], schema: schemas[i], rows: 0, chunks: [], unrunnableTypes: {} }));
  for (const { table, column, type } of manifest.unrunnableColumns) {
    const read = tables[table] ?? fail(`an unrunnable column of table ${table}, which is not there`);
    if (!namedColumns(read.schema).some((c) => c.name === column)) fail(`an unrunnable column ${column} that ${read.names[1]} does not have`);
    if (type.length === 0 || type.length > MAX_TYPE_NAME_LENGTH) fail(`column ${column}'s type name is ${type.length} characters`);
    read.unrunnableTypes[column] = type;
  }
  manifest.chunks.forEach((chunk, i) => {
    const table = tables[manifest.chunkTable[i]] ?? fail(`chunk ${i} of a table that is not there`);
    if (chunk.hash.length !== 32) fail(`chunk ${i} is not named by a 32-byte hash`);
    const stats: Chunk["stats"] = {};
    for (const s of chunk.stats) stats[s.column] = { min: s.hasMinMax ? s.min : null, max: s.hasMinMax ? s.max : null, nullCount: Number(s.nullCount) };
    table.chunks.push({ hash: Buffer.from(chunk.hash).toString("hex"), rows: Number(chunk.rows), bytes: Number(chunk.sizeBytes), stats });
    table.rows += Number(chunk.rows);
  });
  return tables;
}

export function catalogTables(manifest: DatasetManifest): CatalogTable[] {
  return readManifest(manifest).map((t) => ({
    names: t.names,
    schema: t.schema,
    rowCount: t.rows,
    columnRanges: columnRanges(t),
    clustered: clusteredColumns(t.schema, t.chunks),
    ...(Object.keys(t.unrunnableTypes).length > 0 ? { unrunnableTypes: t.unrunnableTypes } : {}),
  }));
}

/** Each numeric or date column's range over all the table's chunks (for the planner's estimates). */
function columnRanges(table: ReadTable): Record<string, ColumnRange> {
  const ranges: Record<string, ColumnRange> = {};
  namedColumns(table.schema).forEach(({ name, type }) => {
    const range = columnRangeFromStats(type, table.chunks.map((c) => c.stats[name] ?? { min: null, max: null }));
    if (range) ranges[name] = range;
  });
  return ranges;
}

/**
 * Where a chunk of a table of `rows` rows should be now: the `replicas` live nodes nearest its
 * hash (every live node for a small table, see copiesHeld). When a holder is gone, the next
 * nearest live node becomes one, and fetches the chunk (re-replication).
 */
export function currentHolders(hash: string, rows: number, manifest: DatasetManifest, live: readonly string[]): string[] {
  return chunkHolders(hash, live.map(member), copiesHeld(rows, manifest.replicas, live.length)).map((m) => m.peerId);
}

/**
 * The nodes a chunk of a table of `rows` rows was placed on when its dataset was added, nearest
 * its hash first (`members`: the manifest's, as placement members, when the caller has them).
 */
export function placedHolders(hash: string, rows: number, manifest: DatasetManifest, members: readonly Member[] = manifest.members.map(member)): string[] {
  return chunkHolders(hash, members, copiesHeld(rows, manifest.replicas, members.length)).map((m) => m.peerId);
}

/**
 * The manifest's tables for a query over `workers` (peer ids, live): each chunk's holders are
 * the live nodes it was placed on, nearest its hash first, then the live nodes that should hold
 * it now (re-replicated copies), as worker indexes.
 */
export function placedTables(manifest: DatasetManifest, workers: readonly string[]): Map<string, PlacedTable> {
  const members: Member[] = manifest.members.map(member);
  const index = new Map(workers.map((w, i) => [w, i]));
  const placed = new Map<string, PlacedTable>();
  for (const table of readManifest(manifest)) {
    placed.set(table.names.join("."), {
      columns: namedColumns(table.schema),
      chunks: table.chunks.map((c) => {
        const placed = placedHolders(c.hash, table.rows, manifest, members)
          .map((peer) => index.get(peer))
          .filter((i): i is number => i !== undefined);
        const now = currentHolders(c.hash, table.rows, manifest, workers)
          .map((peer) => index.get(peer))
          .filter((i): i is number => i !== undefined && !placed.includes(i));
        return { ...c, holders: [...placed, ...now], placedOn: placed.length };
      }),
    });
  }
  return placed;
}
