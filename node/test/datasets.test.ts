// A node's dataset store: which chunks it may remove (a newer version of a dataset left them, or no
// manifest named them); and what a manifest carries to the catalog a coordinator plans with.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NamedStruct } from "../../proto/index.ts";
import { DatasetStore, UNRECORDED_CHUNK_TTL_MS } from "../datasets.ts";
import { buildManifest, catalogTables, readManifest } from "../manifest.ts";
import { DatasetManifest } from "../../ledger/schema.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function chunk(text: string) {
  const bytes = new TextEncoder().encode(text);
  return { bytes, hash: createHash("sha256").update(bytes).digest("hex") };
}

const schema = NamedStruct.fromPartial({ names: ["x"], struct: { types: [{ i64: { nullability: 2 } }], nullability: 2 } });
function manifest(name: string, hashes: string[]) {
  const chunks = hashes.map((hash) => ({ hash, file: "", rows: 1, bytes: 1, stats: {} }));
  return buildManifest(name, [{ name: "t", schema, chunks }], ["peer-a"], 1);
}

describe("a node's datasets", () => {
  it("finds the chunks a replaced version of a dataset left, and only those", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustql-datasets-"));
    dirs.push(dir);
    const store = new DatasetStore(dir);
    const [a, b, c, other, uploading] = [chunk("a"), chunk("b"), chunk("c"), chunk("other"), chunk("uploading")];
    for (const k of [a, b, c, other, uploading]) expect(store.putChunk(k.hash, k.bytes)).toBe(true);
    store.record(manifest("d", [a.hash, b.hash]), "01".repeat(32), 0);
    store.record(manifest("e", [other.hash]), "02".repeat(32), 0);
    expect(store.orphanedChunks()).toEqual([]);
    // d's new version drops a and takes c; `uploading` (no manifest names it yet) is never an orphan.
    store.record(manifest("d", [b.hash, c.hash]), "03".repeat(32), 0);
    expect(store.orphanedChunks()).toEqual([a.hash]);
    expect(() => store.removeChunk(b.hash)).toThrow(/belongs to a recorded dataset/);
    store.removeChunk(a.hash);
    expect(store.hasChunk(a.hash)).toBe(false);
    expect(store.orphanedChunks()).toEqual([]);
    // A chunk orphaned and then named again by a newer version is not removed.
    store.record(manifest("d", [b.hash]), "04".repeat(32), 0);
    expect(store.orphanedChunks()).toEqual([c.hash]);
    store.record(manifest("d", [b.hash, c.hash]), "05".repeat(32), 0);
    expect(store.orphanedChunks()).toEqual([]);
    expect(store.hasChunk(uploading.hash)).toBe(true);
    // A restart reads the newest manifest per name: the same chunks are referenced.
    expect([...new DatasetStore(dir).referencedChunks()].sort()).toEqual([b.hash, c.hash, other.hash].sort());
  });

  it("counts a chunk no manifest named for a day after its upload as orphaned, across restarts", () => {
    const dir = mkdtempSync(join(tmpdir(), "trustql-datasets-"));
    dirs.push(dir);
    const [kept, abandoned, recent, replaced] = [chunk("kept"), chunk("abandoned"), chunk("recent"), chunk("replaced")];
    const store = new DatasetStore(dir);
    const day = UNRECORDED_CHUNK_TTL_MS;
    const now = Date.now();
    for (const k of [kept, abandoned, replaced]) store.putChunk(k.hash, k.bytes, now - day - 1000);
    store.putChunk(recent.hash, recent.bytes, now);
    store.record(manifest("d", [kept.hash, replaced.hash]), "01".repeat(32), 0);
    expect(store.orphanedChunks(now)).toEqual([abandoned.hash]);
    // Uploaded again for a manifest to come: its wait starts over.
    store.putChunk(abandoned.hash, abandoned.bytes, now);
    expect(store.orphanedChunks(now)).toEqual([]);
    expect(store.orphanedChunks(now + day)).toEqual([abandoned.hash, recent.hash].sort());
    // A replacement before a restart: its chunk's file is old, so the restarted store finds it orphaned (it kept no list).
    store.record(manifest("d", [kept.hash]), "02".repeat(32), 0);
    const old = (now - day - 60_000) / 1000;
    utimesSync(store.chunkFile(replaced.hash), old, old);
    const reopened = new DatasetStore(dir);
    expect(reopened.orphanedChunks(now)).toEqual([replaced.hash]);
    expect(reopened.orphanedChunks(now + day + 60_000)).toEqual([abandoned.hash, recent.hash, replaced.hash].sort());
    expect(reopened.referencedChunks().has(kept.hash)).toBe(true);
  });
});

describe("a dataset manifest", () => {
  const withTag = NamedStruct.fromPartial({ names: ["x", "tag"], struct: { types: [{ i64: { nullability: 2 } }, { userDefinedTypeReference: 0 }], nullability: 2 } });
  const tables = [{ name: "t", schema: withTag, chunks: [], unrunnableTypes: { tag: "TIME WITH TIME ZONE" } }];

  it("carries the name of each column type trustql cannot run to the catalog a coordinator plans with", () => {
    const sent = buildManifest("d", tables, ["peer-a"], 1);
    const received = DatasetManifest.decode(DatasetManifest.encode(sent).finish());
    expect(catalogTables(received)[0].unrunnableTypes).toEqual({ tag: "TIME WITH TIME ZONE" });
    expect(catalogTables(buildManifest("d", [{ ...tables[0], unrunnableTypes: undefined }], ["peer-a"], 1))[0].unrunnableTypes).toBeUndefined();
  });

  it("is refused when it names an unrunnable column its table does not have, or a table that is not there", () => {
    const manifest = buildManifest("d", tables, ["peer-a"], 1);
    expect(() => readManifest({ ...manifest, unrunnableColumns: [{ table: 0, column: "nope", type: "BIT" }] })).toThrow(/an unrunnable column nope that t does not have/);
    expect(() => readManifest({ ...manifest, unrunnableColumns: [{ table: 3, column: "tag", type: "BIT" }] })).toThrow(/table 3, which is not there/);
    expect(() => readManifest({ ...manifest, unrunnableColumns: [{ table: 0, column: "tag", type: "" }] })).toThrow(/type name is 0 characters/);
  });
});
