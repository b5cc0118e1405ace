import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateKeyPair, toHex } from "../crypto.ts";
import { hashKey } from "../tx/hash.ts";
import { decodeCanonical, encode, MalformedError } from "../encoding/index.ts";
import { COIN, TOTAL_SUPPLY, Transaction, TransactionBody, type OutPoint, type Output } from "../schema.ts";
import {
  addressOf,
  buildTransfer,
  formatCoins,
  nodeSigner,
  outPointKey,
  parseCoins,
  portableKeySigner,
  signBody,
  txHash,
  validateTransaction,
  type StoredOutput,
  type UtxoView,
} from "../tx/index.ts";

const alice = generateKeyPair(new Uint8Array(32).fill(1));
const bob = generateKeyPair(new Uint8Array(32).fill(2));
const ALICE = addressOf(alice.publicKey);
const BOB = addressOf(bob.publicKey);
const coins = (n: number) => BigInt(n) * COIN;

/** A view over a handful of outputs, as a store would answer. */
function viewOf(outputs: StoredOutput[]): UtxoView {
  const byKey = new Map(outputs.map((o) => [outPointKey(o.outPoint), o]));
  return {
    output: (p: OutPoint) => byKey.get(outPointKey(p)),
    latest: (address, product) => outputs.filter((o) => !o.spentBy && toHex(o.output.address) === toHex(address) && toHex(o.output.product) === toHex(product)).at(-1),
  };
}

function funded(amounts: bigint[], extra: Partial<StoredOutput> = {}): StoredOutput[] {
  return amounts.map((amount, i) => ({
    outPoint: { txHash: new Uint8Array(32).fill(100 + i), index: i },
    output: { address: ALICE, product: new Uint8Array(), amount, fee: false } as Output,
    spentBy: undefined,
    acceptedMs: 0,
    minSpendDelayMs: 0,
    ...extra,
  }));
}

const transfer = (available: StoredOutput[], amount: bigint, fee = 1000n) =>
  buildTransfer({ available: available.map((s) => ({ outPoint: s.outPoint, output: s.output })), to: BOB, amount, fee, createdMs: 5, nonce: 1n }, nodeSigner(alice));

describe("validation", () => {
  it("accepts a signed transfer whose amounts balance, fee included", () => {
    const outputs = funded([coins(3), coins(4)]);
    const result = validateTransaction(transfer(outputs, coins(5)), viewOf(outputs), 10);
    expect(result.ok).toBe(true);
  });

  it("names every kind of rejection", () => {
    const outputs = funded([coins(3), coins(4)]);
    const view = viewOf(outputs);
    const good = transfer(outputs, coins(5));
    const withBody = (change: (b: NonNullable<Transaction["body"]>) => void) => {
      const body = structuredClone(good.body!);
      change(body);
      return signBody(body, outputs, [nodeSigner(alice)]);
    };
    const cases: [Transaction, UtxoView, string][] = [
      [{ ...good, witnesses: [{ ...good.witnesses[0], signature: new Uint8Array(64) }] }, view, "bad_signature"],
      [signBody(good.body!, outputs, [nodeSigner(alice)]), viewOf([]), "unknown_input"],
      [good, viewOf(funded([coins(3), coins(4)], { spentBy: new Uint8Array(32) })), "spent_input"],
      [withBody((b) => (b.outputs[0].amount += 1n)), view, "not_conserved"],
      [withBody((b) => (b.outputs[0].amount = TOTAL_SUPPLY + 1n)), view, "overflow"],
      [withBody((b) => (b.outputs[0].product = new Uint8Array([7]))), view, "product_mismatch"],
      [withBody((b) => (b.options = { timeLockMs: 1000n, minSpendDelayMs: 0n })), view, "time_locked"],
      [good, viewOf(funded([coins(3), coins(4)], { acceptedMs: 5, minSpendDelayMs: 100 })), "spend_delay"],
      [withBody((b) => (b.inputs = [b.inputs[0], b.inputs[0]])), view, "malformed"],
      [withBody((b) => (b.outputs[0].address = new Uint8Array(3))), view, "malformed"],
      [{ ...good, witnesses: [{ ...good.witnesses[0], input: 1 }] }, view, "malformed"],
      [{ ...good, witnesses: [...good.witnesses, ...good.witnesses] }, view, "malformed"],
      [{ ...good, witnesses: [{ input: 0, publicKey: bob.publicKey, signature: nodeSigner(bob).sign(txHash(good.body!)) }] }, view, "bad_signature"],
    ];
    for (const [tx, v, reason] of cases) {
      const result = validateTransaction(tx, v, 10);
      expect(result.ok ? "ok" : result.reason, reason).toBe(reason);
      if (!result.ok) expect(result.detail.length).toBeGreaterThan(0);
    }
  });

  it("resolves a floating input to the newest state output, and reads reference-only inputs without spending them", () => {
    const TABLE = new Uint8Array([1, 2, 3]);
    const state = (version: number, index: number): StoredOutput => ({
      outPoint: { txHash: new Uint8Array(32).fill(200), index },
      output: { address: ALICE, product: TABLE, amount: 1n, fee: false, data: { tableState: { table: "t", stateRoot: new Uint8Array(32), version: BigInt(version) } } },
      spentBy: undefined,
      acceptedMs: 0,
      minSpendDelayMs: 0,
    });
    const manifest: StoredOutput = { ...state(0, 9), output: { ...state(0, 9).output, address: BOB, product: new Uint8Array([4]) } };
    const [older, newer] = [state(1, 0), state(2, 1)];
    const body = {
      inputs: [
        { floating: { address: ALICE, product: TABLE }, referenceOnly: false },
        { outPoint: manifest.outPoint, referenceOnly: true },
      ],
      outputs: [{ ...newer.output, data: { tableState: { table: "t", stateRoot: new Uint8Array(32).fill(1), version: 3n } } }],
      createdMs: 0n,
      nonce: 0n,
    };
    const tx = signBody(body, [newer, undefined], [nodeSigner(alice)]);
    const result = validateTransaction(tx, viewOf([older, newer, manifest]), 10);
    expect(result.ok && result.consumed).toEqual([newer.outPoint]);
    // The signature covers the spec, not an output: it resolves to whatever is newest when validated.
    const resolvedLater = validateTransaction(tx, viewOf([older, { ...newer, spentBy: new Uint8Array(32) }, manifest]), 10);
    expect(resolvedLater.ok && resolvedLater.consumed).toEqual([older.outPoint]);
    expect(validateTransaction(tx, viewOf([manifest]), 10)).toMatchObject({ ok: false, reason: "unknown_input" });
  });

  it("signs with node:crypto and @noble to the same bytes", () => {
    const outputs = funded([coins(9)]);
    const available = outputs.map((s) => ({ outPoint: s.outPoint, output: s.output }));
    const request = { available, to: BOB, amount: coins(2), fee: 5n, createdMs: 1, nonce: 3n };
    const fast = buildTransfer(request, nodeSigner(alice));
    const portable = buildTransfer(request, portableKeySigner(alice.secretKey));
    expect(encode(Transaction, portable)).toEqual(encode(Transaction, fast));
  });

  it("reports insufficient funds in coins, exactly", () => {
    expect(() => transfer(funded([3_100_000_000n]), 5_250_000_000n, 0n)).toThrow("insufficient funds: have 3.1, need 5.25");
  });
});

