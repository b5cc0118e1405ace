// The node daemon: the ledger's store and consensus rules (ledger/), the libp2p network
// (net/), a clock, and an HTTP API, composed here and nowhere else.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair as generateP2pKey, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { Network, TOPICS } from "../net/index.ts";
import { LedgerNode, type Outbound, type AcceptedState } from "../ledger/consensus/index.ts";
import { UtxoStore } from "../ledger/store/index.ts";
import { decodeCanonical, encode } from "../ledger/encoding/index.ts";
import { fromHex, sign, toHex, verify, type KeyPair } from "../ledger/crypto.ts";
import { verifyPeerId } from "../ledger/identity/index.ts";
import { Output, Transaction, type ObservationEdge, type OutPoint } from "../ledger/schema.ts";
import { addressOf, formatCoins, nodeSigner, signBody, txHash, type Spendable } from "../ledger/tx/index.ts";
import { resultHashOfTable } from "../client/output/values.ts";
import { decodeBatch, MAX_ENVELOPE_BYTES } from "./codec.ts";
import { GossipOutbox } from "./outbox.ts";
import { readGenesis, readKeyFile, type Genesis } from "./config.ts";
import { isUserError } from "../common/errors.ts";
import { AdmissionLimit } from "./admission.ts";
import { Metrics } from "./metrics.ts";
import { makeProof } from "./proof.ts";
import { DatasetStore, MAX_CHUNK_BYTES } from "./datasets.ts";
import { QueryService, type PlannedQuery } from "./query.ts";
import { MAX_SMALL_EXCHANGE_BYTES } from "./query-limits.ts";
import { readManifest } from "./manifest.ts";
import * as arrow from "apache-arrow";

export const DEFAULT_INTERVAL_MS = 50;
/** An observation tick this late is logged (`event_loop_stalled`): everything on the node waited that long. */
const STALL_WARNING_MS = 1_000;
/** What a query costs its client, paid to the coordinator: 0.001 coin. */
export const QUERY_PRICE = 1_000_000n;
/** After a start, a node asks its peers for what it missed this many times, this often. */
const RESYNC_ATTEMPTS = 10;
const RESYNC_INTERVAL_MS = 1_000;
/** How often a node checks for chunks it should now hold (a holder having left). */
const REPLICATE_INTERVAL_MS = 3_000;
/**
 * How long an orphaned chunk (DatasetStore.orphanedChunks: a replaced dataset version left it, or
 * its upload was never recorded) stays once found so: queries planned on the old version may still read it.
 */
const ORPHANED_CHUNK_GRACE_MS = 10 * 60_000;
/** Long polls: `GET /v1/tx/<hash>?wait=ms` (and `POST /v1/tx?wait=ms`) answers once the transaction is decided here, or after `ms`. */
const MAX_WAIT_MS = 30_000;
/** How long a query may run on its coordinator unless the node is started with another limit: as long as the SDK waits for one. */
export const DEFAULT_MAX_QUERY_MS = 600_000;
const MAX_WAITERS = 10_000;
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;
type Log = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;

export interface NodeOptions {
  dataDir: string;
  listen: string[];
  /** host:port for the HTTP API; port 0 picks one. */
  http: string;
  seeds: string[];
  genesis: string;
  logLevel?: LogLevel;
  intervalMs?: number;
  /** For tests: "wrong-results" makes this node alter the task outputs it returns to coordinators. */
  misbehave?: "wrong-results";
  /** How long a query this node coordinates may run before it is stopped (DEFAULT_MAX_QUERY_MS). */
  maxQueryMs?: number;
}

export interface NodeInfo {
  peerId: string;
  ledgerPeer: string;
  multiaddrs: string[];
  http: string;
  pid: number;
}

