// What the staged-runner tests share: parquet files registered with one engine (DuckDB alone,
// the reference) and cut into chunks placed on the test's workers, each chunk's file by its hash.
import { DuckDBInstance } from "@duckdb/node-api";
import { cutParquet } from "../../chunks/index.ts";
import type { LocalEngine } from "../../engine.ts";
import { placeTable, type PlacedTable } from "../index.ts";

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
export async function writeParquet(statements: readonly string[]): Promise<void> {
  const duckdb = await DuckDBInstance.create(":memory:");
  const connection = await duckdb.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    duckdb.closeSync();
  }
}
