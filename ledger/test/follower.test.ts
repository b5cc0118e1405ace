// A follower (a peer outside the committee) applies what its feeders commit: a certificate
// with ACCEPTED votes of 2/3 of the validators, in its feeder's commit order. A certificate short
// of that is not applied, and a gap in a feed is asked for.
import { describe, expect, it } from "vitest";
import { generateKeyPair, sign, toHex, verify } from "../crypto.ts";
import { LedgerNode, type Message } from "../consensus/node.ts";
import { MemoryLedger } from "../consensus/memory-ledger.ts";
import { feedAssignment } from "../consensus/validators.ts";
import { peerIdOf } from "../identity/index.ts";
import { makeEvidence, ObservationBuilder } from "../observation/index.ts";
import { TOTAL_SUPPLY, TxState, type ObservationEdge, type Transaction } from "../schema.ts";
import { addressOf, buildTransfer, nodeSigner, txHash } from "../tx/index.ts";

const keys = [1, 2, 3, 4, 5].map((b) => generateKeyPair(new Uint8Array(32).fill(b)));
const ids = keys.map((k) => peerIdOf({ masterKey: k.publicKey, powNonce: 0n }));
const peers = ids.map(toHex);
const validators = peers.slice(0, 4);
const follower = peers[4];
const treasury = generateKeyPair(new Uint8Array(32).fill(9));
const genesis: Transaction = {
  body: { inputs: [], outputs: [{ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: TOTAL_SUPPLY, fee: false }], createdMs: 0n, nonce: 0n },
  witnesses: [],
};

function followerNode(): { node: LedgerNode; state: MemoryLedger } {
  const state = new MemoryLedger();
  state.commit(genesis, txHash(genesis.body!), [], 0, []);
  const node = new LedgerNode({
    self: follower,
    signer: { peer: ids[4], publicKey: keys[4].publicKey, sign: (m) => sign(m, keys[4].secretKey) },
    peers,
    validators,
    publicKeyOf: (p) => keys[peers.indexOf(p)]?.publicKey,
    state,
    verify,
    intervalMs: 50,
  });
  return { node, state };
}

/** ACCEPTED for `tx`, signed by validator `i` in an observation with one other entry: the edge of that vote. */
function acceptedBy(i: number, tx: Transaction): ObservationEdge {
  const builder = new ObservationBuilder({ peer: ids[i], publicKey: keys[i].publicKey, sign: (m) => sign(m, keys[i].secretKey) }, 50);
  builder.observe({ txHash: new Uint8Array(32).fill(7), state: TxState.TX_STATE_PENDING, observedMs: 1n });
  builder.observe({ txHash: txHash(tx.body!), state: TxState.TX_STATE_ACCEPTED, observedMs: 1n });
  builder.seal(1);
  return builder.edgeFor(txHash(tx.body!), TxState.TX_STATE_ACCEPTED)!;
}

function transfer(amount: bigint): Transaction {
  return buildTransfer(
    { available: [{ outPoint: { txHash: txHash(genesis.body!), index: 0 }, output: genesis.body!.outputs[0] }], to: addressOf(keys[1].publicKey), amount, fee: 0n, createdMs: 0 },
    nodeSigner(treasury),
  );
}

const feeder = feedAssignment(peers, validators).feedersOf.get(follower)![0];

describe("a follower", () => {
  it("is not a validator, and votes nowhere", () => {
    const { node } = followerNode();
    expect(node.isValidator).toBe(false);
    expect(node.weightOf(follower)).toBe(0);
    expect(node.weightOf(validators[0])).toBe(1);
  });

  it("applies a certificate with 2/3 of the committee's ACCEPTED votes, and not one short of that", () => {
    const { node, state } = followerNode();
    const tx = transfer(5n);
    const short: Message = { kind: "certified", items: [{ tx, votes: [acceptedBy(0, tx), acceptedBy(1, tx), acceptedBy(1, tx)] }], feed: { first: 0, next: 1 } };
    const asks = node.receive(short, feeder, 10);
    expect(state.isCommitted(txHash(tx.body!))).toBe(false);
    // It asks validators for a certificate that holds.
    expect(asks.some((o) => o.message.kind === "certify")).toBe(true);
    const full: Message = { kind: "certified", items: [{ tx, votes: [acceptedBy(0, tx), acceptedBy(1, tx), acceptedBy(2, tx)] }] };
    node.receive(full, validators[3], 20);
    expect(state.isCommitted(txHash(tx.body!))).toBe(true);
    expect(node.status(toHex(txHash(tx.body!)))).toBe("committed");
  });

  it("does not count the vote of a validator it convicted of equivocation", () => {
    const { node, state } = followerNode();
    // Validator 2 signs PENDING for two transfers that spend the same output.
    const [a, b] = [transfer(3n), transfer(4n)];
    const builder = new ObservationBuilder({ peer: ids[2], publicKey: keys[2].publicKey, sign: (m) => sign(m, keys[2].secretKey) }, 50);
    for (const tx of [a, b]) builder.observe({ txHash: txHash(tx.body!), state: TxState.TX_STATE_PENDING, observedMs: 1n });
    builder.seal(1);
    const pendingEdge = (tx: Transaction) => builder.edgeFor(txHash(tx.body!), TxState.TX_STATE_PENDING)!;
    node.receive({ kind: "evidence", evidence: makeEvidence(pendingEdge(a), a.body!, pendingEdge(b), b.body!) }, validators[0], 5);
    expect(node.weightOf(validators[2])).toBe(0);
    // Three of four validators, one of them convicted: two of four weigh less than 2/3.
    const tx = transfer(6n);
    node.receive({ kind: "certified", items: [{ tx, votes: [0, 1, 2].map((i) => acceptedBy(i, tx)) }], feed: { first: 0, next: 1 } }, feeder, 10);
    expect(state.isCommitted(txHash(tx.body!))).toBe(false);
    node.receive({ kind: "certified", items: [{ tx, votes: [0, 1, 3].map((i) => acceptedBy(i, tx)) }] }, validators[3], 20);
    expect(state.isCommitted(txHash(tx.body!))).toBe(true);
  });

  it("asks its feeder for what a gap in the feed's positions says it missed", () => {
    const { node } = followerNode();
    const tx = transfer(7n);
    const later: Message = { kind: "certified", items: [{ tx, votes: [0, 1, 2].map((i) => acceptedBy(i, tx)) }], feed: { first: 5, next: 6 } };
    const out = node.receive(later, feeder, 10);
    expect(out).toContainEqual({ to: [feeder], message: { kind: "sync", fromSeq: 0 } });
    // A feed that continues where this node is needs nothing more.
    const { node: other } = followerNode();
    expect(other.receive({ ...later, feed: { first: 0, next: 1 } }, feeder, 10).filter((o) => o.message.kind === "sync")).toEqual([]);
  });
});
