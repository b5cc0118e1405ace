// Whether a transaction may be accepted against the outputs a node holds: every rejection
// has a named reason. Amounts are bigint throughout; no sum may pass the total supply.
import { toHex, verify as ed25519Verify } from "../crypto.ts";
import { HASH_LENGTH, TOTAL_SUPPLY, type OutPoint, type Output, type Transaction } from "../schema.ts";
import { addressOf, outPointKey, txHash } from "./hash.ts";

export const MAX_INPUTS = 256;
export const MAX_OUTPUTS = 256;
export const MAX_PRODUCT_BYTES = 64;

export type RejectReason =
  | "malformed"
  | "bad_signature"
  | "unknown_input"
  | "spent_input"
  | "not_conserved"
  | "overflow"
  | "product_mismatch"
  | "time_locked"
  | "spend_delay";

export type Validation =
  | { ok: true; hash: Uint8Array; consumed: OutPoint[] }
  | { ok: false; reason: RejectReason; detail: string };

/** An output as a node's store knows it. */
export interface StoredOutput {
  outPoint: OutPoint;
  output: Output;
  /** The transaction that spent it, if one was committed. */
  spentBy: Uint8Array | undefined;
  /** When the transaction that created it was accepted, and how long its outputs must wait. */
  acceptedMs: number;
  minSpendDelayMs: number;
}

export interface UtxoView {
  output(outPoint: OutPoint): StoredOutput | undefined;
  /** The newest unspent output of an address with a product, for floating inputs. */
  latest(address: Uint8Array, product: Uint8Array): StoredOutput | undefined;
}

export type VerifySignature = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

const reject = (reason: RejectReason, detail: string): Validation => ({ ok: false, reason, detail });

function productKey(product: Uint8Array): string {
  return product.length === 0 ? "coin" : toHex(product);
}

function checkShape(tx: Transaction): Validation | undefined {
  const body = tx.body;
  if (!body) return reject("malformed", "no body");
  if (body.inputs.length === 0) return reject("malformed", "no inputs");
  if (body.inputs.length > MAX_INPUTS) return reject("malformed", `${body.inputs.length} inputs, more than ${MAX_INPUTS}`);
  if (body.outputs.length === 0) return reject("malformed", "no outputs");
  if (body.outputs.length > MAX_OUTPUTS) return reject("malformed", `${body.outputs.length} outputs, more than ${MAX_OUTPUTS}`);
  const seen = new Set<string>();
  for (const [i, input] of body.inputs.entries()) {
    if (!input.outPoint && !input.floating) return reject("malformed", `input ${i} names no output`);
    if (input.outPoint) {
      if (input.outPoint.txHash.length !== HASH_LENGTH) return reject("malformed", `input ${i}: a transaction hash has ${HASH_LENGTH} bytes`);
      const key = outPointKey(input.outPoint);
      if (seen.has(key)) return reject("malformed", `input ${i} spends ${key} twice`);
      seen.add(key);
    }
  }
  for (const [i, output] of body.outputs.entries()) {
    if (output.address.length !== HASH_LENGTH) return reject("malformed", `output ${i}: an address has ${HASH_LENGTH} bytes`);
    if (output.product.length > MAX_PRODUCT_BYTES) return reject("malformed", `output ${i}: product id longer than ${MAX_PRODUCT_BYTES} bytes`);
    if (output.amount > TOTAL_SUPPLY) return reject("overflow", `output ${i}: ${output.amount} base units is more than the total supply`);
    if (output.fee && output.product.length > 0) return reject("malformed", `output ${i}: fees are paid in coins`);
  }
  return undefined;
}

/**
 * Transactions whose shape, amounts and signatures were checked once: what is left to check is
 * whether their inputs are there, unspent and spendable now. An output's content is fixed by
 * the transaction that creates it, so the verdict holds against any state (floating inputs,
 * resolved against state, are never remembered). Many nodes in one process share one.
 */
export type ContentVerdicts = WeakSet<Transaction>;

