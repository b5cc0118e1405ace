// The node's libp2p host: TCP, Noise, Yamux, identify and gossipsub, with request/response
// protocols in length-prefixed frames. Everything a peer sends is bounded in size and rate
// and decoded by the caller's handler; a peer that sends garbage, oversized frames or floods
// is charged (penalties.ts), and cut off past the threshold, while the others are served.
import { createLibp2p, type Libp2p } from "libp2p";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify, identifyPush } from "@libp2p/identify";
import { gossipsub } from "@libp2p/gossipsub";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import type { PeerId, PrivateKey, Stream } from "@libp2p/interface";
import type { GossipSub } from "@libp2p/gossipsub";
import type { Identify, IdentifyPush } from "@libp2p/identify";
import { IdlePool } from "../common/idle-pool.ts";
import { coalescingTcp } from "./coalescing-tcp.ts";
import { noiseCrypto } from "./noise-crypto.ts";
import { FrameError, partsOf, readFrames, writeFrame } from "./frames.ts";
import { PeerPenalties, type Offence } from "./penalties.ts";

export interface NetworkLimits {
  /** The largest gossip message accepted. */
  maxGossipBytes: number;
  /** The largest request or response frame. */
  maxFrameBytes: number;
  requestTimeoutMs: number;
  /** Inbound request streams one peer may have open at once, per protocol. */
  maxInboundStreamsPerPeer: number;
  /** Gossip messages accepted from one peer per second. */
  gossipPerSecondPerPeer: number;
  /**
   * A request stream kept open between requests is closed by the server after this long idle,
   * and by the requester after a sixth of it unused (so a requester rarely reuses one the server closed).
   */
  requestStreamIdleMs: number;
}

export const DEFAULT_LIMITS: NetworkLimits = {
  maxGossipBytes: 1 << 20,
  maxFrameBytes: 4 << 20,
  requestTimeoutMs: 10_000,
  maxInboundStreamsPerPeer: 16,
  gossipPerSecondPerPeer: 2_000,
  requestStreamIdleMs: 60_000,
};
/**
 * Gossip relaying for a full mesh. Peer exchange connects every node to every other, and a
 * publisher sends to all of them at once (flood publishing), so each relay by a receiver is a
 * copy its peers already have: with gossipsub's defaults every node received every message
 * three times in a cluster of 4, and every copy costs a read, a decryption and a decoding.
 * Each node relays to two mesh peers, which still carries a message past a link not made yet
 * (with one, in a cluster just restarted, a transfer did not reach two of the four nodes in
 * 15 s), and the heartbeat's IHAVE gossip repairs the rest. IDONTWANT notices are off: each
 * would be a message to every mesh peer for every message received, to spare a few relays.
 */
const RELAY = { D: 2, Dlo: 2, Dhi: 3, Dscore: 2, Dout: 0, idontwantMinDataSize: Number.MAX_SAFE_INTEGER };
const SEED_RETRY_MS = 5_000;
/** Peer exchange: how often a node announces its addresses, and bounds on what it takes from others. */
const ANNOUNCE_MS = 2_000;
/** After this many announcements (while a cluster forms), a node announces ten times less often. */
const EAGER_ANNOUNCEMENTS = 15;
const MAX_ANNOUNCE_BYTES = 4_096;
const MAX_ANNOUNCED_ADDRESSES = 16;
const REDIAL_MS = 10_000;
/**
 * Request streams kept open after their answer, per peer and protocol, for the next request:
 * opening one costs a round trip (the protocol's negotiation) before the request can go out.
 */
const MAX_IDLE_REQUEST_STREAMS = 4;
const MAX_REMEMBERED_PEERS = 1_024;

export type Verdict = "accept" | "reject" | "ignore";
export type GossipHandler = (data: Uint8Array, from: string) => Verdict;
/** A stream that lives as long as its protocol needs: bytes both ways, each side closing its own writes. */
export interface ByteChannel {
  /** Sends bytes; resolves once the transport took them (waits while the peer is slow to read). */
  write(bytes: Uint8Array): Promise<void>;
  /** This side sends nothing more. */
  close(): Promise<void>;
  /** The peer's bytes, cut anywhere; ends when the peer closes. */
  readonly source: AsyncIterable<Uint8Array>;
  /** Drops the stream both ways. */
  abort(error: Error): void;
}
export type StreamHandler = (channel: ByteChannel, from: string) => Promise<void>;

