import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { planSql } from "../../planner/index.ts";
import { Plan } from "../../proto/index.ts";
import { isUserError } from "../../common/errors.ts";
import { LocalEngine, loadPlan } from "../index.ts";
import { duckdbOrdersJoins } from "../substrait/join-order.ts";
import { TPCH_TABLE_NAMES } from "../../datagen/tpch/schema.ts";
import { rowsAsText, sameRows } from "./compare.ts";
import { tpchFixture, type TpchFixture } from "./data.ts";

let fixture: TpchFixture;
beforeAll(async () => {
  fixture = await tpchFixture();
});
afterAll(() => fixture?.dispose());

const QUERIES = join(import.meta.dirname, "..", "..", "sql-tests", "tpch", "queries");

async function run(sql: string, twoPhaseAggregates = false) {
  const planned = planSql(sql, fixture.engine.catalog(), { twoPhaseAggregates });
  return fixture.engine.execute(planned.plan);
}

describe("TPC-H through the planner's plans", () => {
  const ids = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);
  it.each(ids)("%s gives DuckDB's answer, in one phase and in two", async (id) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const reference = await fixture.reference(sql);
    const expected = rowsAsText(reference.table, reference.names);
    for (const twoPhase of [false, true]) {
      const ours = await run(sql, twoPhase);
      expect(ours.names.length).toBe(reference.names.length);
      // Every TPC-H query orders its output, on keys that are unique (or ties we compare as sets).
      expect(sameRows(rowsAsText(ours.table, ours.names), expected, false)).toBe(true);
    }
  });
});

