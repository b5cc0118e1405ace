import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { generateKeyPair, sign, toHex } from "../crypto.ts";
import { ObservationBuilder, verifyEdge } from "../observation/index.ts";
import { UtxoStore } from "../store/index.ts";
import { AcceptanceVotes, Output, TOTAL_SUPPLY, Transaction, TxState, type ObservationEdge, type OutPoint } from "../schema.ts";
import { addressOf, buildTransfer, nodeSigner, txHash, validateTransaction } from "../tx/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "trustql-store-"));
  dirs.push(dir);
  return dir;
}

describe("the UTXO store", () => {
  it("spends inputs and creates outputs together, and refuses a second spend", () => {
    const store = UtxoStore.open(join(tempDir(), "ledger.db"));
    const alice = generateKeyPair(new Uint8Array(32).fill(1));
    const bob = addressOf(generateKeyPair(new Uint8Array(32).fill(2)).publicKey);
    store.commitGenesis(addressOf(alice.publicKey));
    const available = store.unspentOf(addressOf(alice.publicKey)).map((s) => ({ outPoint: s.outPoint, output: s.output }));
    const tx = buildTransfer({ available, to: bob, amount: 5_250_000_000n, fee: 1000n, createdMs: 1 }, nodeSigner(alice));
    const validation = validateTransaction(tx, store, 10);
    expect(validation.ok).toBe(true);
    if (!validation.ok) return;
    store.commit({ tx, consumed: validation.consumed, acceptedMs: 10 });
    expect(store.balance(bob)).toBe(5_250_000_000n);
    expect(store.coinSupply()).toBe(TOTAL_SUPPLY);
    expect(() => store.commit({ tx, consumed: validation.consumed, acceptedMs: 11 })).toThrow(/spent or unknown/);
    expect(store.transactionCount()).toBe(2);
    expect(store.lastAcceptedMs()).toBe(10); // not 11: the refused commit left nothing
    expect(validateTransaction(tx, store, 12)).toMatchObject({ ok: false, reason: "spent_input" });
    store.close();
  });

  it("writes a group of commits as one: a refused commit inside undoes only itself, a failure of the group undoes all", () => {
    const path = join(tempDir(), "ledger.db");
    const store = UtxoStore.open(path);
    const alice = generateKeyPair(new Uint8Array(32).fill(3));
    const bob = addressOf(generateKeyPair(new Uint8Array(32).fill(4)).publicKey);
    store.commitGenesis(addressOf(alice.publicKey));
    const transfer = (amount: bigint) => {
      const available = store.unspentOf(addressOf(alice.publicKey)).map((s) => ({ outPoint: s.outPoint, output: s.output }));
      const tx = buildTransfer({ available, to: bob, amount, fee: 1000n, createdMs: 1 }, nodeSigner(alice));
      const validation = validateTransaction(tx, store, 10);
      if (!validation.ok) throw new Error(validation.reason);
      return { tx, consumed: validation.consumed, acceptedMs: 10 };
    };
    store.atomically(() => {
      const first = transfer(1_000n);
      store.commit(first);
      // Reads inside the group see its writes: the change output is spendable at once.
      store.commit(transfer(2_000n));
      expect(() => store.commit(first)).toThrow(/spent or unknown/);
    });
    expect(store.balance(bob)).toBe(3_000n);
    expect(() =>
      store.atomically(() => {
        store.commit(transfer(4_000n));
        throw new Error("the group fails");
      }),
    ).toThrow(/the group fails/);
    expect(store.balance(bob)).toBe(3_000n);
    expect(store.transactionCount()).toBe(3);
    store.close();
    // What the group wrote is on disk.
    const reopened = UtxoStore.open(path);
    expect(reopened.balance(bob)).toBe(3_000n);
    expect(reopened.coinSupply()).toBe(TOTAL_SUPPLY);
    reopened.close();
  });

  it("keeps the votes that decided each commit beside it, and serves commits by position and by time after a reopen", () => {
    const path = join(tempDir(), "ledger.db");
    const store = UtxoStore.open(path);
    const alice = generateKeyPair(new Uint8Array(32).fill(5));
    const voter = generateKeyPair(new Uint8Array(32).fill(6));
    const bob = addressOf(generateKeyPair(new Uint8Array(32).fill(7)).publicKey);
    store.commitGenesis(addressOf(alice.publicKey), 5);
    const hashes: Uint8Array[] = [];
    for (const at of [10, 20, 30]) {
      const available = store.unspentOf(addressOf(alice.publicKey)).map((s) => ({ outPoint: s.outPoint, output: s.output }));
      const tx = buildTransfer({ available, to: bob, amount: 1_000n, fee: 0n, createdMs: at }, nodeSigner(alice));
      const validation = validateTransaction(tx, store, at);
      if (!validation.ok) throw new Error(validation.reason);
      // The voter's observation holds this transaction among others: the vote is the edge of its entry.
      const observations = new ObservationBuilder({ peer: new Uint8Array(32).fill(8), publicKey: voter.publicKey, sign: (m) => sign(m, voter.secretKey) }, 50);
      observations.observe({ txHash: new Uint8Array(32).fill(at), state: TxState.TX_STATE_PENDING, observedMs: BigInt(at) });
      observations.observe({ txHash: txHash(tx.body!), state: TxState.TX_STATE_ACCEPTED, observedMs: BigInt(at) });
      observations.seal(at);
      store.commit({ tx, consumed: validation.consumed, acceptedMs: at, votes: [observations.edgeFor(txHash(tx.body!), TxState.TX_STATE_ACCEPTED)!] });
      hashes.push(txHash(tx.body!));
    }
    store.close();

    const reopened = UtxoStore.open(path);
    expect(reopened.transactionCount()).toBe(4);
    const all = reopened.commitsFrom(0, 10);
    expect(all.map((c) => [c.position, c.acceptedMs, c.votes.length])).toEqual([[0, 5, 0], [1, 10, 1], [2, 20, 1], [3, 30, 1]]);
    for (const [i, commit] of all.slice(1).entries()) {
      expect(toHex(txHash(commit.tx.body!))).toBe(toHex(hashes[i]));
      expect(toHex(commit.votes[0].entry!.txHash)).toBe(toHex(hashes[i]));
      expect(verifyEdge(commit.votes[0], voter.publicKey)).toBe(true);
    }
    expect(reopened.commitsFrom(2, 1).map((c) => c.position)).toEqual([2]);
    expect(reopened.commitsFrom(4, 10)).toEqual([]);
    expect([0, 5, 6, 20, 21, 31].map((ms) => reopened.firstCommitSince(ms))).toEqual([0, 0, 1, 2, 3, 4]);
    expect(reopened.transaction(hashes[1])).toMatchObject({ position: 2, acceptedMs: 20 });
    expect(reopened.has(hashes[2])).toBe(true);
    expect(reopened.has(new Uint8Array(32))).toBe(false);
    reopened.close();
  });

  it("moves a version-1 store's commits, votes and spends into version 2's tables when it opens one", () => {
    // Version 1's tables, as that trustql wrote them, holding genesis and two transfers.
    const path = join(tempDir(), "ledger.db");
    const v1 = new DatabaseSync(path);
    v1.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE transactions (hash BLOB PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, accepted_ms INTEGER NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE outputs (tx_hash BLOB NOT NULL, idx INTEGER NOT NULL, address BLOB NOT NULL, product BLOB NOT NULL, amount INTEGER NOT NULL,
        accepted_ms INTEGER NOT NULL, min_spend_delay_ms INTEGER NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, spent_by BLOB,
        PRIMARY KEY (tx_hash, idx)) WITHOUT ROWID;
      CREATE INDEX outputs_by_owner ON outputs (address, product, spent_by, seq);
      CREATE TABLE votes (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
      CREATE TABLE pending (hash BLOB PRIMARY KEY, received_ms INTEGER NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID;`);
    const alice = generateKeyPair(new Uint8Array(32).fill(9));
    const voter = generateKeyPair(new Uint8Array(32).fill(10));
    const bob = addressOf(generateKeyPair(new Uint8Array(32).fill(11)).publicKey);
    const genesis: Transaction = { body: { inputs: [], outputs: [{ address: addressOf(alice.publicKey), product: new Uint8Array(), amount: TOTAL_SUPPLY, fee: false }], createdMs: 0n, nonce: 0n }, witnesses: [] };
    let coin = { outPoint: { txHash: txHash(genesis.body!), index: 0 }, output: genesis.body!.outputs[0] };
    const commits: { tx: Transaction; spends?: OutPoint; vote?: ObservationEdge }[] = [{ tx: genesis }];
    for (const at of [10, 20]) {
      const tx = buildTransfer({ available: [coin], to: bob, amount: 1_000n, fee: 0n, createdMs: at }, nodeSigner(alice));
      const observations = new ObservationBuilder({ peer: new Uint8Array(32).fill(12), publicKey: voter.publicKey, sign: (m) => sign(m, voter.secretKey) }, 50);
      observations.observe({ txHash: txHash(tx.body!), state: TxState.TX_STATE_ACCEPTED, observedMs: BigInt(at) });
      observations.seal(at);
      commits.push({ tx, spends: coin.outPoint, vote: observations.edgeFor(txHash(tx.body!), TxState.TX_STATE_ACCEPTED)! });
      const change = tx.body!.outputs.findIndex((o) => toHex(o.address) === toHex(addressOf(alice.publicKey)));
      coin = { outPoint: { txHash: txHash(tx.body!), index: change }, output: tx.body!.outputs[change] };
    }
    commits.forEach(({ tx, spends, vote }, i) => {
      const hash = txHash(tx.body!);
      v1.prepare("INSERT INTO transactions VALUES (?, ?, ?, ?)").run(hash, i + 1, i * 10, Transaction.encode(tx).finish());
      if (vote) v1.prepare("INSERT INTO votes VALUES (?, ?)").run(i + 1, AcceptanceVotes.encode({ votes: [vote] }).finish());
      if (spends) v1.prepare("UPDATE outputs SET spent_by = ? WHERE tx_hash = ? AND idx = ?").run(hash, spends.txHash, spends.index);
      tx.body!.outputs.forEach((o, idx) => v1.prepare("INSERT INTO outputs VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, NULL)").run(hash, idx, o.address, o.product, o.amount, i * 10, i + 1, Output.encode(o).finish()));
    });
    v1.close();

    const migrations: [number, number][] = [];
    const store = UtxoStore.open(path, (from, to) => migrations.push([from, to]));
    expect(migrations).toEqual([[1, 2]]);
    expect(store.transactionCount()).toBe(3);
    expect(store.commitsFrom(0, 10).map((c) => [c.position, c.acceptedMs, c.votes.length])).toEqual([[0, 0, 0], [1, 10, 1], [2, 20, 1]]);
    expect(verifyEdge(store.transaction(txHash(commits[2].tx.body!))!.votes[0], voter.publicKey)).toBe(true);
    expect(store.balance(bob)).toBe(2_000n);
    expect(store.coinSupply()).toBe(TOTAL_SUPPLY);
    expect(store.unspentOf(addressOf(alice.publicKey)).map((s) => toHex(s.outPoint.txHash))).toEqual([toHex(coin.outPoint.txHash)]);
    expect(store.output(commits[1].spends!)?.spentBy).toEqual(txHash(commits[1].tx.body!));
    // It goes on from where version 1 stopped.
    const next = buildTransfer({ available: [coin], to: bob, amount: 500n, fee: 0n, createdMs: 30 }, nodeSigner(alice));
    store.commit({ tx: next, consumed: [coin.outPoint], acceptedMs: 30 });
    expect(store.balance(bob)).toBe(2_500n);
    store.close();
    UtxoStore.open(path, (from, to) => migrations.push([from, to])).close();
    expect(migrations).toHaveLength(1); // once moved over, it opens as it is
    const db = new DatabaseSync(path, { readOnly: true });
    expect((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(2);
    expect((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)).toEqual(["outputs", "pending", "transactions"]);
    db.close();
  });

  it("refuses a store written by a newer trustql, naming its version", () => {
    const path = join(tempDir(), "ledger.db");
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 3");
    db.close();
    expect(() => UtxoStore.open(path)).toThrow(/a ledger store of version 3, newer than this trustql's \(2\)/);
  });

  it("keeps every acknowledged commit and no partial one when its writer is killed (SIGKILL)", async () => {
    const path = join(tempDir(), "ledger.db");
    const acknowledged = new Set<string>();
    let random = 12345;
    for (let round = 0; round < 6; round++) {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      const killAfterMs = random % 400;
      const child = spawn(join(ROOT, "node_modules", ".bin", "node"), [join(import.meta.dirname, "fixtures", "store-writer.ts"), path, "100000"], { stdio: ["ignore", "pipe", "inherit"] });
      let buffered = "";
      // The random point is counted from the writer's first acknowledgement: how long it takes to
      // start depends on the machine's load, and a kill before it writes anything tests nothing.
      const writing = new Promise<void>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          for (const line of lines) acknowledged.add(line);
          if (lines.length > 0) resolve();
        });
        child.on("close", () => resolve());
      });
      await writing;
      await new Promise((r) => setTimeout(r, killAfterMs));
      child.kill("SIGKILL");
      await new Promise((r) => child.on("close", r));
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(6); // at least one acknowledged commit per round

    const store = UtxoStore.open(path);
    for (const hash of acknowledged) expect(store.transaction(Buffer.from(hash, "hex")), hash).toBeDefined();
    expect(store.coinSupply()).toBe(TOTAL_SUPPLY);
    store.close();
    // No partial commit: every transaction has all its outputs, every spend names a committed transaction.
    const db = new DatabaseSync(path, { readOnly: true });
    const orphanOutputs = db.prepare("SELECT count(*) AS n FROM outputs o WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.hash = o.tx_hash)").get() as { n: number };
    const danglingSpends = db.prepare("SELECT count(*) AS n FROM outputs o WHERE spent_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.hash = o.spent_by)").get() as { n: number };
    expect(orphanOutputs.n).toBe(0);
    expect(danglingSpends.n).toBe(0);
    const rows = db.prepare("SELECT hash, bytes FROM transactions").all() as { hash: Uint8Array; bytes: Uint8Array }[];
    for (const row of rows) {
      const tx = Transaction.decode(row.bytes);
      expect(toHex(txHash(tx.body!))).toBe(toHex(row.hash));
      const outputs = db.prepare("SELECT count(*) AS n FROM outputs WHERE tx_hash = ?").get(row.hash) as { n: number };
      expect(outputs.n).toBe(tx.body!.outputs.length);
    }
    db.close();
  }, 60_000);
});
