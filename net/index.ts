// net/: the libp2p layer. The node composes it with the ledger; nothing here knows what the
// bytes mean.
export { Network, RequestError, DEFAULT_LIMITS, type NetworkLimits, type NetworkOptions, type ProtocolLimits, type GossipHandler, type RequestHandler, type StreamHandler, type ByteChannel, type Verdict } from "./network.ts";
export { PeerPenalties, OFFENCE_POINTS, BLOCK_THRESHOLD, type Offence, type PenaltyEvent } from "./penalties.ts";
export { writeFrame, readFrames, FrameError } from "./frames.ts";

/** Gossip topics and request protocols of trustql's network, versioned. */
export const TOPICS = {
  transactions: "/trustql/tx/1",
  observations: "/trustql/observation/1",
  peerMetadata: "/trustql/peer/1",
  evidence: "/trustql/evidence/1",
} as const;

export const PROTOCOLS = {
  transaction: "/trustql/get-tx/1.0.0",
  observation: "/trustql/get-observation/1.0.0",
  proof: "/trustql/get-proof/1.0.0",
  trust: "/trustql/get-trust/1.0.0",
  /** Runs one task of a staged query: a plan, the chunks it scans, the rows that came to it. */
  task: "/trustql/task/1.0.0",
  /** Rows from a producing task to a receiving task of a query's exchange, with credit-based backpressure. */
  exchange: "/trustql/exchange/1.0.0",
  /** What a receiving task of an exchange holds, or forgetting a finished run's rows. */
  exchangeControl: "/trustql/exchange-control/1.0.0",
  /** The rows a receiving task holds for a task the coordinator checks after it answered. */
  heldInputs: "/trustql/held-inputs/1.0.0",
  /** A chunk's bytes by its content hash (the asker checks the hash). */
  chunk: "/trustql/get-chunk/1.0.0",
} as const;
