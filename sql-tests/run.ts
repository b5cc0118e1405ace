// `node sql-tests/run.ts [files…] [--update] [--no-differential]`: runs .slt files (all of
// sql-tests/slt by default) and prints each failure with its file and line. --update rewrites
// the result blocks from DuckDB's answers: read what it wrote before committing it.
import { readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatFailures, runSltFile } from "./runner/runner.ts";

const { values, positionals } = parseArgs({
  options: { update: { type: "boolean" }, "no-differential": { type: "boolean" } },
  allowPositionals: true,
});
const corpus = join(import.meta.dirname, "slt");
const files = positionals.length > 0 ? positionals.map((f) => resolve(f)) : readdirSync(corpus).filter((f) => f.endsWith(".slt")).sort().map((f) => join(corpus, f));

let queries = 0;
let failures = 0;
for (const file of files) {
  const result = await runSltFile(file, { update: values.update, differential: !values["no-differential"] });
  queries += result.queries;
  failures += result.failures.length;
  if (result.failures.length > 0) process.stdout.write(formatFailures(result) + "\n\n");
  if (values.update && result.updated !== undefined) writeFileSync(file, result.updated);
  process.stderr.write(`${file}: ${result.queries} queries, ${result.failures.length} failures\n`);
}
process.stdout.write(`${files.length} files, ${queries} queries, ${failures} failures\n`);
process.exitCode = failures > 0 ? 1 : 0;
