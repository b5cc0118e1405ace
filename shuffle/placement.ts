// Where things live in the cluster: a chunk, a shuffle key or a salted key goes to the live
// nodes nearest its hash by XOR distance (Kademlia's metric). Every node computes the same
// answer from the same membership, with no coordinator, and a node joining or leaving moves
// only the keys nearest to it.
//
// A node stands at POINTS_PER_NODE positions, and its distance to a target is that of its
// nearest point. With one position per node, XOR placement over a few nodes is lopsided (of
// four random positions, one often owns half the key space); with sixteen, every node's share
// stays near 1/n.
import { createHash } from "node:crypto";
import { cachedIn } from "../common/bounded-cache.ts";
import { UserError, invariant } from "../common/errors.ts";

export const ID_BYTES = 32;
/** Bits of a key hash a Router looks its home up by (a table of 2^PREFIX_BITS members). */
const PREFIX_BITS = 12;
/** Salted keys whose targets a Router remembers (salted keys are few; this bounds a flood). */
const MAX_CACHED_TARGETS = 4096;

/** Positions each node stands at. */
export const POINTS_PER_NODE = 16;

/** A node's `point`-th position: SHA-256 of its peer id, so positions spread evenly whatever the ids. */
export function positionOf(peerId: string, point = 0): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`trustql/position/v2\0${peerId}\0${point}`).digest());
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
  /** POINTS_PER_NODE positions. */
  points: readonly Uint8Array[];
}

/** Members already placed, by peer id: a node places every chunk of a dataset for each query, and a member's points are POINTS_PER_NODE hashes. */
const members = new Map<string, Member>();
const MAX_CACHED_MEMBERS = 4096;

export function member(peerId: string): Member {
  return cachedIn(members, MAX_CACHED_MEMBERS, peerId, () =>
    Object.freeze({ peerId, points: Object.freeze(Array.from({ length: POINTS_PER_NODE }, (_, point) => positionOf(peerId, point))) }),
  );
}

/** The member's point nearest `target`. */
function nearestPoint(target: Uint8Array, m: Member): Uint8Array {
  let best = m.points[0];
  for (let i = 1; i < m.points.length; i++) if (compareDistance(target, m.points[i], best) < 0) best = m.points[i];
  return best;
}

