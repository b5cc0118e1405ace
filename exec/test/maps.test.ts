// MAP columns through the Arrow layer: DuckDB's maps (of texts DuckDB quotes, of lists and
// structs, empty, NULL, NULL values) become Arrow maps, print as DuckDB casts them to VARCHAR
// and write as JSON objects; taken, cut and sent through IPC they stay the same maps, and a plan
// reads them back as the lists of entries it runs maps as (exec/substrait/structs.ts).
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalEngine, substraitTypeFromDuckdb } from "../index.ts";
import { tableToText } from "../../client/output/values.ts";
import { render } from "../../client/output/formats.ts";
import { concatBatches, hashRows, takeRows } from "../../shuffle/index.ts";

const ROWS = 5_000;

/** Texts DuckDB quotes in a map, and some it does not. */
const STRINGS = `['it''s', 'a,b', '', 'NULL', ' lead', 'k=v', '{y}', 'é', 'plain']`;

const COLUMNS: { name: string; type: string; value: string }[] = [
  {
    name: "texts",
    type: "MAP(VARCHAR, INTEGER)",
    value: `CASE WHEN i % 11 = 3 THEN NULL ELSE map(list_transform(range(i % 4), lambda k: ${STRINGS}[1 + (i + k) % 9]), list_transform(range(i % 4), lambda k: CASE WHEN k = 2 THEN NULL ELSE i * 7 + k END)) END`,
  },
  { name: "lists", type: "MAP(INTEGER, DOUBLE[])", value: `MAP {i % 100: CASE WHEN i % 5 = 0 THEN NULL ELSE [i / 8, -0.5] END, -1: []}` },
  { name: "structs", type: "MAP(VARCHAR, STRUCT(unit VARCHAR, qty INTEGER))", value: `MAP {'k' || (i % 3): {'unit': ${STRINGS}[1 + i % 9], 'qty': CASE WHEN i % 4 = 1 THEN NULL ELSE i END}}` },
];

let engine: LocalEngine;
let rows: arrow.Table;
let expectedText: string[][];

beforeAll(async () => {
  engine = await LocalEngine.open({ threads: 1 });
  const select = `SELECT i, ${COLUMNS.map((c) => `CAST(${c.value} AS ${c.type}) AS ${c.name}`).join(", ")} FROM range(${ROWS}) t(i)`;
  await engine.runReferenceSql(`CREATE TABLE maps AS ${select}`);
  rows = (await engine.runReferenceSql("SELECT * FROM maps ORDER BY i")).table;
  const text = (await engine.runReferenceSql(`SELECT ${COLUMNS.map((c) => `CAST(${c.name} AS VARCHAR)`).join(", ")} FROM maps ORDER BY i`)).table;
  expectedText = tableToText(text).map((c) => c.values.map((v) => v ?? "NULL"));
});

afterAll(() => engine.close());

describe("MAP columns through Arrow", () => {
  it("become Arrow maps of key-value structs, over several batches", () => {
    expect(rows.numRows).toBe(ROWS);
    expect(rows.batches.length).toBeGreaterThan(1);
    for (const field of rows.schema.fields.slice(1)) expect(arrow.DataType.isMap(field.type)).toBe(true);
  });

  it("print as DuckDB casts them to VARCHAR", () => {
    const ours = tableToText(rows).slice(1);
    COLUMNS.forEach((column, c) => expect({ column: column.name, text: ours[c].values.map((v) => v ?? "NULL") }).toEqual({ column: column.name, text: expectedText[c] }));
  });

  it("write as JSON objects in JSON lines, each key as its text", () => {
    const lines = (render(rows.slice(0, 3), rows.schema.fields.map((f) => f.name), "jsonl") as string).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[1]).toEqual({ i: 1, texts: { "a,b": 7 }, lists: { "1": [0.125, -0.5], "-1": [] }, structs: { k1: { unit: "a,b", qty: null } } });
    expect(lines[0].texts).toEqual({});
  });

  it("stay the same maps taken, put end to end and carried through IPC, and hash alike when equal", () => {
    const indexes = Uint32Array.from({ length: 600 }, (_, k) => (k * 7919) % ROWS);
    const batch = concatBatches(rows.batches);
    const taken = new arrow.Table([takeRows(batch, indexes)]);
    const text = tableToText(rows);
    const takenText = tableToText(arrow.tableFromIPC(arrow.tableToIPC(taken)));
    for (let c = 0; c < text.length; c++) expect(takenText[c].values).toEqual(Array.from(indexes, (r) => text[c].values[r]));
    // A row's maps and their copies hash alike.
    const maps = (b: arrow.RecordBatch) => COLUMNS.map((c) => arrow.makeVector(b.getChild(c.name)!.data[0]));
    const copies = takeRows(batch, Uint32Array.of(5, 5, 6));
    const [whole, copied] = [hashRows(maps(batch), batch.numRows), hashRows(maps(copies), copies.numRows)];
    const hash = (h: { high: Uint32Array; low: Uint32Array }, r: number) => `${h.high[r]}:${h.low[r]}`;
    expect([hash(copied, 0), hash(copied, 1)]).toEqual([hash(whole, 5), hash(whole, 5)]);
    expect(hash(copied, 2)).not.toBe(hash(copied, 0));
  });

  it("load through registerBatches as the lists of entries a plan runs maps as", async () => {
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const columns = [{ name: "i", type: substraitTypeFromDuckdb("BIGINT") }, ...COLUMNS.map((c) => ({ name: c.name, type: substraitTypeFromDuckdb(c.type) }))];
      expect(await target.registerBatches(["loaded"], columns, rows.batches)).toBe(ROWS);
      // Structs within run by position too (f0, f1): named again to compare with DuckDB's text.
      const asMaps = ["map_from_entries(texts)", "map_from_entries(lists)", "map_from_entries(list_transform(structs, lambda e: {'k': e.f0, 'v': {'unit': e.f1.f0, 'qty': e.f1.f1}}))"];
      const back = await target.runReferenceSql(`SELECT ${asMaps.map((m) => `CAST(${m} AS VARCHAR)`).join(", ")} FROM __trustql_rows(0) ORDER BY i`);
      expect(tableToText(back.table).map((c) => c.values.map((v) => v ?? "NULL"))).toEqual(expectedText);
    } finally {
      target.close();
    }
  });
});
