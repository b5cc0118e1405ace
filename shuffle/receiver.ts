// A receiving task's end of its input exchanges: a stream from every producing task, each
// batch into the task's salting inbox, salt announcements out to every saltable stream
// (including, first thing, to a producer that connects after some keys were salted).
import type { InboxOptions } from "./salting.ts";
import { SaltingInbox } from "./salting.ts";
import type { SaltAnnouncement } from "./salt-map.ts";
import { BatchReceiver, type ByteStream } from "./stream.ts";

export class ReceivingTask {
  readonly inbox: SaltingInbox;
  readonly #saltable = new Set<BatchReceiver>();
  readonly #announcing: Promise<void>[] = [];

  constructor(options: Omit<InboxOptions, "announce">) {
    this.inbox = new SaltingInbox({ ...options, announce: (a) => this.#announce(a) });
  }

  /** Receives one producer's stream of `input` until it ends. */
  async receive(input: number, saltable: boolean, stream: ByteStream): Promise<void> {
    const receiver = new BatchReceiver(stream);
    if (saltable) {
      this.#saltable.add(receiver);
      const known = this.inbox.announcement();
      if (known.keys.length > 0) await receiver.announce(known);
    }
    try {
      for await (const { batch, epoch } of receiver.batches()) this.inbox.accept(input, batch, epoch);
    } finally {
      this.#saltable.delete(receiver);
    }
    await Promise.all(this.#announcing);
  }

  #announce(announcement: SaltAnnouncement): void {
    for (const receiver of this.#saltable) this.#announcing.push(receiver.announce(announcement));
  }
}
