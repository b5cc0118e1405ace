// Dynamic salting with a Zipf-skewed key (one key holds half the rows): producers stream
// batches to receiving tasks under a small memory budget. No receiver holds more than its
// budget plus one frame's rows, and what the consumer computes equals the unsalted run's answer.
import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { BatchReceiver, COALESCE_ROWS, EARLY_SALT_FILL, FrameChannel, HashProducer, streamSink, ROUTED_EPOCH, ReceivingTask, Router, batchBytes, digestRows, digestSeed, keyHashes, member, memoryStreamPair, sumDigests, type PartitionSpec } from "../index.ts";

const NODES = 4;
const BATCHES_PER_PRODUCER = 12;
const ROWS_PER_BATCH = 2000;
const router = new Router(Array.from({ length: NODES }, (_, i) => member(`node-${i}`)));
const RUN = "00000000000000000000000000000007";

/** A seeded generator (mulberry32): the same rows on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Half the rows have key 0; the rest follow a Zipf law over 1..1000. */
function zipfBatch(next: () => number, rows: number): arrow.RecordBatch {
  const weights = Array.from({ length: 1000 }, (_, i) => 1 / (i + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const keys = Int32Array.from({ length: rows }, () => {
    if (next() < 0.5) return 0;
    let u = next() * total;
    let k = 0;
    while (u > weights[k] && k < weights.length - 1) u -= weights[k++];
    return k + 1;
  });
  return new arrow.Table({
    k: arrow.makeVector(keys),
    v: arrow.makeVector(Float64Array.from({ length: rows }, () => Math.floor(next() * 100))),
    note: arrow.vectorFromArray(Array.from({ length: rows }, () => `row-${Math.floor(next() * 1e6)}`), new arrow.Utf8()),
  }).batches[0];
}

function inputs(seed: number): arrow.RecordBatch[][] {
  const next = random(seed);
  return Array.from({ length: NODES }, () => Array.from({ length: BATCHES_PER_PRODUCER }, () => zipfBatch(next, ROWS_PER_BATCH)));
}

/**
 * Runs one exchange per input (all producers to all receivers, inputs one after the other). Per
 * input, `sent[receiver]` is what its producers say they sent it, as a digest.
 */
async function shuffle(sides: { id: number; batches: arrow.RecordBatch[][]; spec: PartitionSpec }[], budgetBytes: number, sent: string[][] = []): Promise<ReceivingTask[]> {
  const saltable = new Map(sides.map((s) => [s.id, s.spec]));
  const tasks: ReceivingTask[] = [];
  for (let self = 0; self < NODES; self++) {
    tasks.push(new ReceivingTask({ self, router, budgetBytes, saltable, forward: (to, input, batch) => tasks[to].inbox.accept(input, batch, ROUTED_EPOCH) }));
  }
  for (const side of sides) {
    const receiving: Promise<void>[] = [];
    const producers = side.batches.map(() => {
      const streams = tasks.map((task) => {
        const [producerEnd, receiverEnd] = memoryStreamPair();
        receiving.push(task.receive(side.id, true, new BatchReceiver(new FrameChannel(receiverEnd))));
        return producerEnd;
      });
      return new HashProducer(streams.map((s) => streamSink(new FrameChannel(s))), side.spec, router, digestSeed(RUN));
    });
    await Promise.all(
      producers.map(async (producer, p) => {
        for (const batch of side.batches[p]) await producer.send(batch);
        await producer.finish();
      }),
    );
    await Promise.all(receiving);
    sent.push(tasks.map((_, receiver) => sumDigests(producers.map((p) => p.digestTo[receiver].toString()))));
  }
  return tasks;
}

/**
 * The most bytes one frame may bring a receiver: a producer joins the pieces it holds for a
 * receiver into one batch of at most COALESCE_ROWS rows, so at most the widest rows' bytes.
 */
function largestFrameBytes(batches: readonly arrow.RecordBatch[]): number {
  const rowBytes = batches.flatMap((batch) => {
    const offsets = batch.getChild("note")!.data[0].valueOffsets;
    return Array.from({ length: batch.numRows }, (_, r) => Int32Array.BYTES_PER_ELEMENT * 2 + Float64Array.BYTES_PER_ELEMENT + offsets[r + 1] - offsets[r]);
  });
  // A batch's text offsets hold one more than its rows.
  return rowBytes.sort((a, b) => b - a).slice(0, COALESCE_ROWS).reduce((n, bytes) => n + bytes, Int32Array.BYTES_PER_ELEMENT);
}

type Partial = Map<number, { rows: number; sum: number }>;

/** What a receiver computes: count and sum per key over the rows it holds. */
function aggregate(batches: arrow.RecordBatch[]): Partial {
  const out: Partial = new Map();
  for (const batch of batches) {
    const k = batch.getChild("k")!.toArray() as Int32Array;
    const v = batch.getChild("v")!.toArray() as Float64Array;
    k.forEach((key, i) => {
      const entry = out.get(key) ?? { rows: 0, sum: 0 };
      entry.rows++;
      entry.sum += v[i];
      out.set(key, entry);
    });
  }
  return out;
}

/** Partials of one key from several receivers merged (what the salt merge does at the key's home). */
function merged(partials: Partial[]): Partial {
  const out: Partial = new Map();
  for (const partial of partials) {
    for (const [key, { rows, sum }] of partial) {
      const entry = out.get(key) ?? { rows: 0, sum: 0 };
      out.set(key, { rows: entry.rows + rows, sum: entry.sum + sum });
    }
  }
  return out;
}

const sorted = (p: Partial) => [...p].sort((a, b) => a[0] - b[0]);
const spread: PartitionSpec = { keys: [0], saltBy: [0, 1, 2], mode: "spread" };

describe("dynamic salting under a Zipf-skewed key", () => {
  const left = inputs(7);
  const totalBytes = left.flat().reduce((s, b) => s + batchBytes(b), 0);
  const largestFrame = largestFrameBytes(left.flat());
  const budget = Math.floor(totalBytes * 0.35);

  it("keeps every receiver within budget plus one frame, and aggregates to the unsalted answer", async () => {
    const sent: string[][] = [];
    const unsalted = await shuffle([{ id: 0, batches: left, spec: spread }], totalBytes * 2, sent);
    expect(unsalted.reduce((n, t) => n + t.inbox.stats.saltedKeys, 0)).toBe(0);
    // Nothing salted: each receiver holds exactly the rows its producers say they sent it.
    expect(unsalted.map((t) => digestRows(t.inbox.batches(0), RUN))).toEqual(sent[0]);
    expect(sumDigests(sent[0])).toBe(digestRows(left.flat(), RUN));
    expect(Math.max(...unsalted.map((t) => t.inbox.stats.peakBytes))).toBeGreaterThan(totalBytes * 0.5);

    const salted = await shuffle([{ id: 0, batches: left, spec: spread }], budget);
    expect(salted.reduce((n, t) => n + t.inbox.stats.saltedKeys, 0)).toBeGreaterThan(0);
    console.log(`budget ${budget} B, largest frame ${largestFrame} B; peak per receiver unsalted ${unsalted.map((t) => t.inbox.stats.peakBytes).join(", ")}, salted ${salted.map((t) => t.inbox.stats.peakBytes).join(", ")}`);
    for (const task of salted) expect(task.inbox.stats.peakBytes).toBeLessThanOrEqual(budget + largestFrame);

    // Unsalted keys are whole at their home; salted keys' partials merge to the same totals.
    const partials = salted.map((t) => aggregate(t.inbox.batches(0)));
    expect(sorted(merged(partials))).toEqual(sorted(merged(unsalted.map((t) => aggregate(t.inbox.batches(0))))));
    const hot = keyHashes(new arrow.Table({ k: arrow.makeVector(Int32Array.of(0)) }).batches[0], [0]);
    expect(salted[router.home(hot.high[0], hot.low[0])].inbox.salts.salts(hot.high[0], hot.low[0])).toBe(NODES);
    expect(partials.filter((p) => p.has(0)).length).toBe(NODES);
  });

  it("salts a key that holds most of a buffer half full before the budget is passed, dealing its rows when any share will do", async () => {
    // Under this budget no receiver would pass it: the hot key's home peaks at about 0.6 of the rows.
    const roomy = Math.floor(totalBytes * 0.9);
    const dealt: PartitionSpec = { ...spread, saltBy: "any" };
    const unsalted = await shuffle([{ id: 0, batches: left, spec: dealt }], totalBytes * 2);
    const tasks = await shuffle([{ id: 0, batches: left, spec: dealt }], roomy);
    expect(tasks.reduce((n, t) => n + t.inbox.stats.saltedKeys, 0)).toBe(1);
    expect(tasks.some((t) => t.inbox.stats.overBudget)).toBe(false);
    expect(Math.max(...unsalted.map((t) => t.inbox.stats.peakBytes))).toBeGreaterThan(roomy * EARLY_SALT_FILL + largestFrame);
    for (const task of tasks) expect(task.inbox.stats.peakBytes).toBeLessThanOrEqual(roomy * EARLY_SALT_FILL + largestFrame);
    const partials = tasks.map((t) => aggregate(t.inbox.batches(0)));
    expect(sorted(merged(partials))).toEqual(sorted(merged(unsalted.map((t) => aggregate(t.inbox.batches(0))))));
    expect(partials.filter((p) => p.has(0)).length).toBe(NODES);
  });

  it("salts a key that turns hot only after the receivers began tracking keys", async () => {
    // Each producer's first half is spread evenly over many keys: receivers pass a quarter of the
    // budget (and start tracking) before key 0 appears, and must still find it hot.
    const next = random(13);
    const even = (rows: number) => new arrow.Table({
      k: arrow.makeVector(Int32Array.from({ length: rows }, () => 1001 + Math.floor(next() * 100_000))),
      v: arrow.makeVector(Float64Array.from({ length: rows }, () => Math.floor(next() * 100))),
      note: arrow.vectorFromArray(Array.from({ length: rows }, () => `row-${Math.floor(next() * 1e6)}`), new arrow.Utf8()),
    }).batches[0];
    const late = Array.from({ length: NODES }, () => [...Array.from({ length: 6 }, () => even(ROWS_PER_BATCH)), ...Array.from({ length: 6 }, () => zipfBatch(next, ROWS_PER_BATCH))]);
    const lateBytes = late.flat().reduce((n, b) => n + batchBytes(b), 0);
    const lateBudget = Math.floor(lateBytes * 0.3);
    const tasks = await shuffle([{ id: 0, batches: late, spec: spread }], lateBudget);
    const hot = keyHashes(new arrow.Table({ k: arrow.makeVector(Int32Array.of(0)) }).batches[0], [0]);
    expect(tasks[router.home(hot.high[0], hot.low[0])].inbox.salts.salts(hot.high[0], hot.low[0])).toBe(NODES);
    for (const task of tasks) expect(task.inbox.stats.peakBytes).toBeLessThanOrEqual(lateBudget + largestFrameBytes(late.flat()));
  });

  it("copies the other side of a join to every share of a salted key, so each pair meets once", async () => {
    const right = inputs(11).map((batches) => batches.slice(0, 3));
    const sides = [
      { id: 0, batches: left, spec: spread },
      { id: 1, batches: right, spec: { ...spread, mode: "replicate" as const } },
    ];
    const tasks = await shuffle(sides, budget);
    expect(tasks.reduce((n, t) => n + t.inbox.stats.saltedKeys, 0)).toBeGreaterThan(0);
    const count = (partial: Partial, key: number) => partial.get(key)?.rows ?? 0;
    const leftAll = merged(tasks.map((t) => aggregate(t.inbox.batches(0))));
    const rightAll = aggregate(right.flat());
    const pairs = new Map<number, number>();
    for (const task of tasks) {
      const l = aggregate(task.inbox.batches(0));
      const r = aggregate(task.inbox.batches(1));
      for (const key of l.keys()) pairs.set(key, (pairs.get(key) ?? 0) + count(l, key) * count(r, key));
    }
    for (const [key, n] of pairs) expect(n).toBe(count(leftAll, key) * count(rightAll, key));
    expect(leftAll.get(0)!.rows).toBe(left.flat().reduce((n, b) => n + (b.getChild("k")!.toArray() as Int32Array).filter((k) => k === 0).length, 0));
  });
});
