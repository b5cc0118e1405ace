// Small helpers every benchmark prints with: medians, geomeans, peak memory, aligned tables.
import { readFileSync } from "node:fs";
import type { NumberKind } from "../common/options.ts";

/** What `--queries` takes in the TPC-H benches. */
export const TPCH_QUERY_NUMBERS: NumberKind = { accepts: (n) => Number.isInteger(n) && n >= 1 && n <= 22, expected: "TPC-H query numbers from 1 to 22" };

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

/** Peak resident memory of this process, sampled when asked and at every call of peakBytes. */
export class PeakRss {
  #peak = 0;

  sample(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }

  peakBytes(): number {
    this.sample();
    // The kernel's high-water mark catches peaks between samples.
    return Math.max(this.#peak, process.resourceUsage().maxRSS * 1024);
  }
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  process.stdout.write(line(header) + "\n" + widths.map((w) => "-".repeat(w)).join("  ") + "\n");
  for (const r of rows) process.stdout.write(line(r) + "\n");
}

/** Another process's resident memory in MiB, now (VmRSS) or at its peak (VmHWM), from /proc; "?" once it is gone. */
export function processMemoryMiB(pid: number, field: "VmRSS" | "VmHWM"): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return (Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024).toFixed(0);
  } catch {
    return "?";
  }
}
