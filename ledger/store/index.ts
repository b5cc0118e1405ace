// The UTXO set and the accepted transactions, in SQLite (node:sqlite) with a write-ahead log
// and synchronous commits: once commit() returns (or the atomically() around it), the
// transaction survives a crash. Accepting a transaction spends its inputs and creates its
// outputs in one SQLite transaction.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { InvariantError, UserError, invariant } from "../../common/errors.ts";
import { partitionPoint } from "../../common/search.ts";
import { toHex } from "../crypto.ts";
import { encode } from "../encoding/index.ts";
import { AcceptanceVotes, Output, Transaction, TOTAL_SUPPLY, type ObservationEdge, type OutPoint } from "../schema.ts";
import { txHash } from "../tx/hash.ts";
import type { StoredOutput, UtxoView } from "../tx/validate.ts";

/**
 * The layout of the store's tables (PRAGMA user_version). Version 2 writes a commit's rows at
 * the end of their tables (rowid tables in commit order) and keeps only small random-keyed
 * indexes, so each commit dirties about half the pages version 1 did (its tables were keyed by
 * hash, each commit writing into pages all over them): every dirty page is a write to the log
 * and, at checkpoints, to the file.
 */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS transactions (
  seq INTEGER PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  accepted_ms INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  votes BLOB
);
CREATE TABLE IF NOT EXISTS outputs (
  tx_hash BLOB NOT NULL,
  idx INTEGER NOT NULL,
  address BLOB NOT NULL,
  product BLOB NOT NULL,
  amount INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL,
  min_spend_delay_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  spent_by BLOB,
  PRIMARY KEY (tx_hash, idx)
);
CREATE INDEX IF NOT EXISTS unspent_by_owner ON outputs (address, product, seq, idx) WHERE spent_by IS NULL;
CREATE TABLE IF NOT EXISTS pending (
  hash BLOB PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  bytes BLOB NOT NULL
) WITHOUT ROWID;
`;

/** Version 1's rows moved into version 2's tables, in commit order (the order rowids take). */
const MIGRATE_FROM_1 = `
ALTER TABLE transactions RENAME TO transactions_v1;
ALTER TABLE outputs RENAME TO outputs_v1;
DROP INDEX IF EXISTS outputs_by_owner;
${SCHEMA}
INSERT INTO transactions (seq, hash, accepted_ms, bytes, votes)
  SELECT t.seq, t.hash, t.accepted_ms, t.bytes, v.bytes FROM transactions_v1 t LEFT JOIN votes v ON v.seq = t.seq ORDER BY t.seq;
