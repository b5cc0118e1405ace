// `--data` for the local commands: a folder (each *.parquet file is a table named after the
// file; a sub-folder of parquet files, at any depth, is one table named after the folder, as is a
// folder named *.parquet) or parquet files. `dataset add` names its tables by the same rules.
import { readdirSync, statSync } from "node:fs";
import { basename, join, resolve, sep } from "node:path";
import { UserError } from "../common/errors.ts";

export interface LocalTable {
  name: string;
  files: string[];
}

const PARQUET = ".parquet";

/** A table's parquet files; `partitioned` when folders between them name columns (`year=2024`). */
export interface TableSource {
  files: string[];
  partitioned: boolean;
}

/** A folder of a partitioned dataset: its name is a column's and its value (Hive's layout). */
const PARTITION_FOLDER = /^[^=]+=[^=]*$/;

/**
 * A folder as one table: every .parquet file under it, in order of their paths (how Spark,
 * pyarrow and DuckDB write a dataset), leaving out what is under names that start with `.` or
 * `_` (their metadata and temporary files); undefined when there is none.
 */
export function parquetFolder(folder: string): TableSource | undefined {
  const inside = readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((relative) => relative.toLowerCase().endsWith(PARQUET) && !relative.split(sep).some((part) => part.startsWith(".") || part.startsWith("_")))
    .filter((relative) => statSync(join(folder, relative)).isFile())
    .sort();
  if (inside.length === 0) return undefined;
  const partitioned = inside.some((relative) => relative.split(sep).slice(0, -1).some((name) => PARTITION_FOLDER.test(name)));
  return { files: inside.map((relative) => join(folder, relative)), partitioned };
}

/** The table a file or folder holds: its name without directories and extension (`lineitem.parquet` → lineitem). */
export function tableNameOf(path: string): string {
  const name = basename(path).replace(/\.parquet$/i, "").toLowerCase();
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new UserError(`${path}: a table is named after its file or folder, and '${name}' is not a plain name`);
  return name;
}

function statOrThrow(path: string, spec: string) {
  try {
    return statSync(path);
  } catch {
    throw new UserError(`--data ${spec}: no such file or folder`);
  }
}

export function resolveDataTables(specs: readonly string[], cwd: string): LocalTable[] {
  if (specs.length === 0) throw new UserError("--data is required: a folder of parquet files, or files");
  const tables = new Map<string, LocalTable>();
  const add = (name: string, files: string[]) => {
    const existing = tables.get(name);
    if (existing) existing.files.push(...files);
    else tables.set(name, { name, files });
  };
  for (const spec of specs.flatMap((s) => s.split(",")).filter(Boolean)) {
    const path = resolve(cwd, spec);
    const stat = statOrThrow(path, spec);
    if (stat.isFile()) {
      if (!path.endsWith(PARQUET)) throw new UserError(`--data ${spec}: not a .parquet file`);
      add(tableNameOf(path), [path]);
      continue;
    }
    if (path.toLowerCase().endsWith(PARQUET)) {
      // A folder named as a parquet file is one table written in parts (DuckDB's PER_THREAD_OUTPUT, Spark's).
      const table = parquetFolder(path);
      if (!table) throw new UserError(`--data ${spec}: no .parquet files in this folder`);
      add(tableNameOf(path), table.files);
      continue;
    }
    let found = 0;
    for (const entry of readdirSync(path).sort()) {
      const child = join(path, entry);
      if (entry.endsWith(PARQUET) && statSync(child).isFile()) {
        add(tableNameOf(child), [child]);
        found++;
      } else if (statSync(child).isDirectory()) {
        const table = parquetFolder(child);
        if (!table) continue;
        add(tableNameOf(child), table.files);
        found++;
      }
    }
    if (found === 0) throw new UserError(`--data ${spec}: no .parquet files in this folder`);
  }
  return [...tables.values()];
}
