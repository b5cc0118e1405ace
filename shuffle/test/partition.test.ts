import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Router, SaltMap, hashRows, keptRowsOf, member, partitionBatch, routeRows, takeRows, type PartitionSpec } from "../index.ts";

const members = Array.from({ length: 5 }, (_, i) => member(`node-${i}`));
const router = new Router(members);
const byKey: PartitionSpec = { keys: [0], saltBy: [1], mode: "spread" };

function sampleBatch(ids: (number | null)[], names: (string | null)[]): arrow.RecordBatch {
  const table = new arrow.Table({
    id: arrow.vectorFromArray(ids, new arrow.Int32()),
    name: arrow.vectorFromArray(names, new arrow.Utf8()),
    price: arrow.vectorFromArray(ids.map((v) => (v === null ? null : v * 1.5)), new arrow.Float64()),
    flag: arrow.vectorFromArray(ids.map((v) => (v === null ? null : v % 2 === 0)), new arrow.Bool()),
  });
  return table.batches[0];
}

const rowsOf = (batch: arrow.RecordBatch | undefined) => (batch ? batch.toArray().map((r) => JSON.stringify(r.toJSON())) : []);

describe("takeRows", () => {
  it("picks the rows asked for, nulls included, from sliced batches too", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(fc.integer(), { nil: null }), fc.option(fc.string(), { nil: null })), { minLength: 1, maxLength: 60 }), fc.nat(), (rows, cut) => {
        const batch = sampleBatch(rows.map((r) => r[0]), rows.map((r) => r[1]));
        const sliced = batch.slice(cut % rows.length);
        const picks = Uint32Array.from({ length: sliced.numRows }, (_, i) => (i * 7) % sliced.numRows);
        const all = rowsOf(sliced);
        expect(rowsOf(takeRows(sliced, picks))).toEqual(Array.from(picks, (i) => all[i]));
      }),
    );
  });
});

describe("partitionBatch", () => {
  it("sends every row to its key's home, once", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 200 }), (ids) => {
        const batch = sampleBatch(ids, ids.map((i) => `n${i}`));
        const parts = partitionBatch(batch, byKey, router, new SaltMap());
        expect(parts.reduce((n, p) => n + (p?.numRows ?? 0), 0)).toBe(ids.length);
        parts.forEach((part, to) => {
          if (!part) return;
          const { high, low } = hashRows([part.getChildAt(0)!], part.numRows);
          for (let i = 0; i < part.numRows; i++) expect(router.home(high[i], low[i])).toBe(to);
        });
      }),
    );
  });

  it("spreads a salted key over its salt targets, rows equal on saltBy together, and replicates the other side", () => {
    const ids = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? -7 : i));
    const batch = sampleBatch(ids, ids.map((_, i) => `n${i % 50}`));
    const { high, low } = hashRows([arrow.vectorFromArray([-7], new arrow.Int32())], 1);
    const salts = new SaltMap();
    salts.add({ high: high[0], low: low[0], salts: 3 }, 1);
    const targets = router.targets(high[0], low[0], 3);
    const spread = partitionBatch(batch, byKey, router, salts);
    const hot = spread.map((p) => (p ? p.toArray().filter((r) => r.id === -7) : []));
    expect(hot.reduce((n, rows) => n + rows.length, 0)).toBe(1000);
    targets.forEach((t) => expect(hot[t].length).toBeGreaterThan(200));
    const homeOfName = new Map<string, number>();
    hot.forEach((rows, to) => rows.forEach((r) => expect(homeOfName.get(r.name) ?? (homeOfName.set(r.name, to), to)).toBe(to)));

    const replicated = partitionBatch(batch, { ...byKey, mode: "replicate" }, router, salts);
    targets.forEach((t) => expect(replicated[t]!.toArray().filter((r) => r.id === -7).length).toBe(1000));
    expect(replicated.reduce((n, p) => n + (p?.numRows ?? 0), 0)).toBe(3000 + 2 * 1000);
  });

  it("deals a salted key's rows over its targets in turn when any share will do, hashing no other column", () => {
    // Every third row is the hot key: dealing by row position would alias with that pattern; in turn it cannot.
    const ids = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? -7 : i));
    const batch = sampleBatch(ids, ids.map(() => "same"));
    const { high, low } = hashRows([arrow.vectorFromArray([-7], new arrow.Int32())], 1);
    const salts = new SaltMap();
    salts.add({ high: high[0], low: low[0], salts: 3 }, 1);
    const parts = partitionBatch(batch, { ...byKey, saltBy: "any" }, router, salts);
    const hot = parts.map((p) => (p ? p.toArray().filter((r) => r.id === -7).length : 0));
    expect(router.targets(high[0], low[0], 3).map((t) => hot[t]).sort()).toEqual([333, 333, 334]);
    expect(parts.reduce((n, p) => n + (p?.numRows ?? 0), 0)).toBe(3000);
  });

  it("partitions a million-row batch with every row in exactly one part", () => {
    const rows = 1_000_000;
    const batch = new arrow.Table({
      key: arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => (i * 2654435761) % 100_000)),
      value: arrow.makeVector(Float64Array.from({ length: rows }, (_, i) => i)),
      tag: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `t${i % 1000}`), new arrow.Utf8()),
    }).batches[0];
    const parts = partitionBatch(batch, { keys: [0], saltBy: [1], mode: "spread" }, router, new SaltMap());
    expect(parts.reduce((n, p) => n + (p?.numRows ?? 0), 0)).toBe(rows);
    const values = parts.flatMap((p) => (p ? Array.from(p.getChildAt(1)!.toArray() as Float64Array) : []));
    expect(new Set(values).size).toBe(rows);
  });
});

