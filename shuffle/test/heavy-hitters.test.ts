import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeavyHitters } from "../heavy-hitters.ts";

// Keys that share a low word (or a high word) with others, so lookups must compare both.
const key = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }));
const keyId = (high: number, low: number) => `${high}:${low}`;

/** Space-Saving's bounds against the true weights: at most `capacity` keys, heaviest first, every key heavier than total/capacity tracked, none underestimated, only keys that came. */
function expectBounds(sketch: HeavyHitters, truth: ReadonlyMap<string, number>, capacity: number): void {
  const total = [...truth.values()].reduce((s, w) => s + w, 0);
  const heaviest = sketch.heaviest();
  const tracked = new Map(heaviest.map((k) => [keyId(k.high, k.low), k]));
  expect(tracked.size).toBe(heaviest.length);
  expect(tracked.size).toBeLessThanOrEqual(capacity);
  for (let i = 1; i < heaviest.length; i++) expect(heaviest[i - 1].weight).toBeGreaterThanOrEqual(heaviest[i].weight);
  for (const id of tracked.keys()) expect(truth.has(id)).toBe(true);
  for (const [id, weight] of truth) {
    if (weight > total / capacity) expect(tracked.has(id)).toBe(true);
    const entry = tracked.get(id);
    if (entry) {
      expect(entry.weight).toBeGreaterThanOrEqual(weight);
      expect(entry.weight - entry.overcount).toBeLessThanOrEqual(weight);
    }
  }
}

describe("heavy hitters", () => {
  it("track every key heavier than total/capacity, never underestimating it", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer({ min: 1, max: 100 })), { maxLength: 400 }), fc.integer({ min: 1, max: 12 }), (stream, capacity) => {
        const sketch = new HeavyHitters(capacity);
        const truth = new Map<string, number>();
        for (const [[high, low], weight] of stream) {
          sketch.add(high, low, weight);
          truth.set(keyId(high, low), (truth.get(keyId(high, low)) ?? 0) + weight);
        }
        expectBounds(sketch, truth, capacity);
      }),
    );
  });

  it("keep those bounds when batches of rows are added a key at a time, counting only the keys asked for", () => {
    const batch = fc.tuple(fc.array(key, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }));
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 20 }), fc.integer({ min: 1, max: 12 }), (batches, capacity) => {
        const sketch = new HeavyHitters(capacity);
        const counts = (high: number) => high !== 6;
        const truth = new Map<string, number>();
        for (const [rows, weightPerRow] of batches) {
          sketch.addRows(Uint32Array.from(rows, ([high]) => high), Uint32Array.from(rows, ([, low]) => low), weightPerRow, counts);
          for (const [high, low] of rows.filter(([high]) => counts(high))) truth.set(keyId(high, low), (truth.get(keyId(high, low)) ?? 0) + weightPerRow);
        }
        expectBounds(sketch, truth, capacity);
      }),
    );
  });

  it("forget removed keys and keep the rest, under any mix of adds and removes", () => {
    const op = fc.oneof(fc.tuple(fc.constant("add" as const), key, fc.integer({ min: 1, max: 50 })), fc.tuple(fc.constant("remove" as const), key, fc.constant(0)));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ops, capacity) => {
        const sketch = new HeavyHitters(capacity);
        // The lightest weight evicted so far bounds what an untracked key can have lost.
        const weights = new Map<string, number>();
        for (const [kind, [high, low], weight] of ops) {
          if (kind === "remove") {
            sketch.remove(high, low);
            weights.delete(keyId(high, low));
            continue;
          }
          sketch.add(high, low, weight);
          const tracked = new Map(sketch.heaviest().map((k) => [keyId(k.high, k.low), k.weight]));
          for (const id of weights.keys()) if (!tracked.has(id)) weights.delete(id);
          weights.set(keyId(high, low), tracked.get(keyId(high, low))!);
        }
        const heaviest = sketch.heaviest();
        expect(new Map(heaviest.map((k) => [keyId(k.high, k.low), k.weight]))).toEqual(weights);
        for (let i = 1; i < heaviest.length; i++) expect(heaviest[i - 1].weight).toBeGreaterThanOrEqual(heaviest[i].weight);
      }),
    );
  });
});
