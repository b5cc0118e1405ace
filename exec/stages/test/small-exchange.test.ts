// Exchanges small enough to finish on the coordinator (smallExchangeBytes): a table whose two
// chunks are of 8,192 and 2,048 rows feeds a left join (which no broadcast of the other side's
// keys reduces) through a hash exchange. Its tasks' outputs are unequal; the exchange fits the
// limit as a whole, and its reader runs there as one task.
import { describe, expect, it } from "vitest";
import { explainStages, fragmentPlan } from "../../../planner/fragment/index.ts";
import { planSql } from "../../../planner/index.ts";
import { resultLines, resultValues } from "../../../sql-tests/runner/values.ts";
import { LocalExecutors, runStagedQuery } from "../index.ts";
import { placedTables } from "./placed.ts";

const WORKERS = ["node-a", "node-b"];
const SQL = "SELECT count(*) AS n, sum(u.w) AS total FROM t LEFT JOIN u ON t.k = u.k";

const placed = placedTables(
  ["t", "u"],
  (file) => [
    `COPY (SELECT i AS k FROM range(10240) r(i)) TO '${file("t")}' (FORMAT parquet, ROW_GROUP_SIZE 8192)`,
    `COPY (SELECT i * 3 AS k, i AS w FROM range(100) r(i)) TO '${file("u")}' (FORMAT parquet)`,
  ],
  { workers: WORKERS, targetRows: 8192 },
);

describe("small exchanges", () => {
  it("finish on the coordinator when all their rows fit, however unequally the tasks made them", async () => {
    const { single, tables, chunkFile, pool } = placed;
    expect(tables.get("t")!.chunks.map((c) => c.rows).sort((a, b) => a - b)).toEqual([2048, 8192]);
    const expected = resultLines(resultValues((await single.runReferenceSql(SQL)).table), "nosort", 0);
    const planned = planSql(SQL, single.catalog(), { twoPhaseAggregates: true });
    const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 0, smallTablesEverywhere: false });
    const joins = query.stages.find((s) => s.inputs.length === 2);
    expect(joins, explainStages(query)).toBeDefined();
    const run = (smallExchangeBytes: number) =>
      runStagedQuery({ query, workers: WORKERS, coordinator: 0, tables, executors: new LocalExecutors(WORKERS, { chunkFile, pool }), budgetBytes: 64 << 20, smallExchangeBytes });
    // t's 10,240 keys are 80 KB of Arrow: 64 KB from one task, more than half of 110 KB.
    const fits = await run(110 << 10);
    expect(resultLines(resultValues(fits.table), "nosort", 0)).toEqual(expected);
    expect(fits.stages.find((s) => s.id === joins!.id)).toMatchObject({ runsOn: "coordinator", tasks: 1 });
    // Under the 80 KB the exchange holds, its rows go node to node and the join runs on both.
    const over = await run(70 << 10);
    expect(resultLines(resultValues(over.table), "nosort", 0)).toEqual(expected);
    expect(over.stages.find((s) => s.id === joins!.id)).toMatchObject({ runsOn: "nodes", tasks: 2 });
  });
});
