import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pureJsCrypto } from "@chainsafe/libp2p-noise";
import { Uint8ArrayList } from "uint8arraylist";
import { noiseCrypto } from "../noise-crypto.ts";

const flat = (bytes: Uint8Array | Uint8ArrayList) => Buffer.from(bytes instanceof Uint8Array ? bytes : bytes.subarray());
/** Compared as buffers: vitest's deep equality walks a 64 KiB array element by element. */
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b)).toBe(0);

/** Bytes cut into pieces at the given points: what a stream hands Noise as a Uint8ArrayList. */
function cut(bytes: Uint8Array, points: number[]): Uint8ArrayList {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const list = new Uint8ArrayList();
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to > from) list.append(bytes.subarray(from, to));
    from = Math.max(from, to);
  }
  return list;
}

// Around the size where the WebAssembly cipher hands over to node:crypto, and Noise's largest message.
const size = fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.constantFrom(599, 600, 601, 615, 616, 617, 65_519), fc.integer({ min: 2_000, max: 20_000 }));
const message = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  ad: fc.uint8Array({ maxLength: 64 }),
  plaintext: size.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
});

describe("Noise's cipher on node:crypto with key objects", () => {
  it("seals exactly as the reference implementation does, from an array or from pieces, and opens what it seals", () => {
    fc.assert(
      fc.property(message, ({ key, nonce, ad, plaintext, cuts }) => {
        const expected = flat(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key));
        same(flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key)), expected);
        same(flat(noiseCrypto.chaCha20Poly1305Encrypt(cut(plaintext, cuts), nonce, ad, key)), expected);
        same(flat(noiseCrypto.chaCha20Poly1305Decrypt(Uint8Array.from(expected), nonce, ad, key)), plaintext);
        same(flat(noiseCrypto.chaCha20Poly1305Decrypt(cut(expected, cuts), nonce, ad, key)), plaintext);
      }),
      { numRuns: 150 },
    );
  });

  it("refuses a message with any byte changed, or opened under another key", () => {
    fc.assert(
      fc.property(message, fc.nat(), ({ key, nonce, ad, plaintext }, at) => {
        const sealed = flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key));
        const forged = Uint8Array.from(sealed);
        forged[at % forged.length] ^= 1;
        expect(() => noiseCrypto.chaCha20Poly1305Decrypt(forged, nonce, ad, key)).toThrow();
        const otherKey = Uint8Array.from(key);
        otherKey[0] ^= 1;
        expect(() => noiseCrypto.chaCha20Poly1305Decrypt(Uint8Array.from(sealed), nonce, ad, otherKey)).toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it("uses a key array's current bytes when they are written over in place", () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12);
    const plaintext = new Uint8Array(4_096).fill(1);
    noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, new Uint8Array(), key);
    key.fill(9);
    const sealed = flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, new Uint8Array(), key));
    same(sealed, flat(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, new Uint8Array(), new Uint8Array(32).fill(9))));
  });
});
