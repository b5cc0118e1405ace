// Exchange hosts, one per node, streaming to each other in memory: rows go from the producing
// host straight to the receiving hosts its route names, each row exactly where routing puts it.
import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { ExchangeHost, ExchangePeerLostError, ExchangeProtocolError, FrameChannel, Router, keyHashes, member, memoryStreamPair, streamSink, type ByteStream, type ExchangeSpec } from "../index.ts";
import { encodeFrame, FRAME } from "../frames.ts";

const PEERS = ["node-a", "node-b", "node-c", "node-d"];
const RUN = "0123456789abcdef0123456789abcdef";

/** Hosts joined in memory; `unreachable` peers refuse every stream; `opened` counts the streams opened. */
function cluster(unreachable: string[] = [], options: { servedStreamIdleMs?: number; opened?: { count: number } } = {}): ExchangeHost[] {
  const hosts: ExchangeHost[] = PEERS.map(
    (self) =>
      new ExchangeHost({
        self,
        servedStreamIdleMs: options.servedStreamIdleMs,
        connect: async (peer) => {
          if (unreachable.includes(peer)) throw new Error("connection refused");
          if (options.opened) options.opened.count++;
          const [producerEnd, receiverEnd] = memoryStreamPair();
          void hosts[PEERS.indexOf(peer)].accept(receiverEnd, self).catch(() => {});
          return producerEnd;
        },
      }),
  );
  return hosts;
}

function exchange(overrides: Partial<ExchangeSpec> = {}): ExchangeSpec {
  return { run: RUN, consumer: 5, members: PEERS, budgetBytes: 64 << 20, saltable: [], ...overrides };
}

/** Rows of key `k` and value `v${k}` (null for every seventh key). */
function keys(values: number[]): arrow.RecordBatch {
  return new arrow.Table({ k: arrow.vectorFromArray(values, new arrow.Int32()), v: arrow.vectorFromArray(values.map((x) => (x % 7 === 0 ? null : `v${x}`)), new arrow.Utf8()) }).batches[0];
}

const received = (host: ExchangeHost, input: number) => host.batches(RUN, 5, input).flatMap((b) => [...(b.getChild("k")!.toArray() as Int32Array)]);

