// How many transactions may be open on a node (received, not yet decided) before it refuses
// client submissions (503, retry shortly). A fixed bound is wrong on every machine but one: set
// for a fast one, a slow node overloaded by submissions builds a backlog of many seconds, takes
// as long to decide each transaction, re-announces the ones held up, and decides fewer, not more
// (at 450 tx/s offered to a cluster deciding 250, it fell to 100–200 a second with a bound of
// 1,500). The bound is what the node decided in the last BACKLOG_MS, so a transaction it admits
// waits about that long behind the others.
import { invariant } from "../common/errors.ts";

/** The backlog a node admits, in time at its recent decision rate. */
export const BACKLOG_MS = 1_000;
/** Admitted whatever the rate: a burst after a quiet spell, or a node just started. */
export const MIN_OPEN = 200;
/** Admitted however fast the node decides: bounds the memory open transactions take. */
export const MAX_OPEN = 5_000;
/** The recent rate is counted over this long, in buckets of BUCKET_MS. */
const WINDOW_MS = 2_000;
const BUCKET_MS = 250;
const BUCKETS = WINDOW_MS / BUCKET_MS;

export class AdmissionLimit {
  /** Decisions per bucket; `#counts[b % BUCKETS]` holds bucket b's. */
  readonly #counts = new Array<number>(BUCKETS).fill(0);
  /** The newest bucket counted into: older ones within the window still count. */
  #bucket = 0;

  /** Counts `count` transactions decided (committed or rejected) at `nowMs`. */
  decided(count: number, nowMs: number): void {
    invariant(count >= 0, "a negative number of decisions");
    this.#advance(nowMs);
    this.#counts[this.#bucket % BUCKETS] += count;
  }

  /** How many open transactions still let a submission in. */
  limit(nowMs: number): number {
    this.#advance(nowMs);
    const decided = this.#counts.reduce((sum, n) => sum + n, 0);
    return Math.min(MAX_OPEN, Math.max(MIN_OPEN, Math.round((decided * BACKLOG_MS) / WINDOW_MS)));
  }

  #advance(nowMs: number): void {
    const bucket = Math.floor(nowMs / BUCKET_MS);
    if (bucket <= this.#bucket) return; // a clock step back counts into the newest bucket
    // Buckets passed since the last count start empty (all of them after a long quiet spell).
    for (let b = Math.max(this.#bucket + 1, bucket - BUCKETS + 1); b <= bucket; b++) this.#counts[b % BUCKETS] = 0;
    this.#bucket = bucket;
  }
}
