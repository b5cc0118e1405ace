// Producer-to-receiver exchange streams over an abstract duplex byte stream. net/ backs
// ByteStream with a libp2p stream; the local cluster and tests with memory. Flow control is by
// credit: every exchange starts with CREDIT_WINDOW_FRAMES granted (the producer need not wait a round
// trip to start), the receiver grants more as it takes frames (half a window at a time), and the
// producer never sends past its credit, so a slow receiver holds at most CREDIT_WINDOW_FRAMES × MAX_FRAME_BYTES
// per stream.
import type * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import { ExchangeProtocolError, FRAME, MAX_FRAME_BYTES, decodeBatch, decodeCredit, decodeFrames, encodeBatchFrame, encodeCredit, encodeFrame, frameBodyBytes, type Frame } from "./frames.ts";
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

/** The other end closed a stream in the middle of an exchange: it is gone, or will not take the rest. */
export class StreamClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StreamClosedError";
  }
}

/** A stream's frames, read by the exchanges it carries one after another: one reader for the stream's life. */
export class FrameChannel {
  readonly stream: ByteStream;
  readonly #frames: AsyncIterator<Frame>;

  constructor(stream: ByteStream) {
    this.stream = stream;
    this.#frames = decodeFrames(stream.source)[Symbol.asyncIterator]();
  }

  /** The next frame; undefined once the other side closed the stream. */
  async next(): Promise<Frame | undefined> {
    const next = await this.#frames.next();
    return next.done ? undefined : next.value;
  }

  write(kind: Frame["kind"], body?: Uint8Array): Promise<void> {
    return this.stream.write(encodeFrame(kind, body));
  }

  /** Writes a whole frame encoded already (encodeBatchFrame). */
  writeEncoded(frame: Uint8Array): Promise<void> {
    invariant(frameBodyBytes(frame) <= MAX_FRAME_BYTES, `a frame of ${frameBodyBytes(frame)} bytes is over the ${MAX_FRAME_BYTES}-byte limit`);
    return this.stream.write(frame);
  }
}

/**
 * The producer's end of one exchange on a channel whose OPEN the receiver took: sends batches as
 * credit allows, hears salt announcements, and is done when the receiver says DONE.
 */
export class BatchSender {
  readonly #channel: FrameChannel;
  #credit = CREDIT_WINDOW_FRAMES;
  #creditWaiter: (() => void) | undefined;
  #failure: Error | undefined;
  #ended = false;
  readonly #listening: Promise<void>;

  constructor(channel: FrameChannel, onSalt: (announcement: SaltAnnouncement) => void) {
    this.#channel = channel;
    this.#listening = this.#listen(onSalt);
  }

