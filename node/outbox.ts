// Ledger messages on their way to the gossip topic. Messages sent within OUTBOX_FLUSH_MS of
// each other leave as one batch (a tick's observation leaves at once, with whatever waited):
// gossip costs per message (ids, relaying, a socket write per peer), not per byte.
import type { Message, PeerKey } from "../ledger/consensus/index.ts";
import { batchBytes, encodeBatch, encodeEnvelope, MAX_BATCH_ENVELOPES, MAX_ENVELOPE_BYTES } from "./codec.ts";

/** How long a message may wait for others to share its batch. */
export const OUTBOX_FLUSH_MS = 5;

export class GossipOutbox {
  readonly #publish: (batch: Uint8Array) => void;
  readonly #from: PeerKey;
  #waiting: Uint8Array[] = [];
  /** What the waiting messages take in a batch. */
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(from: PeerKey, publish: (batch: Uint8Array) => void) {
    this.#from = from;
    this.#publish = publish;
  }

  /** Queues a message; false if it cannot be sent (one certified transaction with its votes over the gossip limit). */
  send(message: Message, to: readonly PeerKey[] | "all"): boolean {
    const envelope = encodeEnvelope(message, to, this.#from);
    const bytes = batchBytes([envelope]);
    if (bytes > MAX_ENVELOPE_BYTES) {
      // A reply to a peer catching up can name many transactions: it goes as several.
      if (message.kind !== "certified" || message.items.length < 2) return false;
      const half = Math.ceil(message.items.length / 2);
      const feed = message.feed;
      const first = this.send({ kind: "certified", items: message.items.slice(0, half), ...(feed && { feed }) }, to);
      const second = this.send({ kind: "certified", items: message.items.slice(half), ...(feed && { feed: { first: feed.first + half, next: feed.next } }) }, to);
      return first && second;
    }
    if (this.#bytes + bytes > MAX_ENVELOPE_BYTES || this.#waiting.length >= MAX_BATCH_ENVELOPES) this.flush();
    this.#waiting.push(envelope);
    this.#bytes += bytes;
    this.#timer ??= setTimeout(() => this.flush(), OUTBOX_FLUSH_MS);
    return true;
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.length === 0) return;
    const batch = encodeBatch(this.#waiting);
    this.#waiting = [];
    this.#bytes = 0;
    this.#publish(batch);
  }
}
