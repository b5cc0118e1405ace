// A result's hash made column by column, a piece of text at a time (what a coordinator records
// for a large answer) is the hash a client recomputes from the rows it was given.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResultHasher, resultHash } from "../result-hash.ts";

/** ResultHasher over the slices in order. */
const hashOfSlices = (names: readonly string[], slices: readonly (readonly (string | null)[])[][]) => {
  const hasher = new ResultHasher(names);
  for (const columns of slices) hasher.add(columns);
  return hasher.digest();
};

describe("ResultHasher", () => {
  it("hashes the same bytes as resultHash over the rows", () => {
    const value = fc.option(fc.string({ unit: "binary", maxLength: 30 }), { nil: null });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3_000 }), fc.integer(), (width, rows, seed) => {
        const names = Array.from({ length: width }, (_, c) => `c"${c}`);
        const columns = Array.from({ length: width }, (_, c) => fc.sample(value, { numRuns: rows, seed: seed + c }));
        const byRow = Array.from({ length: rows }, (_, r) => columns.map((column) => column[r]));
        expect(hashOfSlices(names, [columns])).toBe(resultHash(names, byRow));
        // In slices of any sizes (empty ones too), as a coordinator hashes a large answer.
        const cuts = [0, ...fc.sample(fc.integer({ min: 0, max: rows }), { numRuns: 3, seed }).sort((a, b) => a - b), rows];
        const slices = cuts.slice(1).map((end, i) => columns.map((column) => column.slice(cuts[i], end)));
        expect(hashOfSlices(names, slices)).toBe(resultHash(names, byRow));
      }),
      { numRuns: 40 },
    );
  });
});
