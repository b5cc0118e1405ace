// One node's executor: DuckDB in this process, parquet files registered as tables, Substrait
// plans in and Arrow tables out. The plan is translated to DuckDB SQL positionally; the SQL a
// user may have typed never reaches DuckDB.
import * as arrow from "apache-arrow";
import { DuckDBInstance, DuckDBTableFunction, INTEGER, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBType } from "@duckdb/node-api";
import type { Plan } from "../proto/index.ts";
import { columnRangeFromStats, type Catalog, type ColumnRange } from "../planner/catalog.ts";
import { UnsupportedError, UserError, invariant } from "../common/errors.ts";
import { ArrowCollector, arrowTypeOf, duckdbTypeOfArrow } from "./arrow.ts";
import { BatchScan } from "./arrow-load.ts";
import type { TableColumn } from "./substrait/index.ts";
import { ParquetTables, parquetScan } from "./catalog.ts";
import { translatePlan, type TranslatedPlan } from "./substrait/index.ts";
import { duckdbOrdersJoins } from "./substrait/join-order.ts";
import { quoteIdentifier, quoteString } from "./substrait/literals.ts";
import { keyRangesCondition, type FileNarrowing } from "./key-ranges.ts";
import { columnTypeFromDuckdb, duckdbTypeFromSubstrait, isRunnableColumnType, structFieldNames } from "./types.ts";
import { fieldNameCount } from "../proto/index.ts";

export interface EngineOptions {
  /** DuckDB worker threads (default: DuckDB's, one per core). */
  threads?: number;
  /** DuckDB's memory limit, e.g. "2GB" (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
  /**
   * Inner joins run in the order the plan gives (DuckDB's join-order optimizer off). A stage's
   * plan joins rows other stages sent, of which DuckDB knows the count but not the distinct
   * keys: reordering them, it joined customer to suppliers on the nation key first (TPC-H Q5:
   * 17–24 s on a cluster, against 1 s in the planner's order). Except a plan with a semi or anti
   * join over files and few inner joins (exec/substrait/join-order.ts).
   */
  planJoinOrder?: boolean;
  /**
   * Parquet footers are kept after a file is first read (DuckDB's parquet_metadata_cache), for an
   * engine that reads the same files again and again: a node's pooled task engines read its chunks
   * (one row group each, and immutable: named by their content) in every query. About 3–7 % of a
   * scan's CPU, in one engine over TPC-H's chunks.
   */
  cacheParquetMetadata?: boolean;
}

export interface Progress {
  /** 0–100, or -1 while DuckDB cannot tell. */
  percent: number;
  rowsProcessed: number;
  totalRows: number;
}

