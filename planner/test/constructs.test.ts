// Every construct the planner supports produces a Substrait plan that survives encode/decode,
// with the relations and functions that construct calls for.
import { describe, expect, it } from "vitest";
import { JoinRel_JoinType, Plan, SetRel_SetOp } from "../../proto/index.ts";
import { planSql } from "../index.ts";
import { declaredFunctions, relsOf, roundTrips, valuesOf } from "./helpers.ts";
import { tpchCatalog } from "./tpch.ts";
import { MemoryCatalog } from "../catalog.ts";
import { namedStructFromColumns } from "../../exec/types.ts";

function plan(sql: string) {
  const planned = planSql(sql, tpchCatalog);
  for (const options of [{ optimize: false }, { twoPhaseAggregates: true }]) {
    expect(roundTrips(planSql(sql, tpchCatalog, options).plan)).toBe(true);
  }
  expect(roundTrips(planned.plan)).toBe(true);
  expect(planned.plan.version).toMatchObject({ majorNumber: 0, minorNumber: 84, patchNumber: 0, producer: "trustql" });
  expect(planned.plan.extensionUris).toEqual([]);
  return planned;
}

function joinTypes(p: Plan): number[] {
  return relsOf(p).filter((r) => r.join).map((r) => r.join!.type);
}

