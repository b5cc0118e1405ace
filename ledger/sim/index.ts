// The deterministic simulator: real LedgerNodes on a virtual clock and a simulated network
// with delay, loss, duplication, a partition, crashes and restarts, and byzantine nodes that
// double-spend, equivocate and omit. It checks that honest nodes never commit conflicting
// transactions, that every valid non-conflicting transaction is committed by every honest
// node, and that coins are conserved.
//
// Signatures: every signature is verified for real the first time; the simulator's nodes
// share that result for the same signature object, as one delivery of the same bytes to many
// nodes would verify alike (without the cache a run would spend its time in ed25519). In the
// same way they share content verdicts of transactions, certificates' voters and one registry
// of outputs: what is per node (state, votes, weights) stays per node.
//
// Above DEFAULT_VALIDATORS nodes, a committee of validators decides and the rest follow
// (ledger/consensus/validators.ts); the report says how many validators were byzantine.
import { invariant } from "../../common/errors.ts";
import { partitionPoint } from "../../common/search.ts";
import { cachedIn } from "../../common/bounded-cache.ts";
import { bytesEqual, generateKeyPair, sign, toHex, verify, type KeyPair } from "../crypto.ts";
import { verifyObservation } from "../observation/index.ts";
import { acceptedVoterSet, LedgerNode, type Behaviour, type Outbound, type PeerKey } from "../consensus/node.ts";
import { MemoryLedger, OutputRegistry } from "../consensus/memory-ledger.ts";
import { DEFAULT_VALIDATORS, selectValidators } from "../consensus/validators.ts";
import type { VoterSet } from "../consensus/vote-table.ts";
import { COIN, TOTAL_SUPPLY, type Observation, type ObservationEdge, type Output, type Transaction } from "../schema.ts";
import { addressOf, buildTransfer, nodeSigner, outPointKey, txHash, type Spendable } from "../tx/index.ts";
import { txKey } from "../tx/hash.ts";
import type { ContentVerdicts } from "../tx/validate.ts";
import { peerIdOf } from "../identity/index.ts";
import { VirtualClock } from "./clock.ts";
import { Random } from "./random.ts";

export interface SimOptions {
  nodes: number;
  byzantine: number;
  seed: number;
  txs: number;
  /** Size of the committee of validators (every node when the network is smaller). */
  validators?: number;
  /** Transactions submitted per virtual second. */
  rate?: number;
  wallets?: number;
  /** Share of submissions that are double spends (two transactions for one output, to two nodes). */
  doubleSpends?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  loss?: number;
  duplication?: number;
  /** Honest nodes that crash once and restart. */
  crashes?: number;
  partition?: boolean;
  intervalMs?: number;
  /**
   * How long nodes keep decided transactions' records (default 5 s of virtual time: short,
   * so that a run exercises forgetting them, which the node's default would outlast).
   */
  retainDecidedMs?: number;
  /** Print, for each lost transaction, what every honest node knows of it. */
  explainLost?: boolean;
  /** Called every virtual second while the run lasts (the CLI draws a live line from it). */
  onProgress?: (progress: SimProgress) => void;
}

export interface SimProgress {
  virtualMs: number;
  /** Transactions submitted so far, of `txs`. */
  sent: number;
  txs: number;
  wallMs: number;
}

export interface SimReport {
  nodes: number;
  byzantine: number;
  seed: number;
  /** The committee: its size, and how many of it are byzantine (safety needs fewer than a third). */
  validators: { count: number; byzantine: number };
  txs: number;
  double_spends: number;
  divergent: number;
  lost: number;
  supply_ok: boolean;
  evidence: { detected: number; made: number };
  finality_ms: { p50: number; p99: number };
  messages: number;
  virtual_ms: number;
  wall_ms: number;
}

const SIGNATURE_CACHE = new WeakMap<Uint8Array, { message: Uint8Array; publicKey: Uint8Array; ok: boolean }>();
function cachedVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const known = SIGNATURE_CACHE.get(signature);
  if (known && bytesEqual(known.message, message) && bytesEqual(known.publicKey, publicKey)) return known.ok;
  const ok = verify(signature, message, publicKey);
  SIGNATURE_CACHE.set(signature, { message, publicKey, ok });
  return ok;
}

