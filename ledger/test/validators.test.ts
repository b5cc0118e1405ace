// The observation committee: drawn by hash from the peer list, the same on every node, and
// every follower fed by distinct validators, spread evenly.
import { describe, expect, it } from "vitest";
import { toHex } from "../crypto.ts";
import { feedAssignment, FEEDERS_PER_FOLLOWER, selectValidators } from "../consensus/validators.ts";

const peers = Array.from({ length: 300 }, (_, i) => toHex(new Uint8Array(32).fill(i % 256).map((b, j) => (j === 0 ? i >> 8 : b))));
const seed = new Uint8Array(32).fill(9);

describe("validators", () => {
  it("are every peer of a network no larger than the committee", () => {
    expect(selectValidators(peers.slice(0, 10), 64, seed)).toEqual(peers.slice(0, 10));
  });

  it("are drawn by hash: the same for any order of the peer list, different for another seed", () => {
    const committee = selectValidators(peers, 32, seed);
    expect(committee).toHaveLength(32);
    expect(new Set(committee).size).toBe(32);
    expect(selectValidators([...peers].reverse(), 32, seed)).toEqual(committee);
    expect(selectValidators(peers, 32, new Uint8Array(32).fill(10))).not.toEqual(committee);
    // Not simply the first peers listed.
    expect(committee.filter((p) => peers.indexOf(p) < 32).length).toBeLessThan(16);
  });

  it("feed every follower from distinct validators, each validator about as many followers as the next", () => {
    const committee = selectValidators(peers, 32, seed);
    const { feedersOf, followersOf } = feedAssignment(peers, committee);
    const followers = peers.filter((p) => !committee.includes(p));
    expect(feedersOf.size).toBe(followers.length);
    for (const follower of followers) {
      const feeders = feedersOf.get(follower)!;
      expect(feeders).toHaveLength(FEEDERS_PER_FOLLOWER);
      expect(new Set(feeders).size).toBe(FEEDERS_PER_FOLLOWER);
      for (const feeder of feeders) expect(followersOf.get(feeder)).toContain(follower);
    }
    const loads = committee.map((v) => followersOf.get(v)!.length);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
  });
});
