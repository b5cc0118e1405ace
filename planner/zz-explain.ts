import { DuckDBInstance } from "@duckdb/node-api";
import { planSql } from "/work/main/planner/index.ts";
import { Plan } from "/work/main/proto/index.ts";
import { randomTpchSql } from "/work/main/planner/test/random-tpch.ts";
import { substraitToSql } from "/work/main/planner/test/substrait-to-sql.ts";
import { TPCH_QUERIES, tpchCatalog } from "/work/main/planner/test/tpch.ts";
const inst = await DuckDBInstance.create(":memory:");
const con = await inst.connect();
await con.run(randomTpchSql(0, 1000));
const q = TPCH_QUERIES[Number(process.argv[2]) - 1].sql.replace(/;\s*$/, "");
const ours = substraitToSql(Plan.decode(Plan.encode(planSql(q, tpchCatalog).plan).finish()));
for (const s of [q, ours]) {
  const r = await con.runAndReadAll("EXPLAIN ANALYZE " + s);
  console.log(String(r.getRows()[0][1]).split("\n").filter(l => /[A-Za-z_]{3,}|Rows|\d+\.\d+s/.test(l)).join("\n").slice(0, 6000));
  console.log("=========================================");
}
