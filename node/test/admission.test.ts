// The open transactions a node admits: its recent decision rate times BACKLOG_MS, counted over a
// sliding two-second window, never below MIN_OPEN nor above MAX_OPEN.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdmissionLimit, BACKLOG_MS, MAX_OPEN, MIN_OPEN } from "../admission.ts";

describe("AdmissionLimit", () => {
  it("admits MIN_OPEN before anything was decided", () => {
    expect(new AdmissionLimit().limit(1_000_000)).toBe(MIN_OPEN);
  });

  it("admits what the node decides in BACKLOG_MS at its recent rate", () => {
    const admission = new AdmissionLimit();
    const start = 1_000_000;
    // 600 decisions a second for two seconds, 15 every 25 ms.
    for (let t = 0; t < 2_000; t += 25) admission.decided(15, start + t);
    expect(admission.limit(start + 1_999)).toBe((600 * BACKLOG_MS) / 1_000);
  });

  it("forgets decisions older than its window, and all of them after a quiet spell", () => {
    const admission = new AdmissionLimit();
    const start = 1_000_000;
    for (let t = 0; t < 2_000; t += 25) admission.decided(15, start + t);
    // A second later only the last second's 600 decisions count (half the window).
    expect(admission.limit(start + 2_999)).toBe(300);
    expect(admission.limit(start + 60_000)).toBe(MIN_OPEN);
    admission.decided(10_000, start + 60_000);
    expect(admission.limit(start + 60_001)).toBe(MAX_OPEN);
  });

  it("stays within its bounds and counts only the window, for any decisions at any times", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), count: fc.integer({ min: 0, max: 2_000 }) }), { maxLength: 60 }), (events) => {
        const admission = new AdmissionLimit();
        let now = 5_000_000;
        const seen: { at: number; count: number }[] = [];
        for (const { gap, count } of events) {
          now += gap;
          admission.decided(count, now);
          seen.push({ at: now, count });
        }
        const limit = admission.limit(now);
        expect(limit).toBeGreaterThanOrEqual(MIN_OPEN);
        expect(limit).toBeLessThanOrEqual(MAX_OPEN);
        // Buckets are 250 ms: everything of the last 1.75 s counts, nothing older than 2 s does.
        const surely = seen.filter((e) => now - e.at < 1_750).reduce((s, e) => s + e.count, 0);
        const atMost = seen.filter((e) => now - e.at < 2_000).reduce((s, e) => s + e.count, 0);
        const bounded = (n: number) => Math.min(MAX_OPEN, Math.max(MIN_OPEN, Math.round((n * BACKLOG_MS) / 2_000)));
        expect(limit).toBeGreaterThanOrEqual(bounded(surely));
        expect(limit).toBeLessThanOrEqual(bounded(atMost));
      }),
    );
  });
});
