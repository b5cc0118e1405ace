// Staged TPC-H on four workers: each query, planned with two-phase aggregates and cut into
// stages, runs with every table cut into chunks placed on the two workers nearest each chunk's
// hash, rows moving between the workers' exchange hosts through hash, broadcast and gather
// exchanges, and every task and its answer through the wire format. Every answer equals the single plan's on one engine
// reading the whole files.
import * as arrow from "apache-arrow";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateTpch, type GeneratedTable } from "../../../datagen/tpch/index.ts";
import { fragmentPlan, explainStages, type Stage } from "../../../planner/fragment/index.ts";
import { planSql } from "../../../planner/index.ts";
import { clusteredColumns, MemoryCatalog, type Catalog } from "../../../planner/catalog.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { takeRows } from "../../../shuffle/index.ts";
import { LocalEngine } from "../../engine.ts";
import {
  EnginePool,
  LocalExecutors,
  TaskDeclinedError,
  WorkerUnavailableError,
  assertSameOutput,
  checkTaskHere,
  decodeTask,
  decodeTaskResult,
  encodeTask,
  encodeTaskResult,
  executeTask,
  runStagedQuery,
  RunReleasedError,
  type Executors,
  type PlacedTable,
  type StagedRun,
  type Task,
  type WorkerSide,
  type TaskResult,
} from "../index.ts";
import { placeFiles } from "./placed.ts";

const QUERIES = join(import.meta.dirname, "..", "..", "..", "sql-tests", "tpch", "queries");
const WORKERS = ["node-a", "node-b", "node-c", "node-d"];
const CHUNK_ROWS = 4_000;

let dir: string;
let single: LocalEngine;
const pool = new EnginePool();
const tables = new Map<string, PlacedTable>();
const files = new Map<string, string>();
const chunkFile = (hash: string) => files.get(hash)!;

/** Workers whose tasks and answers go through the wire format, as they travel between nodes. */
class WireExecutors extends LocalExecutors {
  override async runTask(worker: number, task: Task): Promise<TaskResult> {
    const result = await super.runTask(worker, decodeTask(encodeTask(task)));
    return decodeTaskResult(new Uint8Array(Buffer.concat(encodeTaskResult(result))));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-staged-"));
  const generated: GeneratedTable[] = await generateTpch({ sf: 0.01, out: dir });
  single = await LocalEngine.open({ threads: 2 });
  await placeFiles(single, generated, { chunkDir: join(dir, "chunks"), workers: WORKERS, targetRows: CHUNK_ROWS }, { tables, files });
}, 120_000);

