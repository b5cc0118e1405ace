// The bench target: planning a TPC-H query, from SQL text to Substrait bytes, takes a median
// under 5 ms. Measured here so a slow rewrite shows up in `npm test`, not only in the bench.
import { describe, expect, it } from "vitest";
import { Plan } from "../../proto/index.ts";
import { planSql } from "../index.ts";
import { TPCH_QUERIES, tpchCatalog } from "./tpch.ts";

const TARGET_MS = 5;
const WARM_UP_RUNS = 5;
const MEASURED_RUNS = 15;

describe("planning time", () => {
  it(`plans each TPC-H query in a median under ${TARGET_MS} ms`, () => {
    const medians: Record<string, number> = {};
    for (const { name, sql } of TPCH_QUERIES) {
      for (let i = 0; i < WARM_UP_RUNS; i++) Plan.encode(planSql(sql, tpchCatalog).plan).finish();
      const samples: number[] = [];
      for (let i = 0; i < MEASURED_RUNS; i++) {
        const started = performance.now();
        Plan.encode(planSql(sql, tpchCatalog).plan).finish();
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      medians[name] = samples[MEASURED_RUNS >> 1];
    }
    const slow = Object.entries(medians).filter(([, ms]) => ms >= TARGET_MS);
    expect(slow).toEqual([]);
  });
});
