// Which holder reads each chunk of a stage. A stage ends when its slowest task does, so the
// chunks are shared out to make the largest share small: with few chunks per table (TPC-H SF 1's
// partsupp has 7, each held by 2 of 4 nodes), handing each chunk in turn to its less loaded
// holder could give one node three chunks where two each was possible, and on nodes with cores
// of their own the stage would take half as long again.
import { invariant } from "../../common/errors.ts";

/** Something to read (a chunk), its cost (rows), and the workers that can read it, preferred first. */
export interface ShareItem {
  weight: number;
  candidates: readonly number[];
}

/** Rounds of moves and swaps per item at most: each round strictly lowers the loads' sum of squares, so this only bounds the work. */
const MAX_ROUNDS_PER_ITEM = 4;
/** Up to this many ways of choosing (the product of the items' candidate counts), every way is weighed. */
const MAX_WAYS_SEARCHED = 1 << 14;

/**
 * A candidate for each item (its index in `candidates`, in item order), the largest load any
 * worker gets as small as this finds. Few items (a table of a few chunks, where one chunk more
 * on a node weighs most): the smallest possible, found by trying every way (see search). Else
 * from two first shares (the items in their order, and the items with fewest candidates, then
 * heaviest, first; each to its least loaded candidate, the preferred one on a tie), each
 * improved by moves and swaps (see improve), the one with the smaller peak, the first on a tie.
 * Deterministic: the same items give the same shares.
 */
export function balanceShares(items: readonly ShareItem[]): number[] {
  let ways = 1;
  for (const item of items) {
    invariant(item.candidates.length > 0, "an item with no candidate worker");
    invariant(item.weight >= 0, `an item's weight must be ≥ 0, not ${item.weight}`);
    ways *= item.candidates.length;
  }
  const inOrder = items.map((_, i) => i);
  const constrainedFirst = [...inOrder].sort((a, b) => items[a].candidates.length - items[b].candidates.length || items[b].weight - items[a].weight || a - b);
  let best: { chosen: number[]; peak: number } | undefined;
  for (const order of [inOrder, constrainedFirst]) {
    const shares = new Shares(items, order);
    shares.improve();
    const peak = shares.peak();
    if (!best || peak < best.peak) best = { chosen: shares.chosen, peak };
  }
  return ways <= MAX_WAYS_SEARCHED ? search(items, best!.chosen, best!.peak) : best!.chosen;
}

/**
 * The choice with the smallest peak, by a depth-first walk through the ways of choosing
 * (heaviest items first, preferred candidates first), cut where a partial choice already has a
 * load at the best peak found; `known` (of peak `knownPeak`) stands unless a way beats it.
 */
function search(items: readonly ShareItem[], known: number[], knownPeak: number): number[] {
  const order = items.map((_, i) => i).sort((a, b) => items[b].weight - items[a].weight || a - b);
  const load = new Map<number, number>();
  const chosen = [...known];
  let best = { chosen: known, peak: knownPeak };
  const visit = (k: number, peak: number) => {
    if (k === order.length) {
      best = { chosen: [...chosen], peak };
      return;
    }
    const i = order[k];
    const { weight, candidates } = items[i];
    for (let c = 0; c < candidates.length; c++) {
      const worker = candidates[c];
      const before = load.get(worker) ?? 0;
      if (before + weight >= best.peak) continue;
      load.set(worker, before + weight);
      chosen[i] = c;
      visit(k + 1, Math.max(peak, before + weight));
      load.set(worker, before);
    }
  };
  visit(0, 0);
  return best.chosen;
}

class Shares {
  readonly #items: readonly ShareItem[];
  readonly chosen: number[];
  readonly #load = new Map<number, number>();

  /** Each item in `order` to its least loaded candidate (the preferred one on a tie). */
  constructor(items: readonly ShareItem[], order: readonly number[]) {
    this.#items = items;
    this.chosen = new Array(items.length);
    for (const i of order) {
      const { candidates, weight } = items[i];
      let best = 0;
      for (let c = 1; c < candidates.length; c++) if (this.#loadOf(candidates[c]) < this.#loadOf(candidates[best])) best = c;
      this.chosen[i] = best;
      this.#load.set(candidates[best], this.#loadOf(candidates[best]) + weight);
    }
  }

  peak(): number {
    return Math.max(0, ...this.#load.values());
  }

  /**
   * While it lowers the larger of the two loads involved, an item of the most loaded worker
   * moves to another of its candidates, or trades places with a lighter item there that may
   * come the other way (the change that leaves the lowest such load first).
   */
  improve(): void {
    const items = this.#items;
    for (let round = 0; round < MAX_ROUNDS_PER_ITEM * items.length; round++) {
      let heaviest = -1;
      for (const [w, load] of this.#load) if (heaviest < 0 || load > this.#loadOf(heaviest)) heaviest = w;
      const top = this.#loadOf(heaviest);
      let best: { peak: number; apply: () => void } | undefined;
      const consider = (peak: number, apply: () => void) => {
        if (peak < top && (!best || peak < best.peak)) best = { peak, apply };
      };
      for (let i = 0; i < items.length; i++) {
        if (this.#workerOf(i) !== heaviest) continue;
        for (const to of items[i].candidates) {
          if (to === heaviest) continue;
          consider(Math.max(top - items[i].weight, this.#loadOf(to) + items[i].weight), () => this.#move(i, to));
          for (let j = 0; j < items.length; j++) {
            const delta = items[i].weight - items[j].weight;
            if (this.#workerOf(j) !== to || delta <= 0 || !items[j].candidates.includes(heaviest)) continue;
            consider(Math.max(top - delta, this.#loadOf(to) + delta), () => {
              this.#move(i, to);
              this.#move(j, heaviest);
            });
          }
        }
      }
      if (!best) return;
      (best as { apply: () => void }).apply();
    }
  }

  #loadOf(worker: number): number {
    return this.#load.get(worker) ?? 0;
  }

  #workerOf(item: number): number {
    return this.#items[item].candidates[this.chosen[item]];
  }

  #move(item: number, to: number): void {
    const { weight, candidates } = this.#items[item];
    const from = this.#workerOf(item);
    this.#load.set(from, this.#loadOf(from) - weight);
    this.chosen[item] = candidates.indexOf(to);
    this.#load.set(to, this.#loadOf(to) + weight);
  }
}
