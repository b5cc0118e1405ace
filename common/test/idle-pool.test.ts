// The pool of things kept unused between users of one key (request and exchange streams).
import { describe, expect, it } from "vitest";
import { IdlePool } from "../idle-pool.ts";

describe("an idle pool", () => {
  it("hands out the newest kept item first, keeps at most its fill per key, and closes what it does not keep", () => {
    const closed: string[] = [];
    const pool = new IdlePool<string>({ maxPerKey: 2, idleMs: 60_000, close: (item) => closed.push(item) });
    pool.keep("a", "a1");
    pool.keep("a", "a2");
    pool.keep("a", "a3"); // over the fill
    pool.keep("b", "b1");
    expect(closed).toEqual(["a3"]);
    expect(pool.take("a")).toBe("a2");
    // Items take() refuses are closed, not handed out.
    expect(pool.take("a", (item) => item !== "a1")).toBeUndefined();
    expect(closed).toEqual(["a3", "a1"]);
    expect(pool.take("a")).toBeUndefined();
    pool.closeAll();
    expect(closed).toEqual(["a3", "a1", "b1"]);
    expect(pool.take("b")).toBeUndefined();
  });

  it("closes an item left unused for its idle time, and not one taken before", async () => {
    const closed: string[] = [];
    const pool = new IdlePool<string>({ maxPerKey: 4, idleMs: 20, close: (item) => closed.push(item) });
    pool.keep("a", "stale");
    pool.keep("a", "taken");
    expect(pool.take("a")).toBe("taken");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(closed).toEqual(["stale"]);
    expect(pool.take("a")).toBeUndefined();
  });
});
