// Length-prefixed frames over a libp2p stream: a 4-byte big-endian length, then the bytes.
// Every inbound frame is bounded before a byte of it is buffered; writes wait for the stream
// to drain, so a slow reader slows the writer instead of growing its memory.
import type { Stream } from "@libp2p/interface";

export const FRAME_HEADER_BYTES = 4;

/** A peer sent a frame we refuse; the caller charges it and drops the stream. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

type Chunk = Uint8Array | { subarray(): Uint8Array };

function bytesOf(chunk: Chunk): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray();
}

export async function writeFrame(stream: Stream, payload: Uint8Array, maxBytes: number): Promise<void> {
  if (payload.length > maxBytes) throw new FrameError(`frame of ${payload.length} bytes is over the ${maxBytes}-byte limit`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  if (!stream.send(frame)) await stream.onDrain();
}

/**
 * Reads frames until the stream ends; a frame over `maxBytes` or a torn frame is an error.
 * Chunks are kept as they arrive and copied once, into the frame they belong to: joining them
 * as they come would copy a large frame once per chunk (quadratic, and the event loop stalls).
 */
export async function* readFrames(stream: AsyncIterable<Chunk>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const pending = new ChunkQueue();
  for await (const chunk of stream) {
    pending.push(bytesOf(chunk));
    while (pending.length >= FRAME_HEADER_BYTES) {
      const length = new DataView(pending.peek(FRAME_HEADER_BYTES).buffer).getUint32(0);
      if (length > maxBytes) throw new FrameError(`frame of ${length} bytes announced, over the ${maxBytes}-byte limit`);
      if (pending.length < FRAME_HEADER_BYTES + length) break;
      pending.take(FRAME_HEADER_BYTES);
      yield pending.take(length);
    }
  }
  if (pending.length > 0) throw new FrameError(`stream ended inside a frame (${pending.length} bytes left)`);
}

/** Bytes received and not yet framed, as the chunks they came in. */
class ChunkQueue {
  readonly #chunks: Uint8Array[] = [];
  /** Bytes of #chunks[0] already taken. */
  #offset = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.length += bytes.length;
  }

  /** A copy of the first `n` bytes, left in the queue. */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    for (let i = 0, offset = this.#offset; filled < n; i++, offset = 0) {
      const part = this.#chunks[i].subarray(offset, offset + n - filled);
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  }

  /** The first `n` bytes, removed from the queue, in one new array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0];
      const part = head.subarray(this.#offset, this.#offset + n - filled);
      out.set(part, filled);
      filled += part.length;
      this.#offset += part.length;
      if (this.#offset === head.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

/** The first frame of a stream, or an error if there is none. */
export async function readOneFrame(stream: AsyncIterable<Chunk>, maxBytes: number): Promise<Uint8Array> {
  for await (const frame of readFrames(stream, maxBytes)) return frame;
  throw new FrameError("stream ended before a frame");
}
