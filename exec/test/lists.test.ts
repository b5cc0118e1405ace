// LIST columns through the Arrow layer: DuckDB's lists of every element type trustql runs,
// copied into Arrow (ArrowCollector), sent through Arrow IPC, cut into slices and loaded into
// another engine (BatchScan), come back as the same lists: NULL lists, empty lists and NULL
// elements kept apart, over several chunks and batches. Each list's text is DuckDB's own
// (formatValue is held to DuckDB's cast of the list to VARCHAR).
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBDataChunk, INTEGER, LIST } from "@duckdb/node-api";
import { ArrowCollector, LocalEngine, substraitTypeFromDuckdb } from "../index.ts";
import { formatDuckdbFloat, formatValue, quoteListElement, tableToText } from "../../client/output/values.ts";
import { columnsCheckSql, rowsAsText } from "./compare.ts";

const ROWS = 6_000;

/** Each list column: its DuckDB type, its Arrow type, and an element of row `i` at position `k` (a SQL expression). */
const COLUMNS: { name: string; type: string; arrow: string; element: string }[] = [
  { name: "tiny", type: "TINYINT[]", arrow: "List<Int8>", element: "(i * 31 + k * 7) % 256 - 128" },
  { name: "small", type: "SMALLINT[]", arrow: "List<Int16>", element: "(i * 7919 + k) % 65536 - 32768" },
  { name: "ints", type: "INTEGER[]", arrow: "List<Int32>", element: "(i * 104729 + k * 1000003) % 4294967296 - 2147483648" },
  {
    name: "bigs",
    type: "BIGINT[]",
    arrow: "List<Int64>",
    element: "CASE k WHEN 4 THEN 9223372036854775807 WHEN 3 THEN -9223372036854775807 - 1 ELSE i * 1000000007 * (k + 1) - 50000000000 END",
  },
  {
    name: "doubles",
    type: "DOUBLE[]",
    arrow: "List<Float64>",
    element: `CASE WHEN k = 5 THEN 'nan'::DOUBLE WHEN k = 4 THEN (CASE WHEN i % 2 = 0 THEN 'inf' ELSE '-inf' END)::DOUBLE WHEN i % 97 = 0 THEN '-0.0'::DOUBLE
      ELSE ((i * 2654435761 + k * 40503) % 1000003 - 500000) / 997.0 * 10 ** ((i + k) % 45 - 22) END`,
  },
  {
    name: "floats",
    type: "FLOAT[]",
    arrow: "List<Float32>",
    element: `CASE WHEN k = 5 THEN 'nan'::FLOAT WHEN i % 89 = 0 THEN '-0.0'::FLOAT ELSE ((i * 2654435761 + k * 40503) % 1000003 - 500000) / 997.0 * 10 ** ((i + k) % 41 - 20) END`,
  },
  { name: "d2", type: "DECIMAL(4,2)[]", arrow: "List<Decimal[4e+2]>", element: "((i * 37 + k) % 19999 - 9999) / 100" },
  { name: "d11", type: "DECIMAL(11,1)[]", arrow: "List<Decimal[11e+1]>", element: "((i * 7919 + k * 13) % 2000000 - 1000000) / 10" },
  { name: "d18", type: "DECIMAL(18,3)[]", arrow: "List<Decimal[18e+3]>", element: "(i * 104729 * (k + 1) - 50000000) / 1000" },
  {
    name: "d38",
    type: "DECIMAL(38,10)[]",
    arrow: "List<Decimal[38e+10]>",
    element: "(CASE WHEN i % 2 = 0 THEN '-' ELSE '' END || (i::HUGEINT * 1000000007 * 1000000007 * (k + 1))::VARCHAR || '.' || lpad(((i * 7 + k) % 10000000000)::VARCHAR, 10, '0'))",
  },
  { name: "bools", type: "BOOLEAN[]", arrow: "List<Bool>", element: "(i + k) % 3 = 0" },
  {
    name: "strings",
    type: "VARCHAR[]",
    arrow: "List<Utf8>",
    element: `(['it''s', 'a,b', '', 'NULL', 'null', ' lead', 'trail ', 'back\\slash', 'q"d', '[x]', '{y}', 'a=b', 'é', 'x y', 'tab' || chr(9), chr(10) || 'nl', 'a:b', '(p)', 'plain'])[1 + (i + k) % 19]
      || CASE WHEN (i + k) % 4 = 0 THEN '' ELSE ' and text past twelve bytes ' || i END`,
  },
  { name: "dates", type: "DATE[]", arrow: "List<Date32<DAY>>", element: "DATE '1950-01-01' + ((i * 37 + k * 1000) % 30000)::INTEGER" },
  {
    name: "stamps",
    type: "TIMESTAMP[]",
    arrow: "List<Timestamp<MICROSECOND>>",
    element: "TIMESTAMP '1970-01-01' + to_microseconds(i * 361700012345 + k * 86400000001 - 1000000000000000)",
  },
  { name: "nanos", type: "TIMESTAMP_NS[]", arrow: "List<Timestamp<NANOSECOND>>", element: "make_timestamp_ns(i * 361700012345678 + k * 7 - 1000000000000000000)" },
  {
    name: "instants",
    type: "TIMESTAMPTZ[]",
    arrow: "List<Timestamp<MICROSECOND, UTC>>",
    element: "TIMESTAMPTZ '2000-01-01 00:00:00+00' + to_microseconds(i * 361700012345 + k)",
  },
  { name: "times", type: "TIME[]", arrow: "List<Time64<MICROSECOND>>", element: "TIME '00:00:00' + to_microseconds((i * 3617000123 + k) % 86400000000)" },
  { name: "blobs", type: "BLOB[]", arrow: "List<Binary>", element: "(['a,b', '\\xAA\\x00', '', 'plain', 'it''s'])[1 + (i + k) % 5]::BLOB" },
  {
    name: "spans",
    type: "INTERVAL[]",
    arrow: "List<Utf8>",
    element: "to_months(k) + to_days(i % 40 - 20) + to_microseconds((i * 1000003 + k) % 90000000000 - 45000000000)",
  },
  {
    name: "nested",
    type: "INTEGER[][]",
    arrow: "List<List<Int32>>",
    element: "list_transform(range(k), lambda j: CASE WHEN j = 1 THEN NULL ELSE i + j END)",
  },
  {
    name: "nested_text",
    type: "VARCHAR[][]",
    arrow: "List<List<Utf8>>",
    element: "CASE WHEN k = 2 THEN NULL ELSE list_transform(range(k), lambda j: CASE WHEN j = 1 THEN NULL ELSE (['a b', 'x''y', ''])[1 + (i + j) % 3] END) END",
  },
];

