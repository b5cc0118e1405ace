// Adding a dataset to a cluster: cut each parquet file into chunks named by their content hash,
// send each chunk once, to the nearest of the `replicas` nodes that will hold it, record the
// manifest (schemas, chunks, statistics, placement) in a transaction, and wait until every node
// accepted it and every holder has its copy: the other holders fetch theirs from the one that has
// it, hash-checked, once they have the manifest.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../common/errors.ts";
import { parquetFolder, tableNameOf, type TableSource } from "../data-tables.ts";
import { columnNames } from "../../proto/index.ts";
import { cutParquet, type Chunk, type ChunkCompression } from "../../exec/chunks/index.ts";
import { LocalEngine } from "../../exec/index.ts";
import { parquetScan } from "../../exec/catalog.ts";
import { quoteIdentifier, quoteString } from "../../exec/substrait/literals.ts";
import type { KeyPair } from "../../ledger/crypto.ts";
import { encode } from "../../ledger/encoding/index.ts";
import { Transaction } from "../../ledger/schema.ts";
import { addressOf, buildDataTransaction, nodeSigner, txHash } from "../../ledger/tx/index.ts";
import { buildManifest, type ManifestTable } from "../../node/manifest.ts";
import { copiesHeld } from "../../planner/catalog.ts";
import type { ClusterFile } from "../../node/config.ts";
import { MAX_ENVELOPE_BYTES } from "../../node/codec.ts";
import { chunkHolders, member } from "../../shuffle/index.ts";
import { NodeClient, waitForAcceptance } from "./index.ts";

export const DEFAULT_REPLICAS = 2;
const ACCEPT_TIMEOUT_MS = 30_000;
/** Holders that gain no copy for this long while copies are missing: the add fails, naming what is missing. */
const COPY_STALL_MS = 30_000;
const COPY_POLL_MS = 200;

export interface AddDatasetOptions {
  name: string;
  /** Parquet files, and folders of them (see tableSources). */
  files: readonly string[];
  cluster: ClusterFile;
  /** Pays the manifest transaction's fee and owns its record. */
  payer: KeyPair;
  replicas?: number;
  chunkRows?: number;
  /** The codec chunks are written with (default DEFAULT_CHUNK_COMPRESSION: the fastest to scan). */
  compression?: ChunkCompression;
  /**
   * Per table, a column to sort its rows by before they are cut: each chunk then covers a narrow
   * range of it, so filters on it prune chunks (e.g. { lineitem: "l_shipdate" }).
   */
  sortBy?: Readonly<Record<string, string>>;
  fee?: bigint;
  onProgress?: (event: { phase: "cut" | "upload" | "copy"; done: number; total: number; detail: string }) => void;
}

export interface AddedTable {
  name: string;
  files: number;
  chunks: number;
  rows: number;
  bytes: number;
}

export interface AddedDataset {
  tx: string;
  tables: AddedTable[];
  /** Chunks this client sent (one per chunk). */
  uploads: number;
  /** Copies of chunks the nodes hold now, in all. */
  copies: number;
}

/** The tables `paths` hold: a file holds one, named after it; a folder one, named after it (parquetFolder). Files of one name make one table. */
export function tableSources(paths: readonly string[]): Map<string, TableSource> {
  const tables = new Map<string, TableSource>();
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      throw new UserError(`${path}: no such file or folder`);
    }
    const name = tableNameOf(path);
    const table = tables.get(name) ?? { files: [], partitioned: false };
    tables.set(name, table);
    if (!stats.isDirectory()) {
      table.files.push(path);
      continue;
    }
    const inside = parquetFolder(path);
    if (!inside) throw new UserError(`${path}: no .parquet files in this folder`);
    table.files.push(...inside.files);
    table.partitioned ||= inside.partitioned;
  }
  return tables;
}

/**
 * Cuts each table's files into chunks under `work` (see AddDatasetOptions), with its schema and
 * each chunk's statistics. Files are read as DuckDB reads them, `key=value` folders in their paths
 * columns (typed as their values read). A partitioned table's files (many, and small) are written
 * to one file first, so its chunks are of the target size, not one or more per file; so are those
 * of files whose columns differ (a dataset whose schema grew), read by the columns' names (a column
 * a file lacks is NULL in its rows, types met in their common type), so every chunk of a table has
 * the table's columns.
 */
export async function cutTables(sources: ReadonlyMap<string, TableSource>, work: string, options: Pick<AddDatasetOptions, "chunkRows" | "compression" | "sortBy" | "onProgress"> = {}): Promise<ManifestTable[]> {
  const engine = await LocalEngine.open({ threads: 2 });
  const tables: ManifestTable[] = [];
  const total = [...sources.values()].reduce((n, s) => n + s.files.length, 0);
  let cut = 0;
  try {
    for (const [name, source] of sources) {
      let files = source.files;
      if (source.partitioned || (await engine.columnsDiffer(files))) {
        const joined = join(work, `${name}.joined.parquet`);
        await engine.runReferenceSql(`COPY (SELECT * FROM ${parquetScan(files, true)}) TO ${quoteString(joined)} (FORMAT parquet)`);
        files = [joined];
      }
      // Their columns do not differ: one joined file, or files just compared.
      await engine.registerParquet([name], files, { columnsDiffer: false });
      const { schema, unrunnableTypes } = engine.catalog().lookup([name])!;
      const sortColumn = options.sortBy?.[name];
      if (sortColumn !== undefined) {
        const columns = columnNames(schema);
        if (!columns.some((n) => n.toLowerCase() === sortColumn.toLowerCase())) {
          throw new UserError(`--sort ${name}.${sortColumn}: ${name} has no column ${sortColumn} (it has ${columns.join(", ")})`);
        }
        const sorted = join(work, `${name}.sorted.parquet`);
        await engine.runReferenceSql(`COPY (SELECT * FROM ${parquetScan(files)} ORDER BY ${quoteIdentifier(sortColumn)}) TO ${quoteString(sorted)} (FORMAT parquet)`);
        files = [sorted];
      }
      const chunks: Chunk[] = [];
      for (const file of files) {
        chunks.push(...(await cutParquet(file, join(work, name), { targetRows: options.chunkRows, compression: options.compression })));
        // One file written from all of the table's (joined, or sorted) counts as all of them.
        cut += files === source.files ? 1 : source.files.length;
        options.onProgress?.({ phase: "cut", done: cut, total, detail: name });
      }
      tables.push({ name, schema, chunks, ...(unrunnableTypes ? { unrunnableTypes } : {}) });
    }
  } finally {
    engine.close();
  }
  return tables;
}

