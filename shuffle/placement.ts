// Where things live in the cluster: a chunk, a shuffle key or a salted key goes to the live
// nodes nearest its hash by XOR distance (Kademlia's metric). Every node computes the same
// answer from the same membership, with no coordinator, and a node joining or leaving moves
// only the keys nearest to it.
import { createHash } from "node:crypto";

export const ID_BYTES = 32;

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

/** The `count` members nearest `target`, nearest first. */
export function nearest(target: Uint8Array, members: readonly Member[], count: number): Member[] {
  if (target.length !== ID_BYTES) throw new RangeError(`a target is ${ID_BYTES} bytes, got ${target.length}`);
  return [...members].sort((a, b) => compareDistance(target, a.position, b.position) || (a.peerId < b.peerId ? -1 : 1)).slice(0, Math.max(0, count));
}

/**
 * The hash a shuffle key is placed by. Values are written in one canonical form per kind, so
 * an integer hashes alike whatever its width (an i32 key joins an i64 key) and a decimal alike
 * whatever its trailing zeros; NULL keys have their own hash (they never join, but group).
 */
export function keyHash(values: readonly unknown[], salt = 0): Uint8Array {
  const h = createHash("sha256");
  h.update(`trustql/shuffle-key/v1\0${salt}\0`);
  for (const v of values) h.update(canonical(v)).update("\u0001");
  return new Uint8Array(h.digest());
}

function canonical(value: unknown): string {
  if (value === null || value === undefined) return "n";
  if (typeof value === "bigint") return `i${value}`;
  if (typeof value === "number") return Number.isInteger(value) ? `i${value}` : `f${value}`;
  if (typeof value === "string") return `s${value.length}:${value}`; // length first: no value can pose as two
  if (typeof value === "boolean") return value ? "b1" : "b0";
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof Uint8Array) return `x${Buffer.from(value).toString("hex")}`;
  if (typeof value === "object" && value !== null && "scaled" in value && "scale" in value) {
    // An exact decimal: strip trailing zeros of the fraction so 1.50 and 1.5 agree.
    let { scaled, scale } = value as { scaled: bigint; scale: number };
    while (scale > 0 && scaled % 10n === 0n) {
      scaled /= 10n;
      scale--;
    }
    return scale === 0 ? `i${scaled}` : `e${scaled}/${scale}`;
  }
  throw new TypeError(`cannot place a key of type ${typeof value}`);
}