afterAll(() => {
  single?.close();
  pool.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The tables as a cluster's catalog has them: clustered on the columns their chunks' statistics say (the generator writes each table in key order). */
function clusteredCatalog(): Catalog {
  return new MemoryCatalog(single.catalog().tables().map((t) => ({ ...t, clustered: clusteredColumns(t.schema, tables.get(t.names.join("."))!.chunks) })));
}

describe("staged TPC-H on four workers", () => {
  const ids = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);
  /** Stages that read a table by key range, over the queries run with the clustered catalog. */
  const ranged: string[] = [];
  afterAll(() => {
    // Where neither side is small enough to broadcast (under the limit of 1,000 rows these queries are planned with).
    // (Q3's orders of the building segment's customers are estimated under it: broadcast.)
    expect(ranged).toEqual(expect.arrayContaining(["q04: lineitem by orders", "q05: orders by lineitem", "q07: orders by lineitem", "q21: orders by lineitem"]));
  });
  /** Stages on the nodes that ran as one task on the coordinator, per variant that finishes small exchanges there. */
  const ranOnCoordinator = new Map<string, number>();
  afterAll(() => {
    // Most of these queries' exchanges hold a few rows; under a few kilobytes per exchange, some
    // tasks return their rows and others send them, and readers of both kinds get them sent on.
    expect(ranOnCoordinator.get(SMALL_EXCHANGES)).toBeGreaterThan(22);
    expect(ranOnCoordinator.get(TINY_EXCHANGES)).toBeGreaterThan(0);
    expect(ranOnCoordinator.get(TINY_EXCHANGES)).toBeLessThan(ranOnCoordinator.get(SMALL_EXCHANGES)!);
  });
  const SMALL_EXCHANGES = "exchanges under 1 MiB finished on the coordinator";
  const TINY_EXCHANGES = "exchanges under 4 KiB finished on the coordinator";
  const smallExchangeBytes: Record<string, number> = { [SMALL_EXCHANGES]: 1 << 20, [TINY_EXCHANGES]: 4 << 10 };
  const variants = ["all joins by exchanges", "tables clustered on their keys", SMALL_EXCHANGES, TINY_EXCHANGES];
  it.each(ids.flatMap((id) => variants.map((variant) => [id, variant])))("%s gives the single plan's answer (%s)", async (id, variant) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const catalog = variant === "tables clustered on their keys" ? clusteredCatalog() : single.catalog();
    const planned = planSql(sql, catalog, { twoPhaseAggregates: true });
    const staged = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 });
    const result = await runStagedQuery({
      query: staged,
      workers: WORKERS,
      coordinator: 1,
      tables,
      executors: new WireExecutors(WORKERS, { coordinator: 1, chunkFile, pool }),
      budgetBytes: 64 << 20,
      smallExchangeBytes: smallExchangeBytes[variant] ?? 0,
      // Where rows come back to the coordinator, every task of another worker is checked over them.
      ...(variant in smallExchangeBytes ? { verifyFraction: 1, verifyTask: async (worker: number, task: Task, claimed: TaskResult) => assertSameOutput(worker, `worker ${worker}`, await checkTaskHere(task, claimed, chunkFile, pool)) } : {}),
    });
    expect(result.names).toEqual(planned.names);
    expect(resultLines(resultValues(result.table), "nosort", 0), explainStages(staged)).toEqual(expected);
    expect(result.distrusted).toEqual([]);
    const onCoordinator = result.stages.filter((s) => s.runsOn === "coordinator" && staged.stages[s.id].runsOn === "nodes");
    for (const s of onCoordinator) expect(s.tasks).toBe(1);
    if (!(variant in smallExchangeBytes)) expect(onCoordinator).toEqual([]);
    ranOnCoordinator.set(variant, (ranOnCoordinator.get(variant) ?? 0) + onCoordinator.length);
    for (const stage of staged.stages) for (const reference of stage.references ?? []) ranged.push(`${id}: ${reference.table} by ${reference.driver}`);
  });
});

describe("fused stages", () => {
  it("runs the stage after a final aggregate in the aggregate's tasks when no key was salted", async () => {
    const sql = readFileSync(join(QUERIES, "q01.sql"), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names);
    const consumer = query.stages.find((s) => s.fusedWithInput !== undefined);
    expect(consumer, explainStages(query)).toBeDefined();
    let tasks = 0;
    let statusAsked = 0;
    class Counting extends LocalExecutors {
      override runTask(worker: number, task: Task): Promise<TaskResult> {
        tasks++;
        return super.runTask(worker, task);
      }
      override inboxStatus(worker: number, run: string, consumer: number) {
        statusAsked++;
        return super.inboxStatus(worker, run, consumer);
      }
    }
    const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new Counting(WORKERS, { chunkFile, pool }), budgetBytes: 64 << 20 });
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    const stats = new Map(result.stages.map((s) => [s.id, s]));
    const aggregate = query.stages[consumer!.inputs[0]];
    expect(stats.get(aggregate.id)!.saltedKeys).toBe(0);
    expect(stats.get(consumer!.id)!.tasks).toBe(0);
    expect(tasks).toBe(result.stages.reduce((n, s) => n + s.tasks, 0));
    // No receiver was sent half its budget, so none can have salted: nobody was asked.
    expect(statusAsked).toBe(0);

    // Under a budget of a few hundred bytes the receivers may have salted: each is asked.
    const tight = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new Counting(WORKERS, { chunkFile, pool }), budgetBytes: 256 });
    expect(resultLines(resultValues(tight.table), "nosort", 0)).toEqual(expected);
    expect(statusAsked).toBe(WORKERS.length);
  });
});

