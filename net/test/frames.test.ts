import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameError, readFrames } from "../frames.ts";

function encodeFrames(frames: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const f of frames) {
    out.push((f.length >>> 24) & 255, (f.length >>> 16) & 255, (f.length >>> 8) & 255, f.length & 255, ...f);
  }
  return new Uint8Array(out);
}

async function* chunks(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
    yield bytes.slice(at, cut);
    at = cut;
  }
  yield bytes.slice(at);
}

async function collect(source: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const f of readFrames(source, max)) out.push(f);
  return out;
}

describe("frames", () => {
  it("come out as they went in, however the stream is cut", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), async (frames, cuts) => {
        const bytes = encodeFrames(frames);
        expect(await collect(chunks(bytes, cuts), 1000)).toEqual(frames);
      }),
    );
  });

  it("refuse a frame over the limit before buffering it, and a torn one", async () => {
    await expect(collect(chunks(encodeFrames([new Uint8Array(2000)]), []), 1000)).rejects.toBeInstanceOf(FrameError);
    const torn = encodeFrames([new Uint8Array(50)]).slice(0, 30);
    await expect(collect(chunks(torn, []), 1000)).rejects.toThrow(/ended inside a frame/);
  });

  it("read a large frame that arrives in many small chunks, copying each byte once", async () => {
    const payload = new Uint8Array(8_000_000).map((_, i) => i % 251);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, payload.length);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      yield header;
      for (let at = 0; at < payload.length; at += 16_384) yield payload.subarray(at, at + 16_384);
    }
    const [frame] = await collect(pieces(), 10_000_000);
    expect(frame.length).toBe(payload.length);
    expect(Buffer.compare(frame, payload)).toBe(0);
  });

  it("never hang or crash on random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        try {
          await collect(chunks(bytes, [7, 100]), 512);
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
    );
  });
});
