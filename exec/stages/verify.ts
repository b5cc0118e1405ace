// Checking an executor's work: a task's output as a digest that does not depend on row order
// (the same task on two engines may emit its rows in any order), and the error that names a
// worker whose output re-execution contradicted.
import { createHash } from "node:crypto";
import type * as arrow from "apache-arrow";

/** SHA-256 over the output's rows, each as canonical JSON, sorted; with the row count. */
export function outputDigest(table: arrow.Table): { rows: number; hash: string } {
  const rows: string[] = [];
  for (const batch of table.batches) {
    const columns = Array.from({ length: batch.numCols }, (_, c) => batch.getChildAt(c)!);
    for (let r = 0; r < batch.numRows; r++) rows.push(JSON.stringify(columns.map((column) => canonical(column.get(r)))));
  }
  rows.sort();
  const hash = createHash("sha256");
  for (const row of rows) hash.update(row).update("\n");
  return { rows: rows.length, hash: hash.digest("hex") };
}

function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return `${value}n`;
  if (ArrayBuffer.isView(value)) return Array.from(value as Uint32Array);
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

/** Re-execution gave another output than the worker's: the worker is not to be trusted. */
export class WrongResultError extends Error {
  readonly worker: number;
  constructor(worker: number, message: string) {
    super(message);
    this.name = "WrongResultError";
    this.worker = worker;
  }
}
