// How long DuckDB's allocator keeps memory it freed. Imported for this effect alone, before
// anything loads DuckDB: its allocator (a jemalloc of its own) reads DUCKDB_JE_MALLOC_CONF when
// the library loads.
//
// By default freed memory goes back to the system within about a second, and a node runs many
// short tasks one after another: each one faulted its buffers in again (page faults, zeroed
// pages, and the TLB shootdowns of giving them back). Over the 22 TPC-H queries on four nodes
// that was 200,000 faults a pass and about a sixth of the nodes' CPU; DuckDB alone running the
// same queries in one process gains about as much. Kept for 30 s, a process's resident size
// follows its recent peak. A value already in the environment wins.
process.env.DUCKDB_JE_MALLOC_CONF ??= "dirty_decay_ms:30000,muzzy_decay_ms:30000";
