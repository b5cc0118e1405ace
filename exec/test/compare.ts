// Comparing two answers the way a person would: values as exact text, doubles to 12
// significant digits (summation order differs between plans), rows in order or as a multiset.
import type * as arrow from "apache-arrow";
import { tableToText } from "../../client/output/values.ts";

const DOUBLE_DIGITS = 12;

export function rowsAsText(table: arrow.Table, names: readonly string[]): string[] {
  const columns = tableToText(table, names);
  return Array.from({ length: table.numRows }, (_, r) =>
    columns
      .map((c) => {
        const v = c.values[r];
        if (v === null) return "NULL";
        return String(c.type).startsWith("Float") ? Number(v).toPrecision(DOUBLE_DIGITS) : String(v);
      })
      .join("|"),
  );
}

export function sameRows(a: readonly string[], b: readonly string[], ordered: boolean): boolean {
  const x = ordered ? [...a] : [...a].sort();
  const y = ordered ? [...b] : [...b].sort();
  return x.length === y.length && x.every((row, i) => row === y[i]);
}

/**
 * SQL of DuckDB's own view of some columns' rows, to compare rows that went through Arrow with
 * the rows they were made from: each column's text (`c::VARCHAR`), and a digest of them all
 * (the row count, the sum of the rows' hashes, each column's count of values). `from` is a FROM item.
 */
export function columnsCheckSql(columns: readonly string[]): { text: (from: string) => string; digest: (from: string) => string } {
  return {
    text: (from) => `SELECT ${columns.map((c) => `${c}::VARCHAR AS ${c}`).join(", ")} FROM ${from}`,
    digest: (from) => `SELECT count(*) AS n, sum(hash(${columns.join(", ")})::HUGEINT) AS h, ${columns.map((c) => `count(${c})`).join(", ")} FROM ${from}`,
  };
}
