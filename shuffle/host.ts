// One node's side of every exchange it takes part in: the receiving tasks of the query runs it
// serves, fed by streams from producing tasks on any node (itself included), and the producing
// side, which sends a task's output where its route says. Rows go from the node that made them
// straight to the node that reads them; the coordinator only tells each task where.
//
// Transport-agnostic: `connect` gives a ByteStream to a peer (net/ backs it with a libp2p stream,
// an in-process cluster with memory), and `accept` serves one that came in. A stream carries one
// exchange after another: a producer keeps a stream whose exchange is done for the next one to
// the same peer, since opening one costs a protocol negotiation (a round trip, and libp2p's
// bookkeeping on both sides) that a query's many small stages would pay on every stream.
import type * as arrow from "apache-arrow";
import { invariant } from "../common/errors.ts";
import { IdlePool } from "../common/idle-pool.ts";
import { ExchangeProtocolError, FRAME, MAX_FRAME_BYTES, encodeBatchFrame } from "./frames.ts";
import { isKeyRangeList, type KeptKeys, type PartitionSpec } from "./partition.ts";
import { routerFor, type Router } from "./placement.ts";
import { HashProducer, streamSink, type BatchSink, type SinkFactory } from "./producer.ts";
import { ReceivingTask } from "./receiver.ts";
import type { RowHashes } from "./key-hash.ts";
import { EMPTY_DIGEST, RowDigest, digestSeed, wholeRowHashes } from "./row-digest.ts";
import { MAX_ANNOUNCED_KEYS, isSaltedKey, type SaltedKey } from "./salt-map.ts";
import { ROUTED_EPOCH } from "./salting.ts";
import { BatchReceiver, FrameChannel, StreamClosedError, type ByteStream } from "./stream.ts";
import { batchBytes, takeRows } from "./take.ts";

/**
 * Rows per batch a task's output is cut into before it is sent: receivers see a hot key early
 * (and salt it) and never take more than one such batch past their budget.
 */
export const EXCHANGE_BATCH_ROWS = 4096;
/** Exchanges of at most this many members have a hash route's streams opened while its task runs (see prepare()). */
export const MAX_PREPARED_HASH_MEMBERS = 16;
/** Query runs one node holds exchange rows for at once. */
export const MAX_LIVE_RUNS = 256;
/** A run nobody sent to or read from for this long is forgotten (its coordinator is gone). */
export const RUN_IDLE_MS = 15 * 60_000;
/** Members one exchange may name. */
export const MAX_EXCHANGE_MEMBERS = 1024;
/** Ranges of kept keys one route may carry. */
export const MAX_KEPT_RANGES = 256;
/** Released runs remembered, so rows a stopped task still sends for one are refused instead of kept. */
const REMEMBERED_RELEASES = 1024;
/** Streams to one peer a producer keeps between exchanges. */
export const MAX_KEPT_STREAMS_PER_PEER = 8;
/** A receiver closes a stream that carried no exchange for this long (a producer drops its kept streams sooner, see KEPT_STREAM_IDLE_MS). */
export const SERVED_STREAM_IDLE_MS = 60_000;
/** A producer closes a kept stream unused for this long: well before its receiver would. */
export const KEPT_STREAM_IDLE_MS = SERVED_STREAM_IDLE_MS / 6;

/** Whether `value` names a query run: 32 hex digits (16 random bytes). */
export function isRunId(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{32}$/.test(value);
}

/** The receiving side of one consuming stage in one run of a query. */
export interface ExchangeSpec {
  /** The run's id: 32 hex digits, fresh for every run (a retried run never mixes with the one before). */
  run: string;
  /** The consuming stage. */
  consumer: number;
  /** The peer ids of the receiving tasks; routing is over these, in this order. */
  members: string[];
  /** Bytes each receiving task buffers before it salts its hottest keys. */
  budgetBytes: number;
  /** The inputs (producing stages) whose rows may be salted, with how they were partitioned. */
  saltable: { input: number; spec: PartitionSpec }[];
}

