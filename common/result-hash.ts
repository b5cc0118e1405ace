// A query result's hash, as its result transaction records it: SHA-256 over the column names
// and every row's values as exact text (NULL as null), in the result's order. A client that
// holds the rows recomputes it without the engine that produced them.
import { createHash } from "node:crypto";

export function resultHash(names: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  return createHash("sha256").update(JSON.stringify({ names, rows })).digest("hex");
}
