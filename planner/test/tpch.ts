// Shared by the planner's tests: the TPC-H catalog and the 22 queries.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TPCH_SCHEMA } from "../../datagen/tpch/schema.ts";
import { namedStructFromColumns } from "../../exec/types.ts";
import { MemoryCatalog } from "../catalog.ts";

export const tpchCatalog = new MemoryCatalog(
  Object.values(TPCH_SCHEMA).map((t) => ({ names: [t.name], schema: namedStructFromColumns(t.columns) })),
);

const QUERIES_DIR = join(import.meta.dirname, "..", "..", "sql-tests", "tpch", "queries");

export const TPCH_QUERIES: { name: string; sql: string }[] = Array.from({ length: 22 }, (_, i) => {
  const name = `q${String(i + 1).padStart(2, "0")}`;
  return { name, sql: readFileSync(join(QUERIES_DIR, `${name}.sql`), "utf8") };
});

/** DDL for the TPC-H tables, for DuckDB as the reference. */
export function tpchDdl(): string {
  return Object.values(TPCH_SCHEMA)
    .map((t) => `CREATE TABLE ${t.name} (${t.columns.map((c) => `${c.name} ${c.type}`).join(", ")});`)
    .join("\n");
}