/** Where a producing task's output goes: its stage is `input` of the exchange's consumer. */
export type OutputRoute = { exchange: ExchangeSpec; input: number } & (
  /** `keep`: rows of keys no other producing task makes stay on this node (see KeptKeys). */
  | { kind: "hash"; spec: PartitionSpec; keep?: KeptKeys }
  | { kind: "broadcast" }
  /** Every row to one member (a gather to the coordinator, or rows that stay where they are). */
  | { kind: "to"; to: number }
);

/** Streams prepare() started opening (their exchange's OPEN taken), by member index. */
export type OpenedStreams = ReadonlyMap<number, Promise<FrameChannel>>;

export interface SentSummary {
  rows: number;
  /** Per member: bytes of the rows sent to it. */
  bytes: number[];
  /** Per member: the rows sent to it (a copy to each, for a key replicated or a broadcast). */
  rowsTo: number[];
  /** Per member: the digest of the rows sent to it, under the run's seed (see row-digest.ts). */
  digests: string[];
}

export interface InboxStatus {
  peakBytes: number;
  saltedKeys: number;
  overBudget: boolean;
  /** The keys it salted (it is their home). */
  salted: SaltedKey[];
}

/** An inbox status a peer sent, every field checked. */
export function checkInboxStatus(value: unknown): InboxStatus {
  const s = value as Partial<InboxStatus> | null;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const valid =
    s !== null &&
    typeof s === "object" &&
    count(s.peakBytes) &&
    count(s.saltedKeys) &&
    typeof s.overBudget === "boolean" &&
    Array.isArray(s.salted) &&
    s.salted.length <= MAX_ANNOUNCED_KEYS &&
    s.salted.every(isSaltedKey);
  if (!valid) throw new ExchangeProtocolError("a malformed inbox status");
  return s as InboxStatus;
}

/** A receiver could not be reached, or its stream broke: the run cannot finish with it. */
export class ExchangePeerLostError extends Error {
  readonly peer: string;
  constructor(peer: string, cause: unknown) {
    super(`the exchange stream to ${peer.slice(-8)} failed: ${(cause as Error)?.message ?? cause}`);
    this.name = "ExchangePeerLostError";
    this.peer = peer;
  }
}

interface Run {
  touched: number;
  router: Router;
  /** Per consuming stage: its spec (as JSON, to check every stream names the same) and its receiving task. */
  receivers: Map<number, { spec: string; task: ReceivingTask }>;
}

export interface ExchangeHostOptions {
  /** This node's peer id. */
  self: string;
  /** Opens an exchange stream to a peer. */
  connect: (peer: string) => Promise<ByteStream>;
  now?: () => number;
  /** How long a served stream may wait for its next exchange (default SERVED_STREAM_IDLE_MS). */
  servedStreamIdleMs?: number;
}

export class ExchangeHost {
  readonly #self: string;
  readonly #connect: (peer: string) => Promise<ByteStream>;
  readonly #now: () => number;
  readonly #runs = new Map<string, Run>();
  readonly #released = new Set<string>();
  /** Per run: what to call when it is released (the tasks of it still running here stop). */
  readonly #onRelease = new Map<string, Set<() => void>>();
  readonly #servedStreamIdleMs: number;
  /** Per peer: streams whose exchange is done, kept for the next. */
  readonly #kept = new IdlePool<FrameChannel>({ maxPerKey: MAX_KEPT_STREAMS_PER_PEER, idleMs: KEPT_STREAM_IDLE_MS, close: (channel) => void channel.stream.close().catch(() => {}) });

  constructor(options: ExchangeHostOptions) {
    this.#self = options.self;
    this.#connect = options.connect;
    this.#now = options.now ?? Date.now;
    this.#servedStreamIdleMs = options.servedStreamIdleMs ?? SERVED_STREAM_IDLE_MS;
  }

