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
  /** Observation ticks at least a second late: times the whole node waited (see the event_loop_stalled log). */
  stalls = 0;
  /** Plans asked of this node (a query it coordinates, a paid query's quote), and those it made (the others it had kept). */
  plansAsked = 0;
  plansMade = 0;
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
      ...metric("trustql_transactions_accepted_total", "counter", "Transactions this node committed.", this.accepted),
      ...metric("trustql_transactions_rejected_total", "counter", "Transactions this node rejected.", this.rejected),
      ...metric("trustql_conflicts_total", "counter", "Transactions that lost a conflict (a double spend).", this.conflicts),
      ...metric("trustql_submissions_total", "counter", "Transactions submitted to this node's API.", this.submitted),
      ...metric("trustql_submissions_refused_busy_total", "counter", "Submissions refused while too many transactions were open here.", this.busy),
      ...metric("trustql_transactions_open", "gauge", "Transactions still to be decided here.", this.open),
      ...metric("trustql_peers", "gauge", "Connected peers.", this.peers),
      ...metric("trustql_event_loop_stalls_total", "counter", "Times this node's work waited a second or more (an observation tick that late).", this.stalls),
      ...metric("trustql_query_plans_total", "counter", "Plans asked of this node: each query it coordinates, each paid query's quote.", this.plansAsked),
      ...metric("trustql_query_plans_made_total", "counter", "Plans this node made: the others it had kept, for the same SQL over the same datasets.", this.plansMade),
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

/** One metric's lines: its help, its type and its value. */
function metric(name: string, type: "counter" | "gauge", help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
}
