// A virtual clock and its event queue: events run in time order (ties in the order they were
// scheduled), so a run depends on nothing but its seed.
//
// Almost every event of a simulation falls on a whole millisecond a little ahead (a message's
// delay, a node's next tick): those wait in a ring of buckets, one per millisecond, each a list
// in scheduling order, so queuing one and taking the next are a push and a step. Any other
// event (a fraction of a millisecond, or further ahead than the ring reaches) waits in a binary
// heap; the next event is whichever of the two comes first by time, then scheduling number.
// A thousand nodes keep some hundred thousand events queued: the heap that held them all took
// some seventeen levels of sifting, each a likely cache miss, per event.

/** Milliseconds the ring of buckets reaches ahead (a power of two). */
const RING_BITS = 12;
const RING_SIZE = 1 << RING_BITS;
const RING_MASK = RING_SIZE - 1;

/** The events of one whole millisecond, in scheduling order, from `head` on. */
interface Bucket {
  order: number[];
  run: (() => void)[];
  head: number;
}

export class VirtualClock {
  #now = 0;
  #seq = 0;
  readonly #buckets: Bucket[] = Array.from({ length: RING_SIZE }, () => ({ order: [], run: [], head: 0 }));
  /** Events waiting in buckets. */
  #bucketed = 0;
  /** Every bucketed event's time is in [#scan, #scan + RING_SIZE), and no bucket before #scan holds any. */
  #scan = 0;
  readonly #heap = new EventHeap();

  get now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#bucketed + this.#heap.size;
  }

  at(time: number, run: () => void): void {
    const eventAt = Math.max(time, this.#now);
    const seq = this.#seq++;
    if (this.#bucketed === 0) this.#scan = Math.floor(this.#now);
    // (An event before #scan, which a heap event run ahead of the buckets can schedule, waits in the heap.)
    if (Number.isInteger(eventAt) && eventAt >= this.#scan && eventAt - this.#scan < RING_SIZE) {
      const bucket = this.#buckets[eventAt & RING_MASK];
      bucket.order.push(seq);
      bucket.run.push(run);
      this.#bucketed++;
    } else this.#heap.push(eventAt, seq, run);
  }

  /** Runs events until the queue is empty or the next one is after `until`. */
  runUntil(until: number): void {
    const buckets = this.#buckets;
    const heap = this.#heap;
    const last = Math.floor(until);
    for (;;) {
      // The first bucket with events, looking no further than `until` (#scan never passes now).
      let bucket: Bucket | undefined;
      if (this.#bucketed > 0 && this.#scan <= until) {
        for (;;) {
          const candidate = buckets[this.#scan & RING_MASK];
          if (candidate.head < candidate.run.length) {
            bucket = candidate;
            break;
          }
          if (this.#scan >= last) break;
          this.#scan++;
        }
      }
      const fromBucket = bucket !== undefined && (heap.size === 0 || before(this.#scan, bucket.order[bucket.head], heap.topAt, heap.topOrder));
      if (fromBucket) {
        const run = bucket!.run[bucket!.head];
        bucket!.run[bucket!.head++] = NOTHING; // let go of the action (and what it holds) once it is taken
        if (bucket!.head === bucket!.run.length) [bucket!.order.length, bucket!.run.length, bucket!.head] = [0, 0, 0];
        this.#bucketed--;
        this.#now = this.#scan;
        run();
      } else if (heap.size > 0 && heap.topAt <= until) {
        this.#now = heap.topAt;
        heap.pop()();
      } else break;
    }
    this.#now = Math.max(this.#now, until);
  }
}

const NOTHING = () => {};

function before(at: number, seq: number, otherAt: number, otherSeq: number): boolean {
  return at < otherAt || (at === otherAt && seq < otherSeq);
}

/**
 * A binary heap of events in three parallel arrays (time, scheduling number, action) rather than
 * an object per event: comparing two events reads two packed arrays, and queuing allocates nothing.
 */
class EventHeap {
  readonly #at: number[] = [];
  readonly #order: number[] = [];
  readonly #run: (() => void)[] = [];

  get size(): number {
    return this.#run.length;
  }

  /** The first event's time and scheduling number (only while size > 0). */
  get topAt(): number {
    return this.#at[0];
  }

  get topOrder(): number {
    return this.#order[0];
  }

  push(eventAt: number, seq: number, run: () => void): void {
    const at = this.#at;
    const order = this.#order;
    const runs = this.#run;
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

  /** Takes the first event off the heap and returns its action. */
  pop(): () => void {
    const at = this.#at;
    const order = this.#order;
    const runs = this.#run;
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
    return run;
  }
}
