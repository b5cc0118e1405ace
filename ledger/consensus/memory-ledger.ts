// A node's accepted state in memory: what the simulator gives each node (the real node keeps
// the same state in SQLite, ledger/store). Outputs are stored once per node by reference.
import { invariant } from "../../common/errors.ts";
import { toHex } from "../crypto.ts";
import { TOTAL_SUPPLY, type OutPoint, type Transaction } from "../schema.ts";
import { outPointKey } from "../tx/hash.ts";
import type { StoredOutput, UtxoView } from "../tx/validate.ts";

export interface AcceptedState extends UtxoView {
  commit(tx: Transaction, hash: Uint8Array, consumed: readonly OutPoint[], acceptedMs: number): void;
  isCommitted(hash: Uint8Array): boolean;
  committedCount(): number;
  coinSupply(): bigint;
}

export class MemoryLedger implements AcceptedState {
  readonly #outputs = new Map<string, StoredOutput>();
  readonly #committed = new Set<string>();
  #supply = 0n;

  output(outPoint: OutPoint): StoredOutput | undefined {
    return this.#outputs.get(outPointKey(outPoint));
  }

  latest(address: Uint8Array, product: Uint8Array): StoredOutput | undefined {
    let found: StoredOutput | undefined;
    const [a, p] = [toHex(address), toHex(product)];
    for (const o of this.#outputs.values()) if (!o.spentBy && toHex(o.output.address) === a && toHex(o.output.product) === p) found = o;
    return found;
  }

  commit(tx: Transaction, hash: Uint8Array, consumed: readonly OutPoint[], acceptedMs: number): void {
    const key = toHex(hash);
    invariant(!this.#committed.has(key), "transaction committed twice");
    for (const out of consumed) {
      const stored = this.#outputs.get(outPointKey(out));
      invariant(stored && !stored.spentBy, "commit spends an output that is spent or unknown");
    }
    for (const out of consumed) {
      const k = outPointKey(out);
      const stored = this.#outputs.get(k)!;
      this.#outputs.set(k, { ...stored, spentBy: hash });
      if (stored.output.product.length === 0) this.#supply -= stored.output.amount;
    }
    const delay = Number(tx.body!.options?.minSpendDelayMs ?? 0n);
    tx.body!.outputs.forEach((output, index) => {
      this.#outputs.set(`${key}:${index}`, { outPoint: { txHash: hash, index }, output, spentBy: undefined, acceptedMs, minSpendDelayMs: delay });
      if (output.product.length === 0) this.#supply += output.amount;
    });
    this.#committed.add(key);
    invariant(this.#supply <= TOTAL_SUPPLY, "coin supply above the total");
  }

  isCommitted(hash: Uint8Array): boolean {
    return this.#committed.has(toHex(hash));
  }

  committedCount(): number {
    return this.#committed.size;
  }

  coinSupply(): bigint {
    return this.#supply;
  }
}