describe("a stage read by several stages", () => {
  const selfJoin = `select a.l_suppkey, a.n, b.n from (select l_suppkey, count(*) as n from lineitem group by l_suppkey) a
    join (select l_suppkey, count(*) as n from lineitem group by l_suppkey) b on a.l_suppkey = b.l_suppkey order by 1`;
  it.each([
    ["q15", readFileSync(join(QUERIES, "q15.sql"), "utf8")],
    ["a join of a subquery with itself", selfJoin],
  ])("%s: runs once, sends its rows to each reader, and gives the single plan's answer, its receivers asked whether they salted or not", async (_, sql) => {
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 });
    // lineitem's revenue (or count) per supplier is aggregated once, for both of its uses.
    const scans = query.stages.filter((s) => s.scans.some((n) => n[0] === "lineitem"));
    expect(scans, explainStages(query)).toHaveLength(1);
    const aggregated = query.stages.filter((s) => s.inputs.includes(scans[0].id));
    expect(aggregated).toHaveLength(1);
    expect(new Set(query.stages.flatMap((s) => s.inputs.filter((i) => i === aggregated[0].id).map(() => s.id))).size).toBe(sql === selfJoin ? 1 : 2);
    for (const budgetBytes of [64 << 20, 256]) {
      const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new WireExecutors(WORKERS, { chunkFile, pool }), budgetBytes });
      expect(resultLines(resultValues(result.table), "nosort", 0), `budget ${budgetBytes}`).toEqual(expected);
    }
  });
});

describe("ORDER BY across workers", () => {
  const sorts = [
    "select l_orderkey, l_linenumber, l_shipdate, l_comment from lineitem order by l_comment, l_orderkey, l_linenumber",
    "select o_orderkey, o_totalprice, o_orderpriority from orders order by o_orderpriority desc, o_totalprice, o_orderkey",
    "select l_orderkey, l_linenumber, l_extendedprice * (1 - l_discount) as net from lineitem order by net desc, l_orderkey, l_linenumber limit 25 offset 10",
    "select o_orderkey, nullif(o_orderstatus, 'F') as status from orders order by status desc nulls first, o_orderkey offset 20",
  ];
  const expectedOf = async (sql: string) => resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
  const stagedOf = (sql: string) => {
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    return fragmentPlan(planned.logical, planned.names);
  };

  it.each(sorts)("%s: each worker sorts its rows, the coordinator merges them without sorting again, in DuckDB's order", async (sql) => {
    const query = stagedOf(sql);
    const gathered = query.stages.find((s) => s.output.kind === "gather")!;
    expect(gathered.output, explainStages(query)).toMatchObject({ kind: "gather", order: expect.any(Array) });
    expect(gathered.runsOn).toBe("nodes");
    const sortsIn = (stage: Stage) => JSON.stringify(stage.plan, (_, v) => (typeof v === "bigint" ? `${v}` : v)).includes('"sorts"');
    expect(sortsIn(gathered)).toBe(true);
    expect(sortsIn(query.stages[query.stages.length - 1])).toBe(false);
    const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 1, tables, executors: new WireExecutors(WORKERS, { coordinator: 1, chunkFile, pool }), budgetBytes: 64 << 20 });
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expectedOf(sql));
    expect(result.stages.find((s) => s.id === gathered.id)!.tasks).toBeGreaterThan(1);
  });

  it("a worker that returns its rows out of order is caught without re-executing anything, and the query starts over without it", async () => {
    const liar = 3;
    const reversed = (output: arrow.Table) => {
      const batches = output.batches.toReversed().map((b) => takeRows(b, Uint32Array.from({ length: b.numRows }, (_, i) => b.numRows - 1 - i)));
      return new arrow.Table(output.schema, batches);
    };
    class Lying extends LocalExecutors {
      override runTask(worker: number, task: Task): Promise<TaskResult> {
        return worker === liar ? executeTask(task, { host: this.hosts[worker], chunkFile, pool, alter: reversed }) : super.runTask(worker, task);
      }
    }
    const caught: { worker: number; message: string }[] = [];
    const result = await runStagedQuery({
      query: stagedOf(sorts[0]),
      workers: WORKERS,
      coordinator: 0,
      tables,
      executors: new Lying(WORKERS, { chunkFile, pool }),
      budgetBytes: 64 << 20,
      onWrongResult: (worker, error) => caught.push({ worker, message: error.message }),
    });
    expect(caught).toEqual([{ worker: liar, message: expect.stringMatching(/out of order/) }]);
    expect(result.distrusted).toEqual([liar]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expectedOf(sorts[0]));
  });
});

