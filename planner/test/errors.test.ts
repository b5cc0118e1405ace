// Bad SQL and unsupported constructs are rejected before execution with one line that names
// the problem and where it is.
import { describe, expect, it } from "vitest";
import { UnsupportedError, UserError } from "../../common/errors.ts";
import { planSql } from "../index.ts";
import { MAX_QUERY_LENGTH } from "../parse/index.ts";
import { tpchCatalog } from "./tpch.ts";

function rejection(sql: string): UserError {
  try {
    planSql(sql, tpchCatalog);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error(`planned: ${sql}`);
}

describe("user errors name the problem and its position", () => {
  it.each([
    ["select l_foo from lineitem", "unknown column l_foo at 1:8"],
    ["select l_orderkey from lineitem\nwhere\n  l_quantitty > 3", "unknown column l_quantitty (did you mean l_quantity?) at 3:3"],
    ["select * from lineitems", "unknown table lineitems (did you mean lineitem?) at 1:15"],
    ["select n_name from nation where x.n_name = 'A'", "unknown table x in column reference x.n_name at 1:33"],
    ["select n_nationkey from nation n1, nation n2", 'column reference "n_nationkey" is ambiguous at 1:8'],
    ["select from where", 'syntax error at or near "where": WHERE is a keyword (a table named so is written "where") at 1:13'],
    ["select n_name from\nnation where", "syntax error at end of input at 2:13"],
    ["select n_name + 1 from nation", "cannot apply + to VARCHAR and INTEGER at 1:8"],
    ["select n_name, count(*) from nation", "column nation.n_name must appear in the GROUP BY clause or be used in an aggregate function at 1:8"],
    ["select n_name from nation where count(*) > 1", "aggregate functions are not allowed in WHERE at 1:33"],
    ["select date '2020-13-01'", "invalid date '2020-13-01' at 1:8"],
    ["select n_name from nation where n_nationkey in (select r_regionkey, r_name from region)", "subquery must return one column, not 2 at 1:33"],
    ["select n_name from nation union select 1, 2", "each UNION query must have the same number of columns (1 and 2) at 1:27"],
    ["select n_name from nation order by 3", "ORDER BY position 3 is not in the select list at 1:36"],
    // A `)::` without its `(` (the pre-pass looks before `::` for a CAST or a subquery to parenthesize).
    ["select n_name) :: int from nation", 'syntax error at or near ")" at 1:14'],
    // And a `)[…]` without its `(` (the pre-pass looks before `[` for the subscripted operand).
    ["select n_name || 'x')[n_nationkey] from nation", 'syntax error at or near ")" at 1:21'],
    // Parenthesized operands reach the grammar with words put around them; positions are still the query's own.
    ["(select n_nome from nation) union (select r_name from region)", "unknown column n_nome (did you mean n_name?) at 1:9"],
    ["(select n_name from nation)\nunion all (select r_name from region where r_nme = 'x')", "unknown column r_nme (did you mean r_name?) at 2:44"],
    ["(select n_name from nation) union (select r_name, r_regionkey from region)", "each UNION query must have the same number of columns (1 and 2) at 1:29"],
    ["(select n_name from nation) union (select r_name frm region)", 'syntax error at or near "region" at 1:54'],
    ["select n_name from nation except (select r_name from region union select 1)", "cannot union VARCHAR and INTEGER at 1:61"],
    // Operators the grammar lacks reach it as others, some wider: positions after them are still the query's own.
    ["select n_name & 1 from nation", "cannot apply & to VARCHAR and INTEGER at 1:8"],
    ["select n_nationkey & 1 | 2, n_foo from nation", "unknown column n_foo at 1:29"],
    ["select 2 << 3 & n_nationkey,\n  n_nationkey | n_regionkey & n_bar from nation", "unknown column n_bar at 2:31"],
    ["select sum(n_name) from nation", "sum needs a number, not VARCHAR at 1:8"],
    ["select n_nationkey from nation group by n_nationkey\nhaving n_name = 'x'", "column nation.n_name must appear in the GROUP BY clause or be used in an aggregate function at 2:8"],
    ["select case when date '2024-01-01' then 2 end", "CASE WHEN must be BOOLEAN, not DATE at 1:8"],
    ["select cast('abc' as integer)", "invalid number 'abc' at 1:8"],
    ["select count(distinct *) from nation", "count(DISTINCT *) is not a function at 1:8"],
    ["select round(n_name) from nation", "round needs a number, not VARCHAR at 1:8"],
    ["select replace(n_name, 'a') from nation", "replace takes 3 arguments, not 2 at 1:8"],
    ["select date_trunc('fortnight', date '2024-01-01')", "date_trunc: unknown unit 'fortnight' (year, quarter, month, week, day, hour, minute, second, …) at 1:8"],
    ["select year(n_name) from nation", "year needs a DATE or TIMESTAMP, not VARCHAR at 1:8"],
    ["select quantile_cont(n_nationkey, 1.5) from nation", "quantile_cont's quantile must be a constant from 0 to 1, or a list of them at 1:8"],
    ["select arg_max(n_name) from nation", "arg_max takes 2 arguments, not 1 at 1:8"],
    ["select n_name, lag(n_name, n_nationkey) over (order by n_name) from nation", "lag's offset must be an integer constant of at least 0 at 1:16"],
    ["select ntile(0) over (order by n_name) from nation", "ntile's number of buckets must be an integer constant of at least 1 at 1:8"],
    ["select grouping(n_name) from nation", "GROUPING needs a GROUP BY at 1:1"],
    ["select * replace (n_name as x) from nation", "REPLACE names x, which * does not select at 1:19"],
    ["select * replace (upper(n_name)) from nation", "REPLACE takes expressions AS column names at 1:19"],
  ])("%s", (sql, message) => {
    const error = rejection(sql);
    expect(error).not.toBeInstanceOf(UnsupportedError);
    expect(error.message).toBe(message);
    expect(error.position).toBeDefined();
  });

  it("comparing a text column with a number is a type error", () => {
    expect(rejection("select n_name from nation where n_name = 1").message).toMatch(/^cannot compare VARCHAR and INTEGER at 1:33$/);
  });

  it("limits the length of a query", () => {
    expect(rejection(`select ${"1 + ".repeat(MAX_QUERY_LENGTH / 4)}1`).message).toMatch(/limit is/);
  });

  it("limits nesting", () => {
    expect(rejection(`select ${"(".repeat(100)}1${")".repeat(100)}`).message).toMatch(/^query nests parentheses deeper than 64 levels at 1:/);
  });
});

describe("unsupported constructs are named, with their position", () => {
  it.each([
    ["select * from nation,\n  lateral range(n_nationkey) x", "LATERAL other than of a subquery at 2:3"],
    ["with recursive t(n) as (select 1 union all select n + 1 from t where n < 3 limit 2) select * from t", "ORDER BY or LIMIT after the UNION of a recursive CTE (put the last query in parentheses) at 1:44"],
    ["select * from nation natural join (select 1) x", "NATURAL JOIN of a subquery at 1:22"],
    ["select foo(n_name) from nation", "function foo at 1:8"],
    ["select n_name collate nocase from nation", "COLLATE at 1:8"],
    ["select max(cast(l_shipdate as timestamp) - 1) from lineitem", "TIMESTAMP - INTEGER at 1:12"],
    ["insert into nation values (1)", "INSERT statement at 1:1"],
    ["select string_agg(n_name, n_comment) from nation", "string_agg with a separator that is not a constant string at 1:8"],
    ["select date_trunc(n_name, date '2024-01-01') from nation", "date_trunc with a unit that is not a constant string at 1:8"],
    ["select n_name from nation\nwhere n_name = 'a\uE000b'", "the character U+E000 (trustql writes such characters as stand-ins for the grammar) at 2:18"],
    ["select substring(n_name for 2) from nation", "SUBSTRING(... FOR ...) without FROM at 1:25"],
    ["select count(*) from nation group by grouping sets ((n_name), rollup(n_regionkey))", "ROLLUP, CUBE or GROUPING SETS inside GROUPING SETS at 1:63"],
    ["select n_nationkey - n_nationkey from nation where n_name = 'x' and now() - make_timestamp_ns(0) > interval 3 day", "TIMESTAMP WITH TIME ZONE - TIMESTAMP_NS at 1:69"],
    ["select cast(n_nationkey as utinyint) + 1 from nation", "CAST to UTINYINT (DuckDB's unsigned integers, which trustql has no type for: it reads a file's UTINYINT column as SMALLINT; CAST to SMALLINT) at 1:28"],
    ["select n_nationkey::uint64 from nation", "CAST to UINT64 (DuckDB's unsigned integers, which trustql has no type for: it reads a file's UINT64 column as DECIMAL(20,0); CAST to DECIMAL(20,0)) at 1:21"],
    ["select UINTEGER '5'", "CAST to UINTEGER (DuckDB's unsigned integers, which trustql has no type for: it reads a file's UINTEGER column as BIGINT; CAST to BIGINT) at 1:8"],
  ])("%s", (sql, what) => {
    const error = rejection(sql);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toBe(`unsupported: ${what}`);
  });
});
