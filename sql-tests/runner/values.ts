// Query results as sqllogictest lines, DuckDB's convention: one line per row, values separated
// by tabs (tabs and newlines inside values escaped), NULL as NULL, the empty string as (empty), decimals
// exact, dates YYYY-MM-DD, doubles to 12 significant digits (two plans may add in another
// order), booleans true/false.
import { createHash } from "node:crypto";
import type * as arrow from "apache-arrow";
import { tableToText } from "../../client/output/values.ts";
import type { SortMode } from "./slt.ts";

const DOUBLE_DIGITS = 12;

function formatDouble(text: string): string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  // Rounded first: 131.99999999999997 (rows added in another order) prints as 132 does.
  const rounded = Number(n.toPrecision(DOUBLE_DIGITS));
  if (Number.isInteger(rounded) && Math.abs(rounded) < 1e15) return rounded.toFixed(1);
  return String(rounded);
}

/** Every value of the result, row by row, as slt text. */
export function resultValues(table: arrow.Table): string[][] {
  const columns = tableToText(table);
  return Array.from({ length: table.numRows }, (_, r) =>
    columns.map((c) => {
      const v = c.values[r];
      if (v === null) return "NULL";
      if (v === "") return "(empty)";
      return String(c.type).startsWith("Float") ? formatDouble(v) : v.replace(/\t/g, "\\t").replace(/\n/g, "\\n");
    }),
  );
}

/** The lines a result block holds for these rows, in the record's sort mode and hash threshold. */
export function resultLines(rows: string[][], sort: SortMode, hashThreshold: number): string[] {
  let lines: string[];
  if (sort === "valuesort") lines = rows.flat().sort();
  else {
    const joined = rows.map((r) => r.join("\t"));
    lines = sort === "rowsort" ? joined.sort() : joined;
  }
  const valueCount = rows.reduce((n, r) => n + r.length, 0);
  if (hashThreshold > 0 && valueCount > hashThreshold) {
    const hash = createHash("md5").update(lines.join("\n") + "\n").digest("hex");
    return [`${valueCount} values hashing to ${hash}`];
  }
  return lines;
}
