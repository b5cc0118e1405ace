import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildTree, verifyProof } from "../merkle/index.ts";

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf ${i}`));

describe("Merkle trees", () => {
  it("prove every leaf of trees of every size from 1 to 1,000", () => {
    for (let n = 1; n <= 1000; n++) {
      const leaves = leavesOf(n);
      const tree = buildTree(leaves);
      for (let i = 0; i < n; i++) {
        if (n > 64 && i % 7 !== 0 && i !== n - 1) continue; // every leaf of small trees, a spread of the large
        expect(verifyProof(leaves[i], i, n, tree.proof(i), tree.root)).toBe(true);
      }
    }
  });

  it("refuse a proof for another leaf, index or root", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const leaves = leavesOf(n);
        const tree = buildTree(leaves);
        const i = a % n;
        const j = (i + 1 + (b % (n - 1))) % n;
        const proof = tree.proof(i);
        expect(verifyProof(leaves[j], i, n, proof, tree.root)).toBe(false);
        expect(verifyProof(leaves[i], j, n, proof, tree.root)).toBe(false);
        expect(verifyProof(leaves[i], i, n, proof, buildTree(leaves.slice(0, n - 1).concat([new Uint8Array([1])])).root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("gives different roots to a list and the list with its last leaf repeated", () => {
    for (const n of [1, 2, 3, 5, 7, 100]) {
      const leaves = leavesOf(n);
      expect(buildTree(leaves).root).not.toEqual(buildTree([...leaves, leaves[n - 1]]).root);
    }
  });

  it("refuses a flipped bit anywhere in a proof", () => {
    const leaves = leavesOf(37);
    const tree = buildTree(leaves);
    const proof = tree.proof(20);
    for (let k = 0; k < proof.length; k++) {
      const bad = proof.map((p) => new Uint8Array(p));
      bad[k][3] ^= 0x10;
      expect(verifyProof(leaves[20], 20, 37, bad, tree.root)).toBe(false);
    }
    expect(verifyProof(leaves[20], 20, 37, proof.slice(1), tree.root)).toBe(false);
  });

  it("refuses a proof with a sibling hash of the wrong length", () => {
    const leaves = leavesOf(37);
    const tree = buildTree(leaves);
    const proof = tree.proof(20);
    for (let k = 0; k < proof.length; k++) {
      for (const bad of [proof[k].subarray(0, 31), new Uint8Array([...proof[k], 0])]) {
        expect(verifyProof(leaves[20], 20, 37, proof.map((p, j) => (j === k ? bad : p)), tree.root)).toBe(false);
      }
    }
  });
});
