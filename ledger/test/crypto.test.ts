import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { generateKeyPair, portableSigner, sign, verify } from "../crypto.ts";

describe("ledger crypto", () => {
  it("node:crypto and @noble produce the same keys and signatures", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (seed, message) => {
        const keys = generateKeyPair(seed);
        expect(portableSigner.publicKey(keys.secretKey)).toEqual(keys.publicKey);
        const fast = sign(message, keys.secretKey);
        expect(portableSigner.sign(message, keys.secretKey)).toEqual(fast);
        expect(verify(fast, message, keys.publicKey)).toBe(true);
        expect(portableSigner.verify(fast, message, keys.publicKey)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it("rejects a flipped bit, a wrong key and malformed inputs without throwing", () => {
    const keys = generateKeyPair(new Uint8Array(32).fill(1));
    const other = generateKeyPair(new Uint8Array(32).fill(2));
    const message = new TextEncoder().encode("transfer 5.25");
    const signature = sign(message, keys.secretKey);
    const flipped = new Uint8Array(signature);
    flipped[10] ^= 1;
    expect(verify(flipped, message, keys.publicKey)).toBe(false);
    expect(verify(signature, message, other.publicKey)).toBe(false);
    expect(verify(signature.subarray(1), message, keys.publicKey)).toBe(false);
    expect(verify(signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
  });
});
