export { txHash, addressOf, outPointKey } from "./hash.ts";
export { buildTransfer, buildDataTransaction, signBody, nodeSigner, portableKeySigner, formatCoins, parseCoins, type Signer, type Spendable, type TransferRequest, type DataRequest } from "./build.ts";
export { validateTransaction, conflicts, MAX_INPUTS, MAX_OUTPUTS, type RejectReason, type Validation, type StoredOutput, type UtxoView, type VerifySignature } from "./validate.ts";
