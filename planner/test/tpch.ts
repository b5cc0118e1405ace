// Shared by the planner's tests: the TPC-H catalog and the 22 queries.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TPCH_SCHEMA } from "../../datagen/tpch/schema.ts";
import { namedStructFromColumns } from "../../exec/types.ts";
import { MemoryCatalog } from "../catalog.ts";

export const tpchCatalog = new MemoryCatalog(
  Object.values(TPCH_SCHEMA).map((t) => ({ names: [t.name], schema: namedStructFromColumns(t.columns) })),
);

/** Row counts of TPC-H at scale factor 1. */
const SF1_ROWS: Record<string, number> = {
  region: 5, nation: 25, supplier: 10_000, customer: 150_000, part: 200_000, partsupp: 800_000, orders: 1_500_000, lineitem: 6_001_215,
};
/** tpchCatalog with scale factor 1's row counts: what estimates (join order, broadcasts) go by. */
export const tpchSf1Catalog = new MemoryCatalog(tpchCatalog.tables().map((t) => ({ ...t, rowCount: SF1_ROWS[t.names[0]] })));

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
