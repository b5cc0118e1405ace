// What a query may ask of a node, and what it gets unless it asks: shared by the node, which
// enforces them, and the CLI, which refuses a flag past them before asking.

/**
 * An exchange whose rows come to at most this many bytes is finished on the coordinator, unless
 * the query says (see StagedRun.smallExchangeBytes): a round of tasks on every node costs tens of
 * milliseconds however few its rows, where the coordinator runs a stage over a megabyte in a few.
 */
export const DEFAULT_SMALL_EXCHANGE_BYTES = 1 << 20;
/** The most a query may ask to be held on the coordinator for one exchange: its tasks' answers carry it. */
export const MAX_SMALL_EXCHANGE_BYTES = 64 << 20;
/** The share of the tasks other nodes ran that the coordinator re-executes to check them, unless the query says. */
export const DEFAULT_VERIFY_FRACTION = 0.1;