/** Answers a request: one frame, given whole or as parts. */
export type RequestHandler = (request: Uint8Array, from: string) => Promise<Uint8Array | Uint8Array[]> | Uint8Array | Uint8Array[];
export type NetworkLog = (event: string, fields: Record<string, unknown>) => void;

/** Per-protocol overrides of the frame size and time limits (a query task carries more than a transaction). */
export interface ProtocolLimits {
  maxFrameBytes?: number;
  timeoutMs?: number;
}

type Host = Libp2p<{ pubsub: GossipSub; identify: Identify; identifyPush: IdentifyPush }>;

export interface NetworkOptions {
  listen: string[];
  privateKey?: PrivateKey;
  seeds?: string[];
  limits?: Partial<NetworkLimits>;
  log?: NetworkLog;
  /** A gossip topic to exchange peer addresses on; none: only the seeds are dialed. */
  peerExchangeTopic?: string;
}

/** Thrown by request() for a peer's refusal, a timeout or a broken response. */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

export class Network {
  readonly penalties: PeerPenalties;
  readonly limits: NetworkLimits;
  readonly #host: Host;
  readonly #log: NetworkLog;
  readonly #inbound = new Map<string, number>();
  /** Request streams waiting for their next request, by peer, protocol and frame limit. */
  readonly #idleRequestStreams: IdlePool<RequestStream>;
  readonly #gossipCounts = new Map<string, { second: number; count: number }>();
  #seedTimer: NodeJS.Timeout | undefined;
  #announceTimer: NodeJS.Timeout | undefined;

  private constructor(host: Host, penalties: PeerPenalties, limits: NetworkLimits, log: NetworkLog) {
    this.#host = host;
    this.penalties = penalties;
    this.limits = limits;
    this.#log = log;
    // Closed by the requester well before the server would close it (so it rarely reuses one the server closed).
    this.#idleRequestStreams = new IdlePool({ maxPerKey: MAX_IDLE_REQUEST_STREAMS, idleMs: limits.requestStreamIdleMs / 6, close: (channel) => closeQuietly(channel.stream) });
    penalties.onPenalty((event) => {
      log("peer_penalized", { ...event });
      if (event.blocked) void this.#host.hangUp(peerIdFromString(event.peer)).catch(() => {});
    });
  }

