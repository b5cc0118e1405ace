// Distributed SQL on a node. As coordinator (the node a client sends SQL to), it plans the query
// over the datasets the ledger recorded, cuts it into stages and runs them on every live node
// that serves the task protocol: scans on the nodes holding the chunks, the rest where the
// exchanges send the rows. As a worker, it runs the tasks other coordinators send it, over the
// chunks it holds.
//
// The exchanges pass through the coordinator: a task's output comes back to it and goes out
// again inside the tasks of the consuming stage.
import type * as arrow from "apache-arrow";
import { UserError } from "../common/errors.ts";
import {
  decodeTask,
  decodeTaskOutput,
  encodeTask,
  encodeTaskOutput,
  runStagedQuery,
  runTaskHere,
  EnginePool,
  type PlacedTable,
  type StageStats,
  type Task,
  WorkerUnavailableError,
} from "../exec/stages/index.ts";
import { explainStages, fragmentPlan } from "../planner/fragment/index.ts";
import { planSql } from "../planner/index.ts";
import { PROTOCOLS, type Network } from "../net/index.ts";
import type { DatasetStore } from "./datasets.ts";
import { placedTables } from "./manifest.ts";

/** The largest task or task output one request carries. */
export const MAX_TASK_BYTES = 256 << 20;
/** How long a coordinator waits for one task. */
export const TASK_TIMEOUT_MS = 600_000;
/** Bytes each receiving task buffers before it salts its hottest keys, unless the query says. */
export const DEFAULT_BUDGET_BYTES = 256 << 20;
const TASK_OK = 0;
/** The task itself failed (its SQL, its data): running it elsewhere would fail the same way. */
const TASK_FAILED = 1;
/** This node cannot run it (it lacks a chunk): another holder may. */
const TASK_UNAVAILABLE = 2;

export interface QueryOptions {
  budgetBytes?: number;
  onStage?: (stats: StageStats) => void;
}

export interface QueryAnswer {
  names: string[];
  table: arrow.Table;
  stages: StageStats[];
  /** One line per stage: what runs where and where its rows go. */
  plan: string;
  /** The peer ids of the nodes that ran tasks, coordinator first. */
  workers: string[];
  planMs: number;
  runMs: number;
}

export class QueryService {
  readonly #self: string;
  readonly #network: Network;
  readonly #datasets: DatasetStore;
  readonly #engines = new EnginePool();

  readonly #log: (event: string, fields: Record<string, unknown>) => void;

  constructor(self: string, network: Network, datasets: DatasetStore, log: (event: string, fields: Record<string, unknown>) => void) {
    this.#self = self;
    this.#log = log;
    this.#network = network;
    this.#datasets = datasets;
  }

  close(): void {
    this.#engines.close();
  }

  /** Serves other coordinators' tasks. A task that cannot run is answered with why, not dropped. */
  async serve(): Promise<void> {
    await this.#network.handle(
      PROTOCOLS.task,
      async (request) => {
        const task = decodeTask(request); // a frame that is no task charges the sender
        try {
          return answer(TASK_OK, encodeTaskOutput(await this.runTask(task)));
        } catch (error) {
          return answer(error instanceof WorkerUnavailableError ? TASK_UNAVAILABLE : TASK_FAILED, new TextEncoder().encode((error as Error).message));
        }
      },
      { maxFrameBytes: MAX_TASK_BYTES, timeoutMs: TASK_TIMEOUT_MS },
    );
  }

  /** Runs a task here, over chunks this node holds. */
  async runTask(task: Task): Promise<arrow.Table> {
    for (const scan of task.scans) {
      const missing = scan.chunks.find((hash) => !this.#datasets.hasChunk(hash));
      if (missing) throw new WorkerUnavailableError(`this node does not hold chunk ${missing.slice(0, 12)} of ${scan.names.join(".")}`);
    }
    return runTaskHere(task, (hash) => this.#datasets.chunkFile(hash), this.#engines);
  }

  async run(sql: string, options: QueryOptions = {}): Promise<QueryAnswer> {
    const planStarted = performance.now();
    const planned = planSql(sql, this.#datasets.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names);
    const workers = [this.#self, ...(await this.#network.peersServing(PROTOCOLS.task)).sort()];
    const tables = new Map<string, PlacedTable>();
    for (const stage of query.stages) {
      for (const names of stage.scans) {
        const dataset = this.#datasets.get(names[0]);
        if (!dataset || names.length !== 2) throw new UserError(`the query reads ${names.join(".")}, which is not a table of a dataset here`);
        for (const [name, table] of placedTables(dataset.manifest, workers)) tables.set(name, table);
      }
    }
    const planMs = performance.now() - planStarted;
    const runStarted = performance.now();
    const result = await runStagedQuery({
      query,
      workers,
      coordinator: 0,
      tables,
      runTask: (worker, task) => (worker === 0 ? this.runTask(task) : this.#remoteTask(workers[worker], task)),
      budgetBytes: options.budgetBytes ?? DEFAULT_BUDGET_BYTES,
      onStage: options.onStage,
      onWorkerLost: (worker, error) => this.#log("worker_lost", { peer: workers[worker], error: error.message }),
    });
    return { names: result.names, table: result.table, stages: result.stages, plan: explainStages(query), workers, planMs, runMs: performance.now() - runStarted };
  }

  async #remoteTask(peer: string, task: Task): Promise<arrow.Table> {
    const request = encodeTask(task);
    let response: Uint8Array;
    try {
      response = await this.#network.request(peer, PROTOCOLS.task, request, { maxFrameBytes: MAX_TASK_BYTES, timeoutMs: TASK_TIMEOUT_MS });
    } catch (error) {
      throw new WorkerUnavailableError(`node ${peer.slice(-8)} is unreachable: ${(error as Error).message}`);
    }
    const message = () => new TextDecoder().decode(response.subarray(1));
    switch (response[0]) {
      case TASK_OK:
        return decodeTaskOutput(response.subarray(1));
      case TASK_UNAVAILABLE:
        throw new WorkerUnavailableError(`node ${peer.slice(-8)}: ${message()}`);
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
