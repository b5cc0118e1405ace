// Merging sorted runs: the merge must order rows exactly as DuckDB sorts them, or a node that
// sorted honestly would be blamed for its rows "out of order". DuckDB is the reference: each run
// is sorted by DuckDB, merged here, and compared with DuckDB sorting all the rows at once.
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalEngine } from "../../exec/engine.ts";
import type { OrderKey } from "../../planner/fragment/index.ts";
import { concatBatches, mergeSortedRuns, UnsortedRunError } from "../index.ts";
import { normalizeInterval, parseIntervalText } from "../../common/interval.ts";

const COLUMNS = ["i INTEGER", "b BIGINT", "d DOUBLE", "s VARCHAR", "m DECIMAL(38,3)", "dt DATE", "ts TIMESTAMP", "f BOOLEAN", "r REAL", "h HUGEINT", "iv INTERVAL"];
/** The interval column: it travels as DuckDB's text, so its order keys say so. */
const INTERVAL_COLUMN = COLUMNS.length - 1;

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** One row's values as SQL literals, NULLs and awkward values (NaN, -0, infinities, astral and empty text) included. */
const row = fc.tuple(
  fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }).map((v) => (v === null ? "NULL" : `${v}`)),
  fc.option(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -3n, max: 3n })), { nil: null }).map((v) => (v === null ? "NULL" : `(${v})::BIGINT`)),
  fc.option(fc.oneof(fc.constantFrom("'nan'", "'inf'", "'-inf'", "-0.0", "0.0"), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => `${x}`)), { nil: null }).map((v) => (v === null ? "NULL" : `(${v})::DOUBLE`)),
  fc.option(fc.oneof(fc.string({ maxLength: 4, unit: "binary" }).filter((t) => !t.includes("\u0000")), fc.constantFrom("", "a", "B", "é", "€", "😀", "\uFFFD")), { nil: null }).map((v) => (v === null ? "NULL" : sqlText(v))),
  fc.option(fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n }), { nil: null }).map((v) => (v === null ? "NULL" : `${v / 1000n}.${(v < 0n ? -v : v) % 1000n}::DECIMAL(38,3)`)),
  fc.option(fc.integer({ min: -30000, max: 30000 }), { nil: null }).map((v) => (v === null ? "NULL" : `DATE '1970-01-01' + ${v}`)),
  fc.option(fc.integer({ min: -2e9, max: 2e9 }), { nil: null }).map((v) => (v === null ? "NULL" : `TIMESTAMP '2000-01-01' + to_seconds(${v})`)),
  fc.option(fc.boolean(), { nil: null }).map((v) => (v === null ? "NULL" : `${v}`)),
  fc.option(fc.oneof(fc.constantFrom("'nan'", "-0.0"), fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => `${x}`)), { nil: null }).map((v) => (v === null ? "NULL" : `(${v})::REAL`)),
  fc.option(fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), { nil: null }).map((v) => (v === null ? "NULL" : `(${v})::HUGEINT`)),
  // Months, days and hours that often make one interval spelled two ways ('1 month', '30 days'; '1 day', '24:00:00').
  fc
    .option(fc.tuple(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -70, max: 70 }), fc.integer({ min: -80, max: 80 }), fc.constantFrom(0, 0, 1, -1, 999_999)), { nil: null })
    .map((v) => (v === null ? "NULL" : `to_months(${v[0]}) + to_days(${v[1]}) + to_microseconds(${v[2]}::BIGINT * 3600000000 + ${v[3]})`)),
);
const orderKey = fc
  .record({ column: fc.nat({ max: COLUMNS.length - 1 }), descending: fc.boolean(), nullsFirst: fc.boolean() })
  .map((key): OrderKey => (key.column === INTERVAL_COLUMN ? { ...key, interval: true } : key));

let engine: LocalEngine;
beforeAll(async () => {
  engine = await LocalEngine.open({ threads: 1 });
});
afterAll(() => engine.close());

async function sortedByDuckDB(rows: readonly string[][], order: readonly OrderKey[]): Promise<arrow.RecordBatch[]> {
  const names = COLUMNS.map((c) => c.split(" ")[0]);
  const values = rows.length === 0 ? `SELECT ${COLUMNS.map((c) => `NULL::${c.split(" ").slice(1).join(" ")} AS ${c.split(" ")[0]}`).join(", ")} WHERE false` : `VALUES ${rows.map((r) => `(${r.join(", ")})`).join(", ")}`;
  const by = order.map((k) => `${names[k.column]} ${k.descending ? "DESC" : "ASC"} NULLS ${k.nullsFirst ? "FIRST" : "LAST"}`).join(", ");
  const sql = `SELECT ${COLUMNS.map((c, i) => `CAST(${names[i]} AS ${c.split(" ").slice(1).join(" ")}) AS ${names[i]}`).join(", ")} FROM (${values}) t(${names.join(", ")}) ORDER BY ${by}`;
  return (await engine.runReferenceSql(sql)).table.batches;
}

