// Rows an engine returned, loaded into another engine, read back as the same rows: every column
// type of the TPC-H tables (decimals, dates, strings, integers), NULLs included, and timestamps,
// times, doubles and booleans.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TPCH_TABLE_NAMES } from "../../datagen/tpch/schema.ts";
import { LocalEngine, substraitTypeFromDuckdb } from "../index.ts";
import { planSql } from "../../planner/index.ts";
import { rowsAsText } from "./compare.ts";
import { tpchFixture, type TpchFixture } from "./data.ts";

let fixture: TpchFixture;
beforeAll(async () => {
  fixture = await tpchFixture({ scale: 2, nullRate: 0.05 });
});
afterAll(() => fixture?.dispose());

describe("LocalEngine.registerBatches", () => {
  it.each(TPCH_TABLE_NAMES)("gives back every row of %s", async (table) => {
    const schema = fixture.engine.catalog().lookup([table])!.schema;
    const source = await fixture.engine.runReferenceSql(`SELECT * FROM ${table}`);
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const columns = schema.names.map((name, i) => ({ name, type: schema.struct!.types[i] }));
      const loaded = await target.registerBatches(["loaded"], columns, source.table.batches);
      expect(loaded).toBe(source.table.numRows);
      const back = await target.runReferenceSql(`SELECT * FROM __trustql_rows(0)`);
      expect(rowsAsText(back.table, back.names)).toEqual(rowsAsText(source.table, source.names));
      expect(target.catalog().lookup(["loaded"])?.rowCount).toBe(source.table.numRows);
    } finally {
      target.close();
    }
  });

  it("keeps timestamps, times, doubles, booleans and empty tables exact", async () => {
    const source = await fixture.engine.runReferenceSql(
      `SELECT TIMESTAMP '2024-02-29 13:14:15.123456' + (i * INTERVAL 1 SECOND) AS ts, TIME '23:59:59.999999' AS t, i / 7.0::DOUBLE AS d, i % 3 = 0 AS b, CASE WHEN i % 5 = 0 THEN NULL ELSE i END::BIGINT AS n FROM range(5000) r(i)`,
    );
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const columns = ["TIMESTAMP", "TIME", "DOUBLE", "BOOLEAN", "BIGINT"].map((t, i) => ({ name: source.names[i], type: substraitTypeFromDuckdb(t, true) }));
      await target.registerBatches(["loaded"], columns, source.table.batches);
      const back = await target.runReferenceSql(`SELECT * FROM __trustql_rows(0)`);
      expect(rowsAsText(back.table, back.names)).toEqual(rowsAsText(source.table, source.names));
      expect(await target.registerBatches(["empty"], columns, [])).toBe(0);
      const counted = await target.execute(planSql("SELECT count(*) AS n, max(ts) AS latest FROM empty", target.catalog()).plan);
      expect(rowsAsText(counted.table, counted.names)).toEqual(["0|NULL"]);
    } finally {
      target.close();
    }
  });

  it("gives rows read whole as a plan reading them would, without running it; batches of other types are refused", async () => {
    const source = await fixture.engine.runReferenceSql(
      `SELECT l_orderkey, l_extendedprice, l_shipdate, l_comment, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(l_linenumber) AS seen, INTERVAL (l_linenumber) DAY AS gap FROM lineitem`,
    );
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const types = ["BIGINT", "DECIMAL(15,2)", "DATE", "VARCHAR", "TIMESTAMPTZ", "INTERVAL"];
      const columns = source.names.map((name, i) => ({ name, type: substraitTypeFromDuckdb(types[i], true) }));
      await target.registerBatches(["loaded"], columns, source.table.batches);
      const read = await target.runReferenceSql(`SELECT * FROM __trustql_rows(0)`);
      const names = ["a", "b", "c", "d", "e", "f"];
      const passed = await target.rowsAsTable(columns, source.table.batches, names);
      expect(passed!.schema.fields.map((f) => f.name)).toEqual(names);
      expect(passed!.schema.fields.map((f) => String(f.type))).toEqual(read.table.schema.fields.map((f) => String(f.type)));
      expect(rowsAsText(passed!, names)).toEqual(rowsAsText(read.table, read.names));
      // A peer's rows of other types than the exchange says go through a plan, which refuses them.
      const swapped = [columns[1], columns[0], ...columns.slice(2)];
      expect(await target.rowsAsTable(swapped, source.table.batches, names)).toBeUndefined();
      expect(await target.rowsAsTable(columns, [], names)).toBeUndefined();
    } finally {
      target.close();
    }
  });

  it("reads text behind pointers whether DuckDB keeps it in one run, scattered, or repeated", async () => {
    // Sorted by a hash, a vector's strings point all over the heap; picked from a list, many
    // point at the same bytes; inline strings and NULLs sit between the runs.
    const select = `SELECT i,
        CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 < 4 THEN 'inline' || (i % 7) ELSE repeat(chr((65 + i % 26)::INTEGER), (13 + i % 40)::INTEGER) || i END AS scattered,
        (['a string long enough to live behind a pointer', 'short', NULL, 'another one, also past twelve bytes'])[1 + i % 4] AS repeated
      FROM range(9000) t(i) ORDER BY hash(i)`;
    const digest = `SELECT count(*), sum(hash(i, scattered, repeated)::HUGEINT), count(scattered), count(repeated), sum(length(scattered))`;
    const source = await fixture.engine.runReferenceSql(select);
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const types = ["BIGINT", "VARCHAR", "VARCHAR"];
      await target.registerBatches(["loaded"], source.names.map((name, i) => ({ name, type: substraitTypeFromDuckdb(types[i], true) })), source.table.batches);
      const expected = await fixture.engine.runReferenceSql(`${digest} FROM (${select})`);
      const back = await target.runReferenceSql(`${digest} FROM __trustql_rows(0)`);
      expect(rowsAsText(back.table, back.names)).toEqual(rowsAsText(expected.table, expected.names));
    } finally {
      target.close();
    }
  });

  it("carries every value width, NULLs at any bit offset and text of any length, by DuckDB's own hash of the rows", async () => {
    // Values checked by DuckDB on both sides, so a fault shared by reading and loading cannot hide.
    const select = `SELECT
        CASE WHEN i % 7 = 3 THEN NULL ELSE ((i * 37) % 19999 - 9999) / 100 END::DECIMAL(4,2) AS d2,
        CASE WHEN i % 5 = 1 THEN NULL ELSE (i * 7919) % 1999999998 - 999999999 END::DECIMAL(9,0) AS d4,
        CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 104729) - 50000000 END::DECIMAL(18,3) AS d8,
        CASE WHEN i % 13 = 0 THEN NULL ELSE (i::HUGEINT * 1000000007 - 99999999999) END::DECIMAL(38,2) AS d16,
        CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN repeat('é', i % 20) ELSE 'k' || i END AS s,
        CASE WHEN i % 17 = 0 THEN NULL ELSE i - 3000 END::INTEGER AS n,
        CASE WHEN i % 2 = 0 THEN NULL ELSE DATE '2020-01-01' + i::INTEGER END AS day,
        (i % 4) * INTERVAL 1 DAY AS span
      FROM range(6001) t(i) WHERE i % 9 <> 4`;
    const columns = ["d2", "d4", "d8", "d16", "s", "n", "day", "span"];
    const types = ["DECIMAL(4,2)", "DECIMAL(9,0)", "DECIMAL(18,3)", "DECIMAL(38,2)", "VARCHAR", "INTEGER", "DATE", "VARCHAR"];
    const source = await fixture.engine.runReferenceSql(select);
    expect(source.table.batches.length).toBeGreaterThan(1);
    const target = await LocalEngine.open({ threads: 1 });
    try {
      // Slices start and end inside a byte of the validity bitmaps.
      const sliced = [source.table.slice(0, 3), source.table.slice(3, 2900), source.table.slice(2900)].flatMap((t) => t.batches);
      const loaded = await target.registerBatches(["loaded"], columns.map((name, i) => ({ name, type: substraitTypeFromDuckdb(types[i], true) })), sliced);
      expect(loaded).toBe(source.table.numRows);
      const digest = `SELECT count(*), sum(hash(d2, d4, d8, d16, s, n, day, span::VARCHAR)::HUGEINT), count(d2), count(d4), count(d8), count(d16), count(s), count(n), count(day)`;
      const expected = await fixture.engine.runReferenceSql(`${digest} FROM (${select})`);
      const back = await target.runReferenceSql(`${digest} FROM __trustql_rows(0)`);
      expect(rowsAsText(back.table, back.names)).toEqual(rowsAsText(expected.table, expected.names));
    } finally {
      target.close();
    }
  });
});

