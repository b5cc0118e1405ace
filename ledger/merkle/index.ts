// Merkle trees over observation leaves. Leaves and inner nodes hash under different domains
// (a leaf can never pose as a node), and an odd node at the end of a level moves up as it is
// instead of being paired with itself, so no two leaf lists share a root. A proof carries the
// leaf count, which fixes where those promotions happened.
import { bytesEqual, HASH_BYTES, sha256BytesInto } from "../crypto.ts";
import { DOMAIN, domainHash, domainHashInto, domainPrefix } from "../encoding/index.ts";

/** Trees larger than this are refused: an observation never needs more leaves. */
export const MAX_LEAVES = 1 << 20;

export function leafHash(data: Uint8Array): Uint8Array {
  return domainHash(DOMAIN.merkleLeaf, data);
}

const NODE_PREFIX = domainPrefix(DOMAIN.merkleNode);
/**
 * An inner node's hash input, its domain then its two children, rewritten for each node: a
 * tree hashes one node per leaf, and joining views of the children cost more than the hash.
 */
const nodeInput = new Uint8Array(NODE_PREFIX.length + 2 * HASH_BYTES);
nodeInput.set(NODE_PREFIX);

/** Hashes the inner node over `left` and `right` (HASH_BYTES each, from the offsets given) into `target` at `at`, which may overlap either. */
function nodeHashInto(left: Uint8Array, leftAt: number, right: Uint8Array, rightAt: number, target: Uint8Array, at: number): void {
  const base = NODE_PREFIX.length;
  for (let k = 0; k < HASH_BYTES; k++) {
    nodeInput[base + k] = left[leftAt + k];
    nodeInput[base + HASH_BYTES + k] = right[rightAt + k];
  }
  sha256BytesInto(nodeInput, target, at);
}

export interface MerkleTree {
  root: Uint8Array;
  leafCount: number;
  /** The sibling hashes from leaf `index` up to the root. */
  proof(index: number): Uint8Array[];
}

export function buildTree(leaves: readonly Uint8Array[]): MerkleTree {
  if (leaves.length === 0 || leaves.length > MAX_LEAVES) throw new RangeError(`a Merkle tree needs 1 to ${MAX_LEAVES} leaves, got ${leaves.length}`);
  // Each level is a run of 32-byte hashes, and all levels share one buffer: a tree kept for its
  // proofs is a few objects, not two per leaf, and one allocation outside the heap, not one per level.
  const leafCount = leaves.length;
  let nodeCount = leafCount;
  for (let width = leafCount; width > 1; width = Math.ceil(width / 2)) nodeCount += Math.ceil(width / 2);
  const nodes = new Uint8Array(nodeCount * HASH_BYTES);
  const levels: Uint8Array[] = [nodes.subarray(0, leafCount * HASH_BYTES)];
  for (let i = 0; i < leafCount; i++) domainHashInto(DOMAIN.merkleLeaf, levels[0], i * HASH_BYTES, leaves[i]);
  for (let width = leafCount, start = leafCount * HASH_BYTES; width > 1; width = Math.ceil(width / 2)) {
    const below = levels[levels.length - 1];
    const above = nodes.subarray(start, (start += Math.ceil(width / 2) * HASH_BYTES));
    for (let i = 0; i < width; i += 2) {
      const at = (i >> 1) * HASH_BYTES;
      if (i + 1 < width) nodeHashInto(below, i * HASH_BYTES, below, (i + 1) * HASH_BYTES, above, at);
      else above.set(hashAt(below, i), at);
    }
    levels.push(above);
  }
  // The views proofs are made of, one per node of the tree as first asked for: the proofs of
  // one tree share their upper siblings instead of each holding views of its own.
  const views: Uint8Array[][] = levels.map(() => []);
  return {
    root: levels[levels.length - 1].slice(0, HASH_BYTES),
    leafCount,
    proof(index) {
      if (!Number.isInteger(index) || index < 0 || index >= leafCount) throw new RangeError(`leaf ${index} of ${leafCount}`);
      const path: Uint8Array[] = [];
      let i = index;
      for (let l = 0, width = leafCount; l < levels.length - 1; l++, width = Math.ceil(width / 2)) {
        const sibling = i % 2 === 1 ? i - 1 : i + 1;
        if (sibling < width) path.push((views[l][sibling] ??= hashAt(levels[l], sibling)));
        i >>= 1;
      }
      return path;
    },
  };
}

/** Hash `i` of a level, as a view (the level is never written once built). */
function hashAt(level: Uint8Array, i: number): Uint8Array {
  return level.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

/** Whether `data` is leaf `index` of a tree of `leafCount` leaves with this root. */
export function verifyProof(data: Uint8Array, index: number, leafCount: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(leafCount) || index < 0 || index >= leafCount || leafCount > MAX_LEAVES) return false;
  const hash = leafHash(data); // a new array: the path's hashes are folded into it
  let i = index;
  let size = leafCount;
  let used = 0;
  while (size > 1) {
    if (i % 2 === 1) {
      if (used >= path.length || path[used].length !== HASH_BYTES) return false;
      nodeHashInto(path[used++], 0, hash, 0, hash, 0);
    } else if (i + 1 < size) {
      if (used >= path.length || path[used].length !== HASH_BYTES) return false;
      nodeHashInto(hash, 0, path[used++], 0, hash, 0);
    } // else: the last node of an odd level moves up unchanged
    i >>= 1;
    size = Math.ceil(size / 2);
  }
  return used === path.length && bytesEqual(hash, root);
}