/** A value as text that tells NaN from NULL and -0 from nothing else (DuckDB orders -0 and 0 as equal). */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return Object.is(value, -0) ? "0" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (ArrayBuffer.isView(value)) return Array.from(value as Uint32Array).join(":");
  return JSON.stringify(value);
}
/** An interval's text as its normalized parts: one interval spelled two ways is one key, whichever comes first among equals. */
const intervalKey = (value: unknown) => {
  if (value === null || value === undefined) return "NULL";
  const { months, days, micros } = normalizeInterval(parseIntervalText(String(value)));
  return `${months}/${days}/${micros}`;
};
const rowTexts = (batches: readonly arrow.RecordBatch[], columns: readonly number[], keys = false) =>
  batches.flatMap((batch) =>
    Array.from({ length: batch.numRows }, (_, r) => columns.map((c) => (keys && c === INTERVAL_COLUMN ? intervalKey : valueText)(batch.getChildAt(c)!.get(r))).join("|")),
  );
const allColumns = COLUMNS.map((_, i) => i);

describe("mergeSortedRuns", () => {
  it("orders the rows of runs DuckDB sorted as DuckDB sorts them all", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(row, { maxLength: 12 }), { minLength: 1, maxLength: 5 }), fc.array(orderKey, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 7 }), async (runs, order, batchRows) => {
        const sortedRuns = await Promise.all(runs.map((run) => sortedByDuckDB(run, order)));
        const merged = await mergeSortedRuns(sortedRuns, order, batchRows);
        const expected = await sortedByDuckDB(runs.flat(), order);
        const keyColumns = order.map((k) => k.column);
        expect(rowTexts(merged, keyColumns, true)).toEqual(rowTexts(expected, keyColumns, true));
        expect(rowTexts(merged, allColumns).sort()).toEqual(rowTexts(expected, allColumns).sort());
        expect(merged.every((b) => b.numRows <= batchRows && b.numRows > 0)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("names a run whose rows are out of order", async () => {
    const order: OrderKey[] = [{ column: 0, descending: false, nullsFirst: false }];
    const good = await sortedByDuckDB([["1", ...Array(COLUMNS.length - 1).fill("NULL")], ["3", ...Array(COLUMNS.length - 1).fill("NULL")]], order);
    const bad = (await sortedByDuckDB([["2", ...Array(COLUMNS.length - 1).fill("NULL")], ["NULL", ...Array(COLUMNS.length - 1).fill("NULL")], ["0", ...Array(COLUMNS.length - 1).fill("NULL")]], order)).map((b) => b.slice(0));
    const reversed = concatBatches(bad);
    const swapped = new arrow.Table(reversed).slice(2).concat(new arrow.Table(reversed).slice(0, 2)).batches;
    await expect(mergeSortedRuns([good, swapped], order)).rejects.toThrow(UnsortedRunError);
    await expect(mergeSortedRuns([good, swapped], order)).rejects.toMatchObject({ run: 1 });
    expect((await mergeSortedRuns([[], good, []], order)).flatMap((b) => b.toArray().map((r) => r.i))).toEqual([1, 3]);
    expect(await mergeSortedRuns([[], []], order)).toEqual([]);
  });
});

describe("concatBatches", () => {
  it("puts sliced batches with NULLs end to end", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.option(fc.integer(), { nil: null }), fc.option(fc.string(), { nil: null }), fc.option(fc.boolean(), { nil: null })), { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }), fc.nat(), (parts, cut) => {
        const batches = parts.map((rows, p) => {
          const batch = new arrow.Table({
            n: arrow.vectorFromArray(rows.map((r) => r[0]), new arrow.Int32()),
            s: arrow.vectorFromArray(rows.map((r) => r[1]), new arrow.Utf8()),
            f: arrow.vectorFromArray(rows.map((r) => r[2]), new arrow.Bool()),
          }).batches[0];
          return p % 2 === 1 ? batch.slice((cut + p) % rows.length) : batch;
        });
        const texts = (list: readonly arrow.RecordBatch[]) => rowTexts(list, [0, 1, 2]);
        expect(texts([concatBatches(batches)])).toEqual(texts(batches));
      }),
    );
  });
});
