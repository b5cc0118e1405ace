// Exact decimals as text: an unscaled integer and its scale, the way Substrait literals,
// Arrow decimals and parquet statistics carry them.

/** (-5n, 2) → "-0.05"; (12345n, 0) → "12345". */
export function formatScaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  return scaledText((negative ? -unscaled : unscaled).toString(), negative, scale);
}

/** The text of an unscaled value's digits (of its magnitude) under `scale`. */
function scaledText(magnitude: string, negative: boolean, scale: number): string {
  const digits = magnitude.padStart(scale + 1, "0");
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/**
 * formatScaled of the Arrow decimal whose `width` little-endian words start at `words[at]`.
 * Most decimals fit a double exactly (|unscaled| < 2^53): those are written without a BigInt.
 */
export function formatDecimalAt(words: Uint32Array, at: number, width: number, scale: number): string {
  const high = words[at + 1] | 0;
  const sign = high < 0 ? 0xffffffff : 0;
  let small = high > -0x200000 && high < 0x200000;
  for (let w = 2; w < width && small; w++) small = words[at + w] === sign;
  if (!small) return formatScaled(decimalToBigInt(words.subarray(at, at + width)), scale);
  const unscaled = high * 2 ** 32 + words[at];
  return scaledText(String(Math.abs(unscaled)), unscaled < 0, scale);
}

/** The unscaled integer of an Arrow Decimal128 value (little-endian two's complement words). */
export function decimalToBigInt(words: Uint32Array): bigint {
  let result = 0n;
  for (let i = words.length - 1; i >= 0; i--) result = (result << 32n) | BigInt(words[i]);
  const bits = BigInt(words.length * 32);
  return result >= 1n << (bits - 1n) ? result - (1n << bits) : result;
}
