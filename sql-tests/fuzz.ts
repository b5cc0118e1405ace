// `node sql-tests/fuzz.ts [--mutations 20] [--seed 1] [--variant one-phase|two-phase|staged] [files…]`:
// the corpus's queries mutated as SQL a user could have written instead (another comparison,
// operator, constant, aggregate, join type, column of the query…), each run by DuckDB and by
// trustql over the file's tables. Prints every mutation both ran whose answers differ (compared
// as sorted rows) and every one trustql failed on with an error that is not a user's; a mutation
// whose answer is not determined (LIMIT, any_value, row_number…) is not run. Where they differ,
// read both: DuckDB is the reference, not an oracle (the note lists the DuckDB bugs found so).
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../common/errors.ts";
import { numberOption, refuse, wholeFrom } from "../common/options.ts";
import { visitSltQueries, type PlanVariantName } from "./runner/runner.ts";
import { resultLines } from "./runner/values.ts";

const PROGRAM = "sql-tests/fuzz";
const VARIANTS: readonly PlanVariantName[] = ["one-phase", "two-phase", "staged"];
let parsed;
try {
  parsed = parseArgs({ options: { mutations: { type: "string", default: "20" }, seed: { type: "string", default: "1" }, variant: { type: "string", default: "one-phase" } }, allowPositionals: true, strict: true });
} catch (error) {
  refuse(PROGRAM, (error as Error).message.split("\n")[0]);
}
const { values, positionals } = parsed;
const variant = VARIANTS.find((v) => v === values.variant) ?? refuse(PROGRAM, `--variant ${values.variant}: expected ${VARIANTS.join(", ")}`);
const perQuery = numberOption(PROGRAM, "mutations", values.mutations, wholeFrom(1));
let seed = numberOption(PROGRAM, "seed", values.seed, wholeFrom(0));
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

/** Words that may stand for each other: a mutation swaps one for another of its class. */
const CLASSES: readonly (readonly string[])[] = [
  ["=", "<>", "<", "<=", ">", ">="],
  ["+", "-", "*", "/", "//", "%"],
  ["AND", "OR"],
  ["sum", "min", "max", "avg", "count"],
  ["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"],
  ["ASC", "DESC"],
  ["UNION", "UNION ALL", "INTERSECT", "EXCEPT"],
  ["coalesce", "greatest", "least"],
  ["upper", "lower", "trim", "reverse"],
  ["round", "floor", "ceil", "abs"],
  ["EXISTS", "NOT EXISTS"],
  ["IN", "NOT IN"],
  ["LIKE", "ILIKE", "NOT LIKE"],
  ["BETWEEN", "NOT BETWEEN"],
  ["ANY", "ALL"],
  ["ROWS", "RANGE"],
  ["PRECEDING", "FOLLOWING"],
  ["INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DECIMAL(10,2)", "SMALLINT"],
  ["DAY", "MONTH", "YEAR", "WEEK", "QUARTER"],
  ["year", "month", "day", "dayofweek", "quarter"],
  ["stddev_samp", "var_pop", "median", "count", "skewness", "kurtosis", "entropy", "product", "fsum"],
  ["DATE", "TIMESTAMP", "TIME"],
  ["WHEN", "WHEN NOT"],
  ["CAST", "TRY_CAST"],
  ["list_sort", "list_reverse_sort", "list_distinct", "list_reverse", "flatten"],
  ["len", "list_sum", "list_min", "list_max", "list_count", "list_unique"],
  ["list", "array_agg", "histogram"],
  ["map_keys", "map_values", "map_entries"],
  ["list_contains", "list_position", "array_has"],
  ["unnest", "list_sort"],
];
const AGGREGATES = /^(sum|min|max|avg|count|stddev_samp|var_pop|median|skewness|kurtosis|entropy|product|fsum)$/i;
const NUMBERS = ["0", "1", "-1", "2", "NULL", "3.5", "100"];
const STRINGS = ["'a'", "''", "NULL", "'apple'", "'b'"];
const KEYWORDS = /^(select|from|where|group|by|order|having|and|or|not|is|null|as|on|join|left|right|full|inner|outer|union|all|distinct|case|when|then|else|end|in|exists|between|like|asc|desc|nulls|with|over|partition)$/i;
/** Queries whose answer one engine may give otherwise than the other, rightly. */
const UNDETERMINED = /\b(limit|list|array_agg|fetch|offset|random|uuid|now|current_\w+|any_value|first|last|string_agg|row_number|ntile|lag|lead|first_value|last_value|nth_value)\b/i;
/** Recursions and series a mutation may make endless. */
const UNBOUNDED = /\b(recursive|range|generate_series)\b/i;

