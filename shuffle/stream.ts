// One producer-to-receiver exchange stream over an abstract duplex byte stream. net/ backs
// ByteStream with a libp2p stream; the local cluster and tests with memory. Flow control is by
// credit: every stream starts with CREDIT_WINDOW_FRAMES granted (the producer need not wait a round
// trip to start), the receiver grants more as it takes frames (half a window at a time), and the
// producer never sends past its credit, so a slow receiver holds at most CREDIT_WINDOW_FRAMES × MAX_FRAME_BYTES
// per stream.
import type * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import {
  ExchangeProtocolError,
  FRAME,
  MAX_FRAME_BYTES,
  decodeBatch,
  decodeCredit,
  decodeFrames,
  encodeBatch,
  encodeCredit,
  encodeFrame,
  type Frame,
} from "./frames.ts";
import { decodeAnnouncement, encodeAnnouncement, type SaltAnnouncement } from "./salt-map.ts";
import { batchBytes } from "./take.ts";

/** Frames a receiver lets one producer have in flight. */
export const CREDIT_WINDOW_FRAMES = 8;
/** Batches are cut to about this many bytes before encoding, so a frame stays under MAX_FRAME_BYTES. */
const TARGET_FRAME_BYTES = MAX_FRAME_BYTES / 4;

/** A duplex byte stream: what the exchange needs of a transport. */
export interface ByteStream {
  /** Sends bytes; resolves once the transport took them. */
  write(bytes: Uint8Array): Promise<void>;
  /** This side sends nothing more. */
  close(): Promise<void>;
  /** The other side's bytes in chunks cut anywhere; ends when the other side closes. */
  readonly source: AsyncIterable<Uint8Array>;
  /** Drops the stream both ways: the other side's reads fail with `error`. */
  abort(error: Error): void;
}

/** Two connected ends in memory. */
export function memoryStreamPair(): [ByteStream, ByteStream] {
  const aToB = new MemoryPipe();
  const bToA = new MemoryPipe();
  const end = (out: MemoryPipe, inbound: MemoryPipe): ByteStream => ({
    write: async (bytes) => out.push(bytes),
    close: async () => out.end(),
    source: inbound,
    abort: (error) => {
      out.fail(error);
      inbound.fail(error);
    },
  });
  return [end(aToB, bToA), end(bToA, aToB)];
}

class MemoryPipe implements AsyncIterable<Uint8Array> {
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;