describe("exchange hosts", () => {
  it("hash: every producer's rows land once each, on the member nearest their key", async () => {
    const hosts = cluster();
    const spec = { keys: [0], saltBy: [0], mode: "spread" as const };
    const sent = await Promise.all(
      hosts.map((host, p) => host.send({ exchange: exchange(), input: 3, kind: "hash", spec }, [keys(Array.from({ length: 5000 }, (_, i) => p * 5000 + i))])),
    );
    const router = new Router(PEERS.map(member));
    const all: number[] = [];
    hosts.forEach((host, m) => {
      const batches = host.batches(RUN, 5, 3);
      for (const batch of batches) {
        const hashes = keyHashes(batch, [0]);
        for (let row = 0; row < batch.numRows; row++) {
          expect(router.home(hashes.high[row], hashes.low[row])).toBe(m);
          // Batches longer than a piece are split before they are partitioned: each row keeps its own value.
          const k = batch.getChild("k")!.get(row) as number;
          expect(batch.getChild("v")!.get(row)).toBe(k % 7 === 0 ? null : `v${k}`);
        }
      }
      all.push(...received(host, 3));
    });
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(sent.every((s) => s.rows === 5000 && s.bytes.length === 4)).toBe(true);
  });

  it("sends over streams opened while the task ran, finishing those that carry no rows, and drops them for a task that failed", async () => {
    const hosts = cluster();
    const spec = { keys: [0], saltBy: [0], mode: "spread" as const };
    // One key: three of the four members get no rows, over the streams opened for them.
    const route = { exchange: exchange(), input: 4, kind: "hash" as const, spec };
    const sent = await hosts[0].send(route, [keys([42, 42, 42])], hosts[0].prepare(route));
    expect(sent.rows).toBe(3);
    expect(hosts.flatMap((h) => received(h, 4))).toEqual([42, 42, 42]);
    // No rows at all, and a broadcast whose task failed: nothing arrives, nothing breaks.
    const empty = { exchange: exchange(), input: 6, kind: "broadcast" as const };
    expect((await hosts[1].send(empty, [], hosts[1].prepare(empty))).rows).toBe(0);
    const failed = { exchange: exchange(), input: 8, kind: "broadcast" as const };
    hosts[2].abandon(hosts[2].prepare(failed), new Error("the task failed"));
    await new Promise((r) => setTimeout(r, 20));
    for (const host of hosts) expect([...received(host, 6), ...received(host, 8)]).toEqual([]);
    // The hosts still serve the run.
    await hosts[3].send({ exchange: exchange(), input: 9, kind: "broadcast" }, [keys([7])], hosts[3].prepare({ exchange: exchange(), input: 9, kind: "broadcast" }));
    for (const host of hosts) expect(received(host, 9)).toEqual([7]);
  });

  it("refuses to send for a run that is over without leaving a failed stream's error unheard", async () => {
    // node-b is unreachable: the stream opened for it fails while the task runs, and the run ends meanwhile.
    const hosts = cluster(["node-b"]);
    const route = { exchange: exchange(), input: 5, kind: "hash" as const, spec: { keys: [0], saltBy: [0], mode: "spread" as const } };
    const opened = hosts[0].prepare(route);
    hosts[0].release(RUN);
    await expect(hosts[0].send(route, [keys([1, 2, 3])], opened)).rejects.toThrow(/is over/);
    hosts[0].abandon(opened, new Error("the run is over"));
    await new Promise((r) => setTimeout(r, 20)); // an unhandled rejection would fail the test run
  });

  it("broadcast reaches every member, and a route to one member only that one", async () => {
    const hosts = cluster();
    await hosts[1].send({ exchange: exchange(), input: 2, kind: "broadcast" }, [keys([1, 2, 3])]);
    await hosts[2].send({ exchange: exchange(), input: 4, kind: "to", to: 0 }, [keys([7, 8])]);
    for (const host of hosts) expect(received(host, 2)).toEqual([1, 2, 3]);
    expect(received(hosts[0], 4)).toEqual([7, 8]);
    expect(hosts.slice(1).flatMap((h) => received(h, 4))).toEqual([]);
    expect(hosts[0].status(RUN, 5).peakBytes).toBeGreaterThan(0);
    hosts[0].release(RUN);
    expect(received(hosts[0], 2)).toEqual([]);
    expect(hosts[0].liveRuns).toBe(0);
    // A task of a run that is over may still send: refused, and its producer hears so.
    await expect(hosts[1].send({ exchange: exchange(), input: 9, kind: "to", to: 0 }, [keys([1])])).rejects.toThrow(/is over/);
    expect(hosts[0].liveRuns).toBe(0);
  });

  it("tells the tasks of a run when it is released, at once if it already was, and no one who stopped listening", () => {
    const [host] = cluster();
    const heard: string[] = [];
    host.whenReleased(RUN, () => heard.push("running task"));
    const stop = host.whenReleased(RUN, () => heard.push("finished task"));
    stop();
    host.release(RUN);
    expect(heard).toEqual(["running task"]);
    host.whenReleased(RUN, () => heard.push("late task"));
    expect(heard).toEqual(["running task", "late task"]);
    host.release(RUN);
    expect(heard).toHaveLength(2); // a listener is called once
  });

  it("broadcasts rows wider than a frame, encoded once, whole on every member", async () => {
    const hosts = cluster();
    const wide = new arrow.Table({
      k: arrow.vectorFromArray(Array.from({ length: 20_000 }, (_, i) => i), new arrow.Int32()),
      v: arrow.vectorFromArray(Array.from({ length: 20_000 }, (_, i) => `${i}`.padEnd(400, "x")), new arrow.Utf8()),
    });
    await hosts[3].send({ exchange: exchange(), input: 7, kind: "broadcast" }, wide.batches);
    for (const host of hosts) expect(received(host, 7)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  it("sends one exchange after another over the streams it kept, and opens new ones when their receivers closed them unused", async () => {
    const opened = { count: 0 };
    const hosts = cluster([], { opened, servedStreamIdleMs: 50 });
    await hosts[1].send({ exchange: exchange(), input: 2, kind: "broadcast" }, [keys([1, 2])]);
    expect(opened.count).toBe(3);
    // The next exchanges (another input, another consuming stage) go over the same three streams.
    await hosts[1].send({ exchange: exchange(), input: 3, kind: "broadcast" }, [keys([3])]);
    await hosts[1].send({ exchange: exchange({ consumer: 6 }), input: 2, kind: "to", to: 2 }, [keys([4])]);
    expect(opened.count).toBe(3);
    for (const host of hosts) expect([received(host, 2), received(host, 3)]).toEqual([[1, 2], [3]]);
    expect(hosts[2].batches(RUN, 6, 2).map((b) => b.numRows)).toEqual([1]);
    // Unused past the receivers' idle limit: they closed the streams, and the next exchange opens new ones, its rows arriving once.
    await new Promise((resolve) => setTimeout(resolve, 120));
    await hosts[1].send({ exchange: exchange(), input: 4, kind: "broadcast" }, [keys([5, 6])]);
    expect(opened.count).toBe(6);
    for (const host of hosts) expect(received(host, 4)).toEqual([5, 6]);
  });

  it("names the peer whose receiver closed its stream in the middle of an exchange (a node that died)", async () => {
    const dying = new ExchangeHost({
      self: "node-a",
      connect: async () => {
        const [producerEnd, receiverEnd] = memoryStreamPair();
        void (async () => {
          const channel = new FrameChannel(receiverEnd);
          await channel.next(); // OPEN
          await channel.write(FRAME.OPENED);
          await channel.next(); // the first rows, then gone
          await receiverEnd.close();
        })();
        return producerEnd;
      },
    });
    const error = await dying.send({ exchange: exchange(), input: 2, kind: "to", to: 2 }, [keys([1, 2, 3])]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangePeerLostError);
    expect((error as ExchangePeerLostError).peer).toBe("node-c");
  });

  it("names the peer it cannot reach", async () => {
    const hosts = cluster(["node-c"]);
    const error = await hosts[0].send({ exchange: exchange(), input: 2, kind: "broadcast" }, [keys([1])]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangePeerLostError);
    expect((error as ExchangePeerLostError).peer).toBe("node-c");
  });

  it("refuses a stream from a peer outside the exchange, a malformed opening, and one that names the exchange two ways", async () => {
    const hosts = cluster();
    const open = async (from: string, body: Uint8Array): Promise<unknown> => {
      const [producerEnd, receiverEnd] = memoryStreamPair();
      const accepting = hosts[0].accept(receiverEnd, from).catch((e: unknown) => e);
      await producerEnd.write(encodeFrame(FRAME.OPEN, body));
      await producerEnd.close();
      return accepting;
    };
    const opening = (e: ExchangeSpec) => new TextEncoder().encode(JSON.stringify({ exchange: e, input: 1 }));
    expect(await open("node-z", opening(exchange()))).toBeInstanceOf(ExchangeProtocolError);
    expect(await open("node-b", new TextEncoder().encode("{}"))).toBeInstanceOf(ExchangeProtocolError);
    expect(await open("node-b", opening({ ...exchange(), run: "not hex" }))).toBeInstanceOf(ExchangeProtocolError);
    await hosts[1].send({ exchange: exchange(), input: 1, kind: "to", to: 0 }, [keys([1])]);
    expect(await open("node-b", opening(exchange({ budgetBytes: 1 })))).toBeInstanceOf(ExchangeProtocolError);
  });

  it("sends several small pieces for one receiver in one frame", async () => {
    const [producerEnd, receiverEnd] = memoryStreamPair();
    const frames: Uint8Array[] = [];
    const counting: ByteStream = {
      ...producerEnd,
      write: async (bytes) => {
        frames.push(bytes);
        await producerEnd.write(bytes);
      },
    };
    const hosts = cluster();
    const accepting = hosts[0].accept(receiverEnd, "node-b");
    const channel = new FrameChannel(counting);
    await channel.write(FRAME.OPEN, new TextEncoder().encode(JSON.stringify({ exchange: exchange(), input: 6 })));
    expect((await channel.next())?.kind).toBe(FRAME.OPENED);
    const sink = streamSink(channel)(() => {});
    await sink.send([keys([1]), keys([2, 3]), keys([4])], 0);
    await sink.finish();
    await counting.close();
    await accepting;
    expect(received(hosts[0], 6)).toEqual([1, 2, 3, 4]);
    expect(frames.filter((f) => f[4] === FRAME.BATCH)).toHaveLength(1);
  });
});
