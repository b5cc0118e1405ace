import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_DIGEST, RowDigest, digestRows, digestSeed, isRowDigest, sumDigests } from "../index.ts";

const RUN = "0123456789abcdef0123456789abcdef";

type Row = [bigint | null, string | null, number | null, boolean | null, number | null];

const rowArbitrary: fc.Arbitrary<Row> = fc.tuple(
  fc.option(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { nil: null }),
  fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  fc.option(fc.double({ noNaN: true }), { nil: null }),
  fc.option(fc.boolean(), { nil: null }),
  fc.option(fc.integer({ min: -100_000, max: 100_000 }), { nil: null }),
);

/** One batch of rows: int64, string, double, boolean, date, a decimal and a list (hashed by its elements). */
function batchOf(rows: readonly Row[]): arrow.RecordBatch {
  const column = <T>(i: number) => rows.map((r) => r[i] as T);
  const table = new arrow.Table({
    id: arrow.vectorFromArray(column<bigint | null>(0), new arrow.Int64()),
    name: arrow.vectorFromArray(column<string | null>(1), new arrow.Utf8()),
    price: arrow.vectorFromArray(column<number | null>(2), new arrow.Float64()),
    flag: arrow.vectorFromArray(column<boolean | null>(3), new arrow.Bool()),
    day: arrow.vectorFromArray(column<number | null>(4), new arrow.DateDay()),
    amount: decimals(column<number | null>(4)),
    tags: arrow.vectorFromArray(
      rows.map((r) => (r[1] === null ? null : [r[1].length, r[4] ?? 0])),
      new arrow.List(new arrow.Field("item", new arrow.Int32(), true)),
    ),
  });
  return table.batches.length === 1 ? table.batches[0] : new arrow.RecordBatch(table.schema, arrow.makeData({ type: new arrow.Struct(table.schema.fields), length: 0, children: [] }));
}

/** Decimal(18, 2) values as their 128-bit words. */
function decimals(values: readonly (number | null)[]): arrow.Vector {
  const words = new Uint32Array(values.length * 4);
  const validity = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v === null) return;
    validity[i >> 3] |= 1 << (i & 7);
    const n = BigInt.asUintN(128, BigInt(v) * 100n);
    for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((n >> BigInt(32 * w)) & 0xffff_ffffn);
  });
  const nullCount = values.filter((v) => v === null).length;
  return arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(2, 18, 128), length: values.length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data: words }));
}

/** `rows` cut into batches at `cuts` (as slices of one batch, so with offsets). */
function split(rows: readonly Row[], cuts: readonly number[]): arrow.RecordBatch[] {
  const batch = batchOf(rows);
  const bounds = [...new Set([0, ...cuts.map((c) => c % (rows.length + 1)), rows.length])].sort((a, b) => a - b);
  return bounds.slice(1).map((end, i) => batch.slice(bounds[i], end));
}

