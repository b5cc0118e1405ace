// Text across the boundary between DuckDB and Arrow, both ways: strings of every length around
// the 12 bytes DuckDB keeps in place (the longer ones, behind pointers, are copied in spans with
// the short ones between them in Arrow's buffer, and loaded as one copy the rows point into), a
// parquet column of few values, rows in another order than they were made in, NULLs among them,
// multi-byte UTF-8, and rows read from the middle of a batch.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalEngine, substraitTypeFromDuckdb } from "../index.ts";
import { rowsAsText } from "./compare.ts";

/** Rows of (i, s): `s` spans lengths 0 to 70, some multi-byte, some NULL, a few values repeated on many rows. */
const ROWS_SQL = `
  SELECT i, CASE
    WHEN i % 11 = 0 THEN NULL
    WHEN i % 5 = 0 THEN ['a dictionary value, long', 'another value of the dictionary', 'short', 'ünïcödé dictionary value'][1 + (i // 5) % 4]
    ELSE repeat(chr((97 + i % 26)::INTEGER), (i % 37)::INTEGER) || CASE WHEN i % 3 = 0 THEN 'ß€𝄞' ELSE '' END || repeat('x', (i % 13)::INTEGER)
  END AS s
  FROM range(20000) r(i)`;

let dir: string;
let engine: LocalEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-strings-"));
  engine = await LocalEngine.open({ threads: 1 });
  // DuckDB writes a column of few values dictionary-encoded: its reader hands out rows that point at the dictionary's strings.
  await engine.runReferenceSql(`COPY (${ROWS_SQL}) TO '${join(dir, "rows.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
  await engine.runReferenceSql(`CREATE VIEW from_file AS SELECT * FROM read_parquet('${join(dir, "rows.parquet")}')`);
});
afterAll(() => {
  engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** DuckDB's own text of a query's rows, the strings with their lengths (never through Arrow's strings). */
async function duckdbText(sql: string): Promise<string[]> {
  const result = await engine.runReferenceSql(`SELECT i::VARCHAR || '|' || coalesce(s || '|' || length(s)::VARCHAR, 'NULL') AS row FROM (${sql})`);
  return rowsAsText(result.table, result.names);
}

function arrowText(table: Awaited<ReturnType<LocalEngine["runReferenceSql"]>>["table"]): string[] {
  const i = table.getChildAt(0)!;
  const s = table.getChildAt(1)!;
  return Array.from({ length: table.numRows }, (_, r) => {
    const value = s.get(r) as string | null;
    return `${i.get(r)}|${value === null ? "NULL" : `${value}|${[...value].length}`}`;
  });
}

describe("text out of DuckDB into Arrow", () => {
  it.each([
    ["made by an expression", ROWS_SQL],
    ["read from a parquet file, a dictionary's values on many rows", "SELECT * FROM from_file"],
    ["in an order unlike the heap's", "SELECT * FROM from_file ORDER BY hash(i)"],
    ["joined, each value on many rows", "SELECT a.i, b.s FROM from_file a JOIN from_file b ON b.i = a.i % 400"],
  ])("gives every row's text %s", async (_, sql) => {
    const result = await engine.runReferenceSql(sql);
    const expected = await duckdbText(sql);
    expect(result.table.numRows).toBeGreaterThan(0);
    // In order where the query orders; as a multiset otherwise.
    const ordered = sql.includes("ORDER BY");
    const got = arrowText(result.table);
    expect(ordered ? got : got.sort()).toEqual(ordered ? expected : expected.sort());
  });
});

describe("text out of Arrow into DuckDB", () => {
  it("reads back every row, compares, orders and groups as DuckDB's own strings do", async () => {
    const source = await engine.runReferenceSql("SELECT * FROM from_file");
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const columns = ["BIGINT", "VARCHAR"].map((t, k) => ({ name: source.names[k], type: substraitTypeFromDuckdb(t, true) }));
      // Batches read from their middle too: a slice's offsets do not start at 0.
      const batches = source.table.batches.flatMap((b) => [b.slice(0, 1000), b.slice(1000)]);
      await target.registerBatches(["loaded"], columns, batches);
      const questions = [
        (from: string) => `SELECT i, s FROM ${from} ORDER BY s, i`,
        (from: string) => `SELECT s, count(*) AS n, min(i) AS first FROM ${from} GROUP BY s ORDER BY s`,
        (from: string) => `SELECT count(*) AS n FROM ${from} a JOIN ${from} b ON a.s = b.s AND a.i < b.i AND a.i % 97 = 0`,
        (from: string) => `SELECT i, s FROM ${from} WHERE s > 'jjjjjjjjjjjjjjj' AND s < 'ü' ORDER BY i`,
      ];
      for (const question of questions) {
        const loaded = await target.runReferenceSql(question("__trustql_rows(0)"));
        const original = await engine.runReferenceSql(question("from_file"));
        expect(rowsAsText(loaded.table, loaded.names)).toEqual(rowsAsText(original.table, original.names));
      }
    } finally {
      target.close();
    }
  });

  it("keeps the other rows of a batch whose bytes are not all UTF-8 (a peer's may hold anything, in a NULL row's place too)", async () => {
    const text = (t: string) => [...new TextEncoder().encode(t)];
    // Row 1 is NULL, its place two bytes that are no UTF-8; row 3 holds such bytes within its string.
    const bytes = Uint8Array.from([...text("a long string, row zero"), 0xff, 0xfe, ...text("another long string, row two"), ...text("long and broken "), 0xc3, 0x28]);
    const ends = [23, 25, 53, bytes.length];
    const data = arrow.makeData({ type: new arrow.Utf8(), length: 4, nullCount: 1, nullBitmap: Uint8Array.of(0b1101), valueOffsets: Int32Array.from([0, ...ends]), data: bytes });
    const field = new arrow.Field("s", new arrow.Utf8(), true);
    const batch = new arrow.RecordBatch(new arrow.Schema([field]), arrow.makeData({ type: new arrow.Struct([field]), length: 4, children: [data] }));
    const target = await LocalEngine.open({ threads: 1 });
    try {
      await target.registerBatches(["loaded"], [{ name: "s", type: substraitTypeFromDuckdb("VARCHAR", true) }], [batch]);
      const back = await target.runReferenceSql("SELECT s FROM __trustql_rows(0)");
      const rows = rowsAsText(back.table, back.names);
      expect(rows.slice(0, 3)).toEqual(["a long string, row zero", "NULL", "another long string, row two"]);
    } finally {
      target.close();
    }
  });
});
