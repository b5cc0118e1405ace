// Running a staged query over a set of workers: each stage's tasks run on their workers (one
// DuckDB per task), and each task's output goes where the stage's exchange says: hashed to the
// worker nearest each key (into the receiving tasks' salting inboxes, which salt hot keys when
// they pass their budget), to every worker, to the coordinator, or nowhere. A stage starts when
// the stages it reads are done, so stages that read nothing of each other run at once.
//
// The inboxes are all in this process (the coordinator's): a task's output comes back to it and
// goes out again inside the consuming stage's tasks.
import * as arrow from "apache-arrow";
import { UserError, invariant } from "../../common/errors.ts";
import type { Plan } from "../../proto/index.ts";
import { exchangeTable, saltMergeTable, type Stage, type StagedQuery } from "../../planner/fragment/index.ts";
import { ROUTED_EPOCH, ReceivingTask, Router, SaltMap, batchBytes, keyHashes, member, pickHashes, routeRows, takeRows, type PartitionSpec } from "../../shuffle/index.ts";
import type { ColumnStats } from "../chunks/index.ts";
import { LocalEngine, type OutputComparison } from "../engine.ts";
import type { TableColumn } from "../substrait/index.ts";
import { chunkNeeded, namedReads } from "./reads.ts";
import { WrongResultError } from "./verify.ts";

/**
 * Rows per batch a task's output is cut into before it is sent: receivers see a hot key early
 * (and salt it) and never take more than one such batch past their budget.
 */
export const EXCHANGE_BATCH_ROWS = 4096;

/**
 * What a task runner throws when the worker could not run the task (it is gone, or lacks a
 * chunk): the runner then gives the task's work to other workers.
 */
export class WorkerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerUnavailableError";
  }
}

export interface PlacedChunk {
  hash: string;
  rows: number;
  stats: Readonly<Record<string, ColumnStats>>;
  /** Indexes of the workers holding the chunk, nearest its hash first. */
  holders: readonly number[];
}

export interface PlacedTable {
  columns: TableColumn[];
  chunks: readonly PlacedChunk[];
}

export interface StagedRun {
  query: StagedQuery;
  /** The live workers' peer ids; a worker is its index here. */
  workers: readonly string[];
  coordinator: number;
  /** Every table a stage scans, by dotted name. */
  tables: ReadonlyMap<string, PlacedTable>;
  /** Runs one task on worker `worker` (in this process, or on the node it stands for). */
  runTask(worker: number, task: Task): Promise<arrow.Table>;
  /** Bytes a receiving task buffers before it salts its hottest keys. */
  budgetBytes: number;
  /** Tasks one worker is given at once (default MAX_TASKS_PER_WORKER). */
  maxTasksPerWorker?: number;
  onStage?: (stats: StageStats) => void;
  /** A worker failed a task and gets no more work in this query. */
  onWorkerLost?: (worker: number, error: WorkerUnavailableError) => void;
  /**
   * Re-executes a task another worker ran and throws WrongResultError if the output differs;
   * called for a sample of the tasks not run by the coordinator, beside the stages that follow;
   * the run ends only when every check has.
   */
  verifyTask?: (worker: number, task: Task, output: arrow.Table) => Promise<void>;
  /** A worker's output was shown wrong; the query starts over without it. */
  onWrongResult?: (worker: number, error: WrongResultError) => void;
  /** The share of those tasks verified (default 0: none). */
  verifyFraction?: number;
  /** Seeds the choice of tasks to verify (default: random). */
  verifySeed?: number;
}

/** Stages that read nothing of each other run at once, but one worker runs at most this many tasks at a time. */
export const MAX_TASKS_PER_WORKER = 4;

/** One task of a stage: its plan, the chunks it scans and the rows that came to it. */
export interface Task {
  plan: Plan;
  /** Base tables, each as the hashes of the chunks this task reads (maybe none). */
  scans: { names: string[]; columns: TableColumn[]; chunks: string[] }[];
  /** Tables of rows: exchange inputs, or salted partials to merge. */
  inputs: { names: string[]; columns: TableColumn[]; batches: arrow.RecordBatch[] }[];
}

/**
 * DuckDB engines kept open for tasks: opening one costs tens of milliseconds, more than a small
 * task runs. A task takes an engine, registers its tables, runs, and gives the engine back reset.
 */
export class EnginePool {
  readonly #idle: LocalEngine[] = [];
  readonly #threads: number;
  readonly #maxIdle: number;
  #closed = false;

