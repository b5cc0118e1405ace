// The codecs a dataset's chunks may be written with, apart from the chunker: the CLI checks a
// codec it is given before it loads DuckDB.
import { UserError } from "../../common/errors.ts";

/**
 * The parquet codecs a chunk may be written with. Chunks are written once and scanned by every
 * query that reads them, so the default is the one fastest to read: over the 22 TPC-H queries at
 * SF 1, DuckDB spends ~20 % less CPU on LZ4 files than on ZSTD ones, which are ~30 % smaller.
 */
export const CHUNK_COMPRESSIONS = ["lz4", "zstd", "snappy", "uncompressed"] as const;
export type ChunkCompression = (typeof CHUNK_COMPRESSIONS)[number];
export const DEFAULT_CHUNK_COMPRESSION: ChunkCompression = "lz4";

/** `name` as a chunk codec, or a UserError naming it (as `what`) and the codecs there are. */
export function chunkCompression(name: string, what = "chunk compression"): ChunkCompression {
  const codec = CHUNK_COMPRESSIONS.find((c) => c === name.toLowerCase());
  if (codec === undefined) throw new UserError(`${what} ${name}: expected one of ${CHUNK_COMPRESSIONS.join(", ")}`);
  return codec;
}
