// The planner's plans mean what the SQL means: each plan, rendered back into SQL operator by
// operator (to-sql.ts), gives DuckDB's answer to the original query on random data with NULLs.
// This checks binding, decorrelation, NOT IN, every optimizer rule and the two-phase split.
// The emitted Substrait is checked the same way: decoded and translated by the executor's
// consumer (exec/substrait) over the same DuckDB tables; sql-tests/ checks it end to end.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSql, type PlanOptions } from "../index.ts";
import { randomTpchSql } from "./random-tpch.ts";
import { planToSql } from "./to-sql.ts";
import { translatePlan, type TableResolver } from "../../exec/index.ts";
import { Plan } from "../../proto/index.ts";
import { TPCH_QUERIES, tpchCatalog } from "./tpch.ts";

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  await connection.run("SET threads = 1");
  await connection.run(randomTpchSql());
});

afterAll(() => {
  connection?.closeSync();
  instance?.closeSync();
});

function normalize(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
  return String(v);
}

async function rows(sql: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRows().map((r) => r.map(normalize).join(" | ")).sort();
}

/** The random TPC-H tables of this DuckDB connection, for the executor's translator. */
const tables: TableResolver = {
  namedTable(names) {
    const table = tpchCatalog.lookup([...names]);
    if (!table) throw new Error(`no table ${names.join(".")}`);
    return { from: table.names.join("."), columns: table.schema.names.map((name, i) => ({ name, type: table.schema.struct!.types[i] })) };
  },
  localFiles() {
    throw new Error("plans here read named tables only");
  },
};

async function expectSameAnswer(sql: string, options: PlanOptions = {}) {
  const expected = await rows(sql.replace(/;\s*$/, ""));
  const planned = planSql(sql, tpchCatalog, options);
  const actual = await rows(planToSql(planned.logical));
  expect(actual).toEqual(expected);
  // The same plan as Substrait bytes, read back positionally.
  const decoded = Plan.decode(Plan.encode(planned.plan).finish());
  expect(await rows(translatePlan(decoded, tables).sql)).toEqual(expected);
  return expected.length;
}