/** A transaction submitted to this node, waiting for the tick that stores and offers it. */
interface Submission {
  hash: Uint8Array;
  tx: Transaction;
  receivedMs: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The store as the consensus rules see it; commits also clear the durable pending copy. */
class StoreState implements AcceptedState {
  readonly #store: UtxoStore;
  constructor(store: UtxoStore) {
    this.#store = store;
  }
  output(p: OutPoint) {
    return this.#store.output(p);
  }
  latest(address: Uint8Array, product: Uint8Array) {
    return this.#store.latest(address, product);
  }
  commit(tx: Transaction, hash: Uint8Array, consumed: readonly OutPoint[], acceptedMs: number, votes: readonly ObservationEdge[]): void {
    this.#store.commit({ tx, consumed, acceptedMs, votes });
    this.#store.dropPending(hash);
  }
  isCommitted(hash: Uint8Array): boolean {
    return this.#store.has(hash);
  }
  isCommittedKey(key: string): boolean {
    return this.isCommitted(fromHex(key));
  }
  committedCount(): number {
    return this.#store.transactionCount();
  }
  coinSupply(): bigint {
    return this.#store.coinSupply();
  }
  certificate(key: string) {
    return this.#store.transaction(fromHex(key));
  }
  certificatesFrom(from: number, limit: number) {
    return this.#store.commitsFrom(from, limit);
  }
  firstCommitSince(ms: number): number {
    return this.#store.firstCommitSince(ms);
  }
  lastCommitMs(): number | undefined {
    return this.#store.lastAcceptedMs();
  }
}

/** A request's `wait` (ms to hold the answer until a transaction is decided), within MAX_WAIT_MS; 0 when absent or not a number. */
function waitOf(url: URL): number {
  return Math.min(Number(url.searchParams.get("wait") ?? 0) || 0, MAX_WAIT_MS);
}

export class TrustqlNode {
  readonly info: NodeInfo;
  readonly #network: Network;
  readonly #store: UtxoStore;
  readonly #ledger: LedgerNode;
  readonly #http: Server;
  readonly #timer: NodeJS.Timeout;
  readonly #genesis: Genesis;
  readonly #datasets: DatasetStore;
  readonly #queries: QueryService;
  readonly #maxQueryMs: number;
  readonly #outbox: GossipOutbox;
  /** Submissions waiting for the next tick, which writes them and offers them to the ledger (see #accept). */
  readonly #submissions: Submission[] = [];
  /** This node's ledger keys: it signs result transactions with them. */
  readonly #keys: KeyPair;
  #replicateTimer: NodeJS.Timeout | undefined;
  /** A re-replication pass is running; `#replicateAgain`: another was asked for meanwhile. */
  #replicating = false;
  #replicateAgain = false;
  /** Orphaned chunks (DatasetStore.orphanedChunks), by when this node first found them so. */
  readonly #orphanedSince = new Map<string, number>();
  #stopping = false;
  readonly #metrics = new Metrics();
  /** How many open transactions still admit a client's submission (see admission.ts). */
  readonly #admission = new AdmissionLimit();
  readonly #submittedAt = new Map<string, number>();
  /** Requests waiting for a transaction to be decided here (long polls). */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #log: Log;

  private constructor(parts: { info: NodeInfo; network: Network; store: UtxoStore; ledger: LedgerNode; http: Server; timer: NodeJS.Timeout; genesis: Genesis; log: Log; datasets: DatasetStore; queries: QueryService; keys: KeyPair; outbox: GossipOutbox; maxQueryMs: number }) {
    this.#maxQueryMs = parts.maxQueryMs;
    this.#outbox = parts.outbox;
    this.#datasets = parts.datasets;
    this.#queries = parts.queries;
    this.#keys = parts.keys;
    this.info = parts.info;
    this.#network = parts.network;
    this.#store = parts.store;
    this.#ledger = parts.ledger;
    this.#http = parts.http;
    this.#timer = parts.timer;
    this.#genesis = parts.genesis;
    this.#log = parts.log;
  }

