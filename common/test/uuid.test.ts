// UUID text is read as DuckDB reads it: the same strings accepted, the same UUID made of each.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { referenceDuckDB } from "./reference-duckdb.ts";
import { canonicalUuid, uuidBytes, uuidFromBytes } from "../uuid.ts";

const connection = referenceDuckDB();

/** 32 hex digits in either case, with hyphens anywhere (or none), sometimes braced, sometimes a digit short or long or not hex. */
const written = fc
  .tuple(
    fc.oneof({ weight: 1, arbitrary: fc.constantFrom(31, 33) }, { weight: 3, arbitrary: fc.constant(32) }).chain((n) => fc.array(fc.constantFrom(..."0123456789abcdefABCDEF"), { minLength: n, maxLength: n })),
    fc.array(fc.nat(40), { maxLength: 6 }),
    fc.constantFrom("", "", "{}", "{", "}"),
    fc.constantFrom("", "", "", "g", " "),
  )
  .map(([digits, hyphens, braces, stray]) => {
    const chars = [...digits];
    for (const at of hyphens) chars.splice(Math.min(at, chars.length), 0, "-");
    if (stray) chars.splice(chars.length >> 1, 0, stray);
    const text = chars.join("");
    return braces === "{}" ? `{${text}}` : braces === "{" ? `{${text}` : braces === "}" ? `${text}}` : text;
  });

describe("UUID text", () => {
  it("accepts what DuckDB accepts, and reads it as the UUID DuckDB does", async () => {
    const samples = fc.sample(written, { numRuns: 400, seed: 7 });
    const quoted = samples.map((s) => `('${s}')`).join(", ");
    const rows = (await connection().runAndReadAll(`SELECT TRY_CAST(s AS UUID)::VARCHAR FROM (VALUES ${quoted}) t(s)`)).getRows();
    samples.forEach((text, i) => expect(canonicalUuid(text) ?? null, text).toBe(rows[i][0]));
    expect(rows.filter((r) => r[0] !== null).length).toBeGreaterThan(100);
  });

  it("keeps a UUID through its 16 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = uuidFromBytes(bytes);
        expect(canonicalUuid(text)).toBe(text);
        expect([...uuidBytes(text)]).toEqual([...bytes]);
      }),
    );
  });
});
