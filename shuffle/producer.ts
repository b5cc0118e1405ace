// A producing task's end of one hash exchange: a stream to every receiving task, each batch
// split by key under the salts the receivers announced so far, and each piece tagged with the
// routing epoch of its receiver that it was split under.
import type * as arrow from "apache-arrow";
import { partitionBatch, type PartitionSpec } from "./partition.ts";
import type { Router } from "./placement.ts";
import { SaltMap } from "./salt-map.ts";
import { batchBytes } from "./take.ts";
import { BatchSender, type ByteStream } from "./stream.ts";

export class HashProducer {
  readonly #senders: BatchSender[];
  readonly #spec: PartitionSpec;
  readonly #router: Router;
  readonly #salts = new SaltMap();
  /** Per receiver: the last of its announcements applied here. */
  readonly #epochs: number[];
  /** Per receiver: the bytes of the rows sent to it. */
  readonly bytesTo: number[];

  /** `streams[i]` leads to the task of `router.members[i]`. */
  constructor(streams: readonly ByteStream[], spec: PartitionSpec, router: Router) {
    this.#spec = spec;
    this.#router = router;
    this.#epochs = streams.map(() => 0);
    this.bytesTo = streams.map(() => 0);
    this.#senders = streams.map(
      (stream, receiver) =>
        new BatchSender(stream, (announcement) => {
          for (const key of announcement.keys) this.#salts.add(key, announcement.epoch);
          this.#epochs[receiver] = Math.max(this.#epochs[receiver], announcement.epoch);
        }),
    );
  }

  async send(batch: arrow.RecordBatch): Promise<void> {
    const epochs = [...this.#epochs];
    const parts = partitionBatch(batch, this.#spec, this.#router, this.#salts);
    parts.forEach((part, to) => (this.bytesTo[to] += part ? batchBytes(part) : 0));
    await Promise.all(parts.map((part, to) => (part ? this.#senders[to].send(part, epochs[to]) : undefined)));
  }

  async finish(): Promise<void> {
    await Promise.all(this.#senders.map((s) => s.finish()));
  }
}
