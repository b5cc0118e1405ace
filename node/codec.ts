// LedgerNode messages as the bytes peers exchange (proto/trustql/network.proto). Decoding is
// defensive: bytes that are not one canonical envelope are refused with a reason.
import { randomBytes } from "node:crypto";
import { decodeCanonical, encode } from "../ledger/encoding/index.ts";
import { fromHex, toHex } from "../ledger/crypto.ts";
import type { Message, PeerKey } from "../ledger/consensus/index.ts";
import { LedgerEnvelope } from "../proto/gen/trustql/network.ts";

/** The largest ledger message a node accepts. */
export const MAX_ENVELOPE_BYTES = 1 << 20;

export function encodeEnvelope(message: Message, to: readonly PeerKey[] | "all", from: PeerKey): Uint8Array {
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
      envelope.sync = {};
      break;
    case "certify":
      envelope.certify = { hashes: message.hashes.map(fromHex) };
      break;
    case "certified":
      envelope.certified = { items: message.items.map((i) => ({ tx: i.tx, votes: i.votes })) };
      break;
  }
  return encode(LedgerEnvelope, envelope);
}

export function decodeEnvelope(bytes: Uint8Array): { message: Message; to: PeerKey[] | "all"; from: PeerKey } {
  const envelope = decodeCanonical(LedgerEnvelope, bytes, "ledger message", MAX_ENVELOPE_BYTES);
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
  if (e.sync) return { kind: "sync" };
  if (e.certify) return { kind: "certify", hashes: e.certify.hashes.map(toHex) };
  if (e.certified) return { kind: "certified", items: e.certified.items.filter((i) => i.tx).map((i) => ({ tx: i.tx!, votes: i.votes })) };
  return undefined;
}
