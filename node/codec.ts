// LedgerNode messages as the bytes peers exchange (proto/trustql/network.proto): envelopes,
// gossiped in batches. Decoding is defensive: bytes that are not one canonical batch of
// envelopes that each carry a message are refused with a reason.
import { randomBytes } from "node:crypto";
import { decodeCanonical, encode, MalformedError } from "../ledger/encoding/index.ts";
import { fromHex, toHex } from "../ledger/crypto.ts";
import type { Message, PeerKey } from "../ledger/consensus/index.ts";
import { LedgerEnvelope } from "../proto/gen/trustql/network.ts";

/** The largest ledger message (and batch of them) a node accepts. */
export const MAX_ENVELOPE_BYTES = 1 << 20;
/** Ledger messages one batch carries at most. */
export const MAX_BATCH_ENVELOPES = 4096;

export interface Addressed {
  message: Message;
  to: PeerKey[] | "all";
  from: PeerKey;
}

export function encodeEnvelope(message: Message, to: readonly PeerKey[] | "all", from: PeerKey): Uint8Array {
  return encode(LedgerEnvelope, envelopeOf(message, to, from));
}

function envelopeOf(message: Message, to: readonly PeerKey[] | "all", from: PeerKey): LedgerEnvelope {
  const envelope: LedgerEnvelope = { to: to === "all" ? [] : to.map(fromHex), from: fromHex(from), nonce: randomBytes(8).readBigUInt64BE() };
  switch (message.kind) {
    case "tx":
      envelope.tx = message.tx;
      break;
    case "observation":
      envelope.observation = message.observation;
      break;
    case "evidence":
      envelope.evidence = message.evidence;
      break;
    case "want":
      envelope.want = { hashes: message.hashes.map(fromHex) };
      break;
    case "sync":
      envelope.sync = { fromSeq: optionalBig(message.fromSeq), sinceMs: optionalBig(message.sinceMs) };
      break;
    case "certify":
      envelope.certify = { hashes: message.hashes.map(fromHex) };
      break;
    case "certified":
      envelope.certified = {
        items: message.items.map((i) => ({ tx: i.tx, votes: i.votes })),
        feed: message.feed && { firstSeq: BigInt(message.feed.first), nextSeq: BigInt(message.feed.next) },
      };
      break;
  }
  return envelope;
}

function optionalBig(value: number | undefined): bigint | undefined {
  return value === undefined ? undefined : BigInt(value);
}

/** A position or time from a peer: past 2^53 it is not one a node could have. */
function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} ${value} is out of range`);
  return Number(value);
}

export function decodeEnvelope(bytes: Uint8Array): Addressed {
  return addressedOf(decodeCanonical(LedgerEnvelope, bytes, "ledger message", MAX_ENVELOPE_BYTES));
}

/**
 * A batch of envelopes already encoded (each by encodeEnvelope), without encoding them again: a
 * LedgerBatch is each envelope as field 1, length-delimited, in order, which is what this writes.
 */
export function encodeBatch(envelopes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(batchBytes(envelopes));
  let at = 0;
  for (const bytes of envelopes) {
    out[at++] = 0x0a; // field 1, length-delimited
    for (let length = bytes.length; ; length >>>= 7) {
      if (length < 0x80) {
        out[at++] = length;
        break;
      }
      out[at++] = (length & 0x7f) | 0x80;
    }
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** The bytes encodeBatch writes for these envelopes. */
export function batchBytes(envelopes: readonly Uint8Array[]): number {
  let total = 0;
  for (const bytes of envelopes) total += 1 + varintBytes(bytes.length) + bytes.length;
  return total;
}

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value >>>= 7;
    bytes++;
  }
  return bytes;
}

/**
 * A batch's messages. Each envelope is decoded from a copy of its own bytes: what a node keeps
 * of a message (a transaction, a vote) then holds that envelope's bytes, not the whole batch's.
 * The batch must be canonical: field 1 only, each length a minimal varint, nothing after.
 */
export function decodeBatch(bytes: Uint8Array): Addressed[] {
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new MalformedError(`ledger batch: ${bytes.length} bytes, more than the ${MAX_ENVELOPE_BYTES}-byte limit`);
  const messages: Addressed[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes[at++] !== 0x0a) throw new MalformedError("ledger batch: not a list of envelopes (field 1)");
    let length = 0;
    for (let scale = 1; ; scale *= 0x80) {
      if (at >= bytes.length || scale > 0x80 ** 3) throw new MalformedError("ledger batch: an envelope length cut short or too long");
      const byte = bytes[at++];
      length += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && scale > 1) throw new MalformedError("ledger batch: an envelope length that is not minimal");
        break;
      }
    }
    if (at + length > bytes.length) throw new MalformedError(`ledger batch: an envelope of ${length} bytes with ${bytes.length - at} left`);
    if (messages.length >= MAX_BATCH_ENVELOPES) throw new MalformedError(`ledger batch: more than ${MAX_BATCH_ENVELOPES} messages`);
    messages.push(addressedOf(decodeCanonical(LedgerEnvelope, bytes.slice(at, at + length), "ledger message", MAX_ENVELOPE_BYTES)));
    at += length;
  }
  if (messages.length === 0) throw new MalformedError("ledger batch: a batch of 0 messages");
  return messages;
}

function addressedOf(envelope: LedgerEnvelope): Addressed {
  const to = envelope.to.length === 0 ? "all" : envelope.to.map(toHex);
  const message = messageOf(envelope);
  if (!message) throw new Error("ledger message carries nothing");
  return { message, to, from: toHex(envelope.from) };
}

function messageOf(e: LedgerEnvelope): Message | undefined {
  if (e.tx) return { kind: "tx", tx: e.tx };
  if (e.observation) return { kind: "observation", observation: e.observation };
  if (e.evidence) return { kind: "evidence", evidence: e.evidence };
  if (e.want) return { kind: "want", hashes: e.want.hashes.map(toHex) };
  if (e.sync) return { kind: "sync", ...(e.sync.fromSeq !== undefined && { fromSeq: safeNumber(e.sync.fromSeq, "sync position") }), ...(e.sync.sinceMs !== undefined && { sinceMs: safeNumber(e.sync.sinceMs, "sync time") }) };
  if (e.certify) return { kind: "certify", hashes: e.certify.hashes.map(toHex) };
  if (e.certified) {
    const feed = e.certified.feed && { first: safeNumber(e.certified.feed.firstSeq, "feed position"), next: safeNumber(e.certified.feed.nextSeq, "feed position") };
    return { kind: "certified", items: e.certified.items.filter((i) => i.tx).map((i) => ({ tx: i.tx!, votes: i.votes })), ...(feed && { feed }) };
  }
  return undefined;
}