  constructor(options: { threads?: number; maxIdle?: number } = {}) {
    this.#threads = options.threads ?? 1;
    this.#maxIdle = options.maxIdle ?? MAX_TASKS_PER_WORKER;
  }

  async use<T>(work: (engine: LocalEngine) => Promise<T>): Promise<T> {
    invariant(!this.#closed, "engine pool used after close()");
    const engine = this.#idle.pop() ?? (await LocalEngine.open({ threads: this.#threads }));
    let reusable = false;
    try {
      const result = await work(engine);
      await engine.reset();
      reusable = true;
      return result;
    } finally {
      if (reusable && !this.#closed && this.#idle.length < this.#maxIdle) this.#idle.push(engine);
      else engine.close();
    }
  }

  close(): void {
    this.#closed = true;
    for (const engine of this.#idle.splice(0)) engine.close();
  }
}

/** Runs a task on an engine of `pool`, reading chunk `hash` from `chunkFile(hash)`. */
export async function runTaskHere(task: Task, chunkFile: (hash: string) => string, pool: EnginePool): Promise<arrow.Table> {
  return pool.use(async (engine) => {
    await registerTaskTables(engine, task, chunkFile);
    return (await engine.execute(task.plan)).table;
  });
}

/** Runs a task on an engine of `pool` and compares its rows with the `claimed` output of another executor. */
export async function checkTaskHere(task: Task, claimed: arrow.Table, chunkFile: (hash: string) => string, pool: EnginePool): Promise<OutputComparison> {
  return pool.use(async (engine) => {
    await registerTaskTables(engine, task, chunkFile);
    return engine.compareWith(task.plan, claimed.batches);
  });
}

async function registerTaskTables(engine: LocalEngine, task: Task, chunkFile: (hash: string) => string): Promise<void> {
  for (const scan of task.scans) {
    // The columns come with the task (from the dataset's manifest): nothing to read before the plan runs.
    if (scan.chunks.length > 0) engine.registerParquetAs(scan.names, scan.chunks.map(chunkFile), scan.columns, 0);
    else await engine.registerBatches(scan.names, scan.columns, []);
  }
  for (const input of task.inputs) await engine.registerBatches(input.names, input.columns, input.batches);
}

export interface StageStats {
  id: number;
  runsOn: Stage["runsOn"];
  output: Stage["output"]["kind"];
  tasks: number;
  /** Tasks run again elsewhere because their worker could not run them. */
  retried: number;
  /** Tasks re-executed to check their worker's output. */
  verified: number;
  rowsOut: number;
  /** Bytes of output rows that went to another worker. */
  bytesShuffled: number;
  chunksScanned: number;
  chunksPruned: number;
  /** Keys its receiving tasks salted (for a stage whose input may be salted). */
  saltedKeys: number;
  /** Per worker: the most bytes its receiving task for this stage buffered. */
  peakInputBytes: number[];
  overBudget: boolean;
  ms: number;
}

export interface StagedResult {
  names: string[];
  table: arrow.Table;
  stages: StageStats[];
  /** Workers whose outputs were shown wrong: the answer comes from a run without them. */
  distrusted: number[];
}

/** Times a query starts over without a worker caught with a wrong output. */
export const MAX_RESTARTS = 3;

/**
 * Runs the query; when a verified task shows a worker's output wrong, everything that worker
 * contributed is suspect, so the query starts over without it.
 */
export async function runStagedQuery(run: StagedRun): Promise<StagedResult> {
  invariant(run.workers.length > 0 && run.coordinator >= 0 && run.coordinator < run.workers.length, "a staged run needs workers and a coordinator among them");
  const distrusted = new Set<number>();
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await new StagedRunner(run, distrusted).run();
      return { ...result, distrusted: [...distrusted] };
    } catch (error) {
      if (!(error instanceof WrongResultError) || attempt >= MAX_RESTARTS) throw error;
      distrusted.add(error.worker);
      run.onWrongResult?.(error.worker, error);
    }
  }
}

class StagedRunner {
  readonly #run: StagedRun;
  readonly #router: Router;
  readonly #stages: readonly Stage[];
  /** The stage reading each stage's output. */
  readonly #consumer = new Map<number, number>();
  /** Per consuming stage: its receiving task on every worker. */
  readonly #receivers = new Map<number, ReceivingTask[]>();
  readonly #stats: StageStats[] = [];
  #verifyState: number;
  /** Workers that failed a task: given no more work in this query. */
  readonly #lost = new Set<number>();
  /** Per worker: tasks running, and tasks waiting for a slot. */
  readonly #slots: { running: number; waiting: (() => void)[] }[];
  /**
   * Re-executions checking other workers' outputs. They run beside the stages that follow, not
   * before them, and the answer waits for all: a wrong output found late still fails the run.
   */
  readonly #checks: Promise<void>[] = [];
  /** The first check that failed: no further stage starts. */
  #checkFailed: unknown;
  /** Outputs of stages whose plan ran fused into the tasks of the stage they read. */
  readonly #fusedOutputs = new Map<number, arrow.Table[]>();

