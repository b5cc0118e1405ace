// What the staged-runner tests share: parquet files registered with one engine (DuckDB alone,
// the reference) and cut into chunks placed on the test's workers, each chunk's file by its hash;
// placedTables writes them before a test file's tests and removes them after.
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { cutParquet } from "../../chunks/index.ts";
import { LocalEngine } from "../../engine.ts";
import { EnginePool, placeTable, type PlacedTable } from "../index.ts";

/** A test file's tables: written, registered with a reference engine and placed before its tests, released after. */
export interface PlacedTables {
  /** The reference engine: DuckDB alone over the whole files (set once the tests start). */
  single: LocalEngine;
  pool: EnginePool;
  tables: Map<string, PlacedTable>;
  files: Map<string, string>;
  chunkFile: (hash: string) => string;
}

/**
 * Before the file's tests: writes each table `names` lists with `statements(file)` (a COPY … TO
 * file(name) per table), registers them with a reference engine and places their chunks of
 * `targetRows` on `workers`. After them: closes the engines and removes the files.
 */
export function placedTables(names: readonly string[], statements: (file: (name: string) => string) => string[], options: { workers: readonly string[]; targetRows: number }): PlacedTables {
  let dir: string | undefined;
  const placed = { pool: new EnginePool(), tables: new Map(), files: new Map() } as PlacedTables;
  placed.chunkFile = (hash) => placed.files.get(hash)!;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "trustql-placed-"));
    const file = (name: string) => join(dir!, `${name}.parquet`);
    await writeParquet(statements(file));
    placed.single = await LocalEngine.open({ threads: 2 });
    await placeFiles(placed.single, names.map((name) => ({ name, file: file(name) })), { chunkDir: join(dir, "chunks"), ...options }, placed);
  }, 60_000);
  afterAll(() => {
    placed.single?.close();
    placed.pool.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return placed;
}

/** Registers each table's file with `single` (also as a DuckDB view of its name) and places its chunks, of `targetRows`, on `workers`. */
export async function placeFiles(
  single: LocalEngine,
  tablesToPlace: readonly { name: string; file: string }[],
  options: { chunkDir: string; workers: readonly string[]; targetRows: number },
  into: { tables: Map<string, PlacedTable>; files: Map<string, string> },
): Promise<void> {
  for (const { name, file } of tablesToPlace) {
    await single.registerParquet([name], [file]);
    await single.runReferenceSql(`CREATE VIEW ${name} AS SELECT * FROM read_parquet('${file}')`);
    const schema = single.catalog().lookup([name])!.schema;
    const chunks = await cutParquet(file, options.chunkDir, { targetRows: options.targetRows });
    for (const chunk of chunks) into.files.set(chunk.hash, chunk.file);
    into.tables.set(name, placeTable(schema, chunks, options.workers));
  }
}

/** Runs each statement (a COPY … TO a parquet file) on a scratch DuckDB, closed after. */
async function writeParquet(statements: readonly string[]): Promise<void> {
  const duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    duckdb.closeSync();
  }
}
