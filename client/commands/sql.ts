import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { planSql } from "../../planner/index.ts";
import { Plan } from "../../proto/index.ts";
import { writeJson, type Command } from "../cli.ts";
import { executeWithProgress, openLocalEngine, printResult, RESULT_OPTIONS } from "./local-query.ts";
import { readSqlArgument } from "../sql-argument.ts";
import { firstColumnText, withPivotValues } from "../sdk/pivot.ts";


export const sqlCommand: Command = {
  path: ["sql"],
  summary: "Plan SQL into Substrait and run it on local parquet files",
  usage:
    'sql --data DIR|FILES [--format table|csv|jsonl|arrow|parquet] [--explain] [--substrait-out FILE] [--two-phase] [--file F] "<SQL>"',
  options: {
    ...RESULT_OPTIONS,
    explain: { type: "boolean" },
    "substrait-out": { type: "string" },
    "two-phase": { type: "boolean" },
    file: { type: "string", short: "f" },
  },
  async run({ values, positionals }, context) {
    const { io } = context;
    const written = readSqlArgument(positionals, values.file, io.cwd, 'trustql sql --data DIR "select …"');
    const engine = await openLocalEngine(values.data as string[] | undefined, io.cwd);
    try {
      const started = performance.now();
      const sql = await withPivotValues(written, async (query) => firstColumnText((await engine.execute(planSql(query, engine.catalog()).plan)).table));
      const planned = planSql(sql, engine.catalog(), { twoPhaseAggregates: Boolean(values["two-phase"]) });
      if (values.explain) {
        const text = planned.explain();
        if (context.json) writeJson(io, { explain: text, names: planned.names });
        else io.stdout.write(text.endsWith("\n") ? text : text + "\n");
        return 0;
      }
      const out = values["substrait-out"];
      if (typeof out === "string") {
        const path = resolve(io.cwd, out);
        const bytes = out.endsWith(".json")
          ? Buffer.from(JSON.stringify(Plan.toJSON(planned.plan), null, 2) + "\n")
          : Plan.encode(planned.plan).finish();
        writeFileSync(path, bytes);
        if (context.json) writeJson(io, { file: path, bytes: bytes.length, names: planned.names });
        else io.stderr.write(`wrote ${out} (${bytes.length} bytes, Substrait ${out.endsWith(".json") ? "proto3 JSON" : "binary"})\n`);
        return 0;
      }
      const result = await executeWithProgress(engine, planned.plan);
      await printResult(result, values, context, performance.now() - started, engine);
      return 0;
    } finally {
      engine.close();
    }
  },
};