  constructor(run: StagedRun, distrusted: ReadonlySet<number>) {
    this.#run = run;
    for (const worker of distrusted) this.#lost.add(worker);
    this.#router = new Router(run.workers.map(member));
    this.#stages = run.query.stages;
    for (const stage of this.#stages) for (const input of stage.inputs) this.#consumer.set(input, stage.id);
    this.#slots = run.workers.map(() => ({ running: 0, waiting: [] }));
    this.#verifyState = (run.verifySeed ?? Math.floor(Math.random() * 2 ** 31)) | 0;
  }

  /** Whether to verify the next task (a seeded mulberry32 draw). */
  #sampled(): boolean {
    const fraction = this.#run.verifyFraction ?? 0;
    if (fraction <= 0) return false;
    this.#verifyState = (this.#verifyState + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#verifyState ^ (this.#verifyState >>> 15), 1 | this.#verifyState);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 < fraction;
  }

  async #withSlot<T>(worker: number, work: () => Promise<T>): Promise<T> {
    const slots = this.#slots[worker];
    const limit = this.#run.maxTasksPerWorker ?? MAX_TASKS_PER_WORKER;
    // A finishing task hands its slot straight to the next waiting one.
    if (slots.running >= limit) await new Promise<void>((resolve) => slots.waiting.push(resolve));
    else slots.running++;
    try {
      return await work();
    } finally {
      const next = slots.waiting.shift();
      if (next) next();
      else slots.running--;
    }
  }

