// Short deterministic simulations on many seeds: honest nodes never commit conflicting
// transactions, lose none, conserve coins and catch every equivocation. A failing seed is
// named so `npm run sim -- --seed N …` replays it.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSimulation, type SimOptions } from "../sim/index.ts";

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);

function check(options: SimOptions): void {
  const report = runSimulation(options);
  const replay = `replay: npm run sim -- --nodes ${options.nodes} --byzantine ${options.byzantine} --txs ${options.txs} --seed ${options.seed}`;
  expect(report.divergent, replay).toBe(0);
  expect(report.lost, replay).toBe(0);
  expect(report.supply_ok, replay).toBe(true);
  expect(report.evidence.detected, replay).toBe(report.evidence.made);
  expect(report.txs, replay).toBe(options.txs);
}

describe("simulated networks", () => {
  it.each(SEEDS)("seed %i: 10 nodes, a fifth byzantine, loss, duplication, a partition, crashes", (seed) => {
    check({ nodes: 10, byzantine: 0.2, seed, txs: 150, crashes: 0.15, doubleSpends: 0.05 });
  });

  it("seed 99: 25 nodes under heavier loss and more double spends", () => {
    check({ nodes: 25, byzantine: 0.2, seed: 99, txs: 300, loss: 0.05, duplication: 0.05, doubleSpends: 0.1 });
  });

  it("seed 5: submissions less than a millisecond apart (3,000 a second)", () => {
    check({ nodes: 10, byzantine: 0.2, seed: 5, txs: 300, rate: 3000 });
  });

  it("is deterministic: one seed, one report", () => {
    const options = { nodes: 8, byzantine: 0.25, seed: 7, txs: 60 };
    const { wall_ms: _a, ...first } = runSimulation(options);
    const { wall_ms: _b, ...second } = runSimulation(options);
    expect(second).toEqual(first);
  });
});

describe("simulated networks with a committee of validators", () => {
  it.each([1, 2, 3])("seed %i: 120 nodes, 16 of them validators, the rest following their commits", (seed) => {
    const report = runSimulation({ nodes: 120, validators: 16, byzantine: 0.1, seed, txs: 300, crashes: 0.1, doubleSpends: 0.05 });
    const replay = `replay: npm run sim -- --nodes 120 --validators 16 --byzantine 0.1 --txs 300 --crashes 0.1 --double-spends 0.05 --seed ${seed}`;
    expect(report.validators.count, replay).toBe(16);
    expect(report.validators.byzantine, replay).toBeLessThan(16 / 3);
    expect(report.divergent, replay).toBe(0);
    expect(report.lost, replay).toBe(0);
    expect(report.supply_ok, replay).toBe(true);
    expect(report.evidence.detected, replay).toBe(report.evidence.made);
    expect(report.txs, replay).toBe(300);
  });
});

describe("npm run sim", () => {
  const cli = join(import.meta.dirname, "..", "sim", "cli.ts");
  it.each([
    [["--nodes", "0"], "trustql sim: --nodes 0: expected a whole number ≥ 1"],
    [["--rate", "0"], "trustql sim: --rate 0: expected a number above 0"],
    [["--byzantine", "1.5"], "trustql sim: --byzantine 1.5: expected a share from 0 to 1"],
    [["--txs", "many"], "trustql sim: --txs many: expected a whole number ≥ 0"],
    [["--txs", "1.5"], "trustql sim: --txs 1.5: expected a whole number ≥ 0"],
    [["--loss", "-1"], "trustql sim: --loss -1: expected a share from 0 to 1"],
    [["--nodez", "5"], "trustql sim: Unknown option '--nodez'"],
  ])("refuses %j with one line and exit code 2", (args, message) => {
    const run = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });
    expect(run.stderr).toBe(`${message}\n`);
    expect(run.status).toBe(2);
  });
});
