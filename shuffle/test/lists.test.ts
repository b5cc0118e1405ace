// LIST columns through an exchange: rows picked by index (a partition's share) and batches put
// end to end (an ordered gather's runs) keep every list, NULL lists, empty lists and NULL
// elements apart, from sliced batches (whose offsets point into a child apache-arrow does not
// slice) and from batches read back from Arrow IPC. A list as a shuffle key hashes by its values;
// runs sorted on a list merge in DuckDB's order of lists.
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchBytes, concatBatches, hashRows, mergeSortedRuns, takeRows } from "../index.ts";
import { decimalWords, rowsOf as plainRows, throughIpc } from "./arrow-rows.ts";

const listOf = (type: arrow.DataType) => new arrow.List(new arrow.Field("item", type, true));

type Row = {
  ints: (number | null)[] | null;
  texts: (string | null)[] | null;
  bigs: (bigint | null)[] | null;
  doubles: (number | null)[] | null;
  flags: (boolean | null)[] | null;
  decimals: (bigint | null)[] | null;
  nested: ((number | null)[] | null)[] | null;
};

const list = <T>(element: fc.Arbitrary<T>) => fc.option(fc.array(fc.option(element, { nil: null }), { maxLength: 5 }), { nil: null, freq: 4 });
const rowArbitrary: fc.Arbitrary<Row> = fc.record({
  ints: list(fc.integer()),
  texts: list(fc.string({ maxLength: 20 })),
  bigs: list(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })),
  doubles: list(fc.double()),
  flags: list(fc.boolean()),
  decimals: list(fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n })),
  nested: list(fc.option(fc.array(fc.option(fc.integer({ min: -9, max: 9 }), { nil: null }), { maxLength: 3 }), { nil: null })),
});

const TYPES = {
  ints: listOf(new arrow.Int32()),
  texts: listOf(new arrow.Utf8()),
  bigs: listOf(new arrow.Int64()),
  doubles: listOf(new arrow.Float64()),
  flags: listOf(new arrow.Bool()),
  decimals: listOf(new arrow.Decimal(3, 38, 128)),
  nested: listOf(listOf(new arrow.Int32())),
};

const rowsOf = (batches: readonly arrow.RecordBatch[]) => plainRows<Row>(batches);

function batchOf(rows: readonly Row[]): arrow.RecordBatch {
  const column = <K extends keyof Row>(key: K, map: (value: NonNullable<Row[K]>) => unknown = (v) => v) =>
    arrow.vectorFromArray(rows.map((r) => (r[key] === null ? null : map(r[key] as NonNullable<Row[K]>))) as never[], TYPES[key] as never);
  const table = new arrow.Table({
    ints: column("ints"),
    texts: column("texts"),
    bigs: column("bigs"),
    doubles: column("doubles"),
    flags: column("flags"),
    decimals: column("decimals", (values) => values.map((v) => (v === null ? null : decimalWords(v)))),
    nested: column("nested"),
  });
  expect(table.batches.length).toBe(1);
  return table.batches[0];
}

/** Each list column of a batch made here has offsets from 0 and a child of exactly its elements. */
function expectCompact(batch: arrow.RecordBatch): void {
  const check = (data: arrow.Data) => {
    if (!arrow.DataType.isList(data.type)) return;
    const offsets = data.valueOffsets as Int32Array;
    expect(offsets.length).toBe(data.length + 1);
    expect(offsets[0]).toBe(0);
    expect(data.children[0].length).toBe(offsets[data.length]);
    check(data.children[0]);
  };
  batch.data.children.forEach(check);
}

