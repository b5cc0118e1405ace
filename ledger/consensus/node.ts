// One ledger node's decisions, without clocks or sockets (sans-IO): the caller hands it
// transactions and peers' messages with the current time, and sends what it returns. The
// simulator drives it with a virtual clock; the daemon with a real one.
//
// The rules, per output (an outpoint):
// 1. A node signs PENDING for the first valid transaction it sees spending an output, and
//    forwards only that one. A second spender opens a conflict: not signed, not forwarded.
// 2. It signs ACCEPTED for a transaction once peers holding ≥ 2/3 of the trust weight signed
//    PENDING for it and it knows of no conflict; for a conflict, once the conflict window has
//    passed, for the side whose first observers weigh more (ties: the lower hash). It signs
//    ACCEPTED for at most one spender of an output, ever.
// 3. It commits a transaction once ≥ 2/3 of the weight signed ACCEPTED for it. With less than
//    1/3 of the weight faulty, two spenders of one output can never both reach that, so no two
//    honest nodes commit conflicting transactions, and a commit is never undone.
// A peer that signs PENDING for two spenders of one output leaves evidence (both signed edges)
// that any node can check; its weight drops to zero and its trust to −1.
import { bytesEqual, toHex } from "../crypto.ts";
import { makeEvidence, observationEdge, ObservationBuilder, verifyEvidence, verifyObservation, type ObservationSigner } from "../observation/index.ts";
import { TxState, type EquivocationEvidence, type Observation, type Transaction } from "../schema.ts";
import { outPointKey, txHash } from "../tx/hash.ts";
import { validateTransaction, type RejectReason, type VerifySignature } from "../tx/validate.ts";
import type { AcceptedState } from "./memory-ledger.ts";

export type PeerKey = string;

export const QUORUM = 2 / 3;
export const DEFAULT_CONFLICT_WINDOW_MS = 1_000;
export const DEFAULT_REANNOUNCE_MS = 1_000;
/** A transaction's re-announcements back off to at most this many times the first interval. */
const MAX_REANNOUNCE_FACTOR = 4;
/** How long a transaction whose inputs are not yet committed waits before it is dropped. */
export const ORPHAN_TIMEOUT_MS = 30_000;
/** Transactions a node asks one peer for at once. */
export const MAX_WANTED = 256;

/** Misbehaviour the simulator gives byzantine nodes; real nodes are always honest. */
export type Behaviour = "honest" | "equivocate" | "omit";

export type Message =
  | { kind: "tx"; tx: Transaction }
  | { kind: "observation"; observation: Observation }
  | { kind: "evidence"; evidence: EquivocationEvidence }
  | { kind: "want"; hashes: string[] }
  | { kind: "sync" }
  | { kind: "certify"; hashes: string[] }
  | { kind: "certified"; items: { tx: Transaction; votes: Observation[] }[] };

export type Outbound = { to: "all" | PeerKey[]; message: Message };

export interface LedgerNodeConfig {
  self: PeerKey;
  signer: ObservationSigner;
  /** Every peer of the network, this node included. */
  peers: readonly PeerKey[];
  publicKeyOf(peer: PeerKey): Uint8Array | undefined;
  state: AcceptedState;
  verify: VerifySignature;
  /** Observations' signatures and roots; the simulator shares one cache among its nodes. */
  verifyObservation?: (observation: Observation, publicKey: Uint8Array) => boolean;
  intervalMs: number;
  conflictWindowMs?: number;
  reannounceMs?: number;
  behaviour?: Behaviour;
}

type Status = "waiting" | "pending" | "conflicted" | "committed" | "rejected";

interface TxRecord {
  tx: Transaction;
  hash: Uint8Array;
  key: string;
  /** Output keys it consumes; known once it validated. */
  spends: string[];
  status: Status;
  reason?: RejectReason;
  seenMs: number;
  announcedMs: number;
  /** The wait before its next re-announcement: doubled each time, up to MAX_REANNOUNCE_MS. */
  reannounceAfterMs: number;
  signedPending: boolean;
  signedAccepted: boolean;
  /** Position in this node's commit order. */
  commitSeq: number;
  pending: Map<PeerKey, Observation>;
  accepted: Map<PeerKey, Observation>;
}

export interface NodeEvents {
  committed: { hash: string; atMs: number }[];
  rejected: { hash: string; reason: string }[];
  evidence: PeerKey[];
}

