// A live status line on a terminal: silent for work that ends within `delayMs`, redrawn at
// most every `intervalMs` after that, erased when the work ends. Never written to a pipe, so
// programs reading our output see only results.
export interface LiveLineOptions {
  stream?: NodeJS.WriteStream;
  delayMs?: number;
  intervalMs?: number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class LiveLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #startedAt = performance.now();
  readonly #delayMs: number;
  readonly #intervalMs: number;
  #lastDrawAt = 0;
  #frame = 0;
  #drawn = false;

  constructor(options: LiveLineOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = Boolean(this.#stream.isTTY);
    this.#delayMs = options.delayMs ?? 1000;
    this.#intervalMs = options.intervalMs ?? 100;
  }

  elapsedMs(): number {
    return performance.now() - this.#startedAt;
  }

  update(text: string): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#startedAt < this.#delayMs || now - this.#lastDrawAt < this.#intervalMs) return;
    this.#lastDrawAt = now;
    const spinner = SPINNER[this.#frame++ % SPINNER.length];
    const seconds = (this.elapsedMs() / 1000).toFixed(1);
    const width = Math.max(20, (this.#stream.columns ?? 80) - 1);
    const line = `${spinner} ${text} · ${seconds}s`.slice(0, width);
    this.#stream.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.#stream.write("\r\x1b[2K");
    this.#drawn = false;
  }
}

export function progressBar(fraction: number, width = 24): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const full = Math.round(clamped * width);
  return `[${"█".repeat(full)}${"░".repeat(width - full)}] ${(clamped * 100).toFixed(0).padStart(3)}%`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
