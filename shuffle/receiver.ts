// A receiving task's end of its input exchanges: a stream from every producing task, each
// batch into the task's salting inbox, salt announcements out to every saltable stream
// (including, first thing, to a producer that connects after some keys were salted).
//
// Rows the inbox moves on (salting) may go to another node. A stream's close waits for the moves
// its own batches caused, so when every producer has finished, every row is where it belongs. It
// waits only for those: two receivers moving rows to each other never wait on each other.
import type * as arrow from "apache-arrow";
import type { InboxOptions } from "./salting.ts";
import { SaltingInbox } from "./salting.ts";
import type { BatchSink } from "./producer.ts";
import type { SaltAnnouncement } from "./salt-map.ts";
import type { BatchReceiver } from "./stream.ts";

/** Whoever hears this task's salt announcements: a stream's producer, or a producer in this process. */
interface SaltListener {
  announce(announcement: SaltAnnouncement): Promise<void>;
}

export interface ReceivingTaskOptions extends Omit<InboxOptions, "announce" | "forward"> {
  /** Sends rows this task does not keep to another task of the same stage; resolves once they are there. */
  forward: (to: number, input: number, batch: arrow.RecordBatch) => Promise<void> | void;
}

export class ReceivingTask {
  readonly inbox: SaltingInbox;
  readonly #saltable = new Set<SaltListener>();
  readonly #announcing: Promise<void>[] = [];
  /** The moves caused by the batch being accepted now (accept is synchronous). */
  #moves: Promise<void>[] | undefined;

  constructor(options: ReceivingTaskOptions) {
    this.inbox = new SaltingInbox({
      ...options,
      announce: (a) => this.#announce(a),
      forward: (to, input, batch) => {
        const moved = options.forward(to, input, batch);
        if (moved) (this.#moves ?? this.#announcing).push(moved);
      },
    });
  }

  /** Receives one producer's stream of `input` until it ends. */
  async receive(input: number, saltable: boolean, receiver: BatchReceiver): Promise<void> {
    const moves: Promise<void>[] = [];
    if (saltable) {
      this.#saltable.add(receiver);
      const known = this.inbox.announcement();
      if (known.keys.length > 0) await receiver.announce(known);
    }
    try {
      for await (const { batch, epoch } of receiver.batches(() => Promise.all(moves).then(() => {}))) this.#accept(moves, input, batch, epoch);
    } finally {
      this.#saltable.delete(receiver);
    }
    await Promise.all(this.#announcing);
  }

  /**
   * A producer in this process: its batches go into the inbox as they are (no encoding), and it
   * hears the salts as a stream's producer would.
   */
  local(input: number, saltable: boolean, onSalt: (announcement: SaltAnnouncement) => void): BatchSink {
    const moves: Promise<void>[] = [];
    const listener: SaltListener = { announce: async (a) => onSalt(a) };
    if (saltable) {
      this.#saltable.add(listener);
      const known = this.inbox.announcement();
      if (known.keys.length > 0) onSalt(known);
    }
    return {
      send: async (batches, epoch) => {
        for (const batch of batches) this.#accept(moves, input, batch, epoch);
      },
      finish: async () => {
        this.#saltable.delete(listener);
        await Promise.all(moves);
        await Promise.all(this.#announcing);
      },
    };
  }

  /** Takes a batch into the inbox; the rows it moves on because of it are added to `moves`. */
  #accept(moves: Promise<void>[], input: number, batch: arrow.RecordBatch, epoch: number): void {
    this.#moves = moves;
    try {
      this.inbox.accept(input, batch, epoch);
    } finally {
      this.#moves = undefined;
    }
  }

  #announce(announcement: SaltAnnouncement): void {
    for (const receiver of this.#saltable) this.#announcing.push(receiver.announce(announcement));
  }
}