describe("a join's large side reduced by the small side's keys", () => {
  // Orders of 1992 (about 2,300 of 15,000): past the broadcast limit, and far fewer than lineitem's rows.
  const early = "o_orderdate < date '1993-01-01'";
  it.each([
    ["inner", `select o_orderpriority, count(*), sum(l_extendedprice) from lineitem join orders on l_orderkey = o_orderkey where ${early} group by o_orderpriority order by 1`],
    ["semi", `select o_orderpriority, count(*) from orders where ${early} and exists (select * from lineitem where l_orderkey = o_orderkey and l_commitdate < l_receiptdate) group by 1 order by 1`],
    ["anti", `select o_orderpriority, count(*) from orders where ${early} and not exists (select * from lineitem where l_orderkey = o_orderkey and l_quantity > 5) group by 1 order by 1`],
    ["left", `select o_orderstatus, count(*), count(l_orderkey) from orders left join lineitem on l_orderkey = o_orderkey and l_quantity > 5 where ${early} group by 1 order by 1`],
    ["right", `select o_orderstatus, count(*), sum(l_quantity) from lineitem right join orders on l_orderkey = o_orderkey and l_quantity > 5 where ${early} group by 1 order by 1`],
  ])("%s join gives the single plan's answer", async (_, sql) => {
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 });
    // orders is read twice: once for its distinct keys, sent to every node, once hashed for the join.
    const outputs = query.stages.filter((s) => s.scans.some((n) => n[0] === "orders")).map((s) => s.output.kind);
    expect(outputs.sort(), explainStages(query)).toEqual(["broadcast", "hash"]);
    const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new WireExecutors(WORKERS, { chunkFile, pool }), budgetBytes: 64 << 20 });
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
  });
});

describe("rows for the coordinator", () => {
  it("come back in the task's answer when small, and through the exchange when not: the same answer either way", async () => {
    const sql = "select l_orderkey, l_linenumber, l_comment from lineitem where l_quantity > 45";
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "rowsort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names);
    for (const maxReturnedBytes of [undefined, 0]) {
      const answers: boolean[] = [];
      class Watching extends WireExecutors {
        override async runTask(worker: number, task: Task): Promise<TaskResult> {
          const result = await super.runTask(worker, task);
          if (worker !== 1 && result.rows > 0) answers.push(result.output !== undefined);
          return result;
        }
      }
      const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 1, tables, executors: new Watching(WORKERS, { coordinator: 1, chunkFile, pool }), budgetBytes: 64 << 20, maxReturnedBytes });
      expect(resultLines(resultValues(result.table), "rowsort", 0)).toEqual(expected);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((returned) => returned === (maxReturnedBytes === undefined)), `maxReturnedBytes ${maxReturnedBytes}`).toBe(true);
    }
  });

  it("sorted runs too large for an answer come through the exchange, each apart, and merge into the single plan's order; a task read in shares gives a run per share", async () => {
    const sql = "select l_orderkey, l_linenumber, l_shipdate, l_comment from lineitem where l_quantity > 40 order by l_shipdate desc, l_orderkey, l_linenumber";
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names);
    expect(explainStages(query)).toMatch(/gather merged by/);
    for (const maxReturnedBytes of [undefined, 0]) {
      for (const declining of [false, true]) {
        const answers: boolean[] = [];
        let declined = 0;
        /** What worker 2 lacks (a copy on the way): the first chunk of the first task it is given with several. */
        const lacking = new Set<string>();
        class Watching extends WireExecutors {
          override async runTask(worker: number, task: Task): Promise<TaskResult> {
            const chunks = task.scans.flatMap((s) => s.chunks);
            if (declining && worker === 2 && lacking.size === 0 && chunks.length > 1) lacking.add(chunks[0]);
            const lacks = worker === 2 ? chunks.filter((hash) => lacking.has(hash)) : [];
            if (lacks.length > 0) {
              declined++;
              throw new TaskDeclinedError(`worker ${worker} lacks ${lacks.length} chunks`, lacks);
            }
            const result = await super.runTask(worker, task);
            if (worker !== 1 && result.rows > 0) answers.push(result.output !== undefined);
            return result;
          }
        }
        const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 1, tables, executors: new Watching(WORKERS, { coordinator: 1, chunkFile, pool }), budgetBytes: 64 << 20, maxReturnedBytes });
        const label = `maxReturnedBytes ${maxReturnedBytes}, declining ${declining}`;
        expect(resultLines(resultValues(result.table), "nosort", 0), label).toEqual(expected);
        expect(result.distrusted, label).toEqual([]);
        expect(answers.length, label).toBeGreaterThan(0);
        expect(answers.every((returned) => returned === (maxReturnedBytes === undefined)), label).toBe(true);
        if (declining) expect(declined, label).toBeGreaterThan(0);
      }
    }
  });
});