  /**
   * Serves one inbound stream from peer `from`, exchange after exchange, until its producer
   * closes it or leaves it unused for a while; a stream it refuses is aborted.
   */
  async accept(stream: ByteStream, from: string): Promise<void> {
    const receiver = new BatchReceiver(new FrameChannel(stream));
    try {
      for (let first = true; ; first = false) {
        const opening = first ? await receiver.opening() : await this.#nextOpening(receiver, stream);
        if (opening === undefined) {
          if (first) throw new ExchangeProtocolError("an exchange stream that ended before its OPEN");
          // The producer closed it (or it went unused): this side closes too, and the stream is gone.
          await stream.close().catch(() => {});
          return;
        }
        const { exchange, input } = decodeOpening(opening);
        if (from !== this.#self && !exchange.members.includes(from)) throw new ExchangeProtocolError(`a stream from ${from.slice(-8)}, which is not a member of its exchange`);
        const task = this.#receiving(exchange);
        await receiver.accept();
        await task.receive(input, exchange.saltable.some((s) => s.input === input), receiver);
      }
    } catch (error) {
      stream.abort(error as Error);
      throw error;
    }
  }

  /**
   * The next exchange's OPEN on a served stream, or undefined when there is none: its producer
   * closed it, or it went unused for servedStreamIdleMs (a producer that sends an OPEN while it
   * is closed hears the close instead of OPENED, and opens another stream).
   */
  async #nextOpening(receiver: BatchReceiver, stream: ByteStream): Promise<Uint8Array | undefined> {
    const opening = receiver.opening();
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<"idle">((resolve) => {
      timer = setTimeout(() => resolve("idle"), this.#servedStreamIdleMs);
      timer.unref();
    });
    try {
      const next = await Promise.race([opening, idle]);
      if (next !== "idle") return next;
      opening.catch(() => {}); // the stream ends with the close accept() makes: nothing more is read
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts opening the streams to the other nodes a route sends to, while the task whose output
   * they will carry runs: their negotiation round trip overlaps its work. Pass them to send(),
   * or to abandon() if the task fails.
   */
  prepare(route: OutputRoute): OpenedStreams {
    const { members } = route.exchange;
    const opening = encodeOpening(route.exchange, route.input);
    const opened = new Map<number, Promise<FrameChannel>>();
    // A hash route's members get rows only if some key goes to them: in a large exchange, most
    // streams opened ahead would carry none.
    if (route.kind === "hash" && members.length > MAX_PREPARED_HASH_MEMBERS) return opened;
    for (const m of route.kind === "to" ? [route.to] : members.keys()) {
      if (members[m] === this.#self) continue;
      const channel = this.#openExchange(members[m], opening);
      channel.catch(() => {}); // heard when send() uses it
      opened.set(m, channel);
    }
    return opened;
  }

  /** Drops streams prepare() opened, for output that will not come or did not all go out. */
  abandon(opened: OpenedStreams, error: Error): void {
    for (const channel of opened.values()) channel.then((c) => c.stream.abort(error), () => {});
  }

  /**
   * Sends a task's output (of the route's input stage) to the receiving tasks its route names,
   * over the streams prepare() opened when given. `hashes`: each batch's wholeRowHashes under
   * the run's seed, if the caller has them.
   */
  async send(route: OutputRoute, batches: readonly arrow.RecordBatch[], opened: OpenedStreams = new Map(), hashes?: readonly RowHashes[]): Promise<SentSummary> {
    const { members } = route.exchange;
    const opening = encodeOpening(route.exchange, route.input);
    const seed = digestSeed(route.exchange.run);
    const hashed = batches.flatMap((b, i) => sliceRows(b, hashes?.[i] ?? wholeRowHashes(b, seed), EXCHANGE_BATCH_ROWS));
    const pieces = hashed.map((piece) => piece.batch);
    const summary: SentSummary = { rows: pieces.reduce((n, b) => n + b.numRows, 0), bytes: members.map(() => 0), rowsTo: members.map(() => 0), digests: members.map(() => EMPTY_DIGEST) };
    const sinkTo = (m: number) => this.#sink(route.exchange, route.input, m, opening, opened.get(m));
    // No rows: nothing to open a stream for (a receiving task that got none reads an empty input);
    // one opened already says so.
    if (pieces.length === 0) {
      await Promise.all([...opened.keys()].map(async (m) => (await sinkTo(m))(() => {}).finish()));
      return summary;
    }
    if (route.kind === "hash") {
      // A member's stream opens with its first rows: a small output does not open one to every
      // member. One opened already carries the member's rows, or none.
      const { router } = this.#runOf(route.exchange); // throws for a run that is over: before any sink is made
      const sinks = members.map((_, m) => deferredSink(() => sinkTo(m), opened.has(m)));
      const self = members.indexOf(this.#self);
      const producer = new HashProducer(sinks, route.spec, router, seed, route.keep && self >= 0 ? { member: self, keys: route.keep } : undefined);
      for (const piece of hashed) await producer.send(piece.batch, piece.hashes);
      await producer.finish();
      summary.bytes = [...producer.bytesTo];
      summary.rowsTo = [...producer.rowsTo];
      summary.digests = producer.digestTo.map((d) => d.toString());
      return summary;
    }
    const to = route.kind === "to" ? [route.to] : members.map((_, m) => m);
    // Rows for several nodes are encoded once, in frames of up to a quarter of the frame limit.
    let frames: Uint8Array[] | undefined;
    const encoded = () => (frames ??= batchFrames(pieces));
    const bytes = pieces.reduce((n, p) => n + batchBytes(p), 0);
    const digest = hashed.reduce((sum, piece) => sum.addHashes(piece.hashes), new RowDigest(seed)).toString();
    await Promise.all(
      to.map(async (m) => {
        invariant(m >= 0 && m < members.length, `a route to member ${m} of ${members.length}`);
        const sink = (await sinkTo(m))(() => {});
        if (sink.sendEncoded) await sink.sendEncoded(encoded());
        else await sink.send(pieces, 0);
        await sink.finish();
        summary.bytes[m] = bytes;
        summary.rowsTo[m] = summary.rows;
        summary.digests[m] = digest;
      }),
    );
    return summary;
  }

  /** The rows of `input` that came to this node's receiving task of the exchange. */
  batches(run: string, consumer: number, input: number): arrow.RecordBatch[] {
    return this.#readInbox(run, consumer)?.batches(input) ?? [];
  }

  /** batches(), which this node's receiving task then no longer holds: for rows one reader takes once (sorted runs the coordinator merges). */
  take(run: string, consumer: number, input: number): arrow.RecordBatch[] {
    return this.#readInbox(run, consumer)?.take(input) ?? [];
  }

  /** The inbox of this node's receiving task of the exchange, its run marked as in use. */
  #readInbox(run: string, consumer: number) {
    const entry = this.#runs.get(run);
    if (entry) entry.touched = this.#now();
    return entry?.receivers.get(consumer)?.task.inbox;
  }

  /** What this node's receiving task of the exchange buffered and salted (zeros if no row came). */
  status(run: string, consumer: number): InboxStatus {
    const task = this.#runs.get(run)?.receivers.get(consumer)?.task;
    if (!task) return { peakBytes: 0, saltedKeys: 0, overBudget: false, salted: [] };
    const { stats } = task.inbox;
    return { peakBytes: stats.peakBytes, saltedKeys: stats.saltedKeys, overBudget: stats.overBudget, salted: task.inbox.announcement().keys };
  }

  /** Forgets a run's rows (its query is done, or starts over); rows sent for it later are refused. */
  release(run: string): void {
    this.#runs.delete(run);
    if (this.#released.size >= REMEMBERED_RELEASES) this.#released.delete(this.#released.values().next().value!);
    this.#released.add(run);
    const listeners = this.#onRelease.get(run);
    this.#onRelease.delete(run);
    for (const listener of listeners ?? []) listener();
  }

  /**
   * Calls `listener` once when the run is released, at once if it already was. The function
   * returned stops listening (a task that ended calls it).
   */
  whenReleased(run: string, listener: () => void): () => void {
    if (this.#released.has(run)) {
      listener();
      return () => {};
    }
    let listeners = this.#onRelease.get(run);
    if (!listeners) this.#onRelease.set(run, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#onRelease.get(run) === listeners) this.#onRelease.delete(run);
    };
  }

  get liveRuns(): number {
    return this.#runs.size;
  }

  #runOf(exchange: ExchangeSpec): Run {
    let run = this.#runs.get(exchange.run);
    if (!run) {
      // Not the sender's fault: a task of a run that started over may still be sending.
      if (this.#released.has(exchange.run)) throw new Error(`run ${exchange.run.slice(0, 8)} is over`);
      const now = this.#now();
      for (const [id, r] of this.#runs) if (now - r.touched > RUN_IDLE_MS) this.#runs.delete(id);
      if (this.#runs.size >= MAX_LIVE_RUNS) throw new ExchangeProtocolError(`over ${MAX_LIVE_RUNS} query runs at once`);
      run = { touched: now, router: routerFor(exchange.members), receivers: new Map() };
      this.#runs.set(exchange.run, run);
    }
    run.touched = this.#now();
    return run;
  }

  #receiving(exchange: ExchangeSpec): ReceivingTask {
    const run = this.#runOf(exchange);
    const spec = canonicalSpec(exchange);
    const known = run.receivers.get(exchange.consumer);
    if (known) {
      if (known.spec !== spec) throw new ExchangeProtocolError(`two streams of run ${exchange.run.slice(0, 8)} name stage ${exchange.consumer}'s exchange differently`);
      return known.task;
    }
    const self = exchange.members.indexOf(this.#self);
    if (self < 0) throw new ExchangeProtocolError(`rows for an exchange this node is not a member of`);
    if (run.router.members.map((m) => m.peerId).join() !== exchange.members.join()) throw new ExchangeProtocolError(`run ${exchange.run.slice(0, 8)} names two memberships`);
    const task = new ReceivingTask({
      self,
      router: run.router,
      budgetBytes: exchange.budgetBytes,
      saltable: new Map(exchange.saltable.map((s) => [s.input, s.spec])),
      // Rows routed before their producer heard of a salt, moved on to the key's shares.
      forward: async (to, input, batch) => {
        await this.#sendAll(exchange, input, to, [batch], ROUTED_EPOCH);
      },
    });
    run.receivers.set(exchange.consumer, { spec, task });
    return task;
  }

  /** Sends batches to member `to` of the exchange, all under one routing epoch; returns their bytes. */
  async #sendAll(exchange: ExchangeSpec, input: number, to: number, batches: readonly arrow.RecordBatch[], epoch: number): Promise<number> {
    const sink = (await this.#sink(exchange, input, to, encodeOpening(exchange, input)))(() => {});
    let bytes = 0;
    for (const batch of batches) {
      bytes += batchBytes(batch);
      await sink.send([batch], epoch);
    }
    await sink.finish();
    return bytes;
  }

  /**
   * Where rows for member `to` go: this node's own receiving task directly, or a stream to the
   * member's node (`opened` already, or opened now).
   */
  async #sink(exchange: ExchangeSpec, input: number, to: number, opening: Uint8Array, opened?: Promise<FrameChannel>): Promise<SinkFactory> {
    const peer = exchange.members[to];
    if (peer === this.#self) {
      const task = this.#receiving(exchange);
      const saltable = exchange.saltable.some((s) => s.input === input);
      return (onSalt) => task.local(input, saltable, onSalt);
    }
    const channel = await (opened ?? this.#openExchange(peer, opening));
    const sink = streamSink(channel, () => this.#kept.keep(peer, channel));
    return (onSalt) => lostWhenClosed(sink(onSalt), peer);
  }

  /**
   * A stream to `peer` whose receiver took the exchange's OPEN: a kept one if any, else a new one.
   * A kept stream that fails before OPENED (its receiver closed it unused, or is gone) carried
   * no rows, so the exchange goes on another.
   */
  async #openExchange(peer: string, opening: Uint8Array): Promise<FrameChannel> {
    for (;;) {
      const kept = this.#kept.take(peer);
      const channel = kept ?? new FrameChannel(lostOnFailure(await this.#open(peer), peer));
      try {
        await channel.write(FRAME.OPEN, opening);
        const answer = await channel.next();
        if (answer?.kind === FRAME.OPENED) return channel;
        throw answer ? new ExchangeProtocolError(`a receiver answered OPEN with a frame of kind ${answer.kind}`) : new ExchangePeerLostError(peer, new StreamClosedError("it closed the stream before taking the exchange"));
      } catch (error) {
        channel.stream.abort(error as Error);
        if (kept && !(error instanceof ExchangeProtocolError)) continue;
        throw error;
      }
    }
  }

  async #open(peer: string): Promise<ByteStream> {
    try {
      return await this.#connect(peer);
    } catch (error) {
      throw new ExchangePeerLostError(peer, error);
    }
  }

  /** Closes the streams kept for later exchanges (the node is stopping). */
  close(): void {
    this.#kept.closeAll();
  }
}

/** Batches in whole BATCH frames (epoch 0) of up to a quarter of the frame limit each, big batches alone. */
function batchFrames(batches: readonly arrow.RecordBatch[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let group: arrow.RecordBatch[] = [];
  let groupBytes = 0;
  const flush = () => {
    if (group.length > 0) frames.push(encodeBatchFrame(group, 0));
    group = [];
    groupBytes = 0;
  };
  const target = MAX_FRAME_BYTES / 4;
  for (const batch of batches) {
    const size = batchBytes(batch);
    if (groupBytes + size > target) flush();
    if (size <= target) {
      group.push(batch);
      groupBytes += size;
      continue;
    }
    const rows = Math.max(1, Math.floor(batch.numRows / Math.ceil(size / target)));
    for (let start = 0; start < batch.numRows; start += rows) frames.push(encodeBatchFrame(batch.slice(start, start + rows), 0));
  }
  flush();
  return frames;
}

/**
 * A sink made when the first batches for it come, or never if none do; with `eager`, made at
 * once (over a stream opened already) and finished even if no rows came, so its receiver hears
 * there are none.
 */
function deferredSink(make: () => Promise<SinkFactory>, eager: boolean): SinkFactory {
  return (onSalt) => {
    let sink: Promise<BatchSink> | undefined;
    const made = () => (sink ??= make().then((factory) => factory(onSalt)));
    if (eager) made().catch(() => {}); // a stream that failed to open is heard by send() or finish()
    return {
      send: async (batches, epoch) => (await made()).send(batches, epoch),
      finish: async () => {
        if (sink) await (await sink).finish();
      },
    };
  };
}

/** A sink whose receiver closing its stream early means the peer is lost (it died, or dropped the run). */
function lostWhenClosed(sink: BatchSink, peer: string): BatchSink {
  const named = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (error) {
      throw error instanceof StreamClosedError ? new ExchangePeerLostError(peer, error) : error;
    }
  };
  return {
    send: (batches, epoch) => named(sink.send(batches, epoch)),
    finish: () => named(sink.finish()),
    sendEncoded: (frames) => named(sink.sendEncoded!(frames)),
  };
}

/** A stream whose failures name the peer at its other end. */
function lostOnFailure(stream: ByteStream, peer: string): ByteStream {
  const named = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (error) {
      throw error instanceof ExchangeProtocolError ? error : new ExchangePeerLostError(peer, error);
    }
  };
  return {
    write: (bytes) => named(stream.write(bytes)),
    close: () => named(stream.close()),
    source: (async function* () {
      try {
        yield* stream.source;
      } catch (error) {
        throw new ExchangePeerLostError(peer, error);
      }
    })(),
    abort: (error) => stream.abort(error),
  };
}

/**
 * The batch in pieces of at most `rows` rows, each a compact copy (a slice would share the whole
 * batch's string buffers, and every piece would count, and be sent with, all of them), with
 * their rows' hashes.
 */
function sliceRows(batch: arrow.RecordBatch, hashes: RowHashes, rows: number): { batch: arrow.RecordBatch; hashes: RowHashes }[] {
  if (batch.numRows <= rows) return batch.numRows > 0 ? [{ batch, hashes }] : [];
  const pieces: { batch: arrow.RecordBatch; hashes: RowHashes }[] = [];
  for (let start = 0; start < batch.numRows; start += rows) {
    const end = Math.min(batch.numRows, start + rows);
    pieces.push({
      batch: takeRows(batch, Uint32Array.from({ length: end - start }, (_, i) => start + i)),
      hashes: { high: hashes.high.subarray(start, end), low: hashes.low.subarray(start, end) },
    });
  }
  return pieces;
}

/** The spec as one string, whatever order its JSON came in. */
function canonicalSpec(e: ExchangeSpec): string {
  return JSON.stringify([e.run, e.consumer, e.members, e.budgetBytes, e.saltable.map((s) => [s.input, s.spec.keys, s.spec.saltBy, s.spec.mode, s.spec.intervals ?? []])]);
}

function encodeOpening(exchange: ExchangeSpec, input: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ exchange, input }));
}

const isIndex = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 1 << 20;
const isIndexList = (v: unknown) => Array.isArray(v) && v.length <= 64 && v.every(isIndex);

/** An OPEN frame's body, every field checked: a peer's malformed opening drops its stream. */
export function decodeOpening(body: Uint8Array): { exchange: ExchangeSpec; input: number } {
  let parsed: { exchange?: unknown; input?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ExchangeProtocolError("an exchange opening that is not JSON");
  }
  if (!isIndex(parsed?.input)) throw new ExchangeProtocolError("a malformed exchange opening");
  return { exchange: checkExchange(parsed.exchange), input: parsed.input as number };
}

/** A route that came over the wire (in a task), every field checked. */
export function checkRoute(value: unknown): OutputRoute {
  const route = value as Partial<{ exchange: unknown; input: unknown; kind: unknown; spec: unknown; to: unknown }> | undefined;
  const exchange = checkExchange(route?.exchange);
  const spec = route?.spec as Partial<PartitionSpec> | undefined;
  const valid =
    isIndex(route?.input) &&
    ((route?.kind === "hash" && isPartitionSpec(spec) && isOptionalKeptKeys((route as { keep?: unknown }).keep)) ||
      route?.kind === "broadcast" ||
      (route?.kind === "to" && isIndex(route.to) && (route.to as number) < exchange.members.length));
  if (!valid) throw new ExchangeProtocolError("a malformed output route");
  return { ...(route as OutputRoute), exchange };
}

/** A hash route's kept keys: none, or a column and at most MAX_KEPT_RANGES key ranges. */
function isOptionalKeptKeys(value: unknown): boolean {
  if (value === undefined) return true;
  const keep = value as Partial<KeptKeys> | null;
  return !!keep && isIndex(keep.column) && isKeyRangeList(keep.ranges, MAX_KEPT_RANGES);
}

function isPartitionSpec(spec: Partial<PartitionSpec> | undefined): boolean {
  return isIndexList(spec?.keys) && (spec?.saltBy === "any" || isIndexList(spec?.saltBy)) && (spec?.mode === "spread" || spec?.mode === "replicate") && (spec?.intervals === undefined || isIndexList(spec.intervals));
}

function checkExchange(value: unknown): ExchangeSpec {
  const e = value as Partial<ExchangeSpec> | undefined;
  const valid =
    e !== undefined &&
    e !== null &&
    isRunId(e.run) &&
    isIndex(e.consumer) &&
    Array.isArray(e.members) &&
    e.members.length > 0 &&
    e.members.length <= MAX_EXCHANGE_MEMBERS &&
    e.members.every((m) => typeof m === "string" && m.length > 0 && m.length <= 128) &&
    Number.isSafeInteger(e.budgetBytes) &&
    (e.budgetBytes as number) > 0 &&
    Array.isArray(e.saltable) &&
    e.saltable.length <= 64 &&
    e.saltable.every((s) => isIndex(s?.input) && isPartitionSpec(s?.spec));
  if (!valid) throw new ExchangeProtocolError("a malformed exchange");
  return e as ExchangeSpec;
}
