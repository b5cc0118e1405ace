// A small client of a node's HTTP API, used by the CLI and by tests: balances and unspent
// outputs, building and signing a transfer, submitting it, waiting for acceptance, proofs.
import { UserError } from "../../common/errors.ts";
import { fromHex, type KeyPair } from "../../ledger/crypto.ts";
import { encode } from "../../ledger/encoding/index.ts";
import { Output, Transaction } from "../../ledger/schema.ts";
import { addressOf, buildTransfer, nodeSigner, txHash, type Spendable } from "../../ledger/tx/index.ts";
import type { AcceptanceProof } from "../../node/proof.ts";
import type { StageStats } from "../../exec/stages/index.ts";
import type { QueryAnswer } from "../../node/query.ts";
import * as arrow from "apache-arrow";
import { fetchWithin, NotJsonError, requestJson, type JsonAnswer } from "./http.ts";

export type TxStateName = "PENDING" | "ACCEPTED" | "REJECTED" | "UNKNOWN";

export const REQUEST_TIMEOUT_MS = 10_000;
/** The first pause before a submission a busy node refused is sent again. */
const BUSY_RETRY_MS = 100;

export class NodeClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/$/, "");
  }

  async #get<T>(path: string): Promise<T> {
    const { status, body } = await this.#request<T & { error?: string }>(path, {});
    if (status >= 400) throw new UserError(`${this.url}${path}: ${body.error ?? status}`);
    return body;
  }

  async #request<T>(path: string, init: { method?: string; body?: Uint8Array; contentType?: string }, timeoutMs = REQUEST_TIMEOUT_MS): Promise<JsonAnswer<T>> {
    try {
      return await requestJson<T>(`${this.url}${path}`, { ...init, timeoutMs });
    } catch (error) {
      if (error instanceof NotJsonError) throw new UserError(`${this.url}${path}: ${error.message}`);
      throw this.#unreachable(error);
    }
  }

  /** A request whose answer is read as it streams (a query's progress, then its rows). */
  async #stream(path: string, body: unknown, timeoutMs: number): Promise<Response> {
    try {
      return await fetchWithin(`${this.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }, timeoutMs);
    } catch (error) {
      throw this.#unreachable(error);
    }
  }

  #unreachable(error: unknown): UserError {
    return new UserError(`cannot reach the node at ${this.url} (${(error as Error).message})`);
  }

  health(): Promise<{ ok: boolean; committed: number; peers: number }> {
    return this.#get("/v1/health");
  }

  balance(address: string): Promise<{ address: string; amount: string; baseUnits: string }> {
    return this.#get(`/v1/balance/${address}`);
  }

  async unspent(address: string): Promise<Spendable[]> {
    const { utxos } = await this.#get<{ utxos: { txHash: string; index: number; output: string }[] }>(`/v1/utxos/${address}`);
    return utxos.map((u) => ({ outPoint: { txHash: fromHex(u.txHash), index: u.index }, output: Output.decode(Buffer.from(u.output, "base64")) }));
  }

  /**
   * Submits a transaction; the node answers once it is stored, with its state there, and a busy
   * node (503) is asked again, with growing pauses, for up to REQUEST_TIMEOUT_MS. With `waitMs`,
   * the node holds the answer until the transaction is decided there (or the time is up): one
   * request where a submission and a long poll of its status took two.
   */
  async submit(tx: Transaction, options: { waitMs?: number } = {}): Promise<{ hash: string; state: TxStateName; reason?: string }> {
    const bytes = encode(Transaction, tx);
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    const waitMs = Math.min(options.waitMs ?? 0, REQUEST_TIMEOUT_MS - 1000);
    const path = waitMs > 0 ? `/v1/tx?wait=${Math.ceil(waitMs)}` : "/v1/tx";
    for (let pause = BUSY_RETRY_MS; ; pause = Math.min(pause * 2, 1_000)) {
      const { status, body } = await this.#request<{ hash: string; state: TxStateName; reason?: string; error?: string }>(path, { method: "POST", body: bytes, contentType: "application/x-protobuf" });
      if (status === 503 && Date.now() + pause < deadline) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        continue;
      }
      if (status >= 400 && status !== 422) throw new UserError(`the node refused the transaction: ${body.error ?? status}`);
      return body;
    }
  }

  /** A transaction's state here; with `waitMs`, the node answers once it is decided or the time is up. */
  status(hash: string, waitMs = 0): Promise<{ hash: string; state: TxStateName; reason?: string }> {
    return this.#get(waitMs > 0 ? `/v1/tx/${hash}?wait=${Math.ceil(waitMs)}` : `/v1/tx/${hash}`);
  }

  proof(hash: string): Promise<AcceptanceProof> {
    return this.#get(`/v1/tx/${hash}/proof`);
  }

  /** Stores a chunk on this node; the node keeps it only if the bytes hash to `hash`. */
  async putChunk(hash: string, bytes: Uint8Array): Promise<void> {
    const { status, body } = await this.#request<{ error?: string }>(`/v1/chunks/${hash}`, { method: "PUT", body: bytes, contentType: "application/vnd.apache.parquet" }, QUERY_TIMEOUT_MS);
    if (status >= 400) throw new UserError(`${this.url} refused chunk ${hash.slice(0, 12)}: ${body.error ?? status}`);
  }

  /** The chunks this node holds, and which of them a replaced dataset version left (removed after a grace period). */
  chunks(): Promise<{ chunks: string[]; orphaned: string[] }> {
    return this.#get("/v1/chunks");
  }

  datasets(): Promise<{ datasets: DatasetSummary[] }> {
    return this.#get("/v1/datasets");
  }

  /** What paying for a query takes: the hash of its plan, the coordinator's address and price, the datasets it reads. */
  async plan(sql: string): Promise<QueryPlanQuote> {
    const { status, body } = await this.#request<QueryPlanQuote & { error?: string }>("/v1/plan", { method: "POST", body: Buffer.from(JSON.stringify({ sql })), contentType: "application/json" });
    if (status >= 400) throw new UserError(body.error ?? `the node answered ${status}`);
    return body;
  }

  /** Runs SQL over the cluster's datasets with this node as coordinator; `onStage` hears of each stage as it finishes. */
  async query(sql: string, options: { budgetBytes?: number; smallExchangeBytes?: number; verifyFraction?: number; smallTablesEverywhere?: boolean; queryTx?: string; onStage?: (stage: StageStats) => void } = {}): Promise<ClusterQueryResult> {
    const { onStage, ...request } = options;
    // Always the progress stream: its answer's rows come as raw Arrow IPC after the answer line.
    const response = await this.#stream("/v1/query", { sql, ...request, progress: true }, QUERY_TIMEOUT_MS);
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new UserError(body.error ?? `the node answered ${response.status}`);
    }
    const { answer, rows } = await readProgress(response.body, onStage ?? (() => {}));
    const { arrow: base64, arrowBytes: _, ...rest } = answer;
    return { ...rest, table: arrow.tableFromIPC(rows ?? Buffer.from(base64 ?? "", "base64")) };
  }
}

/**
 * Reads a query's progress stream: stage lines, then the answer line (or an error line) and,
 * when the answer says `arrowBytes`, that many bytes of Arrow IPC, its rows. Only each new piece
 * is searched for a line's end, and a line's bytes are decoded once.
 */
async function readProgress(stream: ReadableStream<Uint8Array>, onStage: (stage: StageStats) => void): Promise<{ answer: ClusterQueryWire; rows?: Uint8Array }> {
  const decoder = new TextDecoder();
  let pieces: Uint8Array[] = [];
  let answer: ClusterQueryWire | undefined;
  let held = 0;
  for await (let chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    if (answer) {
      pieces.push(chunk);
      held += chunk.length;
      continue;
    }
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0 && !answer; newline = chunk.indexOf(NEWLINE)) {
      pieces.push(chunk.subarray(0, newline));
      const line = JSON.parse(decoder.decode(Buffer.concat(pieces))) as { stage?: StageStats; answer?: ClusterQueryWire; error?: string };
      pieces = [];
      chunk = chunk.subarray(newline + 1);
      if (line.stage) onStage(line.stage);
      else if (line.answer) answer = line.answer;
      else throw new UserError(line.error ?? "the node ended the query without an answer");
    }
    pieces.push(chunk);
    held = answer ? chunk.length : 0;
  }
  if (!answer) throw new UserError("the node closed the query's stream without an answer");
  if (answer.arrowBytes === undefined) return { answer };
  if (held !== answer.arrowBytes) throw new UserError(`the node sent ${held} bytes of the answer's rows, not the ${answer.arrowBytes} it said`);
  return { answer, rows: Buffer.concat(pieces) };
}

const NEWLINE = 0x0a;

/** How long a client waits for a query or a chunk upload. */
export const QUERY_TIMEOUT_MS = 600_000;

export interface QueryPlanQuote {
  planHash: string;
  /** The coordinator's ledger address: the query transaction pays it. */
  coordinator: string;
  /** Base units. */
  price: string;
  datasets: { name: string; tx: string; index: number }[];
}

export interface DatasetSummary {
  name: string;
  tx: string;
  replicas: number;
  tables: { name: string; rows: number; chunks: number; held: number }[];
}

/** A query's answer as the node sends it: the result as base64 Arrow IPC, with its hash and result transaction. */
type ClusterQueryWire = Omit<QueryAnswer, "table"> & {
  /** SHA-256 over the names and rows as text (common/result-hash.ts). */
  resultHash: string;
  /** The result transaction, when the query was paid for by a query transaction. */
  resultTx?: string;
  /** The rows as base64 of Arrow IPC (an answer without progress lines)... */
  arrow?: string;
  /** ...or the length of the raw Arrow IPC that follows the answer's line (with them). */
  arrowBytes?: number;
};

export interface ClusterQueryResult extends Omit<ClusterQueryWire, "arrow" | "arrowBytes"> {
  table: arrow.Table;
}

/** Builds and signs a transfer from the sender's unspent coins as one node sees them. */
export async function buildSignedTransfer(client: NodeClient, from: KeyPair, to: Uint8Array, amount: bigint, fee: bigint): Promise<Transaction> {
  const available = await client.unspent(Buffer.from(addressOf(from.publicKey)).toString("hex"));
  return buildTransfer({ available, to, amount, fee, createdMs: Date.now(), nonce: BigInt(Math.floor(Math.random() * 2 ** 48)) }, nodeSigner(from));
}

/** Each node's state once every node has decided the transaction, or when `timeoutMs` is up. */
export async function waitForAcceptance(clients: readonly NodeClient[], hash: string, timeoutMs: number): Promise<TxStateName[]> {
  const deadline = Date.now() + timeoutMs;
  return Promise.all(
    clients.map(async (c) => {
      for (;;) {
        const left = deadline - Date.now();
        const state = await c.status(hash, Math.max(1, Math.min(left, REQUEST_TIMEOUT_MS - 1000))).then((s) => s.state, () => "UNKNOWN" as TxStateName);
        if (state === "ACCEPTED" || state === "REJECTED" || left <= 0) return state;
        if (state === "UNKNOWN") await new Promise((r) => setTimeout(r, 50)); // not yet gossiped here
      }
    }),
  );
}

export function hashOf(tx: Transaction): string {
  return Buffer.from(txHash(tx.body!)).toString("hex");
}
