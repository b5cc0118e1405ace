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