/**
 * Rows of every list column: row i's list of column c is NULL for some rows, empty for others,
 * else of up to five elements, some NULL.
 */
const SELECT = `SELECT i, ${COLUMNS.map(
  ({ name, type, element }, c) =>
    `CASE WHEN i % 11 = ${c % 11} THEN NULL ELSE list_transform(range((i * 7 + ${c}) % 6), lambda k: CASE WHEN (i + k + ${c}) % 5 = 2 THEN NULL ELSE (${element})::${type.slice(0, -2)} END) END::${type} AS ${name}`,
).join(",\n  ")}
  FROM range(${ROWS}) t(i)`;

/** DuckDB's own text of each list, and a digest of the rows. */
const { text: duckdbText, digest: duckdbDigest } = columnsCheckSql(COLUMNS.map((c) => c.name));

let source: LocalEngine;
let rows: arrow.Table;
let names: string[];
/** DuckDB's text of the lists, one string of all columns per row. */
let expectedText: string[];
/** DuckDB's text of the lists, column by column. */
let expectedColumns: string[][];

beforeAll(async () => {
  source = await LocalEngine.open({ threads: 1 });
  const result = await source.runReferenceSql(SELECT);
  rows = result.table;
  names = result.names;
  const text = await source.runReferenceSql(duckdbText(`(${SELECT})`));
  expectedText = rowsAsText(text.table, text.names);
  expectedColumns = tableToText(text.table).map((c) => c.values.map((v) => v ?? "NULL"));
});
afterAll(() => source?.close());

