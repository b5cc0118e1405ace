// Cutting a parquet file into content-addressed chunks of a target row count, each with the
// per-column statistics that let a query skip it. Rows keep the file's order, so the same file
// cut with the same target always gives the same chunks and the same hashes.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { UserError, invariant } from "../../common/errors.ts";
import { quoteIdentifier, quoteString } from "../substrait/literals.ts";
import { chunkCompression, DEFAULT_CHUNK_COMPRESSION, type ChunkCompression } from "./compression.ts";

export const DEFAULT_CHUNK_ROWS = 122_880;
export const MIN_CHUNK_ROWS = 1_024;
export const MAX_CHUNK_ROWS = 10_000_000;

export interface ColumnStats {
  /** DuckDB's text of the smallest and largest non-null value; null when every value is null. */
  min: string | null;
  max: string | null;
  nullCount: number;
}

export interface Chunk {
  /** SHA-256 of the chunk file's bytes, hex: the chunk's name everywhere. */
  hash: string;
  file: string;
  rows: number;
  bytes: number;
  stats: Record<string, ColumnStats>;
}

export interface CutOptions {
  targetRows?: number;
  compression?: ChunkCompression;
  onChunk?: (chunk: Chunk, index: number, total: number) => void;
}

async function columnStats(connection: DuckDBConnection, file: string): Promise<Record<string, ColumnStats>> {
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteString(file)})`);
  const names = described.getRows().map((r) => String(r[0]));
  const selects = names.flatMap((n) => [`min(${quoteIdentifier(n)})::VARCHAR`, `max(${quoteIdentifier(n)})::VARCHAR`, `(count(*) - count(${quoteIdentifier(n)}))::BIGINT`]);
  const row = (await connection.runAndReadAll(`SELECT ${selects.join(", ")} FROM read_parquet(${quoteString(file)})`)).getRows()[0];
  const stats: Record<string, ColumnStats> = {};
  names.forEach((name, i) => {
    stats[name] = {
      min: row[i * 3] === null ? null : String(row[i * 3]),
      max: row[i * 3 + 1] === null ? null : String(row[i * 3 + 1]),
      nullCount: Number(row[i * 3 + 2]),
    };
  });
  return stats;
}

/** DuckDB's names of the types whose values chunk statistics place as key ranges (planner/catalog.ts isRangeKeyType). */
const KEY_TYPES = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DATE"]);

/**
 * The first integer or date column whose values never fall in the file's order (a table sorted
 * on its key, as TPC-H's lineitem on l_orderkey), or undefined.
 */
async function clusteringColumn(connection: DuckDBConnection, source: string): Promise<string | undefined> {
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const keys = described
    .getRows()
    .filter((r) => KEY_TYPES.has(String(r[1])) && r[0] !== "file_row_number")
    .map((r) => String(r[0]));
  if (keys.length === 0) return undefined;
  const previous = (i: number) => `lag(${quoteIdentifier(keys[i])}) OVER (ORDER BY file_row_number) AS p${i}`;
  const inOrder = (await connection.runAndReadAll(`SELECT ${keys.map((k, i) => `bool_and(${quoteIdentifier(k)} >= p${i})`).join(", ")} FROM (SELECT ${keys.map(quoteIdentifier).join(", ")}, ${keys.map((_, i) => previous(i)).join(", ")} FROM ${source})`)).getRows()[0];
  return keys.find((_, i) => inOrder[i] === true);
}

/**
 * Where each chunk starts: every `targetRows` rows, moved on to where `column`'s value changes, so
 * that the rows of one key lie in one chunk and neighbouring chunks' key ranges do not share a
 * key (a read by key range of a chunk's keys then needs none of its neighbours' rows). A run of
 * one key longer than half a chunk is cut where it lies.
 */
async function chunkStarts(connection: DuckDBConnection, source: string, total: number, targetRows: number, column: string | undefined): Promise<number[]> {
  const count = Math.max(1, Math.ceil(total / targetRows));
  const nominal = Array.from({ length: count }, (_, i) => i * targetRows);
  if (!column || count === 1) return nominal;
  const key = quoteIdentifier(column);
  const found = await connection.runAndReadAll(
    `WITH runs AS (SELECT file_row_number AS r FROM (SELECT file_row_number, ${key} IS DISTINCT FROM lag(${key}) OVER (ORDER BY file_row_number) AS starts FROM ${source}) WHERE starts),
          cuts AS (SELECT i * ${targetRows} AS c FROM range(1, ${count}) t(i))
     SELECT cuts.c, runs.r FROM cuts ASOF LEFT JOIN runs ON runs.r >= cuts.c ORDER BY cuts.c`,
  );
  const moved = new Map(found.getRows().map((row) => [Number(row[0]), row[1] === null ? undefined : Number(row[1])]));
  return nominal.map((cut) => {
    const start = moved.get(cut);
    return start !== undefined && start - cut < targetRows / 2 ? start : cut;
  });
}

export async function cutParquet(file: string, outDir: string, options: CutOptions = {}): Promise<Chunk[]> {
  const targetRows = options.targetRows ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(targetRows) || targetRows < MIN_CHUNK_ROWS || targetRows > MAX_CHUNK_ROWS) {
    throw new UserError(`chunk size ${targetRows} rows: expected a whole number from ${MIN_CHUNK_ROWS} to ${MAX_CHUNK_ROWS}`);
  }
  const compression = chunkCompression(options.compression ?? DEFAULT_CHUNK_COMPRESSION);
  mkdirSync(outDir, { recursive: true });
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" }); // one writer thread: identical bytes every time
  const connection = await instance.connect();
  let scratch: string | undefined;
  try {
    let total: number;
    try {
      total = Number((await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${quoteString(file)})`)).getRows()[0][0]);
    } catch (error) {
      throw new UserError(`cannot read ${file} as parquet: ${String((error as Error).message).split("\n")[0]}`);
    }
    const source = `read_parquet(${quoteString(file)}, file_row_number = true)`;
    const starts = await chunkStarts(connection, source, total, targetRows, await clusteringColumn(connection, source));
    const count = starts.length;
    const chunks: Chunk[] = [];
    for (let i = 0; i < count; i++) {
      scratch = join(outDir, `.chunk-${process.pid}-${i}.parquet`);
      const end = i + 1 < count ? starts[i + 1] : total;
      await connection.run(
        `COPY (SELECT * EXCLUDE (file_row_number) FROM ${source}
               WHERE file_row_number >= ${starts[i]} AND file_row_number < ${end}
               ORDER BY file_row_number)
         TO ${quoteString(scratch)} (FORMAT parquet, ROW_GROUP_SIZE ${targetRows * 2}, COMPRESSION ${compression})`,
      );
      const hash = createHash("sha256").update(readFileSync(scratch)).digest("hex");
      const final = join(outDir, `${hash}.parquet`);
      renameSync(scratch, final);
      scratch = undefined;
      const stats = await columnStats(connection, final);
      const rows = end - starts[i];
      invariant(rows >= 0, "chunk row count below zero");
      const chunk = { hash, file: final, rows, bytes: statSync(final).size, stats };
      chunks.push(chunk);
      options.onChunk?.(chunk, i, count);
    }
    return chunks;
  } catch (error) {
    if (scratch) rmSync(scratch, { force: true });
    throw error;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
