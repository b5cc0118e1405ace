// DESCRIBE table and DESCRIBE query (SHOW table too): the columns they give, as DuckDB lists
// them — name, type, whether it may be NULL, and DuckDB's key, default and extra (NULL here) —
// and SHOW TABLES: each planned as the constant rows of a VALUES, so the query runs like any
// other and every node reads the same.
import { tokenize } from "./parse/lexer.ts";
import { isNumeric, isTemporal, type, typeName, type SqlType } from "./types.ts";

/** Words after DESCRIBE that begin a query; anything else is a table's name. */
const QUERY_STARTS = new Set(["SELECT", "WITH", "FROM", "VALUES", "TABLE", "PIVOT", "UNPIVOT"]);

/** A statement that starts with DESCRIBE, SHOW or SUMMARIZE, after any spaces and comments: only those are read whole here. */
const DESCRIBE_SHOW_OR_SUMMARIZE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:describe|show|summarize)\b/i;

/**
 * What a DESCRIBE or SHOW statement asks (undefined for any other): SHOW TABLES, or the query a
 * DESCRIBE (or SHOW t) describes, written over the same offsets so errors name the statement as
 * written — `DESCRIBE t` is `    FROM t` (DuckDB's FROM-first: every column of t), `DESCRIBE
 * SELECT …` the SELECT.
 */
export function describeStatement(sql: string): { tables: true } | { described: string; summarized: boolean } | undefined {
  if (!DESCRIBE_SHOW_OR_SUMMARIZE.test(sql)) return undefined;
  const tokens = tokenize(sql);
  const [first, second] = tokens;
  if (first?.kind !== "word" || !second) return undefined;
  if (first.text === "SHOW" && tokens.length === 2 && second.kind === "word" && second.text === "TABLES") return { tables: true };
  if (first.text !== "DESCRIBE" && first.text !== "SHOW" && first.text !== "SUMMARIZE") return undefined;
  const opensQuery = (second.kind === "word" && QUERY_STARTS.has(second.text)) || (second.kind === "symbol" && second.text === "(");
  const replacement = opensQuery ? "" : "FROM";
  return { described: sql.slice(0, first.offset) + replacement.padStart(first.end - first.offset, " ") + sql.slice(first.end), summarized: first.text === "SUMMARIZE" };
}

/** The three quantiles SUMMARIZE gives, by their columns' names. */
const SUMMARY_QUANTILES = [
  { name: "q25", fraction: 0.25 },
  { name: "q50", fraction: 0.5 },
  { name: "q75", fraction: 0.75 },
];

/**
 * The query of a SUMMARIZE's rows, DuckDB's columns: per column of `query`, its name and type, min
 * and max (as text), approx_unique, avg and std of numbers, q25/q50/q75 of numbers and times, the
 * row count and the share of NULLs. One aggregate over the query per column, put together with
 * UNION ALL (so a wide table is read once per column). DuckDB's quantiles are approx_quantile's,
 * whose digest depends on the rows' order; trustql's are quantile_disc's, exact values of the column.
 */
export function summarySql(query: string, names: readonly string[], types: readonly SqlType[]): string {
  const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const body = query.replace(/[\s;]+$/, "");
  const columns = names.map((_, i) => `c${i}`);
  const rows = names.map((name, i) => {
    const c = columns[i];
    const t = types[i].kind === "null" ? type("i32") : types[i];
    const numeric = isNumeric(t);
    const ordered = numeric || isTemporal(t);
    const asText = (e: string, when: boolean) => (when ? `CAST(${e} AS VARCHAR)` : "CAST(NULL AS VARCHAR)");
    const quantiles = SUMMARY_QUANTILES.map((q) => `${asText(`quantile_disc(${c}, ${q.fraction})`, ordered)} AS ${q.name}`);
    // The mean of dates and timestamps is a TIMESTAMP, as DuckDB's avg of them, in microseconds.
    const instants = t.kind === "date" || t.kind === "timestamp";
    const average = instants ? asText(`TIMESTAMP '1970-01-01' + to_microseconds(CAST(avg(epoch_us(${c})) AS BIGINT))`, true) : asText(`avg(${c})`, numeric);
    return (
      `SELECT ${text(name)} AS column_name, ${text(typeName(t))} AS column_type, CAST(min(${c}) AS VARCHAR) AS min, CAST(max(${c}) AS VARCHAR) AS max, ` +
      `approx_count_distinct(${c}) AS approx_unique, ${average} AS avg, ${asText(`stddev_samp(${c})`, numeric)} AS std, ${quantiles.join(", ")}, ` +
      `count(*) AS count, CAST(100.0 * (count(*) - count(${c})) / nullif(count(*), 0) AS DECIMAL(9,2)) AS null_percentage ` +
      `FROM (${body}\n) AS summarized(${columns.join(", ")})`
    );
  });
  return rows.join(" UNION ALL ");
}

/** The VALUES query of SHOW TABLES' rows: every table's full name (dataset.table), in order. */
export function tablesSql(names: readonly string[]): string {
  const rows = [...names].sort().map((name) => `('${name.replaceAll("'", "''")}')`);
  if (rows.length === 0) return "SELECT * FROM (VALUES (CAST(NULL AS VARCHAR))) AS t(name) WHERE false";
  return `SELECT * FROM (VALUES ${rows.join(", ")}) AS t(name)`;
}

/**
 * The VALUES query of a DESCRIBE's rows, for the columns `names` of the described query. Every
 * column may be NULL, as DuckDB says of any column of a parquet file (trustql's tables all are:
 * the planner's knowledge that a file holds no NULL in a column is not a declared constraint).
 */
export function descriptionSql(names: readonly string[], types: readonly SqlType[]): string {
  const text = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const rows = names.map((name, i) => {
    // The first row types the empty columns VARCHAR, as DuckDB's are.
    const empty = i === 0 ? "CAST(NULL AS VARCHAR)" : "NULL";
    // An untyped NULL is stored as an INTEGER (DuckDB's DESCRIBE says so).
    const described = types[i].kind === "null" ? type("i32") : types[i];
    return `(${text(name)}, ${text(typeName(described))}, 'YES', ${empty}, ${empty}, ${empty})`;
  });
  if (rows.length === 0) return `SELECT * FROM (VALUES (CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR))) AS d(column_name, column_type, "null", "key", "default", extra) WHERE false`;
  return `SELECT * FROM (VALUES ${rows.join(", ")}) AS d(column_name, column_type, "null", "key", "default", extra)`;
}