export interface ExecuteOptions {
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

export interface QueryResult {
  names: string[];
  table: arrow.Table;
}

const PROGRESS_INTERVAL_MS = 100;

/** The table function through which a plan reads rows given to registerBatches: `__trustql_rows(id)`. */
const ROWS_FUNCTION = "__trustql_rows";

/** Rows registered with registerBatches, read in place by ROWS_FUNCTION. */
interface RowSource {
  names: string[];
  types: DuckDBType[];
  batches: readonly arrow.RecordBatch[];
  rows: number;
}

/** DuckDB's types by their SQL names, resolved once per process (a type is a plain value, not tied to an instance). */
const duckdbTypes = new Map<string, DuckDBType>();

/** DuckDB errors caused by the plan or the data (a type mismatch, an overflow), not by us. */
const USER_ERROR_KINDS = /^(Binder|Conversion|Out of Range|Invalid Input|Catalog|Parser) Error/;

export class LocalEngine {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #tables = new ParquetTables();
  /** Rows registered since the last reset, by the id a plan's ROWS_FUNCTION call names. */
  readonly #sources = new Map<number, RowSource>();
  #nextSource = 0;
  #closed = false;
  /** See EngineOptions.planJoinOrder: DuckDB then joins in the order the SQL gives, which keeps the plan's join tree. */
  readonly #planJoinOrder: boolean;
  /** On such an engine, whether DuckDB's join ordering is on for the plan at hand (duckdbOrdersJoins). */
  #duckdbOrdersJoins = false;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, planJoinOrder: boolean) {
    this.#instance = instance;
    this.#connection = connection;
    this.#planJoinOrder = planJoinOrder;
    connection.registerTableFunction(
      DuckDBTableFunction.create({
        name: ROWS_FUNCTION,
        parameterTypes: [INTEGER],
        bindFunction: (info) => {
          const id = info.getParameter(0) as number;
          const source = this.#sources.get(id);
          if (!source) return info.setError(`no rows are registered as source ${id}`);
          source.names.forEach((name, i) => info.addResultColumn(name, source.types[i]));
          info.setCardinality(source.rows, true);
          info.setBindData(source);
        },
        // Each scan of the rows (a plan may read them twice) starts at the first row.
        initFunction: (info) => {
          const source = info.bindData as RowSource;
          info.setInitData(new BatchScan(source.types, source.batches));
        },
        mainFunction: (info, output) => {
          try {
            (info.initData as BatchScan).next(output);
          } catch (error) {
            // Rows that do not fit their declared types (a peer's malformed output) fail the query, not the process.
            output.rowCount = 0;
            info.setError(firstLine(error));
          }
        },
      }),
    );
  }

