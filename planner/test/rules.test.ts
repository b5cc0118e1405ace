// Each optimizer rule on its own, over plans the binder produced.
import { describe, expect, it } from "vitest";
import { bindQuery, ColumnIds } from "../bind/binder.ts";
import type { Expr, LogicalPlan } from "../logical.ts";
import { MemoryCatalog } from "../catalog.ts";
import { planSql } from "../index.ts";
import { splitAggregates } from "../optimize/aggregate-split.ts";
import { foldConstants, foldExpr } from "../optimize/constant-folding.ts";
import { reorderJoins } from "../optimize/join-reorder.ts";
import { keyDistinctValues } from "../optimize/cardinality.ts";
import { pushDownPredicates } from "../optimize/predicate-pushdown.ts";
import { pruneColumns } from "../optimize/projection-pruning.ts";
import { pushLimitsBelowProjections } from "../optimize/limit-pushdown.ts";
import { parseSql } from "../parse/index.ts";
import { children, conjuncts, outputColumns } from "../plan-utils.ts";
import { TPCH_QUERIES, tpchCatalog, tpchSf1Catalog } from "./tpch.ts";
import { exprText } from "../explain.ts";
import { valuesOf } from "./helpers.ts";

function bound(sql: string, catalog = tpchCatalog) {
  const ids = new ColumnIds();
  return { plan: bindQuery(parseSql(sql), catalog, ids).plan, ids };
}

function nodes(plan: LogicalPlan, kind?: LogicalPlan["kind"]): LogicalPlan[] {
  const all: LogicalPlan[] = [];
  const walk = (p: LogicalPlan) => {
    all.push(p);
    children(p).forEach(walk);
  };
  walk(plan);
  return kind ? all.filter((p) => p.kind === kind) : all;
}

function scanOf(plan: LogicalPlan, table: string) {
  return nodes(plan, "scan").find((s) => s.kind === "scan" && s.table.names[0] === table) as LogicalPlan & { kind: "scan" };
}

const text = (e: Expr) => exprText(e, (id) => `#${id}`);

describe("constant folding", () => {
  const foldedProjection = (sql: string) => {
    const { plan } = bound(sql);
    const project = nodes(foldConstants(plan), "project")[0] as LogicalPlan & { kind: "project" };
    return project.outputs.map((o) => o.expr);
  };

  it("computes DuckDB-typed arithmetic on literals", () => {
    const [a, b, c, d] = foldedProjection("select 0.06 - 0.01, 1 + 2 * 3, 100.00 * 2, 7 / 2");
    expect(a).toMatchObject({ kind: "literal", value: 5n, type: { kind: "decimal", precision: 4, scale: 2 } });
    expect(b).toMatchObject({ kind: "literal", value: 7, type: { kind: "i32" } });
    expect(c).toMatchObject({ kind: "literal", value: 20000n, type: { kind: "decimal", precision: 15, scale: 2 } });
    expect(d).toMatchObject({ kind: "literal", value: 3.5, type: { kind: "fp64" } });
  });

  it("takes a CASE whose branches are all the same expression for that expression, its conditions unevaluated", () => {
    const [same, different] = foldedProjection("select case when cast(p_size as tinyint) + cast(p_size as tinyint) > 0 then p_name when p_size = 1 then p_name else p_name end, case when p_size > 0 then p_name else p_brand end from part");
    expect(text(same)).toBe(text(foldedProjection("select p_name from part")[0]));
    expect(different.kind).toBe("case");
  });

  it("leaves overflow to the engine", () => {
    const [a] = foldedProjection("select 2147483647 + 1");
    expect(a.kind).toBe("call");
  });

  it("moves date ± interval into a DATE bound on the column", () => {
    const { plan } = bound("select l_orderkey from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day and l_commitdate < date '1994-01-31' + interval '1' month");
    const filter = nodes(foldConstants(plan), "filter")[0] as LogicalPlan & { kind: "filter" };
    expect(conjuncts(filter.predicate).map(text)).toEqual(["(#11 <= DATE '1998-09-02')", "(#12 < DATE '1994-02-28')"]);
  });

  it("compares dates with a timestamp between midnights exactly", () => {
    const { plan } = bound("select l_orderkey from lineitem where l_shipdate < timestamp '1995-03-15 12:00:00' and l_commitdate >= timestamp '1995-03-15 12:00:00'");
    const filter = nodes(foldConstants(plan), "filter")[0] as LogicalPlan & { kind: "filter" };
    expect(conjuncts(filter.predicate).map(text)).toEqual(["(#11 <= DATE '1995-03-15')", "(#12 > DATE '1995-03-15')"]);
  });

  it("simplifies boolean logic with known sides, keeping SQL's NULL", () => {
    const t = { kind: "boolean", nullable: true } as const;
    const x: Expr = { kind: "column", id: 1, type: t };
    const lit = (v: boolean | null): Expr => ({ kind: "literal", value: v, type: t });
    expect(foldExpr({ kind: "call", fn: "or", args: [x, lit(true)], type: t })).toMatchObject({ kind: "literal", value: true });
    expect(foldExpr({ kind: "call", fn: "and", args: [x, lit(true)], type: t })).toBe(x);
    expect(text(foldExpr({ kind: "call", fn: "and", args: [x, lit(null)], type: t }))).toBe("(#1 AND NULL)");
    expect(foldExpr({ kind: "call", fn: "not", args: [lit(null)], type: t })).toMatchObject({ kind: "literal", value: null });
  });
});

