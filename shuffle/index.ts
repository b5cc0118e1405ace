// shuffle/: where keys and chunks live (XOR distance over node positions), splitting batches by
// key, the framed exchange stream with credit-based backpressure, dynamic salting, and merging
// sorted runs.
export { positionOf, compareDistance, member, nearest, chunkHolders, keyTarget, Router, routerFor, ID_BYTES, type Member } from "./placement.ts";
export { hashRows, pickHashes, type RowHashes } from "./key-hash.ts";
export { takeRows, batchBytes, concatBatches } from "./take.ts";
export { mergeSortedRuns, UnsortedRunError } from "./merge.ts";
export { partitionBatch, routeRows, keyHashes, keptRowsOf, isKeyRangeList, type KeptKeys, type PartitionSpec } from "./partition.ts";
export { MAX_FRAME_BYTES, ExchangeProtocolError, textIsUtf8 } from "./frames.ts";
export { BatchSender, BatchReceiver, FrameChannel, memoryStreamPair, CREDIT_WINDOW_FRAMES, type ByteStream, type ReceivedBatch } from "./stream.ts";
export { SaltMap, MAX_SALTS, MAX_ANNOUNCED_KEYS, type SaltedKey, type SaltAnnouncement } from "./salt-map.ts";
export { HeavyHitters, type HeavyKey } from "./heavy-hitters.ts";
export { SaltingInbox, SKETCH_KEYS, MIN_HOT_SHARE, EARLY_SALT_FILL, ROUTED_EPOCH, type InboxOptions, type InboxStats } from "./salting.ts";
export { COALESCE_ROWS, HashProducer, streamSink, type BatchSink, type SinkFactory } from "./producer.ts";
export { ReceivingTask } from "./receiver.ts";
export { ExchangeHost, ExchangePeerLostError, isRunId, EXCHANGE_BATCH_ROWS, MAX_LIVE_RUNS, MAX_KEPT_RANGES, RUN_IDLE_MS, checkRoute, checkInboxStatus, decodeOpening, type ExchangeSpec, type OutputRoute, type SentSummary, type InboxStatus } from "./host.ts";
export { RowDigest, digestRows, digestSeed, sumDigests, isRowDigest, wholeRowHashes, EMPTY_DIGEST } from "./row-digest.ts";
