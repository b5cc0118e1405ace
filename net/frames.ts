// Length-prefixed frames over a libp2p stream: a 4-byte big-endian length, then the bytes.
// Every inbound frame is bounded before a byte of it is buffered; writes wait for the stream
// to drain, so a slow reader slows the writer instead of growing its memory.
import type { Stream } from "@libp2p/interface";
import { ChunkQueue } from "../common/chunk-queue.ts";

export const FRAME_HEADER_BYTES = 4;

/** A peer sent a frame we refuse; the caller charges it and drops the stream. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** What a libp2p stream yields: bytes, or a list of byte arrays (which iterates over them). */
export type StreamChunk = Uint8Array | Iterable<Uint8Array>;

/** The byte arrays of a chunk as they are: joining a list's would copy every byte received once more. */
export function partsOf(chunk: StreamChunk): Iterable<Uint8Array> {
  return chunk instanceof Uint8Array ? [chunk] : chunk;
}

/**
 * Writes one frame of `payload`, given whole or as parts (sent as they are: a large answer is
 * not copied into one buffer first).
 */
export async function writeFrame(stream: Stream, payload: Uint8Array | readonly Uint8Array[], maxBytes: number): Promise<void> {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  const length = parts.reduce((n, p) => n + p.length, 0);
  if (length > maxBytes) throw new FrameError(`frame of ${length} bytes is over the ${maxBytes}-byte limit`);
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(header.buffer).setUint32(0, length);
  for (const part of [header, ...parts]) {
    if (part.length > 0 && !stream.send(part)) await stream.onDrain();
  }
}

/**
 * Reads frames until the stream ends; a frame over `maxBytes` or a torn frame is an error.
 * Chunks are kept as they arrive and copied once, into the frame they belong to: joining them
 * as they come would copy a large frame once per chunk (quadratic, and the event loop stalls).
 */
export async function* readFrames(stream: AsyncIterable<StreamChunk>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const pending = new ChunkQueue();
  for await (const chunk of stream) {
    for (const part of partsOf(chunk)) pending.push(part);
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
