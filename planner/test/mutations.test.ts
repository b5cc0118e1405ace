// The front end fails only as a user's error: the slt corpus's queries, mutated word by word with
// the syntax the pre-pass rewrites (casts, subscripts, FROM-first, intervals, stand-ins…), either
// plan or are refused with a UserError — never a TypeError or a broken invariant.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../common/errors.ts";
import { namedStructFromColumns } from "../../exec/types.ts";
import { MemoryCatalog } from "../catalog.ts";
import { planSql } from "../index.ts";

const CORPUS = join(import.meta.dirname, "..", "..", "sql-tests", "slt");
const MUTATIONS = 10_000;

/** Pieces of SQL a mutation puts in, where the pre-pass does most. */
const PIECES = [
  "OVER", "WINDOW", "QUALIFY", "UNION", "WITH", "$$x$$", "IS", "BETWEEN", "AND", "RANGE", "PRECEDING", "TRY_CAST", "NATURAL",
  "DISTINCT", "//", "IN", "(", ")", "[", "]", ":", "::", ",", "*", "-", "~", "&", "^@", "||", "FROM", "SELECT", "WHERE", "INTERVAL",
  "2", "'x'", "a", "CAST", "AS", "INTEGER", "COLUMNS('a')", "FILTER", "ORDER BY", "first", "DAYS", "1_0", '"q""r"', "WEEK",
  "DESCRIBE", "SHOW", "ALL", "NULL",
];

function corpusQueries(): string[] {
  const queries: string[] = [];
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith(".slt"))) {
    const lines = readFileSync(join(CORPUS, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("query ")) continue;
      const sql: string[] = [];
      for (let k = i + 1; k < lines.length && lines[k] !== "----" && lines[k] !== ""; k++) sql.push(lines[k]);
      queries.push(sql.join("\n"));
    }
  }
  return queries;
}

/** A catalog where the corpus's table and column names resolve, so mutations reach the binder. */
function corpusCatalog(): MemoryCatalog {
  const columns = [
    ...["a", "b", "k", "i", "x", "y", "z", "n"].map((name) => ({ name, type: "INTEGER" })),
    ...["g", "s", "v", "note", "txt"].map((name) => ({ name, type: "VARCHAR" })),
    { name: "dt", type: "DATE" },
    { name: "ts", type: "TIMESTAMP" },
  ];
  const tables = ["t", "u", "n", "s", "c", "d", "v", "f", "w", "fl", "sl", "weird", "tm", "x"];
  return new MemoryCatalog(tables.map((name) => ({ names: [name], schema: namedStructFromColumns(columns) })));
}

describe("mutated queries", () => {
  it(`${MUTATIONS} mutations of the corpus's queries plan or fail as a user's error`, () => {
    const queries = corpusQueries();
    const catalog = corpusCatalog();
    let seed = 20261206;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const crashes: string[] = [];
    for (let r = 0; r < MUTATIONS; r++) {
      const words = queries[Math.floor(random() * queries.length)].split(/(\s+)/);
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * words.length);
        const piece = PIECES[Math.floor(random() * PIECES.length)];
        const kind = random();
        if (kind < 0.4) words.splice(at, 0, ` ${piece} `);
        else if (kind < 0.7) words.splice(at, 1);
        else words[at] = piece;
      }
      const sql = words.join("");
      try {
        planSql(sql, catalog);
      } catch (error) {
        if (!(error instanceof UserError)) crashes.push(`${(error as Error).name}: ${(error as Error).message.split("\n")[0]}\n  ${sql}`);
      }
    }
    expect(crashes.slice(0, 5)).toEqual([]);
  });
});
