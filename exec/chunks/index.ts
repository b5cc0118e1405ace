// Datasets as chunks: cutting parquet into content-addressed pieces with statistics, and
// deciding from those statistics which pieces a scan can skip.
export { cutParquet, chunkCompression, CHUNK_COMPRESSIONS, DEFAULT_CHUNK_COMPRESSION, DEFAULT_CHUNK_ROWS, MIN_CHUNK_ROWS, MAX_CHUNK_ROWS, type Chunk, type ColumnStats, type ChunkCompression, type CutOptions } from "./chunker.ts";
export { chunkMayMatch, type PruneInput } from "./prune.ts";
