// STRUCT columns through an exchange: rows picked by index (a partition's share) and batches put
// end to end (an ordered gather's runs) keep every struct, NULL structs, structs of NULL fields
// and the lists and structs within them apart, from sliced batches (whose children apache-arrow
// slices along) and from batches read back from Arrow IPC. A struct digests by its fields, hashes
// as a shuffle key by its fields' hashes, and runs sorted on a struct merge in DuckDB's order.
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchBytes, concatBatches, hashRows, mergeSortedRuns, takeRows } from "../index.ts";
import { decimalWords, plain, rowsOf as plainRows, throughIpc } from "./arrow-rows.ts";
import { digestRows } from "../row-digest.ts";

const RUN = "0123456789abcdef0123456789abcdef";

const field = (name: string, type: arrow.DataType) => new arrow.Field(name, type, true);
const listOf = (type: arrow.DataType) => new arrow.List(field("item", type));
const structOf = (fields: Record<string, arrow.DataType>) => new arrow.Struct(Object.entries(fields).map(([name, type]) => field(name, type)));

type Point = { x: number | null; y: string | null };
type Row = {
  point: Point | null;
  nested: { inner: { big: bigint | null; flag: boolean | null } | null; amount: bigint | null } | null;
  holder: { values: (number | null)[] | null; ratio: number | null } | null;
  points: (Point | null)[] | null;
};

const TYPES = {
  point: structOf({ x: new arrow.Int32(), y: new arrow.Utf8() }),
  nested: structOf({ inner: structOf({ big: new arrow.Int64(), flag: new arrow.Bool() }), amount: new arrow.Decimal(2, 38, 128) }),
  holder: structOf({ values: listOf(new arrow.Int32()), ratio: new arrow.Float64() }),
  points: listOf(structOf({ x: new arrow.Int32(), y: new arrow.Utf8() })),
};

const maybe = <T>(value: fc.Arbitrary<T>, freq = 4) => fc.option(value, { nil: null, freq });
const point: fc.Arbitrary<Point> = fc.record({ x: maybe(fc.integer()), y: maybe(fc.string({ maxLength: 20 })) });
const rowArbitrary: fc.Arbitrary<Row> = fc.record({
  point: maybe(point),
  nested: maybe(
    fc.record({
      inner: maybe(fc.record({ big: maybe(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })), flag: maybe(fc.boolean()) })),
      amount: maybe(fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n })),
    }),
  ),
  holder: maybe(fc.record({ values: maybe(fc.array(maybe(fc.integer()), { maxLength: 4 })), ratio: maybe(fc.double()) })),
  points: maybe(fc.array(maybe(point), { maxLength: 4 })),
});

const rowsOf = (batches: readonly arrow.RecordBatch[]) => plainRows<Row>(batches);

function batchOf(rows: readonly Row[]): arrow.RecordBatch {
  const column = <K extends keyof Row>(key: K, map: (value: NonNullable<Row[K]>) => unknown = (v) => v) =>
    arrow.vectorFromArray(rows.map((r) => (r[key] === null ? null : map(r[key] as NonNullable<Row[K]>))) as never[], TYPES[key] as never);
  const table = new arrow.Table({
    point: column("point"),
    nested: column("nested", (v) => ({ ...v, amount: v.amount === null ? null : decimalWords(v.amount) })),
    holder: column("holder"),
    points: column("points"),
  });
  expect(table.batches.length).toBe(1);
  return table.batches[0];
}

/** Each struct in a batch made here starts at offset 0, its fields as long as it. */
function expectCompact(batch: arrow.RecordBatch): void {
  const check = (data: arrow.Data) => {
    if (arrow.DataType.isStruct(data.type)) {
      expect(data.offset).toBe(0);
      for (const child of data.children) expect(child.length).toBe(data.length);
    }
    data.children.forEach(check);
  };
  batch.data.children.forEach(check);
}

