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
