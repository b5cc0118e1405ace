// One byte encoding per message, and the hashes over it. Proto3 as ts-proto writes it is
// canonical (fields in number order, defaults left out, packed repeated scalars, minimal
// varints) provided nothing else is accepted: a decoded message must re-encode to the very
// bytes it came from and carry no field the schema does not define.
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { findUnknownField } from "../../common/protobuf.ts";
import { bytesEqual, sha256, sha256Into } from "../crypto.ts";

export interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** Why bytes from a peer were refused; the message names what was wrong. */
export class MalformedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedError";
  }
}

/** Encodings up to this size reuse one writer; a writer grown past it is let go. */
const REUSED_WRITER_BYTES = 64 * 1024;
/**
 * The writer encode() reuses (finish() resets it): a node encodes a Merkle leaf for every entry
 * it observes, and a fresh writer each time allocated and grew a buffer each time.
 */
let writer = new BinaryWriter();

/** A message's bytes, after `prefix` if one is given (a Merkle leaf is a tag, then a message: one array for both). */
export function encode<T>(codec: Codec<T>, message: T, prefix?: Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  try {
    if (prefix) writer.raw(prefix);
    bytes = codec.encode(message, writer).finish();
  } catch (error) {
    writer = new BinaryWriter(); // left part-way through a message
    throw error;
  }
  if (bytes.length > REUSED_WRITER_BYTES) writer = new BinaryWriter();
  return bytes;
}

/** Decodes bytes and insists they are the message's one canonical encoding. */
export function decodeCanonical<T>(codec: Codec<T>, bytes: Uint8Array, what: string, maxBytes: number): T {
  if (bytes.length > maxBytes) throw new MalformedError(`${what}: ${bytes.length} bytes, more than the ${maxBytes}-byte limit`);
  let message: T;
  try {
    message = codec.decode(bytes);
  } catch (error) {
    throw new MalformedError(`${what}: not a protobuf message (${(error as Error).message})`);
  }
  const unknown = findUnknownField(message, what);
  if (unknown) throw new MalformedError(`${what}: unknown field ${unknown.field} at ${unknown.path}`);
  if (!bytesEqual(encode(codec, message), bytes)) throw new MalformedError(`${what}: bytes are not the canonical encoding`);
  return message;
}

/**
 * Hash domains: each kind of thing hashed or signed has its own prefix, so bytes valid as one
 * kind can never pass for another.
 */
export const DOMAIN = {
  transaction: "trustql/tx/v1",
  address: "trustql/address/v1",
  merkleLeaf: "trustql/merkle-leaf/v1",
  merkleNode: "trustql/merkle-node/v1",
  observation: "trustql/observation/v1",
  peerId: "trustql/peer-id/v1",
  rotation: "trustql/key-rotation/v1",
  metadata: "trustql/peer-metadata/v1",
  trust: "trustql/trust-scores/v1",
  validators: "trustql/validators/v1",
} as const;

const encoder = new TextEncoder();
const DOMAIN_BYTES = new Map(Object.values(DOMAIN).map((d) => [d, encoder.encode(`${d}\0`)]));

/** The bytes a domain's hashes start with: its name and a zero byte. */
export function domainPrefix(domain: (typeof DOMAIN)[keyof typeof DOMAIN]): Uint8Array {
  return DOMAIN_BYTES.get(domain)!;
}

export function domainHash(domain: (typeof DOMAIN)[keyof typeof DOMAIN], ...parts: Uint8Array[]): Uint8Array {
  return sha256(domainPrefix(domain), ...parts);
}

/** domainHash written into `target` at `offset`. */
export function domainHashInto(domain: (typeof DOMAIN)[keyof typeof DOMAIN], target: Uint8Array, offset: number, ...parts: Uint8Array[]): void {
  sha256Into(target, offset, domainPrefix(domain), ...parts);
}
