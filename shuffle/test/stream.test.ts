import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchReceiver, BatchSender, CREDIT_WINDOW_FRAMES, FrameChannel, ExchangeProtocolError, MAX_FRAME_BYTES, memoryStreamPair, type ByteStream, type SaltAnnouncement } from "../index.ts";
import { FRAME, decodeBatch, decodeFrames, encodeBatchFrame, encodeFrame } from "../frames.ts";

function batchOf(values: number[]): arrow.RecordBatch {
  return new arrow.Table({ v: arrow.vectorFromArray(values, new arrow.Int32()), s: arrow.vectorFromArray(values.map(String), new arrow.Utf8()) }).batches[0];
}

async function* chunksOf(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const to = Math.min(bytes.length, cut);
    if (to > at) yield bytes.subarray(at, to);
    at = Math.max(at, to);
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("frames", () => {
  it("decode the same however the bytes are cut", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), fc.array(fc.nat({ max: 300 })), async (bodies, cuts) => {
        const bytes = Buffer.concat(bodies.map((b) => encodeFrame(FRAME.SALT, b)));
        const frames = await collect(decodeFrames(chunksOf(new Uint8Array(bytes), cuts)));
        expect(frames.map((f) => Buffer.from(f.body).toString("hex"))).toEqual(bodies.map((b) => Buffer.from(b).toString("hex")));
      }),
    );
  });

  it("refuse a frame over the limit from its header alone, and a stream cut inside a frame", async () => {
    const header = new Uint8Array(5);
    new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
    header[4] = FRAME.BATCH;
    await expect(collect(decodeFrames(chunksOf(header, [])))).rejects.toThrow(ExchangeProtocolError);
    await expect(collect(decodeFrames(chunksOf(encodeFrame(FRAME.CREDIT, new Uint8Array(4)).subarray(0, 7), [])))).rejects.toThrow(/ended inside a frame/);
  });

  it("join a frame's batches into one, and refuse one whose text is not UTF-8 (DuckDB's text always is)", () => {
    const frame = encodeBatchFrame([batchOf([1, 2]), batchOf([]), batchOf([3])], 7);
    const { batches, epoch } = decodeBatch(frame.subarray(5));
    expect(epoch).toBe(7);
    expect(batches.map((b) => [...(b.getChild("s")!.toArray() as string[])])).toEqual([["1", "2", "3"]]);
    expect(decodeBatch(encodeBatchFrame([batchOf([]), batchOf([])], 0).subarray(5)).batches.map((b) => b.numRows)).toEqual([0]);
    // The last text value's bytes "3" replaced by one byte that begins no UTF-8 character.
    const at = Buffer.from(frame).lastIndexOf(Buffer.from("123"));
    expect(at).toBeGreaterThan(0);
    frame[at + 2] = 0xff;
    expect(() => decodeBatch(frame.subarray(5))).toThrow(/not UTF-8/);
  });
});

describe("exchange stream", () => {
  it("carries batches in order with their epochs, and salt announcements back", async () => {
    const [producerEnd, receiverEnd] = memoryStreamPair();
    const heard: SaltAnnouncement[] = [];
    const sender = new BatchSender(new FrameChannel(producerEnd), (a) => heard.push(a));
    const receiver = new BatchReceiver(new FrameChannel(receiverEnd));
    const sent = Array.from({ length: 20 }, (_, i) => batchOf(Array.from({ length: 10 + i }, (_, j) => i * 100 + j)));
    const receiving = (async () => {
      const got: { rows: number[]; epoch: number }[] = [];
      for await (const { batch, epoch } of receiver.batches()) {
        got.push({ rows: batch.getChild("v")!.toArray() as unknown as number[], epoch });
        if (got.length === 3) await receiver.announce({ epoch: 1, keys: [{ high: 1, low: 2, salts: 3 }] });
      }
      return got;
    })();
    for (const [i, batch] of sent.entries()) await sender.send(batch, i);
    await sender.finish();
    const got = await receiving;
    expect(got.map((g) => g.epoch)).toEqual(sent.map((_, i) => i));
    expect(got.map((g) => [...g.rows])).toEqual(sent.map((b) => [...(b.getChild("v")!.toArray() as Int32Array)]));
    expect(heard).toEqual([{ epoch: 1, keys: [{ high: 1, low: 2, salts: 3 }] }]);
  });

  it("never has more frames in flight than the receiver granted", async () => {
    const [producerEnd, receiverEnd] = memoryStreamPair();
    let written = 0;
    const counting: ByteStream = { ...producerEnd, write: async (bytes) => (written++, producerEnd.write(bytes)) };
    const sender = new BatchSender(new FrameChannel(counting), () => {});
    const receiver = new BatchReceiver(new FrameChannel(receiverEnd));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const receiving = (async () => {
      let received = 0;
      for await (const _ of receiver.batches()) if (++received === 1) await gate; // a receiver that stalls after one batch
      return received;
    })();
    const sending = (async () => {
      for (let i = 0; i < 3 * CREDIT_WINDOW_FRAMES; i++) await sender.send(batchOf([i]), 0);
      await sender.finish();
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(written).toBe(CREDIT_WINDOW_FRAMES);
    release();
    await sending;
    expect(await receiving).toBe(3 * CREDIT_WINDOW_FRAMES);
  });

  it("cuts a large batch into frames under the limit", async () => {
    const [producerEnd, receiverEnd] = memoryStreamPair();
    const sender = new BatchSender(new FrameChannel(producerEnd), () => {});
    const receiver = new BatchReceiver(new FrameChannel(receiverEnd));
    const big = batchOf(Array.from({ length: 600_000 }, (_, i) => i));
    const receiving = collect(receiver.batches());
    await sender.send(big, 0);
    await sender.finish();
    const got = await receiving;
    expect(got.length).toBeGreaterThan(1);
    expect(got.reduce((n, g) => n + g.batch.numRows, 0)).toBe(600_000);
  });
});
