// Where things live in the cluster: a chunk, a shuffle key or a salted key goes to the live
// nodes nearest its hash by XOR distance (Kademlia's metric). Every node computes the same
// answer from the same membership, with no coordinator, and a node joining or leaving moves
// only the keys nearest to it.
import { createHash } from "node:crypto";
import { UserError, invariant } from "../common/errors.ts";

export const ID_BYTES = 32;
/** Salted keys whose targets a Router remembers (salted keys are few; this bounds a flood). */
const MAX_CACHED_TARGETS = 4096;

/** A node's position: SHA-256 of its peer id, so positions spread evenly whatever the ids. */
export function positionOf(peerId: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`trustql/position/v1\0${peerId}`).digest());
}

/** Orders two positions by their XOR distance to `target`; ties cannot happen for distinct positions. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = a[i] ^ target[i];
    const db = b[i] ^ target[i];
    if (da !== db) return da - db;
  }
  return 0;
}

export interface Member {
  peerId: string;
  position: Uint8Array;
}

export function member(peerId: string): Member {
  return { peerId, position: positionOf(peerId) };
}

/** The `count` members nearest `target`, nearest first (equal positions: by peer id). */
export function nearest(target: Uint8Array, members: readonly Member[], count: number): Member[] {
  if (target.length !== ID_BYTES) throw new RangeError(`a target is ${ID_BYTES} bytes, got ${target.length}`);
  return [...members].sort((a, b) => compareDistance(target, a.position, b.position) || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)).slice(0, Math.max(0, count));
}

/** The position a 64-bit key hash stands for: its 8 bytes, big-endian, then zeros. */
export function keyTarget(high: number, low: number): Uint8Array {
  const target = new Uint8Array(ID_BYTES);
  const view = new DataView(target.buffer);
  view.setUint32(0, high);
  view.setUint32(4, low);
  return target;
}

/**
 * Places 64-bit key hashes on a fixed membership fast: the nearest member by the first 8 bytes
 * of the XOR distance, which decides for all but members whose positions share those 8 bytes
 * (then `nearest` decides). Always the same answer as `nearest(keyTarget(high, low), members)`.
 */
export class Router {
  readonly members: readonly Member[];
  readonly #high: Uint32Array;
  readonly #low: Uint32Array;
  readonly #targets = new Map<string, number[]>();

  constructor(members: readonly Member[]) {
    if (members.length === 0) throw new UserError("no live node to place keys on");
    const ids = new Set(members.map((m) => m.peerId));
    invariant(ids.size === members.length, "a member is listed twice");
    this.members = members;
    this.#high = Uint32Array.from(members, (m) => new DataView(m.position.buffer, m.position.byteOffset).getUint32(0));
    this.#low = Uint32Array.from(members, (m) => new DataView(m.position.buffer, m.position.byteOffset).getUint32(4));
  }

  /** The index in `members` of the member nearest the key. */
  home(high: number, low: number): number {
    let best = 0;
    let bestHigh = (this.#high[0] ^ high) >>> 0;
    let bestLow = (this.#low[0] ^ low) >>> 0;
    let tied = false;
    for (let i = 1; i < this.#high.length; i++) {
      const h = (this.#high[i] ^ high) >>> 0;
      if (h > bestHigh) continue;
      const l = (this.#low[i] ^ low) >>> 0;
      if (h < bestHigh || l < bestLow) {
        best = i;
        bestHigh = h;
        bestLow = l;
        tied = false;
      } else if (l === bestLow) tied = true;
    }
    return tied ? this.targets(high, low, 1)[0] : best;
  }

  /** The indexes of the `count` members nearest the key, nearest first. */
  targets(high: number, low: number, count: number): readonly number[] {
    const key = `${high}:${low}:${count}`;
    let targets = this.#targets.get(key);
    if (!targets) {
      if (this.#targets.size >= MAX_CACHED_TARGETS) this.#targets.clear();
      targets = nearest(keyTarget(high, low), this.members, count).map((m) => this.members.indexOf(m));
      this.#targets.set(key, targets);
    }
    return targets;
  }
}
