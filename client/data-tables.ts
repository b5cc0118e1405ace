// `--data` for the local commands: a folder (each *.parquet file is a table named after the
// file; a sub-folder of parquet files is one table named after the folder) or parquet files.
import { readdirSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { UserError } from "../common/errors.ts";

export interface LocalTable {
  name: string;
  files: string[];
}

const PARQUET = ".parquet";

function tableName(path: string): string {
  const name = basename(path, extname(path));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UserError(`cannot name a table after ${path}: '${name}' is not a plain identifier`);
  }
  return name.toLowerCase();
}

function statOrThrow(path: string, spec: string) {
  try {
    return statSync(path);
  } catch {
    throw new UserError(`--data ${spec}: no such file or folder`);
  }
}

function parquetFilesIn(folder: string): string[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith(PARQUET))
    .sort()
    .map((f) => join(folder, f));
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
      add(tableName(path), [path]);
      continue;
    }
    let found = 0;
    for (const entry of readdirSync(path).sort()) {
      const child = join(path, entry);
      if (entry.endsWith(PARQUET) && statSync(child).isFile()) {
        add(tableName(child), [child]);
        found++;
      } else if (statSync(child).isDirectory()) {
        const files = parquetFilesIn(child);
        if (files.length > 0) {
          add(tableName(child), files);
          found++;
        }
      }
    }
    if (found === 0) throw new UserError(`--data ${spec}: no .parquet files in this folder`);
  }
  return [...tables.values()];
}
