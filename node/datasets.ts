// A node's datasets: the chunks it holds, each a parquet file named by the SHA-256 of its bytes
// (checked before it is kept), and the manifests the ledger committed, newest per name. Both are
// written durably (temporary file, fsync, rename) before anything acknowledges them.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../common/errors.ts";
import { decodeCanonical, encode } from "../ledger/encoding/index.ts";
import { DatasetManifest } from "../ledger/schema.ts";
import { MemoryCatalog, type Catalog, type CatalogTable } from "../planner/catalog.ts";
import { catalogTables, placedHolders, readManifest } from "./manifest.ts";

/** The largest chunk a node takes in one upload. */
export const MAX_CHUNK_BYTES = 512 << 20;
const MAX_MANIFEST_BYTES = 8 << 20;
const HASH = /^[0-9a-f]{64}$/;
/**
 * A chunk no recorded dataset names this long after it was last uploaded is an orphan too: its
 * upload was abandoned (the client stopped before recording the manifest), or the version that
 * named it was replaced before this node restarted. Long, because a large dataset's manifest is
 * recorded only once all its chunks are uploaded.
 */
export const UNRECORDED_CHUNK_TTL_MS = 24 * 60 * 60_000;

export interface RecordedDataset {
  manifest: DatasetManifest;
  /** The transaction output that recorded it (a query's transaction references it). */
  txHash: string;
  outputIndex: number;
}

export class DatasetStore {
  readonly #chunks: string;
  readonly #manifests: string;
  readonly #datasets = new Map<string, RecordedDataset>();
  /** Each dataset's tables as the planner sees them (a manifest never changes once recorded). */
  readonly #catalogTables = new Map<string, CatalogTable[]>();
  /** Every chunk of the recorded datasets (the newest manifest per name), with its table's row count and its dataset's manifest. */
  #referenced = new Map<string, { rows: number; manifest: DatasetManifest }>();
  /** Chunks of a dataset version replaced since this store opened that no recorded dataset holds. */
  readonly #orphaned = new Set<string>();
  /**
   * Chunks held that no recorded dataset named when they were uploaded (or when this store
   * opened), by when that was: a chunk no manifest names yet may be on its way into one (the
   * client uploads a dataset's chunks before its manifest is recorded), so it is an orphan only
   * UNRECORDED_CHUNK_TTL_MS later.
   */
  readonly #unrecorded = new Map<string, number>();
  #version = 0;

