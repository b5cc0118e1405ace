// The ledger's messages (proto/trustql/ledger.proto) and the units amounts are counted in.
export * from "../proto/gen/trustql/ledger.ts";

/** Base units in one coin. */
export const COIN = 1_000_000_000n;
/** Everything that will ever exist: 1e9 coins. No amount or sum of amounts may pass it. */
export const TOTAL_SUPPLY = 1_000_000_000n * COIN;
/** Hashes, addresses and peer ids are SHA-256: 32 bytes. */
export const HASH_LENGTH = 32;
