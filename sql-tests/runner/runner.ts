// Runs .slt files: setup statements on a scratch DuckDB, each query through trustql (SQL →
// Substrait → DuckDB over parquet, in one-phase and two-phase aggregate plans, and cut into
// stages run on four workers with exchanges between them; or, given a cluster, through the
// cluster's nodes) and, in differential mode, through DuckDB directly on the same parquet files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { LocalEngine } from "../../exec/index.ts";
import { planSql } from "../../planner/index.ts";
import { withPivotValues } from "../../client/sdk/pivot.ts";
import { fragmentPlan } from "../../planner/fragment/index.ts";
import { cutParquet } from "../../exec/chunks/index.ts";
import { EnginePool, LocalExecutors, placeTable, runStagedQuery, type PlacedTable } from "../../exec/stages/index.ts";
import { parseSlt, type QueryRecord, type SltRecord, type StatementRecord } from "./slt.ts";
import { resultLines, resultValues } from "./values.ts";

export interface Failure {
  line: number;
  sql: string;
  message: string;
}

export interface FileResult {
  file: string;
  queries: number;
  failures: Failure[];
  /** With `update`: the file's text with every query's result block taken from DuckDB. */
  updated?: string;
}

export interface RunOptions {
  /** Also run every query in DuckDB directly and require the same answer (default true). */
  differential?: boolean;
  /** Rewrite result blocks from DuckDB's answers. */
  update?: boolean;
  /** Run every query through this cluster instead of the plans here. */
  cluster?: ClusterTarget;
}

/** A cluster the corpus runs on: its setup tables loaded as a dataset, its queries sent to a node. */
export interface ClusterTarget {
  /** Makes the tables in `files` (one parquet file per table, named after it) the ones queries read, in place of those loaded before. */
  load(files: readonly string[]): Promise<void>;
  /** A query's rows, as resultValues gives them. */
  query(sql: string): Promise<string[][]>;
}

const PLAN_VARIANTS = [
  { name: "one-phase", twoPhaseAggregates: false, staged: false },
  { name: "two-phase", twoPhaseAggregates: true, staged: false },
  // Cut into stages and run on four workers, rows moving through the exchanges between them.
  { name: "staged", twoPhaseAggregates: true, staged: true },
] as const;

const STAGED_WORKERS = ["slt-node-a", "slt-node-b", "slt-node-c", "slt-node-d"];
/** Small enough that the corpus's tables shuffle instead of always being broadcast. */
const STAGED_BROADCAST_ROWS = 4;

function isQuery(sql: string): boolean {
  return /^\s*(\(\s*)*(select|with|values|from|describe|show)\b/i.test(sql);
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0];
}

class SltSession {
  readonly #dir = mkdtempSync(join(tmpdir(), "trustql-slt-"));
  readonly #setup: DuckDBConnection;
  readonly #instance: DuckDBInstance;
  #engine: LocalEngine | undefined;
  /** The setup tables as chunks placed on STAGED_WORKERS, and where each chunk's file is. */
  placed = new Map<string, PlacedTable>();
  chunkFiles = new Map<string, string>();
  readonly pool = new EnginePool();
  #version = 0;
  #dirty = true;
  hashThreshold = 0;

  readonly cluster: ClusterTarget | undefined;

  private constructor(instance: DuckDBInstance, setup: DuckDBConnection, cluster: ClusterTarget | undefined) {
    this.#instance = instance;
    this.#setup = setup;
    this.cluster = cluster;
  }

  static async open(cluster?: ClusterTarget): Promise<SltSession> {
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    return new SltSession(instance, await instance.connect(), cluster);
  }

  async statement(sql: string): Promise<void> {
    this.#dirty = true;
    await this.#setup.run(sql);
  }

