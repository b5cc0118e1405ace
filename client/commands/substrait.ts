import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadPlan } from "../../exec/index.ts";
import { Plan } from "../../proto/index.ts";
import { UserError } from "../../common/errors.ts";
import { writeJson, type Command } from "../cli.ts";
import { executeWithProgress, openLocalEngine, printResult, RESULT_OPTIONS } from "./local-query.ts";

function readPlan(positionals: string[], cwd: string): Plan {
  if (positionals.length !== 1) throw new UserError("expected one plan file (.bin or proto3 .json)");
  const path = resolve(cwd, positionals[0]);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError(`${positionals[0]}: cannot read it`);
  }
  return loadPlan(bytes, path);
}

export const substraitRunCommand: Command = {
  path: ["substrait", "run"],
  summary: "Run a Substrait plan (binary or proto3 JSON, from trustql or another producer) on local parquet files",
  usage: "substrait run --data DIR|FILES [--format table|csv|jsonl|arrow|parquet] PLAN",
  options: { ...RESULT_OPTIONS },
  async run({ values, positionals }, context) {
    const plan = readPlan(positionals, context.io.cwd);
    const engine = await openLocalEngine(values.data as string[] | undefined, context.io.cwd);
    try {
      const started = performance.now();
      const result = await executeWithProgress(engine, plan);
      await printResult(result, values, context, performance.now() - started, engine);
      return 0;
    } finally {
      engine.close();
    }
  },
};

export const substraitShowCommand: Command = {
  path: ["substrait", "show"],
  summary: "Print a Substrait plan file as proto3 JSON",
  usage: "substrait show PLAN",
  options: {},
  async run({ positionals }, context) {
    const plan = readPlan(positionals, context.io.cwd);
    const json = Plan.toJSON(plan);
    if (context.json) writeJson(context.io, json as object);
    else context.io.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return 0;
  },
};