describe("a join's wide side reduced by a broadcast holding the other side's key", () => {
  it("q10 over every lineitem: customers keep only the keys of the quarter's orders broadcast to lineitem's nodes, and the answer is the single plan's", async () => {
    // Of the returned lineitems only, the quarter's are estimated as few as its orders: they are
    // broadcast to customer's tasks, and neither side of that join is hashed.
    const sql = readFileSync(join(QUERIES, "q10.sql"), "utf8").replace("and l_returnflag = 'R'", "");
    expect(sql).not.toContain("l_returnflag");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    // At SF 0.01 customer is far below the default threshold: every size is worth it here.
    const query = fragmentPlan(planned.logical, planned.names, { broadcastReductionMinBytes: 0 });
    const customer = query.stages.find((s) => s.scans.some((n) => n[0] === "customer"))!;
    const orders = query.stages.find((s) => s.scans.some((n) => n[0] === "orders"))!;
    expect(orders.output.kind, explainStages(query)).toBe("broadcast");
    expect(customer.inputs).toEqual([orders.id]);
    const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 2, tables, executors: new WireExecutors(WORKERS, { coordinator: 2, chunkFile, pool }), budgetBytes: 64 << 20 });
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(result.stages.find((s) => s.id === customer.id)!.rowsOut).toBeLessThan(1_500);
  });
});

describe("tasks of a stage that reads only chunks", () => {
  async function staged(sql: string) {
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 });
    const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new LocalExecutors(WORKERS, { chunkFile, pool }), budgetBytes: 64 << 20 });
    return { query, result, expected: resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0) };
  }

  it("run only where their chunks are read, each task reading the tables every node holds whole: a table of one chunk is one task", async () => {
    const { query, result, expected } = await staged(readFileSync(join(QUERIES, "q05.sql"), "utf8"));
    const plan = explainStages(query);
    expect(resultLines(resultValues(result.table), "nosort", 0), plan).toEqual(expected);
    // nation and region (25 and 5 rows) are on every worker: no stage reads them alone, and a
    // stage joining them reads them whole in each of its tasks.
    for (const name of ["nation", "region"]) expect(tables.get(name)!.chunks.every((c) => c.holders.length === WORKERS.length)).toBe(true);
    expect(query.stages.some((s) => s.scans.length > 0 && s.scans.every((n) => s.everywhere?.includes(n.join("."))) && s.inputs.length === 0), plan).toBe(false);
    const whole = query.stages.find((s) => s.everywhere?.includes("nation"))!;
    expect(whole.everywhere, plan).toEqual(expect.arrayContaining(["nation", "region"]));
    expect(result.stages.find((s) => s.id === whole.id)!.chunksScanned).toBe(whole.everywhere!.reduce((n, name) => n + tables.get(name)!.chunks.length, 0));
    // customer (1,500 rows) is not held everywhere: a stage reading its one chunk is one task.
    expect(tables.get("customer")!.chunks).toHaveLength(1);
    const customer = query.stages.filter((s) => s.scans.length === 1 && s.scans[0][0] === "customer");
    expect(customer.length, plan).toBeGreaterThan(0);
    for (const stage of customer) expect(result.stages.find((s) => s.id === stage.id)!.tasks).toBe(1);
  });

  it("still run once when every chunk is pruned, so a count over no rows is 0", async () => {
    const { result, expected } = await staged("select count(*) as n, sum(l_quantity) as q from lineitem where l_shipdate < date '1900-01-01'");
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(expected).toEqual(["0\tNULL"]);
    expect(result.stages.find((s) => s.chunksScanned === 0 && s.chunksPruned > 0)!.tasks).toBe(1);
  });
});

