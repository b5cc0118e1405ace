// exec/stages/: a staged query's tasks on workers, their outputs through the shuffle's exchanges.
export {
  runStagedQuery,
  runTaskHere,
  checkTaskHere,
  executeTask,
  EnginePool,
  WorkerUnavailableError,
  TaskDeclinedError,
  RunReleasedError,
  MAX_TASKS_PER_WORKER,
  type Executors,
  type Task,
  type TaskInput,
  type TaskResult,
  type WorkerSide,
  type StagedRun,
  type StagedResult,
  type StageStats,
  type PlacedChunk,
  type PlacedTable,
} from "./runner.ts";
export { LocalExecutors } from "./local.ts";
export { encodeTask, decodeTask, encodeTaskResult, decodeTaskResult, encodeHeldInputs, decodeHeldInputs, MAX_HELD_INPUTS, TaskCodecError } from "./task-codec.ts";
export { assertSameOutput, WrongResultError, type OutputComparison } from "./verify.ts";
export { placeTable } from "./placement.ts";
export { namedReads, chunkNeeded, type ChunkStats } from "./reads.ts";
