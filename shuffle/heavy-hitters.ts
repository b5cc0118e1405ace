// The heaviest keys of a stream in bounded memory: weighted Space-Saving (Metwally et al.).
// Tracks at most `capacity` keys; a key that is not tracked takes the place of the lightest,
// inheriting its weight as possible overcount, so every key heavier than total/capacity is
// tracked and no tracked weight is underestimated.
//
// The keys sit in a min-heap by weight, so finding the lightest is O(1) and every update
// O(log capacity): a stream of mostly distinct keys (a join on a primary key) evicts on nearly
// every row, and a linear scan for the lightest made tracking cost rows × capacity.
import { invariant } from "../common/errors.ts";

export interface HeavyKey {
  high: number;
  low: number;
  /** Upper bound of the key's weight; at least its true weight. */
  weight: number;
  /** How much of `weight` may belong to keys it replaced. */
  overcount: number;
}

interface Slot extends HeavyKey {
  /** Position in the heap. */
  at: number;
}

export class HeavyHitters {
  readonly #capacity: number;
  /** Min-heap by weight: the lightest key at 0. */
  readonly #heap: Slot[] = [];
  /** Tracked keys by their low word (chains are almost always one long). */
  readonly #byLow = new Map<number, Slot[]>();
  /** addRows' tally of one batch, kept between calls so a batch allocates nothing: key by low word → its index in #tallied. */
  readonly #tally = new Map<number, number>();
  readonly #tallied = { high: [] as number[], low: [] as number[], rows: [] as number[] };

  constructor(capacity: number) {
    invariant(Number.isInteger(capacity) && capacity > 0, `a heavy-hitter sketch needs a positive capacity, got ${capacity}`);
    this.#capacity = capacity;
  }

  add(high: number, low: number, weight: number): void {
    const known = this.#find(high, low);
    if (known) {
      known.weight += weight;
      this.#down(known.at);
      return;
    }
    if (this.#heap.length < this.#capacity) {
      const slot: Slot = { high, low, weight, overcount: 0, at: this.#heap.length };
      this.#heap.push(slot);
      this.#index(slot);
      this.#up(slot.at);
      return;
    }
    const lightest = this.#heap[0];
    this.#unindex(lightest);
    const slot: Slot = { high, low, weight: lightest.weight + weight, overcount: lightest.weight, at: 0 };
    this.#heap[0] = slot;
    this.#index(slot);
    this.#down(0);
  }

  /**
   * Adds `weightPerRow` for each row of a batch whose key `counts` accepts: a key's rows are
   * tallied first and added once. A batch holds few keys or many: with many, nearly every row of
   * a sketch full of lighter keys evicted one, and evictions are the dear part (the uniform case of
   * the skew bench spent a fifth of its JavaScript here). Space-Saving's bounds hold for weights.
   */
  addRows(high: ArrayLike<number>, low: ArrayLike<number>, weightPerRow: number, counts: (high: number, low: number) => boolean): void {
    const tally = this.#tally;
    const keys = this.#tallied;
    for (let row = 0; row < high.length; row++) {
      const at = tally.get(low[row]);
      if (at !== undefined && keys.high[at] === high[row]) {
        keys.rows[at]++;
        continue;
      }
      const counted = counts(high[row], low[row]);
      // Another key with the same low word (a 2^-32 chance per pair) goes straight in.
      if (at !== undefined) {
        if (counted) this.add(high[row], low[row], weightPerRow);
        continue;
      }
      tally.set(low[row], keys.high.length);
      keys.high.push(high[row]);
      keys.low.push(low[row]);
      // A key the caller does not count is tallied all the same, so it is asked about once.
      keys.rows.push(counted ? 1 : -Infinity);
    }
    for (let i = 0; i < keys.high.length; i++) if (keys.rows[i] > 0) this.add(keys.high[i], keys.low[i], keys.rows[i] * weightPerRow);
    tally.clear();
    keys.high.length = keys.low.length = keys.rows.length = 0;
  }

  /** Forgets a key (its weight left the buffer). */
  remove(high: number, low: number): void {
    const slot = this.#find(high, low);
    if (!slot) return;
    this.#unindex(slot);
    const last = this.#heap.pop()!;
    if (last === slot) return;
    last.at = slot.at;
    this.#heap[slot.at] = last;
    this.#up(last.at);
    this.#down(last.at);
  }

  /** The weight of the heaviest tracked key (0 when none is). */
  heaviestWeight(): number {
    let weight = 0;
    for (const slot of this.#heap) if (slot.weight > weight) weight = slot.weight;
    return weight;
  }

  /** Tracked keys, heaviest first. */
  heaviest(): HeavyKey[] {
    return this.#heap.map(({ high, low, weight, overcount }) => ({ high, low, weight, overcount })).sort((a, b) => b.weight - a.weight);
  }

  #find(high: number, low: number): Slot | undefined {
    const chain = this.#byLow.get(low);
    if (!chain) return undefined;
    for (const slot of chain) if (slot.high === high) return slot;
    return undefined;
  }

  #index(slot: Slot): void {
    const chain = this.#byLow.get(slot.low);
    if (chain) chain.push(slot);
    else this.#byLow.set(slot.low, [slot]);
  }

  #unindex(slot: Slot): void {
    const chain = this.#byLow.get(slot.low)!;
    if (chain.length === 1) this.#byLow.delete(slot.low);
    else chain.splice(chain.indexOf(slot), 1);
  }

  #up(at: number): void {
    const heap = this.#heap;
    const slot = heap[at];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent].weight <= slot.weight) break;
      heap[at] = heap[parent];
      heap[at].at = at;
      at = parent;
    }
    heap[at] = slot;
    slot.at = at;
  }

  #down(at: number): void {
    const heap = this.#heap;
    const slot = heap[at];
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].weight < heap[left].weight ? right : left;
      if (heap[child].weight >= slot.weight) break;
      heap[at] = heap[child];
      heap[at].at = at;
      at = child;
    }
    heap[at] = slot;
    slot.at = at;
  }
}
