// STRUCT columns through the Arrow layer: DuckDB's structs (of every field type trustql runs,
// holding lists, within lists, within structs), copied into Arrow (ArrowCollector), sent through
// Arrow IPC, cut into slices and loaded into another DuckDB (BatchScan), come back as the same
// structs: NULL structs, structs of NULL fields and NULL fields kept apart, over several chunks
// and batches. Each struct's text is DuckDB's own (formatValue is held to DuckDB's cast of the
// struct to VARCHAR). And exec/types.ts reads and writes STRUCT type names, field names and all.
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBDataChunk, DuckDBInstance, DuckDBTableFunction, INTEGER, STRUCT, VARCHAR } from "@duckdb/node-api";
import { ArrowCollector, LocalEngine, duckdbTypeFromSubstrait, substraitTypeFromDuckdb } from "../index.ts";
import { BatchScan } from "../arrow-load.ts";
import { fieldNameCount } from "../../proto/index.ts";
import { columnTypeFromDuckdb, isRunnableColumnType, structFieldNames } from "../types.ts";
import { formatValue, tableToText } from "../../client/output/values.ts";
import { columnsCheckSql, rowsAsText } from "./compare.ts";

const ROWS = 6_000;

/** Texts DuckDB quotes in a list or struct, and some it does not. */
const STRINGS = `['it''s', 'a,b', '', 'NULL', 'null', ' lead', 'trail ', 'back\\slash', 'q"d', '[x]', '{y}', 'a=b', 'é', 'x y', 'a:b', '(p)', 'plain']`;

/**
 * Each struct column: its DuckDB type, its Arrow type, and its value in row `i` (a SQL
 * expression, NULL fields included). FLOATs of a tenth's digits: formatDuckdbFloat's noted
 * differences from DuckDB (ties, large whole numbers) are a list's, tested there.
 */
