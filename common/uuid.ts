// DuckDB's UUID text: 32 hex digits, written lower-case in groups of 8-4-4-4-12; read with or
// without its hyphens (DuckDB skips a hyphen anywhere), in either case, and between braces.

const HEX_DIGITS = 32;

/** The canonical text of a UUID written as DuckDB reads one, or undefined when it is none. */
export function canonicalUuid(text: string): string | undefined {
  const braced = text.startsWith("{");
  if (braced !== text.endsWith("}") || (braced && text.length < 2)) return undefined;
  const digits = (braced ? text.slice(1, -1) : text).replaceAll("-", "").toLowerCase();
  if (digits.length !== HEX_DIGITS || !/^[0-9a-f]+$/.test(digits)) return undefined;
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}

/** A canonical UUID's 16 bytes, most significant first (Substrait's uuid literal). */
export function uuidBytes(canonical: string): Uint8Array {
  return Uint8Array.from(Buffer.from(canonical.replaceAll("-", ""), "hex"));
}

/** The canonical text of a UUID's 16 bytes. */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== HEX_DIGITS / 2) throw new Error(`a UUID of ${bytes.length} bytes`);
  return canonicalUuid(Buffer.from(bytes).toString("hex"))!;
}