describe("plans give DuckDB's answers", () => {
  for (const { name, sql } of TPCH_QUERIES) {
    it(name, async () => {
      await expectSameAnswer(sql);
      await expectSameAnswer(sql, { twoPhaseAggregates: true });
      await expectSameAnswer(sql, { optimize: false });
    });
  }

  const queries = [
    // NOT IN with NULLs on either side, and an empty subquery
    "select c_custkey from customer where c_nationkey not in (select s_nationkey from supplier)",
    "select c_custkey from customer where c_nationkey not in (select s_nationkey from supplier where s_nationkey is not null)",
    "select c_custkey from customer where c_nationkey not in (select s_nationkey from supplier where s_suppkey < 0)",
    "select c_custkey from customer where c_nationkey in (select s_nationkey from supplier)",
    "select c_custkey, c_nationkey in (select s_nationkey from supplier) from customer",
    "select c_custkey from customer where not (c_nationkey in (select s_nationkey from supplier) or c_custkey < 3)",
    // correlated subqueries: no match gives NULL; count gives 0
    "select o_orderkey, (select max(l_quantity) from lineitem where l_orderkey = o_orderkey) from orders",
    "select o_orderkey, (select count(*) from lineitem where l_orderkey = o_orderkey) from orders",
    "select o_orderkey from orders where o_totalprice > (select sum(l_extendedprice) / 10 from lineitem where l_orderkey = o_orderkey)",
    "select o_orderkey from orders where 2 < (select count(*) from lineitem where l_orderkey = o_orderkey)",
    "select o_orderkey from orders where 0 = (select count(l_quantity) from lineitem where l_orderkey = o_orderkey)",
    "select o_orderkey, (select count(*) + 10 from lineitem where l_orderkey = o_orderkey), (select coalesce(sum(l_quantity), -1) from lineitem where l_orderkey = o_orderkey) from orders",
    "select o_orderkey, (select count(*) from lineitem where l_orderkey = o_orderkey and l_extendedprice > o_totalprice) from orders",
    "select c_custkey from customer where exists (select * from orders where o_custkey = c_custkey and o_totalprice > c_acctbal)",
    "select c_custkey from customer where not exists (select * from orders where o_custkey = c_custkey)",
    "select c_custkey from customer where c_custkey in (select o_custkey from orders where o_orderdate > date '1995-01-01' and o_totalprice > c_acctbal)",
    "select c_custkey from customer where exists (select 1 from nation where n_name = 'CHINA')",
    // joins and filters on their nullable sides
    "select c_custkey, o_orderkey from customer left join orders on c_custkey = o_custkey and o_totalprice > 50 where o_orderkey is null",
    "select c_custkey, o_orderkey from customer right join orders on c_custkey = o_custkey where c_acctbal > 0",
    "select c_custkey, o_orderkey from customer full join orders on c_custkey = o_custkey and c_acctbal > 10",
    "select n_name, r_name from nation cross join region where n_regionkey = r_regionkey or r_name = 'ASIA'",
    "select * from (select n_regionkey as k, n_name from nation) a join (select r_regionkey as k, r_name from region) b using (k)",
    "select * from (select n_name, n_regionkey as k from nation) a join (select r_name, r_regionkey as k from region) b using (k)",
    "select * from (select n_name, n_regionkey as k from nation) a left join (select r_name, r_regionkey as k from region where r_regionkey < 3) b using (k)",
    "select k, n_name, r_name from (select n_name, n_regionkey as k from nation) a right join (select r_name, r_regionkey as k from region) b using (k)",
    "select * from (select o_custkey, count(*) c from orders group by 1) t where c > 2 order by c desc, o_custkey limit 5",
    "select k, count(*) from (select c_nationkey k from customer union all select s_nationkey from supplier) group by k",
    "select n_name, (select count(*) from customer where c_nationkey = n_nationkey) from nation",
    "select n_name, n_name from nation",
    "select o_custkey, count(*), (select max(c_acctbal) from customer where c_custkey = o_custkey) from orders group by o_custkey",
    "select o_custkey from orders group by o_custkey having count(*) > (select count(*) from nation where n_regionkey = o_custkey % 5)",
    "select c_custkey from customer order by (select count(*) from orders where o_custkey = c_custkey) desc, c_custkey limit 7",
    "select * from customer c where c.c_acctbal > (select avg(c2.c_acctbal) from customer c2 where c2.c_nationkey = c.c_nationkey)",
    "select n_name, n_name from nation union select r_name, r_name from region",
    "select 1 from (select count(*) from nation)",
    "select count(*) from (select sum(n_nationkey) from nation group by n_regionkey)",
    // aggregation, distinct, windows
    "select l_returnflag, count(distinct l_suppkey), avg(l_quantity), min(l_shipdate), sum(l_linenumber) from lineitem group by l_returnflag having count(*) > 1",
    "select distinct l_shipmode, l_returnflag from lineitem",
    "select l_returnflag, sum(distinct l_quantity), avg(distinct l_tax), count(distinct l_shipmode) from lineitem group by l_returnflag",
    "select count(*), sum(l_quantity), avg(l_tax) from lineitem where l_quantity > 1000",
    "select o_custkey, o_orderkey, row_number() over (partition by o_custkey order by o_orderkey), rank() over (order by o_orderpriority), sum(o_totalprice) over (partition by o_custkey), avg(o_totalprice) over (partition by o_custkey) from orders",
    "select o_orderkey, sum(o_totalprice) over (order by o_orderkey rows between 2 preceding and current row) from orders",
    // set operations with duplicates and NULLs
    "select c_nationkey from customer union select s_nationkey from supplier",
    "select c_nationkey from customer union all select s_nationkey from supplier",
    "select c_nationkey from customer intersect select s_nationkey from supplier",
    "select c_nationkey from customer intersect all select s_nationkey from supplier",
    "select c_nationkey from customer except select s_nationkey from supplier",
    "select c_nationkey from customer except all select s_nationkey from supplier",
    "select c_nationkey from customer union select s_nationkey from supplier intersect select n_nationkey from nation",
    // expressions
    "select o_orderkey, case when o_totalprice > 50 then 'big' when o_totalprice is null then 'none' end, coalesce(o_comment, 'x'), nullif(o_shippriority, 1), cast(o_totalprice as integer) from orders",
    "select p_partkey from part where p_size between 10 and 20 and p_type like '%BRASS' and p_container in ('SM BOX', 'MED BOX')",
    "select extract(year from o_orderdate), extract(month from o_orderdate), extract(day from o_orderdate), o_orderdate + interval '1' month, o_orderdate - interval '10' day from orders",
    "select substring(c_phone from 1 for 2), substring(c_phone, 4), upper(c_mktsegment), lower(c_mktsegment), length(c_phone), trim('  x  '), trim(both 'C' from c_mktsegment), concat(c_name, c_custkey), c_name || '!' from customer",
    "select l_orderkey / 3, l_orderkey % 3, l_quantity * l_discount, 1 - l_discount, l_quantity / l_tax from lineitem where l_tax <> 0",
    "with big as (select o_custkey, o_totalprice from orders where o_totalprice > 50) select count(*) from big b1, big b2 where b1.o_custkey = b2.o_custkey",
    "select o_orderpriority, count(*) from orders group by 1 order by 2 desc, 1 limit 3 offset 1",
    "select 1 + 1, 'x', date '2020-02-29' + interval '1' year",
    "select l_returnflag from lineitem group by l_returnflag order by count(*) desc, 1",
    "select o_orderkey, o_totalprice from orders order by o_totalprice * -1 limit 5",
    "select c_custkey from customer where exists (select * from orders where o_custkey = c_custkey or exists (select * from lineitem where l_orderkey = o_orderkey and l_quantity > c_acctbal))",
    "select p_partkey, (select min(ps_supplycost) from partsupp where ps_partkey = p_partkey and ps_availqty > p_size) from part where p_size < 20",
  ];
  for (const sql of queries) {
    it(sql, async () => {
      await expectSameAnswer(sql);
      await expectSameAnswer(sql, { twoPhaseAggregates: true });
    });
  }
});
