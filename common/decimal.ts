// Exact decimals as text: an unscaled integer and its scale, the way Substrait literals,
// Arrow decimals and parquet statistics carry them.

/** (-5n, 2) → "-0.05"; (12345n, 0) → "12345". */
export function formatScaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The unscaled integer of an Arrow Decimal128 value (little-endian two's complement words). */
export function decimalToBigInt(words: Uint32Array): bigint {
  let result = 0n;
  for (let i = words.length - 1; i >= 0; i--) result = (result << 32n) | BigInt(words[i]);
  const bits = BigInt(words.length * 32);
  return result >= 1n << (bits - 1n) ? result - (1n << bits) : result;
}
