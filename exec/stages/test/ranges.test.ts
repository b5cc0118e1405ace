// Reading a table by key range: which tables count as clustered, which chunks a task reads, and
// the rows it keeps of them — never fewer than a join on the key can meet — and which of them a
// filter must narrow.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkKeyRange, clusteredColumns } from "../../../planner/catalog.ts";
import { keyRangesCondition } from "../../key-ranges.ts";
import { namedStructFromColumns } from "../../types.ts";
import { chunksMeeting, coversDisjoint, keyCover, keyRanges, keysOnlyIn, MAX_KEY_RANGES, narrowedChunks, type KeyCover } from "../ranges.ts";

const BIGINT = { i64: { typeVariationReference: 0, nullability: 1 } } as never;
const DATE = { date: { typeVariationReference: 0, nullability: 1 } } as never;

/** A chunk of `rows` rows whose column k runs from min to max (null: every value NULL). */
const chunk = (min: number | null, max: number | null, rows = 10, nullCount = 0) => ({
  rows,
  stats: { k: { min: min === null ? null : String(min), max: max === null ? null : String(max), nullCount: min === null ? rows : nullCount } },
});

describe("clustered columns", () => {
  const schema = namedStructFromColumns([
    { name: "k", type: "BIGINT" },
    { name: "s", type: "VARCHAR" },
  ]);
  const stats = (min: number, max: number) => ({ rows: 10, stats: { k: { min: String(min), max: String(max), nullCount: 0 }, s: { min: "a", max: "z", nullCount: 0 } } });

  it("are the integer and date columns whose chunks' ranges each meet few others", () => {
    // In key order, neighbours sharing a boundary key: clustered.
    expect(clusteredColumns(schema, [stats(1, 10), stats(10, 20), stats(20, 30), stats(31, 40), stats(41, 50), stats(51, 60)])).toEqual(["k"]);
    // Every chunk spans every key: not.
    expect(clusteredColumns(schema, Array.from({ length: 6 }, () => stats(1, 60)))).toEqual([]);
    // Too few chunks to tell a range apart: a read by key range would read them all.
    expect(clusteredColumns(schema, [stats(1, 10)])).toEqual([]);
    expect(clusteredColumns(schema, [stats(1, 10), stats(10, 20)])).toEqual([]);
    expect(clusteredColumns(schema, [stats(1, 10), stats(11, 20)])).toEqual(["k"]);
  });

  it("skip chunks whose values are all NULL, and refuse a column whose statistics a chunk lacks", () => {
    const chunks = [stats(1, 10), stats(11, 20), stats(21, 30), { rows: 5, stats: { k: { min: null, max: null, nullCount: 5 } } }];
    expect(clusteredColumns(schema, chunks)).toEqual(["k"]);
    expect(clusteredColumns(schema, [...chunks, { rows: 5, stats: {} }])).toEqual([]);
    expect(clusteredColumns(schema, [...chunks, { rows: 5, stats: { k: { min: null, max: null, nullCount: 2 } } }])).toEqual([]);
  });
});

