// Signed observations: every interval a node puts what it saw (transaction hashes with their
// state, and the roots other peers signed) into a Merkle tree, signs the root and chains it
// to its previous one. One entry's proof against one signed root is an observation edge,
// checkable offline with the peer's public key.
import { invariant, InvariantError } from "../../common/errors.ts";
import { bytesEqual, toHex, verify } from "../crypto.ts";
import { DOMAIN, domainHash, encode } from "../encoding/index.ts";
import { buildTree, verifyProof, type MerkleTree } from "../merkle/index.ts";
import {
  ObservationEntry,
  ObservationHeader,
  PeerRoot,
  TxState,
  type EquivocationEvidence,
  type Observation,
  type ObservationEdge,
  type TransactionBody,
} from "../schema.ts";
import { txHash } from "../tx/hash.ts";
import { conflicts } from "../tx/validate.ts";

export const DEFAULT_INTERVAL_MS = 50;
/** Entries in one observation; more wait for the next interval. */
export const MAX_ENTRIES = 16_384;
export const MAX_PEER_ROOTS = 1_024;
/**
 * Other peers' roots go into an observation at most this often: a link a second ties the chains
 * together as well, and each root is a leaf every reader hashes.
 */
export const PEER_ROOTS_EVERY_MS = 1_000;
/** Sealed observations kept to answer proof requests. */
export const RETAINED_OBSERVATIONS = 256;

const ENTRY_TAG = new Uint8Array([1]);
const PEER_ROOT_TAG = new Uint8Array([2]);

// A leaf is its tag, then its encoding, written as one array: a peer root's leaf is longer than
// the 64 bytes V8 keeps in the heap, and every array outside it is an allocation the collector
// accounts for (a validator puts up to 63 peer roots a second into its observations).
export function entryLeaf(entry: ObservationEntry): Uint8Array {
  return encode(ObservationEntry, entry, ENTRY_TAG);
}

function peerRootLeaf(root: PeerRoot): Uint8Array {
  return encode(PeerRoot, root, PEER_ROOT_TAG);
}

function leavesOf(observation: Observation): Uint8Array[] {
  return [...observation.entries.map(entryLeaf), ...observation.peerRoots.map(peerRootLeaf)];
}

/**
 * Each observation's Merkle tree, kept while the observation is, so the edges certificates and
 * proofs cut from it do not rebuild the tree each time. Weak: a cache that held observations
 * itself would hold every vote a long-running node ever saw.
 */
const TREES = new WeakMap<Observation, MerkleTree>();

function rememberTree(observation: Observation, tree: MerkleTree): void {
  if (!TREES.has(observation)) TREES.set(observation, tree);
}

function treeOf(observation: Observation): MerkleTree {
  const known = TREES.get(observation);
  if (known) return known;
  const tree = buildTree(leavesOf(observation));
  rememberTree(observation, tree);
  return tree;
}

/** Where each entry sits in an observation, by `hex hash/state`, worked out once per observation. */
const LEAF_INDEX = new WeakMap<Observation, Map<string, number>>();
/**
 * Observations this process sealed or verified, with the key they verified under, and the edges
 * cut from them: such an edge is genuine by construction and needs no check of its own. Both map
 * to the key's number in GENUINE_KEYS, not to the key: once it finds a weak map's key alive, the
 * collector must trace the value if it is an object, and with an edge per vote (over a million in
 * a long simulation) that tracing was most of each full collection's pause.
 */
const GENUINE = new WeakMap<Observation, number>();
const GENUINE_EDGES = new WeakMap<ObservationEdge, number>();
/** Keys observations were found genuine under, numbered as first seen: one per signer this process heard from. */
const GENUINE_KEYS: Uint8Array[] = [];
const GENUINE_KEY_NUMBERS = new Map<string, number>();

function genuineKeyNumber(publicKey: Uint8Array): number {
  const hex = toHex(publicKey);
  let number = GENUINE_KEY_NUMBERS.get(hex);
  if (number === undefined) {
    GENUINE_KEY_NUMBERS.set(hex, (number = GENUINE_KEYS.length));
    GENUINE_KEYS.push(new Uint8Array(publicKey));
  }
  return number;
}

/** Whether `number` (from GENUINE or GENUINE_EDGES) names this key. */
function isGenuineUnder(number: number | undefined, publicKey: Uint8Array): boolean {
  return number !== undefined && bytesEqual(GENUINE_KEYS[number], publicKey);
}

