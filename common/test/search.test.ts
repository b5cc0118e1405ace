// partitionPoint: the lower bound of a sorted array, at every place a value may fall.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionPoint } from "../search.ts";

describe("partitionPoint", () => {
  it("is how many of a sorted array's values are below a value (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 40 }), fc.integer({ min: -25, max: 25 }), (values, value) => {
        const sorted = values.sort((a, b) => a - b);
        expect(partitionPoint(sorted.length, (i) => sorted[i] < value)).toBe(sorted.filter((v) => v < value).length);
      }),
      { numRuns: 500 },
    );
    expect(partitionPoint(0, () => true)).toBe(0);
    expect(partitionPoint(3, () => true)).toBe(3);
  });
});
