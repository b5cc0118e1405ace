// Checking an executor's work: re-execution's rows against the rows a worker returned (compared
// in DuckDB as multisets: the same task on two engines may emit its rows in any order), and the
// error that names a worker whose output re-execution contradicted.
import type { OutputComparison } from "../engine.ts";

/** Re-execution gave another output than the worker's: the worker is not to be trusted. */
export class WrongResultError extends Error {
  readonly worker: number;
  constructor(worker: number, message: string) {
    super(message);
    this.name = "WrongResultError";
    this.worker = worker;
  }
}

/** Throws WrongResultError naming `who` (worker `worker`) unless re-execution gave exactly the claimed rows. */
export function assertSameOutput(worker: number, who: string, comparison: OutputComparison): void {
  if (comparison.differing === 0 && comparison.rows === comparison.claimedRows) return;
  const detail =
    comparison.differing < 0
      ? "an output whose columns are not the task's"
      : `${comparison.claimedRows} rows where re-execution gives ${comparison.rows} (${comparison.differing} rows in one and not the other)`;
  throw new WrongResultError(worker, `${who} returned ${detail}`);
}
