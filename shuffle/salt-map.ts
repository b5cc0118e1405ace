// Which keys are salted: a hot key is spread over the `salts` nodes nearest its hash instead of
// its home alone. Receivers announce the keys they salt; producers route by the union of what
// they heard. Announcements are numbered per receiver (its routing epoch), and every batch says
// under which epoch of its receiver it was partitioned, so a receiver can tell rows routed
// before a producer heard of a salt and re-route them itself.
import { ExchangeProtocolError } from "./frames.ts";

/** Nodes a salted key is spread over at most. */
export const MAX_SALTS = 16;
/** Keys one announcement may name. */
export const MAX_ANNOUNCED_KEYS = 1024;

export interface SaltedKey {
  high: number;
  low: number;
  /** Nodes the key is spread over: the `salts` nearest its hash, home first. */
  salts: number;
}

export interface SaltAnnouncement {
  /** The announcing receiver's routing epoch: 1 for its first announcement, then 2, … */
  epoch: number;
  keys: SaltedKey[];
}

interface Entry {
  low: number;
  salts: number;
  epoch: number;
}

export class SaltMap {
  readonly #byHigh = new Map<number, Entry[]>();
  #size = 0;
  /** Rows dealt so far by deal(). */
  #dealt = 0;

  get size(): number {
    return this.#size;
  }

  /** Salts a key from `epoch` on; a key is salted once (its spread never changes, so rows of one value always meet). */
  add(key: SaltedKey, epoch: number): void {
    const entries = this.#byHigh.get(key.high) ?? [];
    if (entries.some((e) => e.low === key.low)) return;
    entries.push({ low: key.low, salts: key.salts, epoch });
    this.#byHigh.set(key.high, entries);
    this.#size++;
  }

  /** How many nodes the key is spread over: 1 unless salted. */
  salts(high: number, low: number): number {
    return this.#entry(high, low)?.salts ?? 1;
  }

  /** Which of `salts` targets the next row goes to when any will do ("any" spread): each in turn. */
  deal(salts: number): number {
    return this.#dealt++ % salts;
  }

  /** Whether the key was salted by an announcement after `epoch`. */
  saltedAfter(high: number, low: number, epoch: number): boolean {
    const entry = this.#entry(high, low);
    return entry !== undefined && entry.epoch > epoch;
  }

  #entry(high: number, low: number): Entry | undefined {
    if (this.#size === 0) return undefined;
    const entries = this.#byHigh.get(high);
    if (entries === undefined) return undefined;
    for (const entry of entries) if (entry.low === low) return entry;
    return undefined;
  }
}

export function encodeAnnouncement(announcement: SaltAnnouncement): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ epoch: announcement.epoch, keys: announcement.keys.map((k) => [k.high, k.low, k.salts]) }));
}

const isUint32 = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff;

/** Whether a peer's value is a salted key: two 32-bit halves and 2 to MAX_SALTS salts. */
export function isSaltedKey(value: unknown): value is SaltedKey {
  const k = value as Partial<SaltedKey> | null;
  return k !== null && typeof k === "object" && isUint32(k.high) && isUint32(k.low) && Number.isInteger(k.salts) && k.salts! >= 2 && k.salts! <= MAX_SALTS;
}

export function decodeAnnouncement(body: Uint8Array): SaltAnnouncement {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ExchangeProtocolError("a salt announcement is not JSON");
  }
  const { epoch, keys } = (parsed ?? {}) as { epoch?: unknown; keys?: unknown };
  if (!isUint32(epoch) || !Array.isArray(keys) || keys.length > MAX_ANNOUNCED_KEYS) throw new ExchangeProtocolError("a malformed salt announcement");
  return {
    epoch: epoch as number,
    keys: keys.map((k: unknown) => {
      const key = Array.isArray(k) && k.length === 3 ? { high: k[0], low: k[1], salts: k[2] } : undefined;
      if (!isSaltedKey(key)) throw new ExchangeProtocolError("a malformed salted key");
      return key;
    }),
  };
}
