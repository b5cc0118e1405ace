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
//
// In a large network only a committee of validators votes (./validators.ts): "the weight" above
// is the committee's. The other peers follow: they forward what clients submit to the
// committee, and apply the certificates their feeders send them, in the feeders' commit order.
import { invariant } from "../../common/errors.ts";
import { bytesEqual, toHex } from "../crypto.ts";
import { edgeCutter, makeEvidence, observationEdge, ObservationBuilder, verifyEdge, verifyEvidence, verifyObservation, type ObservationSigner } from "../observation/index.ts";
import { TxState, type EquivocationEvidence, type Observation, type ObservationEdge, type ObservationHeader, type OutPoint, type Transaction } from "../schema.ts";
import { hashKey, outPointKey, txHash, txKey } from "../tx/hash.ts";
import { validateTransaction, type ContentVerdicts, type RejectReason, type VerifySignature } from "../tx/validate.ts";
import type { AcceptedState, Certificate } from "./memory-ledger.ts";
import { feedAssignment, type PeerKey } from "./validators.ts";
import { addVoter, countVotersOutside, hasVoter, SlotPool, VoteTable, type VoterSet } from "./vote-table.ts";

export type { Certificate, PeerKey };

export const QUORUM = 2 / 3;
export const DEFAULT_CONFLICT_WINDOW_MS = 1_000;
export const DEFAULT_REANNOUNCE_MS = 1_000;
/** A transaction's re-announcements back off to at most this many times the first interval. */
const MAX_REANNOUNCE_FACTOR = 4;
/** How long a transaction whose inputs are not yet committed waits before it is dropped. */
export const ORPHAN_TIMEOUT_MS = 30_000;
/**
 * Votes for a transaction not seen here are kept this long for it to arrive, for at most this
 * many transactions (the oldest go first): a voter may name hashes that never arrive.
 */
export const ORPHAN_VOTES_KEPT_MS = 30_000;
const MAX_ORPHAN_TRANSACTIONS = 100_000;
/** Transactions a node asks one peer for at once, and certificates one catch-up reply carries. */
export const MAX_WANTED = 256;
/** A feeder with nothing new still tells its followers how far it is this often, so a lost last message is noticed. */
export const FEED_HEARTBEAT_MS = 1_000;
/** A follower asks a feeder to fill a gap at most this often. */
const FEED_GAP_RETRY_MS = 500;
/** A restarted validator asks for what was committed from this long before its last commit (clocks differ). */
export const RESYNC_MARGIN_MS = 30_000;
/** Header signatures of certificates' edges a node remembers having checked (edges of one observation share one). */
const MAX_CHECKED_HEADERS = 1_024;
/**
 * How long a decided transaction's record (its votes, its claims on outputs) stays in memory:
 * past that, what peers and clients ask about it is answered from the state, where its votes are
 * kept with it. Long past the time votes on it still come in (re-announcements back off to a few
 * seconds), so late votes find its record and an equivocation over its rivals is still caught.
 */
export const DEFAULT_RETAIN_DECIDED_MS = 60_000;
/** Rejection reasons remembered after their records are forgotten, for clients that ask late. */
const MAX_REMEMBERED_REJECTIONS = 100_000;
/** Times a follower asks for a better certificate of one transaction, and transactions it asks about at once (forgeries cost nothing to send). */
const MAX_SHORT_ASKS = 8;
const MAX_SHORT_CERTIFICATES = 10_000;
/** Observations a validator holds uncounted until its tick: past this many (a flood), it counts them at once. */
export const MAX_UNREAD_OBSERVATIONS = 4_096;

/** What a call that has nothing to send returns (frozen: callers read it, never add to it). */
const NOTHING_TO_SEND: Outbound[] = Object.freeze([]) as unknown as Outbound[];

/** Misbehaviour the simulator gives byzantine nodes; real nodes are always honest. */
export type Behaviour = "honest" | "equivocate" | "omit";

/** Where a run of certificates sits in its sender's commit order: `first` is the first item's position, `next` the sender's count. */
export interface FeedPosition {
  first: number;
  next: number;
}

export type Message =
  | { kind: "tx"; tx: Transaction }
  | { kind: "observation"; observation: Observation }
  | { kind: "evidence"; evidence: EquivocationEvidence }
  | { kind: "want"; hashes: string[] }
  /** Catch-up: commits from a position in the receiver's commit order, or since a time; everything when neither. */
  | { kind: "sync"; fromSeq?: number; sinceMs?: number }
  | { kind: "certify"; hashes: string[] }
  | { kind: "certified"; items: Certificate[]; feed?: FeedPosition };

export type Outbound = { to: "all" | readonly PeerKey[]; message: Message };

export interface LedgerNodeConfig {
  self: PeerKey;
  signer: ObservationSigner;
  /** Every peer of the network, this node included. */
  peers: readonly PeerKey[];
  /** The peers whose observations decide (./validators.ts); every peer when absent. */
  validators?: readonly PeerKey[];
  publicKeyOf(peer: PeerKey): Uint8Array | undefined;
  state: AcceptedState;
  verify: VerifySignature;
  /** Observations' signatures and roots; the simulator shares one cache among its nodes. */
  verifyObservation?: (observation: Observation, publicKey: Uint8Array) => boolean;
  /** Transactions already checked but for their inputs; the simulator shares one among its nodes. */
  contentVerdicts?: ContentVerdicts;
  /** The committee indices of the validators among `votes` whose edge is genuine and says ACCEPTED for `hash`; the simulator shares a cache. */
  acceptedVoters?: typeof acceptedVoterSet;
  intervalMs: number;
  /** How long a decided transaction's record stays in memory (DEFAULT_RETAIN_DECIDED_MS). */
  retainDecidedMs?: number;
  conflictWindowMs?: number;
  reannounceMs?: number;
  behaviour?: Behaviour;
}

type Status = "waiting" | "pending" | "conflicted" | "committed" | "rejected";