const COLUMNS: { name: string; type: string; arrow: string; value: string }[] = [
  {
    name: "simple",
    type: "STRUCT(a INTEGER, b VARCHAR)",
    arrow: "Struct<{a:Int32, b:Utf8}>",
    value: `{'a': CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 104729) % 2000003 - 1000000 END,
      'b': CASE WHEN i % 5 = 1 THEN NULL ELSE ${STRINGS}[1 + i % 17] || CASE WHEN i % 4 = 0 THEN '' ELSE ' and text past twelve bytes ' || i END END}`,
  },
  {
    name: "scalars",
    type: "STRUCT(t TINYINT, big BIGINT, d DOUBLE, f FLOAT, d2 DECIMAL(4,2), d38 DECIMAL(38,10), flag BOOLEAN, day DATE, ts TIMESTAMP, ns TIMESTAMP_NS, tz TIMESTAMPTZ, tm TIME, bytes BLOB, span INTERVAL)",
    arrow:
      "Struct<{t:Int8, big:Int64, d:Float64, f:Float32, d2:Decimal[4e+2], d38:Decimal[38e+10], flag:Bool, day:Date32<DAY>, ts:Timestamp<MICROSECOND>, ns:Timestamp<NANOSECOND>, tz:Timestamp<MICROSECOND, UTC>, tm:Time64<MICROSECOND>, bytes:Binary, span:Utf8}>",
    value: `{'t': (i * 31) % 256 - 128,
      'big': CASE i % 9 WHEN 4 THEN 9223372036854775807 WHEN 3 THEN -9223372036854775807 - 1 ELSE i * 1000000007 - 50000000000 END,
      'd': CASE WHEN i % 13 = 5 THEN 'nan'::DOUBLE WHEN i % 97 = 0 THEN '-0.0'::DOUBLE ELSE ((i * 2654435761) % 1000003 - 500000) / 997.0 * 10 ** (i % 45 - 22) END,
      'f': CASE WHEN i % 13 = 6 THEN NULL ELSE ((i * 40503) % 100003 - 50000) / 10.0 END,
      'd2': ((i * 37) % 19999 - 9999) / 100,
      'd38': (CASE WHEN i % 2 = 0 THEN '-' ELSE '' END || (i::HUGEINT * 1000000007 * 1000000007)::VARCHAR || '.' || lpad(((i * 7) % 10000000000)::VARCHAR, 10, '0')),
      'flag': CASE WHEN i % 3 = 2 THEN NULL ELSE i % 2 = 0 END,
      'day': DATE '1950-01-01' + ((i * 37) % 30000)::INTEGER,
      'ts': TIMESTAMP '1970-01-01' + to_microseconds(i * 361700012345 - 1000000000000000),
      'ns': make_timestamp_ns(i * 361700012345678 - 1000000000000000000),
      'tz': TIMESTAMPTZ '2000-01-01 00:00:00+00' + to_microseconds(i * 361700012345),
      'tm': TIME '00:00:00' + to_microseconds((i * 3617000123) % 86400000000),
      'bytes': (['a,b', '\\xAA\\x00', '', 'plain', 'it''s'])[1 + i % 5]::BLOB,
      'span': to_months(i % 3) + to_days(i % 40 - 20) + to_microseconds((i * 1000003) % 90000000000 - 45000000000)}`,
  },
  {
    name: "with_lists",
    type: "STRUCT(ints INTEGER[], texts VARCHAR[])",
    arrow: "Struct<{ints:List<Int32>, texts:List<Utf8>}>",
    value: `{'ints': CASE WHEN i % 9 = 2 THEN NULL ELSE list_transform(range(i % 4), lambda k: CASE WHEN k = 1 THEN NULL ELSE i + k END) END,
      'texts': (['a b', NULL, 'x''y', '', 'NULL'])[1:(i % 6)]}`,
  },
  {
    name: "nested",
    type: "STRUCT(point STRUCT(x INTEGER, y VARCHAR), n BIGINT)",
    arrow: "Struct<{point:Struct<{x:Int32, y:Utf8}>, n:Int64}>",
    value: `{'point': CASE i % 6 WHEN 0 THEN NULL WHEN 1 THEN {'x': NULL, 'y': NULL}::STRUCT(x INTEGER, y VARCHAR) ELSE {'x': i, 'y': 's ' || i}::STRUCT(x INTEGER, y VARCHAR) END,
      'n': CASE WHEN i % 8 = 0 THEN NULL ELSE i::BIGINT * 1000000007 END}`,
  },
  {
    name: "list_of",
    type: "STRUCT(a INTEGER, b VARCHAR)[]",
    arrow: "List<Struct<{a:Int32, b:Utf8}>>",
    value: `list_transform(range(i % 5), lambda k: CASE WHEN k = 2 THEN NULL ELSE {'a': CASE WHEN k = 3 THEN NULL ELSE i * k END, 'b': (['p', 'q r', 'NULL', ''])[1 + (i + k) % 4]} END)`,
  },
  {
    name: "quoted",
    type: `STRUCT("my field" INTEGER, "it's" VARCHAR, "A" DOUBLE, "x""y" BOOLEAN, "select" VARCHAR, "back\\slash" INTEGER)`,
    arrow: `Struct<{my field:Int32, it's:Utf8, A:Float64, x"y:Bool, select:Utf8, back\\slash:Int32}>`,
    value: `{'my field': i % 100, 'it''s': 'v' || i, 'A': i / 4, 'x"y': CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END, 'select': '', 'back\\slash': -i}`,
  },
  {
    name: "deep",
    type: "STRUCT(l STRUCT(v INTEGER[], w STRUCT(z VARCHAR))[])",
    arrow: "Struct<{l:List<Struct<{v:List<Int32>, w:Struct<{z:Utf8}>}>>}>",
    value: `{'l': list_transform(range(i % 3), lambda k: {'v': CASE WHEN k = 1 THEN NULL ELSE [i, k] END, 'w': CASE WHEN k = 2 THEN NULL ELSE {'z': 'z' || (i + k)} END})}`,
  },
];

/** Rows of every struct column: row i's struct of column c is NULL for some rows, else the column's value (NULL fields and all). */
const SELECT = `SELECT i, ${COLUMNS.map(({ name, type, value }, c) => `CASE WHEN i % 11 = ${c % 11} THEN NULL ELSE ${value} END::${type} AS ${name}`).join(",\n  ")}
  FROM range(${ROWS}) t(i)`;

/** DuckDB's own text of each struct, and a digest of the rows. */
const { text: duckdbText, digest: duckdbDigest } = columnsCheckSql(COLUMNS.map((c) => c.name));

let source: LocalEngine;
let rows: arrow.Table;
let names: string[];
/** DuckDB's text of the structs, one string of all columns per row. */
let expectedText: string[];
/** DuckDB's text of the structs, column by column. */
let expectedColumns: string[][];
let expectedDigest: string[];