export class LedgerNode {
  readonly config: LedgerNodeConfig;
  readonly events: NodeEvents = { committed: [], rejected: [], evidence: [] };
  readonly #observations: ObservationBuilder;
  readonly #txs = new Map<string, TxRecord>();
  /** Transactions still to be decided: waiting, pending or conflicted. */
  readonly #open = new Map<string, TxRecord>();
  /** Output key → the transactions seen spending it. */
  readonly #spenders = new Map<string, Set<TxRecord>>();
  readonly #committedInOrder: TxRecord[] = [];
  /** Output key → the first transaction this node saw spending it. */
  readonly #claims = new Map<string, string>();
  /** Output key → the transaction this node signed ACCEPTED for. */
  readonly #acceptedFor = new Map<string, string>();
  /** Output key → when its conflict opened. */
  readonly #conflicts = new Map<string, number>();
  /** Peer → output key → its first PENDING there (for equivocation evidence). */
  readonly #firstPending = new Map<PeerKey, Map<string, { hash: string; observation: Observation }>>();
  /** Votes for transactions not yet seen, replayed when they arrive. */
  readonly #orphanVotes = new Map<string, { peer: PeerKey; state: TxState; observation: Observation }[]>();
  readonly #weights = new Map<PeerKey, number>();
  readonly #totalWeight: number;
  readonly #behaviour: Behaviour;
  #out: Outbound[] = [];
  /** Rotates which peers a node asks for certificates. */
  #askRound = 0;

  constructor(config: LedgerNodeConfig) {
    this.config = config;
    this.#behaviour = config.behaviour ?? "honest";
    this.#observations = new ObservationBuilder(config.signer, config.intervalMs);
    for (const peer of config.peers) this.#weights.set(peer, 1);
    this.#totalWeight = config.peers.length;
  }

  /** Transactions still to be decided here (waiting, pending or conflicted). */
  get openCount(): number {
    return this.#open.size;
  }

  /** Trust weight this node gives a peer: 1, or 0 after evidence of equivocation. */
  weightOf(peer: PeerKey): number {
    return this.#weights.get(peer) ?? 0;
  }

  status(hash: string): Status | undefined {
    return this.#txs.get(hash)?.status;
  }

