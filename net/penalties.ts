// What misbehaving peers cost: each offence charges points; past a threshold the peer is
// disconnected and refused for a while. The node's trust layer reads the same charges.
export type Offence = "oversized" | "malformed" | "bad-signature" | "flooding" | "timeout" | "unknown-root" | "wrong-result";

/** Points per offence; a peer is cut off at BLOCK_THRESHOLD. */
export const OFFENCE_POINTS: Record<Offence, number> = {
  oversized: 40,
  malformed: 25,
  "bad-signature": 50,
  flooding: 20,
  timeout: 5,
  "unknown-root": 5,
  /** A query task's output that re-execution shows wrong: the peer is cut off at once. */
  "wrong-result": 100,
};
export const BLOCK_THRESHOLD = 100;
export const BLOCK_MS = 10 * 60_000;
/** Points forgiven per minute of good behaviour. */
export const DECAY_PER_MINUTE = 10;

export interface PenaltyEvent {
  peer: string;
  offence: Offence;
  detail: string;
  points: number;
  blocked: boolean;
}

export class PeerPenalties {
  readonly #points = new Map<string, { points: number; atMs: number }>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #listeners: ((event: PenaltyEvent) => void)[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  onPenalty(listener: (event: PenaltyEvent) => void): void {
    this.#listeners.push(listener);
  }

  points(peer: string): number {
    const entry = this.#points.get(peer);
    if (!entry) return 0;
    const minutes = (this.#now() - entry.atMs) / 60_000;
    return Math.max(0, entry.points - minutes * DECAY_PER_MINUTE);
  }

  charge(peer: string, offence: Offence, detail: string): PenaltyEvent {
    const points = this.points(peer) + OFFENCE_POINTS[offence];
    this.#points.set(peer, { points, atMs: this.#now() });
    const blocked = points >= BLOCK_THRESHOLD;
    if (blocked) this.#blockedUntil.set(peer, this.#now() + BLOCK_MS);
    const event = { peer, offence, detail, points, blocked };
    for (const listener of this.#listeners) listener(event);
    return event;
  }

  /** The peers refused now; blocks that ended are forgotten. */
  blockedPeers(): string[] {
    const now = this.#now();
    for (const [peer, until] of this.#blockedUntil) if (until <= now) this.#blockedUntil.delete(peer);
    return [...this.#blockedUntil.keys()];
  }

  isBlocked(peer: string): boolean {
    const until = this.#blockedUntil.get(peer);
    return until !== undefined && until > this.#now();
  }
}
