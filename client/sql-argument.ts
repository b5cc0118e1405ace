// The SQL a command runs: one argument, "-" for standard input, or --file F.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../common/errors.ts";

/** `example` shows the command's shape in the error for missing SQL. */
export function readSqlArgument(positionals: string[], file: unknown, cwd: string, example: string): string {
  if (typeof file === "string") {
    if (positionals.length > 0) throw new UserError("give the SQL either as an argument or with --file, not both");
    try {
      return readFileSync(resolve(cwd, file), "utf8");
    } catch {
      throw new UserError(`--file ${file}: cannot read it`);
    }
  }
  if (positionals.length === 0) throw new UserError(`missing SQL: ${example}`);
  if (positionals.length > 1) throw new UserError("give the SQL as one argument (quote it)");
  if (positionals[0] === "-") return readFileSync(0, "utf8");
  return positionals[0];
}
