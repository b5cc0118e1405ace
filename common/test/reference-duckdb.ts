// A DuckDB connection for the tests in one file that check trustql's readings of DuckDB's text against DuckDB itself.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll } from "vitest";

/** Opens an in-memory DuckDB before the file's tests and closes it after; the connection, once open. */
export function referenceDuckDB(): () => DuckDBConnection {
  let duckdb: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  beforeAll(async () => {
    duckdb = await DuckDBInstance.create(":memory:");
    connection = await duckdb.connect();
  });
  afterAll(() => {
    connection?.closeSync();
    duckdb?.closeSync();
  });
  return () => connection!;
}