  static async create(options: NetworkOptions): Promise<Network> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const penalties = new PeerPenalties();
    const blocked = (peer: PeerId) => penalties.isBlocked(peer.toString());
    const host = await createLibp2p({
      privateKey: options.privateKey ?? (await generateKeyPair("Ed25519")),
      addresses: { listen: options.listen },
      transports: [coalescingTcp()],
      connectionEncrypters: [noise({ crypto: noiseCrypto })],
      streamMuxers: [yamux()],
      connectionGater: { denyDialPeer: blocked, denyInboundEncryptedConnection: blocked, denyOutboundEncryptedConnection: blocked },
      services: {
        identify: identify(),
        // Protocols a node starts serving after it connected (the query task protocol) reach its peers.
        identifyPush: identifyPush(),
        // Every payload carries its own signatures (transactions, observations, evidence) or proves
        // itself on use (a peer's addresses); libp2p's per-message signature would be checked again
        // on every copy received, and cost most of a busy node's CPU. Message ids hash the data.
        pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, maxInboundDataLength: limits.maxGossipBytes, globalSignaturePolicy: "StrictNoSign", ...RELAY }),
      },
    });
    const network = new Network(host, penalties, limits, options.log ?? (() => {}));
    if (options.seeds && options.seeds.length > 0) network.#keepSeeds(options.seeds);
    if (options.peerExchangeTopic) network.#exchangePeers(options.peerExchangeTopic);
    return network;
  }

  /**
   * Peer exchange: every node announces its addresses on a gossip topic, and dials the nodes it
   * hears of and is not connected to, so a cluster seeded through one node becomes a full mesh
   * (a coordinator talks to every node directly). A false announcement costs one failed dial:
   * the Noise handshake proves the peer id.
   */
  #exchangePeers(topic: string): void {
    const lastDial = new Map<string, number>();
    this.subscribe(topic, (data) => {
      let announced: { peerId?: unknown; addresses?: unknown };
      try {
        announced = JSON.parse(new TextDecoder().decode(data));
      } catch {
        return "reject";
      }
      const { peerId, addresses } = announced;
      if (typeof peerId !== "string" || !Array.isArray(addresses) || addresses.length > MAX_ANNOUNCED_ADDRESSES || addresses.some((a) => typeof a !== "string" || a.length > 256)) return "reject";
      if (data.length > MAX_ANNOUNCE_BYTES) return "reject";
      if (peerId === this.peerId || this.connectedPeers().includes(peerId) || this.penalties.isBlocked(peerId)) return "accept";
      const now = Date.now();
      if (now - (lastDial.get(peerId) ?? 0) < REDIAL_MS) return "accept";
      if (lastDial.size >= MAX_REMEMBERED_PEERS) lastDial.clear();
      lastDial.set(peerId, now);
      const address = (addresses as string[])[0];
      if (address) this.dial(address.includes("/p2p/") ? address : `${address}/p2p/${peerId}`).catch((error) => this.#log("peer_unreachable", { peerId, error: String((error as Error).message) }));
      return "accept";
    });
    let announced = 0;
    const announce = () => {
      // `at` makes each announcement new to gossip, which drops a message whose bytes it has seen.
      const body = JSON.stringify({ peerId: this.peerId, addresses: this.multiaddrs().slice(0, MAX_ANNOUNCED_ADDRESSES), at: Date.now() });
      void this.publish(topic, new TextEncoder().encode(body)).catch(() => {});
      this.#announceTimer = setTimeout(announce, ++announced < EAGER_ANNOUNCEMENTS ? ANNOUNCE_MS : 10 * ANNOUNCE_MS);
      this.#announceTimer.unref();
    };
    announce();
  }

  get peerId(): string {
    return this.#host.peerId.toString();
  }

  multiaddrs(): string[] {
    return this.#host.getMultiaddrs().map((a) => a.toString());
  }

  /** Connected peers that announced (through identify) that they serve `protocol`. */
  async peersServing(protocol: string): Promise<string[]> {
    const serving: string[] = [];
    for (const connection of this.#host.getConnections()) {
      const peer = connection.remotePeer;
      if (serving.includes(peer.toString())) continue;
      const known = await this.#host.peerStore.get(peer).catch(() => undefined);
      if (known?.protocols.includes(protocol)) serving.push(peer.toString());
    }
    return serving;
  }

  connectedPeers(): string[] {
    return [...new Set(this.#host.getConnections().map((c) => c.remotePeer.toString()))];
  }

  async dial(address: string): Promise<void> {
    await this.#host.dial(multiaddr(address));
  }

  penalize(peer: string, offence: Offence, detail: string): void {
    this.penalties.charge(peer, offence, detail);
  }

  /** Delivers each accepted message of a topic; the handler's verdict decides relaying and charges. */
  subscribe(topic: string, handler: GossipHandler): void {
    const pubsub = this.#host.services.pubsub;
    pubsub.topicValidators.set(topic, (from: PeerId, message: { data: Uint8Array }) => {
      const peer = from.toString();
      if (message.data.length > this.limits.maxGossipBytes) {
        this.penalize(peer, "oversized", `${message.data.length}-byte gossip on ${topic}`);
        return "reject" as never;
      }
      if (!this.#withinRate(peer)) {
        this.penalize(peer, "flooding", `over ${this.limits.gossipPerSecondPerPeer} gossip messages a second`);
        return "ignore" as never;
      }
      let verdict: Verdict;
      try {
        verdict = handler(message.data, peer);
      } catch (error) {
        this.penalize(peer, "malformed", `${topic}: ${(error as Error).message}`);
        verdict = "reject";
      }
      return verdict as never;
    });
    pubsub.subscribe(topic);
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    if (data.length > this.limits.maxGossipBytes) throw new RangeError(`gossip of ${data.length} bytes is over the ${this.limits.maxGossipBytes}-byte limit`);
    await this.#host.services.pubsub.publish(topic, data);
  }

  /** Serves requests: a frame in, a frame out, one after another on a stream its requester keeps open. */
  async handle(protocol: string, handler: RequestHandler, limits: ProtocolLimits = {}): Promise<void> {
    const maxFrameBytes = limits.maxFrameBytes ?? this.limits.maxFrameBytes;
    const timeoutMs = limits.timeoutMs ?? this.limits.requestTimeoutMs;
    await this.#host.handle(protocol, async (stream: Stream, connection) => {
      const peer = connection.remotePeer.toString();
      // Counted per protocol: a peer's small control requests never crowd out its large ones.
      const key = `${protocol}\0${peer}`;
      const frames = readFrames(stream, maxFrameBytes)[Symbol.asyncIterator]();
      // Requests one after another on the stream, until the requester closes it or leaves it idle.
      const refuse = (error: Error) => {
        this.penalize(peer, offenceOf(error), `${protocol}: ${error.message}`);
        stream.abort(error);
      };
      for (let first = true; ; first = false) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await withTimeout(frames.next(), first ? timeoutMs : this.limits.requestStreamIdleMs);
        } catch (error) {
          // A stream kept for later requests may stay idle: not an offence.
          if (!first && error instanceof TimeoutError) closeQuietly(stream);
          else refuse(error as Error);
          return;
        }
        if (next.done) {
          // A kept stream may end between requests; one that never carried a request is malformed.
          if (first) refuse(new FrameError("stream ended before a frame"));
          else closeQuietly(stream);
          return;
        }
        const request = next.value;
        const open = (this.#inbound.get(key) ?? 0) + 1;
        if (open > this.limits.maxInboundStreamsPerPeer) {
          this.penalize(peer, "flooding", `more than ${this.limits.maxInboundStreamsPerPeer} open requests`);
          stream.abort(new Error("too many open requests"));
          return;
        }
        this.#inbound.set(key, open);
        try {
          let response: Uint8Array | readonly Uint8Array[];
          try {
            response = await handler(request, peer);
          } catch (error) {
            refuse(error as Error);
            return;
          }
          try {
            await writeFrame(stream, response, maxFrameBytes);
          } catch (error) {
            // The answer did not go out (over the frame limit, or the requester left): not the requester's offence.
            this.#log("response_failed", { peer, protocol, error: (error as Error).message });
            stream.abort(error as Error);
            return;
          }
        } finally {
          const left = (this.#inbound.get(key) ?? 1) - 1;
          if (left > 0) this.#inbound.set(key, left);
          else this.#inbound.delete(key);
        }
      }
    }, { maxInboundStreams: 256 });
  }

  /**
   * Serves a stream protocol: the handler owns each inbound stream until it returns. A handler's
   * error aborts the stream; an error the handler marks as the peer's fault (`isPeerFault`) also
   * charges the peer.
   */
  async handleStream(protocol: string, handler: StreamHandler, options: { maxStreamsPerPeer: number; isPeerFault: (error: unknown) => boolean }): Promise<void> {
    const open = new Map<string, number>();
    await this.#host.handle(
      protocol,
      async (stream: Stream, connection) => {
        const peer = connection.remotePeer.toString();
        const count = (open.get(peer) ?? 0) + 1;
        if (count > options.maxStreamsPerPeer) {
          this.penalize(peer, "flooding", `more than ${options.maxStreamsPerPeer} open ${protocol} streams`);
          stream.abort(new Error("too many open streams"));
          return;
        }
        open.set(peer, count);
        try {
          await handler(channelOf(stream), peer);
        } catch (error) {
          if (options.isPeerFault(error)) this.penalize(peer, "malformed", `${protocol}: ${(error as Error).message}`);
          else this.#log("stream_failed", { protocol, peer, error: (error as Error).message });
          stream.abort(error as Error);
        } finally {
          open.set(peer, (open.get(peer) ?? 1) - 1);
        }
      },
      { maxInboundStreams: STREAMS_PER_CONNECTION, maxOutboundStreams: STREAMS_PER_CONNECTION },
    );
  }

  /** Opens a stream of `protocol` to a peer. */
  async openStream(peer: string, protocol: string, timeoutMs = this.limits.requestTimeoutMs): Promise<ByteChannel> {
    const stream = await this.#host.dialProtocol(peerIdFromString(peer), protocol, { signal: AbortSignal.timeout(timeoutMs), maxOutboundStreams: STREAMS_PER_CONNECTION });
    return channelOf(stream);
  }

  async request(peer: string, protocol: string, data: Uint8Array, limits: ProtocolLimits = {}): Promise<Uint8Array> {
    const maxFrameBytes = limits.maxFrameBytes ?? this.limits.maxFrameBytes;
    const timeoutMs = limits.timeoutMs ?? this.limits.requestTimeoutMs;
    const key = `${peer}\0${protocol}\0${maxFrameBytes}`;
    for (;;) {
      // Opening a stream costs a round trip (the protocol's confirmation) before the request goes
      // out: libp2p 3 no longer sends them together, whatever `negotiateFully` says. So a stream
      // is kept for the next request to the same peer.
      // One the server closed is closed here too.
      const idle = this.#idleRequestStreams.take(key, ({ stream }) => stream.status === "open" && stream.writeStatus === "writable" && stream.remoteWriteStatus === "writable");
      const channel = idle ?? (await this.#openRequestStream(peer, protocol, maxFrameBytes, timeoutMs));
      try {
        await writeFrame(channel.stream, data, maxFrameBytes);
        const next = await withTimeout(channel.frames.next(), timeoutMs);
        if (next.done) {
          // The server closed a kept stream before reading this request: it never ran, and goes on a new one.
          if (idle) continue;
          throw new FrameError("stream ended before a frame");
        }
        this.#idleRequestStreams.keep(key, channel);
        return next.value;
      } catch (error) {
        channel.stream.abort(error as Error);
        throw new RequestError(`${protocol} to ${peer}: ${(error as Error).message}`);
      }
    }
  }

  async #openRequestStream(peer: string, protocol: string, maxFrameBytes: number, timeoutMs: number): Promise<RequestStream> {
    const target = peer.startsWith("/") ? multiaddr(peer) : peerIdFromString(peer);
    let stream: Stream;
    try {
      stream = await this.#host.dialProtocol(target, protocol, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new RequestError(`${protocol} to ${peer}: ${(error as Error).message}`);
    }
    return { stream, frames: readFrames(stream, maxFrameBytes)[Symbol.asyncIterator]() };
  }

  async stop(): Promise<void> {
    this.#idleRequestStreams.closeAll();
    if (this.#seedTimer) clearInterval(this.#seedTimer);
    if (this.#announceTimer) clearTimeout(this.#announceTimer);
    await this.#host.stop();
  }

  #withinRate(peer: string): boolean {
    const second = Math.floor(Date.now() / 1000);
    const entry = this.#gossipCounts.get(peer);
    if (!entry || entry.second !== second) {
      this.#gossipCounts.set(peer, { second, count: 1 });
      return true;
    }
    return ++entry.count <= this.limits.gossipPerSecondPerPeer;
  }

  #keepSeeds(seeds: readonly string[]): void {
    const connect = () => {
      const connected = new Set(this.connectedPeers());
      for (const seed of seeds) {
        const id = seed.split("/p2p/")[1];
        if (id === this.peerId || (id && connected.has(id))) continue;
        this.dial(seed).catch((error) => this.#log("seed_unreachable", { seed, error: String((error as Error).message) }));
      }
    };
    connect();
    this.#seedTimer = setInterval(connect, SEED_RETRY_MS);
    this.#seedTimer.unref();
  }
}

/** Streams of one stream protocol a connection carries at once, each way. */
const STREAMS_PER_CONNECTION = 1024;

function channelOf(stream: Stream): ByteChannel {
  return {
    write: async (bytes) => {
      if (!stream.send(bytes)) await stream.onDrain();
    },
    close: () => stream.close(),
    abort: (error) => stream.abort(error),
    source: (async function* () {
      for await (const chunk of stream) yield* partsOf(chunk);
    })(),
  };
}

class TimeoutError extends Error {}

/** A request stream and the frames it carries: kept between requests, so one reader reads them all. */
interface RequestStream {
  stream: Stream;
  frames: AsyncIterator<Uint8Array>;
}

function closeQuietly(stream: Stream): void {
  if (stream.status === "open") void stream.close().catch(() => {});
}

/** What a peer's bad request is charged as. */
function offenceOf(error: unknown): Offence {
  if (error instanceof FrameError) return /limit/.test(error.message) ? "oversized" : "malformed";
  return error instanceof TimeoutError ? "timeout" : "malformed";
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