describe("key ranges", () => {
  it("of a chunk: exact for integers past 2^53 and for dates; NULL-only chunks hold none; missing statistics hold any", () => {
    expect(chunkKeyRange(BIGINT, { min: "9007199254740993", max: "9007199254740995", nullCount: 0 }, 3)).toEqual({ min: 9007199254740993n, max: 9007199254740995n });
    expect(chunkKeyRange(DATE, { min: "1970-01-02", max: "1995-03-15", nullCount: 0 }, 3)).toEqual({ min: 1n, max: 9204n });
    expect(chunkKeyRange(BIGINT, { min: null, max: null, nullCount: 3 }, 3)).toBeNull();
    expect(chunkKeyRange(BIGINT, undefined, 3)).toBe("unknown");
    expect(chunkKeyRange(BIGINT, { min: null, max: null, nullCount: 1 }, 3)).toBe("unknown");
  });

  it("of a task: merged, and met by the chunks of the other table that hold one of its keys", () => {
    const own = [chunk(1, 10), chunk(11, 20), chunk(40, 50), chunk(null, null)];
    const cover = keyCover(own, BIGINT, "k");
    expect(cover).toEqual([
      { min: 1n, max: 20n },
      { min: 40n, max: 50n },
    ]);
    const other = [chunk(-5, 0), chunk(0, 1), chunk(21, 39), chunk(39, 40), chunk(50, 60), chunk(51, 60), chunk(null, null), { rows: 3, stats: {} }];
    expect(chunksMeeting(other, BIGINT, "k", cover).map((c) => other.indexOf(c))).toEqual([1, 3, 4, 7]);
    // A chunk of the task's own whose keys are unknown: every chunk that holds a key.
    expect(chunksMeeting(other, BIGINT, "k", keyCover([...own, { rows: 3, stats: {} }], BIGINT, "k")).map((c) => other.indexOf(c))).toEqual([0, 1, 2, 3, 4, 5, 7]);
    // Only NULL keys: nothing meets them.
    expect(chunksMeeting(other, BIGINT, "k", keyCover([chunk(null, null)], BIGINT, "k"))).toEqual([]);
  });

  it("are never fewer than the keys a join meets (property: any chunks, any keys)", () => {
    const range = fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 20 })).map(([min, width]) => chunk(min, min + width));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 12 }), fc.array(range, { maxLength: 12 }), fc.integer({ min: 1, max: 4 }), (own, other, limit) => {
        const cover = keyCover(own, BIGINT, "k");
        const meeting = new Set(chunksMeeting(other, BIGINT, "k", cover));
        const within = keyRanges("k", cover, limit)!;
        expect(within.ranges.length).toBeLessThanOrEqual(limit);
        const kept = (key: number) => within.ranges.some(([min, max]) => BigInt(min) <= BigInt(key) && BigInt(key) <= BigInt(max));
        for (let key = -50; key <= 70; key++) {
          const ownHolds = own.some((c) => Number(c.stats.k.min) <= key && key <= Number(c.stats.k.max));
          if (!ownHolds) continue;
          // Every chunk of the other table that may hold the key is read, and the key's rows are kept.
          for (const c of other) if (Number(c.stats.k.min) <= key && key <= Number(c.stats.k.max)) expect(meeting.has(c)).toBe(true);
          expect(kept(key)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("narrow only the chunks with a key outside them, or a NULL one, each by the ranges it meets", () => {
    const within = { column: "k", ranges: [["1", "20"], ["40", "50"], ["70", "80"]] as [string, string][] };
    const chunks = [chunk(1, 10), chunk(11, 20), chunk(15, 45), chunk(41, 50, 10, 2), chunk(44, 46), chunk(75, 90)];
    const read = narrowedChunks(chunks, BIGINT, within);
    expect(read.narrowed.map(({ chunk, ranges }) => [chunks.indexOf(chunk), ranges])).toEqual([
      [2, [0, 1]],
      [3, [1, 1]],
      [5, [2, 2]],
    ]);
    expect(read.within).toEqual(within);
    // Only the ranges a narrowed chunk meets, renumbered; a chunk without statistics meets them all.
    expect(narrowedChunks([chunk(75, 90)], BIGINT, within)).toEqual({ within: { column: "k", ranges: [["70", "80"]] }, narrowed: [{ chunk: chunk(75, 90), ranges: [0, 0] }] });
    expect(narrowedChunks([{ rows: 3, stats: {} }], BIGINT, within).narrowed[0].ranges).toEqual([0, 2]);
    expect(narrowedChunks([chunk(2, 3), chunk(70, 80)], BIGINT, within)).toEqual({ within: { column: "k", ranges: [] }, narrowed: [] });
  });

  it("read as narrowed keep exactly the rows a filter on every chunk keeps (property)", () => {
    const range = fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 10 }), fc.boolean()).map(([min, width, nulls]) => chunk(min, min + width, 10, nulls ? 1 : 0));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), fc.array(range, { maxLength: 8 }), fc.integer({ min: 1, max: 4 }), (own, other, limit) => {
        const cover = keyCover(own, BIGINT, "k");
        const within = keyRanges("k", cover, limit)!;
        const meeting = chunksMeeting(other, BIGINT, "k", cover);
        const read = narrowedChunks(meeting, BIGINT, within);
        const holds = (key: number | null, ranges: [string, string][]) => key !== null && ranges.some(([min, max]) => BigInt(min) <= BigInt(key) && BigInt(key) <= BigInt(max));
        for (const c of meeting) {
          const keys: (number | null)[] = [...Array.from({ length: Number(c.stats.k.max) - Number(c.stats.k.min) + 1 }, (_, i) => Number(c.stats.k.min) + i), ...(c.stats.k.nullCount > 0 ? [null] : [])];
          const narrowed = read.narrowed.find((n) => n.chunk === c);
          const own = narrowed && read.within.ranges.slice(narrowed.ranges[0], narrowed.ranges[1] + 1);
          for (const key of keys) expect(own ? holds(key, own) : true).toBe(holds(key, within.ranges));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("as SQL: each range a BETWEEN (dates as DATE literals), at most MAX_KEY_RANGES of them, no filter past the years DATE names", () => {
    const cover: KeyCover = Array.from({ length: MAX_KEY_RANGES + 10 }, (_, i) => ({ min: BigInt(i * 10), max: BigInt(i * 10 + (i % 3)) }));
    const within = keyRanges("k", cover)!;
    expect(within.ranges).toHaveLength(MAX_KEY_RANGES);
    expect(keyRanges("k", "all")).toBeUndefined();
    expect(keyRangesCondition({ column: "k", ranges: [["1", "5"], ["7", "7"]] }, BIGINT)).toBe('"k" BETWEEN 1 AND 5 OR "k" = 7');
    expect(keyRangesCondition({ column: "d", ranges: [["0", "9204"]] }, DATE)).toBe(`"d" BETWEEN DATE '1970-01-01' AND DATE '1995-03-15'`);
    expect(keyRangesCondition({ column: "d", ranges: [["0", "3000000"]] }, DATE)).toBe("true");
    expect(keyRangesCondition({ column: "k", ranges: [] }, BIGINT)).toBe("false");
  });
});

describe("keys only a task's chunks hold", () => {
  const cover = (...ranges: [number, number][]): KeyCover => ranges.map(([min, max]) => ({ min: BigInt(min), max: BigInt(max) }));
  const plain = (ranges: { min: bigint; max: bigint }[]) => ranges.map((r) => [Number(r.min), Number(r.max)]);

  it("are its keys that no other task's ranges hold; none when any task's keys are unknown", () => {
    expect(plain(keysOnlyIn(cover([1, 10], [20, 30]), [cover([10, 12]), cover([25, 25], [29, 40])]))).toEqual([
      [1, 9],
      [20, 24],
      [26, 28],
    ]);
    expect(keysOnlyIn(cover([1, 10]), [cover([0, 20])])).toEqual([]);
    expect(keysOnlyIn("all", [cover([1, 2])])).toEqual([]);
    expect(keysOnlyIn(cover([1, 10]), ["all"])).toEqual([]);
    // Past the limit, the widest are kept: the others go by hash.
    expect(plain(keysOnlyIn(cover([1, 1], [3, 10], [12, 12], [14, 20]), [], 2))).toEqual([
      [3, 10],
      [14, 20],
    ]);
  });

  it("are all of every task's keys exactly when no two tasks' covers share a key", () => {
    expect(coversDisjoint([cover([1, 5], [9, 9]), cover([6, 8], [10, 20]), []])).toBe(true);
    expect(coversDisjoint([cover([1, 5]), cover([5, 8])])).toBe(false);
    expect(coversDisjoint([cover([1, 3], [10, 12]), cover([4, 4]), cover([11, 11])])).toBe(false);
    expect(coversDisjoint([cover([1, 5]), "all"])).toBe(false);
    expect(coversDisjoint([])).toBe(true);
    const ranges = fc.array(fc.tuple(fc.integer({ min: -30, max: 30 }), fc.integer({ min: 0, max: 8 })), { maxLength: 5 });
    fc.assert(
      fc.property(fc.array(ranges, { maxLength: 4 }), (tasks) => {
        const covers = tasks.map((task) => keyCover(task.map(([min, width]) => chunk(min, min + width)), BIGINT, "k"));
        const allKept = covers.every((own, t) => {
          const only = keysOnlyIn(own, covers.filter((_, u) => u !== t), Infinity);
          return own !== "all" && JSON.stringify(plain(only)) === JSON.stringify(plain([...own]));
        });
        expect(coversDisjoint(covers)).toBe(allKept);
      }),
      { numRuns: 500 },
    );
  });

  it("never hold a key another task may make (property)", () => {
    const ranges = fc.array(fc.tuple(fc.integer({ min: -30, max: 30 }), fc.integer({ min: 0, max: 8 })), { maxLength: 6 });
    fc.assert(
      fc.property(fc.array(ranges, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5 }), (tasks, limit) => {
        const covers = tasks.map((task) => keyCover(task.map(([min, width]) => chunk(min, min + width)), BIGINT, "k"));
        covers.forEach((own, t) => {
          const only = keysOnlyIn(own, covers.filter((_, u) => u !== t), limit);
          expect(only.length).toBeLessThanOrEqual(limit);
          const holds = (c: KeyCover, key: bigint) => c === "all" || c.some((r) => r.min <= key && key <= r.max);
          for (let key = -30n; key <= 40n; key++) {
            if (!only.some((r) => r.min <= key && key <= r.max)) continue;
            expect(holds(own, key)).toBe(true);
            covers.forEach((other, u) => u !== t && expect(holds(other, key)).toBe(false));
          }
        });
      }),
      { numRuns: 500 },
    );
  });
});
