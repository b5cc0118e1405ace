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

/** Reads frames until the stream ends; a frame over `maxBytes` or a torn frame is an error. */
export async function* readFrames(stream: AsyncIterable<Chunk>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let buffered = new Uint8Array(0);
  for await (const chunk of stream) {
    const bytes = bytesOf(chunk);
    const joined = new Uint8Array(buffered.length + bytes.length);
    joined.set(buffered);
    joined.set(bytes, buffered.length);
    buffered = joined;
    while (buffered.length >= FRAME_HEADER_BYTES) {
      const length = new DataView(buffered.buffer, buffered.byteOffset, FRAME_HEADER_BYTES).getUint32(0);
      if (length > maxBytes) throw new FrameError(`frame of ${length} bytes announced, over the ${maxBytes}-byte limit`);
      if (buffered.length < FRAME_HEADER_BYTES + length) break;
      yield buffered.slice(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      buffered = buffered.slice(FRAME_HEADER_BYTES + length);
    }
    if (buffered.length > FRAME_HEADER_BYTES + maxBytes) throw new FrameError("frame larger than announced");
  }
  if (buffered.length > 0) throw new FrameError(`stream ended inside a frame (${buffered.length} bytes left)`);
}

/** The first frame of a stream, or an error if there is none. */
export async function readOneFrame(stream: AsyncIterable<Chunk>, maxBytes: number): Promise<Uint8Array> {
  for await (const frame of readFrames(stream, maxBytes)) return frame;
  throw new FrameError("stream ended before a frame");
}
