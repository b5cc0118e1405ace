// The transaction lifecycle and conflict resolution of one node (sans-IO), and the in-memory
// accepted state the simulator gives each node.
export { LedgerNode, QUORUM, type Behaviour, type LedgerNodeConfig, type Message, type NodeEvents, type Outbound, type PeerKey } from "./node.ts";
export { MemoryLedger, type AcceptedState } from "./memory-ledger.ts";
