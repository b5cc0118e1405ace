// The node's counters in Prometheus text format (served at /metrics).
const FINALITY_BUCKETS_MS = [50, 100, 200, 300, 500, 1000, 2000, 5000, 10000];

export class Metrics {
  accepted = 0;
  rejected = 0;
  conflicts = 0;
  submitted = 0;
  /** Submissions refused because too many transactions were open. */
  busy = 0;
  open = 0;
  peers = 0;
  readonly #finality = new Array<number>(FINALITY_BUCKETS_MS.length + 1).fill(0);
  #finalitySum = 0;
  #finalityCount = 0;

  observeFinality(ms: number): void {
    const bucket = FINALITY_BUCKETS_MS.findIndex((b) => ms <= b);
    this.#finality[bucket === -1 ? FINALITY_BUCKETS_MS.length : bucket]++;
    this.#finalitySum += ms;
    this.#finalityCount++;
  }

  render(): string {
    const lines = [
      "# HELP trustql_transactions_accepted_total Transactions this node committed.",
      "# TYPE trustql_transactions_accepted_total counter",
      `trustql_transactions_accepted_total ${this.accepted}`,
      "# HELP trustql_transactions_rejected_total Transactions this node rejected.",
      "# TYPE trustql_transactions_rejected_total counter",
      `trustql_transactions_rejected_total ${this.rejected}`,
      "# HELP trustql_conflicts_total Transactions that lost a conflict (a double spend).",
      "# TYPE trustql_conflicts_total counter",
      `trustql_conflicts_total ${this.conflicts}`,
      "# HELP trustql_submissions_total Transactions submitted to this node's API.",
      "# TYPE trustql_submissions_total counter",
      `trustql_submissions_total ${this.submitted}`,
      "# HELP trustql_submissions_refused_busy_total Submissions refused while too many transactions were open here.",
      "# TYPE trustql_submissions_refused_busy_total counter",
      `trustql_submissions_refused_busy_total ${this.busy}`,
      "# HELP trustql_transactions_open Transactions still to be decided here.",
      "# TYPE trustql_transactions_open gauge",
      `trustql_transactions_open ${this.open}`,
      "# HELP trustql_peers Connected peers.",
      "# TYPE trustql_peers gauge",
      `trustql_peers ${this.peers}`,
      "# HELP trustql_finality_ms Submission to commit on this node, in milliseconds.",
      "# TYPE trustql_finality_ms histogram",
    ];
    let cumulative = 0;
    FINALITY_BUCKETS_MS.forEach((b, i) => {
      cumulative += this.#finality[i];
      lines.push(`trustql_finality_ms_bucket{le="${b}"} ${cumulative}`);
    });
    lines.push(`trustql_finality_ms_bucket{le="+Inf"} ${this.#finalityCount}`, `trustql_finality_ms_sum ${this.#finalitySum}`, `trustql_finality_ms_count ${this.#finalityCount}`);
    return lines.join("\n") + "\n";
  }
}