describe("STRUCT columns in an exchange", () => {
  it("takeRows picks the structs asked for, from whole, sliced and IPC-read batches", () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }), fc.nat(), fc.nat(), fc.array(fc.nat(), { maxLength: 60 }), fc.boolean(), (rows, from, to, picks, ipc) => {
        const [start, end] = [from % rows.length, to % (rows.length + 1)].sort((a, b) => a - b);
        let batch = batchOf(rows).slice(start, Math.max(start + 1, end));
        const expected = rows.slice(start, Math.max(start + 1, end));
        if (ipc) batch = throughIpc(batch)[0];
        const indexes = Uint32Array.from(picks, (p) => p % expected.length);
        const taken = takeRows(batch, indexes);
        expectCompact(taken);
        expect(rowsOf([taken])).toEqual(Array.from(indexes, (i) => expected[i]));
        expect(rowsOf(throughIpc(taken))).toEqual(Array.from(indexes, (i) => expected[i]));
        expect(batchBytes(taken)).toBeGreaterThan(0);
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it("concatBatches puts sliced and IPC-read batches of structs end to end", () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), (rows, cuts, ipc) => {
        const whole = batchOf(rows);
        const bounds = [...new Set([0, ...cuts.map((c) => c % (rows.length + 1)), rows.length])].sort((a, b) => a - b);
        const parts = bounds.slice(1).map((end, i) => whole.slice(bounds[i], end)).flatMap((part) => (ipc && part.numRows > 0 ? throughIpc(part) : [part]));
        const joined = concatBatches(parts);
        expectCompact(joined);
        expect(rowsOf([joined])).toEqual(rows);
        expect(rowsOf(throughIpc(joined))).toEqual(rows);
        // Taken from again, the joined batch gives the same rows.
        expect(rowsOf([takeRows(joined, Uint32Array.from(rows.keys()).reverse())])).toEqual([...rows].reverse());
      }),
      { numRuns: 200, seed: 2 },
    );
  });

  it("digests a struct by its fields: NULL struct, struct of NULL fields and other values apart, however laid out", () => {
    const digestOf = (type: arrow.DataType, values: unknown[]) => digestRows([new arrow.Table({ s: arrow.vectorFromArray(values as never[], type as never) }).batches[0]], RUN);
    const points = [null, { x: null, y: null }, { x: 0, y: null }, { x: null, y: "" }, { x: null, y: "NULL" }, { x: 1, y: "a" }, { x: 1, y: "b" }, { x: 2, y: "a" }];
    const digests = points.map((p) => digestOf(TYPES.point, [p]));
    expect(new Set(digests).size).toBe(digests.length);
    const inner = structOf({ p: TYPES.point });
    const nested = [null, { p: null }, { p: { x: null, y: null } }, { p: { x: 1, y: null } }].map((v) => digestOf(inner, [v]));
    expect(new Set(nested).size).toBe(nested.length);
    const holders = [{ values: null, ratio: 1 }, { values: [], ratio: 1 }, { values: [null], ratio: 1 }, { values: [1], ratio: 1 }, { values: [1], ratio: null }].map((v) => digestOf(TYPES.holder, [v]));
    expect(new Set(holders).size).toBe(holders.length);
    // Alike from slices and from IPC, and from structs whose NULL rows hide other field values.
    const whole = digestOf(TYPES.point, points);
    const batch = new arrow.Table({ s: arrow.vectorFromArray(points as never[], TYPES.point as never) }).batches[0];
    expect(digestRows([batch.slice(0, 3), batch.slice(3)], RUN)).toBe(whole);
    expect(digestRows(arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([batch.slice(5), batch.slice(0, 5)]))).batches, RUN)).toBe(whole);
    const hidden = arrow.makeData({ type: TYPES.point, length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b10), children: arrow.vectorFromArray([{ x: 7, y: "under" }, { x: 1, y: "a" }], TYPES.point).data[0].children });
    const twoRows = new arrow.RecordBatch(new arrow.Schema([field("s", TYPES.point)]), arrow.makeData({ type: new arrow.Struct([field("s", TYPES.point)]), length: 2, children: [hidden] }));
    expect(digestRows([twoRows], RUN)).toBe(digestOf(TYPES.point, [null, { x: 1, y: "a" }]));
  });

  it("hashes a struct key by its fields: alike from any integer width, batch or slice; NULL and NULL fields apart", () => {
    const values = [{ x: 1, y: "a" }, { x: null, y: null }, null, { x: 1, y: null }, { x: null, y: "a" }, { x: 2, y: "a" }, { x: 1, y: "a" }];
    const ints = arrow.vectorFromArray(values as never[], TYPES.point as never);
    const bigs = arrow.vectorFromArray(values.map((v) => v && { ...v, x: v.x === null ? null : BigInt(v.x) }) as never[], structOf({ x: new arrow.Int64(), y: new arrow.Utf8() }) as never);
    const [a, b] = [hashRows([ints], values.length), hashRows([bigs], values.length)];
    expect([...a.high]).toEqual([...b.high]);
    expect([...a.low]).toEqual([...b.low]);
    const hashes = values.map((_, r) => `${a.high[r]}:${a.low[r]}`);
    expect(hashes[0]).toBe(hashes[6]);
    expect(new Set(hashes.slice(0, 6)).size).toBe(6);
    const sliced = hashRows([ints.slice(4, 7)], 3);
    expect([...sliced.high]).toEqual([...a.high.slice(4, 7)]);
    // A struct of one field is not its field; structs of lists and structs hash by them.
    const one = hashRows([arrow.vectorFromArray([{ x: 1 }] as never[], structOf({ x: new arrow.Int32() }) as never)], 1);
    const bare = hashRows([arrow.vectorFromArray([1], new arrow.Int32())], 1);
    expect(one.high[0]).not.toBe(bare.high[0]);
    const holders = [{ values: [1, 2], ratio: 1 }, { values: [1, 2], ratio: 1 }, { values: [2, 1], ratio: 1 }, { values: [1, 2], ratio: null }];
    const held = hashRows([arrow.vectorFromArray(holders as never[], TYPES.holder as never)], holders.length);
    expect([held.high[0], held.low[0]]).toEqual([held.high[1], held.low[1]]);
    expect(new Set([1, 2, 3].map((r) => held.high[r])).size).toBe(3);
  });

  // DuckDB 1.5's ORDER BY s of these (each its text): field by field, a NULL field after every
  // value, a struct's fields and a list's values alike within; DESC reverses all of it.
  const FLAT = [{ a: -1, b: null }, { a: 0, b: "z" }, { a: 1, b: "" }, { a: 1, b: "x" }, { a: 1, b: "x" }, { a: 1, b: null }, { a: null, b: "a" }, { a: null, b: null }];
  const DEEP = [
    { p: { x: 0 }, l: [2] },
    { p: { x: 1 }, l: [] },
    { p: { x: 1 }, l: [1] },
    { p: { x: 1 }, l: [1, 2] },
    { p: { x: 1 }, l: [null] },
    { p: { x: 1 }, l: null },
    { p: { x: null }, l: [] },
    { p: null, l: [1] },
  ];
  const shapes = [
    { name: "STRUCT(a INTEGER, b VARCHAR)", type: structOf({ a: new arrow.Int32(), b: new arrow.Utf8() }), ascending: FLAT },
    { name: "STRUCT(p STRUCT(x INTEGER), l INTEGER[])", type: structOf({ p: structOf({ x: new arrow.Int32() }), l: listOf(new arrow.Int32()) }), ascending: DEEP },
  ];

  it.each(shapes)("merges runs sorted on a $name as DuckDB orders them, either way, NULLs first or last", async ({ type, ascending }) => {
    const batch = (values: readonly unknown[]) => new arrow.Table({ s: arrow.vectorFromArray(values as never[], type as never) }).batches[0];
    const read = (batches: readonly arrow.RecordBatch[]) => batches.flatMap((b) => Array.from({ length: b.numRows }, (_, r) => plain(type, b.getChildAt(0)!.get(r))));
    for (const descending of [false, true]) {
      for (const nullsFirst of [false, true]) {
        const values = descending ? [...ascending].reverse() : ascending;
        const sorted = nullsFirst ? [null, ...values] : [...values, null];
        // Two runs, each in order: every other value of the whole order.
        const runs = [0, 1].map((run) => [batch(sorted.filter((_, i) => i % 2 === run))]);
        const merged = await mergeSortedRuns(runs, [{ column: 0, descending, nullsFirst }]);
        expect({ descending, nullsFirst, merged: read(merged) }).toEqual({ descending, nullsFirst, merged: sorted });
      }
    }
  });
});
