// exec/stages/: a staged query's tasks on workers, their outputs through the shuffle's exchanges.
export { runStagedQuery, runTaskHere, checkTaskHere, EnginePool, WorkerUnavailableError, MAX_TASKS_PER_WORKER, EXCHANGE_BATCH_ROWS, type Task, type StagedRun, type StagedResult, type StageStats, type PlacedChunk, type PlacedTable } from "./runner.ts";
export { encodeTask, decodeTask, encodeTaskOutput, decodeTaskOutput, TaskCodecError } from "./task-codec.ts";
export { assertSameOutput, WrongResultError } from "./verify.ts";
export { placeTable } from "./placement.ts";
export { namedReads, chunkNeeded, type ChunkStats } from "./reads.ts";
