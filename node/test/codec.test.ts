// Ledger messages on the gossip topic: batches written without encoding each message again are
// exactly protobuf's canonical bytes, and come back as the messages sent.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode } from "../../ledger/encoding/index.ts";
import { LedgerBatch, LedgerEnvelope } from "../../proto/gen/trustql/network.ts";
import { decodeBatch, encodeBatch, encodeEnvelope } from "../codec.ts";
import type { Message } from "../../ledger/consensus/index.ts";
import { generateKeyPair, sign } from "../../ledger/crypto.ts";
import { observationEdge, ObservationBuilder, verifyEdge } from "../../ledger/observation/index.ts";
import { ObservationEdge, Transaction, TxState } from "../../ledger/schema.ts";

const peer = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
// Want lists of any length: envelopes from a few bytes to tens of kilobytes (multi-byte lengths).
const message = fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 600 }).map((hashes) => ({ kind: "want" as const, hashes: hashes.map((h) => Buffer.from(h).toString("hex")) }));

describe("ledger batches", () => {
  it("are protobuf's own encoding of the envelopes, and decode to the messages sent", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(message, fc.oneof(fc.constant("all" as const), fc.array(peer, { minLength: 1, maxLength: 3 })), peer), { minLength: 1, maxLength: 8 }), (sent) => {
        const envelopes = sent.map(([m, to, from]) => encodeEnvelope(m, to, from));
        const batch = encodeBatch(envelopes);
        expect(batch).toEqual(encode(LedgerBatch, { envelopes: envelopes.map((e) => LedgerEnvelope.decode(e)) }));
        const received = decodeBatch(batch);
        expect(received.map((r) => r.message)).toEqual(sent.map(([m]) => m));
        expect(received.map((r) => r.to)).toEqual(sent.map(([, to]) => to));
        expect(received.map((r) => r.from)).toEqual(sent.map(([, , from]) => from));
      }),
      { numRuns: 60 },
    );
  });

  it("carry catch-up positions: a sync from a position or a time, and a feed's place in its sender's commit order", () => {
    const messages: Message[] = [
      { kind: "sync" },
      { kind: "sync", fromSeq: 0 },
      { kind: "sync", fromSeq: 1234 },
      { kind: "sync", sinceMs: 1_764_800_000_000 },
      { kind: "certified", items: [] },
      { kind: "certified", items: [], feed: { first: 0, next: 0 } },
      { kind: "certified", items: [], feed: { first: 256, next: 9000 } },
    ];
    const received = decodeBatch(encodeBatch(messages.map((m) => encodeEnvelope(m, "all", "ab".repeat(32)))));
    expect(received.map((r) => r.message)).toEqual(messages);
  });

  it("carry a certificate's votes as edges that verify after the trip, however much else their observations held", () => {
    const keys = generateKeyPair(new Uint8Array(32).fill(3));
    const builder = new ObservationBuilder({ peer: new Uint8Array(32).fill(4), publicKey: keys.publicKey, sign: (m) => sign(m, keys.secretKey) }, 50);
    for (let i = 0; i < 2000; i++) builder.observe({ txHash: Uint8Array.from({ length: 32 }, (_, b) => (i >> (b % 2 ? 8 : 0)) & 0xff), state: TxState.TX_STATE_PENDING, observedMs: 1n });
    const hash = new Uint8Array(32).fill(0xee);
    builder.observe({ txHash: hash, state: TxState.TX_STATE_ACCEPTED, observedMs: 1n });
    const observation = builder.seal(1)!;
    const edge = observationEdge(observation, hash, TxState.TX_STATE_ACCEPTED)!;
    expect(observationEdge(observation, hash, TxState.TX_STATE_ACCEPTED)).toBe(edge); // cut once
    const sent: Message = { kind: "certified", items: [{ tx: Transaction.fromPartial({}), votes: [edge] }] };
    const bytes = encodeBatch([encodeEnvelope(sent, "all", "ab".repeat(32))]);
    expect(bytes.length).toBeLessThan(1_000); // the observation itself takes about 90 KB
    const [received] = decodeBatch(bytes);
    const vote = received.message.kind === "certified" ? received.message.items[0].votes[0] : undefined;
    expect(encode(ObservationEdge, vote!)).toEqual(encode(ObservationEdge, edge));
    expect(verifyEdge(vote!, keys.publicKey)).toBe(true);
  });

  it("refuses an empty batch and bytes that are not one canonical batch", () => {
    expect(() => decodeBatch(new Uint8Array())).toThrow(/batch of 0/);
    expect(() => decodeBatch(Uint8Array.of(0x0a, 0x05, 1, 2))).toThrow();
    const envelope = encodeEnvelope({ kind: "want", hashes: ["cd".repeat(32)] }, "all", "ab".repeat(32));
    const batch = encodeBatch([envelope]);
    expect(decodeBatch(batch)).toHaveLength(1);
    expect(() => decodeBatch(Uint8Array.of(0x12, ...batch.subarray(1)))).toThrow(/field 1/);
    expect(() => decodeBatch(Uint8Array.of(0x0a, batch[1] | 0x80, 0x00, ...envelope))).toThrow(/not minimal/);
    expect(() => decodeBatch(Uint8Array.of(...batch, 0x0a))).toThrow(/cut short/);
    expect(() => decodeBatch(Uint8Array.of(...batch, 0x0a, 0x05))).toThrow(/5 bytes with 0 left/);
  });

  it("gives messages that keep their own envelope's bytes, not the batch's", () => {
    const address = new Uint8Array(32).fill(7);
    const tx = Transaction.fromPartial({ body: { outputs: [{ address, product: new Uint8Array(), amount: 5n, fee: false }], nonce: 7n } });
    const envelopes = [encodeEnvelope({ kind: "tx", tx }, "all", "ab".repeat(32)), encodeEnvelope({ kind: "want", hashes: Array(200).fill("cd".repeat(32)) }, "all", "ab".repeat(32))];
    const batch = encodeBatch(envelopes);
    const [received] = decodeBatch(batch);
    const kept = received.message.kind === "tx" ? received.message.tx.body!.outputs[0].address : undefined;
    expect(kept).toEqual(address);
    // A view into a buffer the size of its own envelope: keeping the transaction does not keep the 6 KB want list.
    expect(kept!.buffer.byteLength).toBe(envelopes[0].length);
    expect(batch.length).toBeGreaterThan(6_000);
  });
});
