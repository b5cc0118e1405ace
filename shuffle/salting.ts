// Dynamic salting at a receiving task. The task buffers the rows that come to it, within a
// memory budget; once the buffer holds a quarter of it, the task tracks the bytes of its heaviest
// keys in a bounded sketch (most receivers never come near their budget, and tracking every row
// from the first cost a tenth of a worker's JavaScript time in TPC-H). When the buffer passes the
// budget it salts its hottest keys, and a key that holds half of a buffer 30 % full it salts
// then (EARLY_SALT_FILL): each is spread over the MAX_SALTS (or fewer) nodes nearest its hash.
// It announces them to its producers (which route later rows by salt), and moves its own
// buffered rows of those keys to their salt targets, and rows that producers routed before they
// heard of a salt, so no node holds a salted key alone.
//
// What may be salted is the consumer's business, told by each input's PartitionSpec:
//   - aggregates: rows are spread ("spread"); each share gives a partial result per key, and
//     the partials are merged at the key's home (shares of one DISTINCT value never split,
//     because the salt is chosen by the hash of `saltBy`);
//   - inner, left, semi and anti joins: the left side is spread and the right side's rows of a
//     salted key are copied to every share ("replicate"), so each left row still meets them all;
//   - windows, set operations, right and full joins are never salted.
// A key is salted once; a node that holds a share it cannot hold is over budget (reported).
import type * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import { HeavyHitters } from "./heavy-hitters.ts";
import { keyHashes, routeRows, type PartitionSpec } from "./partition.ts";
import { pickHashes, type RowHashes } from "./key-hash.ts";
import type { Router } from "./placement.ts";
import { MAX_SALTS, SaltMap, type SaltAnnouncement, type SaltedKey } from "./salt-map.ts";
import { batchBytes, takeRows } from "./take.ts";

/** Keys the sketch tracks per receiving task. */
export const SKETCH_KEYS = 64;
/** The share of the budget a buffer holds before its keys are tracked. */
export const TRACK_FROM_FILL = 0.25;
/** A key is worth salting when it holds at least this share of the buffer. */
export const MIN_HOT_SHARE = 1 / 16;
/** Salting aims to bring the buffer down to this share of the budget. */
const TARGET_FILL = 0.5;
/**
 * A key that holds at least DOMINANT_SHARE of a buffer filled to EARLY_SALT_FILL of the budget
 * is salted then, before the budget is passed: its rows alone are on their way past it, and every
 * row of it that comes before it is salted is one the receiver moves on again. That is as soon as
 * the sketch has seen a twentieth of the budget (the skew bench's join, salted at half the budget,
 * took 1.2–1.3x the uniform case's time; salted here, 0.9–1.2x).
 */
export const EARLY_SALT_FILL = TRACK_FROM_FILL + 1 / 20;
const DOMINANT_SHARE = 0.5;
/** The epoch of rows a receiver moved itself: routed under the current salts already. */
export const ROUTED_EPOCH = 0xffff_ffff;

export interface InboxOptions {
  /** This task's member index in `router`. */
  self: number;
  router: Router;
  budgetBytes: number;
  /** Per input (by producing stage id): how its rows were partitioned, when they may be salted. */
  saltable: ReadonlyMap<number, PartitionSpec>;
  /** Sends rows this task does not keep to another task of the same stage. */
  forward: (to: number, input: number, batch: arrow.RecordBatch) => void;
  /** Tells every producer of a saltable input about newly salted keys. */
  announce: (announcement: SaltAnnouncement) => void;
}

export interface InboxStats {
  /** The most bytes the buffer held, counted after each batch arrived and before salting. */
  peakBytes: number;
  bufferedBytes: number;
  saltedKeys: number;
  /** Rows this task moved to other tasks. */
  forwardedRows: number;
  /** Whether the buffer stayed over budget with nothing left worth salting. */
  overBudget: boolean;
}

interface Buffered {
  batch: arrow.RecordBatch;
  /** Key hashes, once known (the sender's, or worked out here when salting needs them). */
  hashes: RowHashes | undefined;
  bytes: number;
}

