// A query paid for and recorded on the ledger: the client's query transaction commits to the
// plan the coordinator will run and pays it (referencing the datasets read); the coordinator
// answers and records the result's hash in a transaction spending that payment. The proof file
// holds the answer and both transactions' acceptance proofs, and verifies offline.
import { UserError } from "../../common/errors.ts";
import { fromHex, type KeyPair } from "../../ledger/crypto.ts";
import { addressOf, buildDataTransaction, nodeSigner } from "../../ledger/tx/index.ts";
import type { QueryResultProof } from "../../node/proof.ts";
import { tableToText } from "../output/values.ts";
import { hashOf, waitForAcceptance, type ClusterQueryResult, type NodeClient } from "./index.ts";

const ACCEPT_TIMEOUT_MS = 30_000;

export interface PaidQuery {
  result: ClusterQueryResult;
  queryTx: string;
  resultTx: string;
  proof: QueryResultProof;
}

export async function queryWithProof(coordinator: NodeClient, sql: string, payer: KeyPair, options: { fee?: bigint; budgetBytes?: number; smallExchangeBytes?: number; verifyFraction?: number } = {}): Promise<PaidQuery> {
  const quote = await coordinator.plan(sql);
  const available = await coordinator.unspent(Buffer.from(addressOf(payer.publicKey)).toString("hex"));
  const tx = buildDataTransaction(
    {
      available,
      data: { queryPlanHash: fromHex(quote.planHash) },
      owner: fromHex(quote.coordinator),
      amount: BigInt(quote.price),
      references: quote.datasets.map((d) => ({ txHash: fromHex(d.tx), index: d.index })),
      fee: options.fee ?? 1000n,
      createdMs: Date.now(),
      nonce: BigInt(Math.floor(Math.random() * 2 ** 48)),
    },
    nodeSigner(payer),
  );
  const submitted = await coordinator.submit(tx);
  if (submitted.state === "REJECTED") throw new UserError(`the query transaction was rejected: ${submitted.reason}`);
  const queryTx = hashOf(tx);
  const [queryState] = await waitForAcceptance([coordinator], queryTx, ACCEPT_TIMEOUT_MS);
  if (queryState !== "ACCEPTED") throw new UserError(`the query transaction ${queryTx.slice(0, 16)} is ${queryState}, not ACCEPTED`);
  const result = await coordinator.query(sql, { queryTx, budgetBytes: options.budgetBytes, smallExchangeBytes: options.smallExchangeBytes, verifyFraction: options.verifyFraction });
  if (!result.resultTx) throw new UserError("the coordinator did not record the result");
  const [resultState] = await waitForAcceptance([coordinator], result.resultTx, ACCEPT_TIMEOUT_MS);
  if (resultState !== "ACCEPTED") throw new UserError(`the result transaction ${result.resultTx.slice(0, 16)} is ${resultState}, not ACCEPTED`);
  const columns = tableToText(result.table, result.names);
  const rows = Array.from({ length: result.table.numRows }, (_, r) => columns.map((c) => c.values[r]));
  const proof: QueryResultProof = {
    kind: "trustql/query-result",
    sql,
    names: result.names,
    rows,
    resultHash: result.resultHash,
    query: await coordinator.proof(queryTx),
    result: await coordinator.proof(result.resultTx),
    attestations: result.attestations,
  };
  return { result, queryTx, resultTx: result.resultTx, proof };
}
