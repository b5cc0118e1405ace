// The observation committee: in a large network, the observations that decide come from a
// committee of validators, not from every peer, so deciding one transaction costs a node
// O(validators) votes, not O(peers). Every other peer follows: a few validators send it the
// certificates of what they commit (each with the ACCEPTED votes of 2/3 of the committee), in
// their commit order, and it applies them.
//
// The committee is drawn by hashing each peer id with a seed (the network's genesis): a peer
// cannot choose its place, and every node computes the same committee from the same peer list.
// With a fraction f of byzantine peers, the chance that a committee of k holds a third or more
// of them is a binomial tail: for f = 0.2, about 0.3% at k = 64 and 0.04% at k = 100.
import { invariant } from "../../common/errors.ts";
import { DOMAIN, domainHash } from "../encoding/index.ts";
import { fromHex, toHex } from "../crypto.ts";

export type PeerKey = string;

/** Committee size when a network does not choose one: every peer of a smaller network validates. */
export const DEFAULT_VALIDATORS = 64;
/** Validators that send each follower their commits: with two, one down or slow delays nothing. */
export const FEEDERS_PER_FOLLOWER = 2;

/** The `count` peers whose hash with the seed is lowest, in that order; every peer when there are fewer. */
export function selectValidators(peers: readonly PeerKey[], count: number, seed: Uint8Array): PeerKey[] {
  invariant(count >= 1, "a committee needs at least one validator");
  if (peers.length <= count) return [...peers];
  const ranked = peers.map((peer) => ({ peer, rank: toHex(domainHash(DOMAIN.validators, seed, fromHex(peer))) }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return ranked.slice(0, count).map((r) => r.peer);
}

type FeedAssignment = { readonly feedersOf: ReadonlyMap<PeerKey, readonly PeerKey[]>; readonly followersOf: ReadonlyMap<PeerKey, readonly PeerKey[]> };
const ASSIGNMENTS = new WeakMap<readonly PeerKey[], { validators: readonly PeerKey[]; assignment: FeedAssignment }>();

/**
 * Who feeds whom: each follower (a peer outside the committee) gets FEEDERS_PER_FOLLOWER
 * distinct validators, spread so each validator feeds about the same number of followers.
 */
export function feedAssignment(peers: readonly PeerKey[], validators: readonly PeerKey[]): FeedAssignment {
  // Nodes built from one peer list and committee (the simulator's thousand) share one assignment.
  const known = ASSIGNMENTS.get(peers);
  if (known?.validators === validators) return known.assignment;
  const assignment = assignFeeders(peers, validators);
  ASSIGNMENTS.set(peers, { validators, assignment });
  return assignment;
}

function assignFeeders(peers: readonly PeerKey[], validators: readonly PeerKey[]): FeedAssignment {
  const committee = new Set(validators);
  const followers = peers.filter((p) => !committee.has(p));
  const perFollower = Math.min(FEEDERS_PER_FOLLOWER, validators.length);
  const feedersOf = new Map<PeerKey, PeerKey[]>();
  const followersOf = new Map<PeerKey, PeerKey[]>(validators.map((v) => [v, []]));
  followers.forEach((follower, i) => {
    const feeders = Array.from({ length: perFollower }, (_, r) => validators[(i * perFollower + r) % validators.length]);
    feedersOf.set(follower, feeders);
    for (const feeder of feeders) followersOf.get(feeder)!.push(follower);
  });
  return { feedersOf, followersOf };
}
