import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyHash, member, nearest } from "../index.ts";

const members = Array.from({ length: 40 }, (_, i) => member(`12D3KooNode${i}`));

describe("placement by XOR distance", () => {
  it("is the same on every node, whatever order it lists the members in", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 5 }), (target, r) => {
        const shuffled = [...members].reverse();
        expect(nearest(target, shuffled, r).map((m) => m.peerId)).toEqual(nearest(target, members, r).map((m) => m.peerId));
      }),
    );
  });

  it("moves only the keys of a node that leaves", () => {
    const keys = Array.from({ length: 2000 }, (_, i) => keyHash([i]));
    const before = keys.map((k) => nearest(k, members, 1)[0].peerId);
    const leaving = members[7].peerId;
    const after = keys.map((k) => nearest(k, members.filter((m) => m.peerId !== leaving), 1)[0].peerId);
    keys.forEach((_, i) => {
      if (before[i] !== leaving) expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe(leaving);
    });
  });

  it("spreads keys over the nodes", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 8000; i++) {
      const owner = nearest(keyHash([i]), members, 1)[0].peerId;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.size).toBe(members.length);
    expect(Math.max(...counts.values())).toBeLessThan(8000 / members.length * 4);
  });

  it("hashes a key alike whatever its integer width or decimal scale, and salts apart", () => {
    expect(keyHash([42])).toEqual(keyHash([42n]));
    expect(keyHash([{ scaled: 150n, scale: 2 }])).toEqual(keyHash([{ scaled: 15n, scale: 1 }]));
    expect(keyHash([{ scaled: 300n, scale: 2 }])).toEqual(keyHash([3]));
    expect(keyHash([42], 1)).not.toEqual(keyHash([42], 2));
    expect(keyHash([null])).not.toEqual(keyHash([""]));
    expect(keyHash(["a", "bc"])).not.toEqual(keyHash(["ab", "c"]));
  });
});
