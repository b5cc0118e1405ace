// An executor's attestation of a task it ran: which task (the hash of the task frame it got),
// what it answered (the hash of its answer's bytes: the rows it returned, the digest of its
// output, the rows it read, and the digest of what it sent each receiver), and its row count,
// signed with its ledger key. The coordinator keeps them with the answer; anyone holding the
// genesis's validators can check them offline.
import { createHash } from "node:crypto";
import { fromHex, sign, toHex, verify, type KeyPair } from "../ledger/crypto.ts";

export interface Attestation {
  /** The executor's ledger public key (hex). */
  publicKey: string;
  task: string;
  output: string;
  rows: number;
  signature: string;
}

const DOMAIN = "trustql/attestation/v1\0";

function message(task: string, output: string, rows: number): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`${DOMAIN}${task}\0${output}\0${rows}`).digest());
}

/** SHA-256 of bytes given whole or as parts (hashed as if joined). */
export function sha256Hex(bytes: Uint8Array | readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of bytes instanceof Uint8Array ? [bytes] : bytes) hash.update(part);
  return hash.digest("hex");
}

export function attest(keys: KeyPair, task: Uint8Array, output: Uint8Array | readonly Uint8Array[], rows: number): Attestation {
  const taskHash = sha256Hex(task);
  const outputHash = sha256Hex(output);
  return { publicKey: toHex(keys.publicKey), task: taskHash, output: outputHash, rows, signature: toHex(sign(message(taskHash, outputHash, rows), keys.secretKey)) };
}

/** Whether the attestation is signed by its key and that key is one of `validatorKeys` (hex). */
export function verifyAttestation(attestation: Attestation, validatorKeys: ReadonlySet<string>): boolean {
  if (!validatorKeys.has(attestation.publicKey)) return false;
  try {
    return verify(fromHex(attestation.signature), message(attestation.task, attestation.output, attestation.rows), fromHex(attestation.publicKey));
  } catch {
    return false;
  }
}
