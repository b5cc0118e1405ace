// Things kept unused for the next user with the same key (streams to a peer, say): at most
// `maxPerKey` each, the newest handed out first, each closed once it stayed unused `idleMs`.

export interface IdlePoolOptions<T> {
  maxPerKey: number;
  idleMs: number;
  /** Lets go of an item that is not kept (over the limit, unused too long, or refused by take()). */
  close: (item: T) => void;
}

export class IdlePool<T> {
  readonly #options: IdlePoolOptions<T>;
  readonly #kept = new Map<string, { item: T; expiry: NodeJS.Timeout }[]>();

  constructor(options: IdlePoolOptions<T>) {
    this.#options = options;
  }

  /** The newest item kept for `key` that `usable` accepts (those it refuses are closed), if any. */
  take(key: string, usable: (item: T) => boolean = () => true): T | undefined {
    const kept = this.#kept.get(key);
    try {
      for (let entry = kept?.pop(); entry; entry = kept!.pop()) {
        clearTimeout(entry.expiry);
        if (usable(entry.item)) return entry.item;
        this.#options.close(entry.item);
      }
      return undefined;
    } finally {
      if (kept?.length === 0) this.#kept.delete(key);
    }
  }

  /** Keeps `item` for the next take(key); closed now when `key` has its fill, or once unused for idleMs. */
  keep(key: string, item: T): void {
    let kept = this.#kept.get(key);
    if (!kept) this.#kept.set(key, (kept = []));
    if (kept.length >= this.#options.maxPerKey) return this.#options.close(item);
    const entry = {
      item,
      expiry: setTimeout(() => {
        const list = this.#kept.get(key);
        const at = list?.indexOf(entry) ?? -1;
        if (at >= 0) list!.splice(at, 1);
        if (list?.length === 0) this.#kept.delete(key);
        this.#options.close(item);
      }, this.#options.idleMs),
    };
    entry.expiry.unref();
    kept.push(entry);
  }

  /** Closes everything kept. */
  closeAll(): void {
    for (const key of [...this.#kept.keys()]) for (let item = this.take(key); item !== undefined; item = this.take(key)) this.#options.close(item);
  }
}