describe("workers lost during a query", () => {
  /** Runs a query on workers where `fault(worker, task, tasksRun)` may throw what a failing worker's runner throws. */
  async function withFaults(id: string, fault: (worker: number, task: Task, tasksRun: number) => void) {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    let tasksRun = 0;
    const lost: number[] = [];
    class Failing extends LocalExecutors {
      override async runTask(worker: number, task: Task): Promise<TaskResult> {
        fault(worker, task, tasksRun++);
        return super.runTask(worker, task);
      }
    }
    const result = await runStagedQuery({
      query: fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 }),
      workers: WORKERS,
      coordinator: 0,
      tables,
      executors: new Failing(WORKERS, { chunkFile, pool }),
      onWorkerLost: (worker) => lost.push(worker),
      budgetBytes: 64 << 20,
    });
    return { result, lost };
  }

  /** `gone(worker, tasksRun)`: the worker is unreachable from then on; `lacking(worker, chunk)`: it does not hold that chunk. */
  function withLost(id: string, gone: (worker: number, tasksRun: number) => boolean, lacking?: (worker: number, hash: string) => boolean) {
    return withFaults(id, (worker, task, tasksRun) => {
      if (gone(worker, tasksRun)) throw new WorkerUnavailableError(`worker ${worker} is gone`);
      const lacks = task.scans.flatMap((s) => s.chunks).filter((hash) => lacking?.(worker, hash));
      if (lacks.length > 0) throw new TaskDeclinedError(`worker ${worker} lacks ${lacks.length} chunks`, lacks);
    });
  }

  it.each([
    ["q03", "gone from the start", (worker: number) => worker === 2, [2]],
    ["q05", "lost midway", (worker: number, tasksRun: number) => worker === 3 && tasksRun > 6, [3]],
    ["q09", "lost midway", (worker: number, tasksRun: number) => worker === 1 && tasksRun > 10, [1]],
  ] as const)("%s: a worker %s: the query starts over without it, same answer", async (id, _, gone, expectLost) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const { result, lost } = await withLost(id, gone);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(lost).toEqual(expectLost);
  });

  it("q18: a worker that lacks the chunks it was given: their other holders read them, same answer", async () => {
    const sql = readFileSync(join(QUERIES, "q18.sql"), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const { result, lost } = await withLost("q18", () => false, (worker) => worker === 2);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(result.stages.reduce((n, s) => n + s.retried, 0)).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  });

  it("q03: two workers that each lack some chunks (copies still on the way): each chunk is read where it is", async () => {
    const sql = readFileSync(join(QUERIES, "q03.sql"), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const { result } = await withLost("q03", () => false, (worker, hash) => (worker === 1 && hash < "8") || (worker === 2 && hash >= "8"));
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(result.stages.reduce((n, s) => n + s.retried, 0)).toBeGreaterThan(0);
  });

  it("q05: a worker that cannot reach another names it: the query starts over without the one it named", async () => {
    const sql = readFileSync(join(QUERIES, "q05.sql"), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    let named = false;
    const { result, lost } = await withFaults("q05", (worker, task) => {
      // Worker 1's first task with rows for others finds worker 3 gone; afterwards worker 3 is.
      if (worker === 3 && named) throw new WorkerUnavailableError("worker 3 is gone");
      if (worker === 1 && task.outputs && !named) {
        named = true;
        throw new WorkerUnavailableError("the exchange stream to node-d failed", WORKERS[3]);
      }
    });
    expect(lost).toEqual([3]);
    expect(result.lost).toEqual([3]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
  });

  it("q05: a worker that cannot reach the coordinator (which is there to hear it): the query starts over without that worker", async () => {
    const sql = readFileSync(join(QUERIES, "q05.sql"), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    let named = false;
    const { result, lost } = await withFaults("q05", (worker, task) => {
      if (worker === 2 && task.outputs && !named) {
        named = true;
        throw new WorkerUnavailableError("the exchange stream to node-a timed out", WORKERS[0]);
      }
    });
    expect(lost).toEqual([2]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
  });

  it("fails with a clear error, not a partial answer, when every holder of a chunk is gone", async () => {
    await expect(withLost("q06", (worker) => worker !== 0)).rejects.toThrow(/no live node holds chunk .* the query cannot finish/);
  });
});

describe("tasks of a run that is over", () => {
  const run = "cd".repeat(16);
  /** A query that would run for days: lineitem joined with itself twice on nothing. */
  const ENDLESS = "select count(*) from lineitem a, lineitem b, lineitem c where a.l_orderkey + b.l_orderkey + c.l_orderkey < 0";
  function endlessTask(): Task {
    const planned = planSql(ENDLESS, single.catalog());
    const lineitem = tables.get("lineitem")!;
    return { plan: planned.plan, scans: [{ names: ["lineitem"], columns: lineitem.columns, chunks: lineitem.chunks.map((c) => c.hash) }], inputs: [], run };
  }

  it("stop: one released while it runs is interrupted, one released before it starts runs nothing", async () => {
    const executors = new LocalExecutors(WORKERS, { chunkFile, pool });
    const started = performance.now();
    const running = executors.runTask(1, endlessTask());
    setTimeout(() => executors.release(run), 200);
    await expect(running).rejects.toThrow(RunReleasedError);
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(executors.runTask(2, endlessTask())).rejects.toThrow(/is over/);
  });

  it("stop when their query is cancelled: it fails as cancelled, and no worker keeps a task of it", async () => {
    const planned = planSql(ENDLESS, single.catalog(), { twoPhaseAggregates: true });
    const running: number[] = WORKERS.map(() => 0);
    let started = 0;
    class Counting extends LocalExecutors {
      override async runTask(worker: number, task: Task): Promise<TaskResult> {
        started++;
        running[worker]++;
        try {
          return await super.runTask(worker, task);
        } finally {
          running[worker]--;
        }
      }
    }
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 300);
    const query = runStagedQuery({
      query: fragmentPlan(planned.logical, planned.names),
      workers: WORKERS,
      coordinator: 0,
      tables,
      executors: new Counting(WORKERS, { chunkFile, pool }),
      budgetBytes: 64 << 20,
      signal: cancel.signal,
    });
    await expect(query).rejects.toThrow(/cancelled/);
    expect(started).toBeGreaterThan(0);
    await vi.waitFor(() => expect(running).toEqual([0, 0, 0, 0]), { timeout: 10_000 });
  });
});

describe("a worker that lies about its task outputs", () => {
  const liar = 2;
  const q03 = () => readFileSync(join(QUERIES, "q03.sql"), "utf8");
  /** Drops the first row of what a task reads. */
  const dropFirstRow = (batches: arrow.RecordBatch[]) => (batches.length > 0 && batches[0].numRows > 0 ? [batches[0].slice(1), ...batches.slice(1)] : batches);

  /** Re-executes a task here and compares its output with the worker's. */
  async function reExecute(worker: number, task: Task, result: TaskResult): Promise<void> {
    assertSameOutput(worker, `worker ${worker}`, await checkTaskHere(task, result, chunkFile, pool));
  }

  /** Runs q03 on the four workers (join sides of up to 1,000 rows broadcast), re-executing the share `verifyFraction` of the tasks. */
  function runQ03(executors: Executors, verifyFraction: number, more: Partial<StagedRun> = {}) {
    const planned = planSql(q03(), single.catalog(), { twoPhaseAggregates: true });
    return runStagedQuery({
      query: fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 }),
      workers: WORKERS,
      coordinator: 0,
      tables,
      executors,
      verifyTask: reExecute,
      verifyFraction,
      budgetBytes: 64 << 20,
      ...more,
    });
  }

  /**
   * Runs q03 with a share of the tasks verified (all by default), worker `liar` running its tasks
   * with `lies` (and, with `hidesRead`, saying it read every row it was sent, and giving the rows
   * it ran on when asked for its inputs); what was caught, the result and DuckDB's answer.
   */
  async function withLiar(lies: Pick<WorkerSide, "alter" | "alterInputs">, options: { hidesRead?: boolean; verifyFraction?: number } = {}) {
    const expected = resultLines(resultValues((await single.execute(planSql(q03(), single.catalog()).plan)).table), "nosort", 0);
    const caught: { worker: number; message: string }[] = [];
    class Lying extends LocalExecutors {
      override async runTask(worker: number, task: Task): Promise<TaskResult> {
        if (worker !== liar) return super.runTask(worker, task);
        const result = await executeTask(task, { host: this.hosts[worker], chunkFile, pool, ...lies });
        if (!options.hidesRead) return result;
        return { ...result, read: task.inputs.map((input) => (input.exchange ? this.hosts[worker].batches(task.run!, input.exchange.consumer, input.exchange.input) : input.batches!).reduce((n, b) => n + b.numRows, 0)) };
      }
      override async inputsHeld(worker: number, run: string, consumer: number, inputs: readonly number[]) {
        const held = await super.inputsHeld(worker, run, consumer, inputs);
        return worker === liar && lies.alterInputs ? held?.map(lies.alterInputs) : held;
      }
    }
    const result = await runQ03(new Lying(WORKERS, { chunkFile, pool }), options.verifyFraction ?? 1, {
      verifySeed: 7,
      onWrongResult: (worker, error) => caught.push({ worker, message: error.message }),
    });
    return { caught, result, expected };
  }

  it("is caught by re-execution, and the query starts over without it with the right answer", async () => {
    // The liar drops the last row of every output that has one, before it sends or returns it.
    const { caught, result, expected } = await withLiar({ alter: (output) => (output.numRows > 0 ? output.slice(0, output.numRows - 1) : output) });
    expect(caught.map((c) => c.worker)).toEqual([liar]);
    expect(result.distrusted).toEqual([liar]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(result.stages.reduce((n, s) => n + s.verified, 0)).toBeGreaterThan(0);
  });

  it("is caught when it lies about its inputs and its output alike, by the rows its producers sent it", async () => {
    // The liar drops a row of every input it reads, runs on the rest and says that is what it read.
    const { caught, result, expected } = await withLiar({ alterInputs: dropFirstRow });
    expect(caught.map((c) => c.worker)).toEqual([liar]);
    const [, read, sent] = /read (\d+) rows of stage \d+'s output, which sent it (\d+)/.exec(caught[0].message) ?? [];
    expect(Number(read)).toBe(Number(sent) - 1);
    expect(result.distrusted).toEqual([liar]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
  });

  it("is caught when it also says it read every row, by the digest of the rows its producers sent it", async () => {
    const { caught, result, expected } = await withLiar({ alterInputs: dropFirstRow }, { hidesRead: true });
    expect(caught.map((c) => c.worker)).toEqual([liar]);
    expect(caught[0].message).toMatch(/holds other rows of stage \d+'s output/);
    expect(result.distrusted).toEqual([liar]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
  });

  it("cannot tell a checked task from another: the tasks it is sent are the same whether any is checked or none", async () => {
    /** What worker `liar` is sent (the run id, fresh each run, taken out), sorted. */
    async function sentToLiar(verifyFraction: number): Promise<string[]> {
      const frames: string[] = [];
      class Recording extends LocalExecutors {
        override runTask(worker: number, task: Task): Promise<TaskResult> {
          if (worker === liar) frames.push(Buffer.from(encodeTask(task)).toString("latin1").replaceAll(task.run!, "RUN"));
          return super.runTask(worker, task);
        }
      }
      let checked = 0;
      await runQ03(new Recording(WORKERS, { chunkFile, pool }), verifyFraction, {
        verifyTask: (worker, task, result) => {
          checked++;
          return reExecute(worker, task, result);
        },
      });
      expect(checked > 0).toBe(verifyFraction > 0);
      return frames.sort();
    }
    expect(await sentToLiar(1)).toEqual(await sentToLiar(0));
  });
});
