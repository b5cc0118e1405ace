import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { generateTpch, TPCH_SCHEMA, TPCH_TABLE_NAMES, type GeneratedTable } from "../tpch/index.ts";

const SF = 0.01;
const QUERIES = join(import.meta.dirname, "..", "..", "sql-tests", "tpch", "queries");

let root: string;
let tables: GeneratedTable[];
let duckdb: DuckDBInstance;
let db: DuckDBConnection;

async function value(sql: string): Promise<unknown> {
  return (await db.runAndReadAll(sql)).getRows()[0][0];
}

function fileHashes(list: GeneratedTable[]): string[] {
  return list.map((t) => createHash("sha256").update(readFileSync(t.file)).digest("hex"));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "trustql-datagen-"));
  tables = await generateTpch({ sf: SF, out: join(root, "a") });
  duckdb = await DuckDBInstance.create(":memory:");
  db = await duckdb.connect();
  for (const t of tables) await db.run(`CREATE VIEW ${t.name} AS SELECT * FROM read_parquet('${t.file}')`);
});

afterAll(() => {
  db?.closeSync();
  duckdb?.closeSync();
  rmSync(root, { recursive: true, force: true });
});

describe("TPC-H data", () => {
  it("has the specification's cardinalities", () => {
    const rows = Object.fromEntries(tables.map((t) => [t.name, t.rows]));
    expect(rows).toMatchObject({ region: 5, nation: 25, supplier: 100, customer: 1500, part: 2000, partsupp: 8000, orders: 15000 });
    // 1 to 7 lines per order, 4 on average.
    expect(rows.lineitem).toBeGreaterThan(15000 * 3.8);
    expect(rows.lineitem).toBeLessThan(15000 * 4.2);
  });

  it("writes TPC-H's types: DECIMAL(15,2) money, DATE dates, BIGINT keys", async () => {
    for (const name of TPCH_TABLE_NAMES) {
      const described = (await db.runAndReadAll(`DESCRIBE ${name}`)).getRows().map((r) => `${r[0]} ${r[1]}`);
      expect(described).toEqual(TPCH_SCHEMA[name].columns.map((c) => `${c.name} ${c.type}`));
    }
  });

  it("is the same, byte for byte, for the same seed, and different for another", async () => {
    const again = await generateTpch({ sf: SF, out: join(root, "b") });
    expect(fileHashes(again)).toEqual(fileHashes(tables));
    const other = await generateTpch({ sf: SF, out: join(root, "c"), seed: 7 });
    const [x, y] = [fileHashes(other), fileHashes(tables)];
    expect(x.filter((h, i) => h !== y[i]).length).toBeGreaterThanOrEqual(6); // region and nation names are fixed
  });

  it("keeps every foreign key joined", async () => {
    const orphans = [
      "SELECT count(*) FROM lineitem WHERE l_orderkey NOT IN (SELECT o_orderkey FROM orders)",
      "SELECT count(*) FROM lineitem l WHERE NOT EXISTS (SELECT 1 FROM partsupp WHERE ps_partkey = l.l_partkey AND ps_suppkey = l.l_suppkey)",
      "SELECT count(*) FROM orders WHERE o_custkey NOT IN (SELECT c_custkey FROM customer)",
      "SELECT count(*) FROM partsupp WHERE ps_suppkey NOT IN (SELECT s_suppkey FROM supplier)",
      "SELECT count(*) FROM customer WHERE c_nationkey NOT IN (SELECT n_nationkey FROM nation)",
      "SELECT count(*) FROM nation WHERE n_regionkey NOT IN (SELECT r_regionkey FROM region)",
      "SELECT count(*) - count(DISTINCT (ps_partkey, ps_suppkey)) FROM partsupp",
    ];
    for (const sql of orphans) expect(await value(sql), sql).toBe(0n);
  });

  it("follows the specification's value rules", async () => {
    const violations = [
      "SELECT count(*) FROM orders WHERE o_custkey % 3 = 0",
      "SELECT count(*) FROM orders WHERE o_orderdate < DATE '1992-01-01' OR o_orderdate > DATE '1998-08-02'",
      "SELECT count(*) FROM lineitem JOIN orders ON l_orderkey = o_orderkey WHERE l_shipdate NOT BETWEEN o_orderdate + 1 AND o_orderdate + 121 OR l_commitdate NOT BETWEEN o_orderdate + 30 AND o_orderdate + 90 OR l_receiptdate NOT BETWEEN l_shipdate + 1 AND l_shipdate + 30",
      "SELECT count(*) FROM lineitem WHERE (l_receiptdate <= DATE '1995-06-17') <> (l_returnflag IN ('R', 'A'))",
      "SELECT count(*) FROM lineitem WHERE (l_shipdate > DATE '1995-06-17') <> (l_linestatus = 'O')",
      "SELECT count(*) FROM lineitem JOIN part ON l_partkey = p_partkey WHERE l_extendedprice <> l_quantity * p_retailprice",
      "SELECT count(*) FROM lineitem WHERE l_quantity NOT BETWEEN 1 AND 50 OR l_discount NOT BETWEEN 0 AND 0.1 OR l_tax NOT BETWEEN 0 AND 0.08",
      "SELECT count(*) FROM (SELECT o_totalprice, sum(l_extendedprice * (1 + l_tax) * (1 - l_discount))::DECIMAL(15,2) AS total FROM orders JOIN lineitem ON l_orderkey = o_orderkey GROUP BY o_orderkey, o_totalprice) WHERE o_totalprice <> total",
      "SELECT count(*) FROM (SELECT o_orderstatus, bool_and(l_linestatus = 'F') AS f, bool_and(l_linestatus = 'O') AS o FROM orders JOIN lineitem ON l_orderkey = o_orderkey GROUP BY o_orderkey, o_orderstatus) WHERE o_orderstatus <> CASE WHEN f THEN 'F' WHEN o THEN 'O' ELSE 'P' END",
      "SELECT count(*) FROM customer WHERE left(c_phone, 2)::INTEGER <> c_nationkey + 10 OR c_acctbal NOT BETWEEN -999.99 AND 9999.99",
      "SELECT count(*) FROM part WHERE len(string_split(p_name, ' ')) <> 5 OR len(list_distinct(string_split(p_name, ' '))) <> 5 OR p_size NOT BETWEEN 1 AND 50",
      "SELECT count(*) FROM orders WHERE (o_orderkey - 1) % 32 >= 8",
    ];
    for (const sql of violations) expect(await value(sql), sql).toBe(0n);
  });

  it.each(Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`))("%s returns rows at SF 0.01", async (id) => {
    const rows = (await db.runAndReadAll(readFileSync(join(QUERIES, `${id}.sql`), "utf8"))).getRows();
    expect(rows.length).toBeGreaterThan(0);
  });

  it("refuses a scale factor out of range and says why", async () => {
    await expect(generateTpch({ sf: 0, out: join(root, "x") })).rejects.toThrow(/--sf 0: expected a scale factor above 0/);
    await expect(generateTpch({ sf: 1000, out: join(root, "x") })).rejects.toThrow(/at most 100/);
  });
});
