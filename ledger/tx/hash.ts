// A transaction is named by the hash of its body; its witnesses sign that hash. The hash does
// not cover the witnesses, so nothing done to a signature can change a transaction's name.
import { DOMAIN, domainHash, encode } from "../encoding/index.ts";
import { TransactionBody, type OutPoint } from "../schema.ts";
import { toHex } from "../crypto.ts";
import { cachedIn } from "../../common/bounded-cache.ts";

/** Hashes of bodies already hashed: a body is never changed once it has been hashed or signed. */
const HASHES = new WeakMap<TransactionBody, Uint8Array>();

export function txHash(body: TransactionBody): Uint8Array {
  let hash = HASHES.get(body);
  if (!hash) HASHES.set(body, (hash = domainHash(DOMAIN.transaction, encode(TransactionBody, body))));
  return hash;
}

/** The address that holds outputs for a public key. */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  return domainHash(DOMAIN.address, publicKey);
}

/** Hex names of bodies already named (the map key of a transaction). */
const KEYS = new WeakMap<TransactionBody, string>();

/** A transaction's hash in hex: its key in maps. */
export function txKey(body: TransactionBody): string {
  let key = KEYS.get(body);
  if (key === undefined) KEYS.set(body, (key = hashKey(txHash(body))));
  return key;
}

/** Names hashKey keeps one string for before it starts over: far more than the transactions a node is deciding at once. */
const MAX_INTERNED_KEYS = 1 << 16;
const INTERNED_KEYS = new Map<string, string>();

/**
 * A transaction hash in hex, the same string for the same name until MAX_INTERNED_KEYS names
 * later: a map keyed by names then finds a key by pointer instead of reading and comparing its
 * 64 characters (a validator looks up a record for every vote it counts). Equal names stay
 * equal strings either way; only the speed of the lookup depends on it.
 */
export function hashKey(hash: Uint8Array): string {
  const key = toHex(hash);
  return cachedIn(INTERNED_KEYS, MAX_INTERNED_KEYS, key, () => key);
}

/** Keys of output references already named: an OutPoint, like a body, is not changed once used. */
const OUT_POINT_KEYS = new WeakMap<OutPoint, string>();

/** A map key for an output reference. */
export function outPointKey(outPoint: OutPoint): string {
  let key = OUT_POINT_KEYS.get(outPoint);
  if (key === undefined) OUT_POINT_KEYS.set(outPoint, (key = `${toHex(outPoint.txHash)}:${outPoint.index}`));
  return key;
}
