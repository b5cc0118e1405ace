// Running a staged query over a set of workers: each stage's tasks run on their workers (one
// DuckDB per task), and each task sends its output where the stage's exchange says, straight to
// the workers that read it: hashed to the worker nearest each key (into the receiving tasks'
// salting inboxes, which salt hot keys when they pass their budget), to every worker, to the
// coordinator, or to itself. The coordinator only tells each task where its rows come from and
// where they go. A stage starts when the stages it reads are done, so stages that read nothing
// of each other run at once.
import * as arrow from "apache-arrow";
import { randomBytes } from "node:crypto";
import { UserError, invariant } from "../../common/errors.ts";
import type { Plan, Type } from "../../proto/index.ts";
import { exchangeTable, readersOf, saltMergeTable, type OrderKey, type Stage, type StagedQuery } from "../../planner/fragment/index.ts";
import { EMPTY_DIGEST, RowDigest, Router, SaltMap, UnsortedRunError, batchBytes, digestRows, digestSeed, keyHashes, mergeSortedRuns, routerFor, sumDigests, takeRows, wholeRowHashes, type ExchangeHost, type ExchangeSpec, type InboxStatus, type KeptKeys, MAX_KEPT_RANGES, type OutputRoute, type PartitionSpec, type SentSummary } from "../../shuffle/index.ts";
import type { ColumnStats } from "../chunks/index.ts";
import { LocalEngine } from "../engine.ts";
import { duckdbTypeFromSubstrait } from "../types.ts";
import type { TableColumn } from "../substrait/index.ts";
import { balanceShares } from "./balance.ts";
import { chunkNeeded, namedReads } from "./reads.ts";
import type { FileNarrowing, KeyRanges } from "../key-ranges.ts";
import { chunksMeeting, coversDisjoint, keyCover, keyRanges, keysOnlyIn, narrowedChunks, type KeyCover } from "./ranges.ts";
import { WrongResultError, type OutputComparison } from "./verify.ts";

/**
 * What a task runner throws when a worker is gone (unreachable, or its exchange stream broke):
 * rows it sent or held are lost with it, so the query starts over without it. `peer` names the
 * worker that is gone when it is not the one that ran the task (a receiver of its rows).
 */
export class WorkerUnavailableError extends Error {
  readonly peer: string | undefined;
  constructor(message: string, peer?: string) {
    super(message);
    this.name = "WorkerUnavailableError";
    this.peer = peer;
  }
}

/** A task stopped because its run was released: its query ended or started over, and wants nothing more of it. */
export class RunReleasedError extends Error {
  constructor(run: string) {
    super(`run ${run.slice(0, 8)} is over (its query ended or started over): the task stopped`);
    this.name = "RunReleasedError";
  }
}

/** A worker could not run a task (it lacks chunks) and sent nothing: those chunks go to their other holders. */
export class TaskDeclinedError extends Error {
  /** The hashes of the chunks it lacks. */
  readonly missing: readonly string[];
  constructor(message: string, missing: readonly string[]) {
    super(message);
    this.name = "TaskDeclinedError";
    this.missing = missing;
  }
}

export interface PlacedChunk {
  hash: string;
  rows: number;
  stats: Readonly<Record<string, ColumnStats>>;
  /**
   * Indexes of the workers holding the chunk: first those it was placed on, nearest its hash
   * first, then (`placedOn` onwards) those that should hold a copy now and may still be fetching it.
   */
  holders: readonly number[];
  /** How many of `holders` it was placed on (all, if not given). */
  placedOn?: number;
}

export interface PlacedTable {
  columns: TableColumn[];
  chunks: readonly PlacedChunk[];
}

/** What the coordinator asks of the workers (in this process, or the nodes they stand for). */
export interface Executors {
  /** Runs one task on worker `worker`. */
  runTask(worker: number, task: Task): Promise<TaskResult>;
  /** What worker `worker`'s receiving task of stage `consumer` in run `run` buffered and salted. */
  inboxStatus(worker: number, run: string, consumer: number): Promise<InboxStatus>;
  /** Sends rows from the coordinator itself (salted partials it merged) where `route` says. */
  send(route: OutputRoute, batches: readonly arrow.RecordBatch[]): Promise<SentSummary>;
  /**
   * The rows worker `worker`'s receiving task of stage `consumer` in run `run` holds of each of
   * `inputs` (producing stages): what a task of it read. A worker keeps them until the run is
   * released. Undefined: more rows than one answer carries (the task goes unchecked).
   */
  inputsHeld(worker: number, run: string, consumer: number, inputs: readonly number[]): Promise<arrow.RecordBatch[][] | undefined>;
  /** inputsHeld of the coordinator's own receiving task, which then holds them no more (sorted runs, once merged). */
  takeHeld(run: string, consumer: number, inputs: readonly number[]): arrow.RecordBatch[][];
  /** A run is over (answered, failed, or started over): every worker forgets its rows. */
  release(run: string): void;
}

export interface StagedRun {
  query: StagedQuery;
  /** The live workers' peer ids; a worker is its index here. */
  workers: readonly string[];
  coordinator: number;
  /** Every table a stage scans, by dotted name. */
  tables: ReadonlyMap<string, PlacedTable>;
  executors: Executors;
  /** Bytes a receiving task buffers before it salts its hottest keys. */
  budgetBytes: number;
  /** Tasks one worker is given at once (default MAX_TASKS_PER_WORKER). */
  maxTasksPerWorker?: number;
  /** Output for the coordinator a task returns in its answer, at most (default MAX_RETURNED_OUTPUT_BYTES). */
  maxReturnedBytes?: number;
  /**
   * A hash or broadcast exchange whose rows come to at most this many bytes (Arrow buffers, all
   * its tasks together) is finished on the coordinator: the producing tasks return their rows in
   * their answers, and a stage that reads only such rows (and tables every node holds) runs
   * there as one task (see StagedRunner.#mayRunOnHeldRows). Default 0: every exchange goes node
   * to node.
   */
  smallExchangeBytes?: number;
  onStage?: (stats: StageStats) => void;
  /** A worker is gone: the query starts over without it. */
  onWorkerLost?: (worker: number, error: WorkerUnavailableError) => void;
  /**
   * Re-executes a task another worker ran (every input given: the rows its worker held for it)
   * and throws WrongResultError unless the output is the one the worker's answer committed to
   * (see checkTaskHere). Called for a sample of the tasks not run by the coordinator, after they
   * answered (a worker cannot tell a checked task from another), beside the stages that follow;
   * the run ends only when every check has.
   */
  verifyTask?: (worker: number, task: Task, result: TaskResult) => Promise<void>;
  /** A worker's output was shown wrong; the query starts over without it. */
  onWrongResult?: (worker: number, error: WrongResultError) => void;
  /** The share of those tasks verified (default 0: none). */
  verifyFraction?: number;
  /** Seeds the choice of tasks to verify (default: random). */
  verifySeed?: number;
  /** Cancels the query (its client went away): it fails, and every task of it stops. */
  signal?: AbortSignal;
}

/** A task's output for the coordinator up to this large (Arrow buffer bytes) comes back in its answer, a larger one through the exchange. */
export const MAX_RETURNED_OUTPUT_BYTES = 64 << 20;

/** Stages that read nothing of each other run at once, but one worker runs at most this many tasks at a time. */
export const MAX_TASKS_PER_WORKER = 4;

/** One task of a stage: its plan, the chunks it scans, the rows it reads and where its output goes. */
export interface Task {
  plan: Plan;
  /**
   * Base tables, each as the hashes of the chunks this task reads (maybe none). `whole`: not
   * shared out among the tasks (a table held by every node, or one read by key range), so a
   * worker lacking one of its chunks fetches it, and a task split into shares gives each all of them.
   * `within`: only the rows whose key lies in these ranges are read (a table read by key range);
   * `narrowed`, when given, says which chunks' rows may lie outside, and which of the ranges
   * (first and last index) each meets: the other chunks' rows all lie within.
   */
  scans: { names: string[]; columns: TableColumn[]; chunks: string[]; whole?: boolean; within?: KeyRanges; narrowed?: NarrowedChunk[] }[];
  /** Tables of rows: given with the task (salted partials to merge), or what came to the worker's receiving task of an exchange. */
  inputs: TaskInput[];
  /** Where the output goes (one route per stage reading it); none: it is returned (the answer, or partials the coordinator merges). */
  outputs?: OutputRoute[];
  /**
   * An output of at most this many bytes is returned instead of sent where `outputs` say (rows
   * for the coordinator, which sends them on itself without a stream to open); a larger one is sent.
   */
  returnWithin?: number;
  /** The run the task is part of: when the run is released (its query ended or started over), the task stops. */
  run?: string;
}

