// The exchange protocol's frames over any byte stream (a libp2p stream in a cluster, memory in
// tests): [u32 big-endian body length][u8 kind][body]. A body is at most MAX_FRAME_BYTES, so a
// receiver never buffers more than that for one frame whatever a peer sends.
//
//   OPEN    producer → receiver  JSON naming the exchange the next batches are for (streams between nodes)
//   OPENED  receiver → producer  the receiver took the OPEN: batches may follow
//   BATCH   producer → receiver  [u32 routing epoch][record batches (one or more) as an Arrow IPC stream]
//   END     producer → receiver  no more batches for this exchange
//   CREDIT  receiver → producer  [u32 frames]: the producer may send that many more frames
//   SALT    receiver → producer  JSON SaltAnnouncement: keys the receiver now spreads
//   DONE    receiver → producer  the receiving task holds every row sent: the stream may carry the next OPEN
//
// A stream between nodes carries exchanges one after another (OPEN … END, DONE), so a producer
// keeps it for the next one instead of negotiating a new stream each time.
import * as arrow from "apache-arrow";
import { isUtf8 } from "node:buffer";
import { ChunkQueue } from "../common/chunk-queue.ts";
import { invariant } from "../common/errors.ts";
import { concatBatches } from "./take.ts";

export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const HEADER_BYTES = 5;

export const FRAME = { BATCH: 1, END: 2, CREDIT: 3, SALT: 4, OPEN: 5, OPENED: 6, DONE: 7 } as const;
export type FrameKind = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  kind: FrameKind;
  body: Uint8Array;
}

/** A peer broke the exchange protocol: the stream is dropped (and net/ may penalise the peer). */
export class ExchangeProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExchangeProtocolError";
  }
}

export function encodeFrame(kind: FrameKind, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  invariant(body.byteLength <= MAX_FRAME_BYTES, `a frame of ${body.byteLength} bytes is over the ${MAX_FRAME_BYTES}-byte limit`);
  const frame = new Uint8Array(HEADER_BYTES + body.byteLength);
  new DataView(frame.buffer).setUint32(0, body.byteLength);
  frame[4] = kind;
  frame.set(body, HEADER_BYTES);
  return frame;
}

/** Frames out of byte chunks cut anywhere; refuses a frame over the limit before buffering it. */
export async function* decodeFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  const pending = new ChunkQueue();
  for await (const chunk of chunks) {
    pending.push(chunk);
    while (pending.length >= HEADER_BYTES) {
      const header = pending.peek(HEADER_BYTES);
      const length = new DataView(header.buffer).getUint32(0);
      const kind = header[4];
      if (length > MAX_FRAME_BYTES) throw new ExchangeProtocolError(`a frame of ${length} bytes is over the ${MAX_FRAME_BYTES}-byte limit`);
      if (!Object.values(FRAME).includes(kind as FrameKind)) throw new ExchangeProtocolError(`unknown frame kind ${kind}`);
      if (pending.length < HEADER_BYTES + length) break;
      pending.take(HEADER_BYTES);
      yield { kind: kind as FrameKind, body: pending.take(length) };
    }
  }
  if (pending.length > 0) throw new ExchangeProtocolError(`the stream ended inside a frame (${pending.length} bytes left)`);
}

/**
 * A whole BATCH frame, header included: the routing epoch its rows were partitioned under, then
 * the batches (of one schema) as Arrow IPC, joined into one: a receiver decodes each batch of a
 * frame on its own (its message, Arrow's objects for it), which costs more than joining the
 * pieces a producer split its rows into. Written to a stream as it is (the rows are copied once
 * after Arrow encodes them), and to several streams when several receivers get the same rows.
 * Its body may be over MAX_FRAME_BYTES: the sender checks (frameBodyBytes).
 */
export function encodeBatchFrame(batch: arrow.RecordBatch | readonly arrow.RecordBatch[], epoch: number): Uint8Array {
  const given = batch instanceof arrow.RecordBatch ? [batch] : batch;
  invariant(given.length > 0, "a batch frame holds at least one batch");
  const withRows = given.filter((b) => b.numRows > 0);
  const joined = withRows.length === 0 ? given[0] : withRows.length === 1 ? withRows[0] : concatBatches(withRows);
  const ipc = arrow.tableToIPC(new arrow.Table(joined.schema, [joined]), "stream");
  const frame = new Uint8Array(HEADER_BYTES + 4 + ipc.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 4 + ipc.byteLength);
  frame[4] = FRAME.BATCH;
  view.setUint32(HEADER_BYTES, epoch);
  frame.set(ipc, HEADER_BYTES + 4);
  return frame;
}

/** The bytes of a frame's body. */
export function frameBodyBytes(frame: Uint8Array): number {
  return frame.byteLength - HEADER_BYTES;
}

export function decodeBatch(body: Uint8Array): { batches: arrow.RecordBatch[]; epoch: number } {
  if (body.byteLength < 4) throw new ExchangeProtocolError("a batch frame without its epoch");
  const epoch = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(body.subarray(4));
  } catch (error) {
    throw new ExchangeProtocolError(`a batch frame is not Arrow IPC: ${(error as Error).message}`);
  }
  if (table.batches.length === 0) throw new ExchangeProtocolError("a batch frame without a batch");
  if (!textIsUtf8(table.batches)) throw new ExchangeProtocolError("a batch frame with text that is not UTF-8");
  return { batches: table.batches, epoch };
}

/** Whether every text value of the batches (in lists and structs too) is UTF-8, as DuckDB's text always is: a peer's may not be. */
export function textIsUtf8(batches: readonly arrow.RecordBatch[]): boolean {
  const column = (data: arrow.Data): boolean => !(arrow.DataType.isUtf8(data.type) && data.values && !isUtf8(data.values)) && data.children.every(column);
  return batches.every((batch) => batch.data.children.every(column));
}

export function encodeCredit(frames: number): Uint8Array {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setUint32(0, frames);
  return body;
}

export function decodeCredit(body: Uint8Array): number {
  if (body.byteLength !== 4) throw new ExchangeProtocolError(`a credit frame of ${body.byteLength} bytes, expected 4`);
  return new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
}
