// Supply, rewards and fees as pure functions. 1e9 coins of 1e9 base units exist from genesis;
// rewards pay 1e6 coins in each of 1,000 epochs, an epoch being one lunation (full moon to
// full moon), and each epoch's reward is paid during the next epoch. Fees are outputs of the
// transactions that pay them.
import { invariant } from "../../common/errors.ts";
import { COIN } from "../schema.ts";

export const REWARD_EPOCHS = 1_000;
export const REWARD_PER_EPOCH = 1_000_000n * COIN;
/** Rewards for epoch n are paid during epoch n + REWARD_LAG. */
export const REWARD_LAG = 1;

const DAY_MS = 86_400_000;
/** Mean synodic month (Meeus, Astronomical Algorithms, ch. 49). */
export const SYNODIC_MONTH_DAYS = 29.530588861;
/** Julian Ephemeris Day of the mean new moon k = 0 (2000-01-06). */
const JDE_K0 = 2451550.09766;
const UNIX_EPOCH_JD = 2440587.5;

const rad = (degrees: number) => (degrees * Math.PI) / 180;

/**
 * The instant of full moon number k (k = 0 follows the new moon of 2000-01-06), from Meeus's
 * mean phase plus the largest periodic terms of ch. 49: within a few minutes of the true time
 * between 1900 and 2100, and the same on every machine (no clock, no tables).
 */
export function fullMoonMs(k: number): number {
  invariant(Number.isInteger(k), "lunation number must be whole");
  const kk = k + 0.5;
  const T = kk / 1236.85;
  const jde = JDE_K0 + SYNODIC_MONTH_DAYS * kk + 0.00015437 * T * T;
  const E = 1 - 0.002516 * T;
  const M = rad(2.5534 + 29.1053567 * kk); // Sun's mean anomaly
  const Mp = rad(201.5643 + 385.81693528 * kk); // Moon's mean anomaly
  const F = rad(160.7108 + 390.67050284 * kk); // Moon's argument of latitude
  const Omega = rad(124.7746 - 1.56375588 * kk);
  const correction =
    -0.40614 * Math.sin(Mp) +
    0.17302 * E * Math.sin(M) +
    0.01614 * Math.sin(2 * Mp) +
    0.01043 * Math.sin(2 * F) +
    0.00734 * E * Math.sin(Mp - M) -
    0.00515 * E * Math.sin(Mp + M) +
    0.00209 * E * E * Math.sin(2 * M) -
    0.00111 * Math.sin(Mp - 2 * F) -
    0.00057 * Math.sin(Mp + 2 * F) +
    0.00056 * E * Math.sin(2 * Mp + M) -
    0.00042 * Math.sin(3 * Mp) +
    0.00042 * E * Math.sin(M + 2 * F) +
    0.00038 * E * Math.sin(M - 2 * F) -
    0.00024 * E * Math.sin(2 * Mp - M) -
    0.00017 * Math.sin(Omega);
  // Terrestrial time runs about a minute ahead of UTC in this era; the difference is below the model's error.
  return Math.round((jde + correction - UNIX_EPOCH_JD) * DAY_MS);
}

/** The lunation whose full moon is the last one at or before `ms`. */
export function lunationAt(ms: number): number {
  let k = Math.floor((ms / DAY_MS + UNIX_EPOCH_JD - JDE_K0) / SYNODIC_MONTH_DAYS - 0.5);
  while (fullMoonMs(k + 1) <= ms) k++;
  while (fullMoonMs(k) > ms) k--;
  return k;
}

export interface EpochSchedule {
  /** The network's genesis time: epoch 0 starts at the first full moon after it. */
  genesisMs: number;
}

/** The reward epoch at `ms` (−1 before the first full moon after genesis). */
export function epochAt(schedule: EpochSchedule, ms: number): number {
  const first = lunationAt(schedule.genesisMs) + 1;
  return lunationAt(ms) - first;
}

export function epochBounds(schedule: EpochSchedule, epoch: number): { startMs: number; endMs: number } {
  const first = lunationAt(schedule.genesisMs) + 1;
  return { startMs: fullMoonMs(first + epoch), endMs: fullMoonMs(first + epoch + 1) };
}

/** Rewards earned in `epoch`; nothing after the last epoch. */
export function epochReward(epoch: number): bigint {
  return epoch >= 0 && epoch < REWARD_EPOCHS ? REWARD_PER_EPOCH : 0n;
}

/**
 * The payout of an epoch's reward, made during the following epoch: each peer's share in
 * proportion to the fees it earned in the epoch, in base units, the rounding remainder to the
 * peer with the most work (ties: the smallest id) so the sum is exact.
 */
export function rewardPayout(epoch: number, feesEarned: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const reward = epochReward(epoch);
  const total = [...feesEarned.values()].reduce((a, b) => a + b, 0n);
  const payout = new Map<string, bigint>();
  if (reward === 0n || total === 0n) return payout;
  let paid = 0n;
  for (const [peer, fees] of feesEarned) {
    invariant(fees >= 0n, "negative fees");
    const share = (reward * fees) / total;
    payout.set(peer, share);
    paid += share;
  }
  const top = [...feesEarned].sort((a, b) => (a[1] === b[1] ? (a[0] < b[0] ? -1 : 1) : a[1] > b[1] ? -1 : 1))[0][0];
  payout.set(top, payout.get(top)! + reward - paid);
  return payout;
}

/** The epoch whose reward is paid while `epoch` runs. */
export function paidEpoch(epoch: number): number {
  return epoch - REWARD_LAG;
}
