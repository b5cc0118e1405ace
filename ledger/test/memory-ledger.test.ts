// The simulator's in-memory state: per output and per transaction it keeps a few numbers, in
// chunks of 4,096; these cases cross chunk boundaries for outputs, transactions and positions.
import { describe, expect, it } from "vitest";
import { MemoryLedger, OutputRegistry } from "../consensus/memory-ledger.ts";
import type { Transaction } from "../schema.ts";
import { txHash, txKey } from "../tx/hash.ts";

const address = new Uint8Array(32).fill(1);
const product = new Uint8Array();

function minted(outputs: number, nonce: number): Transaction {
  return { body: { inputs: [], outputs: Array.from({ length: outputs }, () => ({ address, product, amount: 1n, fee: false })), createdMs: 0n, nonce: BigInt(nonce) }, witnesses: [] };
}

function spending(tx: Transaction, index: number, nonce: number): Transaction {
  return { body: { inputs: [{ outPoint: { txHash: txHash(tx.body!), index }, referenceOnly: false }], outputs: [{ address, product, amount: 1n, fee: false }], createdMs: 0n, nonce: BigInt(nonce) }, witnesses: [] };
}

describe("the memory ledger", () => {
  it("keeps outputs, commits and positions past several chunks", () => {
    const ledger = new MemoryLedger(new OutputRegistry());
    const wide = minted(10_000, 0);
    ledger.commit(wide, txHash(wide.body!), [], 5, []);
    const small = Array.from({ length: 5_000 }, (_, i) => minted(1, i + 1));
    small.forEach((tx, i) => ledger.commit(tx, txHash(tx.body!), [], 10 + i, []));
    expect(ledger.committedCount()).toBe(5_001);
    expect(ledger.coinSupply()).toBe(15_000n);

    const last = { txHash: txHash(wide.body!), index: 9_999 };
    expect(ledger.output(last)).toMatchObject({ acceptedMs: 5, spentBy: undefined });
    const spend = spending(wide, 9_999, 1_000_000);
    ledger.commit(spend, txHash(spend.body!), [last], 9_000, []);
    expect(ledger.output(last)?.spentBy).toEqual(txHash(spend.body!));
    expect(ledger.output({ txHash: txHash(spend.body!), index: 0 })).toMatchObject({ acceptedMs: 9_000, spentBy: undefined });
    expect(ledger.coinSupply()).toBe(15_000n);

    expect(ledger.isCommittedKey(txKey(small[4_500].body!))).toBe(true);
    expect(ledger.certificate(txKey(small[4_500].body!))?.position).toBe(4_501);
    expect(ledger.firstCommitSince(10 + 4_200)).toBe(4_201);
    expect(ledger.lastCommitMs()).toBe(9_000);
    expect(ledger.certificatesFrom(5_000, 10).map((c) => c.tx)).toEqual([small[4_999], spend]);
  });

  it("counts coins of any size exactly, and only coins", () => {
    const ledger = new MemoryLedger(new OutputRegistry());
    const amounts = [(1n << 63n) + 12_345n, (1n << 32n) - 1n, 1n << 32n, 7n];
    const tx: Transaction = {
      body: { inputs: [], outputs: [...amounts.map((amount) => ({ address, product, amount, fee: false })), { address, product: new Uint8Array([9]), amount: 1_000n, fee: false }], createdMs: 0n, nonce: 0n },
      witnesses: [],
    };
    ledger.commit(tx, txHash(tx.body!), [], 0, []);
    expect(ledger.coinSupply()).toBe(amounts.reduce((a, b) => a + b));
    const spend = spending(tx, 0, 1);
    ledger.commit(spend, txHash(spend.body!), [{ txHash: txHash(tx.body!), index: 0 }], 1, []);
    expect(ledger.coinSupply()).toBe(amounts.slice(1).reduce((a, b) => a + b) + 1n);
  });

  it("knows nothing of what another ledger on the same registry committed", () => {
    const registry = new OutputRegistry();
    const [one, other] = [new MemoryLedger(registry), new MemoryLedger(registry)];
    const txs = Array.from({ length: 4_100 }, (_, i) => minted(1, i));
    txs.forEach((tx, i) => one.commit(tx, txHash(tx.body!), [], i, []));
    other.commit(txs[4_099], txHash(txs[4_099].body!), [], 1, []);
    expect(other.isCommittedKey(txKey(txs[4_098].body!))).toBe(false);
    expect(other.output({ txHash: txHash(txs[4_000].body!), index: 0 })).toBeUndefined();
    expect(other.certificate(txKey(txs[4_099].body!))?.position).toBe(0);
    expect(other.coinSupply()).toBe(1n);
  });

  it("counts each ledger's coins apart, across groups of ledgers, again after any of them commits", () => {
    const registry = new OutputRegistry();
    const ledgers = Array.from({ length: 70 }, () => new MemoryLedger(registry)); // more than one group of 64
    const txs = Array.from({ length: 70 }, (_, i) => minted(i + 1, i));
    ledgers.forEach((ledger, i) => ledger.commit(txs[i], txHash(txs[i].body!), [], 0, []));
    expect(ledgers.map((l) => l.coinSupply())).toEqual(ledgers.map((_, i) => BigInt(i + 1)));
    const [first, neighbour, far] = [ledgers[0], ledgers[1], ledgers[66]];
    neighbour.commit(txs[0], txHash(txs[0].body!), [], 1, []);
    far.commit(txs[5], txHash(txs[5].body!), [], 1, []);
    expect([first.coinSupply(), neighbour.coinSupply(), far.coinSupply()]).toEqual([1n, 3n, 73n]);
  });
});
