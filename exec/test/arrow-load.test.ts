// Rows an engine returned, loaded into another engine, read back as the same rows: every column
// type of the TPC-H tables (decimals, dates, strings, integers), NULLs included, and timestamps,
// times, doubles and booleans.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TPCH_TABLE_NAMES } from "../../datagen/tpch/schema.ts";
import { LocalEngine, substraitTypeFromDuckdb } from "../index.ts";
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
      const back = await target.runReferenceSql(`SELECT * FROM __loaded_0`);
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
      const back = await target.runReferenceSql(`SELECT * FROM __loaded_0`);
      expect(rowsAsText(back.table, back.names)).toEqual(rowsAsText(source.table, source.names));
      await target.registerBatches(["empty"], columns, []);
      expect((await target.runReferenceSql(`SELECT count(*) FROM __loaded_1`)).table.getChildAt(0)!.get(0)).toBe(0n);
    } finally {
      target.close();
    }
  });
});
