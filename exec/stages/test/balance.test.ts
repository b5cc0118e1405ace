// Sharing a stage's chunks out to their holders: the largest share as small as the holders allow.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { balanceShares, type ShareItem } from "../balance.ts";

/** Each item in turn to its least loaded candidate: how the runner shared chunks out before. */
function inTurn(items: readonly ShareItem[]): number[] {
  const load = new Map<number, number>();
  return items.map(({ weight, candidates }) => {
    const best = candidates.reduce((b, w, c) => ((load.get(w) ?? 0) < (load.get(candidates[b]) ?? 0) ? c : b), 0);
    load.set(candidates[best], (load.get(candidates[best]) ?? 0) + weight);
    return best;
  });
}

function peak(items: readonly ShareItem[], chosen: readonly number[]): number {
  const load = new Map<number, number>();
  items.forEach((item, i) => load.set(item.candidates[chosen[i]], (load.get(item.candidates[chosen[i]]) ?? 0) + item.weight));
  return Math.max(0, ...load.values());
}

/** The smallest peak any choice gives (every combination: small inputs only). */
function bestPeak(items: readonly ShareItem[]): number {
  let best = Infinity;
  const chosen = items.map(() => 0);
  const visit = (i: number) => {
    if (i === items.length) {
      best = Math.min(best, peak(items, chosen));
      return;
    }
    for (let c = 0; c < items[i].candidates.length; c++) {
      chosen[i] = c;
      visit(i + 1);
    }
  };
  visit(0);
  return best;
}

const itemsArbitrary = (workers: number, maxItems: number) =>
  fc.array(
    fc.record({
      weight: fc.integer({ min: 0, max: 200_000 }),
      candidates: fc.uniqueArray(fc.integer({ min: 0, max: workers - 1 }), { minLength: 1, maxLength: Math.min(3, workers) }),
    }),
    { maxLength: maxItems },
  );

describe("balanceShares", () => {
  it("gives two chunks each where sharing them out in turn gave one worker three (a cluster's partsupp)", () => {
    // Seven chunks of a table on four workers, two holders each, as one cluster placed them.
    const items: ShareItem[] = [
      { weight: 122_880, candidates: [0, 3] },
      { weight: 122_880, candidates: [2, 1] },
      { weight: 122_880, candidates: [0, 1] },
      { weight: 122_880, candidates: [0, 2] },
      { weight: 122_880, candidates: [0, 2] },
      { weight: 122_880, candidates: [0, 2] },
      { weight: 62_720, candidates: [3, 0] },
    ];
    expect(peak(items, inTurn(items))).toBe(3 * 122_880);
    const chosen = balanceShares(items);
    expect(peak(items, chosen)).toBe(2 * 122_880);
    expect(peak(items, chosen)).toBe(bestPeak(items));
  });

  it("keeps the preferred holder when the loads allow it", () => {
    const items: ShareItem[] = [0, 1, 2, 3].map((w) => ({ weight: 10, candidates: [w, (w + 1) % 4] }));
    expect(balanceShares(items)).toEqual([0, 0, 0, 0]);
    expect(balanceShares([])).toEqual([]);
  });

  it("picks a candidate of each item, never a larger peak than sharing out in turn, the same choice every time", () => {
    fc.assert(
      fc.property(itemsArbitrary(5, 40), (items) => {
        const chosen = balanceShares(items);
        expect(chosen).toHaveLength(items.length);
        chosen.forEach((c, i) => expect(items[i].candidates[c]).toBeDefined());
        expect(peak(items, chosen)).toBeLessThanOrEqual(peak(items, inTurn(items)));
        expect(balanceShares(items)).toEqual(chosen);
      }),
    );
  });

  it("finds the smallest peak there is when there are few ways to choose", () => {
    fc.assert(
      fc.property(itemsArbitrary(4, 9), (items) => {
        expect(peak(items, balanceShares(items))).toBe(bestPeak(items));
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses an item no worker can read, or of negative weight", () => {
    expect(() => balanceShares([{ weight: 1, candidates: [] }])).toThrow(/no candidate/);
    expect(() => balanceShares([{ weight: -1, candidates: [0] }])).toThrow(/≥ 0/);
  });
});
