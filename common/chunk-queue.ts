// Bytes received in chunks and not yet consumed, kept as the chunks they came in: a reader of
// length-prefixed frames peeks at headers and takes whole frames, copying each byte once.
/** Bytes received and not yet framed, as the chunks they came in. */
export class ChunkQueue {
  readonly #chunks: Uint8Array[] = [];
  /** Bytes of #chunks[0] already taken. */
  #offset = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.length += bytes.length;
  }

  /** A copy of the first `n` bytes, left in the queue. */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    for (let i = 0, offset = this.#offset; filled < n; i++, offset = 0) {
      const part = this.#chunks[i].subarray(offset, offset + n - filled);
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  }

  /** The first `n` bytes, removed from the queue, in one new array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0];
      const part = head.subarray(this.#offset, this.#offset + n - filled);
      out.set(part, filled);
      filled += part.length;
      this.#offset += part.length;
      if (this.#offset === head.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.length -= n;
    return out;
  }
}
