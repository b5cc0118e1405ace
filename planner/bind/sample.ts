// USING SAMPLE and TABLESAMPLE: a sample trustql can verify. DuckDB draws its samples at random
// (SYSTEM, by vectors of rows); a re-run of a task on another node must give the same rows, so
// trustql keeps a row when a hash of its values and the seed falls under the share asked for (a
// Bernoulli sample whose coin is the row itself), and for `n ROWS` the n rows with the least
// hashes. The same query gives the same sample anywhere; another seed another one. Rows equal in
// every column go or stay together.
import type { Sample } from "../parse/index.ts";
import type { ColumnDef, Expr, LogicalPlan } from "../logical.ts";
import { columnRef, outputColumns, passedThrough } from "../plan-utils.ts";
import { type } from "../types.ts";
import type { ColumnIds } from "./binder.ts";
import { literal } from "./literals.ts";
import { call, compare } from "./operators.ts";

/** What trustql's sample_hash spreads rows over: [0, 2^53), whole numbers a double holds exactly. */
export const SAMPLE_HASH_RANGE = 2 ** 53;

/** `plan`'s rows sampled as `sample` says, by the values of `columns` (the ones a query may read). */
export function samplePlan(plan: LogicalPlan, columns: readonly ColumnDef[], sample: Sample, ids: ColumnIds): LogicalPlan {
  const i64 = type("i64", false);
  const hash: Expr = call("sample_hash", [literal(BigInt(sample.seed), i64), ...columns.map(columnRef)], i64);
  if ("percent" in sample.size) {
    const below = literal(BigInt(Math.floor((sample.size.percent / 100) * SAMPLE_HASH_RANGE)), i64);
    return { kind: "filter", input: plan, predicate: compare("lt", hash, below, undefined) };
  }
  const hashed = ids.column("sample_hash", i64);
  const kept = outputColumns(plan);
  const withHash: LogicalPlan = { kind: "project", input: plan, outputs: [...passedThrough(kept), { column: hashed, expr: hash }] };
  const sorted: LogicalPlan = { kind: "sort", input: withHash, keys: [{ expr: columnRef(hashed), descending: false, nullsFirst: false }] };
  const first: LogicalPlan = { kind: "limit", input: sorted, offset: 0, count: sample.size.rows };
  return { kind: "project", input: first, outputs: passedThrough(kept) };
}
