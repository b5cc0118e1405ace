// A client's proof that the network accepted a transaction: the transaction, the genesis's
// validators, and ACCEPTED observation edges from at least 2/3 of them. It verifies offline.
import { fromHex, toHex } from "../ledger/crypto.ts";
import { decodeCanonical, encode } from "../ledger/encoding/index.ts";
import { verifyEdge } from "../ledger/observation/index.ts";
import { ObservationEdge, Transaction, TxState } from "../ledger/schema.ts";
import { txHash } from "../ledger/tx/index.ts";
import { verifyPeerId } from "../ledger/identity/index.ts";
import type { Genesis } from "./config.ts";
import { resultHash } from "../common/result-hash.ts";
import { verifyAttestation, type Attestation } from "./attestation.ts";

export interface AcceptanceProof {
  hash: string;
  transaction: string; // base64 of the canonical Transaction bytes
  validators: Genesis["validators"];
  difficulty: number;
  edges: { peer: string; edge: string }[]; // base64 ObservationEdge bytes
}

export function makeProof(tx: Transaction, votes: readonly ObservationEdge[], genesis: Genesis): AcceptanceProof {
  const hash = txHash(tx.body!);
  const edges = votes.map((edge) => ({ peer: toHex(edge.header!.peer), edge: Buffer.from(encode(ObservationEdge, edge)).toString("base64") }));
  return { hash: toHex(hash), transaction: Buffer.from(encode(Transaction, tx)).toString("base64"), validators: genesis.validators, difficulty: genesis.difficulty, edges };
}

export interface ProofCheck {
  ok: boolean;
  /** Validators whose ACCEPTED edge verified, of how many. */
  accepted: number;
  validators: number;
  reason?: string;
}

export function verifyProofFile(proof: AcceptanceProof): ProofCheck {
  const validators = proof.validators ?? [];
  const fail = (reason: string, accepted = 0): ProofCheck => ({ ok: false, accepted, validators: validators.length, reason });
  let tx: Transaction;
  try {
    tx = decodeCanonical(Transaction, Buffer.from(proof.transaction, "base64"), "transaction", 1 << 20);
  } catch (error) {
    return fail(`the transaction does not decode: ${(error as Error).message}`);
  }
  if (!tx.body || toHex(txHash(tx.body)) !== proof.hash) return fail("the transaction's hash is not the proof's hash");
  const keys = new Map<string, Uint8Array>();
  for (const v of validators) {
    if (!verifyPeerId(fromHex(v.peer), { masterKey: fromHex(v.publicKey), powNonce: BigInt(v.powNonce) }, proof.difficulty)) return fail(`validator ${v.peer.slice(0, 16)} has no valid peer id`);
    keys.set(v.peer, fromHex(v.publicKey));
  }
  const seen = new Set<string>();
  for (const { peer, edge } of proof.edges ?? []) {
    const key = keys.get(peer);
    if (!key || seen.has(peer)) continue;
    let decoded: ObservationEdge;
    try {
      decoded = decodeCanonical(ObservationEdge, Buffer.from(edge, "base64"), "observation edge", 1 << 20);
    } catch {
      continue;
    }
    if (toHex(decoded.header?.peer ?? new Uint8Array()) !== peer) continue;
    if (decoded.entry?.state !== TxState.TX_STATE_ACCEPTED || toHex(decoded.entry.txHash) !== proof.hash) continue;
    if (verifyEdge(decoded, key)) seen.add(peer);
  }
  const needed = Math.ceil((2 * validators.length) / 3);
  return seen.size >= needed && validators.length > 0
    ? { ok: true, accepted: seen.size, validators: validators.length }
    : fail(`ACCEPTED by ${seen.size} of ${validators.length} validators, ${needed} needed`, seen.size);
}

/** What `trustql query --proof` writes: the answer, and proofs that it was paid for and recorded. */
export interface QueryResultProof {
  kind: "trustql/query-result";
  sql: string;
  names: string[];
  rows: (string | null)[][];
  resultHash: string;
  /** The client's transaction that paid for the query and committed to its plan. */
  query: AcceptanceProof;
  /** The coordinator's transaction that spent the query's output and recorded the result's hash. */
  result: AcceptanceProof;
  /** The executors' signed attestations of the task outputs they returned to the coordinator. */
  attestations: Attestation[];
}

export interface QueryResultCheck extends ProofCheck {
  rows: number;
  /** Attestations signed by a validator's key, of how many the file holds. */
  attested: number;
}

/** Checks offline: both transactions accepted, the result spends the query, and the rows hash to what the result recorded. */
export function verifyQueryResultFile(proof: QueryResultProof): QueryResultCheck {
  const fail = (reason: string): QueryResultCheck => ({ ok: false, accepted: 0, validators: proof.query?.validators?.length ?? 0, rows: 0, attested: 0, reason });
  if (!Array.isArray(proof.names) || !Array.isArray(proof.rows)) return fail("the file has no result rows");
  const queryCheck = verifyProofFile(proof.query);
  if (!queryCheck.ok) return fail(`the query transaction: ${queryCheck.reason}`);
  const resultCheck = verifyProofFile(proof.result);
  if (!resultCheck.ok) return fail(`the result transaction: ${resultCheck.reason}`);
  if (JSON.stringify(proof.query.validators) !== JSON.stringify(proof.result.validators)) return fail("the two proofs name different validators");
  const queryTx = decodeCanonical(Transaction, Buffer.from(proof.query.transaction, "base64"), "transaction", 1 << 20);
  const resultTx = decodeCanonical(Transaction, Buffer.from(proof.result.transaction, "base64"), "transaction", 1 << 20);
  if (!queryTx.body?.outputs[0]?.data?.queryPlanHash) return fail("the query transaction records no plan");
  const spent = resultTx.body?.inputs[0]?.outPoint;
  if (!spent || toHex(spent.txHash) !== proof.query.hash || spent.index !== 0) return fail("the result transaction does not spend the query transaction's output");
  const recorded = resultTx.body?.outputs[0]?.data?.resultHash;
  if (!recorded) return fail("the result transaction records no result hash");
  const computed = resultHash(proof.names, proof.rows);
  if (toHex(recorded) !== computed) return fail(`the rows hash to ${computed.slice(0, 16)}, the result transaction recorded ${toHex(recorded).slice(0, 16)}`);
  const keys = new Set(proof.query.validators.map((v) => v.publicKey));
  const attestations = Array.isArray(proof.attestations) ? proof.attestations : [];
  const forged = attestations.findIndex((a) => !verifyAttestation(a, keys));
  if (forged >= 0) return fail(`attestation ${forged} is not signed by a validator's key`);
  return { ok: true, accepted: Math.min(queryCheck.accepted, resultCheck.accepted), validators: queryCheck.validators, rows: proof.rows.length, attested: attestations.length };
}
