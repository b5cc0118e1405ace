// One place for the ledger's primitives: SHA-256 and ed25519.
// Nodes use node:crypto (≈15× faster here); `portableSigner` uses @noble for client code
// that must also run in browsers. Same keys, same signatures (ed25519 is deterministic).
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, randomBytes, hash, type KeyObject } from "node:crypto";
import * as noble from "@noble/ed25519";
import { cachedIn } from "../common/bounded-cache.ts";
import { sha512 } from "@noble/hashes/sha2.js";

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const HASH_BYTES = 32;

noble.hashes.sha512 = sha512;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const digest = new Uint8Array(HASH_BYTES);
  copyDigest(hash("sha256", joined(parts), "binary"), digest, 0);
  return digest;
}

/** SHA-256 of `parts` written into `target` at `offset`: many hashes kept together share one buffer. */
export function sha256Into(target: Uint8Array, offset: number, ...parts: Uint8Array[]): void {
  sha256BytesInto(joined(parts), target, offset);
}

/** SHA-256 of one run of bytes written into `target` at `offset`, for callers that lay out their input themselves. */
export function sha256BytesInto(data: Uint8Array, target: Uint8Array, offset: number): void {
  copyDigest(hash("sha256", data, "binary"), target, offset);
}

/**
 * Writes a digest node:crypto gave as a latin1 string (one character per byte) into `target`.
 * A string, not a "buffer" result: that is a new ArrayBuffer outside the heap per hash, which
 * made a one-shot hash of a Merkle node cost 600 ns instead of 200 and loaded the collector.
 */
function copyDigest(digest: string, target: Uint8Array, offset: number): void {
  for (let i = 0; i < HASH_BYTES; i++) target[offset + i] = digest.charCodeAt(i);
}

/** Inputs up to this size are joined in one reused buffer; larger ones in a buffer of their own. */
const JOIN_BUFFER_BYTES = 64 * 1024;
const joinBuffer = new Uint8Array(JOIN_BUFFER_BYTES);

/**
 * The parts as one run of bytes, for node:crypto's one-shot hash: a Hash object per call (as
 * createHash makes) is a native object the collector must finalize, and a node hashes a Merkle
 * leaf or inner node for each entry it observes. Valid until the next call.
 */
function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let length = 0;
  for (const part of parts) length += part.length;
  const bytes = length <= JOIN_BUFFER_BYTES ? joinBuffer : new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes.subarray(0, length);
}

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

// DER prefixes that wrap a raw 32-byte ed25519 key for node:crypto (RFC 8410).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const privateKeyCache = new WeakMap<Uint8Array, KeyObject>();

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== SECRET_KEY_BYTES) throw new Error(`ed25519 secret key must be ${SECRET_KEY_BYTES} bytes, got ${secretKey.length}`);
  let key = privateKeyCache.get(secretKey);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: "der", type: "pkcs8" });
    privateKeyCache.set(secretKey, key);
  }
  return key;
}

const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_LIMIT = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return cachedIn(publicKeyCache, PUBLIC_KEY_CACHE_LIMIT, Buffer.from(publicKey).toString("hex"), () =>
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" }),
  );
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  const key = privateKeyObject(secretKey);
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  const pair = { secretKey: new Uint8Array(secretKey), publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)) };
  // The pair keeps a copy of the secret: its first signature need not parse the key again.
  privateKeyCache.set(pair.secretKey, key);
  return pair;
}

/** A fresh key pair; pass `seed` (32 bytes) for a deterministic one (simulations, tests). */
export function generateKeyPair(seed?: Uint8Array): KeyPair {
  return keyPairFromSecret(seed ?? new Uint8Array(randomBytes(SECRET_KEY_BYTES)));
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKeyObject(secretKey)));
}

export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false; // a public key that is not a curve point
  }
}

/** Pure-JS signing for client code that cannot rely on node:crypto. */
export const portableSigner = {
  publicKey(secretKey: Uint8Array): Uint8Array {
    return noble.getPublicKey(secretKey);
  },
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    return noble.sign(message, secretKey);
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    try {
      return noble.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
};

/**
 * Buffer's own hex encoder, called on any byte array: going through `bytes.buffer` instead moves a
 * small array's bytes out of the heap into a buffer of their own (hashes are made on the heap),
 * an allocation outside the heap for every hash first named.
 */
const hexSlice = (Buffer.prototype as unknown as { hexSlice(this: Uint8Array, start: number, end: number): string }).hexSlice;

export function toHex(bytes: Uint8Array): string {
  return hexSlice.call(bytes, 0, bytes.length);
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new Error(`not hex: ${hex.slice(0, 20)}`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
