// A table's chunks placed on workers the way a cluster places them (the `replicas` workers
// nearest each chunk's hash, or every worker for a small table), for runs of staged queries
// outside a cluster: tests, the sqllogictest runner, benchmarks.
import { copiesHeld } from "../../planner/catalog.ts";
import { namedColumns, type NamedStruct } from "../../proto/index.ts";
import type { Chunk } from "../chunks/index.ts";
import { chunkHolders, member } from "../../shuffle/index.ts";
import type { PlacedTable } from "./runner.ts";

export function placeTable(schema: NamedStruct, chunks: readonly Chunk[], workers: readonly string[], replicas = 2): PlacedTable {
  const members = workers.map(member);
  const copies = copiesHeld(chunks.reduce((n, c) => n + c.rows, 0), replicas, workers.length);
  return {
    columns: namedColumns(schema),
    chunks: chunks.map((c) => ({ ...c, holders: chunkHolders(c.hash, members, copies).map((m) => workers.indexOf(m.peerId)) })),
  };
}
