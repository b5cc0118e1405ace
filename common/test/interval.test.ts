// Intervals from DuckDB's text of them, and their parts as DuckDB normalizes them, checked
// against DuckDB itself on random intervals: the text it writes, normalized_interval, and =.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { referenceDuckDB } from "./reference-duckdb.ts";
import { normalizeInterval, parseIntervalText, type IntervalParts } from "../interval.ts";

const connection = referenceDuckDB();

const MICROS_PER_DAY = 86_400_000_000n;

/** Parts within what DuckDB adds without overflow, small ones often (where spellings differ). */
const parts: fc.Arbitrary<IntervalParts> = fc.record({
  months: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -1_000_000, max: 1_000_000 })),
  days: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.integer({ min: -10_000_000, max: 10_000_000 })),
  micros: fc.oneof(
    fc.bigInt({ min: -3n * MICROS_PER_DAY, max: 3n * MICROS_PER_DAY }),
    fc.bigInt({ min: -100n * MICROS_PER_DAY, max: 100n * MICROS_PER_DAY }).map((m) => m - (m % 3_600_000_000n)),
    fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
  ),
});

/** The same interval spelled another way: some of its months as days, some of its days as hours. */
const respelled = (p: IntervalParts, monthsMoved: number, daysMoved: number): IntervalParts => ({
  months: p.months - monthsMoved,
  days: p.days + 30 * monthsMoved - daysMoved,
  micros: p.micros + BigInt(daysMoved) * MICROS_PER_DAY,
});

const sqlOf = (p: IntervalParts) => `(to_months(${p.months}) + to_days(${p.days}) + to_microseconds(${p.micros}))`;
const canonical = (p: IntervalParts) => {
  const n = normalizeInterval(p);
  return `${n.months} ${n.days} ${n.micros}`;
};

describe("DuckDB's intervals", () => {
  it("reads back the parts DuckDB wrote, and normalizes them as normalized_interval does", async () => {
    const samples = fc.sample(parts, { numRuns: 500, seed: 7 });
    const rows = (await connection().runAndReadAll(`SELECT x::VARCHAR, normalized_interval(x)::VARCHAR FROM (VALUES ${samples.map((p) => `(${sqlOf(p)})`).join(", ")}) t(x)`)).getRows();
    rows.forEach(([text, normalizedText], i) => {
      expect(parseIntervalText(String(text))).toEqual(samples[i]);
      expect(normalizeInterval(samples[i])).toEqual(parseIntervalText(String(normalizedText)));
    });
  });

  it("gives two intervals the same normalized parts exactly when DuckDB finds them equal", async () => {
    const pairs = fc.sample(
      fc.oneof(
        fc.tuple(parts, fc.integer({ min: -50, max: 50 }), fc.integer({ min: -500, max: 500 })).map(([p, m, d]) => [p, respelled(p, m, d)] as const),
        fc.tuple(parts, parts),
      ),
      { numRuns: 500, seed: 11 },
    );
    const rows = (await connection().runAndReadAll(`SELECT a = b FROM (VALUES ${pairs.map(([a, b]) => `(${sqlOf(a)}, ${sqlOf(b)})`).join(", ")}) t(a, b)`)).getRows();
    rows.forEach(([equal], i) => expect(canonical(pairs[i][0]) === canonical(pairs[i][1])).toBe(equal));
    expect(rows.filter(([equal]) => equal).length).toBeGreaterThan(100);
  });

  it("refuses text that is not an interval as DuckDB writes one", () => {
    for (const text of ["1 week", "3 days 4", "12:00", "one day", "1 day 25:00:00.1234567"]) expect(() => parseIntervalText(text)).toThrow(/not an interval/);
  });
});