  static async open(options: EngineOptions = {}): Promise<LocalEngine> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    if (options.planJoinOrder) config.disabled_optimizers = "join_order";
    const instance = await DuckDBInstance.create(":memory:", config);
    const connection = await instance.connect();
    // Instants (TIMESTAMPTZ) are read, written and split into days and hours in UTC on every
    // node, whatever its machine's zone: the same query gives the same answer everywhere.
    await connection.run("SET GLOBAL TimeZone = 'UTC'");
    if (options.cacheParquetMetadata) await connection.run("SET GLOBAL parquet_metadata_cache = true");
    return new LocalEngine(instance, connection, options.planJoinOrder ?? false);
  }

  /** Whether parquet files differ in their columns' names or types (their order aside: DuckDB reads files' columns by name). */
  async columnsDiffer(files: readonly string[]): Promise<boolean> {
    if (files.length < 2) return false;
    const schemas = await this.#connection.runAndReadAll(
      `SELECT count(DISTINCT columns)::INTEGER FROM (SELECT string_agg(name || ' ' || coalesce(type, '') || ' ' || coalesce(logical_type::VARCHAR, ''), ', ' ORDER BY name) AS columns FROM parquet_schema([${files.map(quoteString).join(", ")}]) GROUP BY file_name)`,
    );
    return Number(schemas.getRows()[0][0]) > 1;
  }

  /**
   * Registers parquet files as one table; its schema and row count come from the files. Files
   * whose columns differ (a dataset whose schema grew) are read by the columns' names, a column a
   * file lacks NULL in its rows (as dataset add reads them). `columnsDiffer`: the answer of
   * columnsDiffer(files), when the caller asked it already (it reads every file's footer).
   */
  async registerParquet(names: string[], files: string[], known: { columnsDiffer?: boolean } = {}): Promise<void> {
    this.#assertOpen();
    if (names.length === 0 || names.some((n) => n.length === 0)) throw new UserError("a table needs a non-empty name");
    if (files.length === 0) throw new UserError(`table ${names.join(".")} has no files`);
    const fileList = `[${files.map(quoteString).join(", ")}]`;
    let scan, described, counted, required, rowGroups, varied;
    try {
      varied = known.columnsDiffer ?? (await this.columnsDiffer(files));
      scan = parquetScan(files, varied);
      described = await this.#connection.runAndReadAll(`DESCRIBE SELECT * FROM ${scan}`);
      counted = await this.#connection.runAndReadAll(`SELECT coalesce(sum(num_rows), 0)::BIGINT FROM parquet_file_metadata(${fileList})`);
      required = await this.#connection.runAndReadAll(`SELECT name FROM parquet_schema(${fileList}) WHERE repetition_type = 'REQUIRED' AND num_children IS NULL`);
      rowGroups = await this.#connection.runAndReadAll(`SELECT path_in_schema, stats_null_count, stats_min_value, stats_max_value FROM parquet_metadata(${fileList})`);
    } catch (error) {
      throw new UserError(`cannot read ${files.length === 1 ? files[0] : `the files of ${names.join(".")}`} as parquet: ${firstLine(error)}`);
    }
    // Per column, its row groups' statistics.
    const stats = new Map<string, { nullCounts: (number | null)[]; parts: { min: string | null; max: string | null }[] }>();
    for (const [column, nullCount, min, max] of rowGroups.getRows()) {
      const key = String(column);
      let entry = stats.get(key);
      if (!entry) stats.set(key, (entry = { nullCounts: [], parts: [] }));
      entry.nullCounts.push(nullCount === null ? null : Number(nullCount));
      entry.parts.push({ min: min === null ? null : String(min), max: max === null ? null : String(max) });
    }
    // A column is NOT NULL if the files say so, or if their statistics count no NULL in any row
    // group: the registered files are what a plan reads, and knowing it lets the planner use
    // plain anti joins for NOT IN.
    // (Not of files whose columns differ: a column one of them lacks is NULL there.)
    const notNull = new Set(varied ? [] : required.getRows().map((r) => String(r[0])));
    if (!varied) for (const [column, { nullCounts }] of stats) if (nullCounts.every((n) => n === 0)) notNull.add(column);
    const columns = described.getRows().map((row) => {
      const name = String(row[0]);
      const type = columnTypeFromDuckdb(String(row[1]), !notNull.has(name));
      if (!isRunnableColumnType(type)) return { name, type, unrunnableType: String(row[1]) };
      return { name, type, ...(fieldNameCount(type) > 0 ? { fieldNames: structFieldNames(String(row[1])) } : {}) };
    });
    const columnRanges: Record<string, ColumnRange> = {};
    for (const column of columns) {
      const range = columnRangeFromStats(column.type, stats.get(column.name)?.parts ?? []);
      if (range) columnRanges[column.name] = range;
    }
    this.#tables.add({ names, files, columns, rowCount: Number(counted.getRows()[0][0]), columnRanges, ...(varied ? { from: scan } : {}) });
  }

  /**
   * Registers parquet files whose columns the caller already knows (a dataset's chunks, from its
   * manifest): nothing is read until a plan runs. `narrowing`: of the files it names, only the
   * rows whose key lies in one of that file's ranges are read (the other files are read whole).
   */
  registerParquetAs(names: string[], files: string[], columns: TableColumn[], rowCount: number, narrowing?: FileNarrowing): void {
    this.#assertOpen();
    if (files.length === 0) throw new UserError(`table ${names.join(".")} has no files`);
    const keyed = narrowing && columns.find((c) => c.name === narrowing.column);
    invariant(!narrowing || keyed, `key ranges of ${names.join(".")} name no column of it`);
    let from: string | undefined;
    if (narrowing && narrowing.files.length > 0) {
      // Files filtered by the same ranges are read together; the rest as they are. One range is a
      // filter DuckDB pushes into the scan: each file is filtered by the ranges it meets, not all.
      const byRanges = new Map<string, { ranges: [string, string][]; files: string[] }>();
      for (const { file, ranges } of narrowing.files) {
        const key = JSON.stringify(ranges);
        const group = byRanges.get(key);
        if (group) group.files.push(file);
        else byRanges.set(key, { ranges, files: [file] });
      }
      const narrowed = new Set(narrowing.files.map((f) => f.file));
      const whole = files.filter((f) => !narrowed.has(f));
      invariant(whole.length + narrowed.size === files.length, `a narrowed file of ${names.join(".")} is not one of its files`);
      const reads = [...byRanges.values()].map(({ ranges, files }) => `SELECT * FROM ${parquetScan(files)} WHERE ${keyRangesCondition({ column: narrowing.column, ranges }, keyed!.type)}`);
      if (whole.length > 0) reads.unshift(`SELECT * FROM ${parquetScan(whole)}`);
      from = `(${reads.join(" UNION ALL ")})`;
    }
    this.#tables.add({ names, files, columns, rowCount, ...(from ? { from } : {}) });
  }

  /** Forgets every registered table and drops loaded rows: the engine is as if newly opened. */
  async reset(): Promise<void> {
    this.#assertOpen();
    this.#sources.clear();
    this.#tables.clear();
  }

  /**
   * Registers rows as a table with the given columns (an exchange's rows at the task that reads
   * them); the batches' columns match `columns` by position. The rows are not copied into
   * DuckDB: a plan reads them where they are, through a table function, so they must stay
   * unchanged until reset().
   */
  async registerBatches(names: string[], columns: TableColumn[], batches: readonly arrow.RecordBatch[]): Promise<number> {
    this.#assertOpen();
    const rows = batches.reduce((n, b) => n + b.numRows, 0);
    if (columns.length > 0 && rows === 0) {
      // No rows (a task's share of an exchange is often empty, a scan's every chunk pruned): an
      // empty relation of these columns. One of a type trustql cannot run is a plain NULL: no plan reads it.
      const select = columns.map((c) => `${isRunnableColumnType(c.type) ? `CAST(NULL AS ${duckdbTypeFromSubstrait(c.type)})` : "NULL"} AS ${quoteIdentifier(c.name)}`);
      this.#tables.add({ names, files: [], from: `(SELECT ${select.join(", ")} WHERE false)`, columns, rowCount: 0, asRunInPlans: true });
      return 0;
    }
    for (const batch of batches) invariant(batch.numCols === columns.length, `a batch of ${batch.numCols} columns for ${names.join(".")} of ${columns.length}`);
    const sqlTypes = columns.map((c) => duckdbTypeFromSubstrait(c.type));
    // Intervals travel as DuckDB's text of them (exec/arrow.ts): read as text, cast back.
    const asText = sqlTypes.map((t) => t === "INTERVAL");
    const sourceTypes = sqlTypes.map((t, i) => (asText[i] ? "VARCHAR" : t));
    let from = this.#addSource({ names: columns.map((c) => c.name), types: await this.#duckdbTypes(sourceTypes), batches, rows });
    if (asText.some(Boolean)) {
      const quoted = columns.map((c) => quoteIdentifier(c.name));
      from = `(SELECT ${quoted.map((q, i) => (asText[i] ? `CAST(${q} AS INTERVAL) AS ${q}` : q)).join(", ")} FROM ${from})`;
    }
    this.#tables.add({ names, files: [], from, columns, rowCount: rows, asRunInPlans: true });
    return rows;
  }

  /**
   * Rows of `columns` as the table a plan reading them whole, every column in order, would
   * return (named `names`), without running one; undefined when there are none, or when a
   * batch's types are not those the columns run as (a plan would then refuse them).
   */
  async rowsAsTable(columns: TableColumn[], batches: readonly arrow.RecordBatch[], names: readonly string[]): Promise<arrow.Table | undefined> {
    this.#assertOpen();
    if (batches.every((b) => b.numRows === 0) || names.length !== columns.length) return undefined;
    const expected = (await this.#duckdbTypes(columns.map((c) => duckdbTypeFromSubstrait(c.type)))).map(arrowTypeOf);
    const fits = (batch: arrow.RecordBatch) => batch.numCols === expected.length && batch.schema.fields.every((f, i) => arrow.util.compareTypes(f.type, expected[i]));
    if (!batches.every(fits)) return undefined;
    const schema = new arrow.Schema(expected.map((type, i) => new arrow.Field(names[i], type, true)));
    return new arrow.Table(schema, batches.filter((b) => b.numRows > 0).map((b) => new arrow.RecordBatch(schema, b.data)));
  }

  /**
   * Writes rows, Arrow columns as this engine makes them (exec/arrow.ts), as a parquet file of
   * their DuckDB types, its columns named `names`: DuckDB reads them through the rows function.
   */
  async writeParquet(table: arrow.Table, names: readonly string[], file: string): Promise<void> {
    this.#assertOpen();
    invariant(names.length === table.numCols, `${names.length} names for ${table.numCols} columns`);
    const fields = table.schema.fields;
    for (const field of fields) if (holdsMapWithin(field.type)) throw new UnsupportedError(`parquet of a map within a list or struct (column ${field.name})`);
    const from = this.#addSource({ names: [...names], types: fields.map((f) => duckdbTypeOfArrow(f.type)), batches: table.batches, rows: table.numRows });
    const columns = names.map((name, i) => (arrow.DataType.isMap(fields[i].type) ? `map_from_entries(${quoteIdentifier(name)}) AS ${quoteIdentifier(name)}` : quoteIdentifier(name)));
    try {
      await this.#connection.run(`COPY (SELECT ${columns.join(", ")} FROM ${from}) TO ${quoteString(file)} (FORMAT parquet)`);
    } catch (error) {
      throw duckdbError(error);
    }
  }

  /** Makes rows readable by plans until reset(); returns the FROM item that reads them. */
  #addSource(source: RowSource): string {
    const id = this.#nextSource++;
    this.#sources.set(id, source);
    return `${ROWS_FUNCTION}(${id})`;
  }

  /** DuckDB's types for SQL type names: asked of DuckDB the first time a name is seen. */
  async #duckdbTypes(names: readonly string[]): Promise<DuckDBType[]> {
    const unknown = [...new Set(names.filter((n) => !duckdbTypes.has(n)))];
    if (unknown.length > 0) {
      const described = await this.#connection.prepare(`SELECT ${unknown.map((n) => `CAST(NULL AS ${n})`).join(", ")}`);
      unknown.forEach((name, i) => duckdbTypes.set(name, described.columnType(i)));
      described.destroySync();
    }
    return names.map((n) => duckdbTypes.get(n)!);
  }

  catalog(): Catalog {
    return this.#tables.catalog();
  }

  /** The DuckDB SQL a plan runs as (for EXPLAIN-like tooling and tests). */
  translate(plan: Plan): TranslatedPlan {
    return translatePlan(plan, this.#tables, { joinTree: this.#planJoinOrder });
  }

  async execute(plan: Plan, options: ExecuteOptions = {}): Promise<QueryResult> {
    this.#assertOpen();
    const translated = this.translate(plan);
    await this.#orderJoinsFor(plan);
    const { prepared } = await this.#prepareTyped(translated);
    const abort = () => this.#connection.interrupt();
    options.signal?.throwIfAborted();
    options.signal?.addEventListener("abort", abort, { once: true });
    const timer = options.onProgress ? setInterval(() => options.onProgress!(this.#progress()), PROGRESS_INTERVAL_MS) : undefined;
    try {
      // Run off this thread from the start: the rows registerBatches gave are read by callbacks
      // on this thread, which a synchronous start (its binding may call them) would deadlock.
      const result = await prepared.run();
      const collector = new ArrowCollector(result.columnTypes(), translated.names);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        collector.add(chunk);
      }
      return { names: translated.names, table: collector.finish() };
    } catch (error) {
      if (options.signal?.aborted) throw new UserError("query cancelled");
      throw duckdbError(error);
    } finally {
      if (timer) clearInterval(timer);
      options.signal?.removeEventListener("abort", abort);
      prepared.destroySync();
    }
  }

  /** Runs SQL on this engine's DuckDB directly: for references in tests and benchmarks only. */
  async runReferenceSql(sql: string): Promise<QueryResult> {
    this.#assertOpen();
    const result = await this.#connection.run(sql);
    const names = result.columnNames();
    const collector = new ArrowCollector(result.columnTypes(), names);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) collector.add(chunk);
    return { names, table: collector.finish() };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  #assertOpen(): void {
    invariant(!this.#closed, "engine used after close()");
  }

  #progress(): Progress {
    const p = this.#connection.progress;
    return { percent: p.percentage, rowsProcessed: Number(p.rows_processed), totalRows: Number(p.total_rows_to_process) };
  }

  /**
   * Writes a plan's result to a parquet file, without passing the rows through JavaScript: a
   * stage's output on its way to the next stage.
   */
  async executeToParquet(plan: Plan, file: string): Promise<number> {
    this.#assertOpen();
    await this.#orderJoinsFor(plan);
    const statement = await this.#prepareTyped(this.translate(plan));
    const sql = statement.sql;
    statement.prepared.destroySync();
    try {
      const result = await this.#connection.run(`COPY (${sql}) TO ${quoteString(file)} (FORMAT parquet)`);
      return Number(result.rowsChanged);
    } catch (error) {
      throw duckdbError(error);
    }
  }

  /** On an engine that keeps plans' join order, lets DuckDB order this plan's joins or not (one SET, when that changes). */
  async #orderJoinsFor(plan: Plan): Promise<void> {
    if (!this.#planJoinOrder) return;
    const duckdbOrders = duckdbOrdersJoins(plan, (names) => this.#tables.readsFiles(names));
    if (duckdbOrders === this.#duckdbOrdersJoins) return;
    await this.#connection.run(`SET disabled_optimizers = '${duckdbOrders ? "" : "join_order"}'`);
    this.#duckdbOrdersJoins = duckdbOrders;
  }

  /**
   * Prepares the plan's SELECT and, where DuckDB would return another type than the plan
   * declares (a HUGEINT sum declared decimal<38,0>, another producer's i64 count), casts the
   * output column to the declared type.
   */
  async #prepareTyped(translated: TranslatedPlan): Promise<{ prepared: DuckDBPreparedStatement; sql: string }> {
    const prepare = async (sql: string) => {
      try {
        return await this.#connection.prepare(sql);
      } catch (error) {
        throw duckdbError(error);
      }
    };
    const statement = await prepare(translated.sql);
    const wanted = translated.types.map((t, i) => (t ? duckdbTypeFromSubstrait(t, translated.fieldNames?.[i]) : undefined));
    const actual = Array.from({ length: statement.columnCount }, (_, i) => statement.columnType(i).toString());
    if (wanted.every((w, i) => w === undefined || w === actual[i])) return { prepared: statement, sql: translated.sql };
    statement.destroySync();
    const columns = wanted.map((w, i) => (w === undefined || w === actual[i] ? `c${i}` : `CAST(c${i} AS ${w}) AS c${i}`));
    const sql = `SELECT ${columns.join(", ")} FROM (${translated.sql}) typed`;
    return { prepared: await prepare(sql), sql };
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0];
}

/** Whether a map lies inside a list or struct of this type (BatchScan reads a map only as a column's own type). */
function holdsMapWithin(type: arrow.DataType): boolean {
  const within = (t: arrow.DataType): boolean => arrow.DataType.isMap(t) || (t.children ?? []).some((c: arrow.Field) => within(c.type));
  return (arrow.DataType.isMap(type) ? (type.children[0].type as arrow.Struct).children : (type.children ?? [])).some((c: arrow.Field) => within(c.type));
}

function duckdbError(error: unknown): Error {
  if (error instanceof UserError) return error;
  const message = firstLine(error);
  return USER_ERROR_KINDS.test(message) ? new UserError(message) : new Error(`DuckDB failed: ${message}`);
}
