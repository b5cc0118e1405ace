// Datasets as chunks: cutting parquet into content-addressed pieces with statistics, and
// deciding from those statistics which pieces a scan can skip.
export { cutParquet, DEFAULT_CHUNK_ROWS, MIN_CHUNK_ROWS, MAX_CHUNK_ROWS, type Chunk, type ColumnStats, type CutOptions } from "./chunker.ts";
export { chunkCompression, CHUNK_COMPRESSIONS, DEFAULT_CHUNK_COMPRESSION, type ChunkCompression } from "./compression.ts";
export { chunkMayMatch, type PruneInput } from "./prune.ts";
