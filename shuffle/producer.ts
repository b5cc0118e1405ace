// A producing task's end of one hash exchange: a sink to every receiving task (a stream, or the
// inbox itself when the receiver is in this process), each batch split by key under the salts
// the receivers announced so far, and each piece tagged with the routing epoch of its receiver
// that it was split under. A receiver's pieces are held until they add up to a batch's rows, so
// that splitting a batch n ways does not cost n small frames.
import type * as arrow from "apache-arrow";
import type { RowHashes } from "./key-hash.ts";
import { keptRowsOf, routeRows, type KeptKeys, type PartitionSpec } from "./partition.ts";
import type { Router } from "./placement.ts";
import { RowDigest, wholeRowHashes } from "./row-digest.ts";
import { SaltMap, type SaltAnnouncement } from "./salt-map.ts";
import { batchBytes, takeRows } from "./take.ts";
import { BatchSender, type FrameChannel } from "./stream.ts";

/** Rows a receiver's pieces are held for before they are sent together. */
export const COALESCE_ROWS = 4096;

/** Where a producer's batches for one receiving task go. */
export interface BatchSink {
  /** Batches all partitioned under the receiver's routing epoch `epoch`. */
  send(batches: readonly arrow.RecordBatch[], epoch: number): Promise<void>;
  /** No more batches: resolves once the receiving task holds every row sent (and the rows it moved on because of them). */
  finish(): Promise<void>;
  /** A stream's sink also takes whole BATCH frames encoded already (encodeBatchFrame). */
  sendEncoded?(frames: readonly Uint8Array[]): Promise<void>;
}

/** Makes a sink that reports the receiver's salt announcements to `onSalt`. */
export type SinkFactory = (onSalt: (announcement: SaltAnnouncement) => void) => BatchSink;

/**
 * A sink over a channel whose exchange is open (its OPEN taken, or a stream in this process that
 * needs none); `onDone` is called once the receiver holds every row, when the channel is free
 * for another exchange.
 */
export function streamSink(channel: FrameChannel, onDone?: () => void): SinkFactory {
  return (onSalt) => {
    const sender = new BatchSender(channel, onSalt);
    return {
      send: (batches, epoch) => sender.sendAll(batches, epoch),
      finish: async () => {
        await sender.finish();
        onDone?.();
      },
      sendEncoded: (frames) => sender.sendEncoded(frames),
    };
  };
}

export class HashProducer {
  readonly #sinks: BatchSink[];
  readonly #spec: PartitionSpec;
  readonly #router: Router;
  readonly #salts = new SaltMap();
  readonly #digestSeed: { high: number; low: number };
  /** Per receiver: the last of its announcements applied here. */
  readonly #epochs: number[];
  /** Per receiver: the bytes of the rows sent to it, and how many rows. */
  readonly bytesTo: number[];
  readonly rowsTo: number[];
  /** Per receiver: the digest of the rows sent to it. */
  readonly digestTo: RowDigest[];
  /** Per receiver: pieces not sent yet, their rows, and the earliest epoch one was split under. */
  readonly #held: Held[];
  /** Keys whose rows go to this producer's own receiving task (`member`), whatever their hash. */
  readonly #keep: { member: number; rowsOf: (batch: arrow.RecordBatch) => Uint8Array } | undefined;

  /** `sinks[i]` leads to the task of `router.members[i]`; `digestSeed`: the run's (see row-digest.ts). */
  constructor(sinks: readonly SinkFactory[], spec: PartitionSpec, router: Router, digestSeed: { high: number; low: number }, keep?: { member: number; keys: KeptKeys }) {
    this.#keep = keep && { member: keep.member, rowsOf: keptRowsOf(keep.keys) };
    this.#spec = spec;
    this.#router = router;
    this.#epochs = sinks.map(() => 0);
    this.bytesTo = sinks.map(() => 0);
    this.rowsTo = sinks.map(() => 0);
    this.#digestSeed = digestSeed;
    this.digestTo = sinks.map(() => new RowDigest(digestSeed));
    this.#held = sinks.map(() => ({ pieces: [], rows: 0, epoch: 0 }));
    this.#sinks = sinks.map((sink, receiver) =>
      sink((announcement) => {
        for (const key of announcement.keys) this.#salts.add(key, announcement.epoch);
        this.#epochs[receiver] = Math.max(this.#epochs[receiver], announcement.epoch);
      }),
    );
  }

  /** Splits `batch` by key and sends each receiver its rows; `hashes`: the rows' wholeRowHashes, if known. */
  async send(batch: arrow.RecordBatch, hashes: RowHashes = wholeRowHashes(batch, this.#digestSeed)): Promise<void> {
    const epochs = [...this.#epochs];
    const stay = this.#keep && { member: this.#keep.member, rows: this.#keep.rowsOf(batch) };
    const lists = routeRows(batch, this.#spec, this.#router, this.#salts, undefined, stay);
    const ready = new Map<number, Held[]>();
    const release = (to: number) => ready.set(to, [...(ready.get(to) ?? []), this.#take(to)]);
    lists.forEach((rows, to) => {
      if (rows.length === 0) return;
      const part = takeRows(batch, rows);
      this.bytesTo[to] += batchBytes(part);
      this.rowsTo[to] += part.numRows;
      this.digestTo[to].addHashes(hashes, rows);
      const held = this.#held[to];
      // One frame, one epoch: the receiver re-routes a frame's rows by it (a replicated key's
      // rows routed under a later epoch would be copied twice if taken for earlier ones). And at
      // most COALESCE_ROWS rows (or one piece): a frame's pieces reach the receiver as one batch,
      // and a receiver past its budget takes at most one batch more before it salts.
      if (held.pieces.length > 0 && (held.epoch !== epochs[to] || held.rows + part.numRows > COALESCE_ROWS)) release(to);
      if (held.pieces.length === 0) held.epoch = epochs[to];
      held.pieces.push(part);
      held.rows += part.numRows;
      if (held.rows >= COALESCE_ROWS) release(to);
    });
    await this.#sendReady(ready);
  }

  async finish(): Promise<void> {
    const ready = new Map<number, Held[]>();
    this.#held.forEach((held, to) => held.pieces.length > 0 && ready.set(to, [this.#take(to)]));
    await this.#sendReady(ready);
    await Promise.all(this.#sinks.map((s) => s.finish()));
  }

  #take(to: number): Held {
    const held = this.#held[to];
    const taken = { pieces: held.pieces.splice(0), rows: held.rows, epoch: held.epoch };
    held.rows = 0;
    return taken;
  }

  /** One sink's frames go one after another; different sinks' at once. */
  async #sendReady(ready: ReadonlyMap<number, Held[]>): Promise<void> {
    await Promise.all(
      [...ready].map(async ([to, frames]) => {
        for (const frame of frames) await this.#sinks[to].send(frame.pieces, frame.epoch);
      }),
    );
  }
}

interface Held {
  pieces: arrow.RecordBatch[];
  rows: number;
  epoch: number;
}
