// A table read only where its key lies in some ranges (a table read by key range, see
// exec/stages/ranges.ts): the ranges as a task carries them, and the SQL condition the engine
// reads its files through.
import { formatDateDays } from "../common/temporal.ts";
import type { Type } from "../proto/index.ts";
import { quoteIdentifier } from "./substrait/literals.ts";

/** Rows of a table a task reads: those whose `column` lies in one of `ranges` (decimal text of the keys, for the wire). */
export interface KeyRanges {
  column: string;
  ranges: [string, string][];
}

/** 0001-01-01 and 9999-12-31 as days since 1970-01-01. */
const FIRST_DAY = -719_162n;
const LAST_DAY = 2_932_896n;

/** A table's files read by key range: each named file only where `column` lies in one of its ranges. */
export interface FileNarrowing {
  column: string;
  files: { file: string; ranges: [string, string][] }[];
}

/** A SQL condition on a row (of column type `type`) that holds where its key lies in `within`'s ranges. */
export function keyRangesCondition(within: KeyRanges, type: Type): string {
  const column = quoteIdentifier(within.column);
  // Dates as DATE literals, which name years 1 to 9999: a range reaching past them reads every row (it is a narrowing only).
  const inYears = (text: string) => BigInt(text) >= FIRST_DAY && BigInt(text) <= LAST_DAY;
  if (type.date && !within.ranges.every(([min, max]) => inYears(min) && inYears(max))) return "true";
  const literal = (text: string) => (type.date ? `DATE '${formatDateDays(Number(text))}'` : text);
  if (within.ranges.length === 0) return "false";
  return within.ranges.map(([min, max]) => (min === max ? `${column} = ${literal(min)}` : `${column} BETWEEN ${literal(min)} AND ${literal(max)}`)).join(" OR ");
}
