// ledger/: transactions, validation, the UTXO store, observations and their proofs, trust,
// peer identities, rewards, and the consensus rules of one node. It knows nothing of SQL or
// of the network.
export * from "./schema.ts";
export * as crypto from "./crypto.ts";
export { decodeCanonical, encode, domainHash, DOMAIN, MalformedError, type Codec } from "./encoding/index.ts";
export { buildTree, verifyProof, leafHash, MAX_LEAVES } from "./merkle/index.ts";
export * from "./tx/index.ts";
export { UtxoStore, type CommitEntry } from "./store/index.ts";
export { ObservationBuilder, verifyObservation, verifyEdge, verifyEvidence, makeEvidence, observationEdge, type ObservationSigner } from "./observation/index.ts";
export { datt, eigenTrust, blendedTrust, type TrustGraph } from "./trust/index.ts";
export { minePeerId, verifyPeerId, peerIdOf, signRotation, currentHotKey } from "./identity/index.ts";
export { fullMoonMs, lunationAt, epochAt, epochBounds, epochReward, rewardPayout, paidEpoch, REWARD_EPOCHS, REWARD_PER_EPOCH } from "./economics/index.ts";
export * from "./consensus/index.ts";
