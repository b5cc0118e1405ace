// `trustql gen tpch`: the eight TPC-H tables as parquet files, one per table, generated and
// written by DuckDB in a stream (memory stays bounded whatever the scale factor).
import { mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { UserError } from "../../common/errors.ts";
import { TPCH_SCHEMA, TPCH_TABLE_NAMES, type TpchTableName } from "./schema.ts";
import { cardinalities, tableSql } from "./tables.ts";

export { TPCH_SCHEMA, TPCH_TABLE_NAMES, type TpchTableName } from "./schema.ts";
export { cardinalities } from "./tables.ts";

export const MAX_SCALE_FACTOR = 100;
export const DEFAULT_SEED = 19920101;
export const DEFAULT_ROW_GROUP_SIZE = 122_880;
/** What DuckDB may hold while generating; the rest spills to the output folder's scratch space. */
const MEMORY_LIMIT = "2GB";
const PROGRESS_INTERVAL_MS = 200;

export interface GenerateOptions {
  sf: number;
  out: string;
  seed?: number;
  rowGroupSize?: number;
  onProgress?: (progress: { table: string; rows: number; totalRows: number }) => void;
}

export interface GeneratedTable {
  name: string;
  file: string;
  rows: number;
  bytes: number;
}

function validate(options: GenerateOptions): { seed: number; rowGroupSize: number } {
  const { sf } = options;
  if (!Number.isFinite(sf) || sf <= 0 || sf > MAX_SCALE_FACTOR) {
    throw new UserError(`--sf ${sf}: expected a scale factor above 0 and at most ${MAX_SCALE_FACTOR}`);
  }
  if (cardinalities(sf).supplier < 4) throw new UserError(`--sf ${sf}: too small (TPC-H needs at least 4 suppliers, SF ≥ 0.0004)`);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed ${seed}: expected a whole number ≥ 0`);
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1024) throw new UserError(`row group size ${rowGroupSize}: expected a whole number ≥ 1024`);
  return { seed, rowGroupSize };
}

/** An estimate for progress before lineitem is written: 4 lines per order on average. */
function expectedRows(table: TpchTableName, sf: number): number {
  const planned = tableSql(table, sf, 0).rows;
  return planned >= 0 ? planned : cardinalities(sf).orders * 4;
}

export async function generateTpch(options: GenerateOptions): Promise<GeneratedTable[]> {
  const { seed, rowGroupSize } = validate(options);
  const out = resolve(options.out);
  const scratch = join(out, ".trustql-gen");
  try {
    mkdirSync(scratch, { recursive: true });
  } catch (error) {
    throw new UserError(`--out ${options.out}: cannot create it (${(error as Error).message})`);
  }
  const instance = await DuckDBInstance.create(":memory:", { memory_limit: MEMORY_LIMIT, temp_directory: scratch });
  const connection = await instance.connect();
  const tables: GeneratedTable[] = [];
  try {
    for (const name of TPCH_TABLE_NAMES) {
      const file = join(out, `${name}.parquet`);
      const partial = join(scratch, `${name}.parquet`);
      const totalRows = expectedRows(name, options.sf);
      const report = (rows: number) => options.onProgress?.({ table: name, rows, totalRows });
      report(0);
      const timer = setInterval(() => {
        const progress = connection.progress.percentage;
        if (progress >= 0) report(Math.round((progress / 100) * totalRows));
      }, PROGRESS_INTERVAL_MS);
      try {
        const columns = TPCH_SCHEMA[name].columns.map((c) => `${c.name}::${c.type} AS ${c.name}`).join(", ");
        await connection.run(
          `COPY (SELECT ${columns} FROM (${tableSql(name, options.sf, seed).sql}))
           TO '${partial}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})`,
        );
      } finally {
        clearInterval(timer);
      }
      renameSync(partial, file); // a file at its final name is always complete
      const counted = await connection.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata('${file}')`);
      const rows = Number(counted.getRows()[0][0]);
      report(rows);
      tables.push({ name, file, rows, bytes: statSync(file).size });
    }
    return tables;
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(scratch, { recursive: true, force: true });
  }
}
