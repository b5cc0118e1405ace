import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { parseFormat, render, renderPieces, resultJsonPieces } from "../output/formats.ts";
import { decimalToBigInt, formatScaled, formatTimestamp, formatValue, tableToText } from "../output/values.ts";
import { formatDecimalAt } from "../../common/decimal.ts";
import fc from "fast-check";

function decimalVector(unscaled: (bigint | null)[], precision: number, scale: number): arrow.Vector {
  const type = new arrow.Decimal(scale, precision, 128);
  const builder = arrow.makeBuilder({ type, nullValues: [null] });
  for (const v of unscaled) {
    if (v === null) {
      builder.append(null);
      continue;
    }
    const words = new Uint32Array(4);
    let x = BigInt.asUintN(128, v);
    for (let i = 0; i < 4; i++) {
      words[i] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
    builder.append(words as never);
  }
  return builder.finish().toVector();
}

function sample(): arrow.Table {
  const dates = arrow.makeBuilder({ type: new arrow.DateDay(), nullValues: [null] });
  dates.append(Date.UTC(1998, 11, 1));
  dates.append(null);
  dates.append(Date.UTC(1992, 0, 2));
  return new arrow.Table({
    name: arrow.vectorFromArray(["plain", 'say "hi", then\nleave', ""], new arrow.Utf8()),
    price: decimalVector([12345n, -5n, null], 15, 2),
    day: dates.finish().toVector(),
    n: arrow.vectorFromArray([1n, null, -9007199254740993n], new arrow.Int64()),
  });
}

describe("value rendering", () => {
  it("writes decimals exactly, whatever their scale and sign", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), fc.integer({ min: 0, max: 38 }), (v, scale) => {
        const text = formatScaled(v, scale);
        const [whole, fraction = ""] = text.replace("-", "").split(".");
        expect(fraction.length).toBe(scale);
        expect(BigInt((v < 0n ? "-" : "") + whole + fraction)).toBe(v);
      }),
    );
  });

  it("writes a decimal read from its words as from its BigInt, small or large", () => {
    const around = (edge: bigint) => fc.bigInt({ min: edge - 3n, max: edge + 3n });
    const unscaled = fc.oneof(fc.bigInt({ min: -(2n ** 127n), max: 2n ** 127n - 1n }), fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), ...[2n ** 53n, -(2n ** 53n), 2n ** 32n, -(2n ** 32n), 0n].map(around));
    fc.assert(
      fc.property(unscaled, fc.integer({ min: 0, max: 38 }), fc.nat({ max: 3 }), (v, scale, at) => {
        const words = new Uint32Array(4 * (at + 1));
        for (let w = 0; w < 4; w++) words[4 * at + w] = Number(BigInt.asUintN(32, v >> BigInt(32 * w)));
        expect(formatDecimalAt(words, 4 * at, 4, scale)).toBe(formatScaled(v, scale));
      }),
    );
  });

  it("reads 128-bit two's complement words", () => {
    expect(decimalToBigInt(new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]))).toBe(-1n);
    expect(decimalToBigInt(new Uint32Array([5, 0, 0, 0]))).toBe(5n);
  });

  it("renders timestamps before and after the epoch", () => {
    expect(formatTimestamp(0n)).toBe("1970-01-01 00:00:00");
    expect(formatTimestamp(-1n)).toBe("1969-12-31 23:59:59.999999");
    expect(formatTimestamp(86_400_000_000n + 1_500_000n)).toBe("1970-01-02 00:00:01.5");
  });

  it("reads values from the buffers as the generic getter and formatValue would, sliced anywhere", () => {
    // Types read from their buffers (integers of every width, 64-bit ones past 2^53 too, floats,
    // day dates, ASCII and non-ASCII text) against the value-by-value path.
    const value = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 5 });
    const columns = fc.record({
      i8: fc.array(value(fc.integer({ min: -128, max: 127 })), { minLength: 1, maxLength: 40 }),
      u32: fc.array(value(fc.nat()), { minLength: 1, maxLength: 40 }),
      i64: fc.array(value(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 53n) - 2n, max: 2n ** 53n + 2n }), fc.bigInt({ min: -5n, max: 5n }))), { minLength: 1, maxLength: 40 }),
      u64: fc.array(value(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 54n }))), { minLength: 1, maxLength: 40 }),
      f64: fc.array(value(fc.double()), { minLength: 1, maxLength: 40 }),
      day: fc.array(value(fc.integer({ min: -800_000, max: 2_000_000 })), { minLength: 1, maxLength: 40 }),
      text: fc.array(value(fc.oneof(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6, unit: "binary" }))), { minLength: 1, maxLength: 40 }),
    });
    fc.assert(
      fc.property(columns, fc.nat(), fc.nat(), (c, from, to) => {
        const rows = Math.min(...Object.values(c).map((v) => v.length));
        const make = <T extends arrow.DataType>(type: T, values: unknown[]) => arrow.vectorFromArray(values.slice(0, rows), type);
        const dates = arrow.makeBuilder({ type: new arrow.DateDay(), nullValues: [null] });
        for (const d of c.day.slice(0, rows)) dates.append(d === null ? null : d * 86_400_000);
        const table = new arrow.Table({
          i8: make(new arrow.Int8(), c.i8),
          u32: make(new arrow.Uint32(), c.u32),
          i64: make(new arrow.Int64(), c.i64),
          u64: make(new arrow.Uint64(), c.u64),
          f64: make(new arrow.Float64(), c.f64),
          day: dates.finish().toVector(),
          text: make(new arrow.Utf8(), c.text),
        });
        const [a, b] = [from % (rows + 1), to % (rows + 1)].sort((x, y) => x - y);
        for (const part of [table, table.slice(a, b)]) {
          const texts = tableToText(part);
          part.schema.fields.forEach((field, i) => {
            const column = part.getChildAt(i)!;
            const generic = Array.from({ length: part.numRows }, (_, r) => (column.get(r) === null ? null : formatValue(field.type, column.get(r))));
            expect(texts[i].values, field.name).toEqual(generic);
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("writes doubles and floats as DuckDB does: shortest digits, a fraction digit, exponents past 1e16 and under 1e-4", () => {
    const column = (type: arrow.Float, values: number[]) => tableToText(new arrow.Table({ x: arrow.vectorFromArray(values, type) }))[0].values;
    const doubles = [3, 1e20, 0.1 + 0.2, 1e-7, 1.2345678901234568e17, -0, NaN, Infinity, -Infinity, 0.0001, 0.00009, 9999999999999998, 1e16, 12345678.9];
    expect(column(new arrow.Float64(), doubles)).toEqual(["3.0", "1e+20", "0.30000000000000004", "1e-07", "1.2345678901234568e+17", "-0.0", "nan", "inf", "-inf", "0.0001", "9e-05", "9999999999999998.0", "1e+16", "12345678.9"]);
    // A FLOAT's own shortest digits, not its double's (0.1428571492433548).
    expect(column(new arrow.Float32(), [1 / 7, 1.8, 1e-7, 16777217, 1e16, 123456.7])).toEqual(["0.14285715", "1.8", "1e-07", "16777216.0", "1e+16", "123456.7"]);
    expect(formatValue(new arrow.Float32(), Math.fround(1.8))).toBe("1.8");
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const [text] = column(new arrow.Float64(), [value]);
        expect(Object.is(Number(text), value)).toBe(true);
        expect(text).toMatch(/^-?(\d+\.\d+|\d(\.\d+)?e[-+]\d{2,3})$/);
      }),
    );
  });

  it("renders every column as text with nulls kept apart from empty strings", () => {
    const [name, price, day, n] = tableToText(sample());
    expect(name.values).toEqual(["plain", 'say "hi", then\nleave', ""]);
    expect(price.values).toEqual(["123.45", "-0.05", null]);
    expect(day.values).toEqual(["1998-12-01", null, "1992-01-02"]);
    expect(n.values).toEqual(["1", null, "-9007199254740993"]);
  });
});

describe("formats", () => {
  it("writes RFC 4180 CSV with a header, NULL as an empty field and \"\" for an empty string", () => {
    const csv = render(sample(), ["name", "price", "day", "n"], "csv");
    expect(csv).toBe(
      'name,price,day,n\r\nplain,123.45,1998-12-01,1\r\n"say ""hi"", then\nleave",-0.05,,\r\n"",,1992-01-02,-9007199254740993\r\n',
    );
  });

  it("writes CSV and JSON lines a slice of rows at a time, batches cut anywhere, as in one piece", () => {
    // Three batches of the sample (decimals, text to quote, nulls, dates, 64-bit integers): slices start inside batches.
    const table = new arrow.Table([...sample().batches, ...sample().batches, ...sample().batches]);
    for (const format of ["csv", "jsonl"] as const) {
      const whole = render(table, ["name", "price", "day", "n"], format, { rowsPerPiece: 1_000 });
      for (const rowsPerPiece of [1, 2, 4]) {
        const pieces = [...renderPieces(table, ["name", "price", "day", "n"], format, { rowsPerPiece })];
        expect(pieces.length).toBe(Math.ceil(9 / rowsPerPiece) + (format === "csv" ? 1 : 0));
        expect(pieces.join("")).toBe(whole);
      }
    }
    expect(render(table, ["name", "price", "day", "n"], "csv", { rowsPerPiece: 2 })).toBe("name,price,day,n\r\n" + (render(sample(), ["name", "price", "day", "n"], "csv") as string).split("\r\n").slice(1, 4).join("\r\n").concat("\r\n").repeat(3));
  });

  it("writes --json's one object in pieces, the same text as the object whole", () => {
    const table = new arrow.Table([...sample().batches, ...sample().batches, ...sample().batches]);
    const names = ["name", "price", "day", "n"];
    const columns = tableToText(table, names);
    const whole = {
      columns: columns.map((c) => ({ name: c.name, type: String(c.type) })),
      rows: Array.from({ length: table.numRows }, (_, r) => columns.map((c) => c.values[r])),
      rowCount: table.numRows,
      elapsedMs: 12,
    };
    for (const rowsPerPiece of [1, 2, 4, 100]) expect([...resultJsonPieces(table, names, 12.4, rowsPerPiece)].join("")).toBe(JSON.stringify(whole) + "\n");
    const empty = table.slice(0, 0);
    expect(JSON.parse([...resultJsonPieces(empty, names, 0)].join(""))).toEqual({ ...whole, rows: [], rowCount: 0, elapsedMs: 0 });
  });

  it("keeps numbers exact in JSON lines", () => {
    const lines = (render(sample(), ["name", "price", "day", "n"], "jsonl") as string).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ name: "plain", price: 123.45, day: "1998-12-01", n: 1 });
    expect(lines[2]).toEqual({ name: "", price: null, day: "1992-01-02", n: "-9007199254740993" });
    // Doubles and floats are numbers, whole or past 1e16 too (their text is DuckDB's, 3.0 and 1e+20); nan and inf, which JSON has no number for, text.
    const floats = new arrow.Table({ d: arrow.vectorFromArray([3, 1e20, 0.5, NaN, -Infinity], new arrow.Float64()), f: arrow.vectorFromArray([1 / 7, 2, 1, 1, 1], new arrow.Float32()) });
    const floatLines = (render(floats, ["d", "f"], "jsonl") as string).trim().split("\n").map((l) => JSON.parse(l));
    expect(floatLines.map((l) => l.d)).toEqual([3, 1e20, 0.5, "nan", "-inf"]);
    expect(floatLines[0].f).toBe(0.14285715);
  });

  it("writes a list as a JSON array in JSON lines, its values exact, a list within it an array", () => {
    const list = (type: arrow.DataType) => new arrow.List(new arrow.Field("item", type, true));
    const table = new arrow.Table({
      ints: arrow.vectorFromArray([[1, null], [], null] as never[], list(new arrow.Int32()) as never),
      bigs: arrow.vectorFromArray([[9007199254740993n], [1n], [null]] as never[], list(new arrow.Int64()) as never),
      texts: arrow.vectorFromArray([["a", ""], null, ["NULL"]] as never[], list(new arrow.Utf8()) as never),
      nested: arrow.vectorFromArray([[[1], null], [[]], null] as never[], list(list(new arrow.Int32())) as never),
    });
    const lines = (render(table, ["ints", "bigs", "texts", "nested"], "jsonl") as string).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { ints: [1, null], bigs: ["9007199254740993"], texts: ["a", ""], nested: [[1], null] },
      { ints: [], bigs: [1], texts: null, nested: [[]] },
      { ints: null, bigs: [null], texts: ["NULL"], nested: null },
    ]);
  });

  it("writes a struct as a JSON object in JSON lines, its values exact, lists and structs within as arrays and objects", () => {
    const field = (name: string, type: arrow.DataType) => new arrow.Field(name, type, true);
    const point = new arrow.Struct([field("x", new arrow.Int64()), field("label", new arrow.Utf8())]);
    const holder = new arrow.Struct([field("p", point), field("tags", new arrow.List(field("item", new arrow.Utf8()))), field("when", new arrow.DateDay())]);
    const unnamed = new arrow.Struct([field("", new arrow.Int32()), field("", new arrow.Utf8())]);
    const day = Date.UTC(1998, 11, 1);
    const batch = new arrow.Table({
      point: arrow.vectorFromArray([{ x: 9007199254740993n, label: "a" }, { x: null, label: null }, null] as never[], point as never),
      holder: arrow.vectorFromArray([{ p: { x: 1n, label: "" }, tags: ["t", null], when: day }, { p: null, tags: [], when: null }, { p: { x: -2n, label: "NULL" }, tags: null, when: day }] as never[], holder as never),
      points: arrow.vectorFromArray([[{ x: 1n, label: "b" }, null], [], null] as never[], new arrow.List(field("item", point)) as never),
      row: arrow.makeVector(arrow.makeData({ type: unnamed, length: 3, nullCount: 1, nullBitmap: Uint8Array.of(0b011), children: [arrow.makeData({ type: new arrow.Int32(), length: 3, data: Int32Array.of(1, 2, 3) }), arrow.vectorFromArray(["u", null, "w"], new arrow.Utf8()).data[0]] })),
    }).batches[0];
    // Across batches and slices: each piece's rows find their own.
    const table = new arrow.Table([batch.slice(1), batch, batch.slice(0, 1)]);
    const names = ["point", "holder", "points", "row"];
    const lines = (render(table, names, "jsonl", { rowsPerPiece: 2 }) as string).trim().split("\n").map((l) => JSON.parse(l));
    const rows = [
      { point: { x: "9007199254740993", label: "a" }, holder: { p: { x: 1, label: "" }, tags: ["t", null], when: "1998-12-01" }, points: [{ x: 1, label: "b" }, null], row: [1, "u"] },
      { point: { x: null, label: null }, holder: { p: null, tags: [], when: null }, points: [], row: [2, null] },
      { point: null, holder: { p: { x: -2, label: "NULL" }, tags: null, when: "1998-12-01" }, points: null, row: null },
    ];
    expect(lines).toEqual([...rows.slice(1), ...rows, rows[0]]);
    // The text of the same values, DuckDB's.
    expect(tableToText(new arrow.Table([batch]), names).map((c) => c.values[0])).toEqual([
      "{'x': 9007199254740993, 'label': a}",
      "{'p': {'x': 1, 'label': ''}, 'tags': [t, NULL], 'when': 1998-12-01}",
      "[{'x': 1, 'label': b}, NULL]",
      "(1, u)",
    ]);
  });

  it("draws a table with right-aligned numbers and elides the middle of long results", () => {
    const table = new arrow.Table({ x: arrow.vectorFromArray(Array.from({ length: 10 }, (_, i) => i * 100), new arrow.Int32()) });
    const text = render(table, ["x"], "table", { maxRows: 4 }) as string;
    expect(text).toContain("│   0 │");
    expect(text).toContain("│ 900 │");
    expect(text).not.toContain("│ 500 │");
    expect(text).toContain("10 rows (4 shown)");
  });

  it("writes Arrow IPC that reads back with the requested names", () => {
    const bytes = render(sample(), ["a", "b", "c", "d"], "arrow") as Uint8Array;
    const back = arrow.tableFromIPC(bytes);
    expect(back.schema.fields.map((f) => f.name)).toEqual(["a", "b", "c", "d"]);
    expect(back.numRows).toBe(3);
  });

  it("defaults to a table on a terminal and CSV elsewhere, and names a bad format", () => {
    expect(parseFormat(undefined, true)).toBe("table");
    expect(parseFormat(undefined, false)).toBe("csv");
    expect(() => parseFormat("xml", false)).toThrow(/unknown --format xml: expected one of table, csv, jsonl, arrow, parquet/);
  });
});
