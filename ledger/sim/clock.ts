// A virtual clock and its event queue: events run in time order (ties in the order they were
// scheduled), so a run depends on nothing but its seed.
export class VirtualClock {
  #now = 0;
  #seq = 0;
  #heap: { at: number; seq: number; run: () => void }[] = [];

  get now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#heap.length;
  }

  at(time: number, run: () => void): void {
    const event = { at: Math.max(time, this.#now), seq: this.#seq++, run };
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    // Sift up, moving parents down into the hole: no swaps, no temporary arrays.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = event;
  }

  /** Runs events until the queue is empty or the next one is after `until`. */
  runUntil(until: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0].at <= until) {
      const event = heap[0];
      const last = heap.pop()!;
      if (heap.length > 0) {
        // Sift the last event down from the root, moving smaller children up into the hole.
        let i = 0;
        for (;;) {
          const left = 2 * i + 1;
          if (left >= heap.length) break;
          const child = left + 1 < heap.length && before(heap[left + 1], heap[left]) ? left + 1 : left;
          if (!before(heap[child], last)) break;
          heap[i] = heap[child];
          i = child;
        }
        heap[i] = last;
      }
      this.#now = event.at;
      event.run();
    }
    this.#now = Math.max(this.#now, until);
  }
}

function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