export class SaltingInbox {
  readonly #options: InboxOptions;
  readonly #buffers = new Map<number, Buffered[]>();
  readonly #salts = new SaltMap();
  readonly #salted: SaltedKey[] = [];
  readonly #sketch = new HeavyHitters(SKETCH_KEYS);
  /**
   * Bytes of saltable rows taken in all, and since tracking started: the sketch saw the latter,
   * and its weights are scaled by their ratio to stand for the whole buffer.
   */
  #spreadBytes = 0;
  #trackedBytes = 0;
  #epoch = 0;
  /** Whether a key's rows count in the sketch: it is homed here and not salted. */
  readonly #homedUnsalted: (high: number, low: number) => boolean;
  readonly stats: InboxStats = { peakBytes: 0, bufferedBytes: 0, saltedKeys: 0, forwardedRows: 0, overBudget: false };

  constructor(options: InboxOptions) {
    invariant(options.budgetBytes > 0, "a receiving task needs a positive memory budget");
    this.#options = options;
    this.#homedUnsalted = (high, low) => this.#salts.salts(high, low) === 1 && options.router.home(high, low) === options.self;
  }

  /** Every key this task salted, for a producer that connects late. */
  announcement(): SaltAnnouncement {
    return { epoch: this.#epoch, keys: [...this.#salted] };
  }

  /** The keys this task salted (its own: it is their home). */
  get salts(): SaltMap {
    return this.#salts;
  }

  /**
   * Takes a batch of `input` partitioned under this task's routing `epoch`; `keyHashes` are its
   * rows' hashes of the input's key when the sender has them already (`known`).
   */
  accept(input: number, batch: arrow.RecordBatch, epoch: number, known?: RowHashes): void {
    if (batch.numRows === 0) return;
    const spec = this.#options.saltable.get(input);
    invariant(known === undefined || known.high.length === batch.numRows, "key hashes for another batch");
    // Hashed here only when salting needs them: most receivers never salt.
    let hashes = known;
    if (spec && epoch < this.#epoch) {
      hashes ??= keyHashes(batch, spec.keys, spec.intervals);
      // Routed before its producer heard of some salts: move those keys' rows on.
      const kept = this.#reroute(input, spec, batch, hashes, (high, low) => this.#salts.saltedAfter(high, low, epoch));
      batch = kept.batch;
      hashes = kept.hashes;
      if (batch.numRows === 0) return;
    }
    const bytes = batchBytes(batch);
    const item: Buffered = { batch, hashes, bytes };
    this.#buffer(input).push(item);
    this.stats.bufferedBytes += bytes;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.bufferedBytes);
    if (spec?.mode === "spread") {
      this.#spreadBytes += bytes;
      if (this.#trackedBytes > 0 || this.stats.bufferedBytes >= this.#options.budgetBytes * TRACK_FROM_FILL) {
        this.#trackedBytes += bytes;
        this.#track((item.hashes ??= keyHashes(batch, spec.keys, spec.intervals)), bytes / batch.numRows);
      }
    }
    if (this.#options.saltable.size > 0 && (this.stats.bufferedBytes > this.#options.budgetBytes || this.#mayHoldDominantKey())) this.#saltHottest();
  }

  /** The rows of `input` this task holds. */
  batches(input: number): arrow.RecordBatch[] {
    return (this.#buffers.get(input) ?? []).map((b) => b.batch);
  }

  /** The rows of `input` this task holds, which it holds no more (their reader is the only one). */
  take(input: number): arrow.RecordBatch[] {
    const buffer = this.#buffers.get(input) ?? [];
    this.#buffers.delete(input);
    for (const item of buffer) this.stats.bufferedBytes -= item.bytes;
    return buffer.map((b) => b.batch);
  }

  #buffer(input: number): Buffered[] {
    let buffer = this.#buffers.get(input);
    if (!buffer) this.#buffers.set(input, (buffer = []));
    return buffer;
  }

  /** Adds the bytes of keys homed here and not yet salted to the sketch. */
  #track(hashes: RowHashes, bytesPerRow: number): void {
    this.#sketch.addRows(hashes.high, hashes.low, bytesPerRow, this.#homedUnsalted);
  }