/** Edges already cut from an observation, by leaf: every vote and certificate that needs one shares it. */
const EDGES = new WeakMap<Observation, (ObservationEdge | undefined)[]>();

export function headerDigest(header: ObservationHeader): Uint8Array {
  return domainHash(DOMAIN.observation, encode(ObservationHeader, header));
}

export interface ObservationSigner {
  peer: Uint8Array;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export class ObservationBuilder {
  readonly #signer: ObservationSigner;
  readonly #intervalMs: number;
  #entries: ObservationEntry[] = [];
  #peerRoots = new Map<string, PeerRoot>();
  #sequence = 0n;
  #previousRoot: Uint8Array = new Uint8Array(32);
  #lastSealMs = -Infinity;
  #lastPeerRootsMs = -Infinity;
  readonly #sealed: Observation[] = [];
  /** The signer's key as GENUINE numbers it. */
  readonly #genuineKey: number;

  constructor(signer: ObservationSigner, intervalMs = DEFAULT_INTERVAL_MS) {
    invariant(intervalMs > 0, "observation interval must be positive");
    this.#signer = signer;
    this.#intervalMs = intervalMs;
    this.#genuineKey = genuineKeyNumber(signer.publicKey);
  }

  observe(entry: ObservationEntry): void {
    this.#entries.push(entry);
  }

  /** Keeps a peer's newest root for the next observation; `peerKey` is the peer in hex, if the caller has it already. */
  seePeerRoot(root: PeerRoot, peerKey = toHex(root.peer)): void {
    const known = this.#peerRoots.get(peerKey);
    if (!known || known.sequence < root.sequence) this.#peerRoots.set(peerKey, root);
  }

  /** Whether an observation is due: something to report and an interval since the last one. */
  due(nowMs: number): boolean {
    return this.#entries.length > 0 && nowMs - this.#lastSealMs >= this.#intervalMs;
  }

  /** Signs what was seen since the last observation, chained to it. */
  seal(nowMs: number): Observation | undefined {
    if (!this.due(nowMs)) return undefined;
    const entries = this.#entries.splice(0, MAX_ENTRIES);
    let peerRoots: PeerRoot[] = [];
    if (nowMs - this.#lastPeerRootsMs >= PEER_ROOTS_EVERY_MS) {
      peerRoots = [...this.#peerRoots.values()].slice(0, MAX_PEER_ROOTS);
      this.#peerRoots.clear();
      this.#lastPeerRootsMs = nowMs;
    }
    const leaves = [...entries.map(entryLeaf), ...peerRoots.map(peerRootLeaf)];
    const tree = buildTree(leaves);
    const header: ObservationHeader = {
      peer: this.#signer.peer,
      sequence: ++this.#sequence,
      timeMs: BigInt(Math.floor(nowMs)),
      previousRoot: this.#previousRoot,
      merkleRoot: tree.root,
      leafCount: leaves.length,
    };
    const observation: Observation = { header, signature: this.#signer.sign(headerDigest(header)), entries, peerRoots };
    this.#previousRoot = tree.root;
    this.#lastSealMs = nowMs;
    this.#sealed.push(observation);
    rememberTree(observation, tree);
    GENUINE.set(observation, this.#genuineKey);
    if (this.#sealed.length > RETAINED_OBSERVATIONS) this.#sealed.shift();
    return observation;
  }

  /** The newest edge proving this node signed `state` for a transaction, if still retained. */
  edgeFor(hash: Uint8Array, state: TxState): ObservationEdge | undefined {
    for (let i = this.#sealed.length - 1; i >= 0; i--) {
      const edge = observationEdge(this.#sealed[i], hash, state);
      if (edge) return edge;
    }
    return undefined;
  }
}

function edgeOf(observation: Observation, path: Uint8Array[], leafIndex: number): ObservationEdge {
  return { header: observation.header, signature: observation.signature, entry: observation.entries[leafIndex], leafIndex, path };
}

/** Checks an observation's root against its leaves and its signature against the peer's key. */
export function verifyObservation(observation: Observation, publicKey: Uint8Array): boolean {
  if (isGenuineUnder(GENUINE.get(observation), publicKey)) return true; // sealed or already checked in this process
  const header = observation.header;
  if (!header) return false;
  const leaves = leavesOf(observation);
  if (leaves.length === 0 || leaves.length !== header.leafCount) return false;
  const tree = buildTree(leaves);
  if (!bytesEqual(tree.root, header.merkleRoot) || !verify(observation.signature, headerDigest(header), publicKey)) return false;
  rememberTree(observation, tree); // only a genuine observation's: a forged one is dropped, not kept
  GENUINE.set(observation, genuineKeyNumber(publicKey));
  return true;
}

/** Checks one entry's Merkle path to a signed root, offline (an edge this process cut from a genuine observation is known good). */
export function verifyEdge(edge: ObservationEdge, publicKey: Uint8Array, verifySignature: typeof verify = verify): boolean {
  if (isGenuineUnder(GENUINE_EDGES.get(edge), publicKey)) return true;
  if (!edge.header || !edge.entry) return false;
  if (!verifyProof(entryLeaf(edge.entry), edge.leafIndex, edge.header.leafCount, edge.path, edge.header.merkleRoot)) return false;
  return verifySignature(edge.signature, headerDigest(edge.header), publicKey);
}

/** The edge of `hash` in `state` in an observation (the same object each time it is asked for), if it holds one. */
export function observationEdge(observation: Observation, hash: Uint8Array, state: TxState): ObservationEdge | undefined {
  let index = LEAF_INDEX.get(observation);
  if (!index) {
    index = new Map(observation.entries.map((e, i) => [`${toHex(e.txHash)}/${e.state}`, i]));
    LEAF_INDEX.set(observation, index);
  }
  const leaf = index.get(`${toHex(hash)}/${state}`);
  return leaf === undefined ? undefined : entryEdge(observation, leaf);
}

/** The edge of an observation's entry `leaf`, cut once: the same object each time it is asked for. */
export function entryEdge(observation: Observation, leaf: number): ObservationEdge {
  return cutEdge(observation, edgesOf(observation), leaf);
}

/**
 * entryEdge for one observation, as a function: a caller that takes many edges of one
 * observation (a validator counting its votes) looks up the observation's edges once.
 */
export function edgeCutter(observation: Observation): (leaf: number) => ObservationEdge {
  const edges = edgesOf(observation);
  return (leaf) => cutEdge(observation, edges, leaf);
}

function edgesOf(observation: Observation): (ObservationEdge | undefined)[] {
  let edges = EDGES.get(observation);
  if (!edges) EDGES.set(observation, (edges = []));
  return edges;
}

function cutEdge(observation: Observation, edges: (ObservationEdge | undefined)[], leaf: number): ObservationEdge {
  // Checked before its message is built: a validator asks for an edge with every ACCEPTED vote it counts.
  if (!(leaf >= 0 && leaf < observation.entries.length)) throw new InvariantError(`entry ${leaf} of an observation of ${observation.entries.length}`);
  let edge = edges[leaf];
  if (!edge) {
    edges[leaf] = edge = edgeOf(observation, treeOf(observation).proof(leaf), leaf);
    const key = GENUINE.get(observation);
    if (key !== undefined) GENUINE_EDGES.set(edge, key);
  }
  return edge;
}

/** Proof that one peer signed PENDING for two transactions that spend the same output. */
export function verifyEvidence(evidence: EquivocationEvidence, publicKey: Uint8Array): boolean {
  const { first, second, firstBody, secondBody } = evidence;
  if (!first || !second || !firstBody || !secondBody) return false;
  if (!bytesEqual(first.header?.peer ?? new Uint8Array(), second.header?.peer ?? new Uint8Array([1]))) return false;
  if (first.entry?.state !== TxState.TX_STATE_PENDING || second.entry?.state !== TxState.TX_STATE_PENDING) return false;
  if (!bytesEqual(first.entry.txHash, txHash(firstBody)) || !bytesEqual(second.entry.txHash, txHash(secondBody))) return false;
  if (bytesEqual(first.entry.txHash, second.entry.txHash)) return false;
  if (!conflicts({ body: firstBody, witnesses: [] }, { body: secondBody, witnesses: [] })) return false;
  return verifyEdge(first, publicKey) && verifyEdge(second, publicKey);
}

export function makeEvidence(first: ObservationEdge, firstBody: TransactionBody, second: ObservationEdge, secondBody: TransactionBody): EquivocationEvidence {
  return { first, second, firstBody, secondBody };
}
