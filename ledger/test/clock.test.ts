// The simulator's clock: events run in time order, ties in the order they were scheduled, and an
// event may schedule more (at its own time or later) while the clock runs.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtualClock } from "../sim/clock.ts";

/**
 * A clock with `plan`'s events scheduled: each [at, then] runs at `at` and, when `then` is not
 * negative, schedules from inside itself a follow-up `then` ms later (never earlier than now).
 * `ran` records what ran, in order; `scheduled()` counts every event scheduled so far.
 */
function scheduling(plan: readonly (readonly [number, number])[]) {
  const clock = new VirtualClock();
  const ran: { at: number; seq: number }[] = [];
  let seq = 0;
  const schedule = (at: number, then: number) => {
    const mine = seq++;
    clock.at(at, () => {
      ran.push({ at: clock.now, seq: mine });
      if (then >= 0) schedule(clock.now + then, -1);
    });
  };
  for (const [at, then] of plan) schedule(at, then);
  return { clock, ran, scheduled: () => seq };
}

/** Every scheduled event ran, by time, ties in scheduling order, and none is left. */
function expectRanInOrder(clock: VirtualClock, ran: readonly { at: number; seq: number }[], scheduled: number): void {
  expect(ran).toHaveLength(scheduled);
  for (let i = 1; i < ran.length; i++) {
    const [a, b] = [ran[i - 1], ran[i]];
    expect(a.at < b.at || (a.at === b.at && a.seq < b.seq)).toBe(true);
  }
  expect(clock.pending).toBe(0);
}

describe("the virtual clock", () => {
  it("runs events by time, ties in scheduling order, including events scheduled while running", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: -1, max: 20 })), { maxLength: 300 }), (plan) => {
        const { clock, ran, scheduled } = scheduling(plan);
        clock.runUntil(1_000);
        expectRanInOrder(clock, ran, scheduled());
      }),
    );
  });

  it("stops at `until`, keeping later events", () => {
    const clock = new VirtualClock();
    const ran: number[] = [];
    for (const at of [30, 10, 20]) clock.at(at, () => ran.push(at));
    clock.runUntil(20);
    expect(ran).toEqual([10, 20]);
    expect(clock.now).toBe(20);
    expect(clock.pending).toBe(1);
  });
});

describe("the virtual clock's buckets and heap together", () => {
  it("runs whole and fractional times, near and far, in order, across several runUntil calls", () => {
    const time = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 60, noNaN: true }), fc.integer({ min: 4_000, max: 20_000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(time, fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 9_000, noNaN: true }))), { maxLength: 300 }), fc.array(fc.double({ min: 0, max: 30_000, noNaN: true }), { maxLength: 4 }), (plan, stops) => {
        const { clock, ran, scheduled } = scheduling(plan);
        for (const stop of [...stops].sort((a, b) => a - b)) {
          clock.runUntil(stop);
          expect(ran.every((r) => r.at <= stop)).toBe(true);
        }
        clock.runUntil(100_000);
        expectRanInOrder(clock, ran, scheduled());
      }),
    );
  });
});
