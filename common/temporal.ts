// Dates and times as text, the way DuckDB and SQL literals write them: YYYY-MM-DD, and clocks
// with as many fraction digits as the value needs. Days and microseconds since the Unix epoch
// are what Substrait literals, Arrow and DuckDB all carry.

const MS_PER_DAY = 86_400_000;
const MICROS_PER_DAY = 86_400_000_000n;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

export function formatDateDays(days: number): string {
  const d = new Date(days * MS_PER_DAY);
  const year = d.getUTCFullYear();
  const yearText = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${yearText}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Microseconds since midnight, e.g. `13:05:09.25`. */
export function formatTimeMicros(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const base = `${pad(Number(seconds / 3600n))}:${pad(Number((seconds / 60n) % 60n))}:${pad(Number(seconds % 60n))}`;
  return fraction === 0n ? base : `${base}.${fraction.toString().padStart(6, "0").replace(/0+$/, "")}`;
}

/** Microseconds since the epoch, e.g. `1998-12-01 13:05:09.25`. */
export function formatTimestampMicros(micros: bigint): string {
  const day = micros >= 0n ? micros / MICROS_PER_DAY : -((-micros + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  return `${formatDateDays(Number(day))} ${formatTimeMicros(micros - day * MICROS_PER_DAY)}`;
}

/** Days since 1970-01-01 of a calendar date (any year, 0044 too), or undefined if there is no such day. */
export function civilDays(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.getTime() / MS_PER_DAY;
}

const TIMESTAMP_TEXT = /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(?:(Z|UTC)|([+-])(\d{2})(?::?(\d{2}))?)?\s*$/i;

/**
 * Microseconds (with `nanos`, nanoseconds) since the epoch of a timestamp as SQL and DuckDB write
 * one: `YYYY-MM-DD`, then optionally `HH:MM[:SS[.ffffff]]` (nine fraction digits with `nanos`),
 * then, when `offset` allows it, a UTC offset (`+02`, `-05:30`, `Z`, `UTC`; none: UTC).
 * Undefined for any other text.
 */
export function parseTimestampText(text: string, options: { offset: boolean; nanos?: boolean }): bigint | undefined {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return undefined;
  const [, year, month, day, h = "0", min = "0", s = "0", fraction = "", utc, sign, offsetHours, offsetMinutes = "0"] = m;
  const digits = options.nanos ? 9 : 6;
  if (((utc || sign) && !options.offset) || fraction.length > digits) return undefined;
  const days = civilDays(Number(year), Number(month), Number(day));
  if (days === undefined || Number(h) > 23 || Number(min) > 59 || Number(s) > 59) return undefined;
  const offset = sign ? (sign === "-" ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) : 0;
  if (Math.abs(offset) > 24 * 60) return undefined;
  const perSecond = 10n ** BigInt(digits);
  const seconds = BigInt(days) * 86_400n + BigInt(Number(h) * 3600 + Number(min) * 60 + Number(s)) - BigInt(offset) * 60n;
  return seconds * perSecond + BigInt(fraction.padEnd(digits, "0") || "0");
}

/** Nanoseconds since the epoch, e.g. `2024-01-01 00:00:00.123456789` (fraction digits as the value needs, as DuckDB writes TIMESTAMP_NS). */
export function formatTimestampNanos(nanos: bigint): string {
  const seconds = nanos >= 0n ? nanos / 1_000_000_000n : -((-nanos + 999_999_999n) / 1_000_000_000n);
  const fraction = nanos - seconds * 1_000_000_000n;
  const base = formatTimestampMicros(seconds * 1_000_000n);
  return fraction === 0n ? base : `${base}.${fraction.toString().padStart(9, "0").replace(/0+$/, "")}`;
}

/** Arrow time units (arrow.TimeUnit's values) in microseconds. */
const MICROS_PER_UNIT = [1_000_000n, 1_000n, 1n] as const;

/**
 * A timestamp or time of an Arrow column in microseconds: raw buffer values are counts of the
 * column's unit (0 s, 1 ms, 2 µs, 3 ns); values read through Arrow's getters are fractional
 * epoch milliseconds whatever the unit.
 */
export function arrowTimeToMicros(value: number | bigint, unit: number): bigint {
  if (typeof value === "number") return BigInt(Math.round(value * 1000));
  return unit === 3 ? value / 1_000n : value * MICROS_PER_UNIT[unit];
}
