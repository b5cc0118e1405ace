// Exact decimals as text: an unscaled integer and its scale, the way Substrait literals,
// Arrow decimals and parquet statistics carry them.

/** (-5n, 2) → "-0.05"; (12345n, 0) → "12345". */
export function formatScaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}
