// Chunks are content-addressed and deterministic, and keep a sorted key's rows together; pruning by
// their statistics is sound (never skips a chunk that holds a matching row) and useful (a
// selective filter skips most chunks).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { cutParquet, chunkCompression, chunkMayMatch, type Chunk } from "../chunks/index.ts";
import { FunctionDeclarations } from "../substrait/extensions.ts";
import { planSql } from "../../planner/index.ts";
import { LocalEngine } from "../index.ts";
import { formatTimestampNanos } from "../../common/temporal.ts";

const ROWS = 6_000;
const CHUNK_ROWS = 1_024;
/** Each row an hour and a bit after the one before: a timestamp and an instant that rise through the file. */
const MICROS_PER_ROW = 3_617_000_123;
const EPOCH_1992 = Date.UTC(1992, 0, 1) * 1000;
/** Each row a second and 7 ns after the one before, from 1992: a nanosecond timestamp with digits past the microsecond. */
const TICK_EPOCH_NANOS = BigInt(EPOCH_1992) * 1000n;
const NANOS_PER_TICK = 1_000_000_007n;
/** DuckDB's text of row `row`'s tick moved by `nanos`. */
const tickNear = (row: number, nanos: number) => formatTimestampNanos(TICK_EPOCH_NANOS + BigInt(row) * NANOS_PER_TICK + BigInt(nanos));
/** Each row's UUID rises by this much in its first 32 bits: through every leading hex digit (those of 8 and up are stored sign-flipped). */
const UUID_STEP = 715_827;
/** Row `row`'s UUID (one a few steps past the file's last row still fits in 32 bits). */
const uuidOf = (row: number, nudge = 0) => `${(row * UUID_STEP + nudge).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;

let dir: string;
let source: string;
let chunks: Chunk[];
let engine: LocalEngine;
let duckdb: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-chunks-"));
  source = join(dir, "events.parquet");
  duckdb = await DuckDBInstance.create(":memory:");
  connection = await duckdb.connect();
  // Rows in date order, as data usually arrives: date filters should prune well.
  await connection.run(`COPY (
    SELECT i::BIGINT AS k,
           CASE WHEN i % 17 = 0 THEN NULL ELSE ((i * 7919) % 100000 / 100.0 - 300)::DECIMAL(15,2) END AS price,
           (DATE '1992-01-01' + (i // 3)::INTEGER) AS day,
           CASE WHEN i % 23 = 0 THEN NULL ELSE chr((65 + (i * 31) % 26)::INTEGER) || (i % 97)::VARCHAR END AS name,
           TIMESTAMP '1992-01-01' + to_microseconds(i * ${MICROS_PER_ROW}) AS seen,
           CASE WHEN i % 29 = 0 THEN NULL ELSE TIMESTAMPTZ '1992-01-01 00:00:00+00' + to_microseconds(i * ${MICROS_PER_ROW} + 500000) END AS logged,
           make_timestamp_ns(${TICK_EPOCH_NANOS} + i * ${NANOS_PER_TICK}) AS tick,
           (lpad(to_hex(i * ${UUID_STEP}), 8, '0') || '-0000-4000-8000-000000000000')::UUID AS uid
    FROM range(${ROWS}) t(i) ORDER BY i) TO '${source}' (FORMAT parquet)`);
  chunks = await cutParquet(source, join(dir, "chunks"), { targetRows: CHUNK_ROWS });
  engine = await LocalEngine.open({ threads: 1 });
  await engine.registerParquet(["events"], [source]);
});

afterAll(() => {
  engine?.close();
  connection?.closeSync();
  duckdb?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function scanOf(sql: string) {
  const plan = planSql(sql, engine.catalog()).plan;
  let rel = plan.relations[0].root!.input!;
  while (!rel.read) rel = (rel.project?.input ?? rel.filter?.input ?? rel.aggregate?.input)!;
  return { read: rel.read, functions: new FunctionDeclarations(plan) };
}

function pruned(sql: string): boolean[] {
  const { read, functions } = scanOf(sql);
  const names = read.baseSchema!.names;
  const types = read.baseSchema!.struct!.types;
  return chunks.map((c) => !chunkMayMatch(read.filter, { names, types, stats: c.stats, rows: c.rows, functions }));
}

async function matches(chunk: Chunk, where: string): Promise<number> {
  const rows = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${chunk.file}') WHERE ${where}`);
  return Number(rows.getRows()[0][0]);
}