/** The `count` members nearest `target` (by their nearest points), nearest first (equal distances: by peer id). */
export function nearest(target: Uint8Array, members: readonly Member[], count: number): Member[] {
  if (target.length !== ID_BYTES) throw new RangeError(`a target is ${ID_BYTES} bytes, got ${target.length}`);
  const points = new Map(members.map((m) => [m, nearestPoint(target, m)]));
  return [...members]
    .sort((a, b) => compareDistance(target, points.get(a)!, points.get(b)!) || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
    .slice(0, Math.max(0, count));
}

/** The `replicas` members that hold a chunk: those nearest its content hash (64 hex digits), nearest first. */
export function chunkHolders(chunkHash: string, members: readonly Member[], replicas: number): Member[] {
  if (!/^[0-9a-f]{64}$/.test(chunkHash)) throw new UserError(`a chunk hash is 64 lowercase hex digits, got ${JSON.stringify(chunkHash.slice(0, 80))}`);
  return nearest(Uint8Array.from(Buffer.from(chunkHash, "hex")), members, replicas);
}

/** The position a 64-bit key hash stands for: its 8 bytes, big-endian, then zeros. */
export function keyTarget(high: number, low: number): Uint8Array {
  const target = new Uint8Array(ID_BYTES);
  const view = new DataView(target.buffer);
  view.setUint32(0, high);
  view.setUint32(4, low);
  return target;
}

/** Routers by membership: building one fills a table of 2^PREFIX_BITS entries (about a millisecond), and runs of one cluster share a membership. */
const routers = new Map<string, Router>();
const MAX_CACHED_ROUTERS = 64;

/** The Router over the members with these peer ids, in this order (built once per membership). */
export function routerFor(peerIds: readonly string[]): Router {
  return cachedIn(routers, MAX_CACHED_ROUTERS, peerIds.join("\0"), () => new Router(peerIds.map(member)));
}

/**
 * Places 64-bit key hashes on a fixed membership fast: the nearest member by the first 8 bytes
 * of the XOR distance, which decides for all but members whose positions share those 8 bytes
 * (then `nearest` decides). Always the same answer as `nearest(keyTarget(high, low), members)`.
 */
export class Router {
  readonly members: readonly Member[];
  /** Every member's points: the member index owning each, and its first 8 bytes. */
  readonly #owner: Uint32Array;
  readonly #high: Uint32Array;
  readonly #low: Uint32Array;
  /**
   * Per value of a key hash's top PREFIX_BITS bits: the member nearest every key with them, or
   * -1 where points of two members share the nearest prefix (the full comparison decides).
   * Distance is compared from the top bit down, so a point nearest in the prefix is nearest.
   */
  readonly #homeByPrefix: Int32Array;
  readonly #targets = new Map<string, number[]>();
  /**
   * The key targets() answered last: a salted key is hot by definition, so routing asks about the
   * same key row after row, and building the cache's string key cost more than the answer (a
   * tenth of the skew bench's JavaScript time).
   */
  #lastHigh = 0;
  #lastLow = 0;
  #lastCount = -1;
  #lastTargets: readonly number[] = [];

  constructor(members: readonly Member[]) {
    if (members.length === 0) throw new UserError("no live node to place keys on");
    const ids = new Set(members.map((m) => m.peerId));
    invariant(ids.size === members.length, "a member is listed twice");
    this.members = members;
    const points = members.flatMap((m, index) => m.points.map((p) => ({ p, index })));
    this.#owner = Uint32Array.from(points, (x) => x.index);
    this.#high = Uint32Array.from(points, ({ p }) => new DataView(p.buffer, p.byteOffset).getUint32(0));
    this.#low = Uint32Array.from(points, ({ p }) => new DataView(p.buffer, p.byteOffset).getUint32(4));
    this.#homeByPrefix = new Int32Array(1 << PREFIX_BITS);
    for (let prefix = 0; prefix < this.#homeByPrefix.length; prefix++) {
      let nearestDistance = Infinity;
      let owner = -1;
      for (let i = 0; i < this.#high.length; i++) {
        const distance = (this.#high[i] >>> (32 - PREFIX_BITS)) ^ prefix;
        if (distance < nearestDistance) {
          nearestDistance = distance;
          owner = this.#owner[i];
        } else if (distance === nearestDistance && this.#owner[i] !== owner) owner = -1;
      }
      this.#homeByPrefix[prefix] = owner;
    }
  }

  /** The index in `members` of the member nearest the key. */
  home(high: number, low: number): number {
    const byPrefix = this.#homeByPrefix[high >>> (32 - PREFIX_BITS)];
    return byPrefix >= 0 ? byPrefix : this.#nearestPoint(high, low);
  }

  /** home() by comparing the key with every point. */
  #nearestPoint(high: number, low: number): number {
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
    return tied ? this.targets(high, low, 1)[0] : this.#owner[best];
  }

  /** The indexes of the `count` members nearest the key, nearest first. */
  targets(high: number, low: number, count: number): readonly number[] {
    if (high === this.#lastHigh && low === this.#lastLow && count === this.#lastCount) return this.#lastTargets;
    const targets = cachedIn(this.#targets, MAX_CACHED_TARGETS, `${high}:${low}:${count}`, () => nearest(keyTarget(high, low), this.members, count).map((m) => this.members.indexOf(m)));
    [this.#lastHigh, this.#lastLow, this.#lastCount, this.#lastTargets] = [high, low, count, targets];
    return targets;
  }
}
