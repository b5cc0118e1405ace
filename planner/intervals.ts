// The units of DuckDB's intervals (INTERVAL '2' DAYS, INTERVAL (n) WEEK, date_trunc's units
// aside): what each is worth, and which of trustql's two interval kinds it makes.
import { UnsupportedError, type SourcePosition } from "../common/errors.ts";

export const INTERVAL_UNITS: Record<string, { months?: number; days?: number; micros?: bigint }> = {
  millennium: { months: 12_000 },
  century: { months: 1_200 },
  decade: { months: 120 },
  year: { months: 12 },
  quarter: { months: 3 },
  month: { months: 1 },
  week: { days: 7 },
  day: { days: 1 },
  hour: { micros: 3_600_000_000n },
  minute: { micros: 60_000_000n },
  second: { micros: 1_000_000n },
  millisecond: { micros: 1_000n },
  microsecond: { micros: 1n },
};
const IRREGULAR_PLURALS: Record<string, string> = { millennia: "millennium", centuries: "century" };

/** The unit `written` names (any case, singular or plural), if it names one. */
function canonicalUnit(written: string): string | undefined {
  const lower = written.toLowerCase();
  const unit = IRREGULAR_PLURALS[lower] ?? (INTERVAL_UNITS[lower] ? lower : lower.replace(/s$/, ""));
  return INTERVAL_UNITS[unit] ? unit : undefined;
}

export function isIntervalUnitName(written: string): boolean {
  return canonicalUnit(written) !== undefined;
}

/** An interval's unit by DuckDB's name for it, and the kind of interval it makes. */
export function intervalUnit(written: string, position: SourcePosition | undefined): { unit: string; kind: "interval_year" | "interval_day" } {
  const unit = canonicalUnit(written);
  if (!unit) throw new UnsupportedError(`interval unit ${written}`, position);
  return { unit, kind: INTERVAL_UNITS[unit].months ? "interval_year" : "interval_day" };
}
