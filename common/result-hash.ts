// A query result's hash, as its result transaction records it: SHA-256 over the column names
// and every row's values as exact text (NULL as null), in the result's order. A client that
// holds the rows recomputes it without the engine that produced them.
import { createHash } from "node:crypto";

export function resultHash(names: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  return createHash("sha256").update(JSON.stringify({ names, rows })).digest("hex");
}

/** Text hashed at a time by resultHashOfColumns: large enough that hashing, not calls, costs. */
const HASHED_TEXT_CHARS = 1 << 16;

/**
 * resultHash over the rows of `columns` (each a column's values as text, all of one length),
 * without making the rows or the whole text: the same bytes, hashed a piece at a time.
 */
export function resultHashOfColumns(names: readonly string[], columns: readonly (readonly (string | null)[])[]): string {
  const hash = createHash("sha256");
  const rows = columns[0]?.length ?? 0;
  let text = `{"names":${JSON.stringify(names)},"rows":[`;
  const row: (string | null)[] = new Array(columns.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns.length; c++) row[c] = columns[c][r];
    text += (r === 0 ? "" : ",") + JSON.stringify(row);
    if (text.length >= HASHED_TEXT_CHARS) {
      hash.update(text);
      text = "";
    }
  }
  return hash.update(`${text}]}`).digest("hex");
}
