// Cutting plans into stages: which side of a join is broadcast, and what leaves a node before a
// semi join's exchange.
import { describe, expect, it } from "vitest";
import { namedStructFromColumns } from "../../exec/types.ts";
import { MemoryCatalog } from "../catalog.ts";
import { explainStages, fragmentPlan, type FragmentOptions } from "../fragment/index.ts";
import { planSql } from "../index.ts";
import { relsOf } from "./helpers.ts";

const table = (name: string, rowCount: number) => ({
  names: [name],
  schema: namedStructFromColumns([
    { name: "k", type: "BIGINT" },
    { name: "v", type: "VARCHAR" },
  ]),
  rowCount,
});
const catalog = new MemoryCatalog([table("big", 1_000_000), table("mid", 400_000), table("small", 1_500), table("tiny", 500)]);

function stagesOf(sql: string, options: FragmentOptions = {}) {
  const planned = planSql(sql, catalog, { twoPhaseAggregates: true });
  return fragmentPlan(planned.logical, planned.names, { broadcastRowLimit: 1_000_000, ...options }).stages;
}

const outputOf = (stages: ReturnType<typeof stagesOf>, scanned: string) => stages.find((s) => s.scans.some((n) => n[0] === scanned))!.output.kind;

describe("fragmentPlan", () => {
  it("broadcasts a join side only when its copies weigh less than moving both sides", () => {
    const join = "SELECT big.v, mid.v FROM big JOIN mid ON big.k = mid.k";
    // Four nodes: three copies of mid (1.2M rows) outweigh hashing both sides.
    expect(outputOf(stagesOf(join), "mid")).toBe("hash");
    expect(outputOf(stagesOf(join), "big")).toBe("hash");
    // Two nodes: one copy of mid is less than big.
    expect(outputOf(stagesOf(join, { expectedNodes: 2 }), "mid")).toBe("broadcast");
    // Never past the row limit.
    expect(outputOf(stagesOf(join, { expectedNodes: 2, broadcastRowLimit: 100_000 }), "mid")).toBe("hash");
    // A tiny side is broadcast whatever the other side's size.
    expect(outputOf(stagesOf("SELECT mid.v, small.v FROM small JOIN mid ON small.k = mid.k WHERE small.v = 'x'"), "small")).toBe("broadcast");
  });

  it("reads a table every node holds whole where the other side of its join is, or on the coordinator", () => {
    // tiny (500 rows) is held everywhere: joined in mid's stage, no stage of its own.
    const joined = stagesOf("SELECT mid.v, tiny.v FROM tiny JOIN mid ON tiny.k = mid.k");
    expect(joined.filter((s) => s.scans.some((n) => n[0] === "tiny")).map((s) => [s.scans.map((n) => n[0]), s.everywhere])).toEqual([[["mid", "tiny"], ["tiny"]]]);
    expect(explainStages({ stages: joined, names: [] })).toContain("reads mid, tiny (whole, held everywhere)");
    // Its rows counted for their own sake (a left join from it), or alone: read on the coordinator.
    for (const sql of ["SELECT tiny.v, mid.v FROM tiny LEFT JOIN mid ON tiny.k = mid.k", "SELECT v, count(*) FROM tiny GROUP BY v"]) {
      const stages = stagesOf(sql);
      const reading = stages.filter((s) => s.scans.some((n) => n[0] === "tiny"));
      expect(reading.map((s) => [s.runsOn, s.everywhere])).toEqual([["coordinator", ["tiny"]]]);
    }
  });

  it("has a large side drop the rows whose keys a small side lacks, before both are hashed", () => {
    const keysOf = (stages: ReturnType<typeof stagesOf>) => stages.filter((s) => s.scans.some((n) => n[0] === "mid") && s.output.kind === "broadcast");
    for (const sql of ["SELECT big.v, mid.v FROM big JOIN mid ON big.k = mid.k WHERE mid.v = 'x'", "SELECT v FROM mid WHERE v = 'x' AND EXISTS (SELECT 1 FROM big WHERE big.k = mid.k)"]) {
      const stages = stagesOf(sql, { broadcastRowLimit: 0 });
      // mid's distinct keys go to every node, where big's stage reads them before hashing its rows.
      const [keys] = keysOf(stages);
      expect(keys.joinKeys).toBe(true);
      expect(explainStages({ stages, names: [] })).toContain(`stage ${keys.id} on nodes: reads mid → broadcast (distinct join keys: the reader keeps only rows with one)`);
      expect(relsOf(keys.plan).some((r) => r.aggregate !== undefined)).toBe(true);
      const big = stages.find((s) => s.scans.some((n) => n[0] === "big"))!;
      expect(big.inputs).toEqual([keys.id]);
      expect(big.output.kind).toBe("hash");
      expect(stages.some((s) => s.scans.some((n) => n[0] === "mid") && s.output.kind === "hash")).toBe(true);
    }
    // Not when the sides are alike in size, nor when the small side's rows are the ones kept for their own sake.
    expect(keysOf(stagesOf("SELECT big.v, mid.v FROM big JOIN mid ON big.k = mid.k", { broadcastRowLimit: 0 }))).toEqual([]);
    expect(keysOf(stagesOf("SELECT big.v, mid.v FROM big RIGHT JOIN mid ON big.k = mid.k WHERE mid.v = 'x'", { broadcastRowLimit: 0 }))).toHaveLength(1);
    expect(keysOf(stagesOf("SELECT big.v, mid.v FROM big LEFT JOIN mid ON big.k = mid.k AND mid.v = 'x'", { broadcastRowLimit: 0 }))).toEqual([]);
  });

  it("reduces a large EXISTS side by the keys of the left side's local part when the left reads exchanges", () => {
    const wide = new MemoryCatalog([table("fact", 3_000_000), table("huge", 2_000_000), table("mid", 400_000), table("small", 1_500)]);
    const staged = (sql: string) => {
      const planned = planSql(sql, wide, { twoPhaseAggregates: true });
      return fragmentPlan(planned.logical, planned.names).stages;
    };
    for (const exists of ["EXISTS", "NOT EXISTS"]) {
      // fact meets small (broadcast, local) and mid (hashed): its keys for huge come from a second
      // run of fact ⋈ small, not from the hashed join.
      const stages = staged(`SELECT count(*) FROM fact JOIN small ON fact.v = small.v JOIN mid ON fact.v = mid.v WHERE ${exists} (SELECT 1 FROM huge WHERE huge.k = fact.k)`);
      const keys = stages.filter((s) => s.joinKeys);
      expect(keys).toHaveLength(1);
      expect(keys[0].scans.map((n) => n[0])).toEqual(["fact"]);
      const huge = stages.find((s) => s.scans.some((n) => n[0] === "huge"))!;
      expect(huge.inputs).toEqual([keys[0].id]);
      expect(huge.output.kind).toBe("hash");
      // The keys' stage joins small as fact's stage does: broadcast once, read by both (mid, joined on fact.v, gets its own).
      const smalls = stages.filter((s) => s.scans.some((n) => n[0] === "small"));
      expect(smalls).toHaveLength(2);
      const shared = smalls.filter((s) => keys[0].inputs.includes(s.id));
      expect(shared).toHaveLength(1);
      expect(stages.filter((s) => s.inputs.includes(shared[0].id))).toHaveLength(2);
    }
    // A filtered scan: its keys are a second run of the filtered scan (TPC-H Q22's customers of seven phone prefixes).
    const filtered = staged("SELECT count(*) FROM fact JOIN mid ON fact.v = mid.v WHERE fact.v LIKE 'a%' AND NOT EXISTS (SELECT 1 FROM huge WHERE huge.k = fact.k)");
    expect(filtered.filter((s) => s.joinKeys).map((s) => s.scans.map((n) => n[0]))).toEqual([["fact"]]);
    // Not when the key's local part is a bare scan (no filter by a small relation to gain), nor for a small right side.
    expect(staged("SELECT count(*) FROM fact JOIN mid ON fact.v = mid.v WHERE EXISTS (SELECT 1 FROM huge WHERE huge.k = fact.k)").filter((s) => s.joinKeys)).toHaveLength(0);
    expect(staged("SELECT count(*) FROM fact JOIN small ON fact.v = small.v JOIN mid ON fact.v = mid.v WHERE EXISTS (SELECT 1 FROM mid m2 WHERE m2.k = fact.k)").filter((s) => s.joinKeys)).toHaveLength(0);
  });

  it("runs a part the query repeats once, for every stage that reads it", () => {
    const perKey = "SELECT k, count(*) AS c FROM big GROUP BY k";
    const stages = stagesOf(`SELECT k, c FROM (${perKey}) a WHERE c = (SELECT max(c) FROM (${perKey}) b)`);
    expect(stages.map((s) => s.id)).toEqual(stages.map((_, i) => i));
    const scans = stages.filter((s) => s.scans.length > 0);
    expect(scans).toHaveLength(1);
    const [aggregate] = stages.filter((s) => s.inputs.includes(scans[0].id));
    const readers = stages.filter((s) => s.inputs.includes(aggregate.id)).map((s) => s.id);
    expect(readers).toHaveLength(2);
    expect(explainStages({ stages, names: [] })).toContain(`read by stages ${readers.join(", ")}`);
    // Its readers cannot run fused into its tasks, which send to both.
    expect(stages.filter((s) => readers.includes(s.id)).every((s) => s.fusedWithInput === undefined)).toBe(true);
    // Every stage reads exactly its inputs' tables, under their new ids.
    for (const stage of stages) {
      const reads = new Set(relsOf(stage.plan).flatMap((r) => r.read?.namedTable?.names ?? []).filter((name) => name.startsWith("__stage")));
      expect([...reads].sort()).toEqual(stage.inputs.map((i) => `__stage${i}_output`).sort());
    }
  });

  it("sends a semi or anti join's right side with its duplicates dropped on each node", () => {
    for (const sql of ["SELECT v FROM big WHERE EXISTS (SELECT 1 FROM mid WHERE mid.k = big.k)", "SELECT v FROM big WHERE NOT EXISTS (SELECT 1 FROM mid WHERE mid.k = big.k)"]) {
      const stages = stagesOf(sql, { broadcastRowLimit: 0 });
      const right = stages.find((s) => s.scans.some((n) => n[0] === "mid"))!;
      expect(right.output.kind).toBe("hash");
      expect(relsOf(right.plan).some((r) => r.aggregate !== undefined)).toBe(true);
      const left = stages.find((s) => s.scans.some((n) => n[0] === "big"))!;
      expect(relsOf(left.plan).some((r) => r.aggregate !== undefined)).toBe(false);
    }
  });

  it("joins two hashed sides where they are only when hashed on the same keys, one for one", () => {
    // a's groups are hashed on (k, v): the rows of one k on several nodes. Joined on k, they are hashed again on k.
    const stages = stagesOf("SELECT b.k, a.v, a.c FROM (SELECT k, count(*) AS n FROM mid GROUP BY k) b LEFT JOIN (SELECT k, v, count(*) AS c FROM big GROUP BY k, v) a ON b.k = a.k", { broadcastRowLimit: 0 });
    const join = stages.find((s) => s.inputs.length === 2)!;
    expect(join.inputs.map((i) => stages[i].output)).toEqual([{ kind: "forward" }, { kind: "hash", keys: [0] }]);
  });

  it("groups the rows of a hashed join by its key where the join ran, a salted key's groups merged at its home", () => {
    const joinStage = (sql: string) => {
      const stages = stagesOf(sql, { broadcastRowLimit: 0 });
      return stages.find((s) => s.inputs.length === 2 && s.inputs.every((i) => stages[i].output.kind === "hash"))!;
    };
    // Grouped by either side's key of an inner join (mid.k is big.k in every row), with columns beside it.
    for (const key of ["big.k", "mid.k"]) {
      const stage = joinStage(`SELECT ${key}, mid.v, count(*), sum(length(big.v)) FROM big JOIN mid ON big.k = mid.k GROUP BY ${key}, mid.v`);
      expect(stage.output.kind).not.toBe("hash");
      expect(stage.saltMerge?.keys).toEqual([0]);
    }
    // A left join's right key is NULL where the left row had no match, wherever that row is; a
    // distinct count's salted partials do not add up: the groups are hashed after the join.
    for (const sql of ["SELECT mid.k, count(*) FROM big LEFT JOIN mid ON big.k = mid.k GROUP BY mid.k", "SELECT big.k, count(DISTINCT mid.v) FROM big JOIN mid ON big.k = mid.k GROUP BY big.k"]) {
      const stage = joinStage(sql);
      expect(stage.output.kind).toBe("hash");
      expect(stage.saltMerge).toBeUndefined();
    }
    expect(joinStage("SELECT big.k, count(*) FROM big LEFT JOIN mid ON big.k = mid.k GROUP BY big.k").saltMerge?.keys).toEqual([0]);
  });

  it("sorts rows on the nodes and has the coordinator merge them, its plan sorting nothing", () => {
    const merged = (sql: string) => {
      const stages = stagesOf(sql);
      const root = stages[stages.length - 1];
      return { gather: stages.find((s) => s.output.kind === "gather")!, rootSorts: relsOf(root.plan).some((r) => r.sort !== undefined), explain: explainStages({ stages, names: [] }) };
    };
    // Sort keys are the sort's input columns: v (c0), then k projected as a key (c1).
    const plain = merged("SELECT v FROM big ORDER BY k DESC, v NULLS FIRST");
    expect(plain.gather.output).toEqual({ kind: "gather", order: [{ column: 1, descending: true, nullsFirst: false }, { column: 0, descending: false, nullsFirst: true }] });
    expect(relsOf(plain.gather.plan).some((r) => r.sort !== undefined)).toBe(true);
    expect(plain.rootSorts).toBe(false);
    expect(plain.explain).toContain("gather merged by c1 DESC, c0 ASC NULLS FIRST");
    // ORDER BY … LIMIT: each node's top rows, merged; the root keeps the first ones.
    const top = merged("SELECT k, v FROM big ORDER BY k LIMIT 10 OFFSET 5");
    expect(top.gather.output).toEqual({ kind: "gather", order: [{ column: 0, descending: false, nullsFirst: false }] });
    expect(relsOf(top.gather.plan).some((r) => r.fetch !== undefined)).toBe(true);
    expect(top.rootSorts).toBe(false);
    // A LIMIT over a subquery's ORDER BY (a projection between them) is each node's top rows too.
    const outer = merged("SELECT * FROM (SELECT v FROM big ORDER BY k) t LIMIT 5");
    expect(relsOf(outer.gather.plan).some((r) => r.fetch !== undefined)).toBe(true);
    expect(outer.rootSorts).toBe(false);
    // An interval key travels as text: the merge is told to compare it as an interval.
    const interval = merged("SELECT v, CASE WHEN k > 5 THEN INTERVAL '1' DAY ELSE INTERVAL '20' HOUR END AS i FROM big ORDER BY i, k");
    expect(interval.gather.output.kind === "gather" && interval.gather.output.order?.map((key) => key.interval ?? false)).toEqual([true, false]);
    expect(interval.rootSorts).toBe(false);
  });

  it("has a wide side read from chunks keep only the keys a broadcast holds, when the other side's key comes from that broadcast", () => {
    // small is broadcast to big's nodes; its v is the key mid is joined on: mid's stage reads the
    // same broadcast and keeps only rows whose v it holds, before they are hashed.
    const stages = stagesOf("SELECT mid.v, big.v FROM big JOIN small ON big.k = small.k JOIN mid ON small.v = mid.v", { broadcastRowLimit: 100_000 });
    const broadcast = stages.find((s) => s.output.kind === "broadcast" && s.scans.some((n) => n[0] === "small"))!;
    const midStage = stages.find((s) => s.scans.some((n) => n[0] === "mid"))!;
    expect(midStage.inputs, explainStages({ stages, names: [] })).toEqual([broadcast.id]);
    expect(relsOf(midStage.plan).some((r) => r.join !== undefined)).toBe(true);
    // Not for a side estimated narrower than the threshold.
    const narrow = stagesOf("SELECT mid.v, big.v FROM big JOIN small ON big.k = small.k JOIN mid ON small.v = mid.v", { broadcastRowLimit: 100_000, broadcastReductionMinBytes: 1 << 30 });
    expect(narrow.find((s) => s.scans.some((n) => n[0] === "mid"))!.inputs).toEqual([]);
  });
});

