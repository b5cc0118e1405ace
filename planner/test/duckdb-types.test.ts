// The root types of every TPC-H plan are the types DuckDB gives the same SQL (DESCRIBE over
// empty tables), mapped through exec/types.ts: the plan states DuckDB's semantics exactly.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbTypeFromSubstrait, substraitTypeFromDuckdb } from "../../exec/types.ts";
import { planSql } from "../index.ts";
import { outputColumns } from "../plan-utils.ts";
import { toSubstraitType } from "../types.ts";
import { TPCH_QUERIES, tpchCatalog, tpchDdl } from "./tpch.ts";

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  await connection.run(tpchDdl());
});

afterAll(() => {
  connection?.closeSync();
  instance?.closeSync();
});

async function describeTypes(sql: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE ${sql.replace(/;\s*$/, "")}`);
  // Through exec/types.ts both ways: HUGEINT, which Substrait lacks, is DECIMAL(38,0) in a plan.
  return reader.getRowObjects().map((r) => duckdbTypeFromSubstrait(substraitTypeFromDuckdb(String(r.column_type))));
}

function plannedTypes(sql: string, twoPhaseAggregates = false): string[] {
  const planned = planSql(sql, tpchCatalog, { twoPhaseAggregates });
  return outputColumns(planned.logical).map((c) => duckdbTypeFromSubstrait(toSubstraitType(c.type)));
}

describe("root types equal DuckDB's DESCRIBE", () => {
  for (const { name, sql } of TPCH_QUERIES) {
    it(name, async () => {
      expect(plannedTypes(sql)).toEqual(await describeTypes(sql));
      expect(plannedTypes(sql, true)).toEqual(await describeTypes(sql));
    });
  }

  const expressions = [
    "1 - l_discount",
    "l_extendedprice * (1 - l_discount) * (1 + l_tax)",
    "sum(l_quantity)",
    "avg(l_quantity)",
    "sum(l_linenumber)",
    "l_linenumber / 2",
    "l_partkey % 3",
    "0.06 - 0.01",
    "100.00 * sum(l_extendedprice)",
    "sum(l_extendedprice) / 7.0",
    "extract(year from l_shipdate)",
    "l_shipdate - interval '3' month",
    "count(distinct l_suppkey)",
    "coalesce(l_quantity, 0)",
    "nullif(l_linenumber, 1)",
    "case when l_linenumber = 1 then l_tax else 0 end",
    "case when true then 1 else 0.5 end",
    "length(l_comment)",
    "upper(l_comment) || 1",
    "substring(l_comment, 1, 3)",
    "trim(l_comment)",
    "cast(l_quantity as integer)",
    "l_quantity::double",
    "row_number() over (partition by l_orderkey order by l_linenumber)",
    "rank() over (order by l_quantity)",
    "sum(l_quantity) over (partition by l_orderkey)",
    "avg(l_linenumber) over ()",
    "3000000000",
    "l_orderkey * l_quantity",
    "min(l_shipdate)",
  ];
  for (const e of expressions) {
    it(e, async () => {
      const sql = `SELECT ${e} AS x FROM lineitem`;
      expect(plannedTypes(sql)).toEqual(await describeTypes(sql));
    });
  }
});