/**
 * Calls `visit` with each edge among `votes` that says ACCEPTED for `hash` and is genuine, and
 * its validator's committee index (`check` names an edge's signer, or fails it). A validator
 * may come more than once: its last edge is the one to keep.
 */
export function forEachCertifier(hash: Uint8Array, votes: readonly ObservationEdge[], check: (edge: ObservationEdge) => number | undefined, visit: (voter: number, edge: ObservationEdge) => void): void {
  for (const edge of votes) {
    if (edge.entry?.state !== TxState.TX_STATE_ACCEPTED || (edge.entry.txHash !== hash && !bytesEqual(edge.entry.txHash, hash))) continue;
    const voter = check(edge);
    if (voter !== undefined) visit(voter, edge);
  }
}

/**
 * The committee indices of forEachCertifier: what a follower weighs a certificate by. A set of
 * bits, not a map of edges nor a list: the simulator keeps one per certificate it saw.
 */
export function acceptedVoterSet(hash: Uint8Array, votes: readonly ObservationEdge[], check: (edge: ObservationEdge) => number | undefined): VoterSet {
  const voters: number[] = [];
  forEachCertifier(hash, votes, check, (voter) => addVoter(voters, voter));
  return voters;
}

interface TxRecord {
  tx: Transaction;
  hash: Uint8Array;
  key: string;
  /** Output keys it consumes; known once it validated. */
  spends: string[];
  status: Status;
  reason?: RejectReason;
  /** Submitted here by a client: this node announces it (a follower, to the committee) until it is decided. */
  local: boolean;
  seenMs: number;
  /**
   * When it was committed or rejected here: its record is forgotten a while after. −1 until then
   * (read only once decided): a whole number, not Infinity, so V8 keeps the field in the record
   * instead of boxing it in a heap number of its own, an object more per record.
   */
  decidedMs: number;
  announcedMs: number;
  /** The wait before its next re-announcement: doubled each time, up to MAX_REANNOUNCE_FACTOR × the first. */
  reannounceAfterMs: number;
  signedPending: boolean;
  signedAccepted: boolean;
  /** Position in this node's commit order (the state's). */
  commitSeq: number;
  /** Its votes' place in the node's vote tables, while the node holds this record. */
  slot: number;
  /** Committed and never contested: its PENDING votes are done with (cleared, and later ones not kept). */
  pendingDone: boolean;
  /** The weight of its PENDING and ACCEPTED votes, kept as votes arrive (and when a voter is convicted). */
  pendingWeight: number;
  acceptedWeight: number;
  /** Validators that said ACCEPTED, whatever their weight now. */
  acceptedVoters: number;
  /** Another transaction spends an output this one spends: PENDING votes are checked for equivocation. */
  contested: boolean;
  /** Built once when committed, and sent as is to every peer that asks. */
  certificate?: Certificate;
}

export interface NodeEvents {
  /** Transactions in the order committed here, and when each was (same index): two flat arrays, not an object per commit. Cleared by clearEvents(). */
  committed: string[];
  committedAtMs: number[];
  rejected: { hash: string; reason: string }[];
  evidence: PeerKey[];
  /** Transactions this node signed PENDING for after signing a rival spender: only the simulator's equivocators do. */
  equivocations: string[];
}

/**
 * An observation's entries as two dense arrays, their hex names and their states, worked out once
 * per observation however many nodes read it: counting its votes then reads these instead of
 * an entry object per vote, scattered through the heap; and the edges of its entries.
 */
interface EntryIndex {
  keys: string[];
  states: TxState[];
  edgeAt: (leaf: number) => ObservationEdge;
}
const ENTRY_INDEX = new WeakMap<Observation, EntryIndex>();
function entryIndex(observation: Observation): EntryIndex {
  let index = ENTRY_INDEX.get(observation);
  if (!index) {
    const { entries } = observation;
    index = { keys: entries.map((e) => hashKey(e.txHash)), states: entries.map((e) => e.state), edgeAt: edgeCutter(observation) };
    ENTRY_INDEX.set(observation, index);
  }
  return index;
}

/** The signer of an observation header in hex, worked out once per header (its edges share it). */
const HEADER_PEERS = new WeakMap<ObservationHeader, PeerKey>();
function signerOf(header: ObservationHeader | undefined): PeerKey | undefined {
  if (!header) return undefined;
  let peer = HEADER_PEERS.get(header);
  if (peer === undefined) HEADER_PEERS.set(header, (peer = toHex(header.peer)));
  return peer;
}

