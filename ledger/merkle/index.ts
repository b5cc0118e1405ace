// Merkle trees over observation leaves. Leaves and inner nodes hash under different domains
// (a leaf can never pose as a node), and an odd node at the end of a level moves up as it is
// instead of being paired with itself, so no two leaf lists share a root. A proof carries the
// leaf count, which fixes where those promotions happened.
import { bytesEqual } from "../crypto.ts";
import { DOMAIN, domainHash } from "../encoding/index.ts";

/** Trees larger than this are refused: an observation never needs more leaves. */
export const MAX_LEAVES = 1 << 20;

export function leafHash(data: Uint8Array): Uint8Array {
  return domainHash(DOMAIN.merkleLeaf, data);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return domainHash(DOMAIN.merkleNode, left, right);
}

export interface MerkleTree {
  root: Uint8Array;
  leafCount: number;
  /** The sibling hashes from leaf `index` up to the root. */
  proof(index: number): Uint8Array[];
}

export function buildTree(leaves: readonly Uint8Array[]): MerkleTree {
  if (leaves.length === 0 || leaves.length > MAX_LEAVES) throw new RangeError(`a Merkle tree needs 1 to ${MAX_LEAVES} leaves, got ${leaves.length}`);
  const levels: Uint8Array[][] = [leaves.map(leafHash)];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const above: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) above.push(i + 1 < below.length ? nodeHash(below[i], below[i + 1]) : below[i]);
    levels.push(above);
  }
  return {
    root: levels[levels.length - 1][0],
    leafCount: leaves.length,
    proof(index) {
      if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} of ${leaves.length}`);
      const path: Uint8Array[] = [];
      let i = index;
      for (const level of levels.slice(0, -1)) {
        const sibling = i % 2 === 1 ? i - 1 : i + 1;
        if (sibling < level.length) path.push(level[sibling]);
        i >>= 1;
      }
      return path;
    },
  };
}

/** Whether `data` is leaf `index` of a tree of `leafCount` leaves with this root. */
export function verifyProof(data: Uint8Array, index: number, leafCount: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(leafCount) || index < 0 || index >= leafCount || leafCount > MAX_LEAVES) return false;
  let hash = leafHash(data);
  let i = index;
  let size = leafCount;
  let used = 0;
  while (size > 1) {
    if (i % 2 === 1) {
      if (used >= path.length) return false;
      hash = nodeHash(path[used++], hash);
    } else if (i + 1 < size) {
      if (used >= path.length) return false;
      hash = nodeHash(hash, path[used++]);
    } // else: the last node of an odd level moves up unchanged
    i >>= 1;
    size = Math.ceil(size / 2);
  }
  return used === path.length && bytesEqual(hash, root);
}
