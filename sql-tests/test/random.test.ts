// Random well-typed queries over random tables (NULLs, duplicates, empty groups) must give
// DuckDB's answer. A failure prints the query and the seed that replays it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { LocalEngine } from "../../exec/index.ts";
import { cutParquet, type Chunk } from "../../exec/chunks/index.ts";
import { EnginePool, LocalExecutors, placeTable, runStagedQuery, type PlacedTable } from "../../exec/stages/index.ts";
import { fragmentPlan } from "../../planner/fragment/index.ts";
import { planSql } from "../../planner/index.ts";
import { clusteredColumns, MemoryCatalog, type Catalog } from "../../planner/catalog.ts";
import { resultLines, resultValues } from "../runner/values.ts";

const ROWS = 200;
/** Random queries per property (RANDOM_QUERIES; the staged properties run a third as many). */
const RUNS = Number(process.env.RANDOM_QUERIES ?? 300);
// A longer run (RANDOM_QUERIES=5000) gets the time it needs: about 400 ms a query at the most
// (a staged query runs five ways), on an hour when this machine's two cores are shared.
vi.setConfig({ testTimeout: Math.max(300_000, RUNS * 400) });
const STAGED_WORKERS = ["random-a", "random-b", "random-c", "random-d"];
let dir: string;
let engine: LocalEngine;
const placed = new Map<string, PlacedTable>();
/** The same tables stored in key order (k), in KEY_ORDER_CHUNKS chunks each: joins and groups on k go by key range. */
const placedByKey = new Map<string, PlacedTable>();
const KEY_ORDER_CHUNKS = 8;
let catalogByKey: Catalog;
const chunkFiles = new Map<string, string>();
const pool = new EnginePool();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-random-"));
  const writer = await DuckDBInstance.create(":memory:");
  const db = await writer.connect();
  await db.run("SELECT setseed(0.42)");
  // r and s share keys k (some NULL, some missing on either side) and group labels g.
  await db.run(`COPY (SELECT CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 30)::INTEGER END AS k,
                             ['red', 'green', 'blue', NULL][1 + (random() * 3.99)::INTEGER] AS g,
                             CASE WHEN random() < 0.1 THEN NULL ELSE ((random() * 20000)::INTEGER - 5000) * 0.01 END::DECIMAL(10,2) AS v,
                             (random() * 100)::INTEGER AS n,
                             DATE '2020-01-01' + (random() * 1000)::INTEGER AS d,
                             CASE WHEN random() < 0.1 THEN NULL ELSE TIMESTAMP '2020-01-01' + to_microseconds((random() * 1e14)::BIGINT) END AS ts
                      FROM range(${ROWS})) TO '${join(dir, "r.parquet")}' (FORMAT parquet)`);
  await db.run(`COPY (SELECT (random() * 40)::INTEGER AS k, ['red', 'blue', 'amber'][1 + (random() * 2.99)::INTEGER] AS g,
                             (random() * 10)::INTEGER AS w
                      FROM range(${ROWS / 2})) TO '${join(dir, "s.parquet")}' (FORMAT parquet)`);
  db.closeSync();
  writer.closeSync();
  engine = await LocalEngine.open({ threads: 1 });
  for (const t of ["r", "s"]) {
    await engine.registerParquet([t], [join(dir, `${t}.parquet`)]);
    await engine.runReferenceSql(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${join(dir, `${t}.parquet`)}')`);
    // For staged runs: each table in four chunks (four files of a part of its rows each), placed on four workers.
    const chunks: Chunk[] = [];
    for (let part = 0; part < STAGED_WORKERS.length; part++) {
      const file = join(dir, `${t}-${part}.parquet`);
      await engine.runReferenceSql(`COPY (SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER () AS rn FROM ${t}) WHERE rn % ${STAGED_WORKERS.length} = ${part}) TO '${file}' (FORMAT parquet)`);
      chunks.push(...(await cutParquet(file, join(dir, "chunks"))));
    }
    for (const c of chunks) chunkFiles.set(c.hash, c.file);
    placed.set(t, placeTable(engine.catalog().lookup([t])!.schema, chunks, STAGED_WORKERS));
    const ordered: Chunk[] = [];
    const sorted = join(dir, `${t}-by-key.parquet`);
    await engine.runReferenceSql(`COPY (SELECT * FROM ${t} ORDER BY k NULLS LAST) TO '${sorted}' (FORMAT parquet)`);
    for (let part = 0; part < KEY_ORDER_CHUNKS; part++) {
      const file = join(dir, `${t}-by-key-${part}.parquet`);
      await engine.runReferenceSql(`COPY (SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER () - 1 AS rn FROM read_parquet('${sorted}')) WHERE rn * ${KEY_ORDER_CHUNKS} // (SELECT count(*) FROM ${t}) = ${part}) TO '${file}' (FORMAT parquet)`);
      ordered.push(...(await cutParquet(file, join(dir, "chunks"))));
    }
    for (const c of ordered) chunkFiles.set(c.hash, c.file);
    placedByKey.set(t, placeTable(engine.catalog().lookup([t])!.schema, ordered, STAGED_WORKERS));
  }
  catalogByKey = new MemoryCatalog(engine.catalog().tables().map((t) => ({ ...t, clustered: clusteredColumns(t.schema, placedByKey.get(t.names[0])!.chunks) })));
  if (catalogByKey.tables().some((t) => !t.clustered?.includes("k"))) throw new Error("the tables stored in key order are not clustered on k");
});