/**
 * Every node checks an edge alike (they share one committee, in one order): its signer's index, or
 * null when it fails. For recent edges only, in a bounded map like CERTIFIERS: followers check a
 * certificate's edges within moments of its making, and an edge asked about once the map started
 * over is checked again, alike. A weak map held every edge ever checked (64 per transaction, kept
 * alive by the ledgers' certificates): a table of 1.3 million entries at 1,000 nodes × 20,000
 * transactions, each lookup a cache miss, and an ephemeron table every full collection walks.
 */
const EDGE_SIGNERS = new Map<ObservationEdge, number | null>();
const MAX_EDGE_SIGNERS_KEPT = 1 << 16;
/**
 * The voters of recent certificates, by their votes: followers apply a certificate soon after its
 * validator sends it, and one asked for once the cache started over is worked out again (alike).
 * A bounded map, not a weak one: a weak map's values are traced by the collector once their keys
 * are found alive, and a validator makes a certificate per commit (1.3 million at 1,000 nodes ×
 * 20,000 transactions), which made each full collection's pause long.
 */
const CERTIFIERS = new Map<readonly ObservationEdge[], VoterSet>();
const MAX_CERTIFIERS_KEPT = 1 << 16;
// Looked up before cachedIn is called: its callback is a closure made per call, and followers ask 19 million times at 1,000 × 20,000.
const cachedAcceptedVoters: typeof acceptedVoterSet = (hash, votes, check) =>
  CERTIFIERS.get(votes) ??
  cachedIn(CERTIFIERS, MAX_CERTIFIERS_KEPT, votes, () => {
    const cachedCheck = (edge: ObservationEdge) => {
      let signer = EDGE_SIGNERS.get(edge);
      // What cachedIn does, without its callback: a closure over `edge` would make V8 allocate a context on every call, 6 million at 1,000 × 2,000.
      if (signer === undefined) {
        signer = check(edge) ?? null;
        if (EDGE_SIGNERS.size >= MAX_EDGE_SIGNERS_KEPT) EDGE_SIGNERS.clear();
        EDGE_SIGNERS.set(edge, signer);
      }
      return signer ?? undefined;
    };
    return acceptedVoterSet(hash, votes, cachedCheck);
  });

const OBSERVATION_CACHE = new WeakMap<Observation, boolean>();
function cachedVerifyObservation(observation: Observation, publicKey: Uint8Array): boolean {
  let ok = OBSERVATION_CACHE.get(observation);
  if (ok === undefined) OBSERVATION_CACHE.set(observation, (ok = verifyObservation(observation, publicKey)));
  return ok;
}

const FEE = 1000n;
const RESYNC_ATTEMPTS = 5;
/** Outputs smaller than this are not spent by the workload (a third of them must exceed the fee). */
const MIN_SPENDABLE = 30n * FEE;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface SimNode {
  key: PeerKey;
  node: LedgerNode;
  ledger: MemoryLedger;
  behaviour: Behaviour;
  down: boolean;
}