describe("kept keys", () => {
  const keep = (ranges: [string, string][]) => ({ column: 0, ranges });

  it("mark the rows whose key lies in a range: integers of any width (exact past 2^53), dates, never a NULL, in sliced batches too", () => {
    const big = new arrow.Table({ k: arrow.vectorFromArray([1n, 5n, 9007199254740993n, 9007199254740994n, null, -3n], new arrow.Int64()) }).batches[0];
    expect([...keptRowsOf(keep([["-3", "1"], ["9007199254740993", "9007199254740993"]]))(big)]).toEqual([1, 0, 1, 0, 0, 1]);
    expect([...keptRowsOf(keep([["2", "5"]]))(big)]).toEqual([0, 1, 0, 0, 0, 0]);
    const small = sampleBatch([1, 2, null, 4, 5], ["a", "b", "c", "d", "e"]).slice(1);
    expect([...keptRowsOf(keep([["2", "4"]]))(small)]).toEqual([1, 0, 1, 0]);
    const days = new arrow.Table({ d: arrow.vectorFromArray([new Date("1970-01-02"), new Date("1995-03-15"), null], new arrow.DateDay()) }).batches[0];
    expect([...keptRowsOf(keep([["9204", "9204"]]))(days)]).toEqual([0, 1, 0]);
  });

  it("stay on the producing member; every other row goes where it would have gone", () => {
    const batch = sampleBatch(Array.from({ length: 200 }, (_, i) => i), Array.from({ length: 200 }, (_, i) => `n${i}`));
    const salts = new SaltMap();
    const rows = keptRowsOf(keep([["50", "99"]]))(batch);
    const kept = routeRows(batch, byKey, router, salts, undefined, { member: 3, rows });
    const plain = routeRows(batch, byKey, router, salts);
    const homeOf = (lists: Uint32Array[]) => {
      const home = new Array<number>(batch.numRows);
      lists.forEach((list, m) => list.forEach((row) => (home[row] = m)));
      return home;
    };
    const [withKeep, without] = [homeOf(kept), homeOf(plain)];
    for (let row = 0; row < batch.numRows; row++) expect(withKeep[row]).toBe(row >= 50 && row <= 99 ? 3 : without[row]);
  });
});
