// A memo of values costly to make, bounded: past `limit` entries it starts over empty. Fine
// where the working set is far below the limit (keys of a cluster's members, its validators'
// public keys) and the limit only stops a flood of new keys from growing it without end.

/** The value cached under `key`, made by `make` (and kept) when absent. */
export function cachedIn<K, V>(cache: Map<K, V>, limit: number, key: K, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= limit) cache.clear();
    value = make();
    cache.set(key, value);
  }
  return value;
}
