// The base-table reads of a stage plan: which chunks each read may skip, from the filters the
// planner pushed into it and the chunks' statistics.
import { columnNames, type Plan, type ReadRel } from "../../proto/index.ts";
import { chunkMayMatch } from "../chunks/index.ts";
import type { ColumnStats } from "../chunks/index.ts";
import { FunctionDeclarations } from "../substrait/extensions.ts";
import { eachObject } from "../../proto/walk.ts";

/** Every ReadRel of a named table in `plan`, by the table's dotted name. */
export function namedReads(plan: Plan): Map<string, ReadRel[]> {
  const reads = new Map<string, ReadRel[]>();
  eachObject(plan.relations, (node) => {
    const read = node.read as ReadRel | undefined;
    if (read?.namedTable) {
      const key = read.namedTable.names.join(".");
      reads.set(key, [...(reads.get(key) ?? []), read]);
    }
  });
  return reads;
}

export interface ChunkStats {
  rows: number;
  stats: Readonly<Record<string, ColumnStats>>;
}

/**
 * Whether any read of `table` in `plan` may need rows of the chunk: false only when every
 * read's pushed filter is false on the chunk's statistics.
 */
export function chunkNeeded(plan: Plan, reads: readonly ReadRel[], chunk: ChunkStats, functions = new FunctionDeclarations(plan)): boolean {
  if (chunk.rows === 0) return false;
  return reads.some((read) => {
    const schema = read.baseSchema;
    if (!schema?.struct) return true;
    const input = { names: columnNames(schema), types: schema.struct.types, stats: chunk.stats, rows: chunk.rows, functions };
    // Rows failing a best-effort filter are not needed either: the plan applies it again above.
    return [read.filter, read.bestEffortFilter].every((filter) => filter === undefined || chunkMayMatch(filter, input));
  });
}