describe("disjunctions (TPC-H Q19)", () => {
  it("factor out the join key every branch repeats, and imply a filter for each side", () => {
    const planned = planSql(TPCH_QUERIES[18].sql, tpchCatalog);
    const join = nodes(planned.logical, "join")[0] as LogicalPlan & { kind: "join" };
    const parts = conjuncts(join.condition);
    expect(parts[0]).toMatchObject({ kind: "call", fn: "equal" });
    const part = scanOf(planned.logical, "part");
    const lineitem = scanOf(planned.logical, "lineitem");
    expect(part.filters.some((f) => f.kind === "call" && f.fn === "or" && f.args.length === 3)).toBe(true);
    expect(lineitem.filters.some((f) => f.kind === "call" && f.fn === "or" && f.args.length === 3)).toBe(true);
    // A derived filter appears once, though two pushdown passes derive it.
    expect(new Set(part.filters.map(text)).size).toBe(part.filters.length);
  });
});

describe("predicate pushdown", () => {
  it("splits a WHERE over a cross product into scans and a join condition", () => {
    const { plan } = bound("select o_orderkey from orders, customer where o_custkey = c_custkey and c_mktsegment = 'BUILDING' and o_totalprice > 10");
    const pushed = pushDownPredicates(plan);
    expect(nodes(pushed, "filter")).toEqual([]);
    const join = nodes(pushed, "join")[0] as LogicalPlan & { kind: "join" };
    expect(join.condition && text(join.condition)).toMatch(/^\(#\d+ = #\d+\)$/);
    expect(scanOf(pushed, "orders").filters.length).toBe(1);
    expect(scanOf(pushed, "customer").filters.length).toBe(1);
  });

  it("keeps a filter on the null-supplying side of a left join above it, and moves ON conjuncts of that side below", () => {
    const { plan } = bound("select c_custkey from customer left join orders on c_custkey = o_custkey and o_totalprice > 5 where o_orderkey is null and c_acctbal > 0");
    const pushed = pushDownPredicates(plan);
    const filters = nodes(pushed, "filter") as (LogicalPlan & { kind: "filter" })[];
    expect(filters.map((f) => text(f.predicate))).toEqual([expect.stringMatching(/IS NULL$/)]);
    expect(scanOf(pushed, "orders").filters.map(text)).toEqual([expect.stringMatching(/^\(#\d+ > /)]);
    expect(scanOf(pushed, "customer").filters.length).toBe(1);
  });

  it("moves filters on grouping keys below the aggregate, not those on aggregates", () => {
    const { plan } = bound("select * from (select l_returnflag, sum(l_quantity) as s from lineitem group by l_returnflag) where l_returnflag = 'R' and s > 10");
    const pushed = pushDownPredicates(plan);
    expect(scanOf(pushed, "lineitem").filters.length).toBe(1);
    const aggregate = nodes(pushed).findIndex((p) => p.kind === "aggregate");
    const filter = nodes(pushed).findIndex((p) => p.kind === "filter");
    expect(filter).toBeGreaterThanOrEqual(0);
    expect(filter).toBeLessThan(aggregate);
  });

  it("sinks a semi join below the inner join that would multiply its rows (Q18), not below one that filters them (Q21)", () => {
    const q18 = planSql(TPCH_QUERIES[17].sql, tpchCatalog).logical;
    const semi = nodes(q18).find((p) => p.kind === "join" && p.joinType === "semi") as LogicalPlan & { kind: "join" };
    expect(semi.left.kind).toBe("scan");
    const q21 = planSql(TPCH_QUERIES[20].sql, tpchCatalog).logical;
    for (const join of nodes(q21).filter((p) => p.kind === "join" && (p.joinType === "semi" || p.joinType === "anti")) as (LogicalPlan & { kind: "join" })[]) {
      expect(join.left.kind).not.toBe("scan");
    }
  });

  it("pushes into every input of a set operation", () => {
    const { plan } = bound("select * from (select n_nationkey as k from nation union all select r_regionkey from region) where k > 2");
    const pushed = pushDownPredicates(plan);
    expect(scanOf(pushed, "nation").filters.length).toBe(1);
    expect(scanOf(pushed, "region").filters.length).toBe(1);
  });
});

describe("join reordering", () => {
  const counted = tpchSf1Catalog;

  it("starts from the largest relation and builds on the smaller ones", () => {
    const { plan } = bound(TPCH_QUERIES[4].sql, counted);
    const reordered = reorderJoins(pushDownPredicates(plan));
    let deepest = nodes(reordered, "join")[0];
    while (deepest.kind === "join" && deepest.left.kind === "join") deepest = deepest.left;
    expect(deepest.kind === "join" && nodes(deepest.left, "scan").map((s) => (s as { table: { names: string[] } }).table.names[0])).toEqual(["lineitem"]);
  });

  it("joins no TPC-H relations by cross product except single-row subquery results", () => {
    for (const { name, sql } of TPCH_QUERIES) {
      const planned = planSql(sql, counted);
      for (const join of nodes(planned.logical, "join") as (LogicalPlan & { kind: "join" })[]) {
        if (join.condition) continue;
        const right = nodes(join.right).find((p) => p.kind !== "project");
        expect(right?.kind === "aggregate" && right.groups.length === 0, `${name}: cross product with ${right?.kind}`).toBe(true);
      }
    }
  });

  // SF 1 key ranges: what a cluster's chunk statistics tell the planner.
  const KEY_RANGES: Record<string, Record<string, { min: number; max: number }>> = {
    customer: { c_custkey: { min: 1, max: 150_000 }, c_nationkey: { min: 0, max: 24 } },
    supplier: { s_suppkey: { min: 1, max: 10_000 }, s_nationkey: { min: 0, max: 24 } },
    orders: { o_orderkey: { min: 1, max: 6_000_000 }, o_custkey: { min: 1, max: 149_999 } },
    lineitem: { l_orderkey: { min: 1, max: 6_000_000 }, l_suppkey: { min: 1, max: 10_000 } },
    nation: { n_nationkey: { min: 0, max: 24 }, n_regionkey: { min: 0, max: 4 } },
    region: { r_regionkey: { min: 0, max: 4 } },
  };
  const ranged = new MemoryCatalog(counted.tables().map((t) => ({ ...t, columnRanges: KEY_RANGES[t.names[0]] })));
  /** The shape of the plan's top join tree, as "(lineitem ⋈ (orders ⋈ customer))". */
  const joinShape = (plan: LogicalPlan): string => {
    const shape = (p: LogicalPlan): string => {
      if (p.kind === "scan") return p.table.names[0];
      if (p.kind === "join") return `(${shape(p.left)} ⋈ ${shape(p.right)})`;
      return children(p).map(shape).join(",");
    };
    return shape(nodes(plan, "join")[0]);
  };

  it("joins a relation that filters its only partner to that partner first", () => {
    // Q3: the building segment keeps a fifth of the customers, so of the orders; left-deep, all
    // the orders of the date range would meet lineitem before the customers filtered them.
    const { plan } = bound(TPCH_QUERIES[2].sql, ranged);
    expect(joinShape(reorderJoins(pushDownPredicates(plan)))).toBe("(lineitem ⋈ (orders ⋈ customer))");
    // Q5: region filters nation, which (with it) filters supplier; customer meets both orders and supplier.
    const q5 = joinShape(reorderJoins(pushDownPredicates(bound(TPCH_QUERIES[4].sql, ranged).plan)));
    expect(q5).toContain("(supplier ⋈ (nation ⋈ region))");
    expect(q5).not.toContain("(supplier ⋈ customer)");
  });

  it("joins the smallest satellite first: Q7's customers filter the orders before the orders meet lineitem", () => {
    // Both the German and French customers and the lineitems of their suppliers filter orders;
    // the customers are the smaller, so the orders a node holds are filtered by them in place.
    const q7 = joinShape(reorderJoins(pushDownPredicates(bound(TPCH_QUERIES[6].sql, ranged).plan)));
    expect(q7).toContain("(orders ⋈ (customer ⋈ nation))");
    expect(q7).toContain("(lineitem ⋈ (supplier ⋈ nation))");
  });

  it("filters a relation that joins a satellite's partner on the same key through a copy of the satellite", () => {
    // Q9: the green parts filter lineitem on l_partkey, and partsupp meets lineitem on ps_partkey
    // = l_partkey: partsupp gets a semi join with its own copy of the green parts.
    const q9 = planSql(TPCH_QUERIES[8].sql, ranged).logical;
    const scans = (p: LogicalPlan) => nodes(p, "scan") as (LogicalPlan & { kind: "scan" })[];
    const semis = (nodes(q9, "join") as (LogicalPlan & { kind: "join" })[]).filter((j) => j.joinType === "semi");
    expect(semis.map((j) => [scans(j.left).map((s) => s.table.names[0]), scans(j.right).map((s) => s.table.names[0])])).toEqual([[["partsupp"], ["part"]]]);
    const parts = scans(q9).filter((s) => s.table.names[0] === "part");
    expect(parts).toHaveLength(2);
    expect(parts[0].columns.map((c) => c.id)).not.toEqual(parts[1].columns.map((c) => c.id));
    const names = new Map(scans(semis[0]).flatMap((s) => s.columns.map((c) => [c.id, c.name] as const)));
    expect(exprText(semis[0].condition!, (id) => names.get(id) ?? `#${id}`)).toBe("(ps_partkey = p_partkey)");
    // A satellite a copy of which might keep other rows (a LIMIT without an order) is not copied.
    const semisIn = (sql: string) => nodes(planSql(sql, ranged).logical, "join").filter((j) => (j as { joinType: string }).joinType === "semi").length;
    const green = (limit: string) =>
      `select count(*) from lineitem, partsupp, (select p_partkey from part where p_name like '%green%'${limit}) p where p.p_partkey = l_partkey and ps_partkey = l_partkey and ps_suppkey = l_suppkey`;
    expect(semisIn(green(""))).toBe(1);
    expect(semisIn(green(" limit 100"))).toBe(0);
    // Without fresh column ids (the rule alone, as other tests call it) nothing is copied.
    expect(nodes(reorderJoins(pushDownPredicates(bound(TPCH_QUERIES[8].sql, ranged).plan)), "join").some((j) => (j as { joinType: string }).joinType === "semi")).toBe(false);
  });

  it("leaves a relation that does not filter its partner where the greedy order puts it", () => {
    const { plan } = bound("select count(*) from lineitem, orders, customer where l_orderkey = o_orderkey and o_custkey = c_custkey", ranged);
    expect(joinShape(reorderJoins(pushDownPredicates(plan)))).toBe("((lineitem ⋈ orders) ⋈ customer)");
  });

  it("counts an integer key's distinct values as its range allows: a nation key joins many to many", () => {
    const scanned = (sql: string, catalog: MemoryCatalog, table: string) => scanOf(bound(sql, catalog).plan, table);
    const column = (scan: ReturnType<typeof scanOf>, name: string): Expr => {
      const c = scan.columns.find((x) => x.name === name)!;
      return { kind: "column", id: c.id, type: c.type };
    };
    const customer = scanned("select c_nationkey from customer", ranged, "customer");
    const supplier = scanned("select s_suppkey from supplier", ranged, "supplier");
    expect(keyDistinctValues(column(customer, "c_nationkey"), [customer])).toBe(25);
    expect(keyDistinctValues(column(supplier, "s_suppkey"), [supplier])).toBe(10_000);
    // Without ranges, a key has as many values as its table has rows.
    const plain = scanned("select c_nationkey from customer", counted, "customer");
    expect(keyDistinctValues(column(plain, "c_nationkey"), [plain])).toBe(150_000);
  });

  it("keeps the column order of the tree it reorders", () => {
    const { plan } = bound("select * from nation, region, supplier where n_regionkey = r_regionkey and s_nationkey = n_nationkey", counted);
    const pushed = pushDownPredicates(plan);
    const reordered = reorderJoins(pushed);
    expect(outputColumns(reordered).map((c) => c.id)).toEqual(outputColumns(pushed).map((c) => c.id));
  });
});

describe("counts below left joins", () => {
  /** Left joins whose right side is an aggregate: the ones the rule made (none of these queries writes one). */
  const countedBelow = (sql: string, twoPhaseAggregates = true) =>
    (nodes(planSql(sql, tpchCatalog, { twoPhaseAggregates }).logical, "join") as (LogicalPlan & { kind: "join" })[]).filter(
      (j) => j.joinType === "left" && nodes(j.right, "aggregate").length > 0,
    ).length;

  it("counts a left join's matches per key before the join in staged plans (Q13)", () => {
    expect(countedBelow(TPCH_QUERIES[12].sql)).toBe(1);
    expect(countedBelow(TPCH_QUERIES[12].sql, false)).toBe(0);
    expect(countedBelow("select c_custkey, count(o_orderkey), count(o_totalprice) from customer left join orders on c_custkey = o_custkey and c_nationkey = o_orderkey group by c_custkey")).toBe(1);
  });

  it("leaves every other aggregate over a join as it is", () => {
    for (const sql of [
      "select c_custkey, count(*) from customer left join orders on c_custkey = o_custkey group by c_custkey",
      "select c_custkey, sum(o_totalprice) from customer left join orders on c_custkey = o_custkey group by c_custkey",
      "select c_custkey, count(distinct o_orderkey) from customer left join orders on c_custkey = o_custkey group by c_custkey",
      "select c_custkey, count(o_orderkey) from customer join orders on c_custkey = o_custkey group by c_custkey",
      "select c_custkey, count(o_orderkey) from customer left join orders on c_custkey < o_custkey group by c_custkey",
      "select o_orderstatus, count(o_orderkey) from customer left join orders on c_custkey = o_custkey group by o_orderstatus",
      "select c_custkey, count(o_orderkey) from customer left join orders on c_custkey = o_custkey and o_totalprice > c_acctbal group by c_custkey",
      // A key compared through a cast (c_nationkey is BIGINT, o_shippriority INTEGER).
      "select c_custkey, count(o_orderkey) from customer left join orders on c_custkey = o_custkey and c_nationkey = o_shippriority group by c_custkey",
    ]) {
      expect(countedBelow(sql), sql).toBe(0);
    }
  });
});

describe("text tests below joins", () => {
  /** The type kinds of the columns each side of the plan's joins passes on (sides in text order). */
  const sideKinds = (sql: string, twoPhaseAggregates = true) =>
    (nodes(planSql(sql, tpchSf1Catalog, { twoPhaseAggregates }).logical, "join") as (LogicalPlan & { kind: "join" })[]).map((j) =>
      [j.left, j.right].map((side) => outputColumns(side).map((c) => c.type.kind).join(",")).sort(),
    );

  it("tests a side's text before an inner join in staged plans, so the side passes a boolean (Q14)", () => {
    expect(sideKinds(TPCH_QUERIES[13].sql)).toEqual([["i64,boolean", "i64,decimal,decimal"]]);
    expect(sideKinds(TPCH_QUERIES[13].sql, false)).toEqual([["i64,decimal,decimal", "i64,string"]]);
    // Several tests, in groups and measures; the one written twice is computed once. The parts go to
    // every node, so their tests move with them; all of lineitem stays, its l_shipmode tested above the join.
    expect(sideKinds("select p_brand = 'Brand#1', sum(case when p_type like '%TIN' or p_container in ('SM BOX', 'LG BOX') then l_quantity end), count(*) filter (where l_shipmode = 'AIR' and p_type like '%TIN') from lineitem join part on l_partkey = p_partkey group by 1")).toEqual([
      ["i64,boolean,boolean,boolean", "i64,decimal,string"],
    ]);
  });

  it("leaves the text of a side the join does not move (the other side broadcast) to be tested above the join (Q12)", () => {
    // Q12: a year of lineitems (estimated small) goes to every node; orders stay where they are read.
    expect(sideKinds(TPCH_QUERIES[11].sql)).toEqual([["i64,string", "i64,string"]]);
    expect(sideKinds("select sum(case when o_orderpriority = '1-URGENT' then 1 end) from orders join lineitem on l_orderkey = o_orderkey where l_shipmode = 'MAIL'").flat().join(";")).toContain("boolean");
  });

  it("leaves text the join reads, text tested against another column, and other joins as they are", () => {
    for (const sql of [
      "select count(*) from lineitem join part on l_partkey = p_partkey and p_type = l_shipmode",
      "select sum(case when p_type = l_shipmode then 1 end) from lineitem join part on l_partkey = p_partkey",
      "select sum(case when cast(p_size as varchar) = '5' then l_quantity end) from lineitem join part on l_partkey = p_partkey",
      "select sum(case when p_type like '%TIN' then 1 end) from part left join lineitem on l_partkey = p_partkey",
      "select sum(case when p_size = 5 then l_quantity end) from lineitem join part on l_partkey = p_partkey",
    ]) {
      expect(sideKinds(sql).flat().join(";"), sql).not.toContain("boolean");
    }
  });
});

describe("decorrelated subqueries", () => {
  /** The tables scanned under each aggregate's input semi join (none: the aggregate reads its input unreduced). */
  const reducers = (sql: string) =>
    (nodes(planSql(sql, tpchCatalog).logical, "aggregate") as (LogicalPlan & { kind: "aggregate" })[]).map((a) =>
      a.input.kind === "join" && a.input.joinType === "semi" ? nodes(a.input.right, "scan").map((s) => (s as { table: { names: string[] } }).table.names[0]) : [],
    );

  it("aggregate only the groups the outer query's filtered table can ask for", () => {
    // Q17's avg(l_quantity) per part, for the parts of one brand and container (the query's own
    // lineitems filtered further, so the aggregate is not the window of the rule below).
    const q17 = "select sum(l_extendedprice) from lineitem, part where p_partkey = l_partkey and p_brand = 'Brand#23' and p_container = 'MED BOX' and l_shipmode = 'AIR' and l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey)";
    expect(reducers(q17)).toContainEqual(["part"]);
  });

  it("count an IN subquery on the outer table as its filter", () => {
    // Q20: sum(l_quantity) per part and supplier, for the partsupp rows of the 'forest' parts.
    expect(reducers(TPCH_QUERIES[19].sql)).toContainEqual(["partsupp", "part"]);
  });
});

describe("a subquery's aggregate over the query's own tables, as a window", () => {
  const scanned = (sql: string, table: string) => nodes(planSql(sql, tpchCatalog).logical, "scan").filter((s) => (s as { table: { names: string[] } }).table.names[0] === table).length;
  const windows = (sql: string) => nodes(planSql(sql, tpchCatalog).logical, "window") as (LogicalPlan & { kind: "window" })[];
  const q17 = (outer: string, subquery: string) =>
    `select sum(l_extendedprice) / 7.0 from lineitem, part where p_partkey = l_partkey and p_brand = 'Brand#23' and p_container = 'MED BOX'${outer} and l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey${subquery})`;

  it("reads the tables once, the aggregate a window partitioned by the key over the rows of the keys the query keeps (Q2, Q17)", () => {
    expect(scanned(TPCH_QUERIES[1].sql, "partsupp")).toBe(1);
    expect(scanned(TPCH_QUERIES[16].sql, "lineitem")).toBe(1);
    const [window] = windows(TPCH_QUERIES[16].sql);
    const key = text(window.functions[0].call.partitionBy[0]);
    expect(window.functions.map((f) => `${f.call.fn} ${f.call.partitionBy.map(text).join()}`)).toEqual([`sum ${key}`, `count ${key}`]);
    // The window reads only the lineitems of the brand's parts: a semi join with them below it.
    expect(window.input.kind === "join" && window.input.joinType).toBe("semi");
    expect(nodes(window.input, "scan").map((s) => (s as { table: { names: string[] } }).table.names[0]).sort()).toEqual(["lineitem", "part"]);
    // Conditions of the query on its tables beside the key (a filter on lineitem in both) still match.
    expect(scanned(q17(" and l_shipmode = 'AIR'", " and l_shipmode = 'AIR'"), "lineitem")).toBe(1);
  });

  it("keeps the aggregate where the subquery's rows are not the query's, or the query keeps most keys", () => {
    // The subquery filters lineitem where the query does not, or otherwise.
    expect(scanned(q17("", " and l_shipmode = 'AIR'"), "lineitem")).toBe(2);
    expect(scanned(q17(" and l_shipmode = 'AIR'", ""), "lineitem")).toBe(2);
    expect(scanned(q17(" and l_shipmode = 'AIR'", " and l_shipmode = 'RAIL'"), "lineitem")).toBe(2);
    // Every part's lineitems: a window over all of lineitem costs more than the aggregate.
    expect(scanned("select count(*) from lineitem, part where p_partkey = l_partkey and l_quantity < (select avg(l_quantity) from lineitem where l_partkey = p_partkey)", "lineitem")).toBe(2);
    // Over lineitem alone a window would move every lineitem by its part; the aggregate moves parts.
    expect(scanned("select count(*) from lineitem l where l_quantity = (select max(l_quantity) from lineitem l2 where l2.l_partkey = l.l_partkey)", "lineitem")).toBe(2);
    // A count over no rows is 0, not NULL: a left join the rule leaves alone.
    expect(windows("select count(*) from part where p_brand = 'Brand#23' and p_size > (select count(*) from lineitem where l_partkey = p_partkey)")).toEqual([]);
  });

  it("totals the groups of the query's own aggregate for a sum of the same rows (Q11)", () => {
    expect(scanned(TPCH_QUERIES[10].sql, "partsupp")).toBe(1);
    const [window] = windows(TPCH_QUERIES[10].sql);
    expect(window.functions.map((f) => [f.call.fn, f.call.partitionBy.length])).toEqual([["sum", 0]]);
    expect(window.input.kind).toBe("aggregate");
    // An average of the whole is not one of the groups' averages; another country's rows are other rows.
    expect(scanned(TPCH_QUERIES[10].sql.replace("sum(ps_supplycost * ps_availqty) * 0.0001", "avg(ps_supplycost * ps_availqty)"), "partsupp")).toBe(2);
    expect(scanned(TPCH_QUERIES[10].sql.replace(/'GERMANY'([\s\S]*)'GERMANY'/, "'GERMANY'$1'FRANCE'"), "partsupp")).toBe(2);
  });
});

describe("projection pruning", () => {
  it("reads only the columns a query uses", () => {
    const planned = planSql(TPCH_QUERIES[5].sql, tpchCatalog);
    expect(scanOf(planned.logical, "lineitem").columns.map((c) => c.name).sort()).toEqual(["l_discount", "l_extendedprice"]);
    expect(scanOf(planned.logical, "lineitem").filters.length).toBe(5);
  });

  it("drops unused aggregate measures and join columns", () => {
    const { plan } = bound("select l_returnflag from (select l_returnflag, sum(l_quantity), max(l_tax) from lineitem group by l_returnflag) x join orders on true");
    const pruned = pruneColumns(plan);
    const aggregate = nodes(pruned, "aggregate")[0] as LogicalPlan & { kind: "aggregate" };
    expect(aggregate.measures).toEqual([]);
    expect(scanOf(pruned, "lineitem").columns.map((c) => c.name)).toEqual(["l_returnflag"]);
    expect(scanOf(pruned, "orders").columns.length).toBe(1);
    const join = nodes(pruned, "join")[0] as LogicalPlan & { kind: "join" };
    expect(join.emit?.length).toBe(1);
  });
});

describe("aggregate split", () => {
  it("makes a partial and a final phase of each aggregate", () => {
    const { plan, ids } = bound("select l_returnflag, sum(l_quantity), count(*), avg(l_tax) from lineitem group by l_returnflag");
    const split = splitAggregates(plan, ids);
    const aggregates = nodes(split, "aggregate") as (LogicalPlan & { kind: "aggregate" })[];
    expect(aggregates.map((a) => a.phase)).toEqual(["final", "partial"]);
    const [final, partial] = aggregates;
    expect(partial.measures.map((m) => m.call.fn)).toEqual(["sum", "count", "sum", "count"]);
    expect(final.measures.every((m) => m.call.args.length === 1 && m.call.args[0].kind === "column")).toBe(true);
    expect(final.groups.map((g) => g.column.id)).toEqual((nodes(plan, "aggregate")[0] as typeof final).groups.map((g) => g.column.id));
  });

  it("names the same implementation in both phases", () => {
    const planned = planSql("select count(*), sum(l_linenumber) from lineitem", tpchCatalog, { twoPhaseAggregates: true });
    const measures = (valuesOf(planned.plan, "measures") as { measure: { functionReference: number; phase: number } }[][]).map((ms) =>
      ms.map((m) => [m.measure.phase, planned.plan.extensions.find((e) => e.extensionFunction?.functionAnchor === m.measure.functionReference)?.extensionFunction?.name]),
    );
    expect(measures).toEqual([
      [[1, "count:"], [1, "sum:i32"]],
      [[4, "count:"], [4, "sum:i32"]],
    ]);
  });

  it("leaves an aggregate with DISTINCT in one phase", () => {
    const { plan, ids } = bound("select count(distinct l_suppkey) from lineitem");
    const aggregates = nodes(splitAggregates(plan, ids), "aggregate") as (LogicalPlan & { kind: "aggregate" })[];
    expect(aggregates.map((a) => a.phase)).toEqual(["single"]);
  });
});

describe("limit pushdown", () => {
  it("moves a LIMIT below the projections above it, onto the ORDER BY they read", () => {
    const { plan } = bound("select k1 from (select o_orderkey + 1 as k1, o_totalprice from orders order by o_totalprice desc) t limit 3");
    // A chain of projections: each is passed.
    const chain = pushLimitsBelowProjections(bound("select k2 from (select k1 + 1 as k2 from (select o_orderkey as k1 from orders) a) b limit 2").plan);
    expect(nodes(chain).map((p) => p.kind)).toEqual(["project", "project", "project", "limit", "scan"]);
    expect(nodes(plan).map((p) => p.kind).slice(0, 3)).toEqual(["limit", "project", "sort"]);
    const pushed = pushLimitsBelowProjections(plan);
    expect(nodes(pushed).map((p) => p.kind).slice(0, 3)).toEqual(["project", "limit", "sort"]);
    expect(outputColumns(pushed)).toEqual(outputColumns(plan));
  });
});