  /** Runs every stage once its inputs are done: stages that read nothing of each other run at once. */
  async run(): Promise<StagedResult> {
    const done = new Map<number, Promise<arrow.Table | undefined>>();
    for (const stage of this.#stages) {
      const inputs = stage.inputs.map((i) => done.get(i));
      invariant(inputs.every((p) => p !== undefined), `stage ${stage.id} is listed before a stage it reads`);
      done.set(stage.id, Promise.all(inputs).then(() => this.#runStage(stage)));
    }
    // Wait for all, so no stage is left running when one fails.
    const settled = await Promise.allSettled(done.values());
    await Promise.all(this.#checks);
    if (this.#checkFailed !== undefined) throw this.#checkFailed;
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const result = await done.get(this.#stages[this.#stages.length - 1].id)!;
    invariant(result, "a staged query ends with a result stage");
    return { names: [...this.#run.query.names], table: result, stages: [...this.#stats].sort((a, b) => a.id - b.id), distrusted: [] };
  }

  /** Runs a stage's tasks and sends their outputs on; the root stage's output is the answer. */
  async #runStage(stage: Stage): Promise<arrow.Table | undefined> {
    if (this.#checkFailed !== undefined) throw this.#checkFailed;
    const started = performance.now();
    const stats: StageStats = {
      id: stage.id,
      runsOn: stage.runsOn,
      output: stage.output.kind,
      tasks: 0,
      retried: 0,
      verified: 0,
      rowsOut: 0,
      bytesShuffled: 0,
      chunksScanned: 0,
      chunksPruned: 0,
      saltedKeys: 0,
      peakInputBytes: [],
      overBudget: false,
      ms: 0,
    };
    const workers = stage.runsOn === "nodes" ? this.#run.workers.map((_, w) => w) : [this.#run.coordinator];
    // Every input is done, so its receivers have salted all they will.
    const receivers = this.#receivers.get(stage.id);
    if (receivers) {
      stats.peakInputBytes = receivers.map((r) => r.inbox.stats.peakBytes);
      stats.saltedKeys = receivers.reduce((n, r) => n + r.inbox.stats.saltedKeys, 0);
      stats.overBudget = receivers.some((r) => r.inbox.stats.overBudget);
    }
    // Nothing to merge: the consumer's plan runs here, over this stage's inputs, in one round of tasks.
    const consumerId = this.#consumer.get(stage.id);
    const fuseInto = stage.saltMerge && stats.saltedKeys === 0 && consumerId !== undefined && this.#stages[consumerId].fusedWithInput ? this.#stages[consumerId] : undefined;
    // A stage fused into the one it reads has its outputs already.
    let outputs = this.#fusedOutputs.get(stage.id);
    if (!outputs) {
      const assigned = this.#assignChunks(stage, stats);
      const plan = fuseInto?.fusedWithInput ?? stage.plan;
      stats.tasks = workers.length;
      outputs = await Promise.all(workers.map((w) => this.#runTask(stage, w, plan, assigned.get(w) ?? new Map(), stats)));
    }
    this.#receivers.delete(stage.id);
    let result: arrow.Table | undefined;
    if (fuseInto) this.#fusedOutputs.set(fuseInto.id, outputs);
    else {
      if (stage.saltMerge && stats.saltedKeys > 0) outputs = await this.#mergeSalted(stage, workers, outputs, receivers!);
      stats.rowsOut = outputs.reduce((n, t) => n + t.numRows, 0);
      if (stage.output.kind === "result") {
        invariant(outputs.length === 1, "the root stage runs as one task");
        result = outputs[0];
      } else {
        stats.bytesShuffled = await this.#send(stage, workers, outputs);
      }
    }
    stats.ms = performance.now() - started;
    this.#stats.push(stats);
    this.#run.onStage?.(stats);
    return result;
  }

  /** Per worker, per scanned table: the hashes of the chunks it reads (the first holder of each chunk a filter may need). */
  #assignChunks(stage: Stage, stats: StageStats): Map<number, Map<string, string[]>> {
    const assigned = new Map<number, Map<string, string[]>>();
    if (stage.scans.length === 0) return assigned;
    const reads = namedReads(stage.plan);
    for (const names of stage.scans) {
      const key = names.join(".");
      const table = this.#run.tables.get(key);
      if (!table) throw new UserError(`the query reads table ${key}, which no dataset holds`);
      for (const chunk of table.chunks) {
        if (!chunkNeeded(stage.plan, reads.get(key) ?? [], chunk)) {
          stats.chunksPruned++;
          continue;
        }
        const holder = this.#holderOf(key, chunk.hash);
        stats.chunksScanned++;
        let tables = assigned.get(holder);
        if (!tables) assigned.set(holder, (tables = new Map()));
        tables.set(key, [...(tables.get(key) ?? []), chunk.hash]);
      }
    }
    return assigned;
  }

  async #runTask(stage: Stage, worker: number, plan: Plan, chunks: ReadonlyMap<string, string[]>, stats?: StageStats, merge?: { table: string; batches: arrow.RecordBatch[] }): Promise<arrow.Table> {
    const inbox = this.#receivers.get(stage.id)?.[worker]?.inbox;
    const task: Task = {
      plan,
      scans: stage.scans.map((names) => ({ names: [...names], columns: this.#run.tables.get(names.join("."))!.columns, chunks: chunks.get(names.join(".")) ?? [] })),
      inputs: stage.inputs.map((input) => ({ names: [exchangeTable(input)], columns: this.#columns(this.#stages[input]), batches: inbox?.batches(input) ?? [] })),
    };
    if (merge) task.inputs.push({ names: [merge.table], columns: this.#columns(stage), batches: merge.batches });
    return this.#attempt(stage, worker, task, stats);
  }

  /** Runs a task on `worker`; if the worker cannot, its work goes to others (the task's inputs are all here). */
  async #attempt(stage: Stage, worker: number, task: Task, stats: StageStats | undefined): Promise<arrow.Table> {
    if (!this.#lost.has(worker)) {
      try {
        const output = await this.#withSlot(worker, () => this.#run.runTask(worker, task));
        const verify = this.#run.verifyTask;
        if (worker !== this.#run.coordinator && verify && this.#sampled()) {
          if (stats) stats.verified++;
          this.#checks.push(
            verify(worker, task, output).catch((error: unknown) => {
              this.#checkFailed ??= error;
            }),
          );
        }
        return output;
      } catch (error) {
        if (!(error instanceof WorkerUnavailableError)) throw error;
        this.#lost.add(worker);
        this.#run.onWorkerLost?.(worker, error);
      }
    }
    if (stats) stats.retried++;
    const scanned = task.scans.some((s) => s.chunks.length > 0);
    if (!scanned) {
      const other = this.#run.workers.findIndex((_, w) => !this.#lost.has(w));
      if (other < 0) throw new UserError("no node is left to run the query's tasks: the query cannot finish");
      return this.#attempt(stage, other, task, stats);
    }
    // Each chunk to its next live holder; exchange inputs a scan stage reads are broadcasts,
    // which every share may read whole.
    invariant(stage.inputs.every((i) => this.#stages[i].output.kind === "broadcast"), `stage ${stage.id} scans chunks and reads partitioned rows`);
    const shares = new Map<number, Task>();
    task.scans.forEach((scan, s) => {
      for (const hash of scan.chunks) {
        const holder = this.#holderOf(scan.names.join("."), hash);
        let share = shares.get(holder);
        if (!share) shares.set(holder, (share = { ...task, scans: task.scans.map((x) => ({ ...x, chunks: [] })) }));
        share.scans[s].chunks.push(hash);
      }
    });
    const outputs = await Promise.all([...shares].map(([w, share]) => this.#attempt(stage, w, share, stats)));
    return tableOf(outputs[0], outputs.flatMap((t) => t.batches));
  }

  /** The nearest live holder of a chunk. */
  #holderOf(table: string, hash: string): number {
    const chunk = this.#run.tables.get(table)?.chunks.find((c) => c.hash === hash);
    const holder = chunk?.holders.find((h) => !this.#lost.has(h));
    if (holder === undefined) throw new UserError(`no live node holds chunk ${hash.slice(0, 12)} of ${table}: the query cannot finish`);
    return holder;
  }

  #columns(stage: Stage): TableColumn[] {
    return stage.columns.map((name, i) => ({ name, type: stage.types[i] }));
  }

  /** The receiving tasks, one per worker, of the stage that reads `producer`'s output. */
  #receiversFor(producer: number): ReceivingTask[] {
    const consumerId = this.#consumer.get(producer);
    invariant(consumerId !== undefined, `stage ${producer}'s output has no reader`);
    let receivers = this.#receivers.get(consumerId);
    if (!receivers) {
      const consumer = this.#stages[consumerId];
      const saltable = new Map<number, PartitionSpec>();
      for (const input of consumer.inputs) {
        const spec = partitionSpec(this.#stages[input]);
        if (spec && this.#stages[input].output.kind === "hash" && (this.#stages[input].output as { salting?: unknown }).salting) saltable.set(input, spec);
      }
      const created: ReceivingTask[] = this.#run.workers.map(
        (_, self) =>
          new ReceivingTask({
            self,
            router: this.#router,
            budgetBytes: this.#run.budgetBytes,
            saltable,
            forward: (to, input, batch) => created[to].inbox.accept(input, batch, ROUTED_EPOCH),
          }),
      );
      this.#receivers.set(consumerId, (receivers = created));
    }
    return receivers;
  }

  /** Sends each task's output where the stage's exchange says; returns the bytes that crossed workers. */
  async #send(stage: Stage, workers: readonly number[], outputs: readonly arrow.Table[]): Promise<number> {
    const receivers = this.#receiversFor(stage.id);
    let crossed = 0;
    const deliver = (from: number, to: number, batch: arrow.RecordBatch) => {
      if (from !== to) crossed += batchBytes(batch);
      receivers[to].inbox.accept(stage.id, batch, ROUTED_EPOCH);
    };
    const output = stage.output;
    await Promise.all(
      workers.map(async (from, i) => {
        const batches = outputs[i].batches.flatMap((b) => sliceRows(b, EXCHANGE_BATCH_ROWS));
        switch (output.kind) {
          case "broadcast":
            for (const batch of batches) receivers.forEach((_, to) => deliver(from, to, batch));
            return;
          case "gather":
            for (const batch of batches) deliver(from, this.#run.coordinator, batch);
            return;
          case "forward":
            for (const batch of batches) deliver(from, from, batch);
            return;
          case "hash":
            crossed += await this.#hashSend(stage, from, batches, receivers);
            return;
          case "result":
            throw new Error("unreachable: a result is not sent");
        }
      }),
    );
    return crossed;
  }

  /**
   * Splits each batch by key and hands the pieces to their receivers' inboxes, with the key
   * hashes computed for the split. Every receiver is in this process, so each batch is split
   * under the salts as they are at that moment: no piece is routed under stale ones.
   */
  async #hashSend(stage: Stage, from: number, batches: readonly arrow.RecordBatch[], receivers: readonly ReceivingTask[]): Promise<number> {
    const spec = partitionSpec(stage)!;
    const salts = new SaltMap();
    let saltedSeen = 0;
    let crossed = 0;
    for (const batch of batches) {
      const salted = receivers.reduce((n, r) => n + r.inbox.stats.saltedKeys, 0);
      if (salted !== saltedSeen) {
        for (const receiver of receivers) for (const key of receiver.inbox.announcement().keys) salts.add(key, 1);
        saltedSeen = salted;
      }
      const hashes = keyHashes(batch, spec.keys);
      routeRows(batch, spec, this.#router, salts, hashes).forEach((rows, to) => {
        if (rows.length === 0) return;
        const piece = takeRows(batch, rows);
        if (to !== from) crossed += batchBytes(piece);
        receivers[to].inbox.accept(stage.id, piece, ROUTED_EPOCH, pickHashes(hashes, rows));
      });
      // Let other stages' work and the network's interleave with a long send.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return crossed;
  }

  /**
   * A salted key's rows were aggregated on several workers: its partial rows go to the key's
   * home, which merges them with the stage's salt merge plan.
   */
  async #mergeSalted(stage: Stage, workers: readonly number[], outputs: arrow.Table[], receivers: readonly ReceivingTask[]): Promise<arrow.Table[]> {
    const merge = stage.saltMerge!;
    const salted = new SaltMap();
    for (const receiver of receivers) for (const key of receiver.inbox.announcement().keys) salted.add(key, 1);
    const partials: arrow.RecordBatch[][] = this.#run.workers.map(() => []);
    const kept: arrow.RecordBatch[][] = workers.map(() => []);
    outputs.forEach((table, i) => {
      for (const batch of table.batches) {
        if (batch.numRows === 0) continue;
        const hashes = keyHashes(batch, merge.keys);
        const stay: number[] = [];
        const byHome = new Map<number, number[]>();
        for (let row = 0; row < batch.numRows; row++) {
          if (salted.salts(hashes.high[row], hashes.low[row]) === 1) stay.push(row);
          else {
            const home = this.#router.home(hashes.high[row], hashes.low[row]);
            byHome.set(home, [...(byHome.get(home) ?? []), row]);
          }
        }
        kept[i].push(takeRows(batch, Uint32Array.from(stay)));
        for (const [home, rows] of byHome) partials[home].push(takeRows(batch, Uint32Array.from(rows)));
      }
    });
    const merged = await Promise.all(
      partials.map((batches, home) =>
        batches.length === 0 ? undefined : this.#runTask({ ...stage, scans: [], inputs: [] }, home, merge.plan, new Map(), undefined, { table: saltMergeTable(stage.id), batches }),
      ),
    );
    return workers.map((w, i) => {
      const batches = [...kept[i], ...(merged[w]?.batches ?? [])].filter((b) => b.numRows > 0);
      return tableOf(outputs[i], batches);
    });
  }
}

/**
 * The batch in pieces of at most `rows` rows, each a compact copy: a slice would share the whole
 * batch's string buffers, and every piece would count (and be sent with) all of them.
 */
function sliceRows(batch: arrow.RecordBatch, rows: number): arrow.RecordBatch[] {
  if (batch.numRows <= rows) return batch.numRows > 0 ? [batch] : [];
  const pieces: arrow.RecordBatch[] = [];
  for (let start = 0; start < batch.numRows; start += rows) {
    const end = Math.min(batch.numRows, start + rows);
    pieces.push(takeRows(batch, Uint32Array.from({ length: end - start }, (_, i) => start + i)));
  }
  return pieces;
}

function partitionSpec(stage: Stage): PartitionSpec | undefined {
  const output = stage.output;
  if (output.kind !== "hash") return undefined;
  return { keys: output.keys, saltBy: output.salting?.saltBy ?? output.keys, mode: output.salting?.mode ?? "spread" };
}


/** One table of `batches` (from tasks on different workers) under `like`'s schema, every field nullable. */
function tableOf(like: arrow.Table, batches: arrow.RecordBatch[]): arrow.Table {
  const schema = new arrow.Schema(like.schema.fields.map((f) => new arrow.Field(f.name, f.type, true)));
  return new arrow.Table(schema, batches.map((b) => new arrow.RecordBatch(schema, b.data)));
}