describe("row digests", () => {
  it("are the same however rows are ordered, cut into batches or sent through Arrow IPC", () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 4 }), fc.nat(), (rows, cuts, shift) => {
        const whole = digestRows([batchOf(rows)], RUN);
        const rotated = [...rows.slice(shift % rows.length), ...rows.slice(0, shift % rows.length)];
        expect(digestRows(split(rotated, cuts), RUN)).toBe(whole);
        const ipc = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(split(rows, cuts)), "stream"));
        expect(digestRows(ipc.batches, RUN)).toBe(whole);
        // Parts sent to different receivers add up to the whole.
        const parts = split(rows, cuts).map((b) => digestRows([b], RUN));
        expect(sumDigests(parts)).toBe(whole);
      }),
    );
  });

  it("change when a row is dropped, repeated or has one value changed", () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 4 }), (rows, pick, column) => {
        const whole = digestRows([batchOf(rows)], RUN);
        const at = pick % rows.length;
        expect(digestRows([batchOf(rows.filter((_, i) => i !== at))], RUN)).not.toBe(whole);
        expect(digestRows([batchOf([...rows, rows[at]])], RUN)).not.toBe(whole);
        const changed = rows.map((r) => [...r] as Row);
        const value = changed[at][column];
        changed[at][column] = value === null ? ([0n, "", 0, false, 0] as const)[column] : null;
        expect(digestRows([batchOf(changed)], RUN)).not.toBe(whole);
      }),
    );
  });

  it("tell a NULL from every value, and a value from the same words in another column", () => {
    const one = batchOf([[1n, null, null, null, null]]);
    const other = batchOf([[null, null, null, null, 1]]);
    expect(digestRows([one], RUN)).not.toBe(digestRows([other], RUN));
    const empty = batchOf([[null, "", null, null, null]]);
    const nulls = batchOf([[null, null, null, null, null]]);
    expect(digestRows([empty], RUN)).not.toBe(digestRows([nulls], RUN));
  });

  it("depend on the run's seed, count rows, and read back as text", () => {
    const batch = batchOf([[7n, "seven", 7.5, true, 7]]);
    const other = "fedcba9876543210fedcba9876543210";
    expect(digestRows([batch], RUN)).not.toBe(digestRows([batch], other));
    expect(digestRows([], RUN)).toBe(EMPTY_DIGEST);
    const digest = new RowDigest(digestSeed(RUN)).add(batch).add(batch);
    expect(digest.rows).toBe(2);
    expect(isRowDigest(digest.toString())).toBe(true);
    expect(isRowDigest("2:00")).toBe(false);
    expect(isRowDigest("01:0000000000000000")).toBe(false);
    // A row's share of a sum, taken out again as a slice.
    expect(digestRows([batchOf([[1n, "a", 1, true, 1], [2n, "b", 2, false, 2]]).slice(1)], RUN)).toBe(digestRows([batchOf([[2n, "b", 2, false, 2]])], RUN));
  });

  it("tell lists apart by their elements: NULL list, empty list, [NULL], ['NULL'], bigints, decimals and nested lists", () => {
    const digestOf = (type: arrow.DataType, values: unknown[]) =>
      digestRows([new arrow.Table({ l: arrow.vectorFromArray(values as never[], new arrow.List(new arrow.Field("item", type, true)) as never) }).batches[0]], RUN);
    const texts = [null, [], [null], ["NULL"], [""], ["", ""], ["a", "b"], ["ab"], ["b", "a"], [null, "a"], ["a", null]].map((v) => digestOf(new arrow.Utf8(), [v]));
    expect(new Set(texts).size).toBe(texts.length);
    const bigs = [[1n], [1n << 32n], [-1n], [(1n << 63n) - 1n], [1n, null], [null, 1n], [0n], [null], []].map((v) => digestOf(new arrow.Int64(), [v]));
    expect(new Set(bigs).size).toBe(bigs.length);
    const doubles = [[NaN], [null], [Infinity], [-Infinity], [0], [-0], [1.5]].map((v) => digestOf(new arrow.Float64(), [v]));
    expect(new Set(doubles).size).toBe(doubles.length);
    const words = (v: bigint) => Uint32Array.from({ length: 4 }, (_, w) => Number((BigInt.asUintN(128, v) >> BigInt(32 * w)) & 0xffff_ffffn));
    const decimals = [[words(1n)], [words(-1n)], [words(1n << 100n)], [null], [words(0n)], []].map((v) => digestOf(new arrow.Decimal(2, 38, 128), [v]));
    expect(new Set(decimals).size).toBe(decimals.length);
    const inner = new arrow.List(new arrow.Field("item", new arrow.Int32(), true));
    const nested = [null, [], [null], [[]], [[null]], [[1], [2]], [[1, 2]], [[2], [1]], [[1], null], [null, [1]]].map((v) => digestOf(inner, [v]));
    expect(new Set(nested).size).toBe(nested.length);
    // The same lists digest alike however they are laid out: sliced, or read back from IPC.
    const values = [[1, null, 2], null, [], [3], [null], [4, 5]];
    const whole = digestOf(new arrow.Int32(), values);
    const batch = new arrow.Table({ l: arrow.vectorFromArray(values, new arrow.List(new arrow.Field("item", new arrow.Int32(), true))) }).batches[0];
    expect(digestRows([batch.slice(0, 3), batch.slice(3)], RUN)).toBe(whole);
    expect(digestRows([batch.slice(3), batch.slice(1, 3), batch.slice(0, 1)], RUN)).toBe(whole);
    expect(digestRows(arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([batch.slice(2), batch.slice(0, 2)]))).batches, RUN)).toBe(whole);
    expect(digestOf(new arrow.Int32(), [[1, 2], [3]])).not.toBe(digestOf(new arrow.Int32(), [[1], [2, 3]]));
  });

  it("add up past 2^64 by wrapping", () => {
    const max = "1:ffffffffffffffff";
    expect(sumDigests([max, "2:0000000000000002"])).toBe("3:0000000000000001");
  });
});
