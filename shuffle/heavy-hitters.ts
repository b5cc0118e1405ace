// The heaviest keys of a stream in bounded memory: weighted Space-Saving (Metwally et al.).
// Tracks at most `capacity` keys; a key that is not tracked takes the place of the lightest,
// inheriting its weight as possible overcount, so every key heavier than total/capacity is
// tracked and no tracked weight is underestimated.
import { invariant } from "../common/errors.ts";

export interface HeavyKey {
  high: number;
  low: number;
  /** Upper bound of the key's weight; at least its true weight. */
  weight: number;
  /** How much of `weight` may belong to keys it replaced. */
  overcount: number;
}

export class HeavyHitters {
  readonly #capacity: number;
  readonly #keys = new Map<string, HeavyKey>();

  constructor(capacity: number) {
    invariant(Number.isInteger(capacity) && capacity > 0, `a heavy-hitter sketch needs a positive capacity, got ${capacity}`);
    this.#capacity = capacity;
  }

  add(high: number, low: number, weight: number): void {
    const id = `${high}:${low}`;
    const known = this.#keys.get(id);
    if (known) {
      known.weight += weight;
      return;
    }
    if (this.#keys.size < this.#capacity) {
      this.#keys.set(id, { high, low, weight, overcount: 0 });
      return;
    }
    let lightestId = "";
    let lightest: HeavyKey | undefined;
    for (const [k, entry] of this.#keys) {
      if (!lightest || entry.weight < lightest.weight) {
        lightest = entry;
        lightestId = k;
      }
    }
    this.#keys.delete(lightestId);
    this.#keys.set(id, { high, low, weight: lightest!.weight + weight, overcount: lightest!.weight });
  }

  /** Forgets a key (its weight left the buffer). */
  remove(high: number, low: number): void {
    this.#keys.delete(`${high}:${low}`);
  }

  /** Tracked keys, heaviest first. */
  heaviest(): HeavyKey[] {
    return [...this.#keys.values()].sort((a, b) => b.weight - a.weight);
  }
}