describe("cutting parquet into chunks", () => {
  it("keeps every row, in order, in chunks of the target size named by their hash", async () => {
    expect(chunks.map((c) => c.rows)).toEqual([1024, 1024, 1024, 1024, 1024, 880]);
    const files = chunks.map((c) => `'${c.file}'`).join(", ");
    const keys = await connection.runAndReadAll(`SELECT list(k ORDER BY ordinality) FROM (SELECT k, row_number() OVER () AS ordinality FROM read_parquet([${files}]))`);
    expect(String(keys.getRows()[0][0])).toBe(String(Array.from({ length: ROWS }, (_, i) => i)).replace(/,/g, ", ").replace(/^/, "[").replace(/$/, "]"));
    for (const c of chunks) expect(c.file.endsWith(`${c.hash}.parquet`)).toBe(true);
    const lastDayOfFirstChunk = new Date(Date.UTC(1992, 0, 1 + Math.floor((CHUNK_ROWS - 1) / 3))).toISOString().slice(0, 10);
    expect(chunks[0].stats.day).toEqual({ min: "1992-01-01", max: lastDayOfFirstChunk, nullCount: 0 });
  });

  it("cuts the same file into the same chunks every time", async () => {
    const again = await cutParquet(source, join(dir, "again"), { targetRows: CHUNK_ROWS });
    expect(again.map((c) => c.hash)).toEqual(chunks.map((c) => c.hash));
  });

  it("keeps each key's rows in one chunk of a table in key order, unless a key holds more than half a chunk", async () => {
    // Like TPC-H's lineitem: a few rows per order, orders in order; then one order of 1,500 rows.
    const file = join(dir, "lines.parquet");
    await connection.run(`COPY (
      SELECT (hash(i) % 5)::INTEGER AS part, i // 3 + i // 11 AS order_key, i AS line FROM range(5000) t(i)
      UNION ALL SELECT 7, 10000, 5000 + i FROM range(1500) t(i)
      ORDER BY line) TO '${file}' (FORMAT parquet)`);
    const lines = await cutParquet(file, join(dir, "lines"), { targetRows: CHUNK_ROWS });
    const keys = await Promise.all(lines.map(async (c) => (await connection.runAndReadAll(`SELECT list(order_key ORDER BY line), list(line ORDER BY line) FROM read_parquet('${c.file}')`)).getRows()[0]));
    const orders = keys.map(([k]) => String(k).slice(1, -1).split(", ").map(Number));
    expect(keys.flatMap(([, l]) => String(l).slice(1, -1).split(", ").map(Number))).toEqual(Array.from({ length: 6500 }, (_, i) => i));
    expect(lines.map((c) => c.rows)).toEqual(orders.map((o) => o.length));
    // Chunks of the orders before the long one share no key with the next chunk.
    for (let i = 0; i + 1 < orders.length && orders[i + 1][0] < 10000; i++) expect(orders[i].at(-1)).toBeLessThan(orders[i + 1][0]);
    for (const c of lines.slice(0, -1)) expect(Math.abs(c.rows - CHUNK_ROWS)).toBeLessThan(CHUNK_ROWS / 2);
    // The long order is cut where it lies.
    expect(orders.filter((o) => o.includes(10000)).length).toBeGreaterThan(1);
    expect((await cutParquet(file, join(dir, "lines-again"), { targetRows: CHUNK_ROWS })).map((c) => c.hash)).toEqual(lines.map((c) => c.hash));
  });

  it("refuses a chunk size out of range", async () => {
    await expect(cutParquet(source, join(dir, "bad"), { targetRows: 3 })).rejects.toThrow(/chunk size 3 rows/);
  });

  it("writes chunks with the codec asked for, LZ4 unless told (the same rows, other bytes)", async () => {
    const codecsOf = async (cut: Chunk[]) => (await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata([${cut.map((c) => `'${c.file}'`).join(", ")}])`)).getRows().map((r) => String(r[0]));
    expect(await codecsOf(chunks)).toEqual(["LZ4_RAW"]);
    const zstd = await cutParquet(source, join(dir, "zstd"), { targetRows: CHUNK_ROWS, compression: "zstd" });
    expect(await codecsOf(zstd)).toEqual(["ZSTD"]);
    expect(zstd.map((c) => c.rows)).toEqual(chunks.map((c) => c.rows));
    expect(zstd.map((c) => c.stats)).toEqual(chunks.map((c) => c.stats));
    expect(zstd.every((c, i) => c.hash !== chunks[i].hash)).toBe(true);
    expect(chunkCompression("ZSTD")).toBe("zstd");
    expect(() => chunkCompression("brotli")).toThrow("chunk compression brotli: expected one of lz4, zstd, snappy, uncompressed");
  });
});

describe("pruning by statistics", () => {
  it("skips the chunks a selective date filter cannot match", () => {
    const skipped = pruned("select k from events where day >= date '1995-01-01' and day < date '1995-03-01'");
    expect(skipped.filter(Boolean).length).toBe(chunks.length - 1);
  });

  it("skips the chunks a selective timestamp or instant filter cannot match", () => {
    // Rows 2,100–2,200 or so: inside the third of the six chunks (rows 2,048–3,071).
    const seen = pruned("select k from events where seen >= timestamp '1992-03-29 00:00:00' and seen < timestamp '1992-04-01 12:00:00.5'");
    expect(seen.filter(Boolean).length).toBe(chunks.length - 1);
    const logged = pruned("select k from events where logged between timestamptz '1992-03-29 02:00:00+02' and timestamptz '1992-04-01 12:00:00-03'");
    expect(logged.filter(Boolean).length).toBe(chunks.length - 1);
    // Nanoseconds, against a constant of their own type, text, or a timestamp: rows 2,100–2,199.
    for (const [low, high] of [[`TIMESTAMP_NS '${tickNear(2100, 0)}'`, `'${tickNear(2200, 0)}'`], ["timestamp '1992-01-01 00:35:00.000015'", "timestamp '1992-01-01 00:36:40'"]]) {
      const tick = pruned(`select k from events where tick >= ${low} and tick < ${high}`);
      expect(tick.filter(Boolean).length).toBe(chunks.length - 1);
    }
  });

  it("skips the chunks a UUID filter cannot match, UUIDs ordered as DuckDB orders them", () => {
    expect(pruned(`select k from events where uid = '${uuidOf(2100)}'`).filter(Boolean).length).toBe(chunks.length - 1);
    // Rows 5,000 and up: UUIDs from d55…, stored with their first bit flipped; only the last chunk holds them.
    expect(pruned(`select k from events where uid >= '${uuidOf(5200)}'`)).toEqual(chunks.map((_, i) => i < chunks.length - 1));
  });

  const column = fc.constantFrom("k", "price", "day", "name", "seen", "logged", "tick", "uid");
  /** SQL text of a time near row `row` of the file (± a few micros, to meet the stats' edges exactly too). */
  const timeNear = (row: number, nudge: number) => {
    const micros = BigInt(EPOCH_1992) + BigInt(row) * BigInt(MICROS_PER_ROW) + BigInt(nudge);
    const seconds = micros / 1_000_000n;
    return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace("T", " ")}.${String(micros % 1_000_000n).padStart(6, "0")}`;
  };
  // Often the first or last row of a chunk: where a wrong order of times would prune a chunk it must keep.
  const edgeRow = fc.tuple(fc.integer({ min: 0, max: Math.ceil(ROWS / CHUNK_ROWS) }), fc.constantFrom(-1, 0)).map(([k, d]) => k * CHUNK_ROWS + d);
  const rowNear = fc.tuple(fc.oneof(fc.integer({ min: -5, max: ROWS + 5 }), edgeRow), fc.constantFrom(-1, 0, 1, 500_000, 3_600_000_000, -3_600_000_000));
  const constantFor: Record<string, fc.Arbitrary<string>> = {
    k: fc.integer({ min: -10, max: ROWS + 10 }).map(String),
    price: fc.integer({ min: -40000, max: 80000 }).map((c) => (c / 100).toFixed(2)),
    day: fc.integer({ min: -5, max: ROWS / 3 + 5 }).map((d) => `date '${new Date(Date.UTC(1992, 0, 1 + d)).toISOString().slice(0, 10)}'`),
    name: fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 99 })).map(([c, n]) => `'${String.fromCharCode(65 + c)}${n}'`),
    seen: rowNear.map(([row, nudge]) => `timestamp '${timeNear(row, nudge)}'`),
    // An instant written in some zone: its offset moves the same time of day elsewhere.
    logged: fc.tuple(rowNear, fc.constantFrom("+00", "+02", "-05:30", "Z")).map(([[row, nudge], zone]) => `timestamptz '${timeNear(row, nudge)}${zone}'`),
    tick: fc.tuple(fc.oneof(fc.integer({ min: -5, max: ROWS + 5 }), edgeRow), fc.constantFrom(-1, 0, 1, 999, -1_000)).map(([row, nanos]) => `TIMESTAMP_NS '${tickNear(row, nanos)}'`),
    uid: fc.tuple(fc.oneof(fc.integer({ min: 0, max: ROWS }), edgeRow.map((row) => Math.min(ROWS, Math.max(0, row)))), fc.constantFrom(-1, 0, 1)).map(([row, nudge]) => `'${uuidOf(row, row === 0 ? Math.max(0, nudge) : nudge)}'`),
  };
  const atom = column.chain((c) =>
    fc.oneof(
      fc.tuple(fc.constantFrom("=", "<", "<=", ">", ">=", "<>"), constantFor[c]).map(([op, v]) => `${c} ${op} ${v}`),
      fc.tuple(constantFor[c], constantFor[c]).map(([a, b]) => `${c} between ${a} and ${b}`),
      fc.array(constantFor[c], { minLength: 1, maxLength: 3 }).map((vs) => `${c} in (${vs.join(", ")})`),
      fc.constantFrom(`${c} is null`, `${c} is not null`),
    ),
  );
  const predicate = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, atom, fc.tuple(tie("node"), fc.constantFrom("and", "or"), tie("node")).map(([a, op, b]) => `(${a} ${op} ${b})`)),
  })).node as fc.Arbitrary<string>;


  it("never skips a chunk that holds a matching time, at every chunk's first and last, a microsecond (a nanosecond) either side, in any zone", async () => {
    const edges = chunks.flatMap((_, k) => [k * CHUNK_ROWS, Math.min(ROWS, (k + 1) * CHUNK_ROWS) - 1]);
    for (const row of edges) {
      for (const nudge of [-1, 0, 1]) {
        for (const op of ["=", "<", "<=", ">", ">="]) {
          // tick: nanoseconds, told apart from their neighbours a nanosecond off.
          const wheres = [
            `seen ${op} timestamp '${timeNear(row, nudge)}'`,
            `logged ${op} timestamptz '${timeNear(row, nudge + 500_000 + 2 * 3_600_000_000)}+02'`,
            `tick ${op} '${tickNear(row, nudge)}'`,
          ];
          for (const where of wheres) {
            const skipped = pruned(`select k from events where ${where}`);
            for (const [i, chunk] of chunks.entries()) if (skipped[i]) expect(await matches(chunk, where), `chunk ${i} skipped for ${where}`).toBe(0);
          }
        }
      }
    }
  });

  it("never skips a chunk that holds a matching row", async () => {
    await fc.assert(
      fc.asyncProperty(predicate, async (where) => {
        const skipped = pruned(`select k from events where ${where}`);
        for (const [i, chunk] of chunks.entries()) {
          if (skipped[i]) expect(await matches(chunk, where), `chunk ${i} skipped for ${where}`).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
