// A query result's hash, as its result transaction records it: SHA-256 over the column names
// and every row's values as exact text (NULL as null), in the result's order. A client that
// holds the rows recomputes it without the engine that produced them.
import { createHash } from "node:crypto";

export function resultHash(names: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  return createHash("sha256").update(JSON.stringify({ names, rows })).digest("hex");
}

/** Text hashed at a time by ResultHasher: large enough that hashing, not calls, costs. */
const HASHED_TEXT_CHARS = 1 << 16;

/** A column's values as text, NULL as null. */
type TextValues = readonly (string | null)[];

/**
 * resultHash made slice by slice, without making the rows or the whole text: add() each slice
 * of the rows (its columns' values as text, all of one length) in order, then digest(). The
 * same bytes, hashed a piece at a time.
 */
export class ResultHasher {
  readonly #hash = createHash("sha256");
  #text: string;
  #first = true;

  constructor(names: readonly string[]) {
    this.#text = `{"names":${JSON.stringify(names)},"rows":[`;
  }

  add(columns: readonly TextValues[]): void {
    const rows = columns[0]?.length ?? 0;
    const row: (string | null)[] = new Array(columns.length);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns.length; c++) row[c] = columns[c][r];
      this.#text += (this.#first ? "" : ",") + JSON.stringify(row);
      this.#first = false;
      if (this.#text.length >= HASHED_TEXT_CHARS) {
        this.#hash.update(this.#text);
        this.#text = "";
      }
    }
  }

  digest(): string {
    return this.#hash.update(`${this.#text}]}`).digest("hex");
  }
}