beforeAll(async () => {
  source = await LocalEngine.open({ threads: 1 });
  const result = await source.runReferenceSql(SELECT);
  rows = result.table;
  names = result.names;
  const text = await source.runReferenceSql(duckdbText(`(${SELECT})`));
  expectedText = rowsAsText(text.table, text.names);
  expectedColumns = tableToText(text.table).map((c) => c.values.map((v) => v ?? "NULL"));
  const digest = await source.runReferenceSql(duckdbDigest(`(${SELECT})`));
  expectedDigest = rowsAsText(digest.table, digest.names);
});
afterAll(() => source?.close());

/**
 * Loads `batches` into a DuckDB of its own through BatchScan, as registerBatches does, each
 * column declared by the DuckDB type exec/types.ts gives its Substrait type and its field names
 * (the struct field names a plan's NamedStruct carries); DuckDB's text and digest of the rows
 * read there.
 */
async function loadedBack(batches: readonly arrow.RecordBatch[]): Promise<{ text: string[]; digest: string[] }> {
  const declared = ["BIGINT", ...COLUMNS.map((c) => duckdbTypeFromSubstrait(substraitTypeFromDuckdb(c.type), structFieldNames(c.type)))];
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    const described = await connection.prepare(`SELECT ${declared.map((t) => `CAST(NULL AS ${t})`).join(", ")}`);
    const types = declared.map((_, i) => described.columnType(i));
    described.destroySync();
    connection.registerTableFunction(
      DuckDBTableFunction.create({
        name: "loaded",
        bindFunction: (info) => names.forEach((name, i) => info.addResultColumn(name, types[i])),
        initFunction: (info) => info.setInitData(new BatchScan(types, batches)),
        mainFunction: (info, output) => void (info.initData as BatchScan).next(output),
      }),
    );
    const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRows().map((row) => row.map((v) => (v === null ? "NULL" : String(v))).join("|"));
    return { text: await read(duckdbText("loaded()")), digest: await read(duckdbDigest("loaded()")) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("STRUCT columns through Arrow", () => {
  it("become Arrow structs of the fields' Arrow types, named as DuckDB names them, over several batches", () => {
    expect(rows.numRows).toBe(ROWS);
    expect(rows.batches.length).toBeGreaterThan(1);
    expect(rows.schema.fields.slice(1).map((f) => String(f.type))).toEqual(COLUMNS.map((c) => c.arrow));
    for (const field of rows.schema.fields.slice(1)) {
      const struct = (arrow.DataType.isList(field.type) ? field.type.children[0].type : field.type) as arrow.Struct;
      expect(struct.children.every((f) => f.nullable)).toBe(true);
    }
    // NULL structs, structs of NULL fields and structs of values are all there.
    const nested = rows.getChild("nested")!.data;
    let [nulls, nullPoints, pointsOfNulls, values] = [0, 0, 0, 0];
    for (const data of nested) {
      const point = data.children[0];
      for (let r = 0; r < data.length; r++) {
        if (!data.getValid(r)) nulls++;
        else if (!point.getValid(r)) nullPoints++;
        else if (!point.children[0].getValid(r) && !point.children[1].getValid(r)) pointsOfNulls++;
        else values++;
      }
    }
    expect([nulls > 100, nullPoints > 100, pointsOfNulls > 100, values > 1_000]).toEqual([true, true, true, true]);
  });

  it("print as DuckDB prints them, every shape and field type", () => {
    const ours = tableToText(rows).slice(1);
    // Column by column, so a failure names the shape.
    COLUMNS.forEach((column, c) => {
      const text = ours[c].values.map((v) => v ?? "NULL");
      expect({ column: column.name, text }).toEqual({ column: column.name, text: expectedColumns[c] });
    });
  });

  it("print alike through formatValue, from the struct rows Arrow's getter gives", () => {
    const ours = tableToText(rows);
    rows.schema.fields.forEach((field, c) => {
      if (!arrow.DataType.isStruct(field.type)) return;
      const column = rows.getChildAt(c)!;
      for (let r = 0; r < rows.numRows; r += 7) expect(column.get(r) === null ? null : formatValue(field.type, column.get(r))).toBe(ours[c].values[r]);
    });
  });

  it("load into another DuckDB as the same structs, under their names, from whole, sliced and IPC-carried batches", async () => {
    const whole = await loadedBack(rows.batches);
    expect(whole.text).toEqual(expectedText);
    expect(whole.digest).toEqual(expectedDigest);

    // Slices start and end inside a byte of the validity bitmaps, their children sliced along.
    const sliced = [rows.slice(0, 3), rows.slice(3, 2_901), rows.slice(2_901, 4_999), rows.slice(4_999)].flatMap((t) => t.batches);
    const fromSlices = await loadedBack(sliced);
    expect(fromSlices.text).toEqual(whole.text);
    expect(fromSlices.digest).toEqual(expectedDigest);

    const carried = arrow.tableFromIPC(arrow.tableToIPC(rows));
    expect(carried.schema.fields.map((f) => String(f.type))).toEqual(rows.schema.fields.map((f) => String(f.type)));
    expect(rowsAsText(carried, names)).toEqual(rowsAsText(rows, names));
    const fromIpc = await loadedBack(carried.batches);
    expect(fromIpc.text).toEqual(whole.text);
    expect(fromIpc.digest).toEqual(expectedDigest);

    // Slices carried through IPC.
    const slicedCarried = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(sliced)));
    expect((await loadedBack(slicedCarried.batches)).digest).toEqual(expectedDigest);
  });

  it("load through registerBatches, declared from their Substrait types alone (fields named f0, f1, …), as the same values", async () => {
    const target = await LocalEngine.open({ threads: 1 });
    try {
      const columns = [{ name: "i", type: substraitTypeFromDuckdb("BIGINT") }, ...COLUMNS.map((c) => ({ name: c.name, type: substraitTypeFromDuckdb(c.type) }))];
      expect(await target.registerBatches(["loaded"], columns, rows.batches)).toBe(ROWS);
      // A TableColumn carries no struct field names, so registerBatches declares f0, f1, …
      // (exec/types.ts): the same values under other names. DuckDB's hash of a struct is its
      // fields', whatever their names.
      const digest = await target.runReferenceSql(duckdbDigest("__trustql_rows(0)"));
      expect(rowsAsText(digest.table, digest.names)).toEqual(expectedDigest);
      const named = await target.runReferenceSql("SELECT simple, list_of FROM __trustql_rows(0) WHERE i = 1");
      expect(rowsAsText(named.table, named.names)).toEqual([`{'f0': -895271, 'f1': NULL}|[{'f0': 0, 'f1': q r}]`]);
      expect(await target.registerBatches(["empty"], columns, [])).toBe(0);
    } finally {
      target.close();
    }
  });

  it("copy structs DuckDB laid out in other ways, unnamed ones and structs of one field", async () => {
    for (const select of [
      `SELECT {'a': i, 'b': 's' || i} AS s, [{'x': i}, NULL] AS l FROM range(5000) t(i) ORDER BY hash(i)`,
      `SELECT s, l FROM (SELECT i, {'a': i, 'b': NULL::VARCHAR} AS s, [{'x': NULL::INTEGER}] AS l FROM range(10000) t(i)) WHERE i % 3 = 0`,
      `SELECT {'n': count(*), 'ids': list(i ORDER BY i)} AS s, list({'i': i, 'odd': i % 2 = 1} ORDER BY i) AS l FROM range(20000) t(i) GROUP BY i % 20 ORDER BY min(i)`,
      `SELECT ROW(i, 'x ' || i, NULL) AS s, [ROW(i, [i])] AS l FROM range(3000) t(i)`,
      `SELECT unnest([{'a': 1}, NULL, {'a': NULL}]) AS s, unnest([[{'b': [1, NULL]}], NULL, []]) AS l FROM range(3000) t(i)`,
    ]) {
      const result = await source.runReferenceSql(select);
      const text = await source.runReferenceSql(`SELECT s::VARCHAR AS s, l::VARCHAR AS l FROM (${select})`);
      expect(rowsAsText(result.table, result.names)).toEqual(rowsAsText(text.table, text.names));
    }
  });

  it("appends DuckDB's struct values where no struct vector is given", () => {
    const type = STRUCT({ a: INTEGER, b: VARCHAR });
    const values = [{ a: 1, b: "x" }, null, { a: null, b: null }, { a: -2, b: "it's" }];
    const chunk = DuckDBDataChunk.create([type], values.length);
    chunk.setColumnValues(0, values.map((v) => (v === null ? null : { entries: v })) as never);
    const real = chunk.getColumnVector(0);
    // A vector of values only: each row's struct value appended field by field.
    const plain = { validity: { data: null, offset: 0, itemValid: () => true }, itemCount: values.length, getItem: (r: number) => real.getItem(r) };
    const collector = new ArrowCollector([type], ["s"]);
    collector.add({ rowCount: values.length, getColumnVector: () => plain } as never);
    expect(tableToText(collector.finish())[0].values).toEqual(["{'a': 1, 'b': x}", null, "{'a': NULL, 'b': NULL}", "{'a': -2, 'b': 'it\\'s'}"]);
  });
});