  constructor(dataDir: string) {
    this.#chunks = join(dataDir, "chunks");
    this.#manifests = join(dataDir, "datasets");
    mkdirSync(this.#chunks, { recursive: true });
    mkdirSync(this.#manifests, { recursive: true });
    for (const file of readdirSync(this.#manifests).filter((f) => f.endsWith(".manifest"))) {
      const bytes = readFileSync(join(this.#manifests, file));
      const [, txHash = "", index = "0"] = file.slice(0, -".manifest".length).split("@");
      const manifest = decodeCanonical(DatasetManifest, bytes, "dataset manifest", MAX_MANIFEST_BYTES);
      this.#remember({ manifest, txHash, outputIndex: Number(index) });
    }
    for (const hash of this.heldChunks()) if (!this.#referenced.has(hash)) this.#unrecorded.set(hash, statSync(this.chunkFile(hash)).mtimeMs);
  }

  chunkFile(hash: string): string {
    if (!HASH.test(hash)) throw new UserError(`not a chunk hash: ${hash.slice(0, 80)}`);
    return join(this.#chunks, `${hash}.parquet`);
  }

  /** The hashes of every chunk held here. */
  heldChunks(): string[] {
    return readdirSync(this.#chunks).filter((f) => /^[0-9a-f]{64}\.parquet$/.test(f)).map((f) => f.slice(0, 64)).sort();
  }

  hasChunk(hash: string): boolean {
    return existsSync(this.chunkFile(hash));
  }

  /** Every chunk a recorded dataset's tables hold. */
  referencedChunks(): ReadonlySet<string> {
    return new Set(this.#referenced.keys());
  }

  /** Whether a recorded dataset's table holds the chunk. */
  isRecorded(hash: string): boolean {
    return this.#referenced.has(hash);
  }

  /** The nodes a recorded chunk was placed on, nearest its hash first (none for a chunk no recorded dataset holds). */
  placedOn(hash: string): string[] {
    const owner = this.#referenced.get(hash);
    return owner ? placedHolders(hash, owner.rows, owner.manifest) : [];
  }

  /**
   * Chunks held here that no recorded dataset holds and that none will: a replaced version of a
   * dataset left them, or no manifest named them within UNRECORDED_CHUNK_TTL_MS of their upload.
   */
  orphanedChunks(nowMs = Date.now()): string[] {
    const stale = [...this.#unrecorded].filter(([, uploadedMs]) => nowMs - uploadedMs >= UNRECORDED_CHUNK_TTL_MS).map(([hash]) => hash);
    return [...new Set([...this.#orphaned, ...stale])].filter((hash) => !this.#referenced.has(hash) && this.hasChunk(hash)).sort();
  }

  /** Removes an orphaned chunk (see orphanedChunks). */
  removeChunk(hash: string): void {
    if (this.#referenced.has(hash)) throw new UserError(`chunk ${hash.slice(0, 12)} belongs to a recorded dataset`);
    rmSync(this.chunkFile(hash), { force: true });
    this.#orphaned.delete(hash);
    this.#unrecorded.delete(hash);
  }

  /** Keeps a chunk if its bytes hash to its name; false (and nothing kept) if they do not. */
  putChunk(hash: string, bytes: Uint8Array, nowMs = Date.now()): boolean {
    const file = this.chunkFile(hash);
    if (createHash("sha256").update(bytes).digest("hex") !== hash) return false;
    if (!existsSync(file)) writeDurably(file, bytes);
    // Uploaded (again) for a manifest to come: its wait starts over.
    if (!this.#referenced.has(hash)) this.#unrecorded.set(hash, nowMs);
    return true;
  }

  /** Records a committed manifest (the newest transaction per dataset name wins). */
  record(manifest: DatasetManifest, txHash: string, outputIndex: number): void {
    readManifest(manifest); // refuses a manifest that does not hold together
    writeDurably(join(this.#manifests, `${manifest.name}@${txHash}@${outputIndex}.manifest`), encode(DatasetManifest, manifest));
    // One file per name, so a restart loads the newest, not whichever the directory lists first.
    const older = this.#datasets.get(manifest.name);
    const replaced = older && (older.txHash !== txHash || older.outputIndex !== outputIndex) ? older : undefined;
    if (replaced) rmSync(join(this.#manifests, `${manifest.name}@${replaced.txHash}@${replaced.outputIndex}.manifest`), { force: true });
    this.#remember({ manifest, txHash, outputIndex });
    if (replaced) for (const table of readManifest(replaced.manifest)) for (const chunk of table.chunks) if (!this.#referenced.has(chunk.hash)) this.#orphaned.add(chunk.hash);
  }

  /** Changes whenever a dataset is recorded: what was planned over the catalog before may read other chunks now. */
  get version(): number {
    return this.#version;
  }

  #remember(dataset: RecordedDataset): void {
    this.#version++;
    this.#datasets.set(dataset.manifest.name, dataset);
    this.#catalogTables.set(dataset.manifest.name, catalogTables(dataset.manifest));
    // From every recorded dataset again: a replaced version's chunks belong to none.
    const referenced = new Map<string, { rows: number; manifest: DatasetManifest }>();
    for (const { manifest } of this.#datasets.values()) {
      for (const table of readManifest(manifest)) for (const chunk of table.chunks) referenced.set(chunk.hash, { rows: table.rows, manifest });
    }
    this.#referenced = referenced;
    for (const hash of referenced.keys()) this.#unrecorded.delete(hash);
  }

  get(name: string): RecordedDataset | undefined {
    return this.#datasets.get(name);
  }

  list(): RecordedDataset[] {
    return [...this.#datasets.values()].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  }

  /** Every table of every dataset, as [dataset, table]. */
  catalog(): Catalog {
    return new MemoryCatalog(this.list().flatMap((d) => this.#catalogTables.get(d.manifest.name)!));
  }
}

function writeDurably(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const dir = openSync(join(file, ".."), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