const columns = () => [{ name: "i", type: substraitTypeFromDuckdb("BIGINT", true) }, ...COLUMNS.map((c) => ({ name: c.name, type: substraitTypeFromDuckdb(c.type, true) }))];

/** Loads `batches` into a fresh engine; its text and digest of the rows, as DuckDB reads them there. */
async function loadedBack(batches: readonly arrow.RecordBatch[]): Promise<{ text: string[]; digest: string[]; table: arrow.Table }> {
  const target = await LocalEngine.open({ threads: 1 });
  try {
    expect(await target.registerBatches(["loaded"], columns(), batches)).toBe(ROWS);
    const text = await target.runReferenceSql(duckdbText("__trustql_rows(0)"));
    const digest = await target.runReferenceSql(duckdbDigest("__trustql_rows(0)"));
    const whole = await target.runReferenceSql("SELECT * FROM __trustql_rows(0)");
    return { text: rowsAsText(text.table, text.names), digest: rowsAsText(digest.table, digest.names), table: whole.table };
  } finally {
    target.close();
  }
}

describe("LIST columns through Arrow", () => {
  it("become Arrow lists of the element type's Arrow type, over several batches", () => {
    expect(rows.numRows).toBe(ROWS);
    expect(rows.batches.length).toBeGreaterThan(1);
    expect(rows.schema.fields.slice(1).map((f) => String(f.type))).toEqual(COLUMNS.map((c) => c.arrow));
    for (const field of rows.schema.fields.slice(1)) {
      expect((field.type as arrow.List).children[0].name).toBe("item");
      expect((field.type as arrow.List).children[0].nullable).toBe(true);
    }
    // NULL lists, empty lists and NULL elements are all there, with thousands of elements.
    const ints = rows.getChild("ints")!;
    let nulls = 0;
    let empty = 0;
    let elements = 0;
    let nullElements = 0;
    for (let r = 0; r < ints.length; r++) {
      const list = ints.get(r) as arrow.Vector | null;
      if (list === null) nulls++;
      else if (list.length === 0) empty++;
      else {
        elements += list.length;
        nullElements += [...list].filter((v) => v === null).length;
      }
    }
    expect([nulls > 100, empty > 100, elements > 5_000, nullElements > 500]).toEqual([true, true, true, true]);
  });

  it("print as DuckDB prints them, every element type", () => {
    const ours = tableToText(rows).slice(1);
    // Column by column, so a failure names the type.
    COLUMNS.forEach((column, c) => {
      const text = ours[c].values.map((v, r) => (column.type === "FLOAT[]" ? asDuckdbFloats(v ?? "NULL", expectedColumns[c][r]) : (v ?? "NULL")));
      expect({ column: column.name, text }).toEqual({ column: column.name, text: expectedColumns[c] });
    });
  });

  it("load into another engine as the same lists, from whole, sliced and IPC-carried batches", async () => {
    const digested = await source.runReferenceSql(duckdbDigest(`(${SELECT})`));
    const expectedDigest = rowsAsText(digested.table, digested.names);
    const whole = await loadedBack(rows.batches);
    expect(whole.text).toEqual(expectedText);
    expect(whole.digest).toEqual(expectedDigest);
    // Read back whole, the lists are the same Arrow values again.
    expect(rowsAsText(whole.table, names)).toEqual(rowsAsText(rows, names));

    // Slices start and end inside a byte of the validity bitmaps, and their lists' offsets do not start at 0.
    const sliced = [rows.slice(0, 3), rows.slice(3, 2_901), rows.slice(2_901, 4_999), rows.slice(4_999)].flatMap((t) => t.batches);
    const fromSlices = await loadedBack(sliced);
    expect(fromSlices.text).toEqual(expectedText);
    expect(fromSlices.digest).toEqual(expectedDigest);

    const carried = arrow.tableFromIPC(arrow.tableToIPC(rows));
    expect(carried.schema.fields.map((f) => String(f.type))).toEqual(rows.schema.fields.map((f) => String(f.type)));
    expect(rowsAsText(carried, names)).toEqual(rowsAsText(rows, names));
    const fromIpc = await loadedBack(carried.batches);
    expect(fromIpc.text).toEqual(expectedText);
    expect(fromIpc.digest).toEqual(expectedDigest);

    // Slices carried through IPC.
    const slicedCarried = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(sliced)));
    expect((await loadedBack(slicedCarried.batches)).text).toEqual(expectedText);
  });

  it("are the Arrow types a plan reading the lists returns (rowsAsTable)", async () => {
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const table = await target.rowsAsTable(columns(), rows.batches, names);
      expect(table).toBeDefined();
      expect(rowsAsText(table!, names)).toEqual(rowsAsText(rows, names));
    } finally {
      target.close();
    }
  });

  it("keep lists whose elements DuckDB laid out in any order, and lists of many elements", async () => {
    for (const select of [
      `SELECT [i, NULL, -i] AS l, ['s' || i, NULL, ''] AS s FROM range(5000) t(i) ORDER BY hash(i)`,
      `SELECT l, s FROM (SELECT i, [i, i + 1, NULL] AS l, ['s' || i] AS s FROM range(10000) t(i)) WHERE i % 3 = 0`,
      `SELECT list(i ORDER BY i) AS l, list(i::VARCHAR ORDER BY i) AS s FROM range(100000) t(i) GROUP BY i % 20 ORDER BY l[1]`,
      `SELECT list_reverse([i, NULL, i * 2]) AS l, list_slice(['a', 'b', NULL, 'd' || i], 2, 3) AS s FROM range(3000) t(i)`,
      `SELECT [[i], [i, NULL], NULL][1 + i % 3] AS l, [[]::VARCHAR[], NULL, ['x']][1 + i % 3] AS s FROM range(3000) t(i)`,
    ]) {
      const result = await source.runReferenceSql(select);
      const text = await source.runReferenceSql(`SELECT l::VARCHAR AS l, s::VARCHAR AS s FROM (${select})`);
      expect(rowsAsText(result.table, result.names)).toEqual(rowsAsText(text.table, text.names));
    }
  });

  it("copies lists whose elements lie out of order in DuckDB's child vector", () => {
    // DuckDB's results come with each vector's elements in row order; a list vector may point
    // anywhere in its child, which the collector copies element by element.
    const values = [[1, 2], null, [], [3, null], [4]];
    const chunk = DuckDBDataChunk.create([LIST(INTEGER)], values.length);
    chunk.setColumnValues(0, values.map((v) => (v === null ? null : { items: v }) as never));
    const real = chunk.getColumnVector(0) as unknown as {
      validity: unknown;
      childVector: unknown;
      getEntryOffset(r: number): number;
      getEntryLength(r: number): number;
      getItem(r: number): unknown;
    };
    // Rows in reverse: each row's elements are those of the row mirrored.
    const n = values.length;
    const reversed = {
      validity: {
        data: BigUint64Array.of(values.reduce((mask, v, r) => (v === null ? mask : mask | (1n << BigInt(n - 1 - r))), 0n)),
        offset: 0,
        itemValid: (r: number) => values[n - 1 - r] !== null,
      },
      childVector: real.childVector,
      itemCount: n,
      getEntryOffset: (r: number) => real.getEntryOffset(n - 1 - r),
      getEntryLength: (r: number) => real.getEntryLength(n - 1 - r),
      getItem: (r: number) => real.getItem(n - 1 - r),
    };
    const collector = new ArrowCollector([LIST(INTEGER)], ["l"]);
    collector.add({ rowCount: n, getColumnVector: () => reversed } as never);
    const table = collector.finish();
    expect(tableToText(table)[0].values).toEqual(["[4]", "[3, NULL]", "[]", null, "[1, 2]"]);
  });
});

