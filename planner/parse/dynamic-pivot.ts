// DuckDB's PIVOT statement without its values, `PIVOT src ON c USING sum(x) GROUP BY g`: its
// columns are the values c takes in src, which DuckDB reads before it plans. A trustql query is
// planned before it reads (its plan is what a query transaction pays for), so this is two
// queries: the values first (a query of their own), then the PIVOT with them listed, `ON c IN
// ('a', 'b')`, which the pre-pass reads (see pivotStatement there). Callers run the first.
import { UserError } from "../../common/errors.ts";
import { tokenize, tokenPosition, wordAtDepth, type Token } from "./lexer.ts";

/** Most columns a PIVOT's values may make. */
export const MAX_PIVOT_VALUES = 1_000;

/** Where a PIVOT statement's ON clause ends: at one of these words at its depth. */
const ON_CLAUSE_ENDS = new Set(["USING", "GROUP", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT"]);
/** Where a PIVOT statement's ON expression ends: at its IN list, or where its ON clause does. */
const ON_ENDS = new Set(["IN", ...ON_CLAUSE_ENDS]);

export interface DynamicPivot {
  /** The query of the values as text, sorted, NULL left out (as DuckDB's columns are), at most MAX_PIVOT_VALUES + 1 of them. */
  readonly valuesSql: string;
  /** The statement with `values` (as text) listed after its ON expression. */
  withValues(values: readonly string[]): string;
}

/** The first PIVOT statement in `sql` (the whole, or one in parentheses) whose ON lists no values; undefined when there is none. */
export function dynamicPivot(sql: string): DynamicPivot | undefined {
  const tokens = tokenize(sql);
  for (let at = 0; at < tokens.length; at++) {
    const starts = at === 0 || tokens[at - 1].text === "(" || tokens[at - 1].text === ";";
    if (starts && tokens[at].kind === "word" && tokens[at].text === "PIVOT") {
      const pivot = valuesToList(sql, tokens, at);
      if (pivot) return pivot;
    }
  }
  return undefined;
}

/** The PIVOT statement at tokens[at], if its ON lists no values. */
function valuesToList(sql: string, tokens: readonly Token[], at: number): DynamicPivot | undefined {
  const on = wordAtDepth(tokens, at + 1, new Set(["ON"]));
  if (tokens[on]?.text !== "ON" || on === at + 1) return undefined; // the pre-pass names what is missing
  // The ON clause: columns, each maybe with its IN list, up to USING, GROUP or the statement's end.
  const end = wordAtDepth(tokens, on + 1, ON_CLAUSE_ENDS);
  if (end === on + 1) return undefined;
  const source = sql.slice(tokens[at + 1].offset, tokens[on - 1].end);
  const commas = tokens.slice(on + 1, end).flatMap((t, k) => (t.text === "," && depthAt(tokens, on + 1, on + 1 + k) === 0 ? [on + 1 + k] : []));
  if (commas.length > 0) return severalValuesToList(sql, tokens, on, [...commas, end], source);
  if (tokens[wordAtDepth(tokens, on + 1, ON_ENDS)]?.text === "IN") return undefined;
  const column = sql.slice(tokens[on + 1].offset, tokens[end - 1].end);
  const onEnd = tokens[end - 1].end;
  return {
    // As text, in text's order: DuckDB's order of the columns (-13 before -8, 10.5 before 3.0).
    valuesSql: `SELECT DISTINCT CAST(${column} AS VARCHAR) AS value FROM ${source} WHERE (${column}) IS NOT NULL ORDER BY value LIMIT ${MAX_PIVOT_VALUES + 1}`,
    withValues(values) {
      if (values.length === 0) throw new UserError(`PIVOT ON ${column}: it has no values (other than NULL) in ${source}`, tokenPosition(tokens[on]));
      if (values.length > MAX_PIVOT_VALUES) throw new UserError(`PIVOT ON ${column}: more than ${MAX_PIVOT_VALUES} values, a column each; list the ones wanted (ON ${column} IN (…))`, tokenPosition(tokens[on]));
      const listed = values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");
      return `${sql.slice(0, onEnd)} IN (${listed})${sql.slice(onEnd)}`;
    },
  };
}

/** Most columns one PIVOT may be ON. */
const MAX_PIVOT_ON = 8;

/**
 * `PIVOT src ON a, b …`: each column's values (their query tags each with its column's number),
 * then `ON a IN (…), b IN (…)`, which makes a column per combination of the values (DuckDB's).
 * `ends`: the tokens that end each ON column (a comma, then the ON clause's end).
 */
function severalValuesToList(sql: string, tokens: readonly Token[], on: number, ends: readonly number[], source: string): DynamicPivot | undefined {
  if (ends.length > MAX_PIVOT_ON) throw new UserError(`PIVOT ON more than ${MAX_PIVOT_ON} columns`, tokenPosition(tokens[on]));
  // The columns without an IN list of their own (those with one keep it).
  const columns = ends.flatMap((end, k) => {
    const from = k === 0 ? on + 1 : ends[k - 1] + 1;
    if (end === from) throw new UserError("PIVOT's ON lists an empty column", tokenPosition(tokens[end]));
    const listed = tokens.slice(from, end).some((t, j) => t.kind === "word" && t.text === "IN" && depthAt(tokens, from, from + j) === 0);
    return listed ? [] : [{ text: sql.slice(tokens[from].offset, tokens[end - 1].end), end: tokens[end - 1].end }];
  });
  if (columns.length === 0) return undefined;
  const tag = (k: number) => `${String(k).padStart(2, "0")}:`;
  const perColumn = columns.map(({ text }, k) => `SELECT DISTINCT '${tag(k)}' || CAST(${text} AS VARCHAR) AS value FROM ${source} WHERE (${text}) IS NOT NULL`);
  return {
    // Tagged, each column's values come in text's order after the previous column's.
    valuesSql: `SELECT value FROM (${perColumn.join(" UNION ALL ")}) ORDER BY value LIMIT ${columns.length * (MAX_PIVOT_VALUES + 1)}`,
    withValues(values) {
      const lists = columns.map((_, k) => values.filter((v) => v.startsWith(tag(k))).map((v) => v.slice(tag(k).length)));
      let listed = sql;
      // From the last column back, so each insertion leaves the earlier offsets as they were.
      for (let k = columns.length - 1; k >= 0; k--) {
        const { text, end } = columns[k];
        if (lists[k].length === 0) throw new UserError(`PIVOT ON ${text}: it has no values (other than NULL) in ${source}`, tokenPosition(tokens[on]));
        if (lists[k].length > MAX_PIVOT_VALUES) throw new UserError(`PIVOT ON ${text}: more than ${MAX_PIVOT_VALUES} values, a column each; list the ones wanted (ON ${text} IN (…))`, tokenPosition(tokens[on]));
        listed = `${listed.slice(0, end)} IN (${lists[k].map((v) => `'${v.replaceAll("'", "''")}'`).join(", ")})${listed.slice(end)}`;
      }
      return listed;
    },
  };
}

/** The depth of tokens[at] in the parentheses opened from tokens[from]. */
function depthAt(tokens: readonly Token[], from: number, at: number): number {
  let depth = 0;
  for (let k = from; k < at; k++) {
    if (tokens[k].text === "(") depth++;
    else if (tokens[k].text === ")") depth--;
  }
  return depth;
}