export function runSimulation(options: SimOptions): SimReport {
  invariant(Number.isInteger(options.nodes) && options.nodes >= 1, "a simulation needs at least one node");
  invariant(Number.isInteger(options.txs) && options.txs >= 0, "transactions are counted in whole numbers");
  invariant(options.rate === undefined || options.rate > 0, "transactions are submitted at a rate above 0");
  for (const share of [options.byzantine, options.loss, options.duplication, options.crashes, options.doubleSpends]) invariant(share === undefined || (share >= 0 && share <= 1), "shares are from 0 to 1");
  const started = performance.now();
  const random = new Random(options.seed);
  const clock = new VirtualClock();
  const intervalMs = options.intervalMs ?? 50;
  const [minDelay, maxDelay] = [options.minDelayMs ?? 5, options.maxDelayMs ?? 40];
  const loss = options.loss ?? 0.01;
  const duplication = options.duplication ?? 0.01;
  const rate = options.rate ?? 500;

  // Identities: each node's key from the seed, its peer id from the key (no proof of work here).
  const keys: KeyPair[] = Array.from({ length: options.nodes }, () => generateKeyPair(random.bytes(32)));
  const peerIds = keys.map((k) => peerIdOf({ masterKey: k.publicKey, powNonce: 0n }));
  const peerKeys = peerIds.map(toHex);
  const publicKeys = new Map(peerKeys.map((p, i) => [p, keys[i].publicKey]));
  const byzantineCount = Math.floor(options.nodes * options.byzantine);
  const behaviours: Behaviour[] = peerKeys.map((_, i) => (i < byzantineCount ? (i % 2 === 0 ? "equivocate" : "omit") : "honest"));

  // Genesis and an opening distribution to the wallets, the same on every node.
  const walletCount = options.wallets ?? Math.max(20, Math.ceil(options.txs / 10));
  const wallets = Array.from({ length: walletCount }, () => generateKeyPair(random.bytes(32)));
  const walletAddresses = wallets.map((w) => addressOf(w.publicKey));
  const walletOf = new Map(walletAddresses.map((a, i) => [toHex(a), i]));
  const treasury = generateKeyPair(random.bytes(32));
  const genesis: Transaction = {
    body: { inputs: [], outputs: [{ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: TOTAL_SUPPLY, fee: false }], createdMs: 0n, nonce: 0n },
    witnesses: [],
  };
  const perWallet = 1000n * COIN;
  const funding = buildTransfer(
    { available: [{ outPoint: { txHash: txHash(genesis.body!), index: 0 }, output: genesis.body!.outputs[0] }], to: addressOf(wallets[0].publicKey), amount: perWallet, fee: 0n, createdMs: 0 },
    nodeSigner(treasury),
  );
  // One output per wallet: rewrite the funding body to pay each wallet, then sign it again.
  const fundingBody = { ...funding.body!, outputs: [...walletAddresses.map((address) => ({ address, product: new Uint8Array(), amount: perWallet, fee: false }) as Output), { address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: TOTAL_SUPPLY - perWallet * BigInt(walletCount), fee: false }] };
  const fundingTx: Transaction = { body: fundingBody, witnesses: [{ input: 0, publicKey: treasury.publicKey, signature: sign(txHash(fundingBody), treasury.secretKey) }] };

  const validators = selectValidators(peerKeys, options.validators ?? DEFAULT_VALIDATORS, txHash(genesis.body!));
  const registry = new OutputRegistry();
  const contentVerdicts: ContentVerdicts = new WeakSet();
  const nodes: SimNode[] = peerKeys.map((key, i) => {
    const ledger = new MemoryLedger(registry);
    ledger.commit(genesis, txHash(genesis.body!), [], 0, []);
    ledger.commit(fundingTx, txHash(fundingBody), [{ txHash: txHash(genesis.body!), index: 0 }], 0, []);
    const node = new LedgerNode({
      self: key,
      signer: { peer: peerIds[i], publicKey: keys[i].publicKey, sign: (m) => sign(m, keys[i].secretKey) },
      peers: peerKeys,
      validators,
      publicKeyOf: (p) => publicKeys.get(p),
      state: ledger,
      verify: cachedVerify,
      verifyObservation: cachedVerifyObservation,
      contentVerdicts,
      acceptedVoters: cachedAcceptedVoters,
      intervalMs,
      behaviour: behaviours[i],
      retainDecidedMs: options.retainDecidedMs ?? 5_000,
    });
    return { key, node, ledger, behaviour: behaviours[i], down: false };
  });
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const honest = nodes.filter((n) => n.behaviour === "honest");
  const honestValidators = honest.filter((n) => n.node.isValidator);

  // The network.
  let messages = 0;
  let partitioned = false;
  const position = new Map(peerKeys.map((k, i) => [k, i]));
  const side = (key: PeerKey) => position.get(key)! % 2;
  const deliver = (from: SimNode, outbound: Outbound[]) => {
    for (const { to, message } of outbound) {
      const targets = to === "all" ? peerKeys.filter((k) => k !== from.key) : to;
      for (const target of targets) {
        if (random.chance(loss)) continue;
        const copies = random.chance(duplication) ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          messages++;
          clock.at(clock.now + random.int(minDelay, maxDelay), () => {
            const recipient = byKey.get(target)!;
            if (recipient.down || from.down || (partitioned && side(from.key) !== side(target))) return;
            deliver(recipient, recipient.node.receive(message, from.key, clock.now));
          });
        }
      }
    }
  };

  // Each node's timer.
  for (const n of nodes) {
    const tick = () => {
      if (!n.down) deliver(n, n.node.tick(clock.now));
      clock.at(clock.now + intervalMs, tick);
    };
    clock.at(random.int(0, intervalMs), tick);
  }

  // The workload.
  const submitWindowMs = Math.ceil((options.txs / rate) * 1000);
  // Per wallet: the outputs it may spend, oldest first (dust never enters); and the wallets with
  // one, in wallet order: what a submission picks from.
  const available: Spendable[][] = wallets.map((_, i) => [{ outPoint: { txHash: txHash(fundingBody), index: i }, output: fundingBody.outputs[i] }]);
  const ready: number[] = wallets.map((_, i) => i);
  const readyAt = (wallet: number) => partitionPoint(ready.length, (i) => ready[i] < wallet);
  const give = (wallet: number, spendable: Spendable) => {
    if (spendable.output.amount < MIN_SPENDABLE) return;
    available[wallet].push(spendable);
    if (available[wallet].length === 1) ready.splice(readyAt(wallet), 0, wallet);
  };
  const take = (wallet: number): Spendable => {
    const input = available[wallet].shift()!;
    if (available[wallet].length === 0) ready.splice(readyAt(wallet), 1);
    return input;
  };
  const submitted = new Map<string, { atMs: number; conflicting: boolean }>();
  const spentBy = new Map<string, string[]>();
  let doubleSpends = 0;
  let sent = 0;
  const submitOne = () => {
    if (sent >= options.txs) return;
    if (ready.length > 0) {
      const walletIndex = random.pick(ready);
      const input = take(walletIndex);
      const wallet = wallets[walletIndex];
      const pay = (to: number, nonce: bigint) =>
        buildTransfer({ available: [input], to: walletAddresses[to], amount: input.output.amount / 3n, fee: FEE, createdMs: Math.floor(clock.now), nonce }, nodeSigner(wallet));
      const first = pay(random.int(0, walletCount - 1), BigInt(sent));
      const doubleSpend = random.chance(options.doubleSpends ?? 0.02);
      const txs = doubleSpend ? [first, pay(random.int(0, walletCount - 1), BigInt(sent) + 1_000_000n)] : [first];
      if (doubleSpend) doubleSpends++;
      for (const tx of txs) {
        const hash = toHex(txHash(tx.body!));
        submitted.set(hash, { atMs: clock.now, conflicting: doubleSpend });
        const entry = honest.filter((h) => !h.down);
        const at = random.pick(entry.length > 0 ? entry : honest);
        deliver(at, at.node.submit(tx, clock.now));
      }
      spentBy.set(outPointKey(input.outPoint), txs.map((t) => toHex(txHash(t.body!))));
      if (!doubleSpend) {
        // The payer spends its change once this transfer is committed somewhere honest.
        const hash = txHash(first.body!);
        const key = txKey(first.body!);
        const waitForCommit = () => {
          if (honestValidators.some((h) => h.ledger.isCommittedKey(key))) {
            first.body!.outputs.forEach((output, index) => {
              const owner = walletOf.get(toHex(output.address));
              if (owner !== undefined) give(owner, { outPoint: { txHash: hash, index }, output });
            });
          } else clock.at(clock.now + 100, waitForCommit);
        };
        clock.at(clock.now + 100, waitForCommit);
      }
      sent++;
    }
    clock.at(clock.now + 1000 / rate, submitOne);
  };
  clock.at(0, submitOne);

  // Faults: a partition in the middle of the run, and crashes with restarts.
  if (options.partition ?? true) {
    clock.at(submitWindowMs * 0.3, () => (partitioned = true));
    clock.at(submitWindowMs * 0.3 + 1500, () => (partitioned = false));
  }
  const crashing = Math.floor(honest.length * (options.crashes ?? 0.05));
  const crashed = new Set<SimNode>();
  for (let i = 0; i < crashing; i++) {
    const victim = honest[random.int(0, honest.length - 1)];
    crashed.add(victim);
    const at = random.int(0, submitWindowMs);
    clock.at(at, () => (victim.down = true));
    const restartAt = at + random.int(500, 3000);
    clock.at(restartAt, () => (victim.down = false));
    // Like the daemon, a restarted node asks a few peers for what it missed, several times.
    for (let attempt = 0; attempt < RESYNC_ATTEMPTS; attempt++) {
      clock.at(restartAt + attempt * 1000, () => {
        if (!victim.down) deliver(victim, victim.node.resync([random.pick(honestValidators).key, random.pick(honestValidators).key, random.pick(honestValidators).key]));
      });
    }
  }

  // What the nodes' events say, drained every virtual second instead of kept by each node for the
  // whole run (a thousand arrays of every commit, grown by copying): per transaction, how many
  // honest nodes committed it and when the last one that stayed up did (a crashed one catches up
  // on restart); the peers honest nodes convicted; the nodes that equivocated.
  const commits = new Map<string, { count: number; lastMs: number }>();
  const convicted = new Set<PeerKey>();
  const equivocated = new Set<SimNode>();
  const drainEvents = () => {
    for (const n of nodes) {
      const { committed, committedAtMs, evidence, equivocations } = n.node.events;
      if (n.behaviour === "honest") {
        for (let i = 0; i < committed.length; i++) {
          const [hash, atMs] = [committed[i], committedAtMs[i]];
          let c = commits.get(hash);
          if (!c) commits.set(hash, (c = { count: 0, lastMs: 0 }));
          c.count++;
          if (!crashed.has(n)) c.lastMs = Math.max(c.lastMs, atMs);
        }
        for (const peer of evidence) convicted.add(peer);
      }
      if (equivocations.length > 0) equivocated.add(n);
      n.node.clearEvents();
    }
  };
  const drainEverySecond = () => {
    drainEvents();
    clock.at(clock.now + 1000, drainEverySecond);
  };
  clock.at(1000, drainEverySecond);

  if (options.onProgress) {
    const report = () => {
      options.onProgress!({ virtualMs: clock.now, sent, txs: options.txs, wallMs: performance.now() - started });
      clock.at(clock.now + 1000, report);
    };
    clock.at(1000, report);
  }

  // Run the workload, then let the network settle.
  let end = submitWindowMs + 5_000;
  clock.runUntil(end);
  while (sent < options.txs && clock.pending > 0 && end < submitWindowMs * 10 + 60_000) clock.runUntil((end += 5_000));
  clock.runUntil((end += 10_000));

  // Checks.
  let divergent = 0;
  for (const spenders of spentBy.values()) {
    if (spenders.length < 2) continue;
    const counts = spenders.map((h) => honest.filter((n) => n.ledger.isCommittedKey(h)).length);
    divergent += counts[0] * counts[1];
  }
  let lost = 0;
  const finality: number[] = [];
  drainEvents();
  for (const [hash, info] of submitted) {
    if (info.conflicting) continue;
    const c = commits.get(hash);
    if (!c || c.count < honest.length) {
      lost++;
      if (options.explainLost) process.stderr.write(`lost ${hash.slice(0, 12)} submitted ${info.atMs}: ${honest.map((n) => JSON.stringify(n.node.inspect(hash) ?? n.node.status(hash) ?? "-")).join(" ")}\n`);
    } else finality.push(c.lastMs - info.atMs);
  }
  finality.sort((a, b) => a - b);
  const equivocators = new Set(nodes.filter((n) => n.behaviour === "equivocate").map((n) => n.key));
  // Equivocations made: byzantine nodes that signed PENDING for both transactions of a double spend.
  const made = equivocated.size;
  return {
    nodes: options.nodes,
    byzantine: options.byzantine,
    seed: options.seed,
    validators: { count: validators.length, byzantine: validators.filter((v) => byKey.get(v)!.behaviour !== "honest").length },
    txs: sent,
    double_spends: doubleSpends,
    divergent,
    lost,
    supply_ok: honest.every((n) => n.ledger.coinSupply() === TOTAL_SUPPLY),
    evidence: { detected: [...convicted].filter((k) => equivocators.has(k)).length, made },
    finality_ms: { p50: Math.round(percentile(finality, 50)), p99: Math.round(percentile(finality, 99)) },
    messages,
    virtual_ms: Math.round(clock.now),
    wall_ms: Math.round(performance.now() - started),
  };
}
