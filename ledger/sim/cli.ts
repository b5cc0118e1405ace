// `npm run sim -- --nodes 50 --byzantine 0.2 --seed 42 --txs 2000`: one simulated run; the
// last line printed is the report as one JSON object.
import { countBuffersInHeapLimit } from "../../common/heap-limits.ts";
import { aboveZero, numberOption, parseOptions, share, wholeFrom, zeroOrMore, type NumberKind } from "../../common/options.ts";
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
countBuffersInHeapLimit();
const values = parseOptions("trustql sim", OPTIONS);
const option = (name: Exclude<keyof typeof values, "explain-lost">, kind: NumberKind) => numberOption("trustql sim", name, values[name], kind);
const report = runSimulation({
  nodes: option("nodes", wholeFrom(1)),
  byzantine: option("byzantine", share),
  seed: option("seed", wholeFrom(0)),
  txs: option("txs", wholeFrom(0)),
  validators: option("validators", wholeFrom(1)),
  rate: option("rate", aboveZero),
  loss: option("loss", share),
  crashes: option("crashes", share),
  doubleSpends: option("double-spends", share),
  retainDecidedMs: option("retain-ms", zeroOrMore),
  explainLost: values["explain-lost"],
  // A long run shows where it is on a terminal; the JSON report stays the last line of stdout.
  onProgress: process.stderr.isTTY
    ? (p) => process.stderr.write(`\rsim: ${(p.virtualMs / 1000).toFixed(0)} s virtual · ${p.sent.toLocaleString("en")}/${p.txs.toLocaleString("en")} transactions submitted · ${(p.wallMs / 1000).toFixed(0)} s\x1b[K`)
    : undefined,
});
if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
process.stdout.write(JSON.stringify(report) + "\n");
process.exitCode = report.divergent === 0 && report.lost === 0 && report.supply_ok ? 0 : 1;
