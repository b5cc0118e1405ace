// Three hosts on 127.0.0.1: gossip and requests between them, and a peer that sends oversized
// frames, garbage and floods, which is charged and cut off while the others are served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BLOCK_THRESHOLD, Network, RequestError } from "../index.ts";
import { BLOCK_MS, PeerPenalties } from "../penalties.ts";

const TOPIC = "/trustql-test/topic/1";
const ECHO = "/trustql-test/echo/1.0.0";
const LOOPBACK = ["/ip4/127.0.0.1/tcp/0"];

let a: Network;
let b: Network;
let c: Network;

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  a = await Network.create({ listen: LOOPBACK, limits: { maxFrameBytes: 64 * 1024, requestTimeoutMs: 2_000, requestStreamIdleMs: 300 } });
  b = await Network.create({ listen: LOOPBACK, seeds: a.multiaddrs() });
  c = await Network.create({ listen: LOOPBACK, seeds: a.multiaddrs() });
  await a.handle(ECHO, (request) => new Uint8Array([...request].reverse()));
  await until(() => a.connectedPeers().length >= 2);
});

afterAll(async () => {
  await Promise.all([a, b, c].filter(Boolean).map((n) => n.stop()));
});

describe("the network layer", () => {
  it("answers requests in frames", async () => {
    const response = await b.request(a.peerId, ECHO, new Uint8Array([1, 2, 3]));
    expect([...response]).toEqual([3, 2, 1]);
  });

  it("answers requests one after another and at once on kept streams, and after the server closed the idle ones", async () => {
    for (let i = 0; i < 20; i++) expect([...(await b.request(a.peerId, ECHO, new Uint8Array([i, 1])))]).toEqual([1, i]);
    const together = await Promise.all(Array.from({ length: 12 }, (_, i) => b.request(a.peerId, ECHO, new Uint8Array([i, 2]))));
    expect(together.map((r) => [...r])).toEqual(Array.from({ length: 12 }, (_, i) => [2, i]));
    // a closes streams idle for 300 ms; b keeps its own for 10 s, finds them closed, and opens new ones.
    await new Promise((r) => setTimeout(r, 600));
    expect([...(await b.request(a.peerId, ECHO, new Uint8Array([3, 4])))]).toEqual([4, 3]);
    expect(a.penalties.points(b.peerId)).toBe(0);
  });

  it("gossips to subscribers and drops what the handler rejects", async () => {
    const received: string[] = [];
    for (const n of [a, b, c]) {
      n.subscribe(TOPIC, (data) => {
        const text = new TextDecoder().decode(data);
        if (text.startsWith("bad")) return "reject";
        received.push(text);
        return "accept";
      });
    }
    // Give the mesh a moment to form, then publish until it carries.
    await until(() => true);
    let sent = 0;
    await until(() => {
      if (received.filter((r) => r.startsWith("hello")).length >= 2) return true;
      void b.publish(TOPIC, new TextEncoder().encode(`hello ${sent++}`)).catch(() => {});
      return false;
    }, 15_000);
    expect(received.some((r) => r.startsWith("hello"))).toBe(true);
  });

  it("charges a peer for oversized frames and keeps serving the others", async () => {
    const big = new Uint8Array(65 * 1024);
    await expect(c.request(a.peerId, ECHO, big)).rejects.toBeInstanceOf(RequestError);
    await until(() => a.penalties.points(c.peerId) > 0);
    const still = await b.request(a.peerId, ECHO, new Uint8Array([9]));
    expect([...still]).toEqual([9]);
  });

  it("cuts off a peer past the threshold", async () => {
    for (let i = 0; i < 5 && !a.penalties.isBlocked(c.peerId); i++) {
      await c.request(a.peerId, ECHO, new Uint8Array(65 * 1024)).catch(() => {});
    }
    await until(() => a.penalties.isBlocked(c.peerId));
    expect(a.penalties.points(c.peerId)).toBeGreaterThanOrEqual(BLOCK_THRESHOLD);
    await until(() => !a.connectedPeers().includes(c.peerId));
    expect(a.penalties.blockedPeers()).toEqual([c.peerId]);
    await expect(c.request(a.peerId, ECHO, new Uint8Array([1]))).rejects.toThrow();
    const still = await b.request(a.peerId, ECHO, new Uint8Array([7]));
    expect([...still]).toEqual([7]);
  });
});

describe("peer penalties", () => {
  it("lists a peer as blocked until its block ends", () => {
    let now = 0;
    const penalties = new PeerPenalties(() => now);
    penalties.charge("rogue", "bad-signature", "forged");
    expect(penalties.blockedPeers()).toEqual([]);
    penalties.charge("rogue", "bad-signature", "forged");
    expect(penalties.blockedPeers()).toEqual(["rogue"]);
    now += BLOCK_MS;
    expect(penalties.blockedPeers()).toEqual([]);
    expect(penalties.isBlocked("rogue")).toBe(false);
  });
});