describe("constructs", () => {
  it("projection with aliases and expressions", () => {
    const p = plan("select l_orderkey, l_quantity * 2 as q, 1 from lineitem");
    expect(p.names).toEqual(["l_orderkey", "q", "1"]);
    expect(declaredFunctions(p.plan)).toContain("multiply:dec_dec");
    const read = relsOf(p.plan).find((r) => r.read)!.read!;
    expect(read.namedTable?.names).toEqual(["lineitem"]);
    expect(read.projection?.select?.structItems.map((i) => i.field)).toEqual([0, 4]);
  });

  it("WHERE goes into the scan", () => {
    const p = plan("select l_orderkey from lineitem where l_quantity < 24 and l_shipmode = 'AIR'");
    const read = relsOf(p.plan).find((r) => r.read)!.read!;
    expect(read.filter).toBeDefined();
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["lt:any_any", "equal:any_any", "and:bool"]));
  });

  it.each([
    ["join", JoinRel_JoinType.JOIN_TYPE_INNER],
    ["left join", JoinRel_JoinType.JOIN_TYPE_LEFT],
    ["left outer join", JoinRel_JoinType.JOIN_TYPE_LEFT],
    ["right join", JoinRel_JoinType.JOIN_TYPE_RIGHT],
    ["full outer join", JoinRel_JoinType.JOIN_TYPE_OUTER],
  ])("%s", (kind, expected) => {
    const p = plan(`select c_name, o_orderkey from customer ${kind} orders on c_custkey = o_custkey`);
    expect(joinTypes(p.plan)).toEqual([expected]);
  });

  it("cross join", () => {
    const p = plan("select n_name, r_name from nation cross join region");
    expect(relsOf(p.plan).some((r) => r.cross)).toBe(true);
  });

  it("join with USING", () => {
    const p = plan("select * from (select n_regionkey as k, n_name from nation) a join (select r_regionkey as k, r_name from region) b using (k)");
    expect(p.names).toEqual(["k", "n_name", "r_name"]);
  });

  it("EXISTS and NOT EXISTS are semi and anti joins", () => {
    const p = plan(
      "select o_orderkey from orders where exists (select * from lineitem where l_orderkey = o_orderkey) and not exists (select * from lineitem where l_orderkey = o_orderkey and l_quantity > 40)",
    );
    expect(joinTypes(p.plan).sort()).toEqual([JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI, JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI].sort());
  });

  it("IN (subquery) is a semi join", () => {
    const p = plan("select o_orderkey from orders where o_custkey in (select c_custkey from customer where c_acctbal > 0)");
    expect(joinTypes(p.plan)).toEqual([JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI]);
  });

  it("NOT IN (subquery) over nullable columns is an anti join guarded by the subquery's counts", () => {
    const p = plan("select o_orderkey from orders where o_custkey not in (select c_custkey from customer)");
    // The anti join on equality, then the guard: a join with the one-row aggregate of the subquery.
    expect(joinTypes(p.plan)).toContain(JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI);
    expect(relsOf(p.plan).filter((r) => r.aggregate && r.aggregate.groupings.length === 0).length).toBe(1);
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["count:", "count:any", "is_not_null:any"]));
  });

  it("GROUP BY and HAVING", () => {
    const p = plan("select l_returnflag, sum(l_quantity), count(*) from lineitem group by l_returnflag having count(*) > 10");
    expect(p.names).toEqual(["l_returnflag", "sum(l_quantity)", "count_star()"]);
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["sum:dec", "count:", "gt:any_any"]));
  });

  it("an aggregate of two arguments before FILTER is named by both, and by its FILTER", () => {
    const p = plan("select corr(l_quantity, l_discount) filter (where l_tax > 0), regr_count(l_quantity, l_tax) filter (where l_discount > 0) from lineitem");
    expect(p.names).toEqual(["corr(l_quantity, l_discount) FILTER (WHERE (l_tax > 0))", "regr_count(l_quantity, l_tax) FILTER (WHERE (l_discount > 0))"]);
  });

  it("a call is named by its arguments, as DuckDB names it", () => {
    const p = plan("select round(avg(l_tax), 2), max(upper(substring(l_comment, 1, 3))), corr(l_quantity, l_discount), concat('a', l_comment) from lineitem group by l_comment");
    expect(p.names).toEqual(["round(avg(l_tax), 2)", `max(upper(main."substring"(l_comment, 1, 3)))`, "corr(l_quantity, l_discount)", "concat('a', l_comment)"]);
  });

  it("an operator DuckDB names by its own operator or function is named so", () => {
    const p = plan(
      "select l_comment like 'a%', l_comment not ilike 'a%', l_comment glob 'a*', l_comment similar to 'a.*', l_comment !~ 'a', " +
        "l_tax is distinct from l_discount, l_tax between 0 and 1, l_tax not between 0 and 1, l_linenumber in (1, 2), l_linenumber not in (3), (l_tax, l_discount) from lineitem",
    );
    expect(p.names).toEqual([
      "(l_comment ~~ 'a%')",
      "(l_comment !~~* 'a%')",
      "(l_comment ~~~ 'a*')",
      "regexp_full_match(l_comment, 'a.*')",
      "(NOT regexp_full_match(l_comment, 'a'))",
      "(l_tax IS DISTINCT FROM l_discount)",
      "(l_tax BETWEEN 0 AND 1)",
      "(NOT (l_tax BETWEEN 0 AND 1))",
      "(l_linenumber IN (1, 2))",
      "(l_linenumber NOT IN (3))",
      'main."row"(l_tax, l_discount)',
    ]);
  });

  it("an expression is named as DuckDB names it: a keyword's call quoted, a CASE, NOT, a sign, IS TRUE, a boolean", () => {
    const p = plan(
      "select left(l_comment, 2), year(l_shipdate), coalesce(l_tax, 0), ifnull(l_discount, 0), if(l_tax > 0, 1, 2), case when l_tax > 0 then 'a' end, case l_linenumber when 1 then 'a' else 'b' end, " +
        "not (l_tax > 0), not l_linenumber in (1, 2), not (l_comment like 'a%'), -l_tax, - 1, l_tax <> 0, (l_tax > 0) is true, true, position('a' in l_comment), " +
        "current_date, extract(year from l_shipdate) from lineitem",
    );
    expect(p.names).toEqual([
      `"left"(l_comment, 2)`,
      `"year"(l_shipdate)`,
      "COALESCE(l_tax, 0)",
      "COALESCE(l_discount, 0)",
      "CASE  WHEN ((l_tax > 0)) THEN (1) ELSE 2 END",
      "CASE  WHEN ((l_tax > 0)) THEN ('a') ELSE NULL END",
      "CASE  WHEN ((l_linenumber = 1)) THEN ('a') ELSE 'b' END",
      "(l_tax <= 0)",
      "(l_linenumber NOT IN (1, 2))",
      "(NOT (l_comment ~~ 'a%'))",
      "-(l_tax)",
      "-1",
      "(l_tax != 0)",
      "(CAST((l_tax > 0) AS BOOLEAN) IS NOT DISTINCT FROM true)",
      "CAST('t' AS BOOLEAN)",
      `main."position"(l_comment, 'a')`,
      "current_date",
      "main.date_part('year', l_shipdate)",
    ]);
    const aggregates = plan("select string_agg(l_comment, ';' order by l_tax desc), first(l_tax order by l_tax), count(*) filter (where l_tax > 0) from lineitem");
    expect(aggregates.names).toEqual(["string_agg(l_comment, ';' ORDER BY l_tax DESC)", `"first"(l_tax ORDER BY l_tax)`, "count_star() FILTER (WHERE (l_tax > 0))"]);
  });

  it("a typed literal is named as the cast of its text, as DuckDB names it", () => {
    const p = plan(
      "select date '2024-01-01', time '10:00:00', timestamp '2024-01-01 10:00:00', timestamptz '2024-01-01 10:00:00+00', " +
        "uuid '12345678-1234-5678-1234-567812345678', integer '42', double '1.5', date '2024-01-01' + 1 from lineitem",
    );
    expect(p.names).toEqual([
      `CAST('2024-01-01' AS "DATE")`,
      "CAST('10:00:00' AS TIME)",
      "CAST('2024-01-01 10:00:00' AS TIMESTAMP)",
      `CAST('2024-01-01 10:00:00+00' AS "TIMESTAMP WITH TIME ZONE")`,
      `CAST('12345678-1234-5678-1234-567812345678' AS "UUID")`,
      "CAST('42' AS INTEGER)",
      `CAST('1.5' AS "DOUBLE")`,
      `(CAST('2024-01-01' AS "DATE") + 1)`,
    ]);
  });

  it("json_group_array and json_group_object take FILTER (DuckDB's macros refuse it), and no window", () => {
    const p = plan("select json_group_object(c_mktsegment, c_custkey) filter (where c_custkey < 3), json_group_array(c_name) filter (c_acctbal > 0) from customer");
    expect(p.names).toEqual(["json_group_object(c_mktsegment, c_custkey) FILTER (WHERE (c_custkey < 3))", "json_group_array(c_name) FILTER (WHERE (c_acctbal > 0))"]);
    expect(() => plan("select json_group_array(c_name) over () from customer")).toThrow(/json_group_array over a window/);
  });

  it("a window call is named by its call and its whole window, as DuckDB names it", () => {
    const p = plan(
      "select rank() over (order by l_tax), sum(l_quantity) over (partition by l_returnflag, l_linenumber % 2 order by l_tax desc nulls first rows between 1 preceding and current row), " +
        "lag(l_comment, 1, 'x') over w, count(*) over (), l_tax + sum(l_tax) filter (where l_tax > 0) over (), count(distinct l_tax) over (partition by l_tax), " +
        "first_value(l_tax ignore nulls) over (order by l_tax rows unbounded preceding), list(l_tax order by l_tax desc) over (), " +
        "avg(l_tax) over (order by l_tax groups between current row and unbounded following exclude ties), sum(l_tax) over (order by l_tax range between unbounded preceding and current row) " +
        "from lineitem window w as (order by l_orderkey)",
    );
    expect(p.names).toEqual([
      "rank() OVER (ORDER BY l_tax)",
      "sum(l_quantity) OVER (PARTITION BY l_returnflag, (l_linenumber % 2) ORDER BY l_tax DESC NULLS FIRST ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
      "lag(l_comment, 1, 'x') OVER (ORDER BY l_orderkey)",
      "count() OVER ()",
      "(l_tax + sum(l_tax) FILTER (WHERE (l_tax > 0)) OVER ())",
      "count(DISTINCT l_tax) OVER (PARTITION BY l_tax)",
      "first_value(l_tax IGNORE NULLS) OVER (ORDER BY l_tax ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
      "list(l_tax ORDER BY l_tax DESC) OVER ()",
      "avg(l_tax) OVER (ORDER BY l_tax GROUPS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE TIES)",
      "sum(l_tax) OVER (ORDER BY l_tax)",
    ]);
  });

  it("DISTINCT and COUNT(DISTINCT)", () => {
    const p = plan("select distinct l_returnflag from lineitem");
    const agg = relsOf(p.plan).find((r) => r.aggregate)!.aggregate!;
    expect(agg.measures).toEqual([]);
    const q = plan("select count(distinct l_suppkey) from lineitem");
    expect(valuesOf(q.plan, "invocation")).toContain(2);
  });

  it("DISTINCT inside sum and avg, which the grammar lacks", () => {
    const p = plan("select sum(distinct l_quantity), avg(distinct l_quantity), sum(l_quantity) from lineitem");
    expect(valuesOf(p.plan, "invocation").filter((i) => i === 2).length).toBe(2);
    expect(valuesOf(p.plan, "invocation").filter((i) => i === 1).length).toBe(1);
  });

  it("uncorrelated scalar subquery joins its single row", () => {
    const p = plan("select c_name from customer where c_acctbal > (select avg(c_acctbal) from customer)");
    expect(relsOf(p.plan).some((r) => r.cross || r.join)).toBe(true);
    expect(valuesOf(p.plan, "subquery")).toEqual([]);
  });

  it("correlated scalar aggregate becomes a grouped join", () => {
    const p = plan("select p_partkey from part where p_retailprice > (select min(ps_supplycost) from partsupp where ps_partkey = p_partkey)");
    expect(valuesOf(p.plan, "subquery")).toEqual([]);
    expect(relsOf(p.plan).some((r) => r.aggregate && r.aggregate.groupingExpressions.length === 1)).toBe(true);
  });

  it("a correlated count becomes a left join, with count's value over no rows where nothing matched", () => {
    const p = plan("select o_orderkey, (select count(*) from lineitem where l_orderkey = o_orderkey) as n from orders");
    expect(valuesOf(p.plan, "subquery")).toEqual([]);
    expect(joinTypes(p.plan)).toEqual([JoinRel_JoinType.JOIN_TYPE_LEFT]);
    expect(valuesOf(p.plan, "ifThen").length).toBe(1);
  });

  it("a scalar subquery correlated by more than equalities joins the outer query's distinct values of the columns it reads", () => {
    const p = plan("select o_orderkey, (select count(*) from lineitem where l_orderkey = o_orderkey and l_extendedprice > o_totalprice) as n from orders");
    expect(valuesOf(p.plan, "subquery").length).toBe(0);
    expect(valuesOf(p.plan, "outerReference").length).toBe(0);
    // orders twice: the outer query, and its distinct (o_orderkey, o_totalprice) the subquery is joined to.
    expect(relsOf(p.plan).filter((r) => r.read?.namedTable?.names.join(".") === "orders").length).toBe(2);
  });

  it("a scalar subquery that is no aggregate is one of any_value and a row count, joined like the aggregates", () => {
    const byEqualities = plan("select o_orderkey, (select c_name from customer where c_custkey = o_custkey) from orders");
    expect(valuesOf(byEqualities.plan, "subquery")).toEqual([]);
    expect(byEqualities.explain()).toMatch(/any_value\(c_name[#\d]*\), subquery_rows := count\(\*\)/);
    expect(byEqualities.explain()).toMatch(/error\('More than one row returned by a subquery/);
    // Its groups restricted to the outer table's keys: a customer no order names cannot raise the error.
    expect(relsOf(byEqualities.plan).filter((r) => r.read?.namedTable?.names.join(".") === "orders").length).toBe(2);
    const otherwise = plan("select o_orderkey from orders where o_totalprice > (select l_extendedprice from lineitem where l_orderkey = o_orderkey and l_extendedprice > o_totalprice)");
    expect(valuesOf(otherwise.plan, "subquery")).toEqual([]);
    expect(valuesOf(otherwise.plan, "outerReference")).toEqual([]);
    const latest = plan("select o_orderkey, (select l_shipdate from lineitem where l_orderkey = o_orderkey order by l_linenumber desc limit 1) from orders");
    expect(latest.explain()).toMatch(/first\(l_shipdate[#\d]* ORDER BY l_linenumber DESC\)/);
  });

  it("a subquery without FROM that selects the outer row's column defines a column of its own", () => {
    // The select list kept the outer column's id, as if the subquery defined it: an internal error ("column #1 is not in scope").
    const p = plan("select n_nationkey, n_nationkey not in (select n_nationkey), (select n_regionkey) from nation");
    expect(valuesOf(p.plan, "outerReference").length).toBeGreaterThan(0);
  });

  it("a scalar subquery correlated below its GROUP BY stays a subquery with outer references", () => {
    const p = plan("select o_orderkey, (select max(l_shipmode) from lineitem where l_orderkey = o_orderkey group by l_linenumber) from orders");
    expect(valuesOf(p.plan, "subquery").length).toBe(1);
    expect(valuesOf(p.plan, "outerReference").length).toBe(1);
  });

  it("a subquery two levels in refers two subquery boundaries out", () => {
    const p = plan(
      "select c_custkey from customer where exists (select * from orders where o_custkey = c_custkey or exists (select * from lineitem where l_orderkey = o_orderkey and l_quantity > c_acctbal))",
    );
    expect(valuesOf(p.plan, "outerReference")).toEqual(expect.arrayContaining([{ stepsOut: 1 }, { stepsOut: 2 }]));
  });

  it("CTEs", () => {
    const p = plan("with big as (select o_custkey, o_totalprice from orders where o_totalprice > 1000) select count(*) from big b1, big b2 where b1.o_custkey = b2.o_custkey");
    expect(relsOf(p.plan).filter((r) => r.read).length).toBe(2);
  });

  it.each([
    ["union", SetRel_SetOp.SET_OP_UNION_DISTINCT],
    ["union all", SetRel_SetOp.SET_OP_UNION_ALL],
    ["intersect", SetRel_SetOp.SET_OP_INTERSECTION_MULTISET],
    ["intersect all", SetRel_SetOp.SET_OP_INTERSECTION_MULTISET_ALL],
    ["except", SetRel_SetOp.SET_OP_MINUS_PRIMARY],
    ["except all", SetRel_SetOp.SET_OP_MINUS_PRIMARY_ALL],
  ])("%s", (op, expected) => {
    const p = plan(`select n_nationkey from nation ${op} select r_regionkey from region order by 1 limit 3`);
    expect(relsOf(p.plan).find((r) => r.set)!.set!.op).toBe(expected);
    expect(relsOf(p.plan).some((r) => r.sort)).toBe(true);
  });

  it("INTERSECT binds tighter than UNION", () => {
    const p = plan("select n_nationkey from nation union select r_regionkey from region intersect select 1");
    const set = relsOf(p.plan).find((r) => r.set)!.set!;
    expect(set.op).toBe(SetRel_SetOp.SET_OP_UNION_DISTINCT);
    expect(set.inputs[1].set?.op).toBe(SetRel_SetOp.SET_OP_INTERSECTION_MULTISET);
  });

  it("ORDER BY, LIMIT and OFFSET", () => {
    const p = plan("select o_orderkey, o_totalprice from orders order by o_totalprice desc, 1 limit 10 offset 5");
    const fetch = relsOf(p.plan).find((r) => r.fetch)!.fetch!;
    expect(fetch.countExpr?.literal?.i64).toBe(10n);
    expect(fetch.offsetExpr?.literal?.i64).toBe(5n);
    expect(fetch.count).toBeUndefined();
    const sort = relsOf(p.plan).find((r) => r.sort)!.sort!;
    expect(sort.sorts.map((s) => s.direction)).toEqual([4, 2]);
  });

  it("ORDER BY an expression not in the select list", () => {
    const p = plan("select o_orderkey from orders order by o_totalprice * 2");
    expect(p.names).toEqual(["o_orderkey"]);
  });

  it("CASE, CAST, COALESCE, NULLIF", () => {
    const p = plan(
      "select case when o_totalprice > 100 then 'big' else 'small' end, cast(o_totalprice as integer), coalesce(o_comment, 'none'), nullif(o_shippriority, 0), case o_orderstatus when 'F' then 1 end from orders",
    );
    expect(valuesOf(p.plan, "ifThen").length).toBe(2);
    expect(valuesOf(p.plan, "cast").length).toBeGreaterThan(0);
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["coalesce:any", "nullif:any_any"]));
  });

  it("LIKE, IN lists, BETWEEN", () => {
    const p = plan("select p_name from part where p_name like 'forest%' and p_size in (1, 2, 3) and p_retailprice between 10 and 20 and p_type not like '%BRASS'");
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["like:str_str", "gte:any_any", "lte:any_any", "not:bool"]));
    expect(valuesOf(p.plan, "singularOrList").length).toBe(1);
  });

  it("EXTRACT and date arithmetic with intervals", () => {
    const p = plan("select extract(year from o_orderdate), extract(month from o_orderdate), o_orderdate + interval '1' month, o_orderdate - interval '3' day from orders");
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["extract:req_date", "extract:req_req_date", "add:pts_iyear", "subtract:pts_iday"]));
  });

  it("string functions", () => {
    const p = plan(
      "select substring(c_phone from 1 for 2), substring(c_name, 2), upper(c_name), lower(c_name), length(c_name), trim(c_name), trim(leading 'C' from c_name), concat(c_name, c_custkey), c_name || '!' from customer",
    );
    expect(declaredFunctions(p.plan)).toEqual(
      expect.arrayContaining(["substring:str_i32_i32", "substring:str_i32", "upper:str", "lower:str", "char_length:str", "trim:str_str", "ltrim:str_str", "concat:str"]),
    );
  });

  it("window functions", () => {
    const p = plan(
      "select o_custkey, row_number() over (partition by o_custkey order by o_orderdate), rank() over (order by o_totalprice desc), sum(o_totalprice) over (partition by o_custkey), avg(o_totalprice) over (partition by o_custkey) from orders",
    );
    // avg over a window is its sum over the count: the sum is shared with the explicit one.
    const fns = valuesOf(p.plan, "windowFunction");
    expect(fns.length).toBe(4);
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["row_number:", "rank:", "sum:dec", "count:any"]));
  });

  it("functions of the standard files and of trustql's own, with their options", () => {
    const p = plan(
      "select round(l_extendedprice, 1), ceil(l_tax), sqrt(l_quantity), log(2, l_quantity), replace(l_comment, 'a', 'b'), l_comment ilike '%x%', date_trunc('month', l_shipdate), date_diff('day', l_shipdate, l_receiptdate), regexp_matches(l_comment, 'a+') from lineitem",
    );
    expect(declaredFunctions(p.plan)).toEqual(
      expect.arrayContaining(["round:dec_i32", "ceil:dec", "sqrt:fp64", "logb:fp64_fp64", "replace:str_str_str", "like:str_str", "date_trunc:req_date", "date_diff:req_date_date", "regexp_matches:str_str"]),
    );
    expect(p.plan.extensionUrns.map((u) => u.urn)).toEqual(
      expect.arrayContaining(["extension:io.substrait:functions_rounding", "extension:io.substrait:functions_logarithmic", "extension:io.trustql:trustql_functions_scalar"]),
    );
    expect(valuesOf(p.plan, "options").flat()).toContainEqual({ name: "case_sensitivity", preference: ["CASE_INSENSITIVE"] });
  });

  it("the spread and order statistics: sample or population by option, and no partial phase for a median", () => {
    const p = planSql("select l_returnflag, stddev_pop(l_quantity), var_samp(l_tax), median(l_quantity), bool_and(l_tax > 0) from lineitem group by 1", tpchCatalog, { twoPhaseAggregates: true });
    expect(valuesOf(p.plan, "options").flat()).toEqual(expect.arrayContaining([{ name: "distribution", preference: ["POPULATION"] }, { name: "distribution", preference: ["SAMPLE"] }]));
    expect(p.explain()).not.toMatch(/Aggregate\(partial\)/);
    const mergeable = planSql("select l_returnflag, bool_and(l_tax > 0), count(*) filter (where l_tax > 0) from lineitem group by 1", tpchCatalog, { twoPhaseAggregates: true });
    expect(mergeable.explain()).toMatch(/Aggregate\(final\)[^\n]*\n\s+Aggregate\(partial\)/);
  });

  it("ROLLUP, CUBE and GROUPING SETS: one two-phase aggregate per grouping set, appended", () => {
    const rollup = planSql("select l_returnflag, l_linestatus, sum(l_quantity) from lineitem group by rollup (l_returnflag, l_linestatus)", tpchCatalog, { twoPhaseAggregates: true });
    expect(relsOf(rollup.plan).filter((r) => r.set).length).toBe(1);
    expect(relsOf(rollup.plan).filter((r) => r.read).length).toBe(3);
    expect(rollup.explain().match(/Aggregate\(partial\)/g)?.length).toBe(3);
    expect(relsOf(plan("select l_returnflag, count(*) from lineitem group by cube (l_returnflag, l_linestatus)").plan).filter((r) => r.read).length).toBe(4);
    // GROUPING and SETS on two lines: later lines keep their numbers in error positions.
    expect(() => planSql("select n_name, count(*) from nation group by grouping\n sets ((n_name), ())\norder by n_nam", tpchCatalog)).toThrow(/unknown column n_nam .* at 3:10/);
  });

  it("IS [NOT] DISTINCT FROM: the comparison functions that treat NULL as a value", () => {
    const p = plan("select n_name from nation where n_regionkey is distinct from 1 or n_comment is not distinct from null");
    expect(declaredFunctions(p.plan)).toEqual(expect.arrayContaining(["is_distinct_from:any_any", "is_not_distinct_from:any_any"]));
    expect(() => planSql("select n_name from nation where n_regionkey is not\n distinct from 1\n and n_nam = 'x'", tpchCatalog)).toThrow(/unknown column n_nam .* at 3:6/);
  });

  it("NATURAL JOIN joins on the columns both sides name, of tables named with their dataset too", () => {
    const schema = (names: string[]) => namedStructFromColumns(names.map((name) => ({ name, type: "BIGINT" })));
    const catalog = new MemoryCatalog([
      { names: ["d", "facts"], schema: schema(["k", "v"]) },
      { names: ["d", "dims"], schema: schema(["k", "label"]) },
    ]);
    const p = planSql("select * from d.facts natural join d.dims", catalog);
    expect(p.names).toEqual(["k", "v", "label"]);
    expect(relsOf(p.plan).filter((r) => r.join).length).toBe(1);
    expect(declaredFunctions(p.plan)).toContain("equal:any_any");
  });

  it("DESCRIBE lists a table's or a query's columns as rows, each one that may be NULL (DuckDB's answer over a parquet file), a column the catalog knows holds none too", () => {
    const catalog = new MemoryCatalog([
      { names: ["d", "t"], schema: namedStructFromColumns([{ name: "k", type: "BIGINT", nullable: false }, { name: "note", type: "VARCHAR" }]) },
    ]);
    const rows = (sql: string) => {
      const p = planSql(sql, catalog);
      expect(p.names).toEqual(["column_name", "column_type", "null", "key", "default", "extra"]);
      return valuesOf(p.plan, "literal").flatMap((l) => (typeof (l as { string?: string }).string === "string" ? [(l as { string: string }).string] : []));
    };
    expect(rows("DESCRIBE d.t")).toEqual(["k", "BIGINT", "YES", "note", "VARCHAR", "YES"]);
    expect(rows("describe select k + 1 as k1, k from d.t")).toEqual(["k1", "BIGINT", "YES", "k", "BIGINT", "YES"]);
    expect(() => planSql("DESCRIBE\n  d.nosuch", catalog)).toThrow(/unknown table d\.nosuch at 2:5/);
  });

  it("SHOW TABLES lists every table by its full name, in order; SHOW t describes t", () => {
    const schema = namedStructFromColumns([{ name: "k", type: "BIGINT" }]);
    const catalog = new MemoryCatalog([
      { names: ["tpch", "orders"], schema },
      { names: ["app", "users"], schema },
      { names: ["tpch", "lineitem"], schema },
    ]);
    const shown = planSql("show tables", catalog);
    expect(shown.names).toEqual(["name"]);
    expect(valuesOf(shown.plan, "literal").map((l) => (l as { string?: string }).string)).toEqual(["app.users", "tpch.lineitem", "tpch.orders"]);
    expect(planSql("SHOW tpch.orders", catalog).names).toEqual(["column_name", "column_type", "null", "key", "default", "extra"]);
    expect(planSql("show tables", new MemoryCatalog([])).names).toEqual(["name"]);
  });

  it("current_date and now() are the planning time, fixed in the plan", () => {
    const now = new Date("2026-12-05T23:59:30.123Z");
    const p = planSql("select current_date, now(), today() from nation", tpchCatalog, { now });
    expect(p.explain()).toContain("2026-12-05");
    const literals = valuesOf(p.plan, "literal");
    expect(literals).toEqual(expect.arrayContaining([expect.objectContaining({ date: 20_792 }), expect.objectContaining({ precisionTimestampTz: expect.objectContaining({ value: 1_796_515_170_123_000n }) })]));
  });

  it("SELECT without FROM", () => {
    const p = plan("select 1 + 1 as two, 'x' as s");
    expect(p.names).toEqual(["two", "s"]);
    expect(relsOf(p.plan).some((r) => r.read?.virtualTable)).toBe(true);
  });

  it("EXPLAIN prints the optimized plan as an indented tree", () => {
    const sql = "select l_returnflag, count(*) as n from lineitem where l_quantity > 1 group by 1 order by n desc limit 3";
    expect(plan(sql).explain()).toBe(
      [
        "Limit 3",
        "  Sort n DESC",
        "    Aggregate groups=[l_returnflag] measures=[n := count(*)]",
        "      Scan lineitem [l_returnflag] filters=[(l_quantity > 1.00)]",
      ].join("\n"),
    );
    expect(planSql(sql, tpchCatalog, { twoPhaseAggregates: true }).explain()).toMatch(/Aggregate\(final\)[^\n]*\n\s+Aggregate\(partial\)/);
  });

  it("declares every function it uses once, under its extension URN", () => {
    const p = plan("select sum(l_quantity), sum(l_extendedprice), avg(l_tax) from lineitem");
    const names = declaredFunctions(p.plan);
    expect(new Set(names).size).toBe(names.length);
    expect(p.plan.extensionUrns.map((u) => u.urn).sort()).toEqual(
      ["extension:io.substrait:functions_aggregate_generic", "extension:io.substrait:functions_arithmetic", "extension:io.substrait:functions_arithmetic_decimal"].sort(),
    );
  });
});
