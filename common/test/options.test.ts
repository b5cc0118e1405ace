// The scripts' options: a value an option does not take stops the script before it does any
// work, with one line naming the option and what it takes, and exit code 2.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe("script options", () => {
  it.each([
    ["bench/cluster.ts", ["--rates", "100,x"], "bench:cluster: --rates 100,x: expected transfers per second above 0, comma-separated"],
    ["bench/cluster.ts", ["--nodes", "0"], "bench:cluster: --nodes 0: expected a whole number ≥ 1"],
    ["bench/tpch.ts", ["--queries", "1,23"], "bench:tpch: --queries 1,23: expected TPC-H query numbers from 1 to 22, comma-separated"],
    ["bench/tpch.ts", ["--queries", "3,,4"], "bench:tpch: --queries 3,,4: expected TPC-H query numbers from 1 to 22, comma-separated"],
    ["bench/sql.ts", ["--sf=-1"], "bench:sql: --sf -1: expected a number above 0"],
    ["bench/skew.ts", ["--workers", "1.5"], "bench:skew: --workers 1.5: expected a whole number ≥ 1"],
    ["bench/datagen.ts", ["--sf"], "bench:datagen: Option '--sf <value>' argument missing"],
    ["bench/tpch.ts", ["--bogus"], "bench:tpch: Unknown option '--bogus'"],
    ["bench/tpch.ts", ["--compression", "brotli"], "bench:tpch: --compression brotli: expected one of lz4, zstd, snappy, uncompressed"],
  ])("%s %j: one line, exit code 2", (script, args, message) => {
    const run = spawnSync(process.execPath, [join(root, script), ...args], { encoding: "utf8", timeout: 30_000 });
    expect(run.stderr).toBe(`${message}\n`);
    expect(run.status).toBe(2);
  });
});