describe("STRUCT type names", () => {
  it("read as Substrait structs, fields nullable, names in depth-first order", () => {
    const field = (type: object) => ({ ...type, typeVariationReference: 0, nullability: 1 });
    expect(substraitTypeFromDuckdb("STRUCT(a INTEGER, b VARCHAR[])", false)).toEqual({
      struct: { types: [{ i32: field({}) }, { list: field({ type: { string: field({}) } }) }], typeVariationReference: 0, nullability: 2 },
    });
    expect(substraitTypeFromDuckdb("STRUCT(a INTEGER)[]").list?.type?.struct?.types).toEqual([{ i32: field({}) }]);
    expect(substraitTypeFromDuckdb(`STRUCT("my field" DECIMAL(10, 2))`).struct?.types).toEqual([{ decimal: field({ precision: 10, scale: 2 }) }]);
    for (const [type, fields] of [
      ["STRUCT(a INTEGER, b VARCHAR[])", ["a", "b"]],
      [`STRUCT("my field" INTEGER, "a""b" VARCHAR, "x, y" INTEGER, "(" INTEGER)`, ["my field", 'a"b', "x, y", "("]],
      ["STRUCT(a STRUCT(b INTEGER, Cc DECIMAL(4,2)), d INTEGER)", ["a", "b", "Cc", "d"]],
      ["STRUCT(a INTEGER)[]", ["a"]],
      ["STRUCT(l STRUCT(v INTEGER[], w STRUCT(z VARCHAR))[])", ["l", "v", "w", "z"]],
      ["MAP(VARCHAR, STRUCT(k INTEGER))", ["k"]],
      ["INTEGER[]", []],
    ] as const) {
      expect(structFieldNames(type)).toEqual(fields);
      if (!type.startsWith("MAP")) expect(fieldNameCount(substraitTypeFromDuckdb(type))).toBe(fields.length);
    }
  });

  it("written with their field names as node-api writes a column's type, which DuckDB reads as the type named", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      for (const column of COLUMNS) {
        const written = duckdbTypeFromSubstrait(substraitTypeFromDuckdb(column.type), structFieldNames(column.type));
        const described = await connection.prepare(`SELECT CAST(NULL AS ${written})`);
        // What the engine compares a plan's declared type with, to cast only where they differ
        // (node-api names TIMESTAMPTZ as DuckDB's SQL does, a column of it too).
        expect(described.columnType(0).toString()).toBe(written.replaceAll("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"));
        described.destroySync();
        const same = (await connection.runAndReadAll(`SELECT typeof(CAST(NULL AS ${written})) = typeof(CAST(NULL AS ${column.type}))`)).getRows()[0][0];
        expect({ written, same }).toEqual({ written, same: true });
      }
      expect(duckdbTypeFromSubstrait(substraitTypeFromDuckdb(`STRUCT("x""y" INTEGER, b STRUCT(c VARCHAR)[])`), ['x"y', "b", "c"])).toBe(`STRUCT("x""y" INTEGER, "b" STRUCT("c" VARCHAR)[])`);
      // Without names: made-up ones.
      expect(duckdbTypeFromSubstrait(substraitTypeFromDuckdb("STRUCT(a INTEGER, b STRUCT(c VARCHAR))"))).toBe(`STRUCT("f0" INTEGER, "f1" STRUCT("f0" VARCHAR))`);
      expect(() => duckdbTypeFromSubstrait(substraitTypeFromDuckdb("STRUCT(a INTEGER)"), ["a", "b"])).toThrow(/2 struct field names for a type of 1/);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it("refuse DuckDB's unnamed structs, which no type name declares", () => {
    expect(isRunnableColumnType(columnTypeFromDuckdb("STRUCT(INTEGER, VARCHAR)"))).toBe(false);
    expect(isRunnableColumnType(columnTypeFromDuckdb("STRUCT(a INTEGER, b VARCHAR)"))).toBe(true);
  });
});
