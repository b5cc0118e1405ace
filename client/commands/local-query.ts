// What `trustql sql` and `trustql substrait run` share: a local engine over --data, a live
// progress line while a plan runs, and the result printed in the chosen format.
import { once } from "node:events";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type * as arrow from "apache-arrow";
import type { LocalEngine, QueryResult } from "../../exec/index.ts";
import type { Plan } from "../../proto/index.ts";
import { UserError } from "../../common/errors.ts";
import type { CommandContext } from "../cli.ts";
import { resolveDataTables } from "../data-tables.ts";
import { BINARY_FORMATS, parseFormat, renderPieces, resultJsonPieces } from "../output/formats.ts";
import { LiveLine, formatCount, progressBar } from "../progress.ts";

export const RESULT_OPTIONS = {
  data: { type: "string", multiple: true },
  format: { type: "string" },
  "max-rows": { type: "string" },
} as const;

export async function openLocalEngine(dataSpecs: string[] | undefined, cwd: string): Promise<LocalEngine> {
  const tables = resolveDataTables(dataSpecs ?? [], cwd);
  // DuckDB loads only for the commands that run SQL here, not for every command.
  const { LocalEngine } = await import("../../exec/engine.ts");
  const engine = await LocalEngine.open();
  try {
    for (const table of tables) await engine.registerParquet([table.name], table.files);
  } catch (error) {
    engine.close();
    throw error;
  }
  return engine;
}

export async function executeWithProgress(engine: LocalEngine, plan: Plan): Promise<QueryResult> {
  const line = new LiveLine();
  try {
    return await engine.execute(plan, {
      onProgress: (p) =>
        line.update(`${p.percent >= 0 ? progressBar(p.percent / 100) : "running"} · ${formatCount(p.rowsProcessed)} rows scanned`),
    });
  } finally {
    line.done();
  }
}

/**
 * Writes a result as a parquet file to `out`: DuckDB writes it to a temporary file, which is then
 * copied. With the engine that ran the query when there is one (a cluster's answer has none here).
 */
async function writeParquetResult(table: arrow.Table, names: readonly string[], out: NodeJS.WritableStream, localEngine: LocalEngine | undefined): Promise<void> {
  const engine = localEngine ?? (await (await import("../../exec/engine.ts")).LocalEngine.open({ threads: 2 }));
  const folder = mkdtempSync(join(tmpdir(), "trustql-parquet-"));
  try {
    const file = join(folder, "result.parquet");
    await engine.writeParquet(table, names, file);
    await pipeline(createReadStream(file), out, { end: false });
  } finally {
    if (!localEngine) engine.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

function parseMaxRows(text: unknown, isTerminal: boolean): number {
  if (text === undefined) return isTerminal ? 40 : 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--max-rows ${text}: expected a whole number ≥ 0 (0 shows all)`);
  return n;
}

export async function printResult(
  result: QueryResult,
  values: Record<string, unknown>,
  context: CommandContext,
  elapsedMs: number,
  localEngine?: LocalEngine,
): Promise<void> {
  const { io } = context;
  const isTerminal = Boolean(io.stdout.isTTY);
  const format = context.json ? undefined : parseFormat(values.format as string | undefined, isTerminal);
  if (format && BINARY_FORMATS.has(format) && isTerminal) {
    throw new UserError(`--format ${format} writes ${format === "arrow" ? "binary Arrow IPC" : "a binary parquet file"}: redirect it to a file or a pipe`);
  }
  if (format === "parquet") return writeParquetResult(result.table, result.names, io.stdout, localEngine);
  // Piece by piece, each written before the next is made: a large result is never one string.
  const pieces = format ? renderPieces(result.table, result.names, format, { maxRows: parseMaxRows(values["max-rows"], isTerminal) }) : resultJsonPieces(result.table, result.names, elapsedMs);
  for (const piece of pieces) {
    if (!io.stdout.write(piece)) await once(io.stdout, "drain");
  }
  if (format === "table" && isTerminal) io.stderr.write(`(${(elapsedMs / 1000).toFixed(3)}s)\n`);
}

