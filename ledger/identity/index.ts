// Peer identities. A peer id is the hash of a cold master key and a proof-of-work nonce: cheap
// to check (one hash), costly to mint in bulk. The master key stays offline and signs
// rotations of the hot key the node signs with day to day.
import { UserError } from "../../common/errors.ts";
import { bytesEqual, sign, verify } from "../crypto.ts";
import { DOMAIN, domainHash, encode } from "../encoding/index.ts";
import { KeyRotation, PeerIdProof } from "../schema.ts";

/** Leading zero bits a peer id needs; tests and simulations lower it. */
export const DEFAULT_DIFFICULTY = 16;
export const MAX_DIFFICULTY = 32;
/** Nonces tried before giving up on minting. */
export const MAX_POW_ATTEMPTS = 1 << 30;

export function peerIdOf(proof: PeerIdProof): Uint8Array {
  return domainHash(DOMAIN.peerId, encode(PeerIdProof, proof));
}

export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

export function verifyPeerId(peer: Uint8Array, proof: PeerIdProof, difficulty = DEFAULT_DIFFICULTY): boolean {
  const id = peerIdOf(proof);
  return bytesEqual(id, peer) && leadingZeroBits(id) >= difficulty;
}

export function minePeerId(masterKey: Uint8Array, difficulty = DEFAULT_DIFFICULTY): { peer: Uint8Array; proof: PeerIdProof } {
  if (difficulty < 0 || difficulty > MAX_DIFFICULTY) throw new UserError(`difficulty ${difficulty}: expected 0 to ${MAX_DIFFICULTY} bits`);
  for (let nonce = 0n; nonce < BigInt(MAX_POW_ATTEMPTS); nonce++) {
    const proof = { masterKey, powNonce: nonce };
    const peer = peerIdOf(proof);
    if (leadingZeroBits(peer) >= difficulty) return { peer, proof };
  }
  throw new UserError(`no peer id with ${difficulty} leading zero bits after ${MAX_POW_ATTEMPTS} attempts`);
}

function rotationDigest(rotation: KeyRotation): Uint8Array {
  return domainHash(DOMAIN.rotation, encode(KeyRotation, { ...rotation, signature: new Uint8Array() }));
}

export function signRotation(peer: Uint8Array, sequence: bigint, hotKey: Uint8Array, validFromMs: number, masterSecret: Uint8Array): KeyRotation {
  const rotation: KeyRotation = { peer, sequence, hotKey, validFromMs: BigInt(validFromMs), signature: new Uint8Array() };
  return { ...rotation, signature: sign(rotationDigest(rotation), masterSecret) };
}

/**
 * The hot key a peer signs with at `nowMs`: the newest rotation in force, after checking that
 * the chain is the master key's, for this peer, with rising sequence numbers.
 */
export function currentHotKey(peer: Uint8Array, proof: PeerIdProof, rotations: readonly KeyRotation[], nowMs: number, difficulty = DEFAULT_DIFFICULTY): Uint8Array | undefined {
  if (!verifyPeerId(peer, proof, difficulty)) return undefined;
  let current: KeyRotation | undefined;
  for (const rotation of rotations) {
    if (!bytesEqual(rotation.peer, peer)) return undefined;
    if (current && rotation.sequence <= current.sequence) return undefined;
    if (!verify(rotation.signature, rotationDigest(rotation), proof.masterKey)) return undefined;
    if (Number(rotation.validFromMs) <= nowMs) current = rotation;
  }
  return current?.hotKey;
}