/** Whether each task of `stage` reads the chunks of `table` it is given whole (Task.scans' `whole`), instead of a share. */
function readWhole(stage: Stage, table: string): boolean {
  return (stage.everywhere?.includes(table) ?? false) || (stage.references?.some((r) => r.table === table) ?? false);
}

/** The dataset table a stage reads under `name` (another name for a table read by key range and otherwise too). */
function sourceOf(stage: Stage, name: string): string {
  return stage.references?.find((r) => r.table === name)?.source ?? name;
}

/** The type of a table's column, if it has one so named. */
function columnType(table: PlacedTable, column: string): Type | undefined {
  return table.columns.find((c) => c.name === column)?.type;
}

/** The keys of `column` the chunks `hashes` of `table` may hold. */
function coverOf(table: PlacedTable, hashes: readonly string[], column: string): KeyCover {
  const own = new Set(hashes);
  return keyCover(table.chunks.filter((c) => own.has(c.hash)), columnType(table, column), column);
}

/** A task's chunks of one table, and for a table read by key range the keys it reads of the chunks it narrows (Task.scans). */
interface TableShare {
  chunks: string[];
  filter?: { within: KeyRanges; narrowed: NarrowedChunk[] };
}

/** A chunk of a table read by key range that may hold keys outside the ranges, and the ranges it meets (first and last index). */
export interface NarrowedChunk {
  chunk: string;
  ranges: [number, number];
}

/** A scan's narrowing as the engine takes it: files, each with the ranges it is filtered by (every file by all of them when `narrowed` is absent). */
function narrowedFiles(within: KeyRanges, chunks: readonly string[], narrowed: readonly NarrowedChunk[] | undefined, chunkFile: (hash: string) => string): FileNarrowing {
  const spans = narrowed ?? chunks.map((chunk) => ({ chunk, ranges: [0, within.ranges.length - 1] as [number, number] }));
  return { column: within.column, files: spans.map(({ chunk, ranges: [first, last] }) => ({ file: chunkFile(chunk), ranges: within.ranges.slice(first, last + 1) })) };
}

export interface TaskInput {
  names: string[];
  columns: TableColumn[];
  batches?: arrow.RecordBatch[];
  exchange?: { run: string; consumer: number; input: number };
}