  async #listen(onSalt: (announcement: SaltAnnouncement) => void): Promise<void> {
    try {
      for (;;) {
        const frame = await this.#channel.next();
        if (!frame) throw new StreamClosedError("the receiver closed the stream before it took every row");
        if (frame.kind === FRAME.DONE) {
          if (!this.#ended) throw new ExchangeProtocolError("a receiver said DONE before the producer's END");
          break;
        }
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

  /**
   * Sends batches of one schema in one frame when they fit one (several small pieces cost one
   * frame, not one each), else each on its own; `epoch` is the routing epoch they were partitioned under.
   */
  async sendAll(batches: readonly arrow.RecordBatch[], epoch: number): Promise<void> {
    const rows = batches.filter((b) => b.numRows > 0);
    if (rows.length > 1 && rows.reduce((n, b) => n + batchBytes(b), 0) <= TARGET_FRAME_BYTES) {
      await this.#takeCredit();
      await this.#channel.writeEncoded(encodeBatchFrame(rows, epoch));
      return;
    }
    for (const batch of rows) await this.send(batch, epoch);
  }

  /** Sends whole BATCH frames encoded already (the same rows to several receivers are encoded once). */
  async sendEncoded(frames: readonly Uint8Array[]): Promise<void> {
    for (const frame of frames) {
      await this.#takeCredit();
      await this.#channel.writeEncoded(frame);
    }
  }

  /** Sends a batch, cut into frames of at most MAX_FRAME_BYTES, tagged with the routing epoch it was partitioned under. */
  async send(batch: arrow.RecordBatch, epoch: number): Promise<void> {
    if (batch.numRows === 0) return;
    const pieces = Math.ceil(batchBytes(batch) / TARGET_FRAME_BYTES);
    const rowsPerPiece = Math.max(1, Math.ceil(batch.numRows / pieces));
    for (let start = 0; start < batch.numRows; start += rowsPerPiece) {
      const frame = encodeBatchFrame(batch.slice(start, start + rowsPerPiece), epoch);
      if (frameBodyBytes(frame) > MAX_FRAME_BYTES) throw new ExchangeProtocolError(`${rowsPerPiece} rows encode to ${frameBodyBytes(frame)} bytes, over the frame limit`);
      await this.#takeCredit();
      await this.#channel.writeEncoded(frame);
    }
  }

  /** No more batches: tells the receiver, and waits until it holds them all (its DONE); the channel may then carry another exchange. */
  async finish(): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#ended = true;
    await this.#channel.write(FRAME.END);
    await this.#listening;
    if (this.#failure) throw this.#failure;
  }

  async #takeCredit(): Promise<void> {
    while (this.#credit === 0) {
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#creditWaiter = resolve));
    }
    if (this.#failure) throw this.#failure;
    this.#credit--;
  }
}

export interface ReceivedBatch {
  batch: arrow.RecordBatch;
  /** The routing epoch the producer partitioned it under (see SaltMap). */
  epoch: number;
}

/** The receiver's end of the exchanges a channel carries, one after another: yields batches, granting credit as it takes them. */
export class BatchReceiver {
  readonly #channel: FrameChannel;
  /** The current exchange's batches were all taken (DONE sent): nothing more is announced for it. */
  #done = false;

  constructor(channel: FrameChannel) {
    this.#channel = channel;
  }

  /**
   * The body of the next exchange's OPEN frame, which must come next; undefined if the producer
   * closed the stream instead (it carries no more exchanges).
   */
  async opening(): Promise<Uint8Array | undefined> {
    const frame = await this.#channel.next();
    if (!frame) return undefined;
    if (frame.kind !== FRAME.OPEN) throw new ExchangeProtocolError(`an exchange that does not start with OPEN (a frame of kind ${frame.kind})`);
    this.#done = false;
    return frame.body;
  }

  /** Tells the producer its OPEN was taken: its batches may come. */
  async accept(): Promise<void> {
    await this.#channel.write(FRAME.OPENED);
  }

  /**
   * Yields the producer's batches until its END; `beforeDone` runs before DONE is sent (the
   * producer's finish() waits for DONE, so whatever the batches caused is done by then).
   */
  async *batches(beforeDone?: () => Promise<void>): AsyncGenerator<ReceivedBatch> {
    let taken = 0;
    for (;;) {
      const frame = await this.#channel.next();
      if (!frame) throw new ExchangeProtocolError("the producer's stream ended without END");
      if (frame.kind === FRAME.END) break;
      if (frame.kind !== FRAME.BATCH) throw new ExchangeProtocolError(`a producer sent a frame of kind ${frame.kind}`);
      const { batches, epoch } = decodeBatch(frame.body);
      for (const batch of batches) yield { batch, epoch };
      if (++taken === CREDIT_WINDOW_FRAMES / 2) {
        await this.#channel.write(FRAME.CREDIT, encodeCredit(taken));
        taken = 0;
      }
    }
    await beforeDone?.();
    this.#done = true;
    await this.#channel.write(FRAME.DONE);
  }

  /** Tells this exchange's producer which keys this receiver now spreads (nothing once the exchange is done). */
  async announce(announcement: SaltAnnouncement): Promise<void> {
    if (this.#done) return;
    await this.#channel.write(FRAME.SALT, encodeAnnouncement(announcement));
  }
}