  /** The ACCEPTED observations this node holds for a transaction: its proof of acceptance. */
  acceptedVotes(hash: string): Observation[] {
    return [...(this.#txs.get(hash)?.accepted.values() ?? [])];
  }

  /** The transaction itself, if this node has seen it. */
  transaction(hash: string): Transaction | undefined {
    return this.#txs.get(hash)?.tx;
  }

  rejection(hash: string): RejectReason | undefined {
    return this.#txs.get(hash)?.reason;
  }

  /** What this node knows of a transaction: its status and the weight of each kind of vote. */
  inspect(hash: string): { status: Status; pendingWeight: number; acceptedWeight: number; signedPending: boolean; signedAccepted: boolean } | undefined {
    const r = this.#txs.get(hash);
    return r && { status: r.status, pendingWeight: this.#weight(r.pending), acceptedWeight: this.#weight(r.accepted), signedPending: r.signedPending, signedAccepted: r.signedAccepted };
  }

  submit(tx: Transaction, nowMs: number): Outbound[] {
    this.#receiveTx(tx, nowMs);
    return this.#flush();
  }

  receive(message: Message, from: PeerKey, nowMs: number): Outbound[] {
    switch (message.kind) {
      case "tx":
        this.#receiveTx(message.tx, nowMs);
        break;
      case "observation":
        this.#receiveObservation(message.observation, from);
        break;
      case "evidence":
        this.#receiveEvidence(message.evidence);
        break;
      case "want": {
        const txs = message.hashes.slice(0, MAX_WANTED).map((h) => this.#txs.get(h)?.tx).filter((t) => t !== undefined);
        for (const tx of txs) this.#send([from], { kind: "tx", tx });
        break;
      }
      case "sync":
        this.#send([from], { kind: "certified", items: this.#certificates() });
        break;
      case "certify": {
        const items = message.hashes
          .slice(0, MAX_WANTED)
          .map((h) => this.#txs.get(h))
          .filter((r) => r !== undefined && r.status === "committed")
          .sort((a, b) => a!.commitSeq - b!.commitSeq)
          .map((r) => ({ tx: r!.tx, votes: [...r!.accepted.values()] }));
        if (items.length > 0) this.#send([from], { kind: "certified", items });
        break;
      }
      case "certified":
        for (const item of message.items) this.#receiveCertified(item.tx, item.votes, nowMs);
        break;
    }
    return this.#flush();
  }

  tick(nowMs: number): Outbound[] {
    this.#decide(nowMs);
    this.#reannounce(nowMs);
    const observation = this.#observations.seal(nowMs);
    if (observation) {
      const to = this.#behaviour === "omit" ? this.config.peers.filter((_, i) => i % 2 === 0) : "all";
      this.#send(to, { kind: "observation", observation });
      this.#countOwnVotes(observation);
    }
    return this.#flush();
  }

  /** After a restart: ask peers for what was committed meanwhile. */
  resync(peers: readonly PeerKey[]): Outbound[] {
    this.#send([...peers], { kind: "sync" });
    return this.#flush();
  }

  #send(to: "all" | PeerKey[], message: Message): void {
    this.#out.push({ to, message });
  }

  #flush(): Outbound[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #receiveTx(tx: Transaction, nowMs: number): void {
    if (!tx.body) return;
    const hash = txHash(tx.body);
    const key = toHex(hash);
    if (this.#txs.has(key)) return;
    const record: TxRecord = {
      tx, hash, key, spends: [], status: "waiting", seenMs: nowMs, announcedMs: nowMs, reannounceAfterMs: this.config.reannounceMs ?? DEFAULT_REANNOUNCE_MS,
      signedPending: false, signedAccepted: false, commitSeq: -1, pending: new Map(), accepted: new Map(),
    };
    this.#txs.set(key, record);
    this.#open.set(key, record);
    this.#admit(record, nowMs);
    for (const vote of this.#orphanVotes.get(key) ?? []) this.#vote(record, vote.peer, vote.state, vote.observation);
    this.#orphanVotes.delete(key);
  }

  /** Validates a waiting transaction against committed state and claims its outputs. */
  #admit(record: TxRecord, nowMs: number): void {
    const result = validateTransaction(record.tx, this.config.state, nowMs, this.config.verify);
    if (!result.ok) {
      if (result.reason === "unknown_input" && nowMs - record.seenMs < ORPHAN_TIMEOUT_MS) return; // its parent may not be committed here yet
      this.#reject(record, result.reason);
      return;
    }
    record.spends = result.consumed.map(outPointKey);
    for (const k of record.spends) {
      let set = this.#spenders.get(k);
      if (!set) this.#spenders.set(k, (set = new Set()));
      set.add(record);
    }
    const rivals = record.spends.map((k) => this.#claims.get(k)).filter((h) => h !== undefined && h !== record.key);
    if (rivals.length > 0 && this.#behaviour !== "equivocate") {
      record.status = "conflicted";
      for (const k of record.spends) if (this.#claims.has(k) && this.#claims.get(k) !== record.key && !this.#conflicts.has(k)) this.#conflicts.set(k, nowMs);
      for (const rival of rivals) {
        const other = this.#txs.get(rival!);
        if (other && other.status === "pending") other.status = "conflicted";
      }
      return;
    }
    for (const k of record.spends) if (!this.#claims.has(k)) this.#claims.set(k, record.key);
    record.status = "pending";
    record.signedPending = true;
    this.#observations.observe({ txHash: record.hash, state: TxState.TX_STATE_PENDING, observedMs: BigInt(Math.floor(nowMs)) });
    this.#send("all", { kind: "tx", tx: record.tx });
  }

  #reject(record: TxRecord, reason: RejectReason): void {
    if (record.status === "rejected" || record.status === "committed") return;
    record.status = "rejected";
    record.reason = reason;
    this.#open.delete(record.key);
    this.events.rejected.push({ hash: record.key, reason });
  }

  #receiveObservation(observation: Observation, from: PeerKey): void {
    const header = observation.header;
    if (!header) return;
    const peer = toHex(header.peer);
    const key = this.config.publicKeyOf(peer);
    if (!key || peer === this.config.self) return;
    const check = this.config.verifyObservation ?? verifyObservation;
    if (!check(observation, key)) return; // a forged or corrupt observation: dropped
    const wanted: string[] = [];
    for (const entry of observation.entries) {
      const hash = toHex(entry.txHash);
      const record = this.#txs.get(hash);
      if (record) this.#vote(record, peer, entry.state, observation);
      else {
        const votes = this.#orphanVotes.get(hash) ?? [];
        if (votes.length === 0) wanted.push(hash);
        votes.push({ peer, state: entry.state, observation });
        this.#orphanVotes.set(hash, votes);
      }
    }
    for (const root of observation.peerRoots) this.#observations.seePeerRoot(root);
    this.#observations.seePeerRoot({ peer: header.peer, sequence: header.sequence, root: header.merkleRoot });
    if (wanted.length > 0) this.#send([from], { kind: "want", hashes: wanted.slice(0, MAX_WANTED) });
  }

  #vote(record: TxRecord, peer: PeerKey, state: TxState, observation: Observation): void {
    if (state === TxState.TX_STATE_ACCEPTED) {
      record.accepted.set(peer, observation);
      return;
    }
    if (state !== TxState.TX_STATE_PENDING) return;
    record.pending.set(peer, observation);
    if (record.spends.length === 0) return; // not validated yet; equivocation is judged on outputs
    let firsts = this.#firstPending.get(peer);
    if (!firsts) this.#firstPending.set(peer, (firsts = new Map()));
    for (const k of record.spends) {
      const first = firsts.get(k);
      if (!first) firsts.set(k, { hash: record.key, observation });
      else if (first.hash !== record.key) this.#equivocated(peer, first, { hash: record.key, observation });
    }
  }

  #equivocated(peer: PeerKey, a: { hash: string; observation: Observation }, b: { hash: string; observation: Observation }): void {
    if (this.weightOf(peer) === 0) return;
    const [ta, tb] = [this.#txs.get(a.hash)!, this.#txs.get(b.hash)!];
    const edgeA = observationEdge(a.observation, ta.hash, TxState.TX_STATE_PENDING);
    const edgeB = observationEdge(b.observation, tb.hash, TxState.TX_STATE_PENDING);
    if (!edgeA || !edgeB) return;
    const evidence = makeEvidence(edgeA, ta.tx.body!, edgeB, tb.tx.body!);
    this.#convict(peer);
    this.#send("all", { kind: "evidence", evidence });
  }

  #receiveEvidence(evidence: EquivocationEvidence): void {
    const peer = evidence.first?.header ? toHex(evidence.first.header.peer) : undefined;
    if (!peer || this.weightOf(peer) === 0) return;
    const key = this.config.publicKeyOf(peer);
    if (key && verifyEvidence(evidence, key)) this.#convict(peer);
  }

  #convict(peer: PeerKey): void {
    this.#weights.set(peer, 0);
    this.events.evidence.push(peer);
  }

  /** The trust weight of the peers that voted, this node's own signed vote included. */
  #weight(votes: Map<PeerKey, Observation>): number {
    let total = 0;
    for (const peer of votes.keys()) total += this.weightOf(peer);
    return total;
  }

  #countOwnVotes(observation: Observation): void {
    for (const entry of observation.entries) {
      const record = this.#txs.get(toHex(entry.txHash));
      if (!record) continue;
      if (entry.state === TxState.TX_STATE_PENDING) record.pending.set(this.config.self, observation);
      else if (entry.state === TxState.TX_STATE_ACCEPTED) record.accepted.set(this.config.self, observation);
    }
  }

