// A node's accepted state in memory: what the simulator gives each node (the real node keeps
// the same state in SQLite, ledger/store). An output's content is fixed by the transaction
// that creates it, so the ledgers of one simulation share one OutputRegistry of outputs and
// each keeps only, per output, whether it holds it and whether it spent it: a thousand nodes
// then hold one copy of the outputs, not a thousand.
import { partitionPoint } from "../../common/search.ts";
import { invariant } from "../../common/errors.ts";
import { toHex } from "../crypto.ts";
import { type ObservationEdge, type OutPoint, type Output, type Transaction } from "../schema.ts";
import { txKey } from "../tx/hash.ts";
import type { StoredOutput, UtxoView } from "../tx/validate.ts";

/**
 * A committed transaction with the ACCEPTED votes of the peers that decided it, each the edge of
 * that one entry in the voter's signed observation: its size grows with the committee, not with
 * how much else each observation held.
 */
export interface Certificate {
  tx: Transaction;
  votes: ObservationEdge[];
}

/**
 * What a node has committed, in the order it committed it: position 0 is its first commit
 * (genesis), and positions never change. The votes kept with each commit are what proofs of
 * acceptance and catch-up replies are made of once the consensus rules have let go of it.
 */
export interface AcceptedState extends UtxoView {
  commit(tx: Transaction, hash: Uint8Array, consumed: readonly OutPoint[], acceptedMs: number, votes: readonly ObservationEdge[]): void;
  isCommitted(hash: Uint8Array): boolean;
  /** isCommitted by the transaction's hash in hex. */
  isCommittedKey(key: string): boolean;
  committedCount(): number;
  coinSupply(): bigint;
  /** A committed transaction with its votes, and its position in the commit order. */
  certificate(key: string): (Certificate & { position: number }) | undefined;
  /** At most `limit` commits in order, from position `from`. */
  certificatesFrom(from: number, limit: number): Certificate[];
  /** The position of the first commit accepted at or after `ms` (committedCount() if none). */
  firstCommitSince(ms: number): number;
  /** When the last commit was accepted. */
  lastCommitMs(): number | undefined;
}

interface RegisteredTx {
  id: number;
  /** Id of its first output; the others follow in order. */
  firstOutput: number;
  outputCount: number;
  minSpendDelayMs: number;
}

/** Transactions and their outputs, numbered in the order any ledger first committed them. */
export class OutputRegistry {
  readonly #txs = new Map<string, RegisteredTx>();
  readonly txHashes: Uint8Array[] = [];
  readonly transactions: Transaction[] = [];
  readonly outPoints: OutPoint[] = [];
  readonly outputs: Output[] = [];
  /** Per output: how long it must wait after its transaction is accepted before it is spent. */
  readonly minSpendDelayMs: number[] = [];
  /** Per output: the id of the transaction that creates it (a ledger reads when it accepted it from that transaction's commit). */
  readonly creator: number[] = [];
  /**
   * Per output: its coins (0 for another product) as two numbers, the amount's high and low 32
   * bits: a ledger adds up its unspent coins in plain numbers, exactly (coinSupply).
   */
  readonly coinsHigh: number[] = [];
  readonly coinsLow: number[] = [];
  /** Output ids of OutPoint objects already looked up: the simulator's nodes share these objects. */
  readonly #ids = new WeakMap<OutPoint, number>();
  /** Ledgers that joined, and per group of LANES of them the numbers they keep (LedgerGroup). */
  #ledgers = 0;
  readonly #groups: LedgerGroup[] = [];