afterAll(() => {
  pool.close();
  engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const numeric = fc.constantFrom("r.k", "r.v", "r.n", "r.k + r.n", "r.v * 2", "r.n - r.k", "abs(r.v)", "coalesce(r.k, -1)", "r.n % 7");
const comparison = fc.constantFrom("=", "<>", "<", "<=", ">", ">=");
const atom = fc.oneof(
  fc.tuple(numeric, comparison, fc.integer({ min: -20, max: 60 })).map(([e, op, c]) => `${e} ${op} ${c}`),
  fc.constantFrom("r.g = 'red'", "r.g IS NULL", "r.g LIKE '%e%'", "r.k IS NOT NULL", "r.d < DATE '2021-06-01'", "r.k IN (1, 2, 3, NULL)", "r.n BETWEEN 10 AND 40", "r.g IN ('blue', 'green')"),
);
const predicate = fc.letrec((tie) => ({
  p: fc.oneof(
    { depthSize: "small" },
    atom,
    fc.tuple(tie("p"), fc.constantFrom("AND", "OR"), tie("p")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    // Unparenthesized, so AND must bind tighter than OR (and NOT tighter than both).
    fc.tuple(tie("p"), fc.constantFrom("AND", "OR"), tie("p")).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie("p").map((p) => `NOT ${p}`),
  ),
})).p as fc.Arbitrary<string>;
const aggregate = fc.constantFrom("count(*)", "count(r.k)", "sum(r.v)", "min(r.n)", "max(r.v)", "sum(r.n)", "count(DISTINCT r.g)", "min(r.d)", "max(r.g)");
const join_ = fc.constantFrom("", "JOIN s ON s.k = r.k", "LEFT JOIN s ON s.k = r.k", "JOIN s ON s.g = r.g AND s.w < r.n");

/** Queries with a result order that does not depend on the plan (rowsort comparison). */
const query = fc.oneof(
  fc.tuple(fc.array(numeric, { minLength: 1, maxLength: 3 }), join_, predicate).map(
    ([exprs, j, p]) => `SELECT ${exprs.join(", ")} FROM r ${j} WHERE ${p}`,
  ),
  // Grouped by r.k too: on the tables stored in key order, each task finishes the groups only its chunks hold.
  fc.tuple(fc.constantFrom("r.g", "r.k % 5", "r.d > DATE '2021-01-01'", "r.k"), fc.array(aggregate, { minLength: 1, maxLength: 3 }), join_, predicate, fc.boolean()).map(
    ([key, aggs, j, p, having]) => `SELECT ${key}, ${aggs.join(", ")} FROM r ${j} WHERE ${p} GROUP BY ${key}${having ? " HAVING count(*) > 2" : ""}`,
  ),
  fc.tuple(fc.array(aggregate, { minLength: 1, maxLength: 3 }), predicate).map(([aggs, p]) => `SELECT ${aggs.join(", ")} FROM r WHERE ${p}`),
  fc.tuple(predicate, fc.constantFrom("EXISTS", "NOT EXISTS")).map(([p, e]) => `SELECT r.k, r.g FROM r WHERE ${e} (SELECT 1 FROM s WHERE s.k = r.k) AND ${p}`),
  fc.tuple(predicate, fc.constantFrom("IN", "NOT IN")).map(([p, op]) => `SELECT r.n FROM r WHERE r.k ${op} (SELECT s.k FROM s WHERE s.w > 3) AND ${p}`),
  // Row values IN a subquery, in a WHERE and as values (NULL keys and groups on both sides).
  fc.tuple(predicate, fc.constantFrom("IN", "NOT IN"), fc.integer({ min: 0, max: 9 })).map(([p, op, w]) => `SELECT r.k, r.g FROM r WHERE (r.k, r.g) ${op} (SELECT s.k, s.g FROM s WHERE s.w > ${w}) AND ${p}`),
  fc.tuple(fc.constantFrom("IN", "NOT IN"), fc.integer({ min: 0, max: 9 }), fc.constantFrom("s.k % 5, s.g", "s.w % 5, s.g", "s.k % 5, NULL")).map(([op, w, cols]) => `SELECT r.k, r.g, (r.k % 5, r.g) ${op} (SELECT ${cols} FROM s WHERE s.w > ${w}) FROM r`),
  fc.tuple(predicate, predicate, fc.constantFrom("UNION", "UNION ALL", "INTERSECT", "EXCEPT", "EXCEPT ALL")).map(
    ([p, q, op]) => `SELECT r.k, r.g FROM r WHERE ${p} ${op} SELECT r.k, r.g FROM r WHERE ${q}`,
  ),
  fc.tuple(predicate, fc.integer({ min: 0, max: 30 })).map(([p, limit]) => `SELECT r.n, r.k, r.v, r.g, r.d FROM r WHERE ${p} ORDER BY r.n, r.k, r.v, r.g, r.d LIMIT ${limit}`),
);

// Scalar expressions over every kind of value (NULLs included): functions, operators (bitwise
// ones and ^ too, unparenthesized among others), CASE, casts, string subscripts, // and %, in the select list, in WHERE, grouped and windowed. A wrong
// type or nullability shows here as a different answer (a filter IS NOT NULL folded away). A
// NULL decimal is nullif(r.v, r.v), not a cast NULL constant: DuckDB types arithmetic on one as
// NULL, which changes the scale a coalesce of it prints.
const expressions = fc.letrec((tie) => ({
  i: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("r.k", "r.n", "CAST(NULL AS INTEGER)", "3", "-2", "0", "100", "3000000000", "length(r.g)", "year(r.d)", "month(r.d)", "(r.n * 7) % 5", "CAST(r.n AS TINYINT)", "CAST(r.k AS SMALLINT)", "CAST(r.n AS BIGINT)"),
    fc.tuple(tie("i"), fc.constantFrom("+", "-", "*", "//", "%"), tie("i")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    // Unparenthesized: * // % bind tighter than + and -, each kind from left to right.
    fc.tuple(tie("i"), fc.constantFrom("+", "-", "*", "//", "%"), tie("i"), fc.constantFrom("+", "-", "*", "//", "%"), tie("i")).map(([a, op, b, op2, c]) => `(${a} ${op} ${b} ${op2} ${c})`),
    // Bitwise operators unparenthesized among arithmetic ones (& | bind looser than + - *), ~ taking what follows up to them.
    fc.tuple(tie("i"), fc.constantFrom("+", "-", "*", "&", "|"), tie("i"), fc.constantFrom("+", "*", "&", "|"), tie("i")).map(([a, op, b, op2, c]) => `(${a} ${op} ${b} ${op2} ${c})`),
    fc.tuple(tie("i"), fc.constantFrom("+", "&", "|", "*"), tie("i")).map(([a, op, b]) => `(~${a} ${op} ${b})`),
    fc.tuple(tie("i"), tie("i"), fc.constantFrom("<<", ">>")).map(([a, b, op]) => `(abs(${a}) % 1000 ${op} abs(${b}) % 5)`),
    fc.tuple(tie("i"), tie("i")).map(([a, b]) => `xor(${a}, ${b})`),
    fc.tuple(tie("i"), tie("i")).map(([a, b]) => `coalesce(${a}, ${b})`),
    fc.tuple(tie("i"), tie("i")).map(([a, b]) => `greatest(${a}, ${b})`),
    fc.tuple(tie("i"), tie("i")).map(([a, b]) => `nullif(${a}, ${b})`),
    fc.tuple(tie("b"), tie("i"), tie("i")).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
    tie("s").map((x) => `strpos(${x}, 'e')`),
    tie("s").map((x) => `ascii(${x})`),
    tie("t").map((x) => `date_diff('day', DATE '2020-06-01', ${x})`),
    tie("i").map((x) => `sign(${x})`),
    tie("x").map((x) => `CAST(round(${x}) AS INTEGER)`),
    tie("t").map((x) => `extract(dow FROM ${x})`),
    fc.tuple(fc.constantFrom("hour", "minute", "day", "month"), tie("m")).map(([u, x]) => `extract(${u} FROM ${x})`),
    fc.tuple(fc.constantFrom("minute", "hour", "day", "month"), tie("m"), tie("m")).map(([u, a, b]) => `date_diff('${u}', ${a}, ${b})`),
    tie("s").map((x) => `length(split_part(${x}, 'e', 2))`),
    tie("l").map((x) => `len(${x})`),
    fc.tuple(tie("l"), fc.integer({ min: -3, max: 4 })).map(([x, n]) => `${x}[${n}]`),
    fc.tuple(tie("l"), tie("i")).map(([x, n]) => `list_position(${x}, ${n})`),
    tie("l").map((x) => `list_reduce(${x} || [0], (a, b) -> a + b)`),
    tie("o").map((x) => `${x}.a`),
    tie("o").map((x) => `struct_extract(${x}, 'a')`),
    tie("p").map((x) => `${x}['x']`),
    // DuckDB's cardinality is a UBIGINT, trustql's a BIGINT (README): the same values.
    tie("p").map((x) => `CAST(cardinality(${x}) AS BIGINT)`),
  ),
  // Structs of an integer and a text (one shape, so that any two meet), and maps of texts to
  // integers: literals of the row's values, in CASE and coalesce, within lists, a NULL one. A map's
  // key is never NULL: DuckDB's error, raised or not as its CASE skips the branch for a row or not.
  o: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("{'a': r.k, 'b': r.g}", "{'a': CAST(NULL AS INTEGER), 'b': 'x'}", "nullif({'a': r.n, 'b': r.g}, {'a': r.n, 'b': r.g})"),
    fc.tuple(tie("i"), tie("s")).map(([a, b]) => `{'a': ${a}, 'b': ${b}}`),
    fc.tuple(tie("i"), tie("s")).map(([a, b]) => `struct_pack(a := ${a}, b := ${b})`),
    // A row (unnamed) where it meets a named struct takes its names.
    fc.tuple(tie("b"), tie("i"), tie("s"), tie("o")).map(([c, a, b, o]) => `CASE WHEN ${c} THEN (${a}, ${b}) ELSE ${o} END`),
    fc.tuple(tie("b"), tie("o"), tie("o")).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
    fc.tuple(tie("o"), tie("o")).map(([a, b]) => `coalesce(${a}, ${b})`),
    fc.tuple(tie("o"), tie("i")).map(([x, n]) => `[${x}, {'a': ${n}, 'b': 'q'}][(r.k % 2) + 1]`),
  ),
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("MAP {'x': r.k, 'y': r.n}", "map(CAST([] AS VARCHAR[]), CAST([] AS INTEGER[]))", "MAP {coalesce(r.g, ''): 1}"),
    fc.tuple(tie("i"), tie("i")).map(([a, b]) => `map(['x', 'z'], [${a}, ${b}])`),
    fc.tuple(tie("p"), tie("p")).map(([a, b]) => `map_concat(${a}, ${b})`),
    fc.tuple(tie("b"), tie("p"), tie("p")).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
  ),
  // Lists of integers: literals, columns put together, split strings' lengths, sorted, sliced, mapped.
  // A NULL list is nullif([r.k], [r.k]), not a NULL constant: DuckDB folds `l || NULL` (and any
  // list made of a NULL constant) to a NULL of no type (typeof says "NULL"), which changes the type
  // of what holds it; the values agree.
  l: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("[r.k, r.n]", "[1, NULL, 3]", "nullif([r.k], [r.k])", "CAST([] AS INTEGER[])", "[r.n % 4, r.n % 3, r.n % 4]"),
    // coalesce with a column: a string that is a NULL constant would make the list one DuckDB folds.
    tie("s").map((x) => `list_transform(string_split(coalesce(${x}, r.g), 'e'), p -> length(p))`),
    fc.tuple(tie("l"), tie("l")).map(([a, b]) => `(${a} || ${b})`),
    fc.tuple(tie("l"), tie("l")).map(([a, b]) => `list_concat(${a}, ${b})`),
    tie("l").map((x) => `list_sort(${x}, 'DESC')`),
    tie("l").map((x) => `list_filter(${x}, v -> v > 1)`),
    fc.tuple(tie("l"), tie("i")).map(([x, n]) => `list_transform(${x}, v -> v * 2 + ${n})`),
    fc.tuple(tie("l"), fc.integer({ min: -2, max: 3 })).map(([x, a]) => `${x}[${a}:]`),
    fc.tuple(tie("b"), tie("l"), tie("l")).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
  ),
  x: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("r.v", "CAST(r.n AS DOUBLE)", "1.25", "-0.5", "nullif(r.v, r.v)", "2.5e1", "CAST(r.k AS FLOAT)"),
    fc.tuple(tie("x"), fc.constantFrom("+", "-", "*", "%"), tie("x")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie("x"), fc.integer({ min: -1, max: 2 })).map(([x, n]) => `round(${x}, ${n})`),
    // ^ binds tighter than * and looser than a prefix -.
    fc.tuple(tie("x"), fc.constantFrom("+", "-", "*"), tie("x")).map(([a, op, b]) => `(${a} ${op} ${b} ^ 2)`),
    fc.tuple(tie("x"), fc.constantFrom("+", "*")).map(([a, op]) => `(- (${a}) ^ 2 ${op} 1)`),
    tie("x").map((x) => `abs(${x})`),
    tie("x").map((x) => `ceil(${x})`),
    tie("x").map((x) => `floor(${x})`),
    tie("x").map((x) => `sqrt(abs(${x}))`),
    tie("i").map((x) => `(${x} / 4)`),
    fc.tuple(tie("b"), tie("x"), tie("x")).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
    fc.tuple(tie("x"), tie("x")).map(([a, b]) => `coalesce(${a}, ${b})`),
  ),
  s: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("r.g", "'Blue'", "''", "CAST(NULL AS VARCHAR)", "'a\\b'", "'it''s'", "CAST(r.v AS VARCHAR)"),
    tie("s").map((x) => `upper(${x})`),
    // A struct's and a map's text and JSON, DuckDB's (fields named again, maps maps again).
    tie("o").map((x) => `${x}.b`),
    tie("o").map((x) => `CAST(${x} AS VARCHAR)`),
    tie("o").map((x) => `CAST(to_json(${x}) AS VARCHAR)`),
    tie("p").map((x) => `CAST(${x} AS VARCHAR)`),
    tie("p").map((x) => `CAST(to_json(${x}) AS VARCHAR)`),
    tie("s").map((x) => `reverse(${x})`),
    fc.tuple(tie("s"), tie("s")).map(([a, b]) => `concat(${a}, ${b})`),
    fc.tuple(tie("s"), tie("s")).map(([a, b]) => `(${a} || ${b})`),
    // || binds looser than arithmetic.
    fc.tuple(tie("s"), tie("i"), fc.constantFrom("+", "-", "*", "%"), tie("i")).map(([x, a, op, b]) => `(${x} || ${a} ${op} ${b})`),
    fc.tuple(tie("s"), fc.integer({ min: -3, max: 4 })).map(([x, i]) => `${x}[${i}]`),
    fc.tuple(tie("s"), fc.integer({ min: -2, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([x, a, b]) => `substring(${x}, ${a}, ${b})`),
    fc.tuple(tie("s"), tie("i")).map(([x, n]) => `lpad(${x}, 6, '*') || printf('%d', ${n})`),
    tie("i").map((x) => `CAST(${x} AS VARCHAR)`),
    tie("t").map((x) => `strftime(${x}, '%Y/%m')`),
    fc.tuple(tie("b"), tie("s"), tie("s")).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} END || ${b}`),
    tie("s").map((x) => `regexp_replace(${x}, '[aeiou]', '_', 'g')`),
    tie("s").map((x) => `regexp_extract(${x}, '([a-z]+)', 1)`),
    fc.tuple(tie("s"), fc.integer({ min: -2, max: 3 })).map(([x, n]) => `left(${x}, ${n}) || right(${x}, ${n})`),
    tie("s").map((x) => `trim(${x}, 'e')`),
    tie("s").map((x) => `replace(${x}, 'e', 'EE')`),
    tie("x").map((x) => `CAST(${x} AS VARCHAR)`),
    tie("t").map((x) => `CAST(date_trunc('month', ${x}) AS VARCHAR)`),
    tie("t").map((x) => `dayname(${x})`),
    tie("m").map((x) => `strftime(${x}, '%Y-%m-%d %H:%M:%S')`),
    tie("m").map((x) => `CAST(${x} AS VARCHAR)`),
  ),
  // Timestamps (microseconds), moved by intervals of every unit, truncated.
  m: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("r.ts", "TIMESTAMP '2024-02-29 23:59:59.5'", "CAST(NULL AS TIMESTAMP)", "CAST(r.d AS TIMESTAMP)"),
    fc.tuple(tie("m"), fc.constantFrom("1 HOUR", "90 MINUTE", "1 MONTH", "2 DAY", "1 SECOND", "1 YEAR")).map(([x, i]) => `(${x} + INTERVAL ${i})`),
    fc.tuple(tie("m"), fc.constantFrom("hour", "day", "month", "minute", "year", "week")).map(([x, u]) => `date_trunc('${u}', ${x})`),
    fc.tuple(tie("m"), tie("m")).map(([a, b]) => `greatest(${a}, ${b})`),
    fc.tuple(tie("t"), fc.integer({ min: 0, max: 23 })).map(([x, h]) => `(${x} + INTERVAL ${h} HOUR)`),
  ),
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("r.d", "DATE '2024-02-29'", "CAST(NULL AS DATE)"),
    tie("m").map((x) => `CAST(${x} AS DATE)`),
    fc.tuple(tie("t"), fc.integer({ min: -40, max: 40 })).map(([x, n]) => `(${x} + ${n})`),
    tie("t").map((x) => `last_day(${x})`),
    fc.tuple(tie("t"), fc.constantFrom("1 MONTH", "2 DAY", "1 YEAR")).map(([x, i]) => `CAST(${x} + INTERVAL ${i} AS DATE)`),
    fc.tuple(tie("t"), tie("t")).map(([a, b]) => `least(${a}, ${b})`),
  ),
  b: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(tie("i"), comparison, tie("i")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("s"), fc.constantFrom("=", "<", "<>"), tie("s")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("s"), fc.constantFrom("'%e%'", "'b%'", "'_l%'")).map(([x, p]) => `${x} LIKE ${p}`),
    fc.tuple(tie("i"), fc.constantFrom("IS NULL", "IS NOT NULL")).map(([x, t]) => `(${x}) ${t}`),
    fc.tuple(tie("s"), fc.constantFrom("IS NULL", "IS NOT NULL")).map(([x, t]) => `(${x}) ${t}`),
    fc.tuple(tie("t"), tie("t")).map(([a, b]) => `${a} < ${b}`),
    fc.tuple(tie("m"), comparison, tie("m")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("m"), tie("t")).map(([a, b]) => `${a} >= ${b}`),
    fc.tuple(tie("i"), tie("i")).map(([a, b]) => `${a} IN (${b}, 1, NULL)`),
    fc.tuple(tie("x"), comparison, tie("x")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("x"), fc.constantFrom("IS NULL", "IS NOT NULL")).map(([x, t]) => `(${x}) ${t}`),
    // Rows compared in order (a NULL value after every other), as DuckDB compares structs.
    fc.tuple(tie("i"), tie("s"), comparison, tie("i"), tie("s")).map(([a, b, op, c, d]) => `(${a}, ${b}) ${op} (${c}, ${d})`),
    fc.tuple(tie("i"), comparison, tie("i"), tie("s")).map(([k, op, a, b]) => `{'a': ${k}, 'b': r.g} ${op} row(${a}, ${b})`),
    fc.tuple(tie("s"), fc.constantFrom("'e'", "'Bl'", "''")).map(([x, p]) => `starts_with(${x}, ${p})`),
    fc.tuple(tie("l"), tie("i")).map(([x, n]) => `list_contains(${x}, ${n})`),
    fc.tuple(tie("l"), comparison, tie("l")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("o"), comparison, tie("o")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("p"), fc.constantFrom("=", "<>", "IS NOT DISTINCT FROM"), tie("p")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("p"), tie("s")).map(([x, k]) => `map_contains(${x}, ${k})`),
  ),
}));
const [integer, text, day, instant, list, struct, map] = [expressions.i, expressions.s, expressions.t, expressions.m, expressions.l, expressions.o, expressions.p] as unknown as fc.Arbitrary<string>[];
const scalars = fc.oneof(
  integer.map((e) => `SELECT r.k, ${e} FROM r`),
  integer.map((e) => `SELECT r.k FROM r WHERE (${e}) IS NOT NULL`),
  fc.tuple(instant, instant).map(([a, b]) => `SELECT r.k, ${a}, typeof(${a}), min(${b}) OVER (PARTITION BY r.g) FROM r`),
  instant.map((e) => `SELECT date_trunc('month', ${e}) AS m, count(*), max(r.n) FROM r GROUP BY 1`),
  integer.map((e) => `SELECT (${e}) % 3 AS g, count(*) FROM r GROUP BY 1`),
  // The types trustql gives expressions are DuckDB's (typeof is worked out when the plan is made).
  fc.tuple(integer, text, day, expressions.x as unknown as fc.Arbitrary<string>).map(([i, s, t, x]) => `SELECT DISTINCT typeof(${i}), typeof(${s}), typeof(${t}), typeof(${x}) FROM r`),
  fc.tuple(integer, text, expressions.x as unknown as fc.Arbitrary<string>).map(([i, s, x]) => `SELECT typeof(sum(${i})), typeof(avg(${i})), typeof(sum(${x})), typeof(avg(${x})), typeof(max(${s})), typeof(min(${x})), typeof(sum(${x}) OVER ()) FROM r LIMIT 1`),
  // Aggregates and windows over the expressions (whole partitions: no order, so no ties to break).
  fc.tuple(integer, text, day).map(([i, s, t]) => `SELECT r.g, sum(${i}), count(DISTINCT ${i}), min(${s}), max(${t}), count(*) FILTER (WHERE (${s}) IS NULL) FROM r GROUP BY r.g`),
  fc.tuple(integer, text).map(([i, s]) => `SELECT r.k, r.n, sum(${i}) OVER (PARTITION BY r.g), max(${s}) OVER (PARTITION BY r.k % 3) FROM r`),
  fc.tuple(integer, text).map(([i, s]) => `SELECT ${s} AS key, sum(${i}) AS total, sum(sum(${i})) OVER () AS whole FROM r GROUP BY 1`),
  // Lists as values, keys and rows (unnest), and list() of a group in a total order.
  list.map((l) => `SELECT r.k, ${l}, typeof(${l}) FROM r`),
  list.map((l) => `SELECT ${l} AS key, count(*) FROM r GROUP BY 1`),
  list.map((l) => `SELECT r.k, unnest(${l}) FROM r`),
  fc.tuple(integer, list).map(([i, l]) => `SELECT r.g, list(${i} ORDER BY r.n, r.k, r.v, r.d, r.ts), list_sort(list(DISTINCT ${l})) FROM r GROUP BY r.g`),
  // Structs and maps as values, keys, the least and greatest, and through list() and unnest.
  fc.tuple(struct, map).map(([o, p]) => `SELECT r.k, ${o}, ${p}, typeof(${o}), typeof(${p}) FROM r`),
  struct.map((o) => `SELECT ${o} AS key, count(*) FROM r GROUP BY 1`),
  map.map((p) => `SELECT ${p} AS key, count(*) FROM r GROUP BY 1`),
  fc.tuple(struct, map).map(([o, p]) => `SELECT r.g, min(${o}), max(${o}), count(DISTINCT ${p}), list(${o} ORDER BY r.n, r.k, r.v, r.d, r.ts) FROM r GROUP BY r.g`),
  fc.tuple(struct, map).map(([o, p]) => `SELECT r.k, unnest([${o}, ${o}]), unnest(map_keys(${p})) FROM r`),
  // Rows: counted distinct, the least and greatest, grouped by, arg_max by one.
  fc.tuple(integer, text).map(([i, s]) => `SELECT r.g, count(DISTINCT (${i}, ${s})), min((${s}, ${i})), max(row(${i}, ${s})), arg_max(r.k, (${i}, r.k)) FROM r GROUP BY r.g`),
  fc.tuple(integer, text).map(([i, s]) => `SELECT (${i}, ${s}) AS key, count(*), typeof((${i}, ${s})) FROM r GROUP BY 1`),
);

type Order = "rowsort" | "nosort";

/** DuckDB's answer, as trustql should give it; undefined for a query not to compare. */
async function comparableAnswer(sql: string, order: Order = "rowsort"): Promise<string[] | undefined> {
  let lines: string[];
  try {
    lines = resultLines(resultValues((await engine.runReferenceSql(sql)).table), order, 0);
  } catch {
    return undefined; // DuckDB refuses it (an overflow, a bad date)
  }
  // DuckDB folds an expression that is NULL whatever the row before typeof sees it: "NULL".
  if (sql.includes("typeof(") && lines.some((line) => line.includes('"NULL"'))) return undefined;
  return lines;
}

/** trustql's answer in one process (one- or two-phase plans). */
async function localAnswer(sql: string, twoPhaseAggregates: boolean, order: Order): Promise<string[]> {
  return resultLines(resultValues((await engine.execute(planSql(sql, engine.catalog(), { twoPhaseAggregates }).plan)).table), order, 0);
}

/**
 * Checks trustql's answers to `sql` against DuckDB's: in one process and, with `staged`, cut into
 * stages on four workers. A query DuckDB refuses is no case; nor one trustql refuses by a name in
 * `refusable` (a shape it says it cannot run, not a wrong answer).
 */
async function expectDuckDBAnswer(sql: string, options: { twoPhaseAggregates?: boolean; local?: boolean; staged?: boolean; order?: Order; refusable?: string } = {}): Promise<void> {
  const { twoPhaseAggregates = false, local = true, staged = false, order = "rowsort", refusable } = options;
  const expected = await comparableAnswer(sql, order);
  fc.pre(expected !== undefined);
  try {
    if (local) expect(await localAnswer(sql, twoPhaseAggregates, order), sql).toEqual(expected);
    if (staged) {
      // Every side hashed (but the tiniest), then small sides broadcast as a cluster would.
      expect(await stagedAnswer(sql, order, 4), `${sql} (on four workers)`).toEqual(expected);
      expect(await stagedAnswer(sql, order), `${sql} (on four workers, small sides broadcast)`).toEqual(expected);
      // As a cluster holds so small a table on every node: read whole wherever it is joined.
      expect(await stagedAnswer(sql, order, undefined, true), `${sql} (on four workers, tables held everywhere)`).toEqual(expected);
      // Stored in key order: joins on k by key range, groups by k kept where their chunks are.
      expect(await stagedAnswer(sql, order, 4, false, true), `${sql} (on four workers, tables stored in key order)`).toEqual(expected);
      // Exchanges of a few rows finished on the coordinator: some tasks return their rows, others send them.
      expect(await stagedAnswer(sql, order, 4, false, false, 4 << 10), `${sql} (on four workers, exchanges under 4 KiB finished on the coordinator)`).toEqual(expected);
    }
  } catch (error) {
    fc.pre(!(refusable && String(error).includes(refusable)));
    // A generated expression may nest deeper than a plan may (planner/substrait/emit.ts), refused by name.
    fc.pre(!String(error).includes("an expression nested too deeply"));
    throw error;
  }
}

describe("random scalar expressions", () => {
  it("give DuckDB's answer", async () => {
    await fc.assert(
      fc.asyncProperty(scalars, (sql) => expectDuckDBAnswer(sql)),
      { numRuns: RUNS },
    );
  });
});

describe("random queries", () => {
  it("give DuckDB's answer", async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), (sql, twoPhaseAggregates) => expectDuckDBAnswer(sql, { twoPhaseAggregates })),
      { numRuns: RUNS },
    );
  });
});

// LATERAL subqueries and correlated scalar subqueries (decorrelated into joins: lateral.ts,
// subqueries.ts): random correlations (equalities, inequalities, both), shapes (filtered rows,
// aggregates with and without GROUP BY, top rows by ORDER BY … LIMIT, window functions) and joins.
const correlation = fc.constantFrom("s.k = r.k", "s.k < r.k", "s.k = r.k AND s.w < r.n", "s.g = r.g", "s.k BETWEEN r.k - 2 AND r.k + 2", "s.k = r.k OR s.g = r.g", "s.g = r.g AND s.k > r.n % 7");
const localFilter = fc.constantFrom("", " AND s.w > 2", " AND s.g IS NOT NULL", " AND s.k % 2 = 0");
const lateralBody = fc.oneof(
  fc.tuple(correlation, localFilter).map(([c, f]) => ({ sql: `SELECT s.k AS x, s.w AS y FROM s WHERE ${c}${f}`, width: 2 })),
  fc.tuple(correlation, localFilter).map(([c, f]) => ({ sql: `SELECT s.w + r.n AS x, r.g AS y FROM s WHERE ${c}${f}`, width: 2 })),
  fc.tuple(correlation, localFilter).map(([c, f]) => ({ sql: `SELECT count(*) AS x, sum(s.w) AS y FROM s WHERE ${c}${f}`, width: 2 })),
  fc.tuple(correlation, localFilter).map(([c, f]) => ({ sql: `SELECT max(s.w) AS x, count(DISTINCT s.g) AS y FROM s WHERE ${c}${f}`, width: 2 })),
  fc.tuple(correlation, localFilter).map(([c, f]) => ({ sql: `SELECT s.g AS x, count(*) AS y FROM s WHERE ${c}${f} GROUP BY s.g`, width: 2 })),
  fc.tuple(correlation, localFilter, fc.integer({ min: 1, max: 3 })).map(([c, f, n]) => ({ sql: `SELECT s.k AS x, s.w AS y FROM s WHERE ${c}${f} ORDER BY s.w DESC, s.k, s.g LIMIT ${n}`, width: 2 })),
  fc.tuple(correlation, localFilter).map(([c, f]) => ({ sql: `SELECT s.k AS x, sum(s.w) OVER (ORDER BY s.k, s.w, s.g) AS y FROM s WHERE ${c}${f}`, width: 2 })),
);
const lateralQuery = fc.oneof(
  lateralBody.map((b) => `SELECT r.k, r.n, l.x, l.y FROM r, LATERAL (${b.sql}) l`),
  lateralBody.map((b) => `SELECT r.k, r.n, l.x, l.y FROM r LEFT JOIN LATERAL (${b.sql}) l ON true`),
  lateralBody.map((b) => `SELECT r.k, l.x FROM r JOIN LATERAL (${b.sql}) l ON l.y IS NOT NULL AND r.n > 20`),
  fc.tuple(correlation, localFilter).map(([c, f]) => `SELECT r.k, r.n, (SELECT sum(s.w) FROM s WHERE ${c}${f}) FROM r`),
  fc.tuple(correlation, localFilter).map(([c, f]) => `SELECT r.k FROM r WHERE r.n > (SELECT count(*) * 10 FROM s WHERE ${c}${f})`),
  fc.tuple(correlation, localFilter).map(([c, f]) => `SELECT r.k, EXISTS (SELECT 1 FROM s WHERE ${c}${f}) FROM r`),
  fc.tuple(correlation, localFilter, fc.constantFrom("r.n % 10 IN", "r.k NOT IN", "coalesce(r.k, 3) IN")).map(([c, f, needle]) => `SELECT r.k, r.n, ${needle} (SELECT s.w FROM s WHERE ${c}${f}) FROM r`),
  fc.tuple(correlation, localFilter, fc.constantFrom("r.n % 10 > ALL", "r.k <= ANY", "coalesce(r.k, 3) < ALL", "r.n % 10 >= ANY", "r.k = ALL", "r.n % 5 <> ANY")).map(([c, f, quantified]) => `SELECT r.k, r.n, ${quantified} (SELECT s.w FROM s WHERE ${c}${f}) FROM r`),
  fc.tuple(correlation, localFilter, fc.constantFrom("r.n % 10 > ALL", "r.k <= ANY")).map(([c, f, quantified]) => `SELECT r.k FROM r WHERE ${quantified} (SELECT s.w FROM s WHERE ${c}${f})`),
);

// Ordered answers, compared in order: every ORDER BY names all the selected columns (no ties to
// break differently), in random directions and NULL places, with LIMIT and OFFSET, after joins,
// groups and windows: on four workers, each node's sorted runs are merged on the coordinator.
const direction = fc.constantFrom("", " DESC", " NULLS FIRST", " DESC NULLS LAST", " ASC NULLS LAST");
const orderedQuery = fc
  .tuple(
    fc.constantFrom(
      "SELECT r.n AS a, r.k AS b, r.g AS c, r.d AS e FROM r WHERE",
      "SELECT r.k AS a, s.w AS b, s.g AS c, r.n AS e FROM r JOIN s ON s.k = r.k WHERE",
      "SELECT r.g AS a, count(*) AS b, sum(r.v) AS c, min(r.d) AS e FROM r WHERE",
      "SELECT r.k AS a, r.n AS b, rank() OVER (PARTITION BY r.g ORDER BY r.n) AS c, r.d AS e FROM r WHERE",
    ),
    predicate,
    fc.shuffledSubarray(["a", "b", "c", "e"], { minLength: 4, maxLength: 4 }),
    fc.tuple(direction, direction, direction, direction),
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 5 }),
  )
  .map(([select, p, keys, dirs, limit, offset]) => `${select} ${p}${select.includes("count(*)") ? " GROUP BY r.g" : ""} ORDER BY ${keys.map((k, i) => `${k}${dirs[i]}`).join(", ")} LIMIT ${limit} OFFSET ${offset}`);

describe("random ordered queries", () => {
  it("give DuckDB's rows in DuckDB's order, locally and on four workers", async () => {
    await fc.assert(
      fc.asyncProperty(orderedQuery, (sql) => expectDuckDBAnswer(sql, { staged: true, order: "nosort" })),
      { numRuns: RUNS / 3 },
    );
  });
});

// Window functions: random functions, partitions, frames (ROWS by a total order; RANGE by one
// key, its peers alike) and IGNORE NULLS, locally and on four workers (rows hashed by PARTITION BY).
// Aggregates over a frame give the same value whatever the order of the frame's rows; the value
// functions only where the order is total.
const frameAggregate = fc.constantFrom("sum(r.v)", "count(r.k)", "count(*)", "min(r.g)", "max(r.d)", "avg(r.n)");
const windowCall = fc.oneof(frameAggregate, fc.constantFrom("first_value(r.k)", "last_value(r.k IGNORE NULLS)", "nth_value(r.v, 2)"));
const rankingCall = fc.constantFrom("row_number()", "rank()", "dense_rank()", "ntile(3)", "lag(r.k, 2)", "lead(r.v)", "lag(r.g IGNORE NULLS)", "percent_rank()", "cume_dist()");
const partition = fc.constantFrom("", "PARTITION BY r.g ", "PARTITION BY r.k % 3 ", "PARTITION BY r.g, r.n > 50 ");
const total = "ORDER BY r.n, r.k NULLS FIRST, r.d, r.g, r.v";
const frame = fc.constantFrom(
  "", "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW", "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING", "ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING", "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
);
const rangeFrame = fc.constantFrom("RANGE BETWEEN 10 PRECEDING AND CURRENT ROW", "RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING", "RANGE BETWEEN UNBOUNDED PRECEDING AND 20 FOLLOWING");
const windowQuery = fc.oneof(
  fc.tuple(windowCall, partition, frame).map(([f, p, fr]) => `SELECT r.k, r.n, ${f} OVER (${p}${total} ${fr}) FROM r`),
  fc.tuple(frameAggregate, partition, rangeFrame).map(([f, p, fr]) => `SELECT r.k, r.n, ${f} OVER (${p}ORDER BY r.n ${fr}) FROM r`),
  fc.tuple(rankingCall, partition).map(([f, p]) => `SELECT r.k, r.n, r.g, ${f} OVER (${p}${total}) FROM r`),
  fc.tuple(frameAggregate, partition, predicate).map(([f, p, w]) => `SELECT r.g, r.k, ${f} OVER (${p}) FROM r WHERE ${w}`),
);

describe("random window queries", () => {
  it("give DuckDB's answer, locally and on four workers", async () => {
    await fc.assert(
      fc.asyncProperty(windowQuery, (sql) => expectDuckDBAnswer(sql, { staged: true })),
      { numRuns: RUNS / 3 },
    );
  });
});

// Grouping: grouping sets, aggregates that split into phases and those that do not (order
// statistics, string_agg in order, DISTINCT; not mode or arg_max, whose ties pick any row),
// FILTER, HAVING, DISTINCT ON and QUALIFY, locally and on four workers.
const groupedAggregate = fc.constantFrom(
  "count(*)", "count(DISTINCT r.k)", "sum(r.v) FILTER (WHERE r.n > 50)", "median(r.n)", "quantile_disc(r.v, 0.25)", "string_agg(r.g, ',' ORDER BY r.g, r.n)",
  "avg(r.v)", "min(r.d)", "max(r.g)", "bool_or(r.n > 90)", "stddev_samp(r.n)", "count(DISTINCT r.g) FILTER (WHERE r.k > 5)",
  // Rounded: summed in another order (on four workers), the last of 12 digits may differ.
  "round(corr(r.n, r.v), 6)", "round(regr_slope(r.v, r.n), 6)", "round(covar_samp(r.v, r.n), 6)", "percentile_cont(0.3) WITHIN GROUP (ORDER BY r.n)", "percentile_disc(0.5) WITHIN GROUP (ORDER BY r.v DESC)",
);
const groupedQuery = fc.oneof(
  fc.tuple(fc.constantFrom("r.g", "r.k % 4", "r.g, r.k % 2", "year(r.d)"), groupedAggregate, groupedAggregate, predicate).map(([keys, a, b, p]) => `SELECT ${keys}, ${a}, ${b} FROM r WHERE ${p} GROUP BY ${keys}`),
  fc.tuple(fc.constantFrom("ROLLUP (r.g, r.k % 2)", "CUBE (r.g, r.n > 50)", "GROUPING SETS ((r.g), (r.k % 3), ())"), groupedAggregate).map(([sets, a]) => `SELECT ${a}, count(*) FROM r GROUP BY ${sets}`),
  fc.tuple(groupedAggregate, fc.integer({ min: 1, max: 12 })).map(([a, n]) => `SELECT r.k % 5 AS g, ${a} FROM r GROUP BY 1 HAVING count(*) > ${n}`),
  fc.tuple(predicate, fc.constantFrom("r.n DESC, r.k, r.d, r.v", "r.d NULLS FIRST, r.n, r.k, r.v")).map(([p, order]) => `SELECT DISTINCT ON (r.g) r.g, r.k, r.n FROM r WHERE ${p} ORDER BY r.g, ${order}`),
  fc.tuple(fc.integer({ min: 1, max: 3 }), predicate).map(([n, p]) => `SELECT r.g, r.k, r.n FROM r WHERE ${p} QUALIFY row_number() OVER (PARTITION BY r.g ORDER BY r.n DESC, r.k, r.d, r.v) <= ${n}`),
  // A ranking and a share by an aggregate's alias, named in the window functions.
  fc.tuple(groupedAggregate, predicate).map(([a, p]) => `SELECT r.k % 5 AS g, ${a} AS x, count(*) AS n, rank() OVER (ORDER BY n DESC, g NULLS FIRST) AS r, n * 100.0 / sum(n) OVER () AS share FROM r WHERE ${p} GROUP BY 1`),
  fc.tuple(groupedAggregate, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 3 }), predicate).map(([a, h, n, p]) => `SELECT r.k % 6 AS g, ${a}, count(*) FROM r WHERE ${p} GROUP BY 1 HAVING count(*) > ${h} QUALIFY dense_rank() OVER (ORDER BY count(*) DESC) <= ${n}`),
);

describe("random grouping queries", () => {
  it("give DuckDB's answer, locally and on four workers", async () => {
    await fc.assert(
      fc.asyncProperty(groupedQuery, (sql) => expectDuckDBAnswer(sql, { twoPhaseAggregates: true, staged: true })),
      { numRuns: RUNS / 3 },
    );
  });
});

// Set operations of three operands (INTERSECT binds tighter than UNION and EXCEPT, which go left
// to right), with and without ALL, some operands in parentheses; and joins of every kind, of three tables.
const setOperand = fc.tuple(fc.constantFrom("SELECT r.k, r.g FROM r", "SELECT s.k, s.g FROM s", "SELECT r.k % 7, r.g FROM r", "SELECT s.w, s.g FROM s"), predicate).map(([select, p]) => (select.includes("FROM r") ? `${select} WHERE ${p}` : select));
const setOperator = fc.constantFrom("UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL");
const setQuery = fc.oneof(
  fc.tuple(setOperand, setOperator, setOperand, setOperator, setOperand).map(([a, x, b, y, c]) => `${a} ${x} ${b} ${y} ${c}`),
  // Operands in parentheses: a set operation first or last, single queries with their own ORDER BY and LIMIT, and an ORDER BY and LIMIT of the whole after them.
  fc.tuple(setOperand, setOperator, setOperand, setOperator, setOperand).map(([a, x, b, y, c]) => `${a} ${x} (${b} ${y} ${c})`),
  fc.tuple(setOperand, setOperator, setOperand, setOperator, setOperand).map(([a, x, b, y, c]) => `(${a} ${x} ${b}) ${y} (${c})`),
  fc.tuple(setOperand, setOperator, setOperand, fc.integer({ min: 0, max: 6 })).map(([a, x, b, n]) => `(${a} ORDER BY 1 DESC, 2 LIMIT ${n}) ${x} (${b}) ORDER BY 2, 1 LIMIT 5`),
  fc.tuple(setOperand, setOperator, setOperand, setOperator, setOperand).map(([a, x, b, y, c]) => `${a} ${x} SELECT * FROM (${b} ${y} ${c}) AS p`),
  fc.tuple(setOperand, setOperator, setOperand).map(([a, x, b]) => `SELECT count(*), count(DISTINCT k) FROM (${a} ${x} ${b}) AS u(k, g)`),
);
const joinKind = fc.constantFrom("JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN");
const joinQuery = fc.oneof(
  fc.tuple(joinKind, joinKind, predicate).map(([j1, j2, p]) => `SELECT r.k, s.w, r2.n FROM r ${j1} s ON s.k = r.k ${j2} r r2 ON r2.g = s.g AND r2.n < 20 WHERE ${p} OR r.k IS NULL`),
  fc.tuple(joinKind, fc.constantFrom("USING (k)", "USING (k, g)", "ON s.k = r.k AND s.w > r.n % 10")).map(([j, on]) => `SELECT * FROM r ${j} s ${on}`),
  fc.tuple(joinKind, predicate).map(([j, p]) => `SELECT r.g, count(*), count(s.w), sum(s.w) FROM r ${j} s ON s.g = r.g AND s.k < r.k WHERE ${p} OR s.k IS NULL GROUP BY r.g`),
);

describe("random set operations and joins", () => {
  it("give DuckDB's answer, locally and on four workers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(setQuery, joinQuery), (sql) => expectDuckDBAnswer(sql, { staged: true })),
      { numRuns: RUNS / 3 },
    );
  });
});

// WITH RECURSIVE: an anchor of r's rows, a step over s joined to the last round's rows, bounded by depth.
const recursiveQuery = fc
  .tuple(predicate, fc.constantFrom("UNION", "UNION ALL"), fc.constantFrom("s.k = w.k", "s.k = w.k + 1", "s.g = w.g AND s.k > w.k", "s.k < w.k AND s.w > 5"), fc.constantFrom("s.k", "w.k + s.w", "s.w * 3"), fc.integer({ min: 1, max: 3 }))
  .map(
    ([p, union, on, next, rounds]) =>
      `WITH RECURSIVE w(k, g, d) AS (SELECT r.k, r.g, 0 FROM r WHERE ${p} ${union} SELECT ${next}, s.g, w.d + 1 FROM w JOIN s ON ${on} WHERE w.d < ${rounds}) SELECT d, count(*), count(DISTINCT k), min(g) FROM w GROUP BY d`,
  );

describe("random recursive queries", () => {
  it("give DuckDB's answer", async () => {
    await fc.assert(
      fc.asyncProperty(recursiveQuery, (sql) => expectDuckDBAnswer(sql)),
      { numRuns: RUNS / 3 },
    );
  });
});

/**
 * A query cut into stages and run on four simulated workers, every row through the exchanges
 * (tables read where their chunks are; sides estimated at most `broadcastRowLimit` rows
 * broadcast), or, with `smallExchangeBytes`, through the coordinator when they are that few.
 */
async function stagedAnswer(sql: string, order: Order, broadcastRowLimit?: number, smallTablesEverywhere = false, byKey = false, smallExchangeBytes = 0): Promise<string[]> {
  const planned = planSql(sql, byKey ? catalogByKey : engine.catalog(), { twoPhaseAggregates: true });
  const query = fragmentPlan(planned.logical, planned.names, { broadcastRowLimit, smallTablesEverywhere });
  const executors = new LocalExecutors(STAGED_WORKERS, { chunkFile: (hash) => chunkFiles.get(hash)!, pool });
  const result = await runStagedQuery({ query, workers: STAGED_WORKERS, coordinator: 0, tables: byKey ? placedByKey : placed, executors, budgetBytes: 1 << 20, smallExchangeBytes });
  return resultLines(resultValues(result.table), order, 0);
}

describe("random queries on four workers", () => {
  it("give DuckDB's answer", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(query, lateralQuery, scalars, recursiveQuery), (sql) => expectDuckDBAnswer(sql, { local: false, staged: true, refusable: "unsupported: LATERAL subquery" })),
      // Found by a run: a side hashed on (k, w) was joined as if hashed on k alone.
      { numRuns: RUNS / 3, examples: [["SELECT r.k, r.n, r.n % 10 IN (SELECT s.w FROM s WHERE s.k = r.k) FROM r"]] },
    );
  });
});

describe("random lateral and correlated subqueries", () => {
  it("give DuckDB's answer", async () => {
    await fc.assert(
      // A shape trustql refuses by name (LEFT JOIN … ON over a per-row aggregate) is no wrong answer.
      fc.asyncProperty(lateralQuery, fc.boolean(), (sql, twoPhaseAggregates) => expectDuckDBAnswer(sql, { twoPhaseAggregates, refusable: "unsupported: LATERAL subquery" })),
      { numRuns: RUNS },
    );
  });
});
