import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeavyHitters } from "../heavy-hitters.ts";

describe("heavy hitters", () => {
  it("track every key heavier than total/capacity, never underestimating it", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 100 })), { maxLength: 400 }), fc.integer({ min: 1, max: 12 }), (stream, capacity) => {
        const sketch = new HeavyHitters(capacity);
        const truth = new Map<number, number>();
        for (const [key, weight] of stream) {
          sketch.add(key, 0, weight);
          truth.set(key, (truth.get(key) ?? 0) + weight);
        }
        const total = stream.reduce((s, [, w]) => s + w, 0);
        const tracked = new Map(sketch.heaviest().map((k) => [k.high, k]));
        expect(tracked.size).toBeLessThanOrEqual(capacity);
        for (const [key, weight] of truth) {
          if (weight > total / capacity) expect(tracked.has(key)).toBe(true);
          const entry = tracked.get(key);
          if (entry) {
            expect(entry.weight).toBeGreaterThanOrEqual(weight);
            expect(entry.weight - entry.overcount).toBeLessThanOrEqual(weight);
          }
        }
      }),
    );
  });
});
