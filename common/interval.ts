// DuckDB's intervals as they travel between nodes: as DuckDB's text of them ('1 year 2 months
// 3 days 04:05:06.789', '-36:00:00'). DuckDB counts two intervals equal when their normalized
// parts are (24 hours make a day, 30 days a month: '1 day' = '24:00:00', '1 month' = '30 days'),
// so whatever must put equal intervals together (a hash exchange) works on those parts.
import { UserError } from "./errors.ts";

/** An interval's parts as DuckDB keeps them: months and days (32-bit) and microseconds (64-bit). */
export interface IntervalParts {
  months: number;
  days: number;
  micros: bigint;
}

const DAYS_PER_MONTH = 30;
const MICROS_PER_DAY = 86_400_000_000n;
const MONTHS_PER_UNIT: Readonly<Record<string, number>> = { year: 12, years: 12, month: 1, months: 1 };
/** A time of day part as DuckDB writes it: a sign, hours (any number of digits), minutes, seconds, up to 6 fraction digits. */
const TIME_PART = /^(-?)(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** The parts of an interval from DuckDB's text of it; throws a UserError on other text. */
export function parseIntervalText(text: string): IntervalParts {
  const parts: IntervalParts = { months: 0, days: 0, micros: 0n };
  const tokens = text.split(" ");
  for (let i = 0; i < tokens.length; i++) {
    const time = TIME_PART.exec(tokens[i]);
    if (time) {
      const [, sign, hours, minutes, seconds, fraction = ""] = time;
      const micros = ((BigInt(hours) * 60n + BigInt(minutes)) * 60n + BigInt(seconds)) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
      parts.micros += sign ? -micros : micros;
      continue;
    }
    const count = Number(tokens[i]);
    const unit = tokens[++i];
    if (!Number.isSafeInteger(count) || unit === undefined) throw new UserError(`not an interval as DuckDB writes one: '${text}'`);
    if (unit === "day" || unit === "days") parts.days += count;
    else if (unit in MONTHS_PER_UNIT) parts.months += count * MONTHS_PER_UNIT[unit];
    else throw new UserError(`not an interval as DuckDB writes one: '${text}'`);
  }
  return parts;
}

/**
 * The parts DuckDB compares an interval by: whole days out of the microseconds, then whole
 * months out of all the days, each division truncated toward zero (DuckDB 1.5's
 * normalized_interval; the property test holds it to the DuckDB this project runs). Two
 * intervals are equal in DuckDB exactly when these are.
 */
export function normalizeInterval({ months, days, micros }: IntervalParts): IntervalParts {
  const daysOfMicros = micros / MICROS_PER_DAY;
  const allDays = days + Number(daysOfMicros);
  const monthsOfDays = Math.trunc(allDays / DAYS_PER_MONTH);
  return { months: months + monthsOfDays, days: allDays - monthsOfDays * DAYS_PER_MONTH, micros: micros - daysOfMicros * MICROS_PER_DAY };
}
