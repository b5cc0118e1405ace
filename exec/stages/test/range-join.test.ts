// Joins by key range on four workers: two tables clustered on the join key, each task reading
// its share of one table's chunks and the other table's chunks (and rows) of the same keys. Every
// answer equals DuckDB's on the whole files: NULL keys, keys running across chunk boundaries,
// outer, semi and anti joins, date keys, pruned chunks, and a worker that lacks chunks.
import { beforeAll, describe, expect, it } from "vitest";
import { clusteredColumns, MemoryCatalog, type Catalog } from "../../../planner/catalog.ts";
import { explainStages, fragmentPlan } from "../../../planner/fragment/index.ts";
import { planSql } from "../../../planner/index.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { LocalExecutors, runStagedQuery, TaskDeclinedError, type Task, type TaskResult } from "../index.ts";
import { placedTables } from "./placed.ts";

const WORKERS = ["node-a", "node-b", "node-c", "node-d"];
const CHUNK_ROWS = 1_024;

let catalog: Catalog;
const placed = placedTables(
  ["facts", "dims", "days", "runs"],
  (file) => [
    // facts: 3 rows per key, in key order (keys run across chunk boundaries), then rows of NULL keys.
    // dims: every key but those ≡ 3 (mod 7), in key order. days: one row per day, in order.
    `COPY (SELECT CASE WHEN i < 20000 THEN i // 3 END::BIGINT AS k, (DATE '2020-01-01' + (i // 40)::INTEGER) AS d, i % 11 AS v FROM range(21000) t(i) ORDER BY i) TO '${file("facts")}' (FORMAT parquet)`,
    `COPY (SELECT k::BIGINT AS k, k % 13 AS w, 'dim ' || k AS label FROM range(-50, 7000) t(k) WHERE k % 7 <> 3 ORDER BY k) TO '${file("dims")}' (FORMAT parquet)`,
    `COPY (SELECT (DATE '2019-06-01' + i::INTEGER) AS d, i % 5 AS x FROM range(3000) t(i) ORDER BY i) TO '${file("days")}' (FORMAT parquet)`,
    // runs: 4 rows per key, in key order, no NULL: chunks are cut where the key changes, so no key is in two.
    `COPY (SELECT (i // 4)::BIGINT AS k, i % 9 AS v FROM range(12000) t(i) ORDER BY i) TO '${file("runs")}' (FORMAT parquet)`,
  ],
  { workers: WORKERS, targetRows: CHUNK_ROWS },
);
const { tables, pool, chunkFile } = placed;

beforeAll(() => {
  catalog = new MemoryCatalog(placed.single.catalog().tables().map((t) => ({ ...t, clustered: clusteredColumns(t.schema, tables.get(t.names.join("."))!.chunks) })));
});

async function staged(sql: string, executors = new LocalExecutors(WORKERS, { chunkFile, pool }), on = catalog) {
  const planned = planSql(sql, on, { twoPhaseAggregates: true });
  // Under a broadcast limit of 100 rows, no side here is small enough to broadcast.
  const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 100 });
  const result = await runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors, budgetBytes: 64 << 20 });
  return { query, result, lines: resultLines(resultValues(result.table), "nosort", 0) };
}

const expected = async (sql: string) => resultLines(resultValues((await placed.single.runReferenceSql(sql)).table), "nosort", 0);

/** Executors whose worker `worker` declines every task reading chunks of `table` (it lacks them, or cannot fetch them). */
function declining(worker: number, table: string): { executors: LocalExecutors; declined: () => number } {
  const hashes = new Set(tables.get(table)!.chunks.map((c) => c.hash));
  let declined = 0;
  class Declining extends LocalExecutors {
    override async runTask(w: number, task: Task): Promise<TaskResult> {
      const lacks = w === worker ? task.scans.flatMap((s) => s.chunks).filter((hash) => hashes.has(hash)) : [];
      if (lacks.length > 0) {
        declined++;
        throw new TaskDeclinedError(`worker ${w} lacks ${lacks.length} chunks of ${table}`, lacks);
      }
      return super.runTask(w, task);
    }
  }
  return { executors: new Declining(WORKERS, { chunkFile, pool }), declined: () => declined };
}

