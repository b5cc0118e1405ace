// A transaction is named by the hash of its body; its witnesses sign that hash. The hash does
// not cover the witnesses, so nothing done to a signature can change a transaction's name.
import { DOMAIN, domainHash, encode } from "../encoding/index.ts";
import { TransactionBody, type OutPoint } from "../schema.ts";
import { toHex } from "../crypto.ts";

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
  if (key === undefined) KEYS.set(body, (key = toHex(txHash(body))));
  return key;
}

/** Keys of output references already named: an OutPoint, like a body, is not changed once used. */
const OUT_POINT_KEYS = new WeakMap<OutPoint, string>();

/** A map key for an output reference. */
export function outPointKey(outPoint: OutPoint): string {
  let key = OUT_POINT_KEYS.get(outPoint);
  if (key === undefined) OUT_POINT_KEYS.set(outPoint, (key = `${toHex(outPoint.txHash)}:${outPoint.index}`));
  return key;
}