describe("joins by key range", () => {
  // big and mid are clustered on k (stored in key order): each chunk holds a narrow range of keys.
  const clustered = new MemoryCatalog([
    { ...table("big", 1_000_000), clustered: ["k"] },
    { ...table("mid", 400_000), clustered: ["k"] },
    { ...table("small", 1_500), clustered: ["k"] },
    table("loose", 1_000_000),
    table("huge", 2_000_000),
    {
      names: ["wide"],
      schema: namedStructFromColumns(["k", "v", "a", "b", "c", "d"].map((name) => ({ name, type: name === "k" ? "BIGINT" : "VARCHAR" }))),
      rowCount: 400_000,
      clustered: ["k"],
    },
  ]);
  const stagesOn = (sql: string, broadcastRowLimit = 1_000_000) => {
    const planned = planSql(sql, clustered, { twoPhaseAggregates: true });
    return fragmentPlan(planned.logical, planned.names, { broadcastRowLimit }).stages;
  };
  const joinStage = (stages: ReturnType<typeof stagesOn>) => stages.find((s) => s.scans.length === 2)!;

  it("joins two large tables clustered on the key in one stage: the side counted only where it matches is read by key range", () => {
    for (const [sql, reference, driver] of [
      ["SELECT big.v, mid.v FROM big JOIN mid ON big.k = mid.k", "mid", "big"],
      ["SELECT big.v, mid.v FROM big LEFT JOIN mid ON big.k = mid.k", "mid", "big"],
      ["SELECT big.v, mid.v FROM mid RIGHT JOIN big ON mid.k = big.k", "mid", "big"],
      ["SELECT v FROM mid WHERE EXISTS (SELECT 1 FROM big WHERE big.k = mid.k)", "big", "mid"],
      ["SELECT v FROM mid WHERE NOT EXISTS (SELECT 1 FROM big WHERE big.k = mid.k)", "big", "mid"],
    ]) {
      const stages = stagesOn(sql);
      const stage = joinStage(stages);
      expect(stage?.references, `${sql}\n${explainStages({ stages, names: [] })}`).toEqual([{ table: reference, column: "k", driver, driverColumn: "k" }]);
      // No row of either table moves for the join: the stage reading both is the first.
      expect(stage.inputs).toEqual([]);
      expect(explainStages({ stages, names: [] })).toContain(`${reference} (chunks meeting ${driver}'s by k = k)`);
    }
  });

  it("reads many filtered rows of a table by key range, and broadcasts few", () => {
    const references = (sql: string) => stagesOn(sql).flatMap((s) => s.references ?? []);
    // mid's rows where k > 5 (estimated 160k) are few enough to broadcast, and many to copy to every node.
    expect(references("SELECT big.v, mid.v FROM big JOIN mid ON big.k = mid.k WHERE mid.k > 5")).toEqual([{ table: "mid", column: "k", driver: "big", driverColumn: "k" }]);
    // Where v = 'x' (estimated 40k): broadcast.
    expect(references("SELECT big.v, mid.v FROM big JOIN mid ON big.k = mid.k WHERE mid.v = 'x'")).toEqual([]);
  });

  it("reads a table's rows joined with a broadcast by key range from fewer rows than a table's alone, unless a semi join cuts them", () => {
    const references = (sql: string) => stagesOn(sql).flatMap((s) => s.references ?? []);
    // mid's rows where v LIKE 'x%' (estimated 100k) joined with small: broadcast, they would wait for small's broadcast in a stage of their own.
    const joined = "SELECT big.v, m.v FROM big JOIN (SELECT mid.k, small.v FROM mid JOIN small ON mid.v = small.v WHERE mid.v LIKE 'x%') m ON big.k = m.k";
    const stages = stagesOn(joined);
    expect(references(joined), explainStages({ stages, names: [] })).toEqual([{ table: "mid", column: "k", driver: "big", driverColumn: "k" }]);
    expect(stages).toHaveLength(3);
    // The same rows cut by a semi join, whose share of them is a guess: broadcast.
    expect(references("SELECT big.v, m.v FROM big JOIN (SELECT mid.k, mid.v FROM mid WHERE mid.v LIKE 'x%' AND mid.k IN (SELECT small.k FROM small)) m ON big.k = m.k")).toEqual([]);
  });

  it("reads few but wide filtered rows by key range, unless their broadcast would cut a later join's side", () => {
    const references = (sql: string, broadcastRowLimit?: number) => stagesOn(sql, broadcastRowLimit).flatMap((s) => s.references ?? []);
    // wide's rows where v = 'x' (estimated 40k, megabytes): each task reads its share instead of every node all of them.
    const wideRows = "SELECT big.v, wide.a, wide.b, wide.c, wide.d FROM big JOIN wide ON big.k = wide.k WHERE wide.v = 'x'";
    expect(references(wideRows)).toEqual([{ table: "wide", column: "k", driver: "big", driverColumn: "k" }]);
    // Only their keys and one column: broadcast.
    expect(references("SELECT big.v, wide.a FROM big JOIN wide ON big.k = wide.k WHERE wide.v = 'x'")).toEqual([]);
    // Their a is the key of a join with huge (neither side small enough to broadcast under a
    // limit of 50,000 rows: their join with big is estimated at 100,000), whose rows their
    // broadcast cuts to those with such an a before they are hashed.
    const reducing = `SELECT j.*, huge.v FROM (${wideRows}) j JOIN huge ON j.a = huge.v`;
    const stages = stagesOn(reducing, 50_000);
    expect(references(reducing, 50_000), explainStages({ stages, names: [] })).toEqual([]);
    expect(stages.find((s) => s.scans.some((n) => n[0] === "huge"))!.inputs).toEqual([stages.find((s) => s.output.kind === "broadcast")!.id]);
  });

  it("keeps exchanges where a range cannot hold every match", () => {
    for (const sql of [
      // A side small enough to broadcast is broadcast (read once, its keys reducing other sides).
      "SELECT big.v, small.v FROM big JOIN small ON big.k = small.k",
      // A key the table is not clustered on: its chunks' ranges hold any key.
      "SELECT big.v, loose.v FROM big JOIN loose ON big.k = loose.k",
      // NULL keys match each other, and no range holds them.
      "SELECT big.v, mid.v FROM big JOIN mid ON big.k IS NOT DISTINCT FROM mid.k",
      // Both sides' unmatched rows count: neither may be read where the other's rows are.
      "SELECT big.v, mid.v FROM big FULL JOIN mid ON big.k = mid.k",
    ]) {
      const stages = stagesOn(sql);
      expect(stages.some((s) => s.references), `${sql}\n${explainStages({ stages, names: [] })}`).toBe(false);
    }
  });

  it("joins a table with itself by key range, the second read under a name of its own", () => {
    const stages = stagesOn("SELECT count(*) FROM big a JOIN big b ON a.k = b.k WHERE EXISTS (SELECT 1 FROM big c WHERE c.k = a.k AND c.v <> a.v)");
    const stage = stages.find((s) => s.references)!;
    expect(stage.scans.map((n) => n.join(".")).sort()).toEqual(["big", "big@range1", "big@range2"]);
    expect(stage.references).toEqual([
      { table: "big@range1", source: "big", column: "k", driver: "big", driverColumn: "k" },
      { table: "big@range2", source: "big", column: "k", driver: "big", driverColumn: "k" },
    ]);
    expect(explainStages({ stages, names: [] })).toContain("big@range1 (chunks of big meeting big's by k = k)");
  });

  it("keeps the groups of a key the rows' table is clustered on where their rows are, when no other task's chunks hold it", () => {
    const local = (sql: string) => stagesOn(sql).flatMap((s) => (s.output.kind === "hash" && s.output.local ? [s.output.local] : []));
    expect(local("SELECT k, count(*) FROM big GROUP BY k")).toEqual([{ column: 0, table: "big", tableColumn: "k" }]);
    expect(local("SELECT v, k, count(DISTINCT v) FROM big WHERE v <> 'x' GROUP BY v, k")).toHaveLength(1);
    // Not clustered on it, or grouped by something else: by hash.
    expect(local("SELECT k, count(*) FROM loose GROUP BY k")).toEqual([]);
    expect(local("SELECT v, count(*) FROM big GROUP BY v")).toEqual([]);
  });

  it("has the readers of groups kept where they are made run in the tasks that make them, when no other stage reads those groups", () => {
    const fusedOf = (sql: string) => stagesOn(sql).flatMap((s) => (s.fusedWhenKeysLocal ? [[s.id, ...s.fusedWhenKeysLocal.stages]] : []));
    // The final aggregate, and the top rows fused into it: both.
    expect(fusedOf("SELECT k, count(*) FROM big GROUP BY k HAVING count(*) > 2 ORDER BY 2 DESC LIMIT 5")).toEqual([[0, 1, 2]]);
    // The same groups read twice (one stage for both readers): neither runs in its tasks.
    expect(fusedOf("SELECT a.k, a.c, b.c FROM (SELECT k, count(*) c FROM big GROUP BY k) a JOIN (SELECT k, count(*) c FROM big GROUP BY k) b ON a.k = b.k + 1")).toEqual([]);
    // Grouped by a column the table is not clustered on: nothing is kept, nothing fused.
    expect(fusedOf("SELECT v, count(*) FROM big GROUP BY v")).toEqual([]);
  });

  it("reads each table of a chain by the ranges of the table whose chunks the tasks share", () => {
    const stages = stagesOn("SELECT count(*) FROM big JOIN mid ON big.k = mid.k JOIN loose ON loose.k = mid.k");
    const ranged = stages.filter((s) => s.references);
    expect(ranged).toHaveLength(1);
    // loose is not clustered: it is hashed with the joined rows, after the range join.
    expect(ranged[0].output.kind).toBe("hash");
  });

  it("refuses, by name, a stage whose plan nests deeper than the nodes' protobuf decoders read", () => {
    const nested = (depth: number) => `SELECT ${"abs(".repeat(depth)}k${")".repeat(depth)} FROM big`;
    expect(stagesOf(nested(20)).length).toBeGreaterThan(0);
    expect(() => stagesOf(nested(30))).toThrow(/an expression nested too deeply: its plan is \d+ messages deep/);
    // In one process the plan is not decoded: it runs.
    expect(() => planSql(nested(30), catalog, {})).not.toThrow();
  });
});