describe("joins by key range", () => {
  it("the tables are clustered on their keys as stored", () => {
    expect(catalog.lookup(["facts"])!.clustered).toEqual(["k", "d"]);
    expect(catalog.lookup(["dims"])!.clustered).toEqual(["k"]);
    expect(catalog.lookup(["days"])!.clustered).toEqual(["d"]);
    expect(tables.get("facts")!.chunks.length).toBeGreaterThan(10);
  });

  it.each([
    ["inner", "SELECT f.v, count(*), sum(d.w) FROM facts f JOIN dims d ON f.k = d.k GROUP BY f.v ORDER BY 1"],
    ["left, with NULL keys", "SELECT f.k IS NULL, d.k IS NULL, count(*), sum(f.v) FROM facts f LEFT JOIN dims d ON f.k = d.k GROUP BY 1, 2 ORDER BY 1, 2"],
    ["right", "SELECT d.k IS NULL, count(*), sum(f.v) FROM dims d RIGHT JOIN facts f ON d.k = f.k GROUP BY 1 ORDER BY 1"],
    ["semi", "SELECT count(*), sum(w) FROM dims d WHERE EXISTS (SELECT 1 FROM facts f WHERE f.k = d.k AND f.v > 5)"],
    ["anti", "SELECT count(*), min(k), max(k) FROM dims d WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.k = d.k)"],
    ["IN", "SELECT count(*) FROM facts WHERE k IN (SELECT k FROM dims WHERE w < 4)"],
    ["on a date key", "SELECT x, count(*), min(f.d), max(f.d) FROM facts f JOIN days y ON f.d = y.d GROUP BY x ORDER BY x"],
    ["over pruned chunks", "SELECT count(*), sum(d.w) FROM facts f JOIN dims d ON f.k = d.k WHERE f.k BETWEEN 1000 AND 1999"],
    ["with a further condition", "SELECT count(*) FROM facts f JOIN dims d ON f.k = d.k AND f.v < d.w"],
    ["of a table with itself", "SELECT count(*), sum(a.v * b.v) FROM facts a JOIN facts b ON a.k = b.k WHERE NOT EXISTS (SELECT 1 FROM facts c WHERE c.k = a.k AND c.v > a.v + b.v)"],
    ["of rows returned whole", "SELECT f.k, f.v, d.label FROM facts f JOIN dims d ON f.k = d.k WHERE f.k % 500 = 1 ORDER BY 1, 2"],
  ])("%s: one stage reads both tables and gives DuckDB's answer", async (_, sql) => {
    const { query, lines } = await staged(sql);
    const plan = explainStages(query);
    expect(query.stages.some((s) => (s.references?.length ?? 0) > 0), plan).toBe(true);
    expect(lines, plan).toEqual(await expected(sql));
  });

  it.each([
    ["an aggregate", "SELECT k, count(*), sum(v) FROM facts GROUP BY k HAVING sum(v) > 20 ORDER BY 1"],
    ["a distinct count, and NULL keys", "SELECT k, count(DISTINCT v), min(d) FROM facts GROUP BY k ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 40"],
    ["a join's rows", "SELECT f.k, d.label, count(*) FROM facts f JOIN dims d ON f.k = d.k WHERE d.w > 10 GROUP BY f.k, d.label ORDER BY 1"],
    ["a date", "SELECT d, count(*), sum(v) FROM facts GROUP BY d ORDER BY 1"],
  ])("grouped by the clustered key (%s): a group only a task's chunks hold stays there, and the answer is DuckDB's", async (_, sql) => {
    const { query, result, lines } = await staged(sql);
    const plan = explainStages(query);
    expect(lines, plan).toEqual(await expected(sql));
    const kept = query.stages.find((s) => s.output.kind === "hash" && s.output.local)!;
    expect(kept, plan).toBeDefined();
    // Planned without knowing the tables clustered, the same groups cross the workers by hash.
    const hashed = await staged(sql, undefined, placed.single.catalog());
    const hashedBytes = (run: typeof result, q: typeof query) => run.stages.filter((s) => q.stages[s.id].output.kind === "hash").reduce((n, s) => n + s.bytesShuffled, 0);
    expect(hashed.lines).toEqual(lines);
    expect(hashedBytes(result, query), plan).toBeLessThan(hashedBytes(hashed.result, hashed.query) / 4);
  });

  it.each([
    ["its top groups", "SELECT k, count(*), sum(v) FROM runs GROUP BY k HAVING sum(v) > 20 ORDER BY 3 DESC, 1 LIMIT 15"],
    ["its groups in order", "SELECT k, sum(v) FROM runs WHERE v > 1 GROUP BY k HAVING count(*) > 2 ORDER BY 1"],
    ["the groups a join keeps", "SELECT r.k, sum(r.v), min(d.label) FROM runs r JOIN dims d ON r.k = d.k GROUP BY r.k HAVING sum(r.v) > 25 ORDER BY 1"],
  ])("grouped by a clustered key no two chunks hold (%s): the final aggregate and what follows run in the tasks that read the chunks", async (_, sql) => {
    const { query, result, lines } = await staged(sql);
    const plan = explainStages(query);
    expect(lines, plan).toEqual(await expected(sql));
    const producer = query.stages.find((s) => s.fusedWhenKeysLocal)!;
    expect(producer, plan).toBeDefined();
    expect(plan).toContain("in its tasks when no two of its chunks hold one key");
    const fused = producer.fusedWhenKeysLocal!.stages;
    // Those stages ran no task: their rows came from the producer's tasks, and none crossed an exchange between them.
    expect(result.stages.filter((s) => fused.includes(s.id)).map((s) => s.tasks), plan).toEqual(fused.map(() => 0));
    expect(result.stages.find((s) => s.id === fused[fused.length - 1])!.rowsOut).toBeGreaterThan(0);
  });

  it("grouped by a clustered key no two chunks hold, a worker lacking its chunks: their other holders run the fused plan over them", async () => {
    const sql = "SELECT k, count(*), sum(v) FROM runs GROUP BY k HAVING sum(v) > 20 ORDER BY 3 DESC, 1 LIMIT 15";
    const lacking = declining(1, "runs");
    const { query, result, lines } = await staged(sql, lacking.executors);
    expect(lacking.declined()).toBeGreaterThan(0);
    expect(lines).toEqual(await expected(sql));
    const fused = query.stages.find((s) => s.fusedWhenKeysLocal)!.fusedWhenKeysLocal!.stages;
    expect(result.stages.filter((s) => fused.includes(s.id)).every((s) => s.tasks === 0)).toBe(true);
  });

  it("grouped by a clustered key with NULLs: the NULL groups of every task meet, in the reader's own tasks", async () => {
    const sql = "SELECT k, count(*), sum(v) FROM facts GROUP BY k HAVING sum(v) > 20 ORDER BY 1 NULLS FIRST";
    const { query, result, lines } = await staged(sql);
    expect(lines).toEqual(await expected(sql));
    const fused = query.stages.find((s) => s.fusedWhenKeysLocal)!.fusedWhenKeysLocal!.stages;
    expect(result.stages.find((s) => s.id === fused[0])!.tasks).toBeGreaterThan(0);
  });

  it("a worker that cannot fetch a chunk of the table read by key range: its chunks go to their other holders", async () => {
    const sql = "SELECT f.v, count(*), sum(d.w) FROM facts f JOIN dims d ON f.k = d.k GROUP BY f.v ORDER BY 1";
    const unfetchable = declining(1, "dims");
    const { lines } = await staged(sql, unfetchable.executors);
    // Once: worker 1 is asked for none of that task's chunks again.
    expect(unfetchable.declined()).toBe(1);
    expect(lines).toEqual(await expected(sql));
  });

  it("a worker lacking chunks of the table its tasks share: those go to their other holders, each with the other table's chunks of their keys, and sending every group by hash", async () => {
    const sql = "SELECT f.v, count(*), sum(d.w) FROM facts f JOIN dims d ON f.k = d.k GROUP BY f.v ORDER BY 1";
    const facts = new Set(tables.get("facts")!.chunks.map((c) => c.hash));
    let declined = 0;
    const declinedChunks = new Set<string>();
    /** Whether each task reading a chunk worker 2 declined kept keys where it ran. */
    const sharesKept: boolean[] = [];
    class Lacking extends LocalExecutors {
      override async runTask(worker: number, task: Task): Promise<TaskResult> {
        const lacks = worker === 2 ? task.scans.flatMap((s) => s.chunks).filter((hash) => facts.has(hash)) : [];
        if (lacks.length > 0) {
          declined++;
          lacks.forEach((hash) => declinedChunks.add(hash));
          throw new TaskDeclinedError(`worker ${worker} lacks ${lacks.length} chunks`, lacks);
        }
        if (task.scans.some((s) => !s.whole && s.chunks.some((hash) => declinedChunks.has(hash)))) sharesKept.push((task.outputs ?? []).some((r) => r.kind === "hash" && r.keep));
        return super.runTask(worker, task);
      }
    }
    const { lines } = await staged(sql, new Lacking(WORKERS, { chunkFile, pool }));
    expect(declined).toBeGreaterThan(0);
    expect(lines).toEqual(await expected(sql));
    // Grouped by the key: the shares send every group by hash, the others keep theirs.
    declined = 0;
    const grouped = "SELECT k, count(*), sum(v) FROM facts GROUP BY k ORDER BY 1";
    sharesKept.length = 0;
    expect((await staged(grouped, new Lacking(WORKERS, { chunkFile, pool }))).lines).toEqual(await expected(grouped));
    expect(declined).toBeGreaterThan(0);
    // The keys only worker 2's chunks held are no share's alone: two shares may make rows of one.
    expect(sharesKept.length).toBeGreaterThan(0);
    expect(sharesKept.every((kept) => !kept)).toBe(true);
  });
});