  push(bytes: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    invariant(!this.#ended, "write after close");
    this.#chunks.push(bytes);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The reader's next read, and the writer's next write, fail (what was not read is dropped). */
  fail(error: Error): void {
    this.#failure = error;
    this.#chunks.length = 0;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      const chunk = this.#chunks.shift();
      if (chunk) yield chunk;
      else if (this.#ended) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** The producer's end: sends batches as credit allows, hears salt announcements. */
export class BatchSender {
  readonly #stream: ByteStream;
  #credit = CREDIT_WINDOW_FRAMES;
  #creditWaiter: (() => void) | undefined;
  #failure: Error | undefined;
  readonly #listening: Promise<void>;

  constructor(stream: ByteStream, onSalt: (announcement: SaltAnnouncement) => void) {
    this.#stream = stream;
    this.#listening = this.#listen(onSalt);
  }

  async #listen(onSalt: (announcement: SaltAnnouncement) => void): Promise<void> {
    try {
      for await (const frame of decodeFrames(this.#stream.source)) {
        if (frame.kind === FRAME.CREDIT) this.#credit += decodeCredit(frame.body);
        else if (frame.kind === FRAME.SALT) onSalt(decodeAnnouncement(frame.body));
        else throw new ExchangeProtocolError(`a receiver sent a frame of kind ${frame.kind}`);
        this.#creditWaiter?.();
      }
    } catch (error) {
      this.#failure = error as Error;
    }
    this.#creditWaiter?.();
  }

  /** Names the exchange this stream feeds: the first frame of a stream between nodes (it takes no credit). */
  async open(body: Uint8Array): Promise<void> {
    await this.#stream.write(encodeFrame(FRAME.OPEN, body));
  }

  /**
   * Sends batches of one schema in one frame when they fit one (several small pieces cost one
   * frame, not one each), else each on its own; `epoch` is the routing epoch they were partitioned under.
   */
  async sendAll(batches: readonly arrow.RecordBatch[], epoch: number): Promise<void> {
    const rows = batches.filter((b) => b.numRows > 0);
    if (rows.length > 1 && rows.reduce((n, b) => n + batchBytes(b), 0) <= TARGET_FRAME_BYTES) {
      await this.#takeCredit();
      await this.#stream.write(encodeFrame(FRAME.BATCH, encodeBatch(rows, epoch)));
      return;
    }
    for (const batch of rows) await this.send(batch, epoch);
  }

  /** Sends BATCH frame bodies encoded already (the same rows to several receivers are encoded once). */
  async sendEncoded(bodies: readonly Uint8Array[]): Promise<void> {
    for (const body of bodies) {
      await this.#takeCredit();
      await this.#stream.write(encodeFrame(FRAME.BATCH, body));
    }
  }

  /** Sends a batch, cut into frames of at most MAX_FRAME_BYTES, tagged with the routing epoch it was partitioned under. */
  async send(batch: arrow.RecordBatch, epoch: number): Promise<void> {
    if (batch.numRows === 0) return;
    const pieces = Math.ceil(batchBytes(batch) / TARGET_FRAME_BYTES);
    const rowsPerPiece = Math.max(1, Math.ceil(batch.numRows / pieces));
    for (let start = 0; start < batch.numRows; start += rowsPerPiece) {
      const body = encodeBatch(batch.slice(start, start + rowsPerPiece), epoch);
      if (body.byteLength > MAX_FRAME_BYTES) throw new ExchangeProtocolError(`${rowsPerPiece} rows encode to ${body.byteLength} bytes, over the frame limit`);
      await this.#takeCredit();
      await this.#stream.write(encodeFrame(FRAME.BATCH, body));
    }
  }

  /** No more batches: tells the receiver, and waits until it has closed its side. */
  async finish(): Promise<void> {
    await this.#stream.write(encodeFrame(FRAME.END));
    await this.#stream.close();
    await this.#listening;
    if (this.#failure) throw this.#failure;
  }

  async #takeCredit(): Promise<void> {
    while (this.#credit === 0) {
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#creditWaiter = resolve));
    }
    this.#credit--;
  }
}

export interface ReceivedBatch {
  batch: arrow.RecordBatch;
  /** The routing epoch the producer partitioned it under (see SaltMap). */
  epoch: number;
}

/** The receiver's end: yields batches, granting credit as it takes them. */
export class BatchReceiver {
  readonly #stream: ByteStream;
  readonly #frames: AsyncIterator<Frame>;
  #closed = false;

  constructor(stream: ByteStream) {
    this.#stream = stream;
    this.#frames = decodeFrames(stream.source)[Symbol.asyncIterator]();
  }

  /** The body of the stream's OPEN frame, which must come first (streams between nodes name their exchange). */
  async opening(): Promise<Uint8Array> {
    const first = await this.#frames.next();
    if (first.done || first.value.kind !== FRAME.OPEN) throw new ExchangeProtocolError("an exchange stream that does not start with OPEN");
    return first.value.body;
  }

  /**
   * Yields the producer's batches until its END; `beforeClose` runs before this side closes (the
   * producer's finish() waits for the close, so whatever the batches caused is done by then).
   */
  async *batches(beforeClose?: () => Promise<void>): AsyncGenerator<ReceivedBatch> {
    let ended = false;
    let taken = 0;
    try {
      for (;;) {
        const next = await this.#frames.next();
        if (next.done) break;
        const frame = next.value;
        if (ended) throw new ExchangeProtocolError("a frame after END");
        if (frame.kind === FRAME.END) {
          ended = true;
          continue;
        }
        if (frame.kind !== FRAME.BATCH) throw new ExchangeProtocolError(`a producer sent a frame of kind ${frame.kind}`);
        const { batches, epoch } = decodeBatch(frame.body);
        for (const batch of batches) yield { batch, epoch };
        if (++taken === CREDIT_WINDOW_FRAMES / 2) {
          await this.#stream.write(encodeFrame(FRAME.CREDIT, encodeCredit(taken)));
          taken = 0;
        }
      }
      if (!ended) throw new ExchangeProtocolError("the producer's stream ended without END");
      await beforeClose?.();
    } finally {
      this.#closed = true;
      await this.#stream.close();
    }
  }

  /** Tells this stream's producer which keys this receiver now spreads (nothing once the producer is done). */
  async announce(announcement: SaltAnnouncement): Promise<void> {
    if (this.#closed) return;
    await this.#stream.write(encodeFrame(FRAME.SALT, encodeAnnouncement(announcement)));
  }
}
