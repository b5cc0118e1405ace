// The gossip outbox: messages sent together leave as one batch within the gossip limit, and a
// catch-up reply too large for one message leaves as several.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ObservationEdge, Transaction } from "../../proto/gen/trustql/ledger.ts";
import { decodeBatch, MAX_ENVELOPE_BYTES } from "../codec.ts";
import { GossipOutbox, OUTBOX_FLUSH_MS } from "../outbox.ts";

const SELF = "ab".repeat(32);

/** A certificate of about `hashes` × 34 bytes: one vote whose Merkle path is that long. */
function certifiedItem(hashes: number) {
  const edge = ObservationEdge.fromPartial({ path: Array.from({ length: hashes }, (_, i) => new Uint8Array(32).fill(i % 251)) });
  return { tx: Transaction.fromPartial({}), votes: [edge] };
}

afterEach(() => vi.useRealTimers());

describe("the gossip outbox", () => {
  it("sends what waited together as one batch, after OUTBOX_FLUSH_MS or at flush()", () => {
    vi.useFakeTimers();
    const batches: Uint8Array[] = [];
    const outbox = new GossipOutbox(SELF, (b) => batches.push(b));
    for (let i = 0; i < 10; i++) expect(outbox.send({ kind: "want", hashes: ["cd".repeat(32)] }, "all")).toBe(true);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(OUTBOX_FLUSH_MS);
    expect(batches).toHaveLength(1);
    expect(decodeBatch(batches[0])).toHaveLength(10);
    outbox.send({ kind: "sync" }, ["ef".repeat(32)]);
    outbox.flush();
    expect(batches).toHaveLength(2);
    expect(decodeBatch(batches[1])[0]).toMatchObject({ message: { kind: "sync" }, to: ["ef".repeat(32)], from: SELF });
  });

  it("splits a catch-up reply over the gossip limit into messages under it, and refuses one item that cannot fit", () => {
    const batches: Uint8Array[] = [];
    const outbox = new GossipOutbox(SELF, (b) => batches.push(b));
    const items = Array.from({ length: 8 }, () => certifiedItem(6_000));
    expect(outbox.send({ kind: "certified", items }, "all")).toBe(true);
    outbox.flush();
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(MAX_ENVELOPE_BYTES);
    const delivered = batches.flatMap((b) => decodeBatch(b)).flatMap((m) => (m.message.kind === "certified" ? m.message.items : []));
    expect(delivered).toHaveLength(items.length);
    expect(outbox.send({ kind: "certified", items: [certifiedItem(40_000)] }, "all")).toBe(false);
  });
});