describe("LIST columns in an exchange", () => {
  it("takeRows picks the lists asked for, from whole, sliced and IPC-read batches", () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }), fc.nat(), fc.nat(), fc.array(fc.nat(), { maxLength: 60 }), fc.boolean(), (rows, from, to, picks, ipc) => {
        const [start, end] = [from % rows.length, to % (rows.length + 1)].sort((a, b) => a - b);
        const whole = batchOf(rows);
        let batch = whole.slice(start, Math.max(start + 1, end));
        const expected = rows.slice(start, Math.max(start + 1, end));
        if (ipc) batch = throughIpc(batch)[0];
        const indexes = Uint32Array.from(picks, (p) => p % expected.length);
        const taken = takeRows(batch, indexes);
        expectCompact(taken);
        expect(rowsOf([taken])).toEqual(Array.from(indexes, (i) => expected[i]));
        expect(rowsOf(throughIpc(taken))).toEqual(Array.from(indexes, (i) => expected[i]));
        expect(batchBytes(taken)).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it("concatBatches puts sliced and IPC-read batches of lists end to end", () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), (rows, cuts, ipc) => {
        const whole = batchOf(rows);
        const bounds = [...new Set([0, ...cuts.map((c) => c % (rows.length + 1)), rows.length])].sort((a, b) => a - b);
        const parts = bounds.slice(1).map((end, i) => whole.slice(bounds[i], end)).flatMap((part) => (ipc && part.numRows > 0 ? throughIpc(part) : [part]));
        const joined = concatBatches(parts);
        expectCompact(joined);
        expect(joined.numRows).toBe(rows.length);
        expect(rowsOf([joined])).toEqual(rows);
        expect(rowsOf(throughIpc(joined))).toEqual(rows);
        // Taken from again, the joined batch gives the same rows.
        expect(rowsOf([takeRows(joined, Uint32Array.from(rows.keys()).reverse())])).toEqual([...rows].reverse());
      }),
      { numRuns: 200 },
    );
  });

  it("keeps lists of only NULL lists, only empty lists and large lists", () => {
    const empty: Row = { ints: [], texts: [], bigs: [], doubles: [], flags: [], decimals: [], nested: [] };
    const none: Row = { ints: null, texts: null, bigs: null, doubles: null, flags: null, decimals: null, nested: null };
    const large: Row = {
      ints: Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? null : i)),
      texts: Array.from({ length: 5000 }, (_, i) => (i % 5 === 0 ? null : `t${i}`)),
      bigs: [1n],
      doubles: [NaN, -0, Infinity],
      flags: Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? null : i % 2 === 0)),
      decimals: [-(10n ** 37n), null],
      nested: [[], null, [null]],
    };
    for (const rows of [[empty, empty], [none, none, none], [none, empty, large, empty, none]]) {
      const batch = batchOf(rows);
      expect(rowsOf([takeRows(batch, Uint32Array.from(rows.keys()))])).toEqual(rows);
      expect(rowsOf([concatBatches([batch.slice(0, 1), batch.slice(1)])])).toEqual(rows);
      const carried = throughIpc(batch);
      expect(rowsOf([concatBatches([...carried, ...carried])])).toEqual([...rows, ...rows]);
    }
  });

  it("hashes a list key by its values: alike from any integer width, batch or slice; [], [NULL] and NULL apart", () => {
    const lists = [[1, 2], [], [null], null, [1, null], [2, 1], [1, 2]];
    const ints = arrow.vectorFromArray(lists as never[], listOf(new arrow.Int32()) as never);
    const bigs = arrow.vectorFromArray(lists.map((l) => l && l.map((v) => (v === null ? null : BigInt(v)))) as never[], listOf(new arrow.Int64()) as never);
    const [a, b] = [hashRows([ints], lists.length), hashRows([bigs], lists.length)];
    expect([...a.high]).toEqual([...b.high]);
    expect([...a.low]).toEqual([...b.low]);
    const hashes = lists.map((_, r) => `${a.high[r]}:${a.low[r]}`);
    expect(hashes[0]).toBe(hashes[6]);
    expect(new Set(hashes.slice(0, 6)).size).toBe(6);
    const sliced = hashRows([ints.slice(4, 7)], 3);
    expect([...sliced.high]).toEqual([...a.high.slice(4, 7)]);
  });

  it("merges runs sorted on a list as DuckDB orders lists, either way", async () => {
    // DuckDB 1.5's ORDER BY l (ASC NULLS LAST) of these: value by value, a NULL value last, a prefix first.
    const ascending = [[], [0, 5], [1], [1, 2], [1, null], [2], [null], null];
    const batch = (lists: readonly unknown[]) => new arrow.Table({ l: arrow.vectorFromArray(lists as never[], listOf(new arrow.Int32()) as never) }).batches[0];
    const merged = async (descending: boolean, runs: readonly (readonly unknown[])[]) =>
      rowsOf(await mergeSortedRuns(runs.map((run) => [batch(run)]), [{ column: 0, descending, nullsFirst: false }])).map((r) => (r as unknown as { l: unknown }).l);
    expect(await merged(false, [[[], [1], [1, null], [null]], [[0, 5], [1, 2], [2], null]])).toEqual(ascending);
    // DESC NULLS LAST: [NULL] first, as DuckDB gives it.
    const descending = [...ascending.slice(0, -1)].reverse().concat([null]);
    expect(await merged(true, [[[null], [1, null], [1], []], [[2], [1, 2], [0, 5], null]])).toEqual(descending);
  });
});