export interface TaskResult {
  rows: number;
  /** The digest of the output's rows under the run's seed (see shuffle/row-digest.ts): what a re-execution must give. */
  digest: string;
  /** Rows read of each input. */
  read: number[];
  /** The output, when it had no route. */
  output?: arrow.Table;
  /** Where the output went, per route of the task's `outputs`. */
  sent?: SentSummary[];
  /** For a task that read exchange inputs: what its worker's receiving task held and salted. */
  inbox?: InboxStatus;
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
    const engine = this.#idle.pop() ?? (await LocalEngine.open({ threads: this.#threads, planJoinOrder: true, cacheParquetMetadata: true }));
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

/** Runs a task on an engine of `pool`, reading chunk `hash` from `chunkFile(hash)`; `signal` interrupts it. */
export async function runTaskHere(task: Task, chunkFile: (hash: string) => string, pool: EnginePool, signal?: AbortSignal): Promise<arrow.Table> {
  return pool.use(async (engine) => {
    // A plan that returns its one input as it came (the answer of SELECT * … ORDER BY, merged)
    // is those rows: through DuckDB they would be copied twice, a gigabyte for a large answer.
    const through = passedThrough(task);
    const rows = through && (await engine.rowsAsTable(through.input.columns, through.input.batches!, through.names));
    if (rows) return rows;
    await registerTaskTables(engine, task, chunkFile);
    return (await engine.execute(task.plan, { signal })).table;
  });
}

/** The input a task's plan returns unchanged (its root a read of that whole input, every column in order, nothing else), with the root's names. */
function passedThrough(task: Task): { input: TaskInput; names: string[] } | undefined {
  if (task.scans.length > 0 || task.inputs.length !== 1 || task.plan.relations.length !== 1) return undefined;
  const root = task.plan.relations[0].root;
  const read = root?.input?.read;
  const [input] = task.inputs;
  if (!root || !read?.namedTable || read.filter || read.bestEffortFilter || read.common?.emit || !input.batches) return undefined;
  const width = input.columns.length;
  const whole = (read.namedTable.names.join(".") === input.names.join(".") && root.names.length === width && (read.baseSchema?.names.length ?? width) === width);
  const fields = read.projection?.select?.structItems;
  const inOrder = !fields || (fields.length === width && fields.every((item, i) => item.field === i && !item.child));
  return whole && inOrder ? { input, names: root.names } : undefined;
}

/**
 * Runs a task another executor ran (every input given) on an engine of `pool`, and compares its
 * output with the one claimed: the rows returned, or the digest the answer committed to.
 */
export async function checkTaskHere(task: Task, claimed: TaskResult, chunkFile: (hash: string) => string, pool: EnginePool): Promise<OutputComparison> {
  invariant(task.inputs.every((input) => input.batches), "a checked task has every input given");
  const output = await runTaskHere(task, chunkFile, pool);
  return {
    rows: output.numRows,
    digest: digestRows(output.batches, task.run),
    claimedRows: claimed.output?.numRows ?? claimed.rows,
    claimedDigest: claimed.output ? digestRows(claimed.output.batches, task.run) : claimed.digest,
  };
}

async function registerTaskTables(engine: LocalEngine, task: Task, chunkFile: (hash: string) => string): Promise<void> {
  for (const scan of task.scans) {
    // The columns come with the task (from the dataset's manifest): nothing to read before the plan runs.
    if (scan.chunks.length > 0) engine.registerParquetAs(scan.names, scan.chunks.map(chunkFile), scan.columns, 0, scan.within && narrowedFiles(scan.within, scan.chunks, scan.narrowed, chunkFile));
    else await engine.registerBatches(scan.names, scan.columns, []);
  }
  for (const input of task.inputs) {
    invariant(input.batches, `task input ${input.names.join(".")} was not taken from its exchange`);
    await engine.registerBatches(input.names, input.columns, input.batches);
  }
}

/** Where a worker runs a task: its exchanges, its chunks, its engines. */
export interface WorkerSide {
  host: ExchangeHost;
  chunkFile: (hash: string) => string;
  pool: EnginePool;
  /** Tests only: what a dishonest worker does to its output before it sends or returns it. */
  alter?: (output: arrow.Table) => arrow.Table;
  /** Tests only: what a dishonest worker does to the rows it read, before it runs on them (and says it read them, and holds them). */
  alterInputs?: (batches: arrow.RecordBatch[]) => arrow.RecordBatch[];
}

/** Runs a task on a worker: takes its inputs from the worker's exchanges, runs it, sends its output on. */
export async function executeTask(task: Task, worker: WorkerSide): Promise<TaskResult> {
  // A run that ended or started over needs nothing more from its tasks: one still running here stops.
  const released = new AbortController();
  const stopListening = task.run === undefined ? undefined : worker.host.whenReleased(task.run, () => released.abort());
  if (released.signal.aborted) throw new RunReleasedError(task.run!);
  const inputs = task.inputs.map((input) => {
    if (input.batches) return { ...input, batches: input.batches };
    const batches = worker.host.batches(input.exchange!.run, input.exchange!.consumer, input.exchange!.input);
    return { ...input, batches: worker.alterInputs ? worker.alterInputs(batches) : batches };
  });
  let output: arrow.Table;
  let digest: string;
  let sent: SentSummary[] | undefined;
  let routes = task.outputs ?? [];
  // The output's streams open while the task runs (unless it is likely returned).
  const opened = task.returnWithin === undefined ? routes.map((route) => worker.host.prepare(route)) : [];
  try {
    output = await runTaskHere({ ...task, inputs }, worker.chunkFile, worker.pool, released.signal);
    if (worker.alter) output = worker.alter(output);
    if (task.returnWithin !== undefined && output.batches.reduce((n, b) => n + batchBytes(b), 0) <= task.returnWithin) routes = [];
    // Rows are hashed once, for the output's digest and for what each receiver is sent.
    const seed = digestSeed(task.run);
    const hashes = output.batches.map((batch) => wholeRowHashes(batch, seed));
    digest = hashes.reduce((sum, h) => sum.addHashes(h), new RowDigest(seed)).toString();
    if (routes.length > 0) sent = await Promise.all(routes.map((route, r) => worker.host.send(route, output.batches, opened[r], route.exchange.run === task.run ? hashes : undefined)));
  } catch (error) {
    // Streams opened for output that did not all go out are dropped (their receivers hear why).
    for (const streams of opened) worker.host.abandon(streams, error as Error);
    if (released.signal.aborted) throw new RunReleasedError(task.run!);
    throw error;
  } finally {
    stopListening?.();
  }
  const read = task.inputs.find((i) => i.exchange)?.exchange;
  return {
    ...(read ? { inbox: worker.host.status(read.run, read.consumer) } : {}),
    rows: output.numRows,
    digest,
    read: inputs.map((input) => input.batches.reduce((n, b) => n + b.numRows, 0)),
    ...(routes.length === 0 ? { output } : {}),
    ...(sent ? { sent } : {}),
  };
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
  /** Workers that were gone during the query: the answer comes from a run without them. */
  lost: number[];
}

/** The exchanges whose rows the coordinator may hold, when they are few (see StagedRun.smallExchangeBytes). */
const HOLDABLE_OUTPUTS: ReadonlySet<Stage["output"]["kind"]> = new Set(["hash", "broadcast"]);

/** Times a query starts over without a worker that is gone or was caught with a wrong output. */
export const MAX_RESTARTS = 3;

/** A worker is gone in the middle of a run: the rows it held or sent are lost with it. */
class WorkerLostError extends Error {
  readonly worker: number;
  readonly unavailable: WorkerUnavailableError;
  constructor(worker: number, unavailable: WorkerUnavailableError) {
    super(unavailable.message);
    this.worker = worker;
    this.unavailable = unavailable;
  }
}

/**
 * Runs the query. When a worker is gone, or a verified task shows a worker's output wrong,
 * everything that worker held or contributed is lost or suspect, so the query starts over
 * without it, under a new run id (rows of the old run never mix with the new one's).
 */
export async function runStagedQuery(run: StagedRun): Promise<StagedResult> {
  invariant(run.workers.length > 0 && run.coordinator >= 0 && run.coordinator < run.workers.length, "a staged run needs workers and a coordinator among them");
  const distrusted = new Set<number>();
  const excluded = new Set<number>();
  const cancelled = new Promise<never>((_, reject) => {
    const fail = () => reject(new UserError("query cancelled"));
    if (run.signal?.aborted) fail();
    else run.signal?.addEventListener("abort", fail, { once: true });
  });
  cancelled.catch(() => {}); // heard through the race below, if at all
  for (let attempt = 0; ; attempt++) {
    const id = randomBytes(16).toString("hex");
    try {
      const running = new StagedRunner(run, id, excluded).run();
      // Cancelled: the run is released below, so its tasks everywhere stop and it fails on its own.
      running.catch(() => {});
      const result = await Promise.race([running, cancelled]);
      return { ...result, distrusted: [...distrusted], lost: [...excluded].filter((w) => !distrusted.has(w)) };
    } catch (error) {
      if (error instanceof WorkerLostError && error.worker === run.coordinator) throw new UserError(`a node could not reach the coordinator, so the query cannot go on: ${error.message}`);
      if (!(error instanceof WrongResultError || error instanceof WorkerLostError) || attempt >= MAX_RESTARTS) throw error instanceof WorkerLostError ? error.unavailable : error;
      excluded.add(error.worker);
      if (error instanceof WrongResultError) {
        distrusted.add(error.worker);
        run.onWrongResult?.(error.worker, error);
      } else run.onWorkerLost?.(error.worker, error.unavailable);
    } finally {
      run.executors.release(id);
    }
  }
}

class StagedRunner {
  readonly #run: StagedRun;
  /** This run's id: every exchange of it is named by it. */
  readonly #id: string;
  /** The workers taking part, in routing order: a receiving task's member index is its place here. */
  readonly #live: readonly number[];
  readonly #router: Router;
  readonly #stages: readonly Stage[];
  /** The stages reading each stage's output. */
  readonly #readers: ReadonlyMap<number, readonly number[]>;
  /** Per consuming stage: the exchange its inputs come through. */
  readonly #exchanges = new Map<number, ExchangeSpec>();
  readonly #stats: StageStats[] = [];
  #verifyState: number;
  /** `worker:chunk` for each chunk a worker said it lacks (it still runs other tasks and receives rows). */
  readonly #declined = new Set<string>();
  /** Each table's chunks by hash, made when first asked for. */
  readonly #chunksByHash = new Map<string, Map<string, PlacedChunk>>();
  /** Per worker: tasks running, and tasks waiting for a slot. */
  readonly #slots: { running: number; waiting: (() => void)[] }[];
  /**
   * Re-executions checking other workers' outputs. They run beside the stages that follow, not
   * before them, and the answer waits for all: a wrong output found late still fails the run.
   */
  readonly #checks: Promise<void>[] = [];
  /** The first check that failed: no further stage starts. */
  #checkFailed: unknown;
  /** Per stage: its tasks drawn to be checked, until the stage is done and their checks start. */
  readonly #sampledTasks = new Map<number, { worker: number; task: Task; result: TaskResult }[]>();
  /** Results of stages whose plan ran fused into the tasks of the stage they read, and the workers that ran those tasks. */
  readonly #fusedResults = new Map<number, { results: TaskResult[]; tasked: readonly number[] }>();
  /** Stages whose plans ran inside their input's tasks, which gave a later stage's results: they run no tasks of their own. */
  readonly #ranInInput = new Set<number>();
  /** Per stage whose output went to an exchange, by `producer>reader`: the rows its tasks sent each member, in all. */
  readonly #sentRows = new Map<string, number[]>();
  /** Likewise: the digest of the rows its tasks sent each member. */
  readonly #sentDigests = new Map<string, string[]>();
  /** Per stage that sent its output, by `producer>reader`: the bytes each member received of it. */
  readonly #sentBytes = new Map<string, number[]>();
  /** Stages whose salted keys the coordinator merged (it sent their rows again). */
  readonly #merged = new Set<number>();
  /** The sorted runs behind each answer of an ordered gather's task (several when its chunks were read in shares). */
  readonly #sortedRuns = new WeakMap<TaskResult, SortedRun[]>();
  /** The next input number a sorted run sent through the exchange goes under. */
  #nextSortedRunInput = FIRST_SORTED_RUN_INPUT;
  /**
   * Per stage whose tasks all returned their output to the coordinator (see smallExchangeBytes):
   * its rows, which went nowhere yet. A reader of it either runs here on them or, when another of
   * its inputs went node to node, has them sent to its tasks first (#sendHeld).
   */
  readonly #held = new Map<number, arrow.RecordBatch[]>();
  /** Stages that ran as one task on the coordinator, over their inputs' held rows. */
  readonly #ranOnHeldRows = new Set<number>();