describe("canonical encoding", () => {
  const tx = transfer(funded([coins(3), coins(4)]), coins(5));
  const bytes = encode(Transaction, tx);

  it("round-trips, and the hash ignores the witnesses", () => {
    expect(encode(Transaction, decodeCanonical(Transaction, bytes, "tx", 1 << 20))).toEqual(bytes);
    const resigned = { ...tx, witnesses: [] };
    expect(txHash(resigned.body!)).toEqual(txHash(tx.body!));
  });

  it("any single bit flip changes the hash or is refused", () => {
    const hash = toHex(txHash(tx.body!));
    fc.assert(
      fc.property(fc.nat({ max: bytes.length * 8 - 1 }), (bit) => {
        const flipped = new Uint8Array(bytes);
        flipped[bit >> 3] ^= 1 << (bit & 7);
        try {
          const decoded = decodeCanonical(Transaction, flipped, "tx", 1 << 20);
          const changedBody = toHex(txHash(decoded.body ?? { inputs: [], outputs: [], createdMs: 0n, nonce: 0n })) !== hash;
          const changedWitness = toHex(encode(Transaction, { body: undefined, witnesses: decoded.witnesses })) !== toHex(encode(Transaction, { body: undefined, witnesses: tx.witnesses }));
          expect(changedBody || changedWitness).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses bytes that are not the canonical encoding", () => {
    const padded = new Uint8Array([...bytes, 0x18, 0x00]); // field 3 (unknown), varint 0
    expect(() => decodeCanonical(Transaction, padded, "tx", 1 << 20)).toThrow(/unknown field 3/);
    expect(() => decodeCanonical(Transaction, bytes, "tx", 10)).toThrow(/limit/);
    const body = encode(TransactionBody, { ...tx.body!, nonce: 0n });
    const explicitDefault = new Uint8Array([...body, 0x28, 0x00]); // nonce (field 5) written as 0
    expect(decodeCanonical(TransactionBody, body, "body", 1 << 20).nonce).toBe(0n);
    expect(() => decodeCanonical(TransactionBody, explicitDefault, "body", 1 << 20)).toThrow(/not the canonical encoding/);
  });
});

describe("coins as text", () => {
  it("parse and format exactly", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: TOTAL_SUPPLY }), (units) => {
        expect(parseCoins(formatCoins(units))).toBe(units);
      }),
    );
    expect(parseCoins("5.25")).toBe(5_250_000_000n);
    expect(() => parseCoins("1.0000000001")).toThrow(/up to 9 decimals/);
    expect(() => parseCoins("-1")).toThrow();
  });

  it("names a hash with its hex, one string for recent names and an equal one after many", () => {
    const hash = new Uint8Array(32).fill(9);
    const first = hashKey(hash);
    expect(first).toBe(toHex(hash));
    expect(Object.is(hashKey(new Uint8Array(hash)), first)).toBe(true);
    for (let i = 0; i < 70_000; i++) hashKey(new Uint8Array(32).fill(i & 0xff).map((b, j) => (j < 4 ? (i >> (8 * j)) & 0xff : b)));
    expect(hashKey(hash)).toBe(first);
  });
});
