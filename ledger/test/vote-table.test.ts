// A node's vote tables: slots handed out and reused a chunk at a time, votes by slot and voter,
// and the bit sets followers weigh certificates by.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addVoter, countVotersOutside, hasVoter, SlotPool, VoteTable, type VoterSet } from "../consensus/vote-table.ts";

function voterSet(indices: number[]): VoterSet {
  const voters: number[] = [];
  for (const index of indices) addVoter(voters, index);
  return voters;
}

describe("vote tables", () => {
  it("keep each slot's votes apart, in committee order", () => {
    const table = new VoteTable<string>(100);
    const pool = new SlotPool([table]);
    const slots = Array.from({ length: 200 }, () => pool.take());
    expect(new Set(slots).size).toBe(200);
    slots.forEach((slot, i) => {
      table.set(slot, 99, `last ${i}`);
      table.set(slot, i % 100, `vote ${i}`);
    });
    expect(table.votes(slots[150])).toEqual(["vote 150", "last 150"]);
    expect(table.get(slots[150], 49)).toBeUndefined();
    table.clear(slots[150]);
    expect(table.votes(slots[150])).toEqual([]);
    expect(table.votes(slots[151])).toEqual(["vote 151", "last 151"]);
  });

  it("say a vote is there exactly when it is, through sets, clears and freed chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("set", "clear", "clearChunk"), fc.nat({ max: 200 }), fc.nat({ max: 69 }))), (steps) => {
        const table = new VoteTable<string>(70);
        for (const [step, slot, voter] of steps) {
          if (step === "set") table.set(slot, voter, `${slot}/${voter}`);
          else if (step === "clear") table.clear(slot);
          else table.clearChunk(slot >> 6);
        }
        for (let slot = 0; slot <= 200; slot++) {
          for (let voter = 0; voter < 70; voter++) expect(table.has(slot, voter)).toBe(table.get(slot, voter) !== undefined);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("reuse a chunk of slots only once all of it was given back, its votes cleared", () => {
    const table = new VoteTable<string>(4);
    const pool = new SlotPool([table]);
    const first = Array.from({ length: 64 }, () => pool.take());
    const second = Array.from({ length: 64 }, () => pool.take());
    for (const slot of [...first, ...second]) table.set(slot, 1, `vote ${slot}`);
    // One slot of the first chunk still held: nothing of that chunk comes back.
    for (const slot of first.slice(1)) pool.give(slot);
    const third = Array.from({ length: 64 }, () => pool.take());
    expect(third.some((slot) => first.includes(slot))).toBe(false);
    expect(table.get(first[0], 1)).toBe(`vote ${first[0]}`);
    // Once the last one is back, the chunk is reused and its old votes are gone.
    pool.give(first[0]);
    const fourth = Array.from({ length: 64 }, () => pool.take());
    expect([...fourth].sort((a, b) => a - b)).toEqual([...first].sort((a, b) => a - b));
    expect(fourth.every((slot) => table.get(slot, 1) === undefined)).toBe(true);
    expect(table.get(second[5], 1)).toBe(`vote ${second[5]}`);
  });

  it("free a chunk emptied while slots were still handed out from it, once it is left", () => {
    const table = new VoteTable<string>(2);
    const pool = new SlotPool([table]);
    const early = Array.from({ length: 10 }, () => pool.take());
    for (const slot of early) table.set(slot, 0, "old");
    for (const slot of early) pool.give(slot);
    const rest = Array.from({ length: 54 }, () => pool.take()); // the first chunk, to its end
    for (const slot of rest) pool.give(slot);
    pool.take(); // a second chunk: the first is left, empty
    const reused = Array.from({ length: 64 }, () => pool.take());
    expect(reused).toContain(early[0]);
    expect(table.get(early[0], 0)).toBeUndefined();
  });
});

describe("voter sets", () => {
  it("hold committee indices across words, each once", () => {
    const indices = [0, 5, 31, 32, 63, 64, 99, 5];
    const voters = voterSet(indices);
    for (let index = 0; index < 128; index++) expect(hasVoter(voters, index)).toBe(indices.includes(index));
    expect(countVotersOutside(voters, [])).toBe(7);
    expect(countVotersOutside(voterSet([]), voters)).toBe(0);
  });

  it("count the indices outside another set, whatever the words' lengths", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 130 })), fc.array(fc.nat({ max: 130 })), (a, b) => {
        const outside = new Set(a.filter((i) => !b.includes(i)));
        expect(countVotersOutside(voterSet(a), voterSet(b))).toBe(outside.size);
      }),
    );
  });
});
