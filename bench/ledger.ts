// `npm run bench:ledger`: single-node ledger throughput on this machine, each figure beside
// the reference it is bounded by, measured in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, sign, verify } from "../ledger/crypto.ts";
import { buildTree, verifyProof } from "../ledger/merkle/index.ts";
import { UtxoStore } from "../ledger/store/index.ts";
import { COIN, type Output, type Transaction } from "../ledger/schema.ts";
import { addressOf, nodeSigner, signBody, txHash, validateTransaction, type Spendable, type StoredOutput, type UtxoView } from "../ledger/tx/index.ts";
import { outPointKey } from "../ledger/tx/hash.ts";
import { PeakRss, printTable } from "./report.ts";

const SECONDS = 2;

function rate(work: () => number): number {
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < SECONDS * 1000) done += work();
  return done / ((performance.now() - started) / 1000);
}

const percentOf = (part: number, whole: number) => `${((part / whole) * 100).toFixed(0)}%`;

const rss = new PeakRss();
const keys = Array.from({ length: 64 }, (_, i) => generateKeyPair(new Uint8Array(32).fill(i + 1)));
const message = new Uint8Array(32).fill(7);
const signature = sign(message, keys[0].secretKey);
const verifyRate = rate(() => {
  for (let i = 0; i < 100; i++) verify(signature, message, keys[0].publicKey);
  return 100;
});

// 2-in 2-out transfers validated against an in-memory view: from one owner (a wallet spending
// two of its outputs: one signature) and from two owners (two signatures).
const outputs = new Map<string, StoredOutput>();
const view: UtxoView = { output: (p) => outputs.get(outPointKey(p)), latest: () => undefined };
const TRANSFERS = 2000;

function transfersFrom(owners: 1 | 2): Transaction[] {
  return Array.from({ length: TRANSFERS }, (_, i) => {
    const payers = owners === 1 ? [keys[i % 64], keys[i % 64]] : [keys[i % 64], keys[(i + 1) % 64]];
    const spends: Spendable[] = payers.map((k, j) => {
      const txHash = new Uint8Array(32);
      txHash.set([owners, j, i & 255, i >> 8]);
      const outPoint = { txHash, index: j };
      const output: Output = { address: addressOf(k.publicKey), product: new Uint8Array(), amount: 10n * COIN, fee: false };
      outputs.set(outPointKey(outPoint), { outPoint, output, spentBy: undefined, acceptedMs: 0, minSpendDelayMs: 0 });
      return { outPoint, output };
    });
    const body = {
      inputs: spends.map((s) => ({ outPoint: s.outPoint, referenceOnly: false })),
      outputs: [
        { address: addressOf(keys[(i + 2) % 64].publicKey), product: new Uint8Array(), amount: 15n * COIN, fee: false },
        { address: addressOf(payers[0].publicKey), product: new Uint8Array(), amount: 5n * COIN, fee: false },
      ],
      createdMs: BigInt(i),
      nonce: 0n,
    };
    return signBody(body, spends, payers.map(nodeSigner));
  });
}

function validationRate(transfers: readonly Transaction[]): number {
  let next = 0;
  return rate(() => {
    const tx = transfers[next++ % transfers.length];
    const fresh = { ...tx, body: { ...tx.body! } }; // a new body object: the hash is not cached
    if (!validateTransaction(fresh, view, 1).ok) throw new Error("bench transfer did not validate");
    return 1;
  });
}
const oneOwnerRate = validationRate(transfersFrom(1));
const twoOwnerRate = validationRate(transfersFrom(2));

const leaves = Array.from({ length: 1024 }, (_, i) => new Uint8Array(40).fill(i & 255));
const merkleBuildRate = rate(() => {
  buildTree(leaves);
  return leaves.length;
});
const tree = buildTree(leaves);
const proofs = leaves.map((_, i) => tree.proof(i));
const proofRate = rate(() => {
  for (let i = 0; i < leaves.length; i++) verifyProof(leaves[i], i, leaves.length, proofs[i], tree.root);
  return leaves.length;
});

const dir = mkdtempSync(join(tmpdir(), "trustql-bench-ledger-"));
const store = UtxoStore.open(join(dir, "ledger.db"));
const owner = keys[0];
store.commitGenesis(addressOf(owner.publicKey));
let commits = 0;
/** Transfers from the owner's newest change output, `batch` to one SQLite transaction. */
const commitBatch = (batch: number) => {
  const entries = [];
  let change: Spendable = store.unspentOf(addressOf(owner.publicKey), 1)[0];
  for (let i = 0; i < batch; i++) {
    const body = {
      inputs: [{ outPoint: change.outPoint, referenceOnly: false }],
      outputs: [
        { address: addressOf(keys[1].publicKey), product: new Uint8Array(), amount: 1000n, fee: false },
        { address: addressOf(owner.publicKey), product: new Uint8Array(), amount: change.output.amount - 1000n, fee: false },
      ],
      createdMs: BigInt(commits++),
      nonce: 0n,
    };
    const tx = signBody(body, [change], [nodeSigner(owner)]);
    entries.push({ tx, consumed: [change.outPoint], acceptedMs: commits });
    change = { outPoint: { txHash: txHash(body), index: 1 }, output: body.outputs[1] };
  }
  store.commitMany(entries);
  return batch;
};
const COMMIT_BATCH = 100;
const commitRate = rate(() => commitBatch(1));
const batchedCommitRate = rate(() => commitBatch(COMMIT_BATCH));
store.close();
rmSync(dir, { recursive: true, force: true });

printTable(
  ["measure", "per second", "reference"],
  [
    ["ed25519 verify (node:crypto, one core)", Math.round(verifyRate).toLocaleString("en"), "the ceiling"],
    ["2-in 2-out transfer validation, one owner (1 signature)", Math.round(oneOwnerRate).toLocaleString("en"), `${percentOf(oneOwnerRate, verifyRate)} of verify/s`],
    ["2-in 2-out transfer validation, two owners (2 signatures)", Math.round(twoOwnerRate).toLocaleString("en"), `${percentOf(twoOwnerRate, verifyRate)} of verify/s (${percentOf(2 * twoOwnerRate, verifyRate)} of signatures)`],
    ["Merkle leaves hashed into trees of 1,024", Math.round(merkleBuildRate).toLocaleString("en"), ""],
    ["Merkle proofs verified (1,024 leaves)", Math.round(proofRate).toLocaleString("en"), ""],
    ["SQLite commits (WAL, synchronous=FULL), one tx per commit", Math.round(commitRate).toLocaleString("en"), ""],
    [`SQLite commits, ${COMMIT_BATCH} txs per commitMany`, Math.round(batchedCommitRate).toLocaleString("en"), `${(batchedCommitRate / commitRate).toFixed(1)}× one per commit`],
  ],
);
process.stdout.write(`\npeak RSS ${(rss.peakBytes() / 2 ** 20).toFixed(0)} MiB\n`);