  static async start(options: NodeOptions): Promise<TrustqlNode> {
    const minimum = LEVELS[options.logLevel ?? "info"];
    const log = (level: LogLevel, event: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS[level] >= minimum) process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }) + "\n");
    };
    mkdirSync(options.dataDir, { recursive: true });
    const genesis = readGenesis(options.genesis);
    const keys: KeyPair = readKeyFile(join(options.dataDir, "ledger.key"));
    const me = genesis.validators.find((v) => v.publicKey === toHex(keys.publicKey));
    if (!me) throw new Error(`this node's ledger key is not one of the genesis validators`);
    for (const v of genesis.validators) {
      if (!verifyPeerId(fromHex(v.peer), { masterKey: fromHex(v.publicKey), powNonce: BigInt(v.powNonce) }, genesis.difficulty)) {
        throw new Error(`genesis validator ${v.peer.slice(0, 16)} has no valid peer id`);
      }
    }
    const store = UtxoStore.open(join(options.dataDir, "ledger.db"), (from, to) => log("info", "store_migrating", { from, to }));
    if (store.transactionCount() === 0) store.commitGenesis(fromHex(genesis.address), genesis.createdMs);
    const publicKeys = new Map(genesis.validators.map((v) => [v.peer, fromHex(v.publicKey)]));
    const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    const ledger = new LedgerNode({
      self: me.peer,
      signer: { peer: fromHex(me.peer), publicKey: keys.publicKey, sign: (m) => sign(m, keys.secretKey) },
      peers: genesis.validators.map((v) => v.peer),
      publicKeyOf: (p) => publicKeys.get(p),
      state: new StoreState(store),
      verify,
      // A transaction's signatures are checked when it arrives, not again when it commits.
      contentVerdicts: new WeakSet(),
      intervalMs,
    });

    const p2pKeyFile = join(options.dataDir, "p2p.key");
    const privateKey = existsSync(p2pKeyFile) ? privateKeyFromProtobuf(readFileSync(p2pKeyFile)) : await generateP2pKey("Ed25519");
    if (!existsSync(p2pKeyFile)) writeFileSync(p2pKeyFile, privateKeyToProtobuf(privateKey), { mode: 0o600 });
    const network = await Network.create({ listen: options.listen, seeds: options.seeds, privateKey, limits: { maxGossipBytes: MAX_ENVELOPE_BYTES }, peerExchangeTopic: TOPICS.peerMetadata, log: (event, fields) => log("warn", event, fields) });

    let node: TrustqlNode | undefined;
    const outbox = new GossipOutbox(me.peer, (batch) => {
      void network.publish(TOPICS.transactions, batch).catch((error) => log("warn", "publish_failed", { error: String(error.message) }));
    });
    const publish = (outbound: Outbound[]) => {
      for (const { to, message } of outbound) if (!outbox.send(message, to)) log("warn", "message_too_large", { kind: message.kind });
    };
    network.subscribe(TOPICS.transactions, (bytes, from) => {
      const messages = decodeBatch(bytes); // a throw charges the peer and drops the message
      const rejectedBefore = ledger.events.rejected.length;
      let forged = false;
      // Commits these messages bring about reach the disk before anything is said about them.
      const outbound = store.atomically(() => {
        const out: Outbound[] = [];
        for (const { message, to, from: sender } of messages) if (to === "all" || to.includes(me.peer)) out.push(...ledger.receive(message, sender, Date.now()));
        // Only a faulty peer sends a transaction that does not verify: honest ones relay what validated.
        forged = ledger.events.rejected.slice(rejectedBefore).some((r) => r.reason === "bad_signature" || r.reason === "malformed");
        node?.processEvents();
        return out;
      });
      publish(outbound);
      if (forged) {
        network.penalize(from, "bad-signature", "a transaction that does not verify");
        return "reject";
      }
      return "accept";
    });

    const http = createServer((req, res) => {
      if (!node) return void res.writeHead(503).end();
      node.#route(req, res).catch((error) => {
        log("error", "http_failed", { url: req.url, error: String((error as Error).message) });
        if (!res.headersSent) json(res, 500, { error: "internal error" });
      });
    });
    const [host, port] = splitHostPort(options.http);
    await new Promise<void>((resolve, reject) => http.once("error", reject).listen(port, host, resolve));
    const address = http.address();
    const httpUrl = `http://${host}:${typeof address === "object" && address ? address.port : port}`;

    let lastTickMs = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      // A tick this late means the node did nothing else meanwhile: votes, submissions and queries all waited.
      if (now - lastTickMs - intervalMs >= STALL_WARNING_MS) {
        log("warn", "event_loop_stalled", { ms: now - lastTickMs - intervalMs });
        node?.countStall();
      }
      lastTickMs = now;
      // One sync for every write of the tick (a group commit): the submissions since the last
      // tick, kept until decided and offered to the ledger so that this tick's observation has
      // them, and every commit. Then the submitters hear back, and the observation goes out.
      const submitted = node ? node.#submissions.splice(0) : [];
      let outbound: Outbound[];
      try {
        outbound = store.atomically(() => {
          const out = node ? node.#offer(submitted) : [];
          out.push(...ledger.tick(Date.now()));
          node?.processEvents();
          return out;
        });
      } catch (error) {
        for (const submission of submitted) submission.reject(error as Error);
        throw error;
      }
      for (const submission of submitted) submission.resolve();
      publish(outbound);
      outbox.flush(); // the observation leaves now, with whatever waited
    }, intervalMs);

    const info = { peerId: network.peerId, ledgerPeer: me.peer, multiaddrs: network.multiaddrs(), http: httpUrl, pid: process.pid };
    const datasets = new DatasetStore(options.dataDir);
    const queries = new QueryService({
      self: network.peerId,
      network,
      datasets,
      log: (event, fields) => log("warn", event, fields),
      keys,
      validatorKeys: new Set(genesis.validators.map((v) => v.publicKey)),
      lies: options.misbehave === "wrong-results",
    });
    await queries.serve();
    node = new TrustqlNode({ info, network, store, ledger, http, timer, genesis, log, datasets, queries, keys, outbox, maxQueryMs: options.maxQueryMs ?? DEFAULT_MAX_QUERY_MS });
    // Catch up with what was committed while this node was away (asked again while the gossip
    // mesh forms, until one peer's answer reaches the end of its commits), and offer again what it held.
    const others = genesis.validators.map((v) => v.peer).filter((p) => p !== me.peer);
    let resyncs = 0;
    const resync = setInterval(() => {
      if (ledger.caughtUp) return clearInterval(resync);
      publish(ledger.resync(others));
      if (++resyncs >= RESYNC_ATTEMPTS) clearInterval(resync);
    }, RESYNC_INTERVAL_MS);
    resync.unref();
    for (const tx of store.pendingTransactions()) publish(ledger.submit(tx, Date.now()));
    const replicate = setInterval(() => node.#replicate(), REPLICATE_INTERVAL_MS);
    replicate.unref();
    node.#replicateTimer = replicate;
    log("info", "node_started", { ...info });
    return node;
  }

  /**
   * Fetches the chunks this node should hold and lacks (a dataset just recorded, a holder gone),
   * now, or right after the pass that is running.
   */
  #replicate(): void {
    if (this.#replicating) {
      this.#replicateAgain = true;
      return;
    }
    this.#replicating = true;
    this.#queries
      .replicate()
      .then(() => this.#removeOrphanedChunks(Date.now()))
      .catch((error) => this.#log("warn", "replicate_failed", { error: String((error as Error).message) }))
      .finally(() => {
        this.#replicating = false;
        if (this.#replicateAgain && !this.#stopping) {
          this.#replicateAgain = false;
          this.#replicate();
        }
      });
  }

  /** Removes orphaned chunks once orphaned for ORPHANED_CHUNK_GRACE_MS (counted from when this node first found them so). */
  #removeOrphanedChunks(nowMs: number): void {
    const orphaned = new Set(this.#datasets.orphanedChunks(nowMs));
    for (const hash of this.#orphanedSince.keys()) if (!orphaned.has(hash)) this.#orphanedSince.delete(hash);
    for (const hash of orphaned) {
      const since = this.#orphanedSince.get(hash) ?? nowMs;
      if (nowMs - since < ORPHANED_CHUNK_GRACE_MS) {
        this.#orphanedSince.set(hash, since);
        continue;
      }
      this.#datasets.removeChunk(hash);
      this.#orphanedSince.delete(hash);
      this.#log("info", "chunk_removed", { chunk: hash, reason: "no recorded dataset holds it: its dataset was replaced by a version without it, or its upload was never recorded" });
    }
  }

  countStall(): void {
    this.#metrics.stalls++;
  }

  /** Logs and counts what the consensus rules decided since the last call, and clears it there. */
  processEvents(): void {
    const events = this.#ledger.events;
    for (let i = 0; i < events.committed.length; i++) {
      const hash = events.committed[i];
      this.#metrics.accepted++;
      this.#wake(hash);
      const at = this.#submittedAt.get(hash);
      if (at !== undefined) {
        this.#metrics.observeFinality(events.committedAtMs[i] - at);
        this.#submittedAt.delete(hash);
      }
      this.#log("debug", "tx_committed", { hash });
      this.#recordDatasets(hash);
    }
    for (const r of events.rejected) {
      this.#metrics.rejected++;
      this.#wake(r.hash);
      this.#submittedAt.delete(r.hash);
      if (r.reason === "spent_input") this.#metrics.conflicts++;
      this.#store.dropPending(fromHex(r.hash));
      this.#log("info", "tx_rejected", { ...r });
    }
    for (const peer of events.evidence) this.#log("warn", "equivocation", { peer });
    this.#admission.decided(events.committed.length + events.rejected.length, Date.now());
    this.#ledger.clearEvents();
  }

  /** A committed transaction that records a dataset manifest makes the dataset queryable here. */
  #recordDatasets(hash: string): void {
    // The consensus rules still hold the committed transaction: no store read per commit.
    for (const [index, output] of (this.#ledger.transaction(hash)?.body?.outputs ?? []).entries()) {
      const manifest = output.data?.dataset;
      if (!manifest) continue;
      try {
        this.#datasets.record(manifest, hash, index);
        this.#log("info", "dataset_recorded", { name: manifest.name, tx: hash, chunks: manifest.chunks.length });
        // Its chunks were sent to one holder each: the others fetch their copies now.
        this.#replicate();
      } catch (error) {
        this.#log("warn", "dataset_refused", { tx: hash, error: (error as Error).message });
      }
    }
  }

  #wake(hash: string): void {
    for (const wake of this.#waiters.get(hash) ?? []) wake();
    this.#waiters.delete(hash);
  }

  /** Waits up to `ms` for a transaction to be accepted or rejected here. */
  async #decided(hash: string, ms: number): Promise<void> {
    const { state } = this.#state(hash);
    if (state === "ACCEPTED" || state === "REJECTED") return;
    if (this.#waiters.size >= MAX_WAITERS) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const set = this.#waiters.get(hash) ?? new Set();
      this.#waiters.set(hash, set);
      set.add(done);
      function done() {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      }
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://node");
    const parts = url.pathname.split("/").filter(Boolean);
    if (req.method === "POST" && url.pathname === "/v1/tx") return this.#submit(req, res, waitOf(url));
    if (req.method === "PUT" && parts[0] === "v1" && parts[1] === "chunks" && parts[2] && parts.length === 3) return this.#putChunk(parts[2], req, res);
    if (req.method === "POST" && url.pathname === "/v1/query") return this.#query(req, res);
    if (req.method === "POST" && url.pathname === "/v1/plan") return this.#plan(req, res);
    if (req.method === "GET" && url.pathname === "/v1/datasets") return this.#listDatasets(res);
    if (req.method === "GET" && url.pathname === "/v1/chunks") return json(res, 200, { chunks: this.#datasets.heldChunks(), orphaned: this.#datasets.orphanedChunks() });
    if (req.method !== "GET") return json(res, 405, { error: `${req.method} is not served here` });
    if (url.pathname === "/v1/health") return json(res, 200, { ok: true, ...this.info, committed: this.#store.transactionCount(), peers: this.#network.connectedPeers().length });
    if (url.pathname === "/metrics") {
      this.#metrics.peers = this.#network.connectedPeers().length;
      this.#metrics.open = this.#ledger.openCount;
      this.#metrics.plansAsked = this.#queries.plansAsked;
      this.#metrics.plansMade = this.#queries.plansMade;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(this.#metrics.render());
      return;
    }
    if (url.pathname === "/v1/peers") {
      const peers = this.#genesis.validators.map((v) => ({ peer: v.peer, trust: this.#ledger.weightOf(v.peer) > 0 ? 1 : -1 }));
      // The connected peers, and those cut off for misbehaving (no longer connected, still refused).
      const listed = new Set([...this.#network.connectedPeers(), ...this.#network.penalties.blockedPeers()]);
      const network = [...listed].map((p) => ({ peerId: p, penalty: this.#network.penalties.points(p), blocked: this.#network.penalties.isBlocked(p) }));
      return json(res, 200, { peers, network });
    }
    if (parts[0] === "v1" && parts[1] === "tx" && parts[2]) {
      const hash = parts[2].toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hash)) return json(res, 400, { error: `not a transaction hash: ${parts[2]}` });
      if (parts[3] === "proof") return this.#proof(hash, res);
      const wait = waitOf(url);
      if (wait > 0) await this.#decided(hash, wait);
      return json(res, 200, this.#state(hash));
    }
    if (parts[0] === "v1" && (parts[1] === "utxos" || parts[1] === "balance") && parts[2]) {
      if (!/^[0-9a-f]{64}$/.test(parts[2])) return json(res, 400, { error: `not an address: ${parts[2]}` });
      const address = fromHex(parts[2]);
      if (parts[1] === "balance") {
        const units = this.#store.balance(address);
        return json(res, 200, { address: parts[2], amount: formatCoins(units), baseUnits: units.toString() });
      }
      const utxos = this.#store.unspentOf(address, 1000).map((u) => ({
        txHash: toHex(u.outPoint.txHash),
        index: u.outPoint.index,
        amount: u.output.amount.toString(),
        output: Buffer.from(encode(Output, u.output)).toString("base64"),
      }));
      return json(res, 200, { address: parts[2], utxos });
    }
    json(res, 404, { error: `nothing at ${url.pathname}` });
  }

  async #putChunk(hash: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return json(res, 400, { error: `not a chunk hash: ${hash.slice(0, 80)}` });
    const body = await readBody(req, MAX_CHUNK_BYTES);
    if (!body) return json(res, 413, { error: `a chunk is at most ${MAX_CHUNK_BYTES} bytes` });
    if (!this.#datasets.putChunk(hash, body)) return json(res, 400, { error: `the bytes sent do not hash to ${hash}` });
    json(res, 201, { hash, bytes: body.length });
  }

  #listDatasets(res: ServerResponse): void {
    const datasets = this.#datasets.list().map(({ manifest, txHash }) => ({
      name: manifest.name,
      tx: txHash,
      replicas: manifest.replicas,
      tables: readManifest(manifest).map((t) => ({ name: t.names[1], rows: t.rows, chunks: t.chunks.length, held: t.chunks.filter((c) => this.#datasets.hasChunk(c.hash)).length })),
    }));
    json(res, 200, { datasets });
  }

  async #readQueryRequest(req: IncomingMessage, res: ServerResponse): Promise<{ sql: string; budgetBytes?: unknown; smallExchangeBytes?: unknown; verifyFraction?: unknown; smallTablesEverywhere?: boolean; queryTx?: unknown; progress?: unknown } | undefined> {
    const body = await readBody(req, 1 << 20);
    if (!body) return void json(res, 413, { error: "a query request is at most 1 MiB" });
    let request: { sql?: unknown; budgetBytes?: unknown; smallExchangeBytes?: unknown; verifyFraction?: unknown; smallTablesEverywhere?: unknown; queryTx?: unknown; progress?: unknown };
    try {
      request = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return void json(res, 400, { error: "a query request is JSON: {\"sql\": \"...\"}" });
    }
    if (typeof request.sql !== "string" || request.sql.trim() === "") return void json(res, 400, { error: "the request has no sql" });
    if (request.smallTablesEverywhere !== undefined && typeof request.smallTablesEverywhere !== "boolean") return void json(res, 400, { error: "smallTablesEverywhere: expected true or false" });
    return request as { sql: string; smallTablesEverywhere?: boolean };
  }

  /** What a client needs to pay for a query: the plan hash, who is paid, the datasets to reference. */
  async #plan(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await this.#readQueryRequest(req, res);
    if (!request) return;
    try {
      const { planHash, datasets } = this.#queries.plan(request.sql, request);
      json(res, 200, {
        planHash,
        coordinator: toHex(addressOf(this.#keys.publicKey)),
        price: QUERY_PRICE.toString(),
        datasets: datasets.map((d) => ({ name: d.manifest.name, tx: d.txHash, index: d.outputIndex })),
      });
    } catch (error) {
      if (isUserError(error)) return json(res, 400, { error: (error as Error).message });
      throw error;
    }
  }

  async #query(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await this.#readQueryRequest(req, res);
    if (!request) return;
    const budget = request.budgetBytes === undefined ? undefined : Number(request.budgetBytes);
    if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) return json(res, 400, { error: `budgetBytes ${String(request.budgetBytes)}: expected a positive integer` });
    const smallExchange = request.smallExchangeBytes === undefined ? undefined : Number(request.smallExchangeBytes);
    if (smallExchange !== undefined && !(Number.isSafeInteger(smallExchange) && smallExchange >= 0 && smallExchange <= MAX_SMALL_EXCHANGE_BYTES)) {
      return json(res, 400, { error: `smallExchangeBytes ${String(request.smallExchangeBytes)}: expected a whole number of bytes up to ${MAX_SMALL_EXCHANGE_BYTES}` });
    }
    const verifyFraction = request.verifyFraction === undefined ? undefined : Number(request.verifyFraction);
    if (verifyFraction !== undefined && !(verifyFraction >= 0 && verifyFraction <= 1)) return json(res, 400, { error: `verifyFraction ${String(request.verifyFraction)}: expected 0 to 1` });
    let paid: Spendable | undefined;
    let planned: PlannedQuery | undefined;
    if (request.queryTx !== undefined) {
      try {
        planned = this.#queries.plan(request.sql, request);
      } catch (error) {
        if (isUserError(error)) return json(res, 400, { error: (error as Error).message });
        throw error;
      }
      const refused = this.#checkQueryTx(planned.planHash, request.queryTx);
      if (typeof refused === "string") return json(res, 409, { error: refused });
      paid = refused;
    }
    // With `progress`, the answer is a stream of JSON lines: one per finished stage, then the answer (or an error).
    const streaming = request.progress === true;
    if (streaming) res.writeHead(200, { "content-type": "application/x-ndjson" });
    const line = (value: unknown) => res.write(`${jsonText(value)}\n`);
    const reply = (status: number, body: Record<string, unknown>): void => {
      if (!streaming) return json(res, status, body);
      line(status === 200 ? { answer: body } : { ...body, status });
      res.end();
    };
    // The rows as Arrow IPC: after the progress stream's answer line, raw (`arrowBytes` of them);
    // in a plain JSON answer, as base64 written a piece at a time (it needs no escaping), never
    // as one string of the whole answer.
    const answerWith = (rows: Uint8Array, body: Record<string, unknown>): void => {
      if (streaming) {
        line({ answer: { ...body, arrowBytes: rows.length } });
        res.end(rows);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"arrow":"');
      for (let at = 0; at < rows.length; at += BASE64_PIECE_BYTES) res.write(Buffer.from(rows.buffer, rows.byteOffset + at, Math.min(BASE64_PIECE_BYTES, rows.length - at)).toString("base64"));
      res.end(`",${jsonText(body).slice(1)}`);
    };
    // A client that goes away before its answer (Ctrl-C) cancels the query: every node stops its
    // tasks. So does the node's limit: a query that never ends (a recursion without one) would
    // hold the coordinator's DuckDB for as long as its client waited.
    const clientGone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) clientGone.abort();
    });
    const overtime = AbortSignal.timeout(this.#maxQueryMs);
    try {
      const signal = AbortSignal.any([clientGone.signal, overtime]);
      const answer = await this.#queries.run(request.sql, { planned, budgetBytes: budget, smallExchangeBytes: smallExchange, verifyFraction, smallTablesEverywhere: request.smallTablesEverywhere, onStage: streaming ? (stage) => line({ stage }) : undefined, signal });
      this.#log("info", "query_done", { rows: answer.table.numRows, stages: answer.stages.length, ms: Math.round(answer.planMs + answer.runMs) });
      const hash = await resultHashOfTable(answer.table, answer.names);
      let resultTx: string | undefined;
      if (paid) {
        // The answer is recorded: a transaction spending the query's output, with the result's hash.
        const body = {
          inputs: [{ outPoint: paid.outPoint, referenceOnly: false }],
          outputs: [{ address: addressOf(this.#keys.publicKey), product: new Uint8Array(), amount: paid.output.amount, data: { resultHash: fromHex(hash) }, fee: false }],
          createdMs: BigInt(Date.now()),
          nonce: 0n,
        };
        const tx = signBody(body, [paid], [nodeSigner(this.#keys)]);
        const state = await this.#accept(tx);
        if (state.state === "REJECTED") return reply(409, { error: `the result transaction was rejected: ${state.reason}` });
        resultTx = state.hash;
      }
      answerWith(arrow.tableToIPC(answer.table, "stream"), {
        resultHash: hash,
        ...(resultTx ? { resultTx } : {}),
        names: answer.names,
        stages: answer.stages,
        plan: answer.plan,
        workers: answer.workers,
        distrusted: answer.distrusted,
        lost: answer.lost,
        attestations: answer.attestations,
        planMs: answer.planMs,
        runMs: answer.runMs,
      });
    } catch (error) {
      const message = (error as Error).message;
      if (clientGone.signal.aborted) return this.#log("info", "query_cancelled", { reason: "the client went away" });
      if (overtime.aborted) {
        this.#log("info", "query_cancelled", { reason: "past the node's limit", limitMs: this.#maxQueryMs });
        return reply(400, { error: `the query ran past this node's limit of ${this.#maxQueryMs / 1000} s (node start --max-query-seconds)` });
      }
      if (isUserError(error)) {
        // The query's own mistake (a pattern DuckDB cannot read, text that is no number): no node's fault.
        this.#log("info", "query_refused", { error: message });
        return reply(400, { error: message });
      }
      this.#log("error", "query_failed", { error: message });
      reply(500, { error: message });
    }
  }

  /** The query transaction's paid output, or why it does not pay for the plan with this hash here. */
  #checkQueryTx(planHash: string, queryTx: unknown): Spendable | string {
    if (typeof queryTx !== "string" || !/^[0-9a-f]{64}$/.test(queryTx)) return "queryTx: expected a transaction hash";
    const stored = this.#store.transaction(fromHex(queryTx));
    if (!stored) return `query transaction ${queryTx.slice(0, 16)} is not accepted here (yet)`;
    const outPoint = { txHash: fromHex(queryTx), index: 0 };
    const output = this.#store.output(outPoint);
    if (!output || !output.output.data?.queryPlanHash) return `transaction ${queryTx.slice(0, 16)} is not a query transaction`;
    if (toHex(output.output.data.queryPlanHash) !== planHash) return `query transaction ${queryTx.slice(0, 16)} pays for another plan than this SQL's`;
    if (toHex(output.output.address) !== toHex(addressOf(this.#keys.publicKey))) return `query transaction ${queryTx.slice(0, 16)} pays another coordinator`;
    if (output.spentBy) return `query transaction ${queryTx.slice(0, 16)} was answered already, by ${toHex(output.spentBy)}`;
    return { outPoint, output: output.output };
  }

  #state(hash: string): { hash: string; state: string; reason?: string } {
    if (this.#store.has(fromHex(hash))) return { hash, state: "ACCEPTED" };
    const status = this.#ledger.status(hash);
    if (status === "rejected") return { hash, state: "REJECTED", reason: this.#ledger.rejection(hash) };
    if (status) return { hash, state: "PENDING" };
    return { hash, state: "UNKNOWN" };
  }

  #proof(hash: string, res: ServerResponse): void {
    const stored = this.#store.transaction(fromHex(hash));
    if (!stored) return json(res, 404, { error: `transaction ${hash.slice(0, 16)} is not accepted here` });
    json(res, 200, makeProof(stored.tx, this.#ledger.acceptedVotes(hash), this.#genesis));
  }

  /** Stores a submitted transaction; with `waitMs`, answers once it is decided here (or the time is up): a submitter's one request instead of a submission and a long poll. */
  async #submit(req: IncomingMessage, res: ServerResponse, waitMs: number): Promise<void> {
    const body = await readBody(req, MAX_ENVELOPE_BYTES);
    if (!body) return json(res, 413, { error: `a transaction is at most ${MAX_ENVELOPE_BYTES} bytes` });
    let tx: Transaction;
    try {
      tx = decodeCanonical(Transaction, body, "transaction", MAX_ENVELOPE_BYTES);
    } catch (error) {
      return json(res, 400, { error: (error as Error).message });
    }
    if (!tx.body) return json(res, 400, { error: "transaction without a body" });
    const open = this.#ledger.openCount;
    if (open >= this.#admission.limit(Date.now()) && this.#state(toHex(txHash(tx.body))).state === "UNKNOWN") {
      this.#metrics.busy++;
      res.setHeader("retry-after", "1");
      return json(res, 503, { error: `node busy: ${open} transactions are still being decided here; retry shortly` });
    }
    let state = await this.#accept(tx);
    if (waitMs > 0 && state.state !== "REJECTED") {
      await this.#decided(state.hash, waitMs);
      state = this.#state(state.hash);
    }
    json(res, state.state === "REJECTED" ? 422 : 202, state);
  }

  /**
   * Inside a tick's write: keeps each submission until it is decided (offered again to the
   * network after a restart) and offers it to the ledger; what the ledger sends about them goes
   * out once the write is durable.
   */
  #offer(submissions: readonly Submission[]): Outbound[] {
    const out: Outbound[] = [];
    for (const { hash, tx, receivedMs } of submissions) {
      this.#store.savePending(hash, tx, receivedMs);
      this.#submittedAt.set(toHex(hash), receivedMs);
      this.#metrics.submitted++;
      out.push(...this.#ledger.submit(tx, Date.now()));
    }
    return out;
  }

  /**
   * Takes a transaction in: the next tick stores it durably, offers it to the ledger in time for
   * that tick's observation and gossips it; then its state here is answered. Submissions share
   * the tick's one sync (a group commit) instead of a sync each.
   */
  async #accept(tx: Transaction): Promise<{ hash: string; state: string; reason?: string }> {
    if (this.#stopping) throw new Error("the node is stopping");
    const hash = txHash(tx.body!);
    await new Promise<void>((resolve, reject) => this.#submissions.push({ hash, tx, receivedMs: Date.now(), resolve, reject }));
    return this.#state(toHex(hash));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    for (const submission of this.#submissions.splice(0)) submission.reject(new Error("the node stopped before storing the submission"));
    clearInterval(this.#replicateTimer);
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    this.#outbox.flush();
    await this.#network.stop();
    this.#queries.close();
    this.#store.close();
    this.#log("info", "node_stopped", {});
  }
}


function splitHostPort(text: string): [string, number] {
  const m = /^(.+):(\d+)$/.exec(text);
  if (!m) throw new Error(`--http ${text}: expected host:port`);
  return [m[1], Number(m[2])];
}

/** Bytes of a query's rows turned into base64 at a time: a multiple of 3, so the pieces join into one base64 text. */
const BASE64_PIECE_BYTES = 3 << 20;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(jsonText(body));
}

/** JSON with bigints (amounts, times) as decimal strings. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
