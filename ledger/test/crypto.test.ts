import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { generateKeyPair, portableSigner, sha256, sha256Into, sign, toHex, verify } from "../crypto.ts";

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

  it("hashes parts as node:crypto hashes them joined, into a new array or at an offset", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 4 }), fc.nat({ max: 40 }), (parts, offset) => {
        const expected = new Uint8Array(createHash("sha256").update(Buffer.concat(parts)).digest());
        expect(sha256(...parts)).toEqual(expected);
        const target = new Uint8Array(offset + 40).fill(7);
        sha256Into(target, offset, ...parts);
        expect(target.subarray(offset, offset + 32)).toEqual(expected);
        expect([...target.subarray(0, offset), ...target.subarray(offset + 32)].every((b) => b === 7)).toBe(true);
      }),
    );
    const large = new Uint8Array(100_000).fill(3); // past the reused join buffer
    expect(sha256(large, large)).toEqual(new Uint8Array(createHash("sha256").update(large).update(large).digest()));
  });

  it("writes bytes as hex, of whole arrays and of views into larger ones", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const [start, end] = [a % (bytes.length + 1), b % (bytes.length + 1)].sort((x, y) => x - y);
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
        expect(toHex(bytes.subarray(start, end))).toBe(Buffer.from(bytes.subarray(start, end)).toString("hex"));
      }),
    );
  });
});