export async function addDataset(options: AddDatasetOptions): Promise<AddedDataset> {
  const { cluster, files } = options;
  const replicas = Math.min(options.replicas ?? DEFAULT_REPLICAS, cluster.nodes.length);
  if (files.length === 0) throw new UserError("no parquet files to add");
  const byTable = tableSources(files);

  const work = mkdtempSync(join(tmpdir(), "trustql-dataset-"));
  try {
    const tables = await cutTables(byTable, work, options);

    const members = cluster.nodes.map((n) => member(n.peerId));
    const clients = new Map(cluster.nodes.map((n) => [n.peerId, new NodeClient(n.http)]));
    // A small table goes to every node (copiesHeld): queries read it whole where they need it.
    const copiesOf = (t: ManifestTable) => copiesHeld(t.chunks.reduce((n, c) => n + c.rows, 0), replicas, members.length);
    const placed = tables.flatMap((t) => t.chunks.map((chunk) => ({ chunk, holders: chunkHolders(chunk.hash, members, copiesOf(t)).map((m) => m.peerId) })));
    let done = 0;
    const queue = [...placed];
    const upload = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        await clients.get(next.holders[0])!.putChunk(next.chunk.hash, readFileSync(next.chunk.file));
        options.onProgress?.({ phase: "upload", done: ++done, total: placed.length, detail: next.chunk.hash.slice(0, 12) });
      }
    };
    await Promise.all(Array.from({ length: 4 }, upload));

    const manifest = buildManifest(options.name, tables, cluster.nodes.map((n) => n.peerId), replicas);
    const via = clients.get(cluster.nodes[0].peerId)!;
    const available = await via.unspent(Buffer.from(addressOf(options.payer.publicKey)).toString("hex"));
    const tx = buildDataTransaction({ available, data: { dataset: manifest }, fee: options.fee ?? 1000n, createdMs: Date.now(), nonce: BigInt(Math.floor(Math.random() * 2 ** 48)) }, nodeSigner(options.payer));
    const size = encode(Transaction, tx).length;
    if (size > MAX_ENVELOPE_BYTES / 2) throw new UserError(`the manifest is ${size} bytes, over what one transaction carries: use larger chunks (--chunk-rows)`);
    const submitted = await via.submit(tx);
    if (submitted.state === "REJECTED") throw new UserError(`the manifest transaction was rejected: ${submitted.reason}`);
    const hash = Buffer.from(txHash(tx.body!)).toString("hex");
    const states = await waitForAcceptance([...clients.values()], hash, ACCEPT_TIMEOUT_MS);
    if (states.some((s) => s !== "ACCEPTED")) throw new UserError(`the manifest transaction ${hash.slice(0, 16)} is not accepted everywhere: ${states.join(", ")}`);
    const copies = await waitForCopies(placed, clients, options.onProgress);
    return {
      tx: hash,
      uploads: placed.length,
      copies,
      tables: tables.map((t) => ({
        name: t.name,
        files: byTable.get(t.name)!.files.length,
        chunks: t.chunks.length,
        rows: t.chunks.reduce((n, c) => n + c.rows, 0),
        bytes: t.chunks.reduce((n, c) => n + c.bytes, 0),
      })),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Waits until every holder of every chunk has its copy (the nodes fetch them once they have the
 * manifest); returns how many copies that is. Fails, naming a missing copy, when no copy arrived
 * for COPY_STALL_MS.
 */
async function waitForCopies(placed: readonly { chunk: Chunk; holders: string[] }[], clients: ReadonlyMap<string, NodeClient>, onProgress: AddDatasetOptions["onProgress"]): Promise<number> {
  const total = placed.reduce((n, p) => n + p.holders.length, 0);
  let held = 0;
  let progressAt = Date.now();
  for (;;) {
    const heldBy = new Map(await Promise.all([...clients].map(async ([peer, client]) => [peer, new Set((await client.chunks()).chunks)] as const)));
    const missing = placed.flatMap((p) => p.holders.filter((h) => !heldBy.get(h)!.has(p.chunk.hash)).map((holder) => ({ holder, chunk: p.chunk.hash })));
    if (total - missing.length > held) {
      held = total - missing.length;
      progressAt = Date.now();
      onProgress?.({ phase: "copy", done: held, total, detail: missing[0]?.chunk.slice(0, 12) ?? "" });
    }
    if (missing.length === 0) return total;
    if (Date.now() - progressAt > COPY_STALL_MS) {
      throw new UserError(`${missing.length} of ${total} chunk copies are still missing after ${COPY_STALL_MS / 1000} s without progress (node ${missing[0].holder.slice(-8)} lacks chunk ${missing[0].chunk.slice(0, 12)}): the dataset is recorded, and its nodes keep fetching them`);
    }
    await new Promise((resolve) => setTimeout(resolve, COPY_POLL_MS));
  }
}
