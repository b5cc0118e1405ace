import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateKeyPair } from "../crypto.ts";
import { currentHotKey, leadingZeroBits, minePeerId, signRotation, verifyPeerId } from "../identity/index.ts";
import { epochAt, epochBounds, epochReward, fullMoonMs, lunationAt, paidEpoch, REWARD_EPOCHS, REWARD_PER_EPOCH, rewardPayout } from "../economics/index.ts";
import { TOTAL_SUPPLY } from "../schema.ts";

describe("peer ids", () => {
  const master = generateKeyPair(new Uint8Array(32).fill(3));

  it("carry a proof of work that one hash checks", () => {
    const { peer, proof } = minePeerId(master.publicKey, 10);
    expect(leadingZeroBits(peer)).toBeGreaterThanOrEqual(10);
    expect(verifyPeerId(peer, proof, 10)).toBe(true);
    expect(verifyPeerId(peer, { ...proof, powNonce: proof.powNonce + 1n }, 10)).toBe(false);
    expect(verifyPeerId(peer, proof, 200)).toBe(false);
  });

  it("follow the master key's rotations of hot keys, in order and in force", () => {
    const { peer, proof } = minePeerId(master.publicKey, 4);
    const hot1 = generateKeyPair(new Uint8Array(32).fill(4)).publicKey;
    const hot2 = generateKeyPair(new Uint8Array(32).fill(5)).publicKey;
    const rotations = [signRotation(peer, 1n, hot1, 0, master.secretKey), signRotation(peer, 2n, hot2, 1000, master.secretKey)];
    expect(currentHotKey(peer, proof, rotations, 500, 4)).toEqual(hot1);
    expect(currentHotKey(peer, proof, rotations, 1500, 4)).toEqual(hot2);
    const forged = signRotation(peer, 3n, hot1, 0, generateKeyPair(new Uint8Array(32).fill(6)).secretKey);
    expect(currentHotKey(peer, proof, [...rotations, forged], 1500, 4)).toBeUndefined();
    expect(currentHotKey(peer, proof, [rotations[1], rotations[0]], 1500, 4)).toBeUndefined();
  });
});

describe("full moons", () => {
  it("fall within minutes of the published times", () => {
    const known = ["2024-01-25T17:54:00Z", "2025-01-13T22:27:00Z", "2000-01-21T04:40:00Z", "2026-11-24T14:53:00Z"];
    for (const iso of known) {
      const t = Date.parse(iso);
      const k = lunationAt(t + 12 * 3600_000);
      expect(Math.abs(fullMoonMs(k) - t), iso).toBeLessThan(15 * 60_000);
    }
  });

  it("are about a synodic month apart and number every instant once", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1200, max: 1200 }), (k) => {
        const gap = (fullMoonMs(k + 1) - fullMoonMs(k)) / 86_400_000;
        expect(gap).toBeGreaterThan(29.2);
        expect(gap).toBeLessThan(29.9);
        expect(lunationAt(fullMoonMs(k))).toBe(k);
        expect(lunationAt(fullMoonMs(k) - 1)).toBe(k - 1);
      }),
    );
  });
});

describe("rewards", () => {
  const schedule = { genesisMs: Date.parse("2026-01-01T00:00:00Z") };

  it("pay 1e6 coins in each of 1,000 epochs bounded by full moons, one epoch late", () => {
    // Over its 1,000 epochs the schedule pays out exactly the supply genesis created.
    expect(REWARD_PER_EPOCH * BigInt(REWARD_EPOCHS)).toBe(TOTAL_SUPPLY);
    expect(epochReward(0)).toBe(REWARD_PER_EPOCH);
    expect(epochReward(REWARD_EPOCHS)).toBe(0n);
    const { startMs, endMs } = epochBounds(schedule, 0);
    expect(epochAt(schedule, startMs)).toBe(0);
    expect(epochAt(schedule, endMs - 1)).toBe(0);
    expect(epochAt(schedule, endMs)).toBe(1);
    expect(epochAt(schedule, schedule.genesisMs)).toBe(-1);
    expect(paidEpoch(5)).toBe(4);
  });

  it("split an epoch's reward by fees earned, exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { minLength: 1, maxLength: 20 }), (fees) => {
        const earned = new Map(fees.map((f, i) => [`p${i}`, f]));
        const payout = rewardPayout(3, earned);
        const sum = [...payout.values()].reduce((a, b) => a + b, 0n);
        expect(sum).toBe(fees.some((f) => f > 0n) ? REWARD_PER_EPOCH : 0n);
      }),
    );
  });
});
