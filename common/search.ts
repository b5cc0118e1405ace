// Binary search over anything indexable in order.

/**
 * The first index in [0, length) where `before(index)` is false, for a `before` that holds on a
 * prefix of the indexes and on none after it (a sorted array's lower bound); `length` when it
 * holds everywhere.
 */
export function partitionPoint(length: number, before: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (before(mid)) low = mid + 1;
    else high = mid;
  }
  return low;
}
