// Distributed SQL on a node. As coordinator (the node a client sends SQL to), it plans the query
// over the datasets the ledger recorded, cuts it into stages and runs them on every live node
// that serves the task protocol: scans on the nodes holding the chunks, the rest where the
// exchanges send the rows. As a worker, it runs the tasks other coordinators send it, over the
// chunks it holds and the rows that came to its exchanges, and streams each task's output
// straight to the nodes that read it (the exchange protocol), never through the coordinator.
import type * as arrow from "apache-arrow";
import { cachedIn } from "../common/bounded-cache.ts";
import { UserError } from "../common/errors.ts";
import {
  decodeHeldInputs,
  decodeTask,
  decodeTaskResult,
  encodeHeldInputs,
  encodeTask,
  encodeTaskResult,
  executeTask,
  MAX_HELD_INPUTS,
  runStagedQuery,
  EnginePool,
  MAX_TASKS_PER_WORKER,
  TaskDeclinedError,
  type Executors,
  type PlacedTable,
  type StageStats,
  type Task,
  type TaskResult,
  WorkerUnavailableError,
  assertSameOutput,
  checkTaskHere,
} from "../exec/stages/index.ts";
import { ExchangeHost, ExchangePeerLostError, ExchangeProtocolError, checkInboxStatus, isRunId, member, type InboxStatus, type OutputRoute } from "../shuffle/index.ts";
import { readFileSync } from "node:fs";
import type { KeyPair } from "../ledger/crypto.ts";
import { attest, sha256Hex, verifyAttestation, type Attestation } from "./attestation.ts";
import { MAX_CHUNK_BYTES } from "./datasets.ts";
import { DEFAULT_SMALL_EXCHANGE_BYTES, DEFAULT_VERIFY_FRACTION } from "./query-limits.ts";
import { explainStages, fragmentPlan } from "../planner/fragment/index.ts";
import { planSql } from "../planner/index.ts";
import { PROTOCOLS, type Network } from "../net/index.ts";
import type { DatasetStore, RecordedDataset } from "./datasets.ts";
import { createHash } from "node:crypto";
import { Plan } from "../proto/index.ts";
import type { StagedQuery } from "../planner/fragment/index.ts";
import { currentHolders, placedHolders, placedTables, readManifest } from "./manifest.ts";

/** The largest task or task output one request carries. */
export const MAX_TASK_BYTES = 256 << 20;
/** How long a coordinator waits for one task. */
export const TASK_TIMEOUT_MS = 600_000;
/** Bytes each receiving task buffers before it salts its hottest keys, unless the query says. */
export const DEFAULT_BUDGET_BYTES = 256 << 20;
const TASK_OK = 0;
/** The task itself failed (its SQL, its data): running it elsewhere would fail the same way. */
const TASK_FAILED = 1;
/** This node cannot run it (it lacks a chunk) and sent nothing: another holder may. */
const TASK_DECLINED = 2;
/** A node its output goes to is unreachable (the body is its peer id): the query starts over without it. */
const TASK_PEER_LOST = 3;
/** Exchange streams one peer may have open to this node at once. */
const MAX_EXCHANGE_STREAMS_PER_PEER = 256;

/** Plans a node keeps by SQL text (past this many it starts over). */
const MAX_CACHED_PLANS = 256;

export interface QueryOptions {
  /** The SQL's plan when the caller made it already (to check a query transaction against it). */
  planned?: PlannedQuery;
  budgetBytes?: number;
  /** 0: every exchange goes node to node (for tests that want rows to cross nodes). */
  smallExchangeBytes?: number;
  verifyFraction?: number;
  /** False: small tables are read where their chunks are, like others (see FragmentOptions; for tests that want rows to cross nodes). */
  smallTablesEverywhere?: boolean;
  onStage?: (stats: StageStats) => void;
  /** Cancels the query: it fails and every node stops its tasks. */
  signal?: AbortSignal;
}

export interface QueryAnswer {
  names: string[];
  table: arrow.Table;
  stages: StageStats[];
  /** One line per stage: what runs where and where its rows go. */
  plan: string;
  /** The peer ids of the nodes that ran tasks, coordinator first. */
  workers: string[];
  /** Nodes caught returning wrong task outputs: the answer comes from a run without them. */
  distrusted: string[];
  /** Nodes that were gone during the query (unreachable, or an exchange stream to them broke): the answer comes from a run without them. */
  lost: string[];
  /** The other nodes' signed attestations of the task outputs they returned. */
  attestations: Attestation[];
  planMs: number;
  runMs: number;
}

