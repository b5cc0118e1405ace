import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutTables, tableSources } from "../sdk/dataset.ts";
import { columnNames } from "../../proto/index.ts";
import { resolveDataTables } from "../data-tables.ts";

let dir: string;
let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
/** Work folders of the cutting tests, outside the one of source files: the folder-reading test reads that one whole. */
const cleanups: string[] = [];

/** Writes `select`'s rows to a parquet file at `path` under the test's folder, making its folders. */
async function write(path: string, select: string): Promise<string> {
  const file = join(dir, path);
  mkdirSync(join(file, ".."), { recursive: true });
  await connection.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-sources-"));
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  // A dataset as Spark or pyarrow write one: a folder per table, parts in key=value folders, metadata beside them.
  for (const year of [2023, 2024]) {
    for (const region of ["eu", "us"]) {
      await write(`events/year=${year}/region=${region}/part-0.parquet`, `SELECT i AS id, ${year} * 10 + i AS v FROM range(3) t(i)`);
    }
  }
  writeFileSync(join(dir, "events", "_SUCCESS"), "");
  await write("events/_temporary/part-9.parquet", "SELECT 99 AS id, 99 AS v");
  await write("events/.hidden.parquet", "SELECT 98 AS id, 98 AS v");
  await write("logs.parquet/part-0.parquet", "SELECT 'a' AS line");
  await write("logs.parquet/part-1.parquet", "SELECT 'b' AS line");
  await write("nation.parquet", "SELECT 1 AS n_nationkey");
  // A table whose schema grew and whose writers ordered its columns differently.
  await write("grown/part-0.parquet", "SELECT i AS id, i * 2 AS v FROM range(3) t(i)");
  await write("grown/part-1.parquet", "SELECT i * 2 AS v, i AS id FROM range(3, 6) t(i)");
  await write("grown/part-2.parquet", "SELECT i AS id, i * 2 AS v, 'new' AS note FROM range(6, 9) t(i)");
  mkdirSync(join(dir, "empty"));
});

afterAll(() => {
  connection?.closeSync();
  duckdb?.closeSync();
  for (const folder of [dir, ...cleanups]) rmSync(folder, { recursive: true, force: true });
});

describe("a dataset's tables from files and folders", () => {
  it("names a table after its file or folder, takes every .parquet file under a folder but hidden and temporary ones, and sees partition folders", () => {
    const sources = tableSources([join(dir, "events"), join(dir, "logs.parquet"), join(dir, "nation.parquet")]);
    expect([...sources.keys()]).toEqual(["events", "logs", "nation"]);
    expect(sources.get("events")!.files.map((f) => f.slice(dir.length + 1))).toEqual([
      "events/year=2023/region=eu/part-0.parquet",
      "events/year=2023/region=us/part-0.parquet",
      "events/year=2024/region=eu/part-0.parquet",
      "events/year=2024/region=us/part-0.parquet",
    ]);
    expect(sources.get("events")!.partitioned).toBe(true);
    expect(sources.get("logs")).toEqual({ files: [join(dir, "logs.parquet", "part-0.parquet"), join(dir, "logs.parquet", "part-1.parquet")], partitioned: false });
    expect(sources.get("nation")).toEqual({ files: [join(dir, "nation.parquet")], partitioned: false });
  });

  it("refuses a path that is not there and a folder without parquet files, naming them", () => {
    expect(() => tableSources([join(dir, "nowhere.parquet")])).toThrow(`${join(dir, "nowhere.parquet")}: no such file or folder`);
    expect(() => tableSources([join(dir, "empty")])).toThrow(`${join(dir, "empty")}: no .parquet files in this folder`);
  });

  it("reads a folder of tables for the local commands by the same rules, a folder named as a parquet file one table", () => {
    expect(resolveDataTables([dir], "/").map((t) => [t.name, t.files.length])).toEqual([
      ["events", 4],
      ["grown", 3],
      ["logs", 2],
      ["nation", 1],
    ]);
    expect(resolveDataTables([join(dir, "logs.parquet"), join(dir, "nation.parquet")], "/").map((t) => [t.name, t.files.length])).toEqual([
      ["logs", 2],
      ["nation", 1],
    ]);
  });

  it("cuts a partitioned folder's rows with the columns its folders name, typed as their values read", async () => {
    const work = mkdtempSync(join(tmpdir(), "trustql-cut-"));
    cleanups.push(work);
    const [events, logs] = await cutTables(tableSources([join(dir, "events"), join(dir, "logs.parquet")]), work);
    // The folders' columns after the files', in the order DuckDB gives them.
    expect(columnNames(events.schema)).toEqual(["id", "v", "region", "year"]);
    expect(events.chunks.reduce((n, c) => n + c.rows, 0)).toBe(12);
    const rows = (await connection.runAndReadAll(`SELECT year, region, sum(v)::BIGINT, typeof(year) FROM read_parquet([${events.chunks.map((c) => `'${c.file}'`).join(", ")}]) GROUP BY ALL ORDER BY ALL`)).getRows();
    expect(rows).toEqual([
      [2023n, "eu", 60693n, "BIGINT"],
      [2023n, "us", 60693n, "BIGINT"],
      [2024n, "eu", 60723n, "BIGINT"],
      [2024n, "us", 60723n, "BIGINT"],
    ]);
    expect(logs.chunks.reduce((n, c) => n + c.rows, 0)).toBe(2);
    expect(events.chunks.every((c) => c.stats.year.min !== null)).toBe(true);
  });

  it("reads files whose columns differ by the columns' names, a column a file lacks NULL in its rows", async () => {
    const work = mkdtempSync(join(tmpdir(), "trustql-cut-"));
    cleanups.push(work);
    const [grown] = await cutTables(tableSources([join(dir, "grown")]), work);
    expect(columnNames(grown.schema)).toEqual(["id", "v", "note"]);
    const rows = (await connection.runAndReadAll(`SELECT count(*), sum(v - 2 * id), count(note), min(id), max(id) FROM read_parquet([${grown.chunks.map((c) => `'${c.file}'`).join(", ")}])`)).getRows();
    expect(rows).toEqual([[9n, 0n, 3n, 0n, 8n]]);
  });
});