function mutate(sql: string): string {
  const words = sql.split(/(\s+|\(|\)|,)/).filter((w) => w !== "");
  const names = [...new Set(words.filter((w) => /^[a-z_][a-z0-9_]*$/.test(w) && !KEYWORDS.test(w)))];
  for (let edits = 1 + Math.floor(random() * 2); edits > 0; edits--) {
    const at = Math.floor(random() * words.length);
    const word = words[at];
    const swappable = CLASSES.find((c) => c.some((x) => x.toLowerCase() === word.toLowerCase()));
    if (swappable) words[at] = pick(swappable);
    else if (/^-?\d+(\.\d+)?$/.test(word)) words[at] = pick(NUMBERS);
    else if (/^'.*'$/.test(word)) words[at] = pick(STRINGS);
    else if (names.includes(word) && random() < 0.5) words[at] = pick(names);
    else if (/^select$/i.test(word) && random() < 0.3) words[at] = "SELECT DISTINCT";
    else if (word === "(" && AGGREGATES.test(words[at - 1] ?? "") && words[at + 1] !== "*") words[at] = "(DISTINCT ";
  }
  return words.join("");
}

const corpus = join(import.meta.dirname, "slt");
const files = positionals.length > 0 ? positionals.map((f) => resolve(f)) : readdirSync(corpus).filter((f) => f.endsWith(".slt")).sort().map((f) => join(corpus, f));
const counts = { mutations: 0, both: 0, differ: 0, errors: 0 };
const oneLine = (sql: string) => sql.replace(/\s*\n\s*/g, " ");
for (const file of files) {
  await visitSltQueries(file, async (record, answers) => {
    if (UNBOUNDED.test(record.sql)) return;
    for (let m = 0; m < perQuery; m++) {
      const sql = mutate(record.sql);
      if (sql === record.sql || UNDETERMINED.test(sql)) continue;
      counts.mutations++;
      const reference = await answers.duckdb(sql).then((rows) => resultLines(rows, "rowsort", 0), () => undefined);
      if (!reference) continue; // not SQL DuckDB runs
      let ours: string[];
      try {
        ours = resultLines(await answers.trustql(sql, variant), "rowsort", 0);
      } catch (error) {
        if (error instanceof UserError) continue;
        counts.errors++;
        process.stdout.write(`ERROR ${file}:${record.line}: ${(error as Error).name}: ${String((error as Error).message).split("\n")[0]}\n  ${oneLine(sql)}\n`);
        continue;
      }
      counts.both++;
      if (ours.join("\n") === reference.join("\n")) continue;
      counts.differ++;
      process.stdout.write(`DIFF ${file}:${record.line}\n  ${oneLine(sql)}\n  DuckDB:  ${reference.slice(0, 8).join(" | ")}\n  trustql: ${ours.slice(0, 8).join(" | ")}\n`);
    }
  });
  process.stderr.write(`${file}: ${counts.mutations} mutations so far\n`);
}
process.stdout.write(`${counts.mutations} mutations, ${counts.both} run by both, ${counts.differ} answers differ, ${counts.errors} errors of trustql's own\n`);
process.exitCode = counts.differ + counts.errors > 0 ? 1 : 0;
