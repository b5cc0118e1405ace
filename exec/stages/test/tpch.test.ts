// Staged TPC-H on four workers: each query, planned with two-phase aggregates and cut into
// stages, runs with every table cut into chunks placed on the two workers nearest each chunk's
// hash, rows moving between stages through hash, broadcast and gather exchanges, and every task
// and its output through the wire format. Every answer equals the single plan's on one engine
// reading the whole files.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTpch, type GeneratedTable } from "../../../datagen/tpch/index.ts";
import { fragmentPlan, explainStages } from "../../../planner/fragment/index.ts";
import { planSql } from "../../../planner/index.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { cutParquet } from "../../chunks/index.ts";
import { LocalEngine } from "../../engine.ts";
import { EnginePool, assertSameOutput, checkTaskHere, placeTable, decodeTask, decodeTaskOutput, encodeTask, encodeTaskOutput, runStagedQuery, runTaskHere, WorkerUnavailableError, type PlacedTable, type Task } from "../index.ts";

const QUERIES = join(import.meta.dirname, "..", "..", "..", "sql-tests", "tpch", "queries");
const WORKERS = ["node-a", "node-b", "node-c", "node-d"];
const CHUNK_ROWS = 4_000;

let dir: string;
let single: LocalEngine;
const pool = new EnginePool();
const tables = new Map<string, PlacedTable>();
const files = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-staged-"));
  const generated: GeneratedTable[] = await generateTpch({ sf: 0.01, out: dir });
  single = await LocalEngine.open({ threads: 2 });
  for (const table of generated) {
    await single.registerParquet([table.name], [table.file]);
    const schema = single.catalog().lookup([table.name])!.schema;
    const chunks = await cutParquet(table.file, join(dir, "chunks"), { targetRows: CHUNK_ROWS });
    for (const chunk of chunks) files.set(chunk.hash, chunk.file);
    tables.set(table.name, placeTable(schema, chunks, WORKERS));
  }
}, 120_000);

afterAll(() => {
  single?.close();
  pool.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("staged TPC-H on four workers", () => {
  const ids = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);
  it.each(ids)("%s gives the single plan's answer", async (id) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const staged = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 });
    const result = await runStagedQuery({
      query: staged,
      workers: WORKERS,
      coordinator: 1,
      tables,
      // Through the wire format, as a task and its output travel between nodes.
      runTask: async (_, task) => decodeTaskOutput(encodeTaskOutput(await runTaskHere(decodeTask(encodeTask(task)), (hash) => files.get(hash)!, pool))),
      budgetBytes: 64 << 20,
    });
    expect(result.names).toEqual(planned.names);
    expect(resultLines(resultValues(result.table), "nosort", 0), explainStages(staged)).toEqual(expected);
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
    const result = await runStagedQuery({
      query,
      workers: WORKERS,
      coordinator: 0,
      tables,
      runTask: async (_, task) => {
        tasks++;
        return runTaskHere(task, (hash) => files.get(hash)!, pool);
      },
      budgetBytes: 64 << 20,
    });
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    const stats = new Map(result.stages.map((s) => [s.id, s]));
    const aggregate = query.stages[consumer!.inputs[0]];
    expect(stats.get(aggregate.id)!.saltedKeys).toBe(0);
    expect(stats.get(consumer!.id)!.tasks).toBe(0);
    expect(tasks).toBe(result.stages.reduce((n, s) => n + s.tasks, 0));
  });
});

describe("workers lost during a query", () => {
  async function withLost(id: string, lost: (worker: number, tasksRun: number) => boolean) {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    let tasksRun = 0;
    return runStagedQuery({
      query: fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 }),
      workers: WORKERS,
      coordinator: 0,
      tables,
      runTask: async (worker: number, task: Task) => {
        if (lost(worker, tasksRun++)) throw new WorkerUnavailableError(`worker ${worker} is gone`);
        return runTaskHere(task, (hash) => files.get(hash)!, pool);
      },
      budgetBytes: 64 << 20,
    });
  }

  it.each([
    ["q03", "gone from the start", (worker: number) => worker === 2],
    ["q05", "lost midway", (worker: number, tasksRun: number) => worker === 3 && tasksRun > 6],
    ["q09", "lost midway", (worker: number, tasksRun: number) => worker === 1 && tasksRun > 10],
    ["q18", "gone from the start", (worker: number) => worker === 0],
  ] as const)("%s: the tasks of a worker %s run elsewhere, same answer", async (id, _, lost) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const result = await withLost(id, lost);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(result.stages.reduce((n, s) => n + s.retried, 0)).toBeGreaterThan(0);
  });

  it("fails with a clear error, not a partial answer, when every holder of a chunk is gone", async () => {
    await expect(withLost("q06", (worker) => worker !== 0)).rejects.toThrow(/no live node holds chunk .* the query cannot finish/);
  });
});

describe("a worker that lies about its task outputs", () => {
  it("is caught by re-execution, and the query starts over without it with the right answer", async () => {
    const sql = readFileSync(join(QUERIES, "q03.sql"), "utf8");
    const expected = resultLines(resultValues((await single.execute(planSql(sql, single.catalog()).plan)).table), "nosort", 0);
    const planned = planSql(sql, single.catalog(), { twoPhaseAggregates: true });
    const liar = 2;
    const caught: number[] = [];
    const result = await runStagedQuery({
      query: fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000 }),
      workers: WORKERS,
      coordinator: 0,
      tables,
      runTask: async (worker, task) => {
        const output = await runTaskHere(task, (hash) => files.get(hash)!, pool);
        // The liar drops the last row of every output that has one.
        return worker === liar && output.numRows > 0 ? output.slice(0, output.numRows - 1) : output;
      },
      verifyTask: async (worker, task, output) => {
        assertSameOutput(worker, `worker ${worker}`, await checkTaskHere(task, output, (hash) => files.get(hash)!, pool));
      },
      verifyFraction: 1,
      verifySeed: 7,
      onWrongResult: (worker) => caught.push(worker),
      budgetBytes: 64 << 20,
    });
    expect(caught).toEqual([liar]);
    expect(result.distrusted).toEqual([liar]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(expected);
    expect(result.stages.reduce((n, s) => n + s.verified, 0)).toBeGreaterThan(0);
  });
});
