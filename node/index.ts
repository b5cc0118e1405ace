// node/: the daemon that composes the ledger and the network, its files and its HTTP API.
export { TrustqlNode, DEFAULT_INTERVAL_MS, type NodeOptions, type NodeInfo, type LogLevel } from "./daemon.ts";
export { readKeyFile, writeKeyFile, readGenesis, readCluster, type Genesis, type Validator, type ClusterFile, type ClusterNode, type KeyFile } from "./config.ts";
export { makeProof, verifyProofFile, verifyQueryResultFile, type AcceptanceProof, type ProofCheck, type QueryResultProof, type QueryResultCheck } from "./proof.ts";
