// `npm run sim -- --nodes 50 --byzantine 0.2 --seed 42 --txs 2000`: one simulated run; the
// last line printed is the report as one JSON object.
import { parseArgs } from "node:util";
import { runSimulation } from "./index.ts";
import { DEFAULT_VALIDATORS } from "../consensus/validators.ts";

const OPTIONS = {
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
} as const;
const { values } = (() => {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    // An unknown option, or one without its value: one line, no stack.
    process.stderr.write(`trustql sim: ${(error as Error).message.split("\n")[0]}\n`);
    process.exit(2);
  }
})();
type Option = Exclude<keyof typeof values, "explain-lost">;
const refuse = (name: Option, expected: string): never => {
  process.stderr.write(`trustql sim: --${name} ${values[name]}: expected ${expected}\n`);
  process.exit(2);
};
const number = (name: Option) => {
  const n = Number(values[name]);
  return Number.isFinite(n) && n >= 0 ? n : refuse(name, "a number ≥ 0");
};
const whole = (name: Option, least: number) => {
  const n = number(name);
  return Number.isInteger(n) && n >= least ? n : refuse(name, `a whole number ≥ ${least}`);
};
/** A share of something (of the nodes, of the messages): from 0 to 1. */
const share = (name: Option) => {
  const n = number(name);
  return n <= 1 ? n : refuse(name, "a share from 0 to 1");
};
const rate = number("rate");
if (rate === 0) refuse("rate", "transactions per second, more than 0");
const report = runSimulation({
  nodes: whole("nodes", 1),
  byzantine: share("byzantine"),
  seed: whole("seed", 0),
  txs: whole("txs", 0),
  validators: whole("validators", 1),
  rate,
  loss: share("loss"),
  crashes: share("crashes"),
  doubleSpends: share("double-spends"),
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
