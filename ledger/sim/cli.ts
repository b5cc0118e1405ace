// `npm run sim -- --nodes 50 --byzantine 0.2 --seed 42 --txs 2000`: one simulated run; the
// last line printed is the report as one JSON object.
import { parseArgs } from "node:util";
import { runSimulation } from "./index.ts";
import { DEFAULT_VALIDATORS } from "../consensus/validators.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "50" },
    byzantine: { type: "string", default: "0.2" },
    seed: { type: "string", default: "42" },
    txs: { type: "string", default: "2000" },
    validators: { type: "string", default: String(DEFAULT_VALIDATORS) },
    rate: { type: "string", default: "500" },
    loss: { type: "string", default: "0.01" },
    crashes: { type: "string", default: "0.05" },
    "double-spends": { type: "string", default: "0.02" },
    "retain-ms": { type: "string", default: "5000" },
    "explain-lost": { type: "boolean" },
  },
});
const number = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`trustql sim: --${name} ${values[name]}: expected a number ≥ 0\n`);
    process.exit(2);
  }
  return n;
};
const report = runSimulation({
  nodes: number("nodes"),
  byzantine: number("byzantine"),
  seed: number("seed"),
  txs: number("txs"),
  validators: number("validators"),
  rate: number("rate"),
  loss: number("loss"),
  crashes: number("crashes"),
  doubleSpends: number("double-spends"),
  retainDecidedMs: number("retain-ms"),
  explainLost: values["explain-lost"],
  // A long run shows where it is on a terminal; the JSON report stays the last line of stdout.
  onProgress: process.stderr.isTTY
    ? (p) => process.stderr.write(`\rsim: ${(p.virtualMs / 1000).toFixed(0)} s virtual · ${p.sent.toLocaleString("en")}/${p.txs.toLocaleString("en")} transactions submitted · ${(p.wallMs / 1000).toFixed(0)} s\x1b[K`)
    : undefined,
});
if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
process.stdout.write(JSON.stringify(report) + "\n");
process.exitCode = report.divergent === 0 && report.lost === 0 && report.supply_ok ? 0 : 1;
