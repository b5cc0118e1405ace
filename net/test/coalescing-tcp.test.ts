// libp2p's TCP connections get their writes coalesced: many frames written in one turn of the
// event loop leave in one system call, and every byte arrives, in order. Errors built while a
// chunk read is dispatched carry no stack, and the stack limit is back once it returns.
import { readFileSync } from "node:fs";
import { defaultLogger } from "@libp2p/logger";
import { multiaddr } from "@multiformats/multiaddr";
import { describe, expect, it } from "vitest";
import { coalescingTcp } from "../coalescing-tcp.ts";

/** Write system calls this process made so far (Linux). */
function writeCalls(): number {
  const line = readFileSync("/proc/self/io", "utf8").split("\n").find((l) => l.startsWith("syscw:"));
  return Number(line!.split(/\s+/)[1]);
}

interface RawConnection {
  socket: { on(event: "data", listener: (chunk: Buffer) => void): void };
  sendData(data: Iterable<Uint8Array>): unknown;
  hasOwnProperty(name: string): boolean;
}

describe("coalescingTcp", () => {
  it("sends frames written in one turn in a single write, every byte in order; reads build errors without stacks", async () => {
    const transport = coalescingTcp()({ logger: defaultLogger() } as never);
    const accepted = Promise.withResolvers<RawConnection>();
    const upgrader = (onConnection?: (connection: RawConnection) => void) =>
      ({
        upgradeInbound: async (connection: RawConnection) => onConnection?.(connection),
        upgradeOutbound: async (connection: RawConnection) => connection,
      }) as never;
    const listener = transport.createListener({ upgrader: upgrader((c) => accepted.resolve(c)) } as never);
    await listener.listen(multiaddr("/ip4/127.0.0.1/tcp/0"));
    try {
      const dialed = (await transport.dial(listener.getAddrs()[0], { upgrader: upgrader(), signal: AbortSignal.timeout(5000) } as never)) as unknown as RawConnection;
      const inbound = await accepted.promise;
      expect(dialed.hasOwnProperty("sendData")).toBe(true);
      expect(inbound.hasOwnProperty("sendData")).toBe(true);

      const frames = Array.from({ length: 200 }, (_, i) => new Uint8Array(50).fill(i));
      const expected = Buffer.concat(frames);
      const received: Buffer[] = [];
      let receivedBytes = 0;
      const all = Promise.withResolvers<void>();
      const stackFrames: number[] = [];
      inbound.socket.on("data", (chunk) => {
        stackFrames.push((new RangeError("probe").stack ?? "").split("\n").length - 1);
        received.push(chunk);
        receivedBytes += chunk.length;
        if (receivedBytes >= expected.length) all.resolve();
      });
      const limitBefore = Error.stackTraceLimit;
      const before = writeCalls();
      for (const frame of frames) dialed.sendData([frame]);
      await all.promise;
      const calls = writeCalls() - before;
      expect(Buffer.concat(received)).toEqual(expected);
      expect(calls).toBeLessThan(10);
      expect(stackFrames.length).toBeGreaterThan(0);
      expect(stackFrames.every((n) => n === 0)).toBe(true);
      expect(Error.stackTraceLimit).toBe(limitBefore);
      expect((new RangeError("probe").stack ?? "").split("\n").length).toBeGreaterThan(1);
    } finally {
      await listener.close();
    }
  });
});