export class LedgerNode {
  readonly config: LedgerNodeConfig;
  readonly events: NodeEvents = { committed: [], committedAtMs: [], rejected: [], evidence: [], equivocations: [] };
  readonly #observations: ObservationBuilder;
  readonly #txs = new Map<string, TxRecord>();
  /** Transactions still to be decided: waiting, pending or conflicted. */
  readonly #open = new Map<string, TxRecord>();
  /** Output key → the transactions seen spending it. */
  readonly #spenders = new Map<string, TxRecord[]>();
  /** Committed and rejected records in the order decided, from `#decidedHead` on: forgotten once old enough. */
  #decided: TxRecord[] = [];
  #decidedHead = 0;
  /** Why forgotten records were rejected, the oldest dropped first past MAX_REMEMBERED_REJECTIONS. */
  readonly #rejections = new Map<string, RejectReason>();
  /** Output key → the first transaction this node saw spending it. */
  readonly #claims = new Map<string, string>();
  /** Output key → the transaction this node signed ACCEPTED for. */
  readonly #acceptedFor = new Map<string, string>();
  /** Output key → when its conflict opened. */
  readonly #conflicts = new Map<string, number>();
  /** Votes for transactions not yet seen, replayed when they arrive. */
  readonly #orphanVotes = new Map<string, { sinceMs: number; votes: { voter: number; observation: Observation; leaf: number }[] }>();
  /**
   * Votes by record slot and validator index (the committee's order): the observation each
   * validator said PENDING in, and ACCEPTED votes as the edges of their entries (what
   * certificates and proofs carry). A record's slot is given back when the record is forgotten.
   */
  readonly #slots: SlotPool;
  readonly #pendingVotes: VoteTable<Observation>;
  readonly #acceptedVotes: VoteTable<ObservationEdge>;
  /** Validator → its index in the committee. */
  readonly #validatorIndex = new Map<PeerKey, number>();
  /**
   * The indices of validators convicted of equivocation. A validator weighs 1 until convicted,
   * then 0: a set of voters weighs as many as it holds unconvicted, counted a word at a time
   * (a follower weighs every certificate it applies).
   */
  readonly #convicted: number[];
  readonly #totalWeight: number;
  readonly #behaviour: Behaviour;
  readonly #validators: readonly PeerKey[];
  readonly #isValidator: boolean;
  /** Where votes and transactions go: everyone when every peer validates, else the rest of the committee. */
  readonly #committee: "all" | PeerKey[];
  /** A validator's followers, sent its commits; a follower's feeders, that send it theirs. */
  readonly #followers: readonly PeerKey[] = [];
  readonly #feeders: readonly PeerKey[] = [];
  /** Follower: certificates waiting for their inputs to be committed. */
  readonly #parked = new Map<string, Certificate>();
  /** Follower: per feeder, the position in its commit order up to which this node has everything. */
  readonly #feedCursor = new Map<PeerKey, number>();
  readonly #gapAskedMs = new Map<PeerKey, number>();
  /** Validator: the position in its commit order up to which followers were sent commits, the commits since, and when it last sent them anything. */
  #fedUpTo: number;
  #unfed: Certificate[] = [];
  #lastFeedMs = -Infinity;
  /** Validator: a catch-up reply has reached the end of its sender's commits. */
  #caughtUp = false;
  /** Validator: per peer, the position in its commit order this node last asked it to catch up from. */
  readonly #catchUpAsked = new Map<PeerKey, number>();
  /** Follower: transactions whose certificates came short of a quorum here, and how often it asked for better ones. */
  readonly #shortAsks = new Map<string, number>();
  #out: Outbound[] = [];
  /**
   * Validator: observations received since the last tick, whose votes the next tick counts. A
   * vote acts only in a tick (#decide), so counting them together changes no decision, and a tick's
   * observations name mostly the same transactions: counted one after another, their records and
   * vote rows are still in the cache for the next observation; counted as each arrived, other
   * work had pushed them out (in the simulator, every other node's).
   */
  #unread: { observation: Observation; from: PeerKey }[] = [];
  /** Rotates which validators a node asks for certificates. */
  #askRound = 0;
  /** The millisecond of this node's latest observed entry, and that time as the bigint entries share. */
  #observedMs = NaN;
  #observedAt = 0n;
  /** Header signatures of edges checked here, by hex signature: the digest they were good for. */
  readonly #checkedHeaders = new Map<string, string>();