  /** A new ledger's place: its group's tables and its lane in them. */
  join(): { group: LedgerGroup; lane: number } {
    const number = this.#ledgers++;
    const at = Math.floor(number / LANES);
    if (at === this.#groups.length) this.#groups.push({ outputs: new ChunkedNumbers(int32Chunk), positionAfter: new ChunkedNumbers(int32Chunk), commits: 0, supplies: [], countedAt: -1 });
    return { group: this.#groups[at], lane: number % LANES };
  }

  /**
   * The transaction last found by its key: a follower asks whether a transaction is committed,
   * then commits it (which registers it again), and a thousand ledgers do so in turn for the
   * same few transactions; the map of every transaction is large, and each lookup in it a cache miss.
   */
  #lastKey = "";
  #last: RegisteredTx | undefined;

  txByKey(key: string): RegisteredTx | undefined {
    if (key !== this.#lastKey) [this.#lastKey, this.#last] = [key, this.#txs.get(key)];
    return this.#last;
  }

  register(tx: Transaction, hash: Uint8Array): RegisteredTx {
    const key = txKey(tx.body!);
    let known = this.txByKey(key);
    if (known) return known;
    known = { id: this.txHashes.length, firstOutput: this.outputs.length, outputCount: tx.body!.outputs.length, minSpendDelayMs: Number(tx.body!.options?.minSpendDelayMs ?? 0n) };
    this.#txs.set(key, known);
    this.#last = known;
    this.txHashes.push(hash);
    this.transactions.push(tx);
    tx.body!.outputs.forEach((output, index) => {
      this.outPoints.push({ txHash: hash, index });
      this.outputs.push(output);
      this.minSpendDelayMs.push(known!.minSpendDelayMs);
      this.creator.push(known!.id);
      const coins = output.product.length === 0 ? output.amount : 0n;
      invariant(coins >= 0n && coins < 1n << 64n, "an amount is a uint64");
      this.coinsHigh.push(Number(coins >> 32n));
      this.coinsLow.push(Number(coins & 0xffff_ffffn));
    });
    return known;
  }

  /** The id of the output an OutPoint names, if its transaction is registered. */
  outputId(outPoint: OutPoint): number | undefined {
    const cached = this.#ids.get(outPoint);
    if (cached !== undefined) return cached;
    const tx = this.#txs.get(toHex(outPoint.txHash));
    if (!tx || outPoint.index >= tx.outputCount) return undefined;
    const id = tx.firstOutput + outPoint.index;
    this.#ids.set(outPoint, id);
    return id;
  }
}

/**
 * Ledgers whose per-output and per-transaction numbers are kept interleaved, lane by lane: the
 * numbers of LANES ledgers for one output sit side by side. Every ledger of a simulation reads
 * and writes the same few outputs within milliseconds of the others (a commit reaches them all
 * at about the same time), so a cache line brought in for one ledger holds its neighbours'
 * numbers too; kept ledger by ledger, each was a cache miss of its own.
 */
const LANES = 64;

interface LedgerGroup {
  /** Per output id and lane, at id × LANES + lane: what the ledger holds of it (NOT_HELD, UNSPENT or its spender). */
  outputs: ChunkedNumbers;
  /** Per transaction id and lane, at id × LANES + lane: its position in that ledger's commit order + 1, or 0 if not committed there. */
  positionAfter: ChunkedNumbers;
  /** Commits made by the group's ledgers, and each lane's coin supply as counted at `countedAt` commits (groupSupplies). */
  commits: number;
  supplies: bigint[];
  countedAt: number;
}

/** What a ledger holds of an output: nothing, the output unspent, or else the id of the transaction that spent it plus one. */
const NOT_HELD = 0;
const UNSPENT = -1;

/** Entries in one chunk of a ChunkedNumbers (a power of two). */
const CHUNK_BITS = 12;
const CHUNK_ENTRIES = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_ENTRIES - 1;
/** Chunks cut from one ArrayBuffer. */
const SLAB_CHUNKS = 64;

type Chunk = Int32Array | Float64Array;

/**
 * Makes zeroed chunks of one type, cut in turn from shared slabs of SLAB_CHUNKS chunks: the
 * thousand ledgers of a simulation make tens of thousands of chunks, and an ArrayBuffer apiece
 * (memory outside the heap, which the collector accounts for allocation by allocation and paces
 * its marking by) cost far more than the memory itself. A slab lives as long as any chunk of it.
 */
function chunkMaker(type: { new (buffer: ArrayBuffer, byteOffset: number, length: number): Chunk; BYTES_PER_ELEMENT: number }): () => Chunk {
  const chunkBytes = CHUNK_ENTRIES * type.BYTES_PER_ELEMENT;
  let slab = new ArrayBuffer(0);
  let next = SLAB_CHUNKS;
  return () => {
    if (next === SLAB_CHUNKS) [slab, next] = [new ArrayBuffer(SLAB_CHUNKS * chunkBytes), 0];
    return new type(slab, chunkBytes * next++, CHUNK_ENTRIES);
  };
}

const int32Chunk = chunkMaker(Int32Array);
const float64Chunk = chunkMaker(Float64Array);

/**
 * Numbers by index, 0 where never set, kept in typed chunks of fixed size. Growing adds one
 * chunk and copies nothing: the thousand ledgers of a simulation pass the same sizes at about
 * the same moment, and doubling arrays made each of them copy its whole array at once (a burst
 * that stalled a run for seconds in page faults and collections).
 */
class ChunkedNumbers {
  readonly #make: () => Chunk;
  readonly #chunks: (Chunk | undefined)[] = [];

  constructor(make: () => Chunk) {
    this.#make = make;
  }

  get(index: number): number {
    const chunk = this.#chunks[index >>> CHUNK_BITS];
    return chunk === undefined ? 0 : chunk[index & CHUNK_MASK];
  }

  set(index: number, value: number): void {
    const at = index >>> CHUNK_BITS;
    let chunk = this.#chunks[at];
    if (chunk === undefined) {
      while (this.#chunks.length < at) this.#chunks.push(undefined);
      this.#chunks[at] = chunk = this.#make();
    }
    chunk[index & CHUNK_MASK] = value;
  }
}

/**
 * Values by position, appended in order, kept in chunks of CHUNK_ENTRIES: like ChunkedNumbers,
 * growing adds a chunk and copies nothing (a thousand ledgers doubling an array of every commit
 * at the same moments allocated and dropped hundreds of megabytes of large arrays in bursts).
 */
class ChunkedList<T> {
  readonly #chunks: T[][] = [];
  #length = 0;

  get(index: number): T {
    return this.#chunks[index >>> CHUNK_BITS][index & CHUNK_MASK];
  }

  push(value: T): void {
    if ((this.#length & CHUNK_MASK) === 0) this.#chunks.push([]);
    this.#chunks[this.#chunks.length - 1].push(value);
    this.#length++;
  }
}

/** An output as a ledger holds it; when it was accepted is worked out only if asked (validation asks only of outputs with a spend delay). */
class HeldOutput implements StoredOutput {
  readonly outPoint: OutPoint;
  readonly output: Output;
  readonly spentBy: Uint8Array | undefined;
  readonly minSpendDelayMs: number;
  readonly #id: number;
  readonly #acceptedMsOf: (id: number) => number;

  constructor(registry: OutputRegistry, id: number, spentBy: Uint8Array | undefined, acceptedMsOf: (id: number) => number) {
    this.outPoint = registry.outPoints[id];
    this.output = registry.outputs[id];
    this.spentBy = spentBy;
    this.minSpendDelayMs = registry.minSpendDelayMs[id];
    this.#id = id;
    this.#acceptedMsOf = acceptedMsOf;
  }

  get acceptedMs(): number {
    return this.#acceptedMsOf(this.#id);
  }
}

export class MemoryLedger implements AcceptedState {
  readonly #registry: OutputRegistry;
  /**
   * Per output id (#outputAt): NOT_HELD, UNSPENT or its spender's id + 1 here, one 32-bit number,
   * shared with the other ledgers of its group in this ledger's lane. Each output's only number
   * here: a thousand simulated ledgers apply every commit, and each number a commit writes is
   * memory touched per ledger (when an output was accepted is its transaction's commit time,
   * #orderMs, read only for outputs with a spend delay).
   */
  readonly #outputs: ChunkedNumbers;
  /** Per transaction id (#positionAt): its position in this ledger's commit order + 1, or 0 if not committed here. */
  readonly #positionAfter: ChunkedNumbers;
  readonly #group: LedgerGroup;
  readonly #lane: number;
  #count = 0;
  /** Per position: the transaction id committed there, the votes kept with it, and when. */
  readonly #order = new ChunkedNumbers(int32Chunk);
  readonly #votes = new ChunkedList<readonly ObservationEdge[]>();
  readonly #orderMs = new ChunkedNumbers(float64Chunk);

  constructor(registry: OutputRegistry = new OutputRegistry()) {
    this.#registry = registry;
    const { group, lane } = registry.join();
    [this.#group, this.#outputs, this.#positionAfter, this.#lane] = [group, group.outputs, group.positionAfter, lane];
  }

  #outputAt(id: number): number {
    return id * LANES + this.#lane;
  }

  #positionAt(txId: number): number {
    return txId * LANES + this.#lane;
  }

  output(outPoint: OutPoint): StoredOutput | undefined {
    const id = this.#registry.outputId(outPoint);
    if (id === undefined || this.#stateOf(id) === NOT_HELD) return undefined;
    return this.#stored(id);
  }

  #stateOf(id: number): number {
    return this.#outputs.get(this.#outputAt(id));
  }

  #stored(id: number): StoredOutput {
    const state = this.#stateOf(id);
    return new HeldOutput(this.#registry, id, state > 0 ? this.#registry.txHashes[state - 1] : undefined, this.#acceptedMsOf);
  }

  /** When an output held here was accepted: when its transaction was committed here. */
  readonly #acceptedMsOf = (id: number): number => this.#orderMs.get(this.#positionAfter.get(this.#positionAt(this.#registry.creator[id])) - 1);

  latest(address: Uint8Array, product: Uint8Array): StoredOutput | undefined {
    let found: number | undefined;
    const [a, p] = [toHex(address), toHex(product)];
    const outputs = this.#registry.outputs;
    for (let id = 0; id < outputs.length; id++) {
      if (this.#stateOf(id) === UNSPENT && toHex(outputs[id].address) === a && toHex(outputs[id].product) === p) found = id;
    }
    return found === undefined ? undefined : this.#stored(found);
  }

  commit(tx: Transaction, hash: Uint8Array, consumed: readonly OutPoint[], acceptedMs: number, votes: readonly ObservationEdge[]): void {
    const registry = this.#registry;
    const registered = registry.register(tx, hash);
    invariant(this.#positionAfter.get(this.#positionAt(registered.id)) === 0, "transaction committed twice");
    // Checked, then spent: a commit changes nothing unless it can change everything. (Looked up
    // twice rather than kept in an array: a thousand simulated ledgers commit every transaction.)
    for (const out of consumed) {
      const id = registry.outputId(out);
      invariant(id !== undefined && this.#stateOf(id) === UNSPENT, "commit spends an output that is spent or unknown");
    }
    for (const out of consumed) this.#outputs.set(this.#outputAt(registry.outputId(out)!), registered.id + 1);
    for (let id = registered.firstOutput; id < registered.firstOutput + registered.outputCount; id++) this.#outputs.set(this.#outputAt(id), UNSPENT);
    const position = this.#count++;
    this.#positionAfter.set(this.#positionAt(registered.id), position + 1);
    this.#group.commits++;
    this.#order.set(position, registered.id);
    this.#orderMs.set(position, acceptedMs);
    this.#votes.push(votes);
  }

  certificate(key: string): (Certificate & { position: number }) | undefined {
    if (!this.isCommittedKey(key)) return undefined;
    const position = this.#positionAfter.get(this.#positionAt(this.#registry.txByKey(key)!.id)) - 1;
    return { ...this.#certificateAt(position), position };
  }

  certificatesFrom(from: number, limit: number): Certificate[] {
    const certificates: Certificate[] = [];
    for (let position = Math.max(0, from); position < this.#count && certificates.length < limit; position++) certificates.push(this.#certificateAt(position));
    return certificates;
  }

  #certificateAt(position: number): Certificate {
    return { tx: this.#registry.transactions[this.#order.get(position)], votes: this.#votes.get(position) as ObservationEdge[] };
  }

  firstCommitSince(ms: number): number {
    // Commit times only grow: bisection.
    return partitionPoint(this.#count, (i) => this.#orderMs.get(i) < ms);
  }

  lastCommitMs(): number | undefined {
    return this.#count > 0 ? this.#orderMs.get(this.#count - 1) : undefined;
  }

  isCommitted(hash: Uint8Array): boolean {
    return this.isCommittedKey(toHex(hash));
  }

  isCommittedKey(key: string): boolean {
    const tx = this.#registry.txByKey(key);
    return tx !== undefined && this.#positionAfter.get(this.#positionAt(tx.id)) !== 0;
  }

  committedCount(): number {
    return this.#count;
  }

  /**
   * The coins in unspent outputs, counted when asked (a validated commit conserves them): for all
   * the ledgers of this one's group at once, in one pass through their interleaved numbers, kept
   * until one of them commits again. Counted lane by lane, each ledger's pass read one number per
   * cache line of the group's table (a simulation asks every honest ledger at its end).
   */
  coinSupply(): bigint {
    const group = this.#group;
    if (group.countedAt !== group.commits) [group.supplies, group.countedAt] = [groupSupplies(group, this.#registry), group.commits];
    return group.supplies[this.#lane];
  }
}

/** The coins in unspent outputs for each lane of a group. */
function groupSupplies(group: LedgerGroup, registry: OutputRegistry): bigint[] {
  const { coinsHigh, coinsLow } = registry;
  const supplies = new Array<bigint>(LANES).fill(0n);
  // Sums of fewer than 2^20 numbers below 2^32 stay below 2^52, exact: carried into the bigints at that.
  const high = new Array<number>(LANES).fill(0);
  const low = new Array<number>(LANES).fill(0);
  const carry = () => {
    for (let lane = 0; lane < LANES; lane++) supplies[lane] += (BigInt(high[lane]) << 32n) + BigInt(low[lane]);
    high.fill(0);
    low.fill(0);
  };
  for (let id = 0; id < coinsHigh.length; id++) {
    for (let lane = 0, at = id * LANES; lane < LANES; lane++, at++) {
      if (group.outputs.get(at) === UNSPENT) {
        high[lane] += coinsHigh[id];
        low[lane] += coinsLow[id];
      }
    }
    if ((id & 0xf_ffff) === 0xf_ffff) carry();
  }
  carry();
  return supplies;
}
