import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateKeyPair, sign } from "../crypto.ts";
import { encode } from "../encoding/index.ts";
import { entryEdge, entryLeaf, makeEvidence, observationEdge, ObservationBuilder, verifyEdge, verifyEvidence, verifyObservation } from "../observation/index.ts";
import { ObservationEntry, TxState, type TransactionBody } from "../schema.ts";
import { txHash } from "../tx/hash.ts";

const keys = generateKeyPair(new Uint8Array(32).fill(5));
const signer = { peer: new Uint8Array(32).fill(6), publicKey: keys.publicKey, sign: (m: Uint8Array) => sign(m, keys.secretKey) };
const hashOf = (i: number) => new Uint8Array(32).fill(i);

function spend(nonce: bigint): TransactionBody {
  return { inputs: [{ outPoint: { txHash: new Uint8Array(32).fill(9), index: 0 }, referenceOnly: false }], outputs: [], createdMs: 0n, nonce };
}

describe("observations", () => {
  it("batch entries per interval, sign the root and chain to the previous one", () => {
    const builder = new ObservationBuilder(signer, 50);
    builder.observe({ txHash: hashOf(1), state: TxState.TX_STATE_PENDING, observedMs: 10n });
    const first = builder.seal(10)!;
    expect(first).toBeDefined();
    builder.observe({ txHash: hashOf(2), state: TxState.TX_STATE_PENDING, observedMs: 20n });
    expect(builder.seal(20)).toBeUndefined(); // within the interval
    builder.seePeerRoot({ peer: hashOf(7), sequence: 3n, root: hashOf(8) });
    const second = builder.seal(60)!;
    expect(second.header!.previousRoot).toEqual(first.header!.merkleRoot);
    expect(second.header!.sequence).toBe(2n);
    expect(verifyObservation(first, keys.publicKey)).toBe(true);
    expect(verifyObservation(second, keys.publicKey)).toBe(true);
    expect(verifyObservation({ ...second, entries: [] }, keys.publicKey)).toBe(false);
    expect(verifyObservation(second, generateKeyPair(new Uint8Array(32).fill(1)).publicKey)).toBe(false);
  });

  it("give edges that verify offline, and not for another entry", () => {
    const builder = new ObservationBuilder(signer, 1);
    for (let i = 1; i <= 100; i++) builder.observe({ txHash: hashOf(i), state: TxState.TX_STATE_ACCEPTED, observedMs: BigInt(i) });
    builder.seal(5);
    const edge = builder.edgeFor(hashOf(42), TxState.TX_STATE_ACCEPTED)!;
    expect(verifyEdge(edge, keys.publicKey)).toBe(true);
    expect(verifyEdge({ ...edge, entry: { ...edge.entry!, txHash: hashOf(43) } }, keys.publicKey)).toBe(false);
    expect(verifyEdge({ ...edge, entry: { ...edge.entry!, state: TxState.TX_STATE_PENDING } }, keys.publicKey)).toBe(false);
    expect(builder.edgeFor(hashOf(42), TxState.TX_STATE_PENDING)).toBeUndefined();
  });

  it("cut each entry's edge once; one cut from a verified observation needs no check but still holds only under its key", () => {
    const builder = new ObservationBuilder(signer, 1);
    for (let i = 1; i <= 30; i++) builder.observe({ txHash: hashOf(i), state: TxState.TX_STATE_ACCEPTED, observedMs: BigInt(i) });
    const sealed = builder.seal(5)!;
    // A copy, as a peer's observation arrives: verified here before any edge is cut from it.
    const received = { ...sealed, entries: sealed.entries.map((e) => ({ ...e })) };
    expect(verifyObservation(received, keys.publicKey)).toBe(true);
    const edge = entryEdge(received, 7);
    expect(entryEdge(received, 7)).toBe(edge);
    expect(observationEdge(received, hashOf(8), TxState.TX_STATE_ACCEPTED)).toBe(edge);
    expect(verifyEdge(edge, keys.publicKey, () => false)).toBe(true); // no signature check needed
    expect(verifyEdge(edge, generateKeyPair(new Uint8Array(32).fill(2)).publicKey)).toBe(false);
    // A forged copy (a new object) is checked in full.
    expect(verifyEdge({ ...edge, entry: { ...edge.entry!, txHash: hashOf(9) } }, keys.publicKey)).toBe(false);
    expect(verifyEdge({ ...edge }, keys.publicKey, () => false)).toBe(false);
    // An observation not verified here: its edges are checked like any other.
    const unverified = { ...sealed, entries: sealed.entries.map((e) => ({ ...e })) };
    expect(verifyEdge(entryEdge(unverified, 3), keys.publicKey, () => false)).toBe(false);
    expect(verifyEdge(entryEdge(unverified, 3), keys.publicKey)).toBe(true);
  });

  it("give every entry of every observation an edge, and none survives a changed header or path", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }), fc.nat({ max: 5 }), (sizes, peerRoots) => {
        const builder = new ObservationBuilder(signer, 1);
        let seen = 0;
        for (const [round, size] of sizes.entries()) {
          for (let i = 0; i < size; i++) builder.observe({ txHash: hashOf(++seen), state: TxState.TX_STATE_PENDING, observedMs: BigInt(seen) });
          for (let p = 0; p < peerRoots; p++) builder.seePeerRoot({ peer: hashOf(200 + p), sequence: BigInt(round), root: hashOf(round) });
          builder.seal(round + 1);
        }
        for (let i = 1; i <= seen; i++) {
          const edge = builder.edgeFor(hashOf(i), TxState.TX_STATE_PENDING)!;
          expect(verifyEdge(edge, keys.publicKey)).toBe(true);
          const header = edge.header!;
          expect(verifyEdge({ ...edge, header: { ...header, sequence: header.sequence + 1n } }, keys.publicKey)).toBe(false);
          expect(verifyEdge({ ...edge, header: { ...header, previousRoot: hashOf(99) } }, keys.publicKey)).toBe(false);
          expect(verifyEdge({ ...edge, leafIndex: edge.leafIndex + 1 }, keys.publicKey)).toBe(false);
          if (edge.path.length > 0) expect(verifyEdge({ ...edge, path: [hashOf(98), ...edge.path.slice(1)] }, keys.publicKey)).toBe(false);
        }
      }),
      { numRuns: 25 },
    );
  });

  it("turn a peer's PENDING for two conflicting spends into evidence anyone can check", () => {
    const builder = new ObservationBuilder(signer, 1);
    const [a, b] = [spend(1n), spend(2n)];
    builder.observe({ txHash: txHash(a), state: TxState.TX_STATE_PENDING, observedMs: 1n });
    builder.seal(1);
    builder.observe({ txHash: txHash(b), state: TxState.TX_STATE_PENDING, observedMs: 2n });
    builder.seal(2);
    const evidence = makeEvidence(builder.edgeFor(txHash(a), TxState.TX_STATE_PENDING)!, a, builder.edgeFor(txHash(b), TxState.TX_STATE_PENDING)!, b);
    expect(verifyEvidence(evidence, keys.publicKey)).toBe(true);
    // Two PENDING for transactions that do not conflict prove nothing.
    const c = { ...spend(3n), inputs: [{ outPoint: { txHash: new Uint8Array(32).fill(10), index: 0 }, referenceOnly: false }] };
    builder.observe({ txHash: txHash(c), state: TxState.TX_STATE_PENDING, observedMs: 3n });
    builder.seal(3);
    expect(verifyEvidence(makeEvidence(evidence.first!, a, builder.edgeFor(txHash(c), TxState.TX_STATE_PENDING)!, c), keys.publicKey)).toBe(false);
  });

  it("makes an entry's leaf its tag, then its encoding, and leaves the next encoding untouched", () => {
    const entry = { txHash: new Uint8Array(32).fill(5), state: TxState.TX_STATE_ACCEPTED, observedMs: 1234n };
    const plain = encode(ObservationEntry, entry);
    expect(entryLeaf(entry)).toEqual(new Uint8Array([1, ...plain]));
    expect(encode(ObservationEntry, entry)).toEqual(plain);
  });
});
