// Small TPC-H-shaped parquet files for the executor's tests, written once per test file.
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TPCH_TABLE_NAMES } from "../../datagen/tpch/schema.ts";
import { randomTpchSql } from "../../planner/test/random-tpch.ts";
import { LocalEngine } from "../index.ts";

export interface TpchFixture {
  dir: string;
  engine: LocalEngine;
  /** The same files as views in the engine's DuckDB, for reference answers. */
  reference(sql: string): ReturnType<LocalEngine["runReferenceSql"]>;
  dispose(): void;
}

export async function tpchFixture({ scale = 3, nullRate = 0.03 } = {}): Promise<TpchFixture> {
  const dir = mkdtempSync(join(tmpdir(), "trustql-exec-"));
  const writer = await DuckDBInstance.create(":memory:");
  const connection = await writer.connect();
  await connection.run(randomTpchSql(nullRate, scale));
  for (const table of TPCH_TABLE_NAMES) await connection.run(`COPY ${table} TO '${join(dir, `${table}.parquet`)}' (FORMAT parquet)`);
  connection.closeSync();
  writer.closeSync();
  const engine = await LocalEngine.open({ threads: 2 });
  for (const table of TPCH_TABLE_NAMES) {
    const file = join(dir, `${table}.parquet`);
    await engine.registerParquet([table], [file]);
    await engine.runReferenceSql(`CREATE VIEW ${table} AS SELECT * FROM read_parquet('${file}')`);
  }
  return {
    dir,
    engine,
    reference: (sql) => engine.runReferenceSql(sql),
    dispose() {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