export interface PlannedQuery {
  query: StagedQuery;
  /** What a query transaction commits to: SHA-256 over the stages' Substrait plans (fused variants included). */
  planHash: string;
  datasets: RecordedDataset[];
}

export class QueryService {
  readonly #self: string;
  readonly #network: Network;
  readonly #datasets: DatasetStore;
  // Its own tasks, other coordinators' tasks and re-executions it checks run at once: keep engines for them all.
  readonly #engines = new EnginePool({ maxIdle: 2 * MAX_TASKS_PER_WORKER });

  readonly #log: (event: string, fields: Record<string, unknown>) => void;
  readonly #lies: boolean;
  /** This node's ledger keys: it signs attestations of the task outputs it returns. */
  readonly #keys: KeyPair;
  /** The genesis validators' public keys (hex): whose attestations count. */
  readonly #validatorKeys: ReadonlySet<string>;
  /** The receiving tasks of the runs this node takes part in, and the sending side of its tasks. */
  readonly #host: ExchangeHost;
  /** Chunks being fetched for tasks, by hash. */
  readonly #fetching = new Map<string, Promise<boolean>>();
  /** Plans by SQL text (and whether small tables are read everywhere), for the datasets' version #plansVersion. */
  readonly #plans = new Map<string, PlannedQuery>();
  #plansVersion = -1;
  /** Plans asked for, and those made (not found among the plans kept), for /metrics. */
  plansAsked = 0;
  plansMade = 0;

  constructor(options: {
    self: string;
    network: Network;
    datasets: DatasetStore;
    log: (event: string, fields: Record<string, unknown>) => void;
    keys: KeyPair;
    validatorKeys: ReadonlySet<string>;
    lies?: boolean;
  }) {
    this.#self = options.self;
    this.#keys = options.keys;
    this.#validatorKeys = options.validatorKeys;
    this.#log = options.log;
    this.#network = options.network;
    this.#datasets = options.datasets;
    this.#lies = options.lies ?? false;
    this.#host = new ExchangeHost({ self: this.#self, connect: (peer) => this.#network.openStream(peer, PROTOCOLS.exchange) });
  }

  close(): void {
    this.#host.close();
    this.#engines.close();
  }