describe("an engine joining in the plan's order (a stage task's)", () => {
  /** The smallest parenthesized part of `sql` holding both texts. */
  const enclosing = (sql: string, a: string, b: string) => {
    const [from, to] = [Math.min(sql.indexOf(a), sql.indexOf(b)), Math.max(sql.indexOf(a), sql.indexOf(b))];
    const opens: number[] = [];
    let best = sql;
    for (let i = 0; i < sql.length; i++) {
      if (sql[i] === "(") opens.push(i);
      else if (sql[i] === ")") {
        const open = opens.pop()!;
        if (open < from && i > to && i - open < best.length) best = sql.slice(open, i + 1);
      }
    }
    return best;
  };

  it("keeps a join whose right side is a join apart, and gives DuckDB's answers", async () => {
    const ordered = await LocalEngine.open({ threads: 2, planJoinOrder: true });
    try {
      for (const table of TPCH_TABLE_NAMES) await ordered.registerParquet([table], [join(fixture.dir, `${table}.parquet`)]);
      // Q9 joins orders to lineitem's join with part and partsupp: in one FROM list DuckDB would join orders to lineitem first.
      const q9 = planSql(readFileSync(join(QUERIES, "q09.sql"), "utf8"), ordered.catalog(), { twoPhaseAggregates: true }).plan;
      const nested = enclosing(ordered.translate(q9).sql, "lineitem.parquet", "part.parquet");
      expect(nested).toMatch(/partsupp\.parquet/);
      expect(nested).not.toMatch(/orders\.parquet/);
      expect(enclosing(fixture.engine.translate(q9).sql, "lineitem.parquet", "part.parquet")).toMatch(/orders\.parquet/);
      for (const id of Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`)) {
        const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
        const reference = await fixture.reference(sql);
        const ours = await ordered.execute(planSql(sql, ordered.catalog(), { twoPhaseAggregates: true }).plan);
        expect(sameRows(rowsAsText(ours.table, ours.names), rowsAsText(reference.table, reference.names), false), id).toBe(true);
      }
    } finally {
      ordered.close();
    }
  });
});

describe("which plans DuckDB orders on an engine keeping the plan's order", () => {
  const decided = (sql: string, files = (names: readonly string[]) => names[0] !== "nation") =>
    duckdbOrdersJoins(planSql(sql, fixture.engine.catalog(), { twoPhaseAggregates: true }).plan, files);

  it("are those with a semi or anti join over files and at most two inner joins", () => {
    // Q21's shape: a late lineitem of an order whose other lineitems come from another supplier.
    const exists = "EXISTS (SELECT 1 FROM lineitem l2 WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey)";
    expect(decided(`SELECT count(*) FROM lineitem l1, orders WHERE o_orderkey = l1.l_orderkey AND ${exists}`)).toBe(true);
    expect(decided(`SELECT count(*) FROM lineitem l1 WHERE NOT ${exists}`)).toBe(true);
    // Three inner joins: the plan's order stands.
    expect(decided(`SELECT count(*) FROM lineitem l1, orders, customer, nation WHERE o_orderkey = l1.l_orderkey AND c_custkey = o_custkey AND n_nationkey = c_nationkey AND ${exists}`)).toBe(false);
    // No existence join, or one over rows another stage sent (here nation, as if it were such rows).
    expect(decided("SELECT count(*) FROM lineitem, orders WHERE o_orderkey = l_orderkey")).toBe(false);
    expect(decided("SELECT count(*) FROM customer WHERE EXISTS (SELECT 1 FROM nation WHERE n_nationkey = c_nationkey)")).toBe(false);
    expect(decided("SELECT count(*) FROM customer WHERE EXISTS (SELECT 1 FROM nation WHERE n_nationkey = c_nationkey)", () => true)).toBe(true);
  });
});

describe("the parquet scan", () => {
  it("receives the pushed filter and only the needed columns", async () => {
    const planned = planSql("select l_orderkey from lineitem where l_shipdate < date '1993-01-01' and l_quantity > 30", fixture.engine.catalog());
    const { sql } = fixture.engine.translate(planned.plan);
    const explained = await fixture.reference(`EXPLAIN ${sql}`);
    const text = rowsAsText(explained.table, explained.names).join("\n");
    const scan = text.slice(text.search(/READ_PARQUET|PARQUET_SCAN|TABLE_SCAN/));
    expect(scan).toMatch(/Filters:[\s\S]*l_shipdate/);
    expect(scan).toMatch(/l_quantity/);
    expect(scan).not.toMatch(/l_comment/);
  });

  it("reads files whose columns differ by the columns' names, a column a file lacks NULL there and the column nullable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trustql-grown-"));
    const engine = await LocalEngine.open({ threads: 1 });
    try {
      const selects = ["SELECT i AS id, i * 2 AS v FROM range(3) t(i)", "SELECT i * 2 AS v, i AS id FROM range(3, 6) t(i)", "SELECT i AS id, 'new' AS note FROM range(6, 9) t(i)"];
      const files = selects.map((select, k) => ({ select, file: join(dir, `part-${k}.parquet`) }));
      for (const { select, file } of files) await fixture.reference(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
      await engine.registerParquet(["grown"], files.map((f) => f.file));
      const { plan } = planSql("select count(*), count(v), sum(v - 2 * id), count(note), max(id) from grown where v is null or v >= 0", engine.catalog());
      const result = await engine.execute(plan);
      expect(rowsAsText(result.table, result.names)).toEqual(["9|6|0|3|8"]);
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a table read by key range", () => {
  it("filters each file it narrows by that file's ranges, and reads the others whole", async () => {
    const engine = await LocalEngine.open();
    const dir = mkdtempSync(join(tmpdir(), "trustql-ranges-"));
    try {
      const files = [join(dir, "a.parquet"), join(dir, "b.parquet"), join(dir, "c.parquet")];
      for (const [i, file] of files.entries()) await engine.runReferenceSql(`COPY (SELECT range::BIGINT AS k FROM range(${i * 10 + 1}, ${i * 10 + 11})) TO '${file}' (FORMAT parquet)`);
      const columns = [{ name: "k", type: { i64: { typeVariationReference: 0, nullability: 1 } } }] as never;
      const keysRead = async (narrowed: { file: string; ranges: [string, string][] }[]) => {
        engine.registerParquetAs(["t"], files, columns, 30, { column: "k", files: narrowed });
        const { table } = await engine.execute(planSql("SELECT k FROM t ORDER BY k", engine.catalog()).plan);
        await engine.reset();
        return Array.from(table.getChild("k")!.toArray() as BigInt64Array, Number);
      };
      // The ranges of one file are not another's: here a file's ranges leave out rows a real read would keep, to show which file is filtered by which.
      expect(await keysRead([{ file: files[1], ranges: [["12", "13"], ["15", "15"]] }, { file: files[2], ranges: [["29", "40"]] }])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 29, 30]);
      expect(await keysRead([{ file: files[0], ranges: [["12", "13"]] }, { file: files[1], ranges: [["12", "13"]] }, { file: files[2], ranges: [] }])).toEqual([12, 13]);
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("results as Arrow", () => {
  it("keeps decimals exact, dates as days and NULLs as nulls", async () => {
    const result = await run(
      "select cast(-1234567890123.45 as decimal(15,2)) as money, date '1998-12-01' as day, cast(null as bigint) as nothing, 'héllo' as text, 1.5e0 as real",
    );
    const table = result.table;
    expect(table.schema.fields.map((f) => f.type.toString())).toEqual([
      "Decimal[15e+2]",
      "Date32<DAY>",
      "Int64",
      "Utf8",
      "Float64",
    ].map((t) => expect.stringContaining(t.split("<")[0].split("[")[0])));
    expect(rowsAsText(table, result.names)).toEqual(["-1234567890123.45|1998-12-01|NULL|héllo|1.50000000000"]);
  });

  it("casts DuckDB's HUGEINT sum to the plan's decimal<38,0>", async () => {
    const result = await run("select sum(l_orderkey) as total from lineitem");
    expect(arrow.DataType.isDecimal(result.table.schema.fields[0].type)).toBe(true);
    const reference = await fixture.reference("select sum(l_orderkey)::varchar from lineitem");
    expect(rowsAsText(result.table, result.names)).toEqual(rowsAsText(reference.table, reference.names));
  });

  it("returns an empty table with the right columns when nothing matches", async () => {
    const result = await run("select l_orderkey, l_comment from lineitem where l_quantity < 0");
    expect(result.table.numRows).toBe(0);
    expect(result.table.numCols).toBe(2);
  });
});

describe("errors", () => {
  it("names a table the plan reads that is not registered", async () => {
    const plan = planSql("select n_name from nation", fixture.engine.catalog()).plan;
    const read = JSON.stringify(Plan.toJSON(plan)).replace('"nation"', '"nowhere"');
    const error = await fixture.engine.execute(Plan.fromJSON(JSON.parse(read))).catch((e) => e);
    expect(isUserError(error)).toBe(true);
    expect(error.message).toMatch(/table nowhere, which is not registered/);
  });

  it("names a function the executor does not know", async () => {
    const plan = planSql("select upper(n_name) from nation", fixture.engine.catalog()).plan;
    plan.extensions[0].extensionFunction!.name = "frobnicate:str";
    const error = await fixture.engine.execute(plan).catch((e) => e);
    expect(error.message).toBe("unsupported: function frobnicate:str");
  });

  it("reports DuckDB's overflow as the user's error, in one line", async () => {
    const error = await run("select cast(9223372036854775807 as bigint) + l_orderkey from lineitem").catch((e) => e);
    expect(isUserError(error)).toBe(true);
    expect(error.message).not.toContain("\n");
  });

  it("stops a query when its signal aborts", async () => {
    const planned = planSql(
      "select count(*) from lineitem a, lineitem b, lineitem c where a.l_comment < b.l_comment and b.l_comment < c.l_comment",
      fixture.engine.catalog(),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await fixture.engine.execute(planned.plan, { signal: controller.signal }).catch((e) => e);
    expect(error.message).toBe("query cancelled");
  });

  it("reports progress while a long query runs", async () => {
    const planned = planSql("select count(*) from lineitem a, lineitem b where a.l_comment < b.l_comment", fixture.engine.catalog());
    const seen: number[] = [];
    await fixture.engine.execute(planned.plan, { onProgress: (p) => seen.push(p.percent) });
    for (const p of seen) expect(p === -1 || (p >= 0 && p <= 100)).toBe(true);
  });
});

describe("plan files", () => {
  const plan = () => planSql("select n_name from nation where n_nationkey < 3", fixture.engine.catalog()).plan;

  it("reads binary and proto3 JSON plans alike", async () => {
    const binary = loadPlan(Plan.encode(plan()).finish(), "q.bin");
    const json = loadPlan(new TextEncoder().encode(JSON.stringify(Plan.toJSON(plan()))), "q.json");
    const [a, b] = [await fixture.engine.execute(binary), await fixture.engine.execute(json)];
    expect(rowsAsText(a.table, a.names)).toEqual(rowsAsText(b.table, b.names));
    expect(a.table.numRows).toBeGreaterThan(0);
  });

  it("refuses a binary plan with a field Substrait does not define", () => {
    const bytes = Plan.encode(plan()).finish();
    const extra = new Uint8Array([...bytes, 0x98, 0x06, 1]); // tag of field 99 (varint 792), value 1
    expect(() => loadPlan(extra, "q.bin")).toThrow(/field number 99 at plan/);
  });

  it("refuses a JSON plan with a key Substrait does not define", () => {
    const json = Plan.toJSON(plan()) as Record<string, unknown>;
    const relations = json.relations as { root: { input: Record<string, unknown> } }[];
    (relations[0].root.input as Record<string, Record<string, unknown>>)[Object.keys(relations[0].root.input)[0]].frobnicate = 1;
    expect(() => loadPlan(new TextEncoder().encode(JSON.stringify(json)), "q.json")).toThrow(/unknown field .*frobnicate/);
  });

  it("accepts snake_case keys and deprecated fields older producers send", () => {
    const text = JSON.stringify(Plan.toJSON(plan())).replace(/"baseSchema"/g, '"base_schema"');
    expect(loadPlan(new TextEncoder().encode(text), "q.json").relations.length).toBe(1);
  });

  it("says what is wrong with bytes that are not a plan", () => {
    expect(() => loadPlan(new Uint8Array([0xff, 0xff, 0xff]), "junk.bin")).toThrow(/junk.bin: not a/);
    expect(() => loadPlan(new TextEncoder().encode("{ nope"), "junk.json")).toThrow(/junk.json: not valid JSON/);
  });
});

describe("WITH RECURSIVE's extension relations", () => {
  const sql = "with recursive r(n, name) as (select 0, 'ALGERIA' union all select n + 1, n_name from r join nation on n_nationkey = r.n + 1 where n < 4) select n, name from r";
  const plan = () => planSql(sql, fixture.engine.catalog()).plan;
  const recursion = (p: Plan) => p.relations[0].root!.input!.project?.input?.extensionMulti ?? p.relations[0].root!.input!.extensionMulti;

  it("run from binary and proto3 JSON plans alike, as DuckDB runs the SQL", async () => {
    const reference = await fixture.reference(sql);
    for (const loaded of [loadPlan(Plan.encode(plan()).finish(), "q.bin"), loadPlan(new TextEncoder().encode(JSON.stringify(Plan.toJSON(plan()))), "q.json")]) {
      const ours = await fixture.engine.execute(loaded);
      expect(sameRows(rowsAsText(ours.table, ours.names), rowsAsText(reference.table, reference.names), true)).toBe(true);
    }
    expect(plan().expectedTypeUrls.sort()).toEqual(["type.googleapis.com/trustql.plan.v1.RecursiveUnion", "type.googleapis.com/trustql.plan.v1.WorkingTable"]);
  });

  it("refuse a working table read outside its recursion, and extension relations of other producers", async () => {
    const outside = plan();
    const multi = recursion(outside)!;
    expect(multi).toBeDefined();
    outside.relations[0].root!.input = multi.inputs[1];
    await expect(fixture.engine.execute(outside)).rejects.toThrow(/working table "recursive_\d+" is read outside the step of its recursion/);
    const foreign = plan();
    recursion(foreign)!.detail!.typeUrl = "type.googleapis.com/other.Thing";
    await expect(fixture.engine.execute(foreign)).rejects.toThrow(/unsupported: extension relation type.googleapis.com\/other.Thing/);
  });
});