  /** The engine over parquet copies of the setup tables, recopied after any statement. */
  async engine(): Promise<LocalEngine> {
    if (this.#engine && !this.#dirty) return this.#engine;
    this.#engine?.close();
    this.#version++;
    const engine = await LocalEngine.open({ threads: 1 });
    const tables = (await this.#setup.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")).getRows();
    this.placed = new Map();
    // A table is named after its file (for a cluster's dataset too): each version in a folder of its own.
    const folder = join(this.#dir, `v${this.#version}`);
    mkdirSync(folder);
    const files: string[] = [];
    for (const [name] of tables) {
      const file = join(folder, `${name}.parquet`);
      files.push(file);
      await this.#setup.run(`COPY "${name}" TO '${file}' (FORMAT parquet)`);
      await engine.registerParquet([String(name)], [file]);
      await engine.runReferenceSql(`CREATE VIEW "${name}" AS SELECT * FROM read_parquet('${file}')`);
      const schema = engine.catalog().lookup([String(name)])!.schema;
      const chunks = await cutParquet(file, join(this.#dir, "chunks"));
      for (const c of chunks) this.chunkFiles.set(c.hash, c.file);
      this.placed.set(String(name), placeTable(schema, chunks, STAGED_WORKERS));
    }
    await this.cluster?.load(files);
    this.#engine = engine;
    this.#dirty = false;
    return engine;
  }

  close(): void {
    this.#engine?.close();
    this.pool.close();
    this.#setup.closeSync();
    this.#instance.closeSync();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** `sql` with a PIVOT's values listed where it lists none, read by `run` as the query itself will be (see client/sdk/pivot.ts). */
async function pivotValuesListed(sql: string, run: (query: string) => Promise<string[][]>): Promise<string> {
  return withPivotValues(sql, async (query) => (await run(query)).map((row) => row[0]));
}

async function trustqlRows(engine: LocalEngine, written: string, twoPhaseAggregates: boolean): Promise<string[][]> {
  const sql = await pivotValuesListed(written, (query) => trustqlRows(engine, query, twoPhaseAggregates));
  const planned = planSql(sql, engine.catalog(), { twoPhaseAggregates });
  const result = await engine.execute(planned.plan);
  return resultValues(result.table);
}

async function stagedRows(session: SltSession, engine: LocalEngine, written: string): Promise<string[][]> {
  const sql = await pivotValuesListed(written, (query) => stagedRows(session, engine, query));
  const planned = planSql(sql, engine.catalog(), { twoPhaseAggregates: true });
  // The corpus's tables are all small enough for every node to hold: read where their chunks
  // are instead, so that rows go through the exchanges.
  const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: STAGED_BROADCAST_ROWS, smallTablesEverywhere: false });
  const result = await runStagedQuery({
    query,
    workers: STAGED_WORKERS,
    coordinator: 0,
    tables: session.placed,
    executors: new LocalExecutors(STAGED_WORKERS, { chunkFile: (hash) => session.chunkFiles.get(hash)!, pool: session.pool }),
    budgetBytes: 1 << 20,
  });
  return resultValues(result.table);
}

async function clusterRows(cluster: ClusterTarget, written: string): Promise<string[][]> {
  return cluster.query(await pivotValuesListed(written, (query) => cluster.query(query)));
}

async function runStatement(session: SltSession, record: StatementRecord, failures: Failure[]): Promise<void> {
  const fail = (message: string) => failures.push({ line: record.line, sql: record.sql, message });
  if (record.expectError && isQuery(record.sql)) {
    await expectTrustqlError(session, record.sql, record.errorText ?? "", fail);
    return;
  }
  try {
    await session.statement(record.sql);
    if (record.expectError) fail("expected the statement to fail, it succeeded");
  } catch (error) {
    if (!record.expectError) fail(`statement failed: ${firstLine(error)}`);
    else if (record.errorText && !firstLine(error).includes(record.errorText)) fail(`expected an error containing '${record.errorText}', got: ${firstLine(error)}`);
  }
}

async function expectTrustqlError(session: SltSession, sql: string, text: string, fail: (m: string) => void): Promise<void> {
  const engine = await session.engine();
  try {
    await (session.cluster ? clusterRows(session.cluster, sql) : trustqlRows(engine, sql, false));
    fail(`expected trustql to refuse the query${text ? ` with '${text}'` : ""}, it ran`);
  } catch (error) {
    const message = firstLine(error);
    if (!message.includes(text)) fail(`expected an error containing '${text}', got: ${message}`);
  }
}

async function runQuery(session: SltSession, record: QueryRecord, options: Required<Omit<RunOptions, "cluster">>, failures: Failure[]): Promise<string[] | undefined> {
  const fail = (message: string) => failures.push({ line: record.line, sql: record.sql, message });
  if (record.errorText !== undefined) {
    await expectTrustqlError(session, record.sql, record.errorText, fail);
    return undefined;
  }
  const engine = await session.engine();
  const lines = (rows: string[][]) => resultLines(rows, record.sort, session.hashThreshold);
  let reference: string[] | undefined;
  if (options.differential || options.update) {
    try {
      const rows = resultValues((await engine.runReferenceSql(record.sql)).table);
      reference = lines(rows);
    } catch (error) {
      fail(`DuckDB itself fails on this query: ${firstLine(error)}`);
      return undefined;
    }
  }
  const cluster = session.cluster;
  const variants = cluster ? [{ name: "cluster", run: () => clusterRows(cluster, record.sql) }] : PLAN_VARIANTS.map((variant) => ({ name: variant.name, run: () => (variant.staged ? stagedRows(session, engine, record.sql) : trustqlRows(engine, record.sql, variant.twoPhaseAggregates)) }));
  for (const variant of variants) {
    let ours: string[];
    try {
      const rows = await variant.run();
      if (rows.length > 0 && rows[0].length !== record.types.length) {
        fail(`${variant.name}: ${rows[0].length} columns, the record's types say ${record.types.length}`);
        continue;
      }
      ours = lines(rows);
    } catch (error) {
      fail(`${variant.name}: trustql failed: ${firstLine(error)}`);
      continue;
    }
    const expected = options.update ? undefined : record.expected;
    if (expected && !sameLines(ours, expected)) fail(`${variant.name}: result differs from the file\n${diff(expected, ours)}`);
    if (reference && !sameLines(ours, reference)) fail(`${variant.name}: result differs from DuckDB's\n${diff(reference, ours)}`);
  }
  return reference;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

function diff(expected: readonly string[], got: readonly string[]): string {
  const show = (lines: readonly string[]) => lines.slice(0, 8).map((l) => `    ${l}`).join("\n") + (lines.length > 8 ? `\n    … ${lines.length - 8} more` : "");
  return `  expected (${expected.length} lines):\n${show(expected)}\n  got (${got.length} lines):\n${show(got)}`;
}

function renderQuery(record: QueryRecord, lines: string[]): string[] {
  const header = ["query", record.types, record.sort, record.label].filter((x) => x !== undefined).join(" ");
  return [header, ...record.sql.split("\n"), "----", ...lines];
}

export async function runSltFile(path: string, options: RunOptions = {}): Promise<FileResult> {
  const resolved = { differential: options.differential ?? true, update: options.update ?? false };
  const text = readFileSync(path, "utf8");
  const records: SltRecord[] = parseSlt(text, path);
  const failures: Failure[] = [];
  const rewrites: { record: QueryRecord; lines: string[] }[] = [];
  const session = await SltSession.open(options.cluster);
  let queries = 0;
  try {
    for (const record of records) {
      if (record.skipped) continue;
      if (record.kind === "hash-threshold") session.hashThreshold = record.threshold;
      else if (record.kind === "statement") await runStatement(session, record, failures);
      else {
        queries++;
        const reference = await runQuery(session, record, resolved, failures);
        if (resolved.update && reference) rewrites.push({ record, lines: reference });
      }
    }
  } finally {
    session.close();
  }
  const result: FileResult = { file: path, queries, failures };
  if (resolved.update) {
    const lines = text.split(/\r?\n/);
    for (const { record, lines: block } of rewrites.reverse()) lines.splice(record.line - 1, record.end - (record.line - 1), ...renderQuery(record, block));
    result.updated = lines.join("\n");
  }
  return result;
}

/** A way to run a query through trustql: one plan, or the plan cut into stages on four workers. */
export type PlanVariantName = (typeof PLAN_VARIANTS)[number]["name"];

/** What DuckDB and trustql answer to any SQL over the tables a file's statements built so far. */
export interface Answers {
  duckdb(sql: string): Promise<string[][]>;
  trustql(sql: string, variant: PlanVariantName): Promise<string[][]>;
}

/**
 * Runs the file's statements in order and calls `visit` at each query record with the tables they
 * built so far (the file's own checks are not made): for tools that ask other SQL of those tables.
 */
export async function visitSltQueries(path: string, visit: (record: QueryRecord, answers: Answers) => Promise<void>): Promise<void> {
  const session = await SltSession.open();
  try {
    for (const record of parseSlt(readFileSync(path, "utf8"), path)) {
      if (record.skipped || record.kind === "hash-threshold") continue;
      if (record.kind === "statement") {
        await session.statement(record.sql).catch(() => {}); // one the file expects to fail
        continue;
      }
      const engine = await session.engine();
      await visit(record, {
        duckdb: async (sql) => resultValues((await engine.runReferenceSql(sql)).table),
        trustql: (sql, name) => {
          const variant = PLAN_VARIANTS.find((v) => v.name === name)!;
          return variant.staged ? stagedRows(session, engine, sql) : trustqlRows(engine, sql, variant.twoPhaseAggregates);
        },
      });
    }
  } finally {
    session.close();
  }
}

export function formatFailures(result: FileResult): string {
  return result.failures.map((f) => `${result.file}:${f.line}: ${f.message}\n  ${f.sql.replace(/\n/g, "\n  ")}`).join("\n\n");
}
