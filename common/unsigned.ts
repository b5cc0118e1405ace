// DuckDB's unsigned integer types, which Substrait (and so trustql) has none of: each is read as
// the narrowest signed type that holds all its values. One table for the executor, which reads a
// file's column of one so, and the planner, which names that type where a cast asks for one.

/** Each unsigned type by DuckDB's name, and the type its values are read as. */
export const UNSIGNED_READ_AS: ReadonlyMap<string, string> = new Map([
  ["UTINYINT", "SMALLINT"],
  ["USMALLINT", "INTEGER"],
  ["UINTEGER", "BIGINT"],
  ["UBIGINT", "DECIMAL(20,0)"],
  ["UHUGEINT", "DECIMAL(38,0)"],
]);

/** DuckDB's other names of the unsigned types. */
export const UNSIGNED_ALIASES: ReadonlyMap<string, string> = new Map([
  ["UINT8", "UTINYINT"],
  ["UINT16", "USMALLINT"],
  ["UINT32", "UINTEGER"],
  ["UINT64", "UBIGINT"],
  ["UINT128", "UHUGEINT"],
]);
