// The simulator's clock: events run in time order, ties in the order they were scheduled, and an
// event may schedule more (at its own time or later) while the clock runs.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtualClock } from "../sim/clock.ts";

describe("the virtual clock", () => {
  it("runs events by time, ties in scheduling order, including events scheduled while running", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: -1, max: 20 })), { maxLength: 300 }), (plan) => {
        const clock = new VirtualClock();
        const ran: { at: number; seq: number }[] = [];
        let seq = 0;
        const schedule = (at: number, then: number) => {
          const mine = seq++;
          clock.at(at, () => {
            ran.push({ at: clock.now, seq: mine });
            // A follow-up `then` ms later (never earlier than now), scheduled from inside an event.
            if (then >= 0) schedule(clock.now + then, -1);
          });
        };
        for (const [at, then] of plan) schedule(at, then);
        clock.runUntil(1_000);
        expect(ran).toHaveLength(seq);
        for (let i = 1; i < ran.length; i++) {
          const [a, b] = [ran[i - 1], ran[i]];
          expect(a.at < b.at || (a.at === b.at && a.seq < b.seq)).toBe(true);
        }
        expect(clock.pending).toBe(0);
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