  constructor(config: LedgerNodeConfig) {
    this.config = config;
    this.#behaviour = config.behaviour ?? "honest";
    this.#observations = new ObservationBuilder(config.signer, config.intervalMs);
    const validators = config.validators ?? config.peers;
    this.#validators = validators;
    validators.forEach((peer, i) => this.#validatorIndex.set(peer, i));
    this.#convicted = new Array<number>(Math.ceil(validators.length / 32)).fill(0);
    this.#totalWeight = validators.length;
    this.#pendingVotes = new VoteTable(validators.length);
    this.#acceptedVotes = new VoteTable(validators.length);
    this.#slots = new SlotPool([this.#pendingVotes, this.#acceptedVotes]);
    this.#isValidator = validators.includes(config.self);
    this.#fedUpTo = config.state.committedCount();
    const everyone = validators.length === config.peers.length;
    this.#committee = everyone ? "all" : validators.filter((v) => v !== config.self);
    if (!everyone) {
      const { feedersOf, followersOf } = feedAssignment(config.peers, validators);
      this.#feeders = feedersOf.get(config.self) ?? [];
      this.#followers = followersOf.get(config.self) ?? [];
    }
  }

  /** Transactions still to be decided here (waiting, pending or conflicted). */
  get openCount(): number {
    return this.#open.size;
  }

  /** Whether a validator's catch-up (resync) reached the end of some peer's commits: it need not ask again. */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  /** Whether this node's observations count: it is one of the committee. */
  get isValidator(): boolean {
    return this.#isValidator;
  }

  /** Trust weight this node gives a peer: 1 for a validator, 0 for others and after evidence of equivocation. */
  weightOf(peer: PeerKey): number {
    const index = this.#validatorIndex.get(peer);
    return index === undefined ? 0 : this.#weightAt(index);
  }

  #weightAt(voter: number): number {
    return hasVoter(this.#convicted, voter) ? 0 : 1;
  }

  status(hash: string): Status | undefined {
    const record = this.#txs.get(hash);
    if (record) return record.status;
    if (this.config.state.isCommittedKey(hash)) return "committed";
    return this.#rejections.has(hash) ? "rejected" : undefined;
  }

  /**
   * The ACCEPTED votes this node holds for a transaction, as edges: its proof of acceptance. Those
   * of its record while it has one (they may have grown since the commit), else those its state
   * kept with the commit.
   */
  acceptedVotes(hash: string): ObservationEdge[] {
    const record = this.#txs.get(hash);
    if (!record) return [...(this.config.state.certificate(hash)?.votes ?? [])];
    return record.acceptedVoters > 0 ? this.#acceptedEdges(record) : [...(record.certificate?.votes ?? [])];
  }

  /** The transaction itself, if this node holds it or committed it. */
  transaction(hash: string): Transaction | undefined {
    return this.#txs.get(hash)?.tx ?? this.config.state.certificate(hash)?.tx;
  }

  rejection(hash: string): RejectReason | undefined {
    return this.#txs.get(hash)?.reason ?? this.#rejections.get(hash);
  }

  /** Empties `events`: a long-running caller reads them as they come, then clears them. */
  clearEvents(): void {
    this.events.committed.length = 0;
    this.events.committedAtMs.length = 0;
    this.events.rejected.length = 0;
    this.events.evidence.length = 0;
    this.events.equivocations.length = 0;
  }

  /** What this node knows of a transaction: its status and the weight of each kind of vote. */
  inspect(hash: string): { status: Status; pendingWeight: number; acceptedWeight: number; signedPending: boolean; signedAccepted: boolean } | undefined {
    const r = this.#txs.get(hash);
    return r && { status: r.status, pendingWeight: r.pendingWeight, acceptedWeight: r.acceptedWeight, signedPending: r.signedPending, signedAccepted: r.signedAccepted };
  }

  submit(tx: Transaction, nowMs: number): Outbound[] {
    this.#receiveTx(tx, nowMs, true);
    return this.#flush();
  }

  receive(message: Message, from: PeerKey, nowMs: number): Outbound[] {
    switch (message.kind) {
      case "tx":
        this.#receiveTx(message.tx, nowMs, false);
        break;
      case "observation":
        if (!this.#isValidator) break;
        this.#unread.push({ observation: message.observation, from });
        if (this.#unread.length >= MAX_UNREAD_OBSERVATIONS) this.#readObservations(nowMs);
        break;
      case "evidence":
        this.#receiveEvidence(message.evidence);
        break;
      case "want": {
        const txs = message.hashes.slice(0, MAX_WANTED).map((h) => this.transaction(h)).filter((t) => t !== undefined);
        for (const tx of txs) this.#send([from], { kind: "tx", tx });
        break;
      }
      case "sync":
        this.#send([from], this.#catchUp(message));
        break;
      case "certify": {
        const items = message.hashes
          .slice(0, MAX_WANTED)
          .map((h) => this.#committedCertificate(h))
          .filter((c) => c !== undefined)
          .sort((a, b) => a.position - b.position)
          .map((c) => c.certificate);
        if (items.length > 0) this.#send([from], { kind: "certified", items });
        break;
      }
      case "certified":
        if (this.#isValidator) {
          for (const item of message.items) this.#receiveCertified(item.tx, item.votes, nowMs);
          this.#continueCatchUp(message.items, message.feed, from);
        } else this.#follow(message.items, message.feed, from, nowMs);
        break;
    }
    return this.#flush();
  }

  tick(nowMs: number): Outbound[] {
    this.#readObservations(nowMs);
    this.#decide(nowMs);
    this.#reannounce(nowMs);
    if (this.#isValidator) {
      const observation = this.#observations.seal(nowMs);
      if (observation) {
        const to = this.#behaviour === "omit" ? this.#validators.filter((v, i) => i % 2 === 0 && v !== this.config.self) : this.#committee;
        this.#send(to, { kind: "observation", observation });
        this.#countOwnVotes(observation);
      }
      if (this.#followers.length > 0) this.#feed(nowMs);
    }
    if (this.#parked.size > 0) this.#applyParked(nowMs);
    this.#forgetDecided(nowMs);
    this.#expireOrphanVotes(nowMs);
    return this.#flush();
  }

  /**
   * After a restart: ask for what was committed meanwhile. A follower asks its feeders from where
   * it stopped in each one's commit order; a validator asks `peers` (validators) for everything
   * committed since a while before its own last commit.
   */
  resync(peers: readonly PeerKey[]): Outbound[] {
    if (!this.#isValidator) {
      for (const feeder of this.#feeders) this.#send([feeder], { kind: "sync", fromSeq: this.#feedCursor.get(feeder) ?? 0 });
    } else {
      const last = this.config.state.lastCommitMs();
      this.#send([...peers], last === undefined ? { kind: "sync" } : { kind: "sync", sinceMs: Math.max(0, last - RESYNC_MARGIN_MS) });
    }
    return this.#flush();
  }

  #send(to: "all" | readonly PeerKey[], message: Message): void {
    this.#out.push({ to, message });
  }

  #flush(): Outbound[] {
    // Most messages a follower receives call for no answer: no array is made for each of them.
    if (this.#out.length === 0) return NOTHING_TO_SEND;
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #receiveTx(tx: Transaction, nowMs: number, local: boolean): void {
    if (!tx.body) return;
    const key = txKey(tx.body);
    if (this.#txs.has(key) || this.config.state.isCommittedKey(key)) return;
    const record: TxRecord = {
      tx, hash: txHash(tx.body), key, spends: [], status: "waiting", local, seenMs: nowMs, decidedMs: -1, announcedMs: nowMs, reannounceAfterMs: this.config.reannounceMs ?? DEFAULT_REANNOUNCE_MS,
      signedPending: false, signedAccepted: false, commitSeq: -1, slot: this.#slots.take(), pendingDone: false, pendingWeight: 0, acceptedWeight: 0, acceptedVoters: 0, contested: false,
      // Set later, named now: a field added to an object after it is made goes to a separate array (an object more per record).
      reason: undefined, certificate: undefined,
    };
    this.#txs.set(key, record);
    this.#open.set(key, record);
    this.#admit(record, nowMs);
    for (const vote of this.#orphanVotes.get(key)?.votes ?? []) this.#vote(record, vote.voter, vote.observation, entryIndex(vote.observation), vote.leaf);
    this.#orphanVotes.delete(key);
  }

  #validate(tx: Transaction, nowMs: number) {
    return validateTransaction(tx, this.config.state, nowMs, this.config.verify, this.config.contentVerdicts);
  }

  /** Validates a waiting transaction against committed state and claims its outputs. */
  #admit(record: TxRecord, nowMs: number): void {
    const result = this.#validate(record.tx, nowMs);
    if (!result.ok) {
      if (result.reason === "unknown_input" && nowMs - record.seenMs < ORPHAN_TIMEOUT_MS) return; // its parent may not be committed here yet
      this.#reject(record, result.reason, nowMs);
      return;
    }
    record.spends = result.consumed.map(outPointKey);
    for (const k of record.spends) {
      const spenders = this.#spenders.get(k);
      if (!spenders) this.#spenders.set(k, [record]);
      else if (!spenders.includes(record)) {
        spenders.push(record);
        for (const spender of spenders) spender.contested = true;
      }
    }
    // Votes that came before it validated are checked now that its outputs are known.
    if (record.contested) {
      for (let voter = 0; voter < this.#validators.length; voter++) {
        const observation = this.#pendingVotes.get(record.slot, voter);
        if (observation) this.#checkEquivocation(record, voter, observation);
      }
    }
    if (!this.#isValidator) {
      // A follower does not vote: it hands what clients submit to the committee.
      record.status = "pending";
      if (record.local) this.#send(this.#committee, { kind: "tx", tx: record.tx });
      return;
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
    if (rivals.some((rival) => this.#txs.get(rival!)?.signedPending)) this.events.equivocations.push(record.key);
    for (const k of record.spends) if (!this.#claims.has(k)) this.#claims.set(k, record.key);
    record.status = "pending";
    record.signedPending = true;
    this.#observe(record, TxState.TX_STATE_PENDING, nowMs);
    // The node a client gave it to announces it; the others learn it from there, or ask a voter for it.
    if (record.local) this.#send(this.#committee, { kind: "tx", tx: record.tx });
  }

  #reject(record: TxRecord, reason: RejectReason, nowMs: number): void {
    if (record.status === "rejected" || record.status === "committed") return;
    record.status = "rejected";
    record.reason = reason;
    this.#open.delete(record.key);
    this.#decidedAt(record, nowMs);
    this.events.rejected.push({ hash: record.key, reason });
  }

  #decidedAt(record: TxRecord, nowMs: number): void {
    record.decidedMs = nowMs;
    this.#decided.push(record);
  }

  /** Forgets the records decided longer than the retention ago: the state answers for them from then on. */
  #forgetDecided(nowMs: number): void {
    const retain = this.config.retainDecidedMs ?? DEFAULT_RETAIN_DECIDED_MS;
    const decided = this.#decided;
    while (this.#decidedHead < decided.length && nowMs - decided[this.#decidedHead].decidedMs >= retain) this.#forget(decided[this.#decidedHead++]);
    if (this.#decidedHead >= 1_024 && this.#decidedHead * 2 >= decided.length) {
      this.#decided = decided.slice(this.#decidedHead);
      this.#decidedHead = 0;
    }
  }

  /** Drops votes kept too long for transactions that never came (the map is in order of first vote). */
  #expireOrphanVotes(nowMs: number): void {
    for (const [hash, orphan] of this.#orphanVotes) {
      if (nowMs - orphan.sinceMs < ORPHAN_VOTES_KEPT_MS) break;
      this.#orphanVotes.delete(hash);
    }
  }

  #forget(record: TxRecord): void {
    // A record rejected, then committed from a certificate, was queued twice.
    if (this.#txs.get(record.key) !== record) return;
    this.#txs.delete(record.key);
    this.#slots.give(record.slot);
    this.#shortAsks.delete(record.key);
    if (record.status === "rejected") {
      if (this.#rejections.size >= MAX_REMEMBERED_REJECTIONS) this.#rejections.delete(this.#rejections.keys().next().value!);
      this.#rejections.set(record.key, record.reason!);
    }
    for (const k of record.spends) {
      const others = (this.#spenders.get(k) ?? []).filter((r) => r !== record);
      if (others.length > 0) this.#spenders.set(k, others);
      else {
        this.#spenders.delete(k);
        this.#conflicts.delete(k);
      }
      if (this.#claims.get(k) === record.key) this.#claims.delete(k);
      if (this.#acceptedFor.get(k) === record.key) this.#acceptedFor.delete(k);
    }
  }

  /** Counts the votes of the observations received since the last tick, in the order they came. */
  #readObservations(nowMs: number): void {
    const unread = this.#unread;
    if (unread.length === 0) return;
    this.#unread = [];
    for (const { observation, from } of unread) this.#receiveObservation(observation, from, nowMs);
  }

  #receiveObservation(observation: Observation, from: PeerKey, nowMs: number): void {
    // Only the committee's observations count; a forged or corrupt one is dropped.
    const peer = this.#validVote(observation);
    if (peer === undefined || peer === this.config.self) return;
    const header = observation.header!;
    const voter = this.#validatorIndex.get(peer)!;
    const wanted: string[] = [];
    const index = entryIndex(observation);
    const { keys } = index;
    for (let i = 0; i < keys.length; i++) {
      const hash = keys[i];
      const record = this.#txs.get(hash);
      if (record) this.#vote(record, voter, observation, index, i);
      else if (!this.config.state.isCommittedKey(hash)) {
        let orphan = this.#orphanVotes.get(hash);
        if (!orphan) {
          if (this.#orphanVotes.size >= MAX_ORPHAN_TRANSACTIONS) this.#orphanVotes.delete(this.#orphanVotes.keys().next().value!);
          this.#orphanVotes.set(hash, (orphan = { sinceMs: nowMs, votes: [] }));
        }
        const { votes } = orphan;
        // Ask its first voter, and again at its 2nd, 4th, 8th… vote whoever sent that one: a
        // request or reply lost on the way is made good, at a few requests per transaction.
        if ((votes.length & (votes.length - 1)) === 0) wanted.push(hash);
        votes.push({ voter, observation, leaf: i });
      }
    }
    // The roots this node has seen directly; roots its peers saw are in their own observations.
    this.#observations.seePeerRoot({ peer: header.peer, sequence: header.sequence, root: header.merkleRoot }, peer);
    if (wanted.length > 0) this.#send([from], { kind: "want", hashes: wanted.slice(0, MAX_WANTED) });
  }

  /** A validator's vote, entry `leaf` of its observation. */
  #vote(record: TxRecord, voter: number, observation: Observation, index: EntryIndex, leaf: number): void {
    const state = index.states[leaf];
    if (state === TxState.TX_STATE_ACCEPTED) return this.#voteAccepted(record, voter, index.edgeAt(leaf));
    if (state !== TxState.TX_STATE_PENDING) return;
    if (record.pendingDone) return;
    if (!this.#pendingVotes.has(record.slot, voter)) record.pendingWeight += this.#weightAt(voter);
    this.#pendingVotes.set(record.slot, voter, observation);
    if (record.contested) this.#checkEquivocation(record, voter, observation);
  }

  #voteAccepted(record: TxRecord, voter: number, vote: ObservationEdge): void {
    if (!this.#acceptedVotes.has(record.slot, voter)) {
      record.acceptedWeight += this.#weightAt(voter);
      record.acceptedVoters++;
    }
    this.#acceptedVotes.set(record.slot, voter, vote);
  }

  /** Whether `peer`, PENDING for this transaction, was PENDING for another spender of an output it spends. */
  #checkEquivocation(record: TxRecord, voter: number, observation: Observation): void {
    for (const k of record.spends) {
      const spenders = this.#spenders.get(k);
      if (!spenders || spenders.length < 2) continue;
      for (const other of spenders) {
        const first = other !== record ? this.#pendingVotes.get(other.slot, voter) : undefined;
        if (first) this.#equivocated(voter, { record: other, observation: first }, { record, observation });
      }
    }
  }

  #equivocated(voter: number, a: { record: TxRecord; observation: Observation }, b: { record: TxRecord; observation: Observation }): void {
    if (hasVoter(this.#convicted, voter)) return;
    const edgeA = observationEdge(a.observation, a.record.hash, TxState.TX_STATE_PENDING);
    const edgeB = observationEdge(b.observation, b.record.hash, TxState.TX_STATE_PENDING);
    if (!edgeA || !edgeB) return;
    const evidence = makeEvidence(edgeA, a.record.tx.body!, edgeB, b.record.tx.body!);
    this.#convict(this.#validators[voter]);
    this.#send("all", { kind: "evidence", evidence });
  }

  #receiveEvidence(evidence: EquivocationEvidence): void {
    const peer = evidence.first?.header ? toHex(evidence.first.header.peer) : undefined;
    if (!peer || this.weightOf(peer) === 0) return;
    const key = this.config.publicKeyOf(peer);
    if (key && verifyEvidence(evidence, key)) this.#convict(peer);
  }

  #convict(peer: PeerKey): void {
    const voter = this.#validatorIndex.get(peer);
    if (voter === undefined) return;
    const weight = this.#weightAt(voter);
    addVoter(this.#convicted, voter);
    this.events.evidence.push(peer);
    for (const record of this.#open.values()) {
      if (this.#pendingVotes.has(record.slot, voter)) record.pendingWeight -= weight;
      if (this.#acceptedVotes.has(record.slot, voter)) record.acceptedWeight -= weight;
    }
  }

  #countOwnVotes(observation: Observation): void {
    const self = this.#validatorIndex.get(this.config.self)!;
    const index = entryIndex(observation);
    const { keys } = index;
    for (let i = 0; i < keys.length; i++) {
      const record = this.#txs.get(keys[i]);
      if (record) this.#vote(record, self, observation, index, i);
    }
  }

  #signAccepted(record: TxRecord, nowMs: number): void {
    if (record.signedAccepted || !this.#isValidator) return;
    if (this.#behaviour === "honest" || this.#behaviour === "omit") {
      if (record.spends.some((k) => this.#acceptedFor.has(k) && this.#acceptedFor.get(k) !== record.key)) return;
      for (const k of record.spends) this.#acceptedFor.set(k, record.key);
    }
    record.signedAccepted = true;
    this.#observe(record, TxState.TX_STATE_ACCEPTED, nowMs);
  }

  /**
   * Puts this node's word on a transaction into its next observation. Entries of one millisecond
   * share one bigint for their time: a validator observes at least two entries per transaction,
   * each kept as long as its observation or an edge cut from it, and a bigint is an object.
   */
  #observe(record: TxRecord, state: TxState, nowMs: number): void {
    const ms = Math.floor(nowMs);
    if (ms !== this.#observedMs) [this.#observedMs, this.#observedAt] = [ms, BigInt(ms)];
    this.#observations.observe({ txHash: record.hash, state, observedMs: this.#observedAt });
  }

  #decide(nowMs: number): void {
    if (this.#open.size === 0 && this.#conflicts.size === 0) return; // a follower, most of the time
    const quorum = QUORUM * this.#totalWeight;
    const window = this.config.conflictWindowMs ?? DEFAULT_CONFLICT_WINDOW_MS;
    for (const record of this.#open.values()) {
      if (record.status === "waiting") this.#admit(record, nowMs);
      if (record.status === "pending" && !record.signedAccepted && record.pendingWeight >= quorum) {
        if (!record.spends.some((k) => this.#conflicts.has(k))) this.#signAccepted(record, nowMs);
      }
    }
    for (const [output, openedMs] of this.#conflicts) {
      if (nowMs - openedMs < window || this.#acceptedFor.has(output)) continue;
      const sides = [...(this.#spenders.get(output) ?? [])].filter((r) => r.status === "pending" || r.status === "conflicted");
      if (sides.length === 0) continue;
      // The heavier side by the weight of the peers that observed it first; ties: the lower hash.
      sides.sort((a, b) => b.pendingWeight - a.pendingWeight || (a.key < b.key ? -1 : 1));
      this.#signAccepted(sides[0], nowMs);
    }
    // Committing removes records from #open, and may reject a rival that was certified too: collect, then check again.
    const certified = (record: TxRecord) => (record.status === "pending" || record.status === "conflicted") && record.acceptedWeight >= quorum;
    const due: TxRecord[] = [];
    for (const record of this.#open.values()) if (certified(record)) due.push(record);
    for (const record of due) if (certified(record)) this.#commit(record, nowMs);
  }

  #commit(record: TxRecord, nowMs: number): void {
    const result = this.#validate(record.tx, nowMs);
    if (!result.ok) return; // its inputs are not all committed here yet
    const certificate: Certificate = { tx: record.tx, votes: this.#acceptedEdges(record) };
    this.config.state.commit(record.tx, record.hash, result.consumed, nowMs, certificate.votes);
    record.certificate = certificate;
    if (this.#followers.length > 0) this.#unfed.push(certificate);
    // A quorum accepted it: say so too, so peers still short of that quorum get there.
    this.#signAccepted(record, nowMs);
    this.#markCommitted(record, nowMs);
  }

  #markCommitted(record: TxRecord, nowMs: number): void {
    record.status = "committed";
    this.#open.delete(record.key);
    record.commitSeq = this.config.state.committedCount() - 1;
    this.#decidedAt(record, nowMs);
    this.#recordCommit(record.key, nowMs);
    this.#spentBy(record.spends, record.key, nowMs);
    // PENDING votes serve to decide and to catch equivocation between rival spenders; with no rival, both are over.
    if (!record.contested) {
      record.pendingDone = true;
      this.#pendingVotes.clear(record.slot);
    }
  }

  /** Outputs the committed transaction `winner` spent (by key, or as OutPoints): their other spenders lost. */
  #spentBy(outputs: readonly string[] | readonly OutPoint[], winner: string, nowMs: number): void {
    // A follower holds no claims, rivals or conflicts on most outputs it sees spent: nothing to settle, no keys to make.
    if (this.#spenders.size === 0 && this.#claims.size === 0 && this.#acceptedFor.size === 0 && this.#conflicts.size === 0) return;
    for (const output of outputs) {
      const k = typeof output === "string" ? output : outPointKey(output);
      this.#conflicts.delete(k);
      // Spent for good: a later spender fails validation before a claim or an ACCEPTED could matter.
      this.#claims.delete(k);
      this.#acceptedFor.delete(k);
      // Most outputs a follower sees spent had no spender here: no empty array to loop over.
      const spenders = this.#spenders.get(k);
      if (spenders !== undefined) for (const other of spenders) if (other.key !== winner) this.#reject(other, "spent_input", nowMs);
    }
  }

  #recordCommit(key: string, nowMs: number): void {
    this.events.committed.push(key);
    this.events.committedAtMs.push(nowMs);
  }

  /** A record's ACCEPTED votes, in committee order. */
  #acceptedEdges(record: TxRecord): ObservationEdge[] {
    return this.#acceptedVotes.votes(record.slot);
  }

  /**
   * The record's certificate, built once; a peer that asks for it by name found the one it had
   * short (it convicted a voter), so it gets one built again with the votes that came since.
   */
  #certificateOf(record: TxRecord, fresh = false): Certificate {
    if (!record.certificate || (fresh && record.acceptedVoters > 0 && record.certificate.votes.length < record.acceptedVoters)) {
      record.certificate = { tx: record.tx, votes: this.#acceptedEdges(record) };
    }
    return record.certificate;
  }

  /** A transaction committed here, as its certificate and its position in the commit order: from its record while it has one. */
  #committedCertificate(hash: string): { certificate: Certificate; position: number } | undefined {
    const record = this.#txs.get(hash);
    if (record) return record.status === "committed" ? { certificate: this.#certificateOf(record, true), position: record.commitSeq } : undefined;
    const stored = this.config.state.certificate(hash);
    return stored && { certificate: { tx: stored.tx, votes: stored.votes }, position: stored.position };
  }

  /**
   * Re-signs votes not yet acted on, so observations lost on the way are made good, and asks
   * a few validators for the certificates of transactions still open here (peers that committed
   * a transaction no longer vote on it).
   */
  #reannounce(nowMs: number): void {
    if (this.#open.size === 0) return;
    const every = this.config.reannounceMs ?? DEFAULT_REANNOUNCE_MS;
    const open: string[] = [];
    for (const record of this.#open.values()) {
      if (nowMs - record.announcedMs < record.reannounceAfterMs) continue;
      record.announcedMs = nowMs;
      // A transaction that stays open that long is more likely held up than lost: announcing a
      // backlog at a fixed pace would load a busy network in proportion to its backlog.
      record.reannounceAfterMs = Math.min(record.reannounceAfterMs * 2, every * MAX_REANNOUNCE_FACTOR);
      open.push(record.key);
      if (record.signedPending) this.#observe(record, TxState.TX_STATE_PENDING, nowMs);
      if (record.signedAccepted) this.#observe(record, TxState.TX_STATE_ACCEPTED, nowMs);
      // The entry node sends the transaction again; the others' votes name it, and a validator
      // without it asks a voter, so a stalled backlog is not re-sent by the whole committee.
      if (record.local && (record.signedPending || record.status === "pending")) this.#send(this.#committee, { kind: "tx", tx: record.tx });
    }
    if (open.length > 0) this.#send(this.#nextValidators(3), { kind: "certify", hashes: open.slice(0, MAX_WANTED) });
  }

  /** The next `count` validators in rotation, this node left out. */
  #nextValidators(count: number): PeerKey[] {
    const validators = this.#validators;
    const next = Array.from({ length: count }, (_, i) => validators[(this.#askRound * count + i + 1) % validators.length]).filter((p) => p !== this.config.self);
    this.#askRound++;
    return [...new Set(next)];
  }

  /**
   * The reply to a sync: at most MAX_WANTED certificates of this node's commit order, from a
   * position or from the first commit since a time, with where they sit in it (the asker goes on
   * from where they end).
   */
  #catchUp(request: { fromSeq?: number; sinceMs?: number }): Message {
    const state = this.config.state;
    const count = state.committedCount();
    const first = request.fromSeq !== undefined ? Math.max(0, Math.min(request.fromSeq, count)) : request.sinceMs !== undefined ? state.firstCommitSince(request.sinceMs) : 0;
    return { kind: "certified", items: state.certificatesFrom(first, MAX_WANTED), feed: { first, next: count } };
  }

  /**
   * Validator: a catch-up reply that ends short of its sender's commit count: ask for the rest.
   * Asks to one peer only go forward, so the parts of a reply split on the way, or the replies to
   * repeated syncs, do not start chains of their own.
   */
  #continueCatchUp(items: readonly Certificate[], feed: FeedPosition | undefined, from: PeerKey): void {
    if (!feed) return;
    const next = feed.first + items.length;
    if (next >= feed.next) this.#caughtUp = true;
    if (items.length === 0 || next >= feed.next || next <= (this.#catchUpAsked.get(from) ?? 0)) return;
    this.#catchUpAsked.set(from, next);
    this.#send([from], { kind: "sync", fromSeq: next });
  }

  /** A transaction with ACCEPTED votes (edges) from peers holding ≥ 2/3 of the weight. */
  #receiveCertified(tx: Transaction, votes: readonly ObservationEdge[], nowMs: number): void {
    this.#receiveTx(tx, nowMs, false);
    const record = this.#txs.get(txKey(tx.body!));
    if (!record || record.status === "committed") return;
    forEachCertifier(record.hash, votes, this.#validEdge, (voter, edge) => this.#voteAccepted(record, voter, edge));
    if (record.status === "rejected") return;
    if (record.acceptedWeight >= QUORUM * this.#totalWeight) this.#commit(record, nowMs);
  }

  /** Validator: sends followers what it committed since it last did, or that it has nothing new. */
  #feed(nowMs: number): void {
    const items = this.#unfed;
    if (items.length === 0 && nowMs - this.#lastFeedMs < FEED_HEARTBEAT_MS) return;
    const next = this.#fedUpTo + items.length;
    invariant(next === this.config.state.committedCount(), "a feeder's commits all go through its feed");
    this.#send(this.#followers, { kind: "certified", items, feed: { first: this.#fedUpTo, next } });
    this.#unfed = [];
    this.#fedUpTo = next;
    this.#lastFeedMs = nowMs;
  }

  /** Follower: applies certificates, and asks a feeder for whatever its position says was missed. */
  #follow(items: readonly Certificate[], feed: FeedPosition | undefined, from: PeerKey, nowMs: number): void {
    for (const item of items) this.#applyCertificate(item, nowMs);
    if (!feed || !this.#feeders.includes(from)) return;
    const cursor = this.#feedCursor.get(from) ?? 0;
    if (feed.first <= cursor && feed.first + items.length > cursor) {
      this.#feedCursor.set(from, feed.first + items.length);
      this.#gapAskedMs.delete(from); // progress: a further gap may be asked for at once
    }
    const reached = this.#feedCursor.get(from) ?? 0;
    if (reached < feed.next && nowMs - (this.#gapAskedMs.get(from) ?? -Infinity) >= FEED_GAP_RETRY_MS) {
      this.#gapAskedMs.set(from, nowMs);
      this.#send([from], { kind: "sync", fromSeq: reached });
    }
  }

  /** The validator that signed an observation, if it is one and the signature holds. */
  readonly #validVote = (observation: Observation): PeerKey | undefined => {
    const peer = signerOf(observation.header);
    if (peer === undefined || !this.#validatorIndex.has(peer)) return undefined;
    const publicKey = this.config.publicKeyOf(peer);
    return publicKey && (this.config.verifyObservation ?? verifyObservation)(observation, publicKey) ? peer : undefined;
  };

  /** The committee index of the validator that signed an edge, if it is one and its path and signature hold. */
  readonly #validEdge = (edge: ObservationEdge): number | undefined => {
    const peer = signerOf(edge.header);
    const voter = peer === undefined ? undefined : this.#validatorIndex.get(peer);
    if (voter === undefined) return undefined;
    const publicKey = this.config.publicKeyOf(peer!);
    return publicKey && verifyEdge(edge, publicKey, this.#verifyHeader) ? voter : undefined;
  };

  /** The edges of one observation share its header's signature: it is checked once. */
  readonly #verifyHeader = (signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean => {
    const key = toHex(signature);
    const digestKey = toHex(digest);
    if (this.#checkedHeaders.get(key) === digestKey) return true;
    if (!this.config.verify(signature, digest, publicKey)) return false;
    if (this.#checkedHeaders.size >= MAX_CHECKED_HEADERS) this.#checkedHeaders.delete(this.#checkedHeaders.keys().next().value!);
    this.#checkedHeaders.set(key, digestKey);
    return true;
  };

  #applyCertificate(item: Certificate, nowMs: number): void {
    const body = item.tx.body;
    if (!body) return;
    const key = txKey(body);
    if (this.#parked.has(key) || this.config.state.isCommittedKey(key)) return;
    const voters = (this.config.acceptedVoters ?? acceptedVoterSet)(txHash(body), item.votes, this.#validEdge);
    if (countVotersOutside(voters, this.#convicted) < QUORUM * this.#totalWeight) {
      // Short of a quorum here (a voter this node convicted, or a forgery): ask validators for theirs.
      const asked = this.#shortAsks.get(key) ?? 0;
      if (asked < MAX_SHORT_ASKS && (asked > 0 || this.#shortAsks.size < MAX_SHORT_CERTIFICATES)) {
        this.#shortAsks.set(key, asked + 1);
        this.#send(this.#nextValidators(2), { kind: "certify", hashes: [key] });
      }
      return;
    }
    this.#shortAsks.delete(key);
    this.#applyFollowed(key, item, nowMs);
  }

  /** Commits a certified transaction here, or parks it until its inputs are committed. */
  #applyFollowed(key: string, item: Certificate, nowMs: number): boolean {
    const result = this.#validate(item.tx, nowMs);
    if (!result.ok) {
      // A certified transaction that does not apply can only lack a parent not yet received.
      if (result.reason === "unknown_input") this.#parked.set(key, item);
      return false;
    }
    this.config.state.commit(item.tx, result.hash, result.consumed, nowMs, item.votes);
    this.#parked.delete(key);
    const record = this.#txs.get(key);
    if (record) {
      record.certificate = item;
      this.#markCommitted(record, nowMs);
    } else {
      this.#recordCommit(key, nowMs);
      this.#spentBy(result.consumed, key, nowMs);
    }
    return true;
  }

  #applyParked(nowMs: number): void {
    let progress = true;
    while (progress && this.#parked.size > 0) {
      progress = false;
      for (const [key, item] of this.#parked) if (this.#applyFollowed(key, item, nowMs)) progress = true;
    }
  }
}