  /** Serves other coordinators' tasks and exchanges. A task that cannot run is answered with why, not dropped. */
  async serve(): Promise<void> {
    await this.#network.handle(
      PROTOCOLS.task,
      async (request) => {
        const task = decodeTask(request); // a frame that is no task charges the sender
        try {
          const result = await this.runTask(task);
          const parts = encodeTaskResult(result);
          const attestation = new TextEncoder().encode(JSON.stringify(attest(this.#keys, request, parts, result.rows)));
          // [status][u32 length][attestation][answer], sent as parts: the answer is not copied again.
          const head = new Uint8Array(5);
          head[0] = TASK_OK;
          new DataView(head.buffer).setUint32(1, attestation.length);
          const bytes = parts.reduce((n, p) => n + p.length, head.length + attestation.length);
          if (bytes > MAX_TASK_BYTES) {
            // Rows a task returns travel in its answer, one frame: a query whose rows come back to the coordinator this large fails whole.
            return answer(TASK_FAILED, new TextEncoder().encode(`a task's ${result.rows} rows come to ${bytes} bytes, more than one task answer carries (${MAX_TASK_BYTES}): select fewer columns or rows, or aggregate on the nodes`));
          }
          return [head, attestation, ...parts];
        } catch (error) {
          if (error instanceof ExchangePeerLostError) return answer(TASK_PEER_LOST, new TextEncoder().encode(error.peer));
          if (error instanceof TaskDeclinedError) return answer(TASK_DECLINED, new TextEncoder().encode(JSON.stringify({ message: error.message, missing: error.missing })));
          return answer(TASK_FAILED, new TextEncoder().encode((error as Error).message));
        }
      },
      { maxFrameBytes: MAX_TASK_BYTES, timeoutMs: TASK_TIMEOUT_MS },
    );
    await this.#network.handleStream(PROTOCOLS.exchange, (channel, from) => this.#host.accept(channel, from), {
      maxStreamsPerPeer: MAX_EXCHANGE_STREAMS_PER_PEER,
      isPeerFault: (error) => error instanceof ExchangeProtocolError,
    });
    await this.#network.handle(PROTOCOLS.exchangeControl, (request) => {
      const { op, run, consumer } = JSON.parse(new TextDecoder().decode(request)) as { op?: unknown; run?: unknown; consumer?: unknown };
      if (!isRunId(run)) throw new Error("an exchange request without a run id");
      if (op === "release") {
        this.#host.release(run);
        return new Uint8Array();
      }
      if (op !== "status" || !Number.isInteger(consumer)) throw new Error("an exchange request that is neither status nor release");
      return new TextEncoder().encode(JSON.stringify(this.#host.status(run, consumer as number)));
    });
    // What a task of a run read, for its coordinator to check it: kept until the run is released.
    await this.#network.handle(
      PROTOCOLS.heldInputs,
      (request) => {
        const { run, consumer, inputs } = JSON.parse(new TextDecoder().decode(request)) as { run?: unknown; consumer?: unknown; inputs?: unknown };
        const valid = isRunId(run) && Number.isInteger(consumer) && Array.isArray(inputs) && inputs.length <= MAX_HELD_INPUTS && inputs.every(Number.isInteger);
        if (!valid) throw new Error("a request for held inputs without a run, a stage and its inputs");
        // Room for the header within the frame limit.
        return encodeHeldInputs(
          (inputs as number[]).map((input) => this.#host.batches(run, consumer as number, input)),
          MAX_TASK_BYTES - (1 << 20),
        );
      },
      { maxFrameBytes: MAX_TASK_BYTES, timeoutMs: TASK_TIMEOUT_MS },
    );
    // Any node may fetch a chunk: its name is its hash, so the asker checks what it got.
    await this.#network.handle(
      PROTOCOLS.chunk,
      (request) => {
        const hash = new TextDecoder().decode(request);
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error("a chunk request that is not a chunk hash");
        return this.#datasets.hasChunk(hash) ? new Uint8Array(readFileSync(this.#datasets.chunkFile(hash))) : new Uint8Array();
      },
      { maxFrameBytes: MAX_CHUNK_BYTES, timeoutMs: TASK_TIMEOUT_MS },
    );
  }

  /**
   * Runs a task here, over chunks this node holds and rows that came to its exchanges. Chunks
   * of the tables its task reads whole that this node lacks (a table every node holds, which it
   * joined after or is still fetching; one read by key range, placed elsewhere) are fetched from
   * its peers first, and kept: only those of recorded tables, so a task cannot have a node
   * fetch whatever it names.
   */
  async runTask(task: Task): Promise<TaskResult> {
    const lacking = (scan: Task["scans"][number]) => scan.chunks.filter((hash) => !this.#datasets.hasChunk(hash));
    const fetching = task.scans.filter((scan) => scan.whole).flatMap(lacking).filter((hash) => this.#datasets.isRecorded(hash));
    if (fetching.length > 0) {
      const peers = await this.#network.peersServing(PROTOCOLS.task);
      // Where it was placed first, then any peer (a holder may be gone, and another has it since).
      const sources = (hash: string) => [...new Set([...this.#datasets.placedOn(hash).filter((p) => peers.includes(p)), ...peers])];
      await Promise.all(fetching.map((hash) => this.#fetchOnce(hash, sources(hash))));
    }
    const missing = task.scans.flatMap(lacking);
    if (missing.length > 0) throw new TaskDeclinedError(`this node does not hold ${missing.length} of the task's chunks (${missing[0].slice(0, 12)}…)`, missing);
    // A node started to misbehave (for tests) drops the last row of what it sends or returns.
    const alter = this.#lies ? (output: arrow.Table) => (output.numRows > 0 ? output.slice(0, output.numRows - 1) : output) : undefined;
    return executeTask(task, { host: this.#host, chunkFile: (hash) => this.#datasets.chunkFile(hash), pool: this.#engines, alter });
  }


  /**
   * Plans SQL over the recorded datasets: the stages, the hash of their plans (what a query
   * transaction commits to), and the datasets it reads.
   */
  plan(sql: string, options: Pick<QueryOptions, "smallTablesEverywhere"> = {}): PlannedQuery {
    // The same SQL over the same datasets plans alike: a query asked again (a dashboard's, a dApp's) is not planned again.
    this.plansAsked++;
    if (this.#plansVersion !== this.#datasets.version) {
      this.#plans.clear();
      this.#plansVersion = this.#datasets.version;
    }
    return cachedIn(this.#plans, MAX_CACHED_PLANS, `${options.smallTablesEverywhere ?? true}:${sql}`, () => {
      this.plansMade++;
      return this.#planAnew(sql, options);
    });
  }

  #planAnew(sql: string, options: Pick<QueryOptions, "smallTablesEverywhere">): PlannedQuery {
    const planned = planSql(sql, this.#datasets.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names, { smallTablesEverywhere: options.smallTablesEverywhere });
    const hash = createHash("sha256");
    for (const stage of query.stages) {
      for (const plan of [stage.plan, ...(stage.fusedWithInput ? [stage.fusedWithInput] : [])]) {
        const bytes = Plan.encode(plan).finish();
        hash.update(`${bytes.length}:`).update(bytes);
      }
    }
    const names = new Set(query.stages.flatMap((s) => s.scans.map((n) => n[0])));
    const datasets = [...names].map((name) => this.#datasets.get(name)).filter((d): d is RecordedDataset => d !== undefined);
    return { query, planHash: hash.digest("hex"), datasets };
  }

  async run(sql: string, options: QueryOptions = {}): Promise<QueryAnswer> {
    const planStarted = performance.now();
    const { query } = options.planned ?? this.plan(sql, options);
    const attestations: Attestation[] = [];
    const workers = [this.#self, ...(await this.#network.peersServing(PROTOCOLS.task)).sort()];
    const tables = new Map<string, PlacedTable>();
    const placed = new Set<string>();
    for (const stage of query.stages) {
      for (const names of stage.scans) {
        const dataset = this.#datasets.get(names[0]);
        if (!dataset || names.length !== 2) throw new UserError(`the query reads ${names.join(".")}, which is not a table of a dataset here`);
        if (placed.has(names[0])) continue;
        placed.add(names[0]);
        for (const [name, table] of placedTables(dataset.manifest, workers)) tables.set(name, table);
      }
    }
    const planMs = performance.now() - planStarted;
    const runStarted = performance.now();
    const executors: Executors = {
      runTask: (worker, task) => (worker === 0 ? this.#localTask(task) : this.#remoteTask(workers[worker], task, attestations)),
      inboxStatus: (worker, run, consumer) => (worker === 0 ? Promise.resolve(this.#host.status(run, consumer)) : this.#remoteStatus(workers[worker], run, consumer)),
      send: (route: OutputRoute, batches: readonly arrow.RecordBatch[]) => this.#host.send(route, batches),
      takeHeld: (run, consumer, inputs) => inputs.map((input) => this.#host.take(run, consumer, input)),
      inputsHeld: (worker, run, consumer, inputs) =>
        worker === 0 ? Promise.resolve(inputs.map((input) => this.#host.batches(run, consumer, input))) : this.#remoteInputsHeld(workers[worker], run, consumer, inputs),
      release: (run) => {
        this.#host.release(run);
        const request = new TextEncoder().encode(JSON.stringify({ op: "release", run }));
        for (const peer of workers.slice(1)) void this.#network.request(peer, PROTOCOLS.exchangeControl, request).catch(() => {});
      },
    };
    const result = await runStagedQuery({
      query,
      workers,
      coordinator: 0,
      tables,
      executors,
      budgetBytes: options.budgetBytes ?? DEFAULT_BUDGET_BYTES,
      smallExchangeBytes: options.smallExchangeBytes ?? DEFAULT_SMALL_EXCHANGE_BYTES,
      onStage: options.onStage,
      onWorkerLost: (worker, error) => this.#log("worker_lost", { peer: workers[worker], error: error.message }),
      verifyTask: (worker, task, result) => this.#verify(workers[worker], worker, task, result, tables, workers),
      verifyFraction: options.verifyFraction ?? DEFAULT_VERIFY_FRACTION,
      signal: options.signal,
      onWrongResult: (worker, error) => {
        this.#network.penalize(workers[worker], "wrong-result", error.message);
        this.#log("wrong_result", { peer: workers[worker], error: error.message });
      },
    });
    return {
      names: result.names,
      table: result.table,
      stages: result.stages,
      plan: explainStages(query),
      workers,
      distrusted: result.distrusted.map((w) => workers[w]),
      lost: result.lost.map((w) => workers[w]),
      attestations,
      planMs,
      runMs: performance.now() - runStarted,
    };
  }

  /** The coordinator's own task: a receiver it cannot reach is gone, as for any worker. */
  async #localTask(task: Task): Promise<TaskResult> {
    try {
      return await this.runTask(task);
    } catch (error) {
      if (error instanceof ExchangePeerLostError) throw new WorkerUnavailableError(error.message, error.peer);
      throw error;
    }
  }

  /** A request to a worker: one that does not answer is gone (the query starts over without it). */
  async #ask(peer: string, protocol: string, request: Uint8Array, limits?: { maxFrameBytes: number; timeoutMs: number }): Promise<Uint8Array> {
    try {
      return await this.#network.request(peer, protocol, request, limits);
    } catch (error) {
      throw new WorkerUnavailableError(`node ${peer.slice(-8)} is unreachable: ${(error as Error).message}`);
    }
  }

  async #remoteStatus(peer: string, run: string, consumer: number): Promise<InboxStatus> {
    const response = await this.#ask(peer, PROTOCOLS.exchangeControl, new TextEncoder().encode(JSON.stringify({ op: "status", run, consumer })));
    try {
      return checkInboxStatus(JSON.parse(new TextDecoder().decode(response)));
    } catch {
      throw this.#badAnswer(peer, "a malformed exchange status");
    }
  }

  async #remoteInputsHeld(peer: string, run: string, consumer: number, inputs: readonly number[]): Promise<arrow.RecordBatch[][] | undefined> {
    const request = new TextEncoder().encode(JSON.stringify({ run, consumer, inputs }));
    const response = await this.#ask(peer, PROTOCOLS.heldInputs, request, { maxFrameBytes: MAX_TASK_BYTES, timeoutMs: TASK_TIMEOUT_MS });
    let held: arrow.RecordBatch[][] | undefined;
    try {
      held = decodeHeldInputs(response);
    } catch (error) {
      throw this.#badAnswer(peer, `held inputs that do not decode: ${(error as Error).message}`);
    }
    if (!held) this.#log("unverified_task", { peer, reason: "its inputs are too large to fetch in one answer" });
    return held;
  }

  /** Runs the task another node ran here (fetching chunks this node lacks) and compares the outputs. */
  async #verify(peer: string, worker: number, task: Task, result: TaskResult, tables: ReadonlyMap<string, PlacedTable>, workers: readonly string[]): Promise<void> {
    // By hash: a table read by key range in a join with itself has another name in the task.
    const holdersOf = new Map([...tables.values()].flatMap((t) => t.chunks.map((c) => [c.hash, c.holders] as const)));
    for (const scan of task.scans) {
      for (const hash of scan.chunks) {
        if (this.#datasets.hasChunk(hash)) continue;
        const holders = holdersOf.get(hash) ?? [];
        if (!(await this.#fetchChunk(hash, holders.map((h) => workers[h])))) {
          this.#log("unverified_task", { peer, reason: `no holder sent chunk ${hash.slice(0, 12)}` });
          return;
        }
      }
    }
    assertSameOutput(worker, `node ${peer.slice(-8)}`, await checkTaskHere(task, result, (hash) => this.#datasets.chunkFile(hash), this.#engines));
  }

  /**
   * Re-replication: fetches the chunks this node should now hold (it is among the live nodes
   * nearest their hashes, a holder having left) from the nodes that have them. Returns how many.
   */
  async replicate(): Promise<number> {
    const live = [this.#self, ...(await this.#network.peersServing(PROTOCOLS.task))];
    let fetched = 0;
    for (const { manifest } of this.#datasets.list()) {
      const members = manifest.members.map(member);
      for (const table of readManifest(manifest)) {
        for (const chunk of table.chunks) {
          if (this.#datasets.hasChunk(chunk.hash) || !currentHolders(chunk.hash, table.rows, manifest, live).includes(this.#self)) continue;
          // Those it was placed on first (a new dataset's chunk is on the nearest of them), then any live node.
          const sources = [...new Set([...placedHolders(chunk.hash, table.rows, manifest, members), ...live])].filter((p) => p !== this.#self && live.includes(p));
          if (await this.#fetchChunk(chunk.hash, sources)) {
            fetched++;
            this.#log("chunk_replicated", { chunk: chunk.hash, table: table.names.join(".") });
          }
        }
      }
    }
    return fetched;
  }

  /** A peer's task answer that does not hold: charged, and its tasks go to other nodes. */
  #badAnswer(peer: string, what: string): WorkerUnavailableError {
    this.#network.penalize(peer, "bad-signature", what);
    return new WorkerUnavailableError(`node ${peer.slice(-8)} sent ${what}`);
  }

  /** #fetchChunk, shared by the tasks that need the chunk at once. */
  #fetchOnce(hash: string, holders: readonly string[]): Promise<boolean> {
    let fetching = this.#fetching.get(hash);
    if (!fetching) {
      fetching = this.#fetchChunk(hash, holders).finally(() => this.#fetching.delete(hash));
      this.#fetching.set(hash, fetching);
    }
    return fetching;
  }

  /** Fetches a chunk from its holders into this node's store; false if none sent it. */
  async #fetchChunk(hash: string, holders: readonly string[]): Promise<boolean> {
    for (const holder of holders) {
      if (holder === this.#self) continue;
      const bytes = await this.#network.request(holder, PROTOCOLS.chunk, new TextEncoder().encode(hash), { maxFrameBytes: MAX_CHUNK_BYTES, timeoutMs: TASK_TIMEOUT_MS }).catch(() => undefined);
      if (bytes && bytes.length > 0 && this.#datasets.putChunk(hash, bytes)) return true;
      if (bytes && bytes.length > 0) this.#network.penalize(holder, "malformed", `chunk ${hash.slice(0, 12)} with other bytes`);
    }
    return false;
  }

  async #remoteTask(peer: string, task: Task, attestations: Attestation[]): Promise<TaskResult> {
    const request = encodeTask(task);
    const response = await this.#ask(peer, PROTOCOLS.task, request, { maxFrameBytes: MAX_TASK_BYTES, timeoutMs: TASK_TIMEOUT_MS });
    const message = () => new TextDecoder().decode(response.subarray(1));
    switch (response[0]) {
      case TASK_OK: {
        // [u32 length][attestation JSON][answer]: the answer counts only if its attestation holds.
        const view = new DataView(response.buffer, response.byteOffset + 1, response.byteLength - 1);
        const length = response.length >= 5 ? view.getUint32(0) : -1;
        if (length < 0 || 5 + length > response.length) throw this.#badAnswer(peer, "a task answer without its attestation");
        let attestation: Attestation;
        try {
          attestation = JSON.parse(new TextDecoder().decode(response.subarray(5, 5 + length)));
        } catch {
          throw this.#badAnswer(peer, "an attestation that is not JSON");
        }
        const bytes = response.subarray(5 + length);
        let result: TaskResult;
        try {
          result = decodeTaskResult(bytes);
        } catch (error) {
          throw this.#badAnswer(peer, `a task answer that does not decode: ${(error as Error).message}`);
        }
        const holds =
          attestation.task === sha256Hex(request) && attestation.output === sha256Hex(bytes) && attestation.rows === result.rows && verifyAttestation(attestation, this.#validatorKeys);
        if (!holds) throw this.#badAnswer(peer, "an attestation that does not match its task, its answer or a validator's key");
        attestations.push(attestation);
        return result;
      }
      case TASK_DECLINED: {
        let declined: { message?: unknown; missing?: unknown };
        try {
          declined = JSON.parse(message());
        } catch {
          throw this.#badAnswer(peer, "a declined task's answer that is not JSON");
        }
        const missing = Array.isArray(declined.missing) ? declined.missing.filter((h): h is string => typeof h === "string" && /^[0-9a-f]{64}$/.test(h)) : [];
        throw new TaskDeclinedError(`node ${peer.slice(-8)}: ${String(declined.message)}`, missing);
      }
      case TASK_PEER_LOST:
        throw new WorkerUnavailableError(`node ${peer.slice(-8)} could not reach node ${message().slice(-8)}`, message());
      case TASK_FAILED:
        throw new UserError(message());
      default:
        throw new WorkerUnavailableError(`node ${peer.slice(-8)} sent a task answer of unknown kind ${response[0]}`);
    }
  }
}

function answer(status: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = status;
  out.set(body, 1);
  return out;
}