  #signAccepted(record: TxRecord, nowMs: number): void {
    if (record.signedAccepted) return;
    if (this.#behaviour === "honest" || this.#behaviour === "omit") {
      if (record.spends.some((k) => this.#acceptedFor.has(k) && this.#acceptedFor.get(k) !== record.key)) return;
      for (const k of record.spends) this.#acceptedFor.set(k, record.key);
    }
    record.signedAccepted = true;
    this.#observations.observe({ txHash: record.hash, state: TxState.TX_STATE_ACCEPTED, observedMs: BigInt(Math.floor(nowMs)) });
  }

  #decide(nowMs: number): void {
    const quorum = QUORUM * this.#totalWeight;
    const window = this.config.conflictWindowMs ?? DEFAULT_CONFLICT_WINDOW_MS;
    for (const record of this.#open.values()) {
      if (record.status === "waiting") this.#admit(record, nowMs);
      if (record.status === "pending" && !record.signedAccepted && this.#weight(record.pending) >= quorum) {
        if (!record.spends.some((k) => this.#conflicts.has(k))) this.#signAccepted(record, nowMs);
      }
    }
    for (const [output, openedMs] of this.#conflicts) {
      if (nowMs - openedMs < window || this.#acceptedFor.has(output)) continue;
      const sides = [...(this.#spenders.get(output) ?? [])].filter((r) => r.status === "pending" || r.status === "conflicted");
      if (sides.length === 0) continue;
      // The heavier side by the weight of the peers that observed it first; ties: the lower hash.
      sides.sort((a, b) => this.#weight(b.pending) - this.#weight(a.pending) || (a.key < b.key ? -1 : 1));
      this.#signAccepted(sides[0], nowMs);
    }
    for (const record of [...this.#open.values()]) {
      if ((record.status === "pending" || record.status === "conflicted") && this.#weight(record.accepted) >= quorum) this.#commit(record, nowMs);
    }
  }

  #commit(record: TxRecord, nowMs: number): void {
    const result = validateTransaction(record.tx, this.config.state, nowMs, this.config.verify);
    if (!result.ok) return; // its inputs are not all committed here yet
    this.config.state.commit(record.tx, record.hash, result.consumed, nowMs);
    // A quorum accepted it: say so too, so peers still short of that quorum get there.
    this.#signAccepted(record, nowMs);
    record.status = "committed";
    this.#open.delete(record.key);
    this.#committedInOrder.push(record);
    record.commitSeq = this.events.committed.length;
    this.events.committed.push({ hash: record.key, atMs: nowMs });
    for (const k of record.spends) {
      this.#conflicts.delete(k);
      for (const other of this.#spenders.get(k) ?? []) if (other !== record) this.#reject(other, "spent_input");
    }
  }

  /**
   * Re-signs votes not yet acted on, so observations lost on the way are made good, and asks
   * a few peers for the certificates of transactions still open here (peers that committed a
   * transaction no longer vote on it).
   */
  #reannounce(nowMs: number): void {
    const every = this.config.reannounceMs ?? DEFAULT_REANNOUNCE_MS;
    const open: string[] = [];
    for (const record of this.#open.values()) {
      if (nowMs - record.announcedMs < record.reannounceAfterMs) continue;
      record.announcedMs = nowMs;
      // A transaction that stays open that long is more likely held up than lost: announcing a
      // backlog at a fixed pace would load a busy network in proportion to its backlog.
      record.reannounceAfterMs = Math.min(record.reannounceAfterMs * 2, every * MAX_REANNOUNCE_FACTOR);
      open.push(record.key);
      if (record.signedPending) this.#observations.observe({ txHash: record.hash, state: TxState.TX_STATE_PENDING, observedMs: BigInt(Math.floor(nowMs)) });
      if (record.signedAccepted) this.#observations.observe({ txHash: record.hash, state: TxState.TX_STATE_ACCEPTED, observedMs: BigInt(Math.floor(nowMs)) });
      if (record.signedPending) this.#send("all", { kind: "tx", tx: record.tx });
    }
    if (open.length > 0) {
      const peers = this.config.peers;
      const asked = [1, 2, 3].map((i) => peers[(this.#askRound * 3 + i) % peers.length]).filter((p) => p !== this.config.self);
      this.#askRound++;
      this.#send(asked, { kind: "certify", hashes: open.slice(0, MAX_WANTED) });
    }
  }

  #certificates(): { tx: Transaction; votes: Observation[] }[] {
    return this.#committedInOrder.map((r) => ({ tx: r.tx, votes: [...r.accepted.values()] }));
  }

  /** A transaction with ACCEPTED observations from peers holding ≥ 2/3 of the weight. */
  #receiveCertified(tx: Transaction, votes: readonly Observation[], nowMs: number): void {
    this.#receiveTx(tx, nowMs);
    const record = this.#txs.get(toHex(txHash(tx.body!)));
    if (!record || record.status === "committed") return;
    const check = this.config.verifyObservation ?? verifyObservation;
    for (const observation of votes) {
      const peer = observation.header ? toHex(observation.header.peer) : "";
      const key = this.config.publicKeyOf(peer);
      if (!key || !check(observation, key)) continue;
      if (observation.entries.some((e) => e.state === TxState.TX_STATE_ACCEPTED && bytesEqual(e.txHash, record.hash))) record.accepted.set(peer, observation);
    }
    if (record.status === "rejected") return;
    if (this.#weight(record.accepted) >= QUORUM * this.#totalWeight) this.#commit(record, nowMs);
  }
}
