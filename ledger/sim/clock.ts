// A virtual clock and its event queue: events run in time order (ties in the order they were
// scheduled), so a run depends on nothing but its seed.
//
// The queue is a binary heap kept in three parallel arrays (time, scheduling number, action)
// rather than as an object per event: a thousand nodes' messages keep some hundred thousand
// events queued, and comparing two of them then reads two packed arrays instead of following a
// pointer to each event.
export class VirtualClock {
  #now = 0;
  #seq = 0;
  readonly #at: number[] = [];
  readonly #order: number[] = [];
  readonly #run: (() => void)[] = [];

  get now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#run.length;
  }

  at(time: number, run: () => void): void {
    const at = this.#at;
    const order = this.#order;
    const runs = this.#run;
    const eventAt = Math.max(time, this.#now);
    const seq = this.#seq++;
    let i = runs.length;
    at.push(eventAt);
    order.push(seq);
    runs.push(run);
    // Sift up, moving parents down into the hole: no swaps.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(eventAt, seq, at[parent], order[parent])) break;
      at[i] = at[parent];
      order[i] = order[parent];
      runs[i] = runs[parent];
      i = parent;
    }
    at[i] = eventAt;
    order[i] = seq;
    runs[i] = run;
  }

  /** Runs events until the queue is empty or the next one is after `until`. */
  runUntil(until: number): void {
    const at = this.#at;
    const order = this.#order;
    const runs = this.#run;
    while (runs.length > 0 && at[0] <= until) {
      const eventAt = at[0];
      const run = runs[0];
      const lastAt = at.pop()!;
      const lastOrder = order.pop()!;
      const lastRun = runs.pop()!;
      const size = runs.length;
      if (size > 0) {
        // Sift the last event down from the root, moving smaller children up into the hole.
        let i = 0;
        for (;;) {
          const left = 2 * i + 1;
          if (left >= size) break;
          const child = left + 1 < size && before(at[left + 1], order[left + 1], at[left], order[left]) ? left + 1 : left;
          if (!before(at[child], order[child], lastAt, lastOrder)) break;
          at[i] = at[child];
          order[i] = order[child];
          runs[i] = runs[child];
          i = child;
        }
        at[i] = lastAt;
        order[i] = lastOrder;
        runs[i] = lastRun;
      }
      this.#now = eventAt;
      run();
    }
    this.#now = Math.max(this.#now, until);
  }
}

function before(at: number, seq: number, otherAt: number, otherSeq: number): boolean {
  return at < otherAt || (at === otherAt && seq < otherSeq);
}
