// Building and signing transfers, for wallets and the node's own tests. A signer is either
// the node's (node:crypto) or the portable one (@noble); both give identical bytes.
import { UserError } from "../../common/errors.ts";
import { bytesEqual, portableSigner, sign, toHex, type KeyPair } from "../crypto.ts";
import { COIN, TOTAL_SUPPLY, type OutPoint, type Output, type OutputData, type Transaction, type TransactionBody } from "../schema.ts";
import { addressOf, outPointKey, txHash } from "./hash.ts";

export interface Signer {
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function nodeSigner(keys: KeyPair): Signer {
  return { publicKey: keys.publicKey, sign: (m) => sign(m, keys.secretKey) };
}

export function portableKeySigner(secretKey: Uint8Array): Signer {
  return { publicKey: portableSigner.publicKey(secretKey), sign: (m) => portableSigner.sign(m, secretKey) };
}

export interface Spendable {
  outPoint: OutPoint;
  output: Output;
}

export interface TransferRequest {
  /** Outputs of the sender's address to spend (the builder takes what it needs, in order). */
  available: readonly Spendable[];
  to: Uint8Array;
  amount: bigint;
  fee: bigint;
  /** Where change goes; the sender's address by default. */
  change?: Uint8Array;
  /** Who collects the fee (the node that serves the transaction). */
  feeAddress?: Uint8Array;
  createdMs: number;
  nonce?: bigint;
}

/** Signs a body: one witness per distinct owner, covering every input that owner holds. */
export function signBody(body: TransactionBody, owners: readonly (Spendable | undefined)[], signers: readonly Signer[]): Transaction {
  const hash = txHash(body);
  const witnesses = [];
  const done = new Set<string>();
  for (let i = 0; i < body.inputs.length; i++) {
    const owner = owners[i];
    if (!owner || body.inputs[i].referenceOnly) continue;
    const key = toHex(owner.output.address);
    if (done.has(key)) continue;
    const signer = signers.find((s) => toHex(addressOf(s.publicKey)) === key);
    if (!signer) throw new UserError(`no key for the owner of input ${i}`);
    witnesses.push({ input: i, publicKey: signer.publicKey, signature: signer.sign(hash) });
    done.add(key);
  }
  return { body, witnesses };
}

export function buildTransfer(request: TransferRequest, signer: Signer): Transaction {
  const { amount } = request;
  if (amount <= 0n) throw new UserError(`amount must be above zero, got ${formatCoins(amount)}`);
  return buildSpend(request, [{ address: request.to, product: new Uint8Array(), amount, fee: false }], signer);
}

export interface DataRequest extends Omit<TransferRequest, "to" | "amount"> {
  /** What the transaction records, in its first output. */
  data: OutputData;
  /** Who owns that output (default: the signer) and the coins it carries (default: none). */
  owner?: Uint8Array;
  amount?: bigint;
  /** Outputs the transaction reads without spending (a query's dataset manifests). */
  references?: readonly OutPoint[];
}

/** A transaction that records typed data (a dataset manifest, a query's plan or result hash) and pays its fee. */
export function buildDataTransaction(request: DataRequest, signer: Signer): Transaction {
  const amount = request.amount ?? 0n;
  if (amount < 0n) throw new UserError("an amount must not be negative");
  const output: Output = { address: request.owner ?? addressOf(signer.publicKey), product: new Uint8Array(), amount, data: request.data, fee: false };
  return buildSpend({ ...request, amount }, [output], signer, request.references ?? []);
}

/** Spends the sender's coin outputs, in order, for `outputs` plus the fee; the rest comes back as change. */
function buildSpend(request: Omit<TransferRequest, "to">, outputs: Output[], signer: Signer, references: readonly OutPoint[] = []): Transaction {
  const { amount, fee } = request;
  if (fee < 0n) throw new UserError("fee must not be negative");
  if (amount + fee > TOTAL_SUPPLY) throw new UserError(`amount ${formatCoins(amount + fee)} is more than the total supply`);
  const sender = addressOf(signer.publicKey);
  const spend: Spendable[] = [];
  let have = 0n;
  for (const candidate of request.available) {
    if (have >= amount + fee && spend.length > 0) break;
    if (candidate.output.product.length > 0 || candidate.output.data || candidate.output.contract) continue;
    if (!bytesEqual(candidate.output.address, sender)) throw new UserError(`output ${outPointKey(candidate.outPoint)} belongs to another address than the signer's`);
    spend.push(candidate);
    have += candidate.output.amount;
  }
  if (have < amount + fee || spend.length === 0) throw new UserError(`insufficient funds: have ${formatCoins(have)}, need ${formatCoins(amount + fee)}`);
  outputs = [...outputs];
  if (fee > 0n) outputs.push({ address: request.feeAddress ?? new Uint8Array(32), product: new Uint8Array(), amount: fee, fee: true });
  if (have > amount + fee) outputs.push({ address: request.change ?? sender, product: new Uint8Array(), amount: have - amount - fee, fee: false });
  const body: TransactionBody = {
    inputs: [...spend.map((s) => ({ outPoint: s.outPoint, referenceOnly: false })), ...references.map((outPoint) => ({ outPoint, referenceOnly: true }))],
    outputs,
    createdMs: BigInt(request.createdMs),
    nonce: request.nonce ?? 0n,
  };
  return signBody(body, spend, [signer]);
}

/** Base units as coins with up to 9 decimals, exactly: 5250000000n → "5.25". */
export function formatCoins(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / COIN;
  const fraction = (abs % COIN).toString().padStart(9, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Coins as written by a person ("5.25") to base units, exactly; no floats on the way. */
export function parseCoins(text: string): bigint {
  const m = /^(\d{1,10})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) throw new UserError(`amount ${text}: expected coins with up to 9 decimals, e.g. 5.25`);
  const units = BigInt(m[1]) * COIN + BigInt((m[2] ?? "").padEnd(9, "0") || "0");
  if (units > TOTAL_SUPPLY) throw new UserError(`amount ${text}: more than the total supply of 1000000000 coins`);
  return units;
}