  constructor(run: StagedRun, id: string, excluded: ReadonlySet<number>) {
    this.#run = run;
    this.#id = id;
    this.#live = run.workers.map((_, w) => w).filter((w) => !excluded.has(w));
    invariant(this.#live.includes(run.coordinator), "the coordinator takes part in its own run");
    this.#router = routerFor(this.#live.map((w) => run.workers[w]));
    this.#stages = run.query.stages;
    this.#readers = readersOf(run.query);
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
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => s.reason);
    // A lost worker explains the failures it caused elsewhere (a stage waiting on its rows).
    const failed = failures.find((e) => e instanceof WorkerLostError) ?? failures[0];
    if (failed !== undefined) throw failed;
    const result = await done.get(this.#stages[this.#stages.length - 1].id)!;
    invariant(result, "a staged query ends with a result stage");
    return { names: [...this.#run.query.names], table: result, stages: [...this.#stats].sort((a, b) => a.id - b.id), distrusted: [], lost: [] };
  }

  /** Runs a stage's tasks, which send their outputs on; the root stage's output is the answer. */
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
    if (this.#ranInInput.has(stage.id)) {
      this.#stats.push(stats);
      this.#run.onStage?.(stats);
      return undefined;
    }
    const onHeldRows = this.#runsOnHeldRows(stage);
    if (onHeldRows) {
      this.#ranOnHeldRows.add(stage.id);
      stats.runsOn = "coordinator";
    } else await this.#sendHeld(stage);
    const workers = stage.runsOn === "nodes" && !onHeldRows ? this.#live : [this.#run.coordinator];
    // Every input is done, so its receivers have salted all they will. Whether a key was salted
    // decides how a merging stage runs: ask its receivers first. Any other stage's tasks report
    // what their receivers held with their answers (a stage fused into its input received nothing).
    // Rows held here reached no receiver, and none salted them.
    const fused = this.#fusedResults.get(stage.id)?.results;
    const asked = stage.saltMerge !== undefined && !fused && !onHeldRows;
    const inboxes = asked
      ? (this.#unsaltedInboxes(stage, workers) ?? (await Promise.all(workers.map((w) => this.#lostIfGone(w, this.#run.executors.inboxStatus(w, this.#id, stage.id))))))
      : [];
    const salted = inboxes.some((s) => s.saltedKeys > 0);
    // Nothing to merge: the consumer's plan runs here, over this stage's inputs, in one round of tasks.
    const readers = this.#readers.get(stage.id)!;
    // (Not a stage whose results came from its input's tasks: it ran already, there.)
    let fuseInto = stage.saltMerge && !salted && !fused && readers.length === 1 && this.#stages[readers[0]].fusedWithInput ? this.#stages[readers[0]] : undefined;
    const merging = stage.saltMerge !== undefined && salted;
    // A stage fused into the one it reads has its results already.
    let results = fused;
    /** The workers that ran the stage's tasks, in the order of `results`. */
    let tasked = this.#fusedResults.get(stage.id)?.tasked ?? workers;
    if (!results) {
      const { assigned, whole, sharedRows } = this.#assignChunks(stage, stats);
      // Every key its tasks make is theirs alone: its readers run in them (Stage.fusedWhenKeysLocal).
      const keysLocal = stage.fusedWhenKeysLocal && this.#keysAllLocal(stage, assigned) ? stage.fusedWhenKeysLocal : undefined;
      if (keysLocal) {
        invariant(!fuseInto, `stage ${stage.id} runs its readers two ways`);
        fuseInto = this.#stages[keysLocal.stages[keysLocal.stages.length - 1]];
        for (const skipped of keysLocal.stages.slice(0, -1)) this.#ranInInput.add(skipped);
      }
      const runs = fuseInto ?? stage;
      // A stage that reads only chunks needs tasks only where its chunks are read (a table of one
      // chunk: one task, not one per node); still one, for what a plan makes of no rows (a count's 0).
      // So does one that also reads broadcasts: a broadcast is the side of a join whose rows count
      // only where they meet the chunks' rows, and every worker has all of it. Tables held
      // everywhere are like broadcasts: every task reads them whole.
      const sharesChunks = stage.scans.length > (stage.everywhere?.length ?? 0);
      const readsChunksAndBroadcasts = stage.runsOn === "nodes" && stage.inputs.every((i) => this.#stages[i].output.kind === "broadcast") && (stage.inputs.length === 0 || sharesChunks);
      const reading = readsChunksAndBroadcasts ? workers.filter((w) => assigned.has(w)) : workers;
      tasked = reading.length > 0 ? reading : [this.#run.coordinator];
      stats.tasks = tasked.length;
      const chunksOf = (w: number) => new Map([...(assigned.get(w) ?? []), ...whole]);
      // Salted partials are merged, sorted runs merged in order, before anything is sent on.
      const plan = keysLocal?.plan ?? fuseInto?.fusedWithInput ?? stage.plan;
      const kept = this.#keptKeys(runs, assigned);
      const returnParts = !merging && !keysLocal && this.#returnsOutput(runs) ? this.#returnParts(stage, tasked, sharedRows) : undefined;
      results = await Promise.all(
        tasked.map((w, t) =>
          merging
            ? this.#runTask(stage, w, plan, chunksOf(w), stats, [])
            : orderOf(runs)
              ? this.#runSortedRun(stage, runs, w, plan, chunksOf(w), stats)
              : this.#runTask(stage, w, plan, chunksOf(w), stats, this.#routesOf(runs, w, kept.get(w)), returnParts === undefined ? {} : { returnWithin: returnParts[t] }),
        ),
      );
      const receivers = asked ? inboxes : results.map((r) => r.inbox);
      this.#checkInputsRead(stage, tasked, results, receivers);
      this.#startChecks(stage, this.#inputsUnmoved(stage, receivers));
    }
    const held = asked ? inboxes : fused ? [] : results.flatMap((r) => (r.inbox ? [r.inbox] : []));
    stats.peakInputBytes = held.map((s) => s.peakBytes);
    stats.saltedKeys = held.reduce((n, s) => n + s.saltedKeys, 0);
    stats.overBudget = held.some((s) => s.overBudget);
    let answer: arrow.Table | undefined;
    if (fuseInto) this.#fusedResults.set(fuseInto.id, { results, tasked });
    else {
      if (merging) {
        results = await this.#mergeSalted(stage, workers, results, inboxes.flatMap((s) => s.salted));
        this.#merged.add(stage.id);
        this.#startChecks(stage, false);
      }
      const order = orderOf(stage);
      if (order) results = await this.#sendMerged(stage, order, tasked, results);
      stats.rowsOut = results.reduce((n, r) => n + r.rows, 0);
      if (stage.output.kind === "result") {
        invariant(results.length === 1 && results[0].output, "the root stage runs as one task and returns its rows");
        answer = results[0].output;
      } else if (this.#returnsOutput(stage) && results.every((r) => r.output && !r.sent)) {
        // Under one schema: rows decoded from a worker's answer and rows made here have the same
        // columns, but Arrow's types of them may be of different classes (a decoded Int of 64 bits
        // is no Int64), which Arrow refuses to frame together.
        this.#held.set(stage.id, tableOf(results[0].output!, results.flatMap((r) => r.output!.batches)).batches);
        results.forEach((r, i) => (stats.bytesShuffled += tasked[i] === this.#run.coordinator ? 0 : r.output!.batches.reduce((n, b) => n + batchBytes(b), 0)));
      } else {
        // Rows some tasks returned, where others of the stage had too many to: sent on from here.
        if (this.#returnsOutput(stage)) results = await Promise.all(results.map((r) => this.#sendReturned(r, this.#routesOf(stage, this.#run.coordinator))));
        const sent = results.map((result) => result.sent ?? []);
        readers.forEach((reader, r) => {
          this.#sentRows.set(`${stage.id}>${reader}`, sumPerMember(sent.map((routes) => routes[r]?.rowsTo ?? [])));
          this.#sentDigests.set(`${stage.id}>${reader}`, digestPerMember(sent.map((routes) => routes[r]?.digests ?? [])));
          this.#sentBytes.set(`${stage.id}>${reader}`, sumPerMember(sent.map((routes) => routes[r]?.bytes ?? [])));
        });
        results.forEach((result, i) => (stats.bytesShuffled += (result.sent ?? []).reduce((n, sent) => n + crossedBytes(sent, this.#memberOf(tasked[i])), 0)));
      }
    }
    stats.ms = performance.now() - started;
    this.#stats.push(stats);
    this.#run.onStage?.(stats);
    return answer;
  }

  /**
   * Whether a stage may run as one task on the coordinator over rows held there (see
   * smallExchangeBytes): it runs on the nodes, scans no chunks but those of tables every node
   * holds (every task reads them whole), and each of its inputs is a hash or broadcast exchange.
   * One task over every partition gives what the tasks of the partitions give together (a key's
   * rows are all in one partition), without a round of tasks on every node for a few rows. Not a
   * stage whose output stays where it is made (forward, unless the stage reading it runs in its
   * tasks): its reader counts on finding each partition's rows on that partition's node.
   */
  #mayRunOnHeldRows(stage: Stage): boolean {
    const readers = this.#readers.get(stage.id)!;
    const fusable = stage.saltMerge !== undefined && readers.length === 1 && this.#stages[readers[0]].fusedWithInput !== undefined;
    const output = fusable ? this.#stages[readers[0]].output : stage.output;
    return (
      output.kind !== "forward" &&
      stage.runsOn === "nodes" &&
      stage.scans.every((names) => stage.everywhere?.includes(names.join("."))) &&
      !stage.references?.length &&
      stage.inputs.length > 0 &&
      stage.inputs.every((i) => HOLDABLE_OUTPUTS.has(this.#stages[i].output.kind))
    );
  }

  /** Whether `stage` runs on rows held on the coordinator: it may, and every input's are. */
  #runsOnHeldRows(stage: Stage): boolean {
    return this.#mayRunOnHeldRows(stage) && stage.inputs.every((i) => this.#held.has(i));
  }

  /**
   * Whether `stage`'s tasks return an output small enough for the coordinator to hold: a hash or
   * broadcast output whose every reader may run on held rows. Rows for another reader go
   * straight to its nodes: through the coordinator, they would travel twice.
   */
  #returnsOutput(stage: Stage): boolean {
    return (this.#run.smallExchangeBytes ?? 0) > 0 && HOLDABLE_OUTPUTS.has(stage.output.kind) && this.#readers.get(stage.id)!.every((r) => this.#mayRunOnHeldRows(this.#stages[r]));
  }

  /** Sends the held rows of `stage`'s inputs to its receiving tasks, as their producing tasks would have. */
  async #sendHeld(stage: Stage): Promise<void> {
    for (const input of stage.inputs) {
      const batches = this.#held.get(input);
      if (!batches) continue;
      const route = this.#routesOf(this.#stages[input], this.#run.coordinator)[this.#readers.get(input)!.indexOf(stage.id)];
      const sent = await this.#run.executors.send(route, batches);
      this.#sentRows.set(`${input}>${stage.id}`, [...sent.rowsTo]);
      this.#sentDigests.set(`${input}>${stage.id}`, [...sent.digests]);
      this.#sentBytes.set(`${input}>${stage.id}`, [...sent.bytes]);
    }
  }

  /** A task's result with the rows it returned in its answer sent on from here, where `routes` say. */
  async #sendReturned(result: TaskResult, routes: readonly OutputRoute[]): Promise<TaskResult> {
    if (!result.output) return result;
    const { output, ...answered } = result;
    const sent = await Promise.all(routes.map((route) => this.#run.executors.send(route, output.batches)));
    return { ...answered, sent: result.sent ? sent.map((s, r) => sumSent([result.sent![r], s])) : sent };
  }

  /**
   * What `stage`'s receiving tasks hold when none of them can have salted, without asking them: a
   * receiver salts only past its budget, and none was sent half of it (the margin covers the
   * receiver counting decoded buffers, padded, where the sender counted its own). Undefined: ask.
   */
  #unsaltedInboxes(stage: Stage, workers: readonly number[]): InboxStatus[] | undefined {
    const sent = stage.inputs.map((input) => (this.#merged.has(input) ? undefined : this.#sentBytes.get(`${input}>${stage.id}`)));
    if (sent.some((bytes) => bytes === undefined)) return undefined;
    const received = workers.map((w) => sent.reduce((n, bytes) => n + (bytes![this.#memberOf(w)] ?? 0), 0));
    if (received.some((bytes) => bytes > this.#run.budgetBytes / 2)) return undefined;
    return received.map((bytes) => ({ peakBytes: bytes, saltedKeys: 0, overBudget: false, salted: [] }));
  }

  /**
   * Every task read what the input stages sent its worker, as it says: a worker that ran on
   * other rows lies about its inputs, and re-execution over the rows it holds would pass it if it
   * lied about those too. Counted when nothing moved rows between receivers (see #inputsUnmoved).
   */
  #checkInputsRead(stage: Stage, tasked: readonly number[], results: readonly TaskResult[], inboxes: readonly (InboxStatus | undefined)[]): void {
    if (!this.#inputsUnmoved(stage, inboxes)) return;
    results.forEach((result, t) => {
      const member = this.#memberOf(tasked[t]);
      stage.inputs.forEach((input, j) => {
        const sent = this.#sentRows.get(`${input}>${stage.id}`)?.[member];
        const read = result.read[j];
        if (sent !== undefined && read !== sent) {
          throw new WrongResultError(tasked[t], `worker ${tasked[t]} said its task of stage ${stage.id} read ${read} rows of stage ${input}'s output, which sent it ${sent}`);
        }
      });
    });
  }

  /**
   * Whether each receiver of `stage`'s exchange holds exactly what the input stages sent it: no
   * receiver salted a key (salting moves rows between receivers) and no input stage's salted
   * keys were merged (their rows went out twice).
   */
  #inputsUnmoved(stage: Stage, inboxes: readonly (InboxStatus | undefined)[]): boolean {
    return stage.inputs.length > 0 && inboxes.every((s) => s !== undefined && s.saltedKeys === 0) && !stage.inputs.some((i) => this.#merged.has(i));
  }

  /** Starts checking `stage`'s tasks drawn for it; `unmoved`: see #inputsUnmoved. */
  #startChecks(stage: Stage, unmoved: boolean): void {
    for (const { worker, task, result } of this.#sampledTasks.get(stage.id) ?? []) {
      this.#checks.push(
        this.#check(worker, task, result, unmoved).catch((error: unknown) => {
          this.#checkFailed ??= error;
        }),
      );
    }
    this.#sampledTasks.delete(stage.id);
  }

  /**
   * Checks a task after it answered: takes the rows its worker holds for each exchange input
   * (with `unmoved`, they must be exactly what the producing tasks said they sent it), and
   * re-executes it over them (verifyTask).
   */
  async #check(worker: number, task: Task, result: TaskResult, unmoved: boolean): Promise<void> {
    const exchanged = task.inputs.flatMap((input, j) => (input.exchange ? [j] : []));
    let inputs = task.inputs;
    if (exchanged.length > 0) {
      const { run, consumer } = task.inputs[exchanged[0]].exchange!;
      const producers = exchanged.map((j) => task.inputs[j].exchange!.input);
      const held = await this.#lostIfGone(worker, this.#run.executors.inputsHeld(worker, run, consumer, producers));
      if (!held) return;
      const misshapen = held.length !== producers.length || exchanged.some((j, k) => held[k].some((batch) => batch.numCols !== task.inputs[j].columns.length));
      if (misshapen) throw new WrongResultError(worker, `worker ${worker} gave rows that are not those of its task of stage ${consumer}'s ${producers.length} inputs`);
      producers.forEach((producer, k) => {
        const sent = unmoved ? this.#sentDigests.get(`${producer}>${consumer}`)?.[this.#memberOf(worker)] : undefined;
        const holds = digestRows(held[k], run);
        if (sent !== undefined && holds !== sent) {
          throw new WrongResultError(worker, `worker ${worker} holds other rows of stage ${producer}'s output (digest ${holds}) than it was sent (${sent})`);
        }
      });
      inputs = task.inputs.map((input, j) => (input.exchange ? { names: input.names, columns: input.columns, batches: held[exchanged.indexOf(j)] } : input));
    }
    await this.#run.verifyTask!(worker, { ...task, inputs }, result);
  }

  #memberOf(worker: number): number {
    return this.#live.indexOf(worker);
  }

  /** The exchange stage `consumer` reads its inputs through. */
  #exchangeOf(consumer: number): ExchangeSpec {
    let exchange = this.#exchanges.get(consumer);
    if (!exchange) {
      const saltable = this.#stages[consumer].inputs.flatMap((input) => {
        const producer = this.#stages[input];
        const spec = partitionSpec(producer);
        return spec && producer.output.kind === "hash" && producer.output.salting ? [{ input, spec }] : [];
      });
      exchange = { run: this.#id, consumer, members: this.#live.map((w) => this.#run.workers[w]), budgetBytes: this.#run.budgetBytes, saltable };
      this.#exchanges.set(consumer, exchange);
    }
    return exchange;
  }

  /**
   * Where the output of `stage`'s task on `worker` goes: one route per stage reading it (none for
   * the answer). `kept`: for a hash output with local keys, the keys only this worker's chunks hold (#keptKeys).
   */
  #routesOf(stage: Stage, worker: number, kept?: KeptKeys): OutputRoute[] {
    return this.#readers.get(stage.id)!.map((reader): OutputRoute => {
      const exchange = this.#exchangeOf(reader);
      switch (stage.output.kind) {
        case "hash":
          return { exchange, input: stage.id, kind: "hash", spec: partitionSpec(stage)!, ...(kept ? { keep: kept } : {}) };
        case "broadcast":
          return { exchange, input: stage.id, kind: "broadcast" };
        case "gather":
          return { exchange, input: stage.id, kind: "to", to: this.#memberOf(this.#run.coordinator) };
        case "forward":
          return { exchange, input: stage.id, kind: "to", to: this.#memberOf(worker) };
        case "result":
          throw new Error(`stage ${stage.id} gives the answer, and stage ${reader} reads it`);
      }
    });
  }

  /**
   * Whether every key of `stage`'s local hash output is made in one task only: no two of the
   * chunks of the key's table it reads hold one key, and none holds a NULL one (NULLs group
   * together). Chunks, not tasks: a task a worker declines is split by chunk (#attempt).
   */
  #keysAllLocal(stage: Stage, assigned: ReadonlyMap<number, ReadonlyMap<string, TableShare>>): boolean {
    const local = stage.output.kind === "hash" ? stage.output.local : undefined;
    if (!local) return false;
    const table = this.#run.tables.get(local.table)!;
    const read = new Set([...assigned.values()].flatMap((tables) => tables.get(local.table)?.chunks ?? []));
    const chunks = table.chunks.filter((c) => read.has(c.hash));
    if (chunks.some((c) => (c.stats[local.tableColumn]?.nullCount ?? 1) > 0)) return false;
    const type = columnType(table, local.tableColumn);
    return coversDisjoint(chunks.map((c) => keyCover([c], type, local.tableColumn)));
  }

  /**
   * For a stage whose hash output keeps local keys (LocalKeys), per worker: the keys of the
   * table's column that only its own chunks hold, whose rows no other task makes.
   */
  #keptKeys(stage: Stage, assigned: ReadonlyMap<number, ReadonlyMap<string, TableShare>>): Map<number, KeptKeys> {
    const kept = new Map<number, KeptKeys>();
    const local = stage.output.kind === "hash" ? stage.output.local : undefined;
    if (!local) return kept;
    const table = this.#run.tables.get(local.table)!;
    const covers = [...assigned].map(([worker, tables]) => ({ worker, cover: coverOf(table, tables.get(local.table)?.chunks ?? [], local.tableColumn) }));
    for (const { worker, cover } of covers) {
      const only = keysOnlyIn(cover, covers.filter((c) => c.worker !== worker).map((c) => c.cover), MAX_KEPT_RANGES);
      if (only.length > 0) kept.set(worker, { column: local.column, ranges: only.map((r) => [String(r.min), String(r.max)]) });
    }
    return kept;
  }

  /**
   * Per worker, per scanned table: the hashes of the chunks it reads (`assigned`), and per table
   * held everywhere, the chunks every task reads (`whole`). Each other chunk a filter may need
   * goes to one of its holders, chosen so that the most rows any task scans is as small as the
   * holders allow (balanceShares): a stage lasts as long as its slowest task, and the nearest
   * holder of every chunk would load some workers twice as much as others.
   * A table read by key range is not shared out: each worker reads the chunks of it that meet
   * its own chunks of the table it is joined to.
   */
  #assignChunks(stage: Stage, stats: StageStats): { assigned: Map<number, Map<string, TableShare>>; whole: Map<string, TableShare>; sharedRows: Map<number, number> } {
    const assigned = new Map<number, Map<string, TableShare>>();
    const whole = new Map<string, TableShare>();
    /** Per worker, the rows of the chunks shared out to it. */
    const sharedRows = new Map<number, number>();
    if (stage.scans.length === 0) return { assigned, whole, sharedRows };
    const reads = namedReads(stage.plan);
    const needed = new Map<string, readonly PlacedChunk[]>();
    for (const names of stage.scans) {
      const key = names.join(".");
      const table = this.#run.tables.get(sourceOf(stage, key));
      if (!table) throw new UserError(`the query reads table ${key}, which no dataset holds`);
      const kept = table.chunks.filter((chunk) => chunkNeeded(stage.plan, reads.get(key) ?? [], chunk));
      stats.chunksPruned += table.chunks.length - kept.length;
      stats.chunksScanned += kept.length;
      needed.set(key, kept);
    }
    const shared: { table: string; chunk: PlacedChunk; candidates: readonly number[] }[] = [];
    for (const names of stage.scans) {
      const key = names.join(".");
      if (stage.everywhere?.includes(key)) whole.set(key, { chunks: needed.get(key)!.map((c) => c.hash) });
      if (readWhole(stage, key)) continue;
      for (const chunk of needed.get(key)!) shared.push({ table: key, chunk, candidates: this.#holdersOf(key, chunk.hash) });
    }
    const chosen = balanceShares(shared.map(({ chunk, candidates }) => ({ weight: chunk.rows, candidates })));
    shared.forEach(({ table, chunk, candidates }, i) => {
      const holder = candidates[chosen[i]];
      sharedRows.set(holder, (sharedRows.get(holder) ?? 0) + chunk.rows);
      let tables = assigned.get(holder);
      if (!tables) assigned.set(holder, (tables = new Map()));
      let share = tables.get(table);
      if (!share) tables.set(table, (share = { chunks: [] }));
      share.chunks.push(chunk.hash);
    });
    for (const reference of stage.references ?? []) {
      const driver = this.#run.tables.get(reference.driver)!;
      const referencedType = columnType(this.#run.tables.get(sourceOf(stage, reference.table))!, reference.column);
      for (const tables of assigned.values()) {
        const cover = coverOf(driver, tables.get(reference.driver)?.chunks ?? [], reference.driverColumn);
        const meeting = chunksMeeting(needed.get(reference.table)!, referencedType, reference.column, cover);
        const within = keyRanges(reference.column, cover);
        const read = within && narrowedChunks(meeting, referencedType, within);
        const filter = read && read.narrowed.length > 0 ? { within: read.within, narrowed: read.narrowed.map(({ chunk, ranges }) => ({ chunk: chunk.hash, ranges })) } : undefined;
        tables.set(reference.table, { chunks: meeting.map((c) => c.hash), ...(filter ? { filter } : {}) });
      }
    }
    return { assigned, whole, sharedRows };
  }

  /**
   * Each task's part of what a small exchange may hold (smallExchangeBytes, all tasks together):
   * half of it split evenly, half by the rows each task reads (the chunks shared out to it, or
   * what its inputs sent it). A stage's tasks seldom make equal outputs (a table's last chunk is
   * what was left of its rows), and an exchange whose rows would all fit was sent node to node
   * because one task's output passed an even part (Q22: 470 KB of 1 MiB from one of two tasks,
   * whose reader then ran as four tasks instead of one over rows held here).
   */
  #returnParts(stage: Stage, tasked: readonly number[], sharedRows: ReadonlyMap<number, number>): number[] {
    const total = this.#run.smallExchangeBytes!;
    const inputBytes = (w: number) => stage.inputs.reduce((n, input) => n + (this.#sentBytes.get(`${input}>${stage.id}`)?.[this.#memberOf(w)] ?? 0), 0);
    const weights = tasked.map((w) => (sharedRows.size > 0 ? (sharedRows.get(w) ?? 0) : inputBytes(w)));
    const weighed = weights.reduce((n, weight) => n + weight, 0);
    return weights.map((weight) => Math.floor((total / 2) * (1 / tasked.length + (weighed > 0 ? weight / weighed : 1 / tasked.length))));
  }

  async #runTask(
    stage: Stage,
    worker: number,
    plan: Plan,
    chunks: ReadonlyMap<string, TableShare>,
    stats: StageStats | undefined,
    outputs: OutputRoute[],
    options: { merge?: { table: string; batches: arrow.RecordBatch[] }; returnWithin?: number } = {},
  ): Promise<TaskResult> {
    const { merge, returnWithin } = options;
    const task: Task = {
      plan,
      scans: stage.scans.map((names) => {
        const key = names.join(".");
        const share = chunks.get(key);
        return { names: [...names], columns: this.#run.tables.get(sourceOf(stage, key))!.columns, chunks: share?.chunks ?? [], ...(readWhole(stage, key) ? { whole: true } : {}), ...share?.filter };
      }),
      inputs: stage.inputs.map((input) => {
        const columns = this.#columns(this.#stages[input]);
        if (this.#ranOnHeldRows.has(stage.id)) return { names: [exchangeTable(input)], columns, batches: this.#held.get(input)! };
        return { names: [exchangeTable(input)], columns, exchange: { run: this.#id, consumer: stage.id, input } };
      }),
      ...(outputs.length > 0 ? { outputs } : {}),
      run: this.#id,
    };
    if (merge) task.inputs.push({ names: [merge.table], columns: this.#columns(stage), batches: merge.batches });
    if (returnWithin !== undefined) return this.#attempt(stage, worker, { ...task, returnWithin }, stats);
    // Rows for the coordinator come back in the task's answer, no stream to open for them,
    // unless there are too many for one answer: those the worker sends.
    const toCoordinator = (route: OutputRoute) => route.kind === "to" && this.#live[route.to] === this.#run.coordinator;
    if (outputs.length > 0 && outputs.every(toCoordinator) && worker !== this.#run.coordinator) {
      const result = await this.#attempt(stage, worker, { ...task, returnWithin: this.#run.maxReturnedBytes ?? MAX_RETURNED_OUTPUT_BYTES }, stats);
      return this.#sendReturned(result, outputs);
    }
    return this.#attempt(stage, worker, task, stats);
  }

  /**
   * A task of an ordered gather: its rows, sorted, come back in its answer for the coordinator to
   * merge, or, when there are more than an answer carries, through the exchange into the
   * coordinator's receiving task of the first reading stage, under an input of their own (from
   * FIRST_SORTED_RUN_INPUT on), where #sendMerged reads them back in the order they were sent.
   */
  #runSortedRun(stage: Stage, gathered: Stage, worker: number, plan: Plan, chunks: ReadonlyMap<string, TableShare>, stats: StageStats): Promise<TaskResult> {
    const [reader] = this.#readers.get(gathered.id)!;
    const route: OutputRoute = { exchange: this.#exchangeOf(reader), input: this.#sortedRunInput(), kind: "to", to: this.#memberOf(this.#run.coordinator) };
    const returnWithin = worker === this.#run.coordinator ? Number.MAX_SAFE_INTEGER : (this.#run.maxReturnedBytes ?? MAX_RETURNED_OUTPUT_BYTES);
    return this.#runTask(stage, worker, plan, chunks, stats, [route], { returnWithin });
  }

  #sortedRunInput(): number {
    invariant(this.#nextSortedRunInput <= LAST_SORTED_RUN_INPUT, "more sorted runs in one query than exchange inputs to put them under");
    return this.#nextSortedRunInput++;
  }

  /**
   * A worker's failure to answer means it is gone: the run starts over without it. One that
   * names a peer it could not reach loses that peer, unless the peer is the coordinator, which is
   * here to hear it: then the worker's own link is what failed (a request timing out under load),
   * and the run starts over without the worker.
   */
  async #lostIfGone<T>(worker: number, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (!(error instanceof WorkerUnavailableError)) throw error;
      const named = error.peer === undefined ? -1 : this.#run.workers.indexOf(error.peer);
      const gone = named < 0 || named === this.#run.coordinator ? worker : named;
      throw new WorkerLostError(gone, error);
    }
  }

  /**
   * Runs a task on `worker`; a worker that declines it (it lacks a chunk) has its chunks read by
   * their other holders. Whether the task will be checked is drawn now (a seeded run draws alike
   * every time) but nothing of it goes with the task: the check starts once its stage is done.
   */
  async #attempt(stage: Stage, worker: number, task: Task, stats: StageStats | undefined): Promise<TaskResult> {
    const checked = worker !== this.#run.coordinator && this.#run.verifyTask !== undefined && this.#sampled();
    try {
      const result = await this.#lostIfGone(worker, this.#withSlot(worker, () => this.#run.executors.runTask(worker, task)));
      const runInput = sortedRunInputOf(task);
      if (runInput !== undefined) this.#sortedRuns.set(result, [result.output ? { worker, batches: result.output.batches } : { worker, input: runInput }]);
      if (checked) {
        if (stats) stats.verified++;
        let sampled = this.#sampledTasks.get(stage.id);
        if (!sampled) this.#sampledTasks.set(stage.id, (sampled = []));
        sampled.push({ worker, task, result });
      }
      return result;
    } catch (error) {
      if (!(error instanceof TaskDeclinedError)) throw error;
      // A worker that names no chunk it lacks, or one of a table every task reads whole (it could
      // not fetch it, and a share of the task would need it too), is not asked for any of this
      // task's chunks again: they go to their other holders, or the query fails for want of one.
      const wholeChunks = new Set(task.scans.filter((s) => s.whole).flatMap((s) => s.chunks));
      const lacks = error.missing.length > 0 && !error.missing.some((hash) => wholeChunks.has(hash)) ? error.missing : task.scans.flatMap((s) => s.chunks);
      for (const hash of lacks) this.#declined.add(`${worker}:${hash}`);
    }
    if (stats) stats.retried++;
    // Each chunk to its next holder; exchange inputs a scan stage reads are broadcasts, which
    // every worker received whole, and each share reads the tables held everywhere whole.
    invariant(stage.inputs.every((i) => this.#stages[i].output.kind === "broadcast"), `stage ${stage.id} scans chunks and reads partitioned rows`);
    // A worker fetches what it lacks of the tables every task reads whole: one that could not is left out.
    if (!task.scans.some((scan) => !scan.whole && scan.chunks.length > 0)) {
      throw new WorkerLostError(worker, new WorkerUnavailableError(`worker ${worker} lacks chunks of a table its tasks read whole and could not fetch them`));
    }
    const shares = new Map<number, Task>();
    task.scans.forEach((scan, s) => {
      if (scan.whole) return;
      for (const hash of scan.chunks) {
        const holder = this.#holdersOf(scan.names.join("."), hash)[0];
        let share = shares.get(holder);
        // Keys kept where their rows are made were those only this worker's chunks held: shares on other workers send every key by hash.
        const outputs = task.outputs?.map((route) => (route.kind === "hash" && route.keep ? { ...route, keep: undefined } : route));
        if (!share) shares.set(holder, (share = { ...task, scans: task.scans.map((x) => ({ ...x, chunks: x.whole ? x.chunks : [] })), ...(outputs ? { outputs } : {}), ...this.#ownSortedRun(task) }));
        share.scans[s].chunks.push(hash);
      }
    });
    const results = await Promise.all([...shares].map(([w, share]) => this.#attempt(stage, w, share, stats)));
    const merged = mergeResults(results);
    // Each share's rows are a sorted run of their own: merged with the others, never put end to end.
    if (sortedRunInputOf(task) !== undefined) this.#sortedRuns.set(merged, results.flatMap((r) => this.#sortedRuns.get(r)!));
    return merged;
  }

  /** A share of a sorted run's task sends its rows, if it sends them, under an input of its own. */
  #ownSortedRun(task: Task): Pick<Task, "outputs"> {
    if (sortedRunInputOf(task) === undefined) return {};
    return { outputs: task.outputs!.map((route) => ({ ...route, input: this.#sortedRunInput() })) };
  }

  /**
   * The holders of a chunk taking part in the run that may read it, nearest its hash first:
   * those it was placed on if any is, else those that should have a copy by now.
   */
  #holdersOf(table: string, hash: string): number[] {
    let byHash = this.#chunksByHash.get(table);
    if (!byHash) this.#chunksByHash.set(table, (byHash = new Map((this.#run.tables.get(table)?.chunks ?? []).map((c) => [c.hash, c]))));
    const chunk = byHash.get(hash);
    const usable = (h: number) => this.#live.includes(h) && !this.#declined.has(`${h}:${hash}`);
    const all = chunk?.holders ?? [];
    const placed = all.slice(0, chunk?.placedOn ?? all.length).filter(usable);
    const holders = placed.length > 0 ? placed : all.filter(usable);
    if (holders.length === 0) throw new UserError(`no live node holds chunk ${hash.slice(0, 12)} of ${table}: the query cannot finish`);
    return holders;
  }

  #columns(stage: Stage): TableColumn[] {
    return stage.columns.map((name, i) => ({ name, type: stage.types[i] }));
  }

  /**
   * An ordered gather: each task returned its rows sorted, and they go to the coordinator's
   * receiving task merged into one order, which the reading plan keeps. Rows out of order are a
   * wrong answer of the worker that gave them (a row digest cannot tell: it ignores order).
   */
  async #sendMerged(stage: Stage, order: readonly OrderKey[], tasked: readonly number[], results: readonly TaskResult[]): Promise<TaskResult[]> {
    // Results the coordinator made itself (salted partials it merged) hold their rows.
    const runs = results.flatMap((r, t) => this.#sortedRuns.get(r) ?? [{ worker: tasked[t], batches: r.output!.batches }]);
    const [reader] = this.#readers.get(stage.id)!;
    const sent = runs.flatMap((run) => (run.input === undefined ? [] : [run.input]));
    // Taken, not read: merged, the runs are needed no more, and a large answer's are a gigabyte.
    const held = this.#run.executors.takeHeld(this.#id, reader, sent);
    let merged: arrow.RecordBatch[];
    try {
      merged = await mergeSortedRuns(
        runs.map((run) => run.batches ?? held[sent.indexOf(run.input!)]),
        order,
      );
    } catch (error) {
      if (!(error instanceof UnsortedRunError)) throw error;
      const { worker } = runs[error.run];
      invariant(worker !== this.#run.coordinator, `the coordinator's own rows of stage ${stage.id} are out of order: ${error.message}`);
      throw new WrongResultError(worker, `worker ${worker} returned the rows of stage ${stage.id} out of order (${error.message})`);
    }
    const routes = this.#routesOf(stage, this.#run.coordinator);
    await Promise.all(routes.map((route) => this.#run.executors.send(route, merged)));
    // What each task sent, as if it had sent its own rows to every reader: all of them to the coordinator.
    const coordinator = this.#memberOf(this.#run.coordinator);
    const members = this.#live.length;
    return results.map(({ output, ...result }) => {
      const at = <T>(value: T, otherwise: T) => Array.from({ length: members }, (_, m) => (m === coordinator ? value : otherwise));
      // Rows returned in the answer, and those a task (or a share of it) sent through the exchange.
      const bytes = (output?.batches.reduce((n, b) => n + batchBytes(b), 0) ?? 0) + (result.sent?.[0].bytes[coordinator] ?? 0);
      const summary: SentSummary = { rows: result.rows, bytes: at(bytes, 0), rowsTo: at(result.rows, 0), digests: at(result.digest, EMPTY_DIGEST) };
      return { ...result, sent: routes.map(() => summary) };
    });
  }

  /**
   * A salted key's rows were aggregated on several workers: the tasks returned their outputs,
   * each salted key's partial rows go to its home, which merges them with the stage's salt merge
   * plan, and the coordinator sends the rows on where the stage's exchange says.
   */
  async #mergeSalted(stage: Stage, workers: readonly number[], results: readonly TaskResult[], saltedKeys: readonly { high: number; low: number; salts: number }[]): Promise<TaskResult[]> {
    const merge = stage.saltMerge!;
    const salted = new SaltMap();
    for (const key of saltedKeys) salted.add(key, 1);
    const partials: arrow.RecordBatch[][] = this.#live.map(() => []);
    const kept: arrow.RecordBatch[][] = workers.map(() => []);
    results.forEach((result, i) => {
      for (const batch of result.output!.batches) {
        if (batch.numRows === 0) continue;
        const hashes = keyHashes(batch, merge.keys, intervalColumns(stage));
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
        batches.length === 0 ? undefined : this.#runTask({ ...stage, scans: [], inputs: [] }, this.#live[home], merge.plan, new Map(), undefined, [], { merge: { table: saltMergeTable(stage.id), batches } }),
      ),
    );
    return Promise.all(
      workers.map(async (w, i) => {
        const batches = [...kept[i], ...(merged[this.#memberOf(w)]?.output?.batches ?? [])].filter((b) => b.numRows > 0);
        const rows = batches.reduce((n, b) => n + b.numRows, 0);
        const routes = this.#routesOf(stage, w);
        const answer = { rows, digest: digestRows(batches, this.#id), read: results[i].read };
        if (routes.length === 0) return { ...answer, output: tableOf(results[i].output!, batches) };
        return { ...answer, sent: await Promise.all(routes.map((route) => this.#run.executors.send(route, batches))) };
      }),
    );
  }
}

/** The bytes of a task's output that went to other workers than `self` (a member index). */
function crossedBytes(sent: SentSummary, self: number): number {
  return sent.bytes.reduce((n, b, m) => (m === self ? n : n + b), 0);
}

/** Per member, the sum of the counts (each one per member). */
function sumPerMember(counts: readonly (readonly number[])[]): number[] {
  const members = Math.max(0, ...counts.map((c) => c.length));
  return Array.from({ length: members }, (_, m) => counts.reduce((n, c) => n + (c[m] ?? 0), 0));
}

/** Per member, the sum of the digests (each one per member). */
function digestPerMember(digests: readonly (readonly string[])[]): string[] {
  const members = Math.max(0, ...digests.map((d) => d.length));
  return Array.from({ length: members }, (_, m) => sumDigests(digests.flatMap((d) => (d[m] === undefined ? [] : [d[m]]))));
}

/** The results of a task's shares, as one (they read the same inputs: broadcasts, whole on every worker). */
function mergeResults(results: readonly TaskResult[]): TaskResult {
  const outputs = results.map((r) => r.output).filter((t): t is arrow.Table => t !== undefined);
  const sent = results.map((r) => r.sent).filter((s): s is SentSummary[] => s !== undefined);
  const inbox = results.find((r) => r.inbox)?.inbox;
  return {
    ...(inbox ? { inbox } : {}),
    rows: results.reduce((n, r) => n + r.rows, 0),
    digest: sumDigests(results.map((r) => r.digest)),
    read: results[0].read,
    ...(outputs.length > 0 ? { output: tableOf(outputs[0], outputs.flatMap((t) => t.batches)) } : {}),
    ...(sent.length > 0 ? { sent: sent[0].map((_, r) => sumSent(sent.map((routes) => routes[r]))) } : {}),
  };
}

/** What several tasks sent along one route, as one. */
function sumSent(sent: readonly SentSummary[]): SentSummary {
  return {
    rows: sent.reduce((n, s) => n + s.rows, 0),
    bytes: sumPerMember(sent.map((s) => s.bytes)),
    rowsTo: sumPerMember(sent.map((s) => s.rowsTo)),
    digests: digestPerMember(sent.map((s) => s.digests)),
  };
}

/**
 * Input numbers of the coordinator's receiving task that hold sorted runs sent through the
 * exchange, one each, apart from the stages' own inputs (stage ids) and within what an exchange
 * input may be (host.ts: below 2^20).
 */
const FIRST_SORTED_RUN_INPUT = 1 << 19;
const LAST_SORTED_RUN_INPUT = (1 << 20) - 1;

/** One sorted run of an ordered gather: returned in its task's answer, or held under `input` by the coordinator's receiving task. */
type SortedRun = { worker: number } & ({ batches: arrow.RecordBatch[]; input?: undefined } | { batches?: undefined; input: number });

/** The input a task's sorted run goes under, if the task is one of an ordered gather. */
function sortedRunInputOf(task: Task): number | undefined {
  const input = task.outputs?.length === 1 ? task.outputs[0].input : undefined;
  return input !== undefined && input >= FIRST_SORTED_RUN_INPUT ? input : undefined;
}

/** The order a stage's rows are gathered in, when its tasks sort them. */
function orderOf(stage: Stage): readonly OrderKey[] | undefined {
  return stage.output.kind === "gather" ? stage.output.order : undefined;
}

function partitionSpec(stage: Stage): PartitionSpec | undefined {
  const output = stage.output;
  if (output.kind !== "hash") return undefined;
  const intervals = intervalColumns(stage);
  return { keys: output.keys, saltBy: output.salting?.saltBy ?? output.keys, mode: output.salting?.mode ?? "spread", ...(intervals.length > 0 ? { intervals } : {}) };
}

/** A stage's output columns that hold intervals (they travel as DuckDB's text of them). */
function intervalColumns(stage: Stage): number[] {
  return stage.types.flatMap((type, column) => (duckdbTypeFromSubstrait(type) === "INTERVAL" ? [column] : []));
}


/** One table of `batches` (from tasks on different workers) under `like`'s schema, every field nullable. */
function tableOf(like: arrow.Table, batches: arrow.RecordBatch[]): arrow.Table {
  const schema = new arrow.Schema(like.schema.fields.map((f) => new arrow.Field(f.name, f.type, true)));
  return new arrow.Table(schema, batches.map((b) => new arrow.RecordBatch(schema, b.data)));
}