/**
 * `ours` where DuckDB's text of a list differs from it only in FLOAT values that are the same
 * float (formatDuckdbFloat's note), DuckDB's; otherwise ours.
 */
function asDuckdbFloats(ours: string, duckdb: string): string {
  if (ours === duckdb) return ours;
  const [a, b] = [ours, duckdb].map((text) => text.slice(1, -1).split(", "));
  const sameFloat = (x: string, y: string) => x === y || Math.fround(Number(x)) === Math.fround(Number(y));
  return a.length === b.length && a.every((x, i) => sameFloat(x, b[i])) ? duckdb : ours;
}

describe("formatValue of a list", () => {
  const listOf = (type: arrow.DataType, values: unknown[]) => arrow.vectorFromArray([values], new arrow.List(new arrow.Field("item", type, true))).get(0);

  it("quotes strings as DuckDB does", async () => {
    const strings = ["it's", "a,b", "", "NULL", "nUlL", "nul", " lead", "trail ", " ", "x", "back\\slash", "both ' and \\", 'q"d', "[x]", "{y}", "a=b", "a:b", "(p)", "é", "x y", "\t", "a\nb", "\nnl", "nl\n", "\u00a0nbsp"];
    const list = listOf(new arrow.Utf8(), [...strings, null]);
    const literal = strings.map((s) => `'${s.replaceAll("'", "''")}'`).join(", ");
    const duckdb = await source.runReferenceSql(`SELECT [${literal}, NULL]::VARCHAR AS l`);
    expect(formatValue(new arrow.List(new arrow.Field("item", new arrow.Utf8(), true)), list)).toBe(tableToText(duckdb.table)[0].values[0]);
    expect(quoteListElement("it's")).toBe("'it\\'s'");
    expect(quoteListElement("a,\\b")).toBe("'a,\\\\b'");
    expect(quoteListElement("back\\slash")).toBe("back\\slash");
  });

  it("writes doubles and floats as DuckDB does", async () => {
    const doubles = fc.sample(fc.double(), { numRuns: 3_000, seed: 1 }).concat([0, -0, 1, 2, 0.1, 1e15, 1e16, 1e-4, 1e-5, 123456789012345680, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity]);
    const floats = fc.sample(fc.float(), { numRuns: 3_000, seed: 2 }).concat([0, -0, 1, 0.1, 1e7, 16777216, 1e15, 1e16, 1e-45, 3.4028234663852886e38].map(Math.fround));
    const literal = (values: number[], type: string) => values.map((v) => `'${Number.isNaN(v) ? "nan" : Object.is(v, -0) ? "-0.0" : v}'::${type}`).join(", ");
    const duckdb = await source.runReferenceSql(`SELECT [${literal(doubles, "DOUBLE")}]::VARCHAR AS d, [${literal(floats, "FLOAT")}]::VARCHAR AS f`);
    const [d, f] = tableToText(duckdb.table).map((c) => c.values[0]);
    expect(formatValue(new arrow.List(new arrow.Field("item", new arrow.Float64(), true)), listOf(new arrow.Float64(), doubles))).toBe(d);
    expect(asDuckdbFloats(formatValue(new arrow.List(new arrow.Field("item", new arrow.Float32(), true)), listOf(new arrow.Float32(), floats)), f!)).toBe(f);
    // DuckDB keeps a digit more where two shortest FLOAT texts are equally near (formatDuckdbFloat's note).
    expect(formatDuckdbFloat(246459.375, true)).toBe("246459.38");
    expect([2, 1e20, 1e-7, -0, 1.5].map((v) => formatDuckdbFloat(v))).toEqual(["2.0", "1e+20", "1e-07", "-0.0", "1.5"]);
    expect(formatDuckdbFloat(Math.fround(0.1), true)).toBe("0.1");
  });

  it("writes a list of a list, of NULLs and of nothing", () => {
    const type = new arrow.List(new arrow.Field("item", new arrow.List(new arrow.Field("item", new arrow.Int32(), true)), true));
    const vector = arrow.vectorFromArray([[[1, 2], [3], [], null, [null]], [], [null]], type);
    expect([0, 1, 2].map((r) => formatValue(type, vector.get(r)))).toEqual(["[[1, 2], [3], [], NULL, [NULL]]", "[]", "[NULL]"]);
  });
});
