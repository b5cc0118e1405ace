import { resolve } from "node:path";
import { generateTpch } from "../../datagen/tpch/index.ts";
import { UserError } from "../../common/errors.ts";
import { writeJson, type Command } from "../cli.ts";
import { LiveLine, formatCount, progressBar } from "../progress.ts";

function parseNumber(text: unknown, flag: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UserError(`${flag} is required`);
    return fallback;
  }
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UserError(`${flag} ${text}: expected a number`);
  return n;
}

export const genTpchCommand: Command = {
  path: ["gen", "tpch"],
  summary: "Generate TPC-H data as parquet, one file per table (deterministic for a scale factor and seed)",
  usage: "gen tpch --sf N --out DIR [--seed N]",
  options: {
    sf: { type: "string" },
    out: { type: "string" },
    seed: { type: "string" },
  },
  async run({ values }, context) {
    const { io } = context;
    const sf = parseNumber(values.sf, "--sf");
    if (typeof values.out !== "string") throw new UserError("--out DIR is required");
    const out = resolve(io.cwd, values.out);
    const seed = values.seed === undefined ? undefined : parseNumber(values.seed, "--seed");
    const line = new LiveLine({ delayMs: 0 });
    const started = performance.now();
    const totals = new Map<string, { rows: number; total: number }>();
    const tables = await generateTpch({
      sf,
      out,
      seed,
      onProgress: ({ table, rows, totalRows }) => {
        totals.set(table, { rows, total: totalRows });
        let done = 0;
        let all = 0;
        for (const t of totals.values()) {
          done += t.rows;
          all += t.total;
        }
        line.update(`${progressBar(all ? done / all : 0)} ${table} ${formatCount(rows)}/${formatCount(totalRows)} rows`);
      },
    });
    line.done();
    const seconds = (performance.now() - started) / 1000;
    if (context.json) {
      writeJson(io, { out, sf, tables, seconds: Number(seconds.toFixed(3)) });
      return 0;
    }
    const width = Math.max(...tables.map((t) => t.name.length));
    for (const t of tables) {
      io.stdout.write(`${t.name.padEnd(width)}  ${String(t.rows).padStart(10)} rows  ${(t.bytes / 1e6).toFixed(1).padStart(8)} MB  ${t.file}\n`);
    }
    io.stdout.write(`TPC-H SF ${sf} written to ${out} in ${seconds.toFixed(1)}s\n`);
    return 0;
  },
};
