// Trust between peers. Each peer signs local scores in [−1, 1] for the peers it knows. From
// them a node derives two views and blends them into the weight it gives each peer's
// observations when two transactions conflict:
// - DATT (directed acyclic transitive trust): from the node outward, rank by rank, a peer's
//   trust is the product of scores along the path times decay^(rank−1), averaged over the
//   paths that reach it at its nearest rank; a negative score is kept but not followed.
// - EigenTrust: the stationary vector of the normalized positive scores, with a small bias
//   towards a seed list of pre-trusted peers (Kamvar et al., 2003).
import { invariant } from "../../common/errors.ts";

export type PeerKey = string;
/** Local scores: truster → trustee → score in [−1, 1]. */
export type TrustGraph = ReadonlyMap<PeerKey, ReadonlyMap<PeerKey, number>>;

export const DEFAULT_DECAY = 0.5;
export const DEFAULT_MAX_RANK = 6;
export const DEFAULT_SEED_BIAS = 0.15;
export const DEFAULT_EPSILON = 1e-9;
export const MAX_ITERATIONS = 200;
/** The blend's share of DATT; the rest is EigenTrust. */
export const DEFAULT_DATT_SHARE = 0.5;

function clampScore(score: number): number {
  invariant(Number.isFinite(score), "trust score is not a number");
  return Math.max(-1, Math.min(1, score));
}

export function datt(graph: TrustGraph, source: PeerKey, decay = DEFAULT_DECAY, maxRank = DEFAULT_MAX_RANK): Map<PeerKey, number> {
  invariant(decay > 0 && decay <= 1, "decay must be in (0, 1]");
  const trust = new Map<PeerKey, number>();
  let frontier = new Map<PeerKey, number>();
  for (const [peer, score] of graph.get(source) ?? []) {
    if (peer === source) continue;
    frontier.set(peer, clampScore(score));
  }
  for (let rank = 1; rank <= maxRank && frontier.size > 0; rank++) {
    for (const [peer, value] of frontier) trust.set(peer, value);
    const sums = new Map<PeerKey, { total: number; paths: number }>();
    for (const [peer, value] of frontier) {
      if (value <= 0) continue; // a distrusted peer's opinions are not followed
      for (const [next, score] of graph.get(peer) ?? []) {
        if (next === source || trust.has(next)) continue; // the nearest rank wins; no cycles
        const s = sums.get(next) ?? { total: 0, paths: 0 };
        s.total += value * clampScore(score) * decay;
        s.paths++;
        sums.set(next, s);
      }
    }
    frontier = new Map([...sums].map(([peer, s]) => [peer, s.total / s.paths]));
  }
  return trust;
}

export interface EigenTrustOptions {
  /** Pre-trusted peers the walk restarts from (the seed list); every peer if empty. */
  seeds: readonly PeerKey[];
  seedBias?: number;
  epsilon?: number;
}

export function eigenTrust(graph: TrustGraph, peers: readonly PeerKey[], options: EigenTrustOptions): Map<PeerKey, number> {
  const n = peers.length;
  if (n === 0) return new Map();
  const a = options.seedBias ?? DEFAULT_SEED_BIAS;
  invariant(a > 0 && a < 1, "seed bias must be in (0, 1)");
  const index = new Map(peers.map((p, i) => [p, i]));
  const seeds = options.seeds.filter((s) => index.has(s));
  const p = new Float64Array(n);
  if (seeds.length > 0) for (const s of seeds) p[index.get(s)!] = 1 / seeds.length;
  else p.fill(1 / n);
  // Row-normalized positive scores; a peer that trusts nobody passes its mass to the seeds.
  const rows = peers.map((peer) => {
    const out = [...(graph.get(peer) ?? [])].filter(([q, s]) => s > 0 && index.has(q) && q !== peer);
    const total = out.reduce((sum, [, s]) => sum + clampScore(s), 0);
    return out.map(([q, s]) => [index.get(q)!, clampScore(s) / total] as const);
  });
  let t = Float64Array.from(p);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const mass = (1 - a) * t[i];
      if (rows[i].length === 0) for (let j = 0; j < n; j++) next[j] += mass * p[j];
      else for (const [j, c] of rows[i]) next[j] += mass * c;
    }
    let change = 0;
    for (let j = 0; j < n; j++) {
      next[j] += a * p[j];
      change += Math.abs(next[j] - t[j]);
    }
    t = next;
    if (change < (options.epsilon ?? DEFAULT_EPSILON)) break;
  }
  return new Map(peers.map((peer, i) => [peer, t[i]]));
}

/**
 * The weight a node gives each peer: DATT's view blended with EigenTrust's (scaled so that a
 * peer with an average share of the stationary mass counts 1), in [−1, 1]. A peer DATT marks
 * negative stays negative: evidence of equivocation outweighs any reputation.
 */
export function blendedTrust(graph: TrustGraph, self: PeerKey, peers: readonly PeerKey[], seeds: readonly PeerKey[], dattShare = DEFAULT_DATT_SHARE): Map<PeerKey, number> {
  const local = datt(graph, self);
  const global = eigenTrust(graph, peers, { seeds });
  const weights = new Map<PeerKey, number>();
  for (const peer of peers) {
    const d = local.get(peer) ?? 0;
    const e = Math.min(1, (global.get(peer) ?? 0) * peers.length);
    weights.set(peer, d < 0 ? d : dattShare * d + (1 - dattShare) * e);
  }
  return weights;
}
