// The transaction lifecycle and conflict resolution of one node (sans-IO), the committee of
// validators whose votes decide, and the in-memory accepted state the simulator gives each node.
export { LedgerNode, QUORUM, type Behaviour, type Certificate, type FeedPosition, type LedgerNodeConfig, type Message, type NodeEvents, type Outbound, type PeerKey } from "./node.ts";
export { DEFAULT_VALIDATORS, feedAssignment, selectValidators } from "./validators.ts";
export { MemoryLedger, OutputRegistry, type AcceptedState } from "./memory-ledger.ts";
