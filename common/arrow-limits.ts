// Limits of the Arrow format as apache-arrow writes it, shared by what builds batches (exec) and
// what moves their rows (shuffle).

/** Arrow's 32-bit offsets: the most bytes a text column, or values a list column, one batch holds. */
export const MAX_ARROW_OFFSET = 2 ** 31 - 1;
