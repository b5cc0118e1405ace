// How a long-running process tells V8 to count the memory of its ArrayBuffers.
import { setFlagsFromString } from "node:v8";

/**
 * Counts ArrayBuffer memory against the heap's own growing limit. By default V8 starts a full
 * collection of the whole heap for every 64 MiB of new buffer memory, however long the buffers
 * live: a node's rows pass through many short-lived buffers (DuckDB's output, partitions,
 * frames, encryption), which young-generation collections find dead anyway (TPC-H queries that
 * move many rows: 16–32 % off the nodes' CPU); the simulator's ledgers keep long-lived typed
 * arrays (~75 KB per transaction over a thousand nodes), and 1,000 nodes × 20,000 transactions
 * collected 27 times where it now collects 5 (a fifth of the main thread's time in a profile).
 * Call it at start, before the memory it is about is made.
 */
export function countBuffersInHeapLimit(): void {
  setFlagsFromString("--external-memory-accounted-in-global-limit");
}
