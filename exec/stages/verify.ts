// Checking an executor's work: the output a re-execution gives against the one the worker's
// answer committed to (compared by row digest: the same task on two engines may emit its rows in
// any order), and the error that names a worker whose output re-execution contradicted.

/** Re-execution gave another output than the worker's: the worker is not to be trusted. */
export class WrongResultError extends Error {
  readonly worker: number;
  constructor(worker: number, message: string) {
    super(message);
    this.name = "WrongResultError";
    this.worker = worker;
  }
}

/** A re-execution's output against the claimed one: rows and row digests (shuffle/row-digest.ts). */
export interface OutputComparison {
  rows: number;
  digest: string;
  claimedRows: number;
  claimedDigest: string;
}

/** Throws WrongResultError naming `who` (worker `worker`) unless re-execution gave exactly the claimed rows. */
export function assertSameOutput(worker: number, who: string, comparison: OutputComparison): void {
  if (comparison.digest === comparison.claimedDigest && comparison.rows === comparison.claimedRows) return;
  const detail =
    comparison.rows === comparison.claimedRows
      ? `${comparison.claimedRows} rows other than re-execution's (digest ${comparison.claimedDigest}, re-execution ${comparison.digest})`
      : `${comparison.claimedRows} rows where re-execution gives ${comparison.rows}`;
  throw new WrongResultError(worker, `${who} returned ${detail}`);
}