export function validateTransaction(tx: Transaction, view: UtxoView, nowMs: number, verify: VerifySignature = ed25519Verify, verdicts?: ContentVerdicts): Validation {
  const known = verdicts?.has(tx) === true;
  if (!known) {
    const shape = checkShape(tx);
    if (shape) return shape;
  }
  const body = tx.body!;
  const options = body.options;
  if (options && nowMs < Number(options.timeLockMs)) return reject("time_locked", `not valid before ${options.timeLockMs} ms, now ${nowMs}`);

  const consumed: OutPoint[] = [];
  // A known transaction's amounts and signatures were checked: it needs no tally of them.
  const owners = known ? undefined : new Map<string, number[]>(); // address → inputs it must sign for
  const inByProduct = known ? undefined : new Map<string, bigint>();
  for (let i = 0; i < body.inputs.length; i++) {
    const input = body.inputs[i];
    const stored = input.outPoint ? view.output(input.outPoint) : view.latest(input.floating!.address, input.floating!.product);
    if (!stored) return reject("unknown_input", `input ${i}: ${input.outPoint ? outPointKey(input.outPoint) : "no output for the floating input"}`);
    if (input.referenceOnly) continue;
    if (stored.spentBy) return reject("spent_input", `input ${i}: ${outPointKey(stored.outPoint)} was spent by ${toHex(stored.spentBy).slice(0, 16)}`);
    // Without a delay an output is spendable once held (a store may work out when it was accepted only if asked).
    if (stored.minSpendDelayMs > 0 && nowMs < stored.acceptedMs + stored.minSpendDelayMs) {
      return reject("spend_delay", `input ${i}: spendable from ${stored.acceptedMs + stored.minSpendDelayMs} ms, now ${nowMs}`);
    }
    consumed.push(stored.outPoint);
    if (!owners || !inByProduct) continue;
    const owner = toHex(stored.output.address);
    owners.set(owner, [...(owners.get(owner) ?? []), i]);
    const product = productKey(stored.output.product);
    const total = (inByProduct.get(product) ?? 0n) + stored.output.amount;
    if (total > TOTAL_SUPPLY) return reject("overflow", `inputs of ${product} sum past the total supply`);
    inByProduct.set(product, total);
  }
  if (consumed.length === 0) return reject("malformed", "spends nothing (every input is reference-only)");
  if (!owners || !inByProduct) return { ok: true, hash: txHash(body), consumed };

  const outByProduct = new Map<string, bigint>();
  for (const [i, output] of body.outputs.entries()) {
    const product = productKey(output.product);
    if (!inByProduct.has(product)) return reject("product_mismatch", `output ${i} creates ${product}, which no input holds`);
    const total = (outByProduct.get(product) ?? 0n) + output.amount;
    if (total > TOTAL_SUPPLY) return reject("overflow", `outputs of ${product} sum past the total supply`);
    outByProduct.set(product, total);
  }
  for (const [product, total] of inByProduct) {
    const out = outByProduct.get(product) ?? 0n;
    if (out !== total) return reject("not_conserved", `${product}: inputs hold ${total}, outputs (fee included) ${out}`);
  }

  // One witness per owner, in the order of the owners' first consumed inputs and naming that
  // input: given its body and signatures, a transaction then has exactly one encoding.
  if (tx.witnesses.length !== owners.size) return reject("malformed", `${tx.witnesses.length} witnesses for ${owners.size} owners`);
  const hash = txHash(body);
  let k = 0;
  for (const [owner, inputs] of owners) {
    const witness = tx.witnesses[k++];
    if (witness.input !== inputs[0]) return reject("malformed", `witness ${k - 1} names input ${witness.input}, expected ${inputs[0]} (its owner's first input)`);
    if (toHex(addressOf(witness.publicKey)) !== owner) return reject("bad_signature", `input ${inputs[0]}: no signature by its owner`);
    if (!verify(witness.signature, hash, witness.publicKey)) return reject("bad_signature", `input ${inputs[0]}: signature does not verify`);
  }
  if (verdicts && !body.inputs.some((i) => i.floating)) verdicts.add(tx);
  return { ok: true, hash, consumed };
}

/** Two transactions conflict when they consume an output in common. */
export function conflicts(a: Transaction, b: Transaction): boolean {
  const spent = new Set(a.body!.inputs.filter((i) => i.outPoint && !i.referenceOnly).map((i) => outPointKey(i.outPoint!)));
  return b.body!.inputs.some((i) => i.outPoint && !i.referenceOnly && spent.has(outPointKey(i.outPoint)));
}