INSERT INTO outputs SELECT tx_hash, idx, address, product, amount, accepted_ms, min_spend_delay_ms, seq, bytes, spent_by FROM outputs_v1 ORDER BY seq, idx;
DROP TABLE transactions_v1;
DROP TABLE outputs_v1;
DROP TABLE votes;
`;

export interface CommitEntry {
  tx: Transaction;
  /** The outputs validation resolved the consumed inputs to (floating inputs included). */
  consumed: readonly OutPoint[];
  acceptedMs: number;
  /** The ACCEPTED votes that decided it: kept for proofs and for peers catching up. */
  votes?: readonly ObservationEdge[];
}

/** A committed transaction with the votes kept with it, and its position in the commit order (0 is genesis). */
export interface StoredCommit {
  tx: Transaction;
  votes: ObservationEdge[];
  acceptedMs: number;
  position: number;
}

interface CommitRow {
  bytes: Uint8Array;
  votes: Uint8Array | null;
  accepted_ms: number | bigint;
  seq: number | bigint;
}

interface OutputRow {
  tx_hash: Uint8Array;
  idx: number | bigint;
  accepted_ms: number | bigint;
  min_spend_delay_ms: number | bigint;
  bytes: Uint8Array;
  spent_by: Uint8Array | null;
}

export class UtxoStore implements UtxoView {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;
  #seq: number;
  /** Open transactions and savepoints: writes inside one need no transaction of their own. */
  #depth = 0;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    const prepare = (sql: string) => db.prepare(sql);
    this.#statements = {
      output: prepare("SELECT tx_hash, idx, accepted_ms, min_spend_delay_ms, bytes, spent_by FROM outputs WHERE tx_hash = ? AND idx = ?"),
      latest: prepare("SELECT tx_hash, idx, accepted_ms, min_spend_delay_ms, bytes, spent_by FROM outputs WHERE address = ? AND product = ? AND spent_by IS NULL ORDER BY seq DESC, idx DESC LIMIT 1"),
      unspent: prepare("SELECT tx_hash, idx, accepted_ms, min_spend_delay_ms, bytes, spent_by FROM outputs WHERE address = ? AND spent_by IS NULL ORDER BY seq, idx LIMIT ?"),
      balance: prepare("SELECT coalesce(sum(amount), 0) AS total FROM outputs WHERE address = ? AND product = ? AND spent_by IS NULL"),
      supply: prepare("SELECT coalesce(sum(amount), 0) AS total FROM outputs WHERE product = x'' AND spent_by IS NULL"),
      spend: prepare("UPDATE outputs SET spent_by = ? WHERE tx_hash = ? AND idx = ? AND spent_by IS NULL"),
      insertTx: prepare("INSERT INTO transactions (seq, hash, accepted_ms, bytes, votes) VALUES (?, ?, ?, ?, ?)"),
      insertOutput: prepare(
        "INSERT INTO outputs (tx_hash, idx, address, product, amount, accepted_ms, min_spend_delay_ms, seq, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      has: prepare("SELECT 1 FROM transactions WHERE hash = ?"),
      transaction: prepare("SELECT bytes, votes, accepted_ms, seq FROM transactions WHERE hash = ?"),
      acceptedAt: prepare("SELECT accepted_ms FROM transactions WHERE seq = ?"),
      count: prepare("SELECT coalesce(max(seq), 0) AS last FROM transactions"),
      lastAccepted: prepare("SELECT accepted_ms FROM transactions ORDER BY seq DESC LIMIT 1"),
      savePending: prepare("INSERT OR IGNORE INTO pending (hash, received_ms, bytes) VALUES (?, ?, ?)"),
      dropPending: prepare("DELETE FROM pending WHERE hash = ?"),
      allPending: prepare("SELECT bytes FROM pending ORDER BY received_ms"),
      since: prepare("SELECT bytes, votes, accepted_ms, seq FROM transactions WHERE seq > ? ORDER BY seq LIMIT ?"),
    };
    for (const s of [this.#statements.balance, this.#statements.supply, this.#statements.count]) s.setReadBigInts(true);
    this.#seq = Number((this.#statements.count.get() as { last: bigint }).last);
  }

  /** `onMigrate` hears, before it starts, that an older layout is moved over (~40 µs per transaction here: a minute for a million). */
  static open(path: string, onMigrate?: (from: number, to: number) => void): UtxoStore {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;");
    const version = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new UserError(`${path}: a ledger store of version ${version}, newer than this trustql's (${SCHEMA_VERSION})`);
    }
    // Version 1 recorded no version: tables with user_version 0 are its.
    const versionOne = version < 2 && db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'transactions'").get() !== undefined;
    if (versionOne) onMigrate?.(1, SCHEMA_VERSION);
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(versionOne ? MIGRATE_FROM_1 : SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      db.close();
      throw error;
    }
    return new UtxoStore(db);
  }

  #stored(row: OutputRow | undefined): StoredOutput | undefined {
    if (!row) return undefined;
    return {
      outPoint: { txHash: new Uint8Array(row.tx_hash), index: Number(row.idx) },
      output: Output.decode(row.bytes),
      spentBy: row.spent_by ? new Uint8Array(row.spent_by) : undefined,
      acceptedMs: Number(row.accepted_ms),
      minSpendDelayMs: Number(row.min_spend_delay_ms),
    };
  }

  output(outPoint: OutPoint): StoredOutput | undefined {
    return this.#stored(this.#statements.output.get(outPoint.txHash, outPoint.index) as OutputRow | undefined);
  }

  latest(address: Uint8Array, product: Uint8Array): StoredOutput | undefined {
    return this.#stored(this.#statements.latest.get(address, product) as OutputRow | undefined);
  }

  unspentOf(address: Uint8Array, limit = 10_000): StoredOutput[] {
    return (this.#statements.unspent.all(address, limit) as unknown as OutputRow[]).map((r) => this.#stored(r)!);
  }

  balance(address: Uint8Array, product: Uint8Array = new Uint8Array()): bigint {
    return (this.#statements.balance.get(address, product) as { total: bigint }).total;
  }

  /** Unspent coins in existence; always the total supply once genesis is committed. */
  coinSupply(): bigint {
    return (this.#statements.supply.get() as { total: bigint }).total;
  }

  /** Commits are numbered 1, 2, 3… with no gap (a failed one gives its number back): the count is the last number. */
  transactionCount(): number {
    return this.#seq;
  }

  /** When the newest transaction here was accepted (by this store's clock). */
  lastAcceptedMs(): number | undefined {
    const row = this.#statements.lastAccepted.get() as { accepted_ms: number | bigint } | undefined;
    return row === undefined ? undefined : Number(row.accepted_ms);
  }

  has(hash: Uint8Array): boolean {
    return this.#statements.has.get(hash) !== undefined;
  }

  transaction(hash: Uint8Array): StoredCommit | undefined {
    const row = this.#statements.transaction.get(hash) as CommitRow | undefined;
    return row && this.#commitOf(row);
  }

  /** At most `limit` commits in order from position `from`: what a peer catching up is sent. */
  commitsFrom(from: number, limit: number): StoredCommit[] {
    return (this.#statements.since.all(Math.max(0, from), limit) as unknown as CommitRow[]).map((row) => this.#commitOf(row));
  }

  /** The position of the first commit accepted at or after `ms`, by bisection: acceptance times grow with the commit order. */
  firstCommitSince(ms: number): number {
    return partitionPoint(this.#seq, (i) => Number((this.#statements.acceptedAt.get(i + 1) as { accepted_ms: number | bigint }).accepted_ms) < ms);
  }

  /** A row as written by #insert: its bytes are this store's own encoding, read back without re-checking. */
  #commitOf(row: CommitRow): StoredCommit {
    return {
      tx: Transaction.decode(row.bytes),
      votes: row.votes ? AcceptanceVotes.decode(row.votes).votes : [],
      acceptedMs: Number(row.accepted_ms),
      position: Number(row.seq) - 1,
    };
  }

  #insert(tx: Transaction, hash: Uint8Array, acceptedMs: number, votes: readonly ObservationEdge[] = []): void {
    const seq = ++this.#seq;
    this.#statements.insertTx.run(seq, hash, acceptedMs, encode(Transaction, tx), votes.length > 0 ? encode(AcceptanceVotes, { votes: [...votes] }) : null);
    const delay = Number(tx.body!.options?.minSpendDelayMs ?? 0n);
    tx.body!.outputs.forEach((output, idx) => {
      this.#statements.insertOutput.run(hash, idx, output.address, output.product, output.amount, acceptedMs, delay, seq, encode(Output, output));
    });
  }

  #inTransaction(work: () => void): void {
    const seq = this.#seq;
    // Inside atomically(): a savepoint, so a failed commit undoes only itself.
    const nested = this.#depth > 0;
    this.#db.exec(nested ? "SAVEPOINT inner" : "BEGIN IMMEDIATE");
    this.#depth++;
    try {
      work();
      this.#db.exec(nested ? "RELEASE inner" : "COMMIT");
    } catch (error) {
      this.#db.exec(nested ? "ROLLBACK TO inner; RELEASE inner" : "ROLLBACK");
      this.#seq = seq;
      throw error;
    } finally {
      this.#depth--;
    }
  }

  /**
   * Runs `work` as one durable write: every commit and pending-copy change it makes reaches the
   * disk with a single sync when it returns (a group commit), and none does if it throws. Reads
   * inside see its writes. What depends on the writes being durable happens after this returns.
   */
  atomically<T>(work: () => T): T {
    let result!: T;
    this.#inTransaction(() => {
      result = work();
    });
    return result;
  }

  /** Accepts transactions for good, in order, in one atomic write. Spending a spent output is a bug. */
  commitMany(entries: readonly CommitEntry[]): void {
    this.#inTransaction(() => {
      for (const { tx, consumed, acceptedMs, votes } of entries) {
        const hash = txHash(tx.body!);
        for (const out of consumed) {
          const changed = this.#statements.spend.run(hash, out.txHash, out.index).changes;
          if (Number(changed) !== 1) throw new InvariantError(`commit of ${toHex(hash).slice(0, 16)} spends an output that is spent or unknown`);
        }
        this.#insert(tx, hash, acceptedMs, votes);
      }
    });
  }

  commit(entry: CommitEntry): void {
    this.commitMany([entry]);
  }

  /**
   * Keeps a submitted transaction until it is decided: written durably before the submitter
   * is told it was received, and offered again to the network after a restart.
   */
  savePending(hash: Uint8Array, tx: Transaction, receivedMs: number): void {
    this.#statements.savePending.run(hash, receivedMs, encode(Transaction, tx));
  }

  dropPending(hash: Uint8Array): void {
    this.#statements.dropPending.run(hash);
  }

  pendingTransactions(): Transaction[] {
    return (this.#statements.allPending.all() as { bytes: Uint8Array }[]).map((r) => Transaction.decode(r.bytes));
  }

  /** The one transaction without inputs: the whole supply to one address. */
  commitGenesis(address: Uint8Array, createdMs = 0): Uint8Array {
    invariant(this.transactionCount() === 0, "genesis on a store that already has transactions");
    const tx: Transaction = {
      body: { inputs: [], outputs: [{ address, product: new Uint8Array(), amount: TOTAL_SUPPLY, fee: false }], createdMs: BigInt(createdMs), nonce: 0n },
      witnesses: [],
    };
    const hash = txHash(tx.body!);
    this.#inTransaction(() => this.#insert(tx, hash, createdMs));
    return hash;
  }

  close(): void {
    this.#db.close();
  }
}