  /** A key's share of what the sketch saw stands for its share of everything that came. */
  #sketchScale(): number {
    return this.#trackedBytes > 0 ? this.#spreadBytes / this.#trackedBytes : 1;
  }

  /**
   * Under the budget, whether #saltHottest could find a dominant key: the buffer is filled to
   * EARLY_SALT_FILL and the sketch's heaviest weight (an upper bound of any key's) reaches
   * DOMINANT_SHARE of it. Asked per batch, so without sorting the sketch.
   */
  #mayHoldDominantKey(): boolean {
    const buffered = this.stats.bufferedBytes;
    return buffered >= this.#options.budgetBytes * EARLY_SALT_FILL && this.#sketch.heaviestWeight() * this.#sketchScale() >= buffered * DOMINANT_SHARE;
  }

  #saltHottest(): void {
    const { router, budgetBytes } = this.#options;
    const salts = Math.min(MAX_SALTS, router.members.length);
    const buffered = this.stats.bufferedBytes;
    const chosen: SaltedKey[] = [];
    let projected = buffered;
    const scale = this.#sketchScale();
    for (const key of this.#sketch.heaviest()) {
      if (salts < 2) break;
      const held = (key.weight - key.overcount) * scale;
      const dominant = held >= buffered * DOMINANT_SHARE;
      if (!dominant && (buffered <= budgetBytes || projected <= budgetBytes * TARGET_FILL || held < buffered * MIN_HOT_SHARE)) break;
      chosen.push({ high: key.high, low: key.low, salts });
      projected -= held * (1 - 1 / salts);
    }
    if (chosen.length === 0) {
      if (buffered > budgetBytes) this.stats.overBudget = true;
      return;
    }
    const before = this.#epoch++;
    for (const key of chosen) {
      this.#salts.add(key, this.#epoch);
      this.#salted.push(key);
      this.#sketch.remove(key.high, key.low);
    }
    this.stats.saltedKeys += chosen.length;
    this.#options.announce({ epoch: this.#epoch, keys: chosen });
    // Move the buffered rows of the salted keys to their shares.
    for (const [input, buffer] of this.#buffers) {
      const spec = this.#options.saltable.get(input);
      if (!spec) continue;
      for (const item of buffer) {
        const kept = this.#reroute(input, spec, item.batch, (item.hashes ??= keyHashes(item.batch, spec.keys, spec.intervals)), (high, low) => this.#salts.saltedAfter(high, low, before));
        if (kept.batch === item.batch) continue;
        const bytes = batchBytes(kept.batch);
        this.stats.bufferedBytes -= item.bytes - bytes;
        Object.assign(item, { batch: kept.batch, hashes: kept.hashes, bytes });
      }
    }
    if (this.stats.bufferedBytes > budgetBytes) this.stats.overBudget = true;
  }

  /** Routes the rows of keys `moved` picks by the salts; forwards what is not for this task. */
  #reroute(input: number, spec: PartitionSpec, batch: arrow.RecordBatch, hashes: RowHashes, moved: (high: number, low: number) => boolean): { batch: arrow.RecordBatch; hashes: RowHashes } {
    const { self } = this.#options;
    // Rows not moved stay; moved ones are routed by the salts, here or elsewhere: one pass, one copy of each row.
    const staying = new Uint8Array(batch.numRows);
    let moving = 0;
    for (let row = 0; row < batch.numRows; row++) {
      if (moved(hashes.high[row], hashes.low[row])) moving++;
      else staying[row] = 1;
    }
    if (moving === 0) return { batch, hashes };
    const routes = routeRows(batch, spec, this.#options.router, this.#salts, hashes, { member: self, rows: staying });
    routes.forEach((rows, to) => {
      if (to === self || rows.length === 0) return;
      this.#options.forward(to, input, takeRows(batch, rows));
      this.stats.forwardedRows += rows.length;
    });
    const kept = routes[self];
    return { batch: takeRows(batch, kept), hashes: pickHashes(hashes, kept) };
  }
}
