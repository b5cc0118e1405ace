// Workers in this process: each has its own exchange host, and the hosts stream to each other in
// memory. The SQL corpus, the skew tests and bench:skew run staged queries on it; a cluster runs
// the same tasks and exchanges on nodes (node/query.ts).
import type * as arrow from "apache-arrow";
import { ExchangeHost, ExchangePeerLostError, memoryStreamPair, type OutputRoute } from "../../shuffle/index.ts";
import { executeTask, WorkerUnavailableError, type EnginePool, type Executors, type Task, type TaskResult } from "./runner.ts";

export class LocalExecutors implements Executors {
  readonly hosts: ExchangeHost[];
  readonly #coordinator: number;
  readonly #chunkFile: (hash: string) => string;
  readonly #pool: EnginePool;

  constructor(workers: readonly string[], options: { coordinator?: number; chunkFile: (hash: string) => string; pool: EnginePool }) {
    this.#coordinator = options.coordinator ?? 0;
    this.#chunkFile = options.chunkFile;
    this.#pool = options.pool;
    this.hosts = workers.map(
      (self) =>
        new ExchangeHost({
          self,
          connect: async (peer) => {
            const to = workers.indexOf(peer);
            if (to < 0) throw new Error(`no worker ${peer} in this process`);
            const [producerEnd, receiverEnd] = memoryStreamPair();
            void this.hosts[to].accept(receiverEnd, self).catch(() => {});
            return producerEnd;
          },
        }),
    );
  }

  async runTask(worker: number, task: Task): Promise<TaskResult> {
    try {
      return await executeTask(task, { host: this.hosts[worker], chunkFile: this.#chunkFile, pool: this.#pool });
    } catch (error) {
      if (error instanceof ExchangePeerLostError) throw new WorkerUnavailableError(error.message, error.peer);
      throw error;
    }
  }

  async inboxStatus(worker: number, run: string, consumer: number) {
    return this.hosts[worker].status(run, consumer);
  }

  async inputsHeld(worker: number, run: string, consumer: number, inputs: readonly number[]): Promise<arrow.RecordBatch[][]> {
    return inputs.map((input) => this.hosts[worker].batches(run, consumer, input));
  }

  takeHeld(run: string, consumer: number, inputs: readonly number[]): arrow.RecordBatch[][] {
    return inputs.map((input) => this.hosts[this.#coordinator].take(run, consumer, input));
  }

  send(route: OutputRoute, batches: readonly arrow.RecordBatch[]) {
    return this.hosts[this.#coordinator].send(route, batches);
  }

  release(run: string): void {
    for (const host of this.hosts) host.release(run);
  }
}
