// `dataset add|list` and `query`: parquet datasets on a cluster, and SQL over them.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../common/errors.ts";
import { chunkCompression } from "../../exec/chunks/compression.ts";
import type { StageStats } from "../../exec/stages/index.ts";
import { readCluster, readKeyFile } from "../../node/config.ts";
import { MAX_SMALL_EXCHANGE_BYTES } from "../../node/query-limits.ts";
import { NodeClient, type ClusterQueryResult } from "../sdk/index.ts";
import { queryWithProof } from "../sdk/query.ts";
import { firstColumnText, withPivotValues } from "../sdk/pivot.ts";
import { writeJson, type Command } from "../cli.ts";
import { printResult, RESULT_OPTIONS } from "./local-query.ts";
import { LiveLine, formatCount, progressBar } from "../progress.ts";
import { readSqlArgument } from "../sql-argument.ts";

function clusterDir(values: Record<string, unknown>): string {
  if (typeof values.cluster !== "string") throw new UserError("--cluster DIR is required (the --dir of trustql cluster up)");
  return values.cluster;
}

function wholeNumber(text: unknown, flag: string, least = 1, most = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < least) throw new UserError(`--${flag} ${String(text)}: expected a whole number of at least ${least}`);
  if (n > most) throw new UserError(`--${flag} ${String(text)}: expected at most ${most}`);
  return n;
}

/** `--sort lineitem.l_shipdate` (repeatable) as { lineitem: "l_shipdate" }. */
function sortFlags(flags: readonly string[] | undefined): Record<string, string> {
  const sortBy: Record<string, string> = {};
  for (const flag of flags ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(flag);
    if (!match) throw new UserError(`--sort ${flag}: expected TABLE.COLUMN, e.g. lineitem.l_shipdate`);
    sortBy[match[1].toLowerCase()] = match[2];
  }
  return sortBy;
}

export const datasetAddCommand: Command = {
  path: ["dataset", "add"],
  summary: "Cut parquet files (a table each) or folders of them (a table each, key=value folders its columns) into chunks, place them on the cluster's nodes and record the dataset's manifest",
  usage: "dataset add NAME --cluster D FILES_OR_FOLDERS… [--replicas N] [--chunk-rows N] [--compression lz4|zstd|snappy|uncompressed] [--sort TABLE.COLUMN]… [--from KEYFILE]",
  options: { cluster: { type: "string" }, replicas: { type: "string" }, "chunk-rows": { type: "string" }, compression: { type: "string" }, sort: { type: "string", multiple: true }, from: { type: "string" } },
  async run({ values, positionals }, context) {
    const { io } = context;
    const [name, ...files] = positionals;
    if (!name) throw new UserError("expected a dataset name and parquet files or folders: trustql dataset add tpch --cluster D data/*.parquet");
    const compression = typeof values.compression === "string" ? chunkCompression(values.compression, "--compression") : undefined;
    const dir = resolve(io.cwd, clusterDir(values));
    const cluster = readCluster(dir);
    const payer = readKeyFile(typeof values.from === "string" ? resolve(io.cwd, values.from) : cluster.genesisKey);
    // Cutting chunks needs DuckDB: loaded for this command only.
    const { addDataset, DEFAULT_REPLICAS } = await import("../sdk/dataset.ts");
    const line = new LiveLine();
    let added;
    try {
      added = await addDataset({
        name,
        files: files.map((f) => resolve(io.cwd, f)),
        cluster,
        payer,
        replicas: wholeNumber(values.replicas, "replicas") ?? DEFAULT_REPLICAS,
        chunkRows: wholeNumber(values["chunk-rows"], "chunk-rows"),
        compression,
        sortBy: sortFlags(values.sort as string[] | undefined),
        onProgress: ({ phase, done, total, detail }) => line.update(`${progressBar(done / total)} ${PROGRESS_WORDS[phase]} ${done}/${total} ${detail}`),
      });
    } finally {
      line.done();
    }
    if (context.json) {
      writeJson(io, { dataset: name, ...added });
      return 0;
    }
    const rows = added.tables.map((t) => [t.name, String(t.files), String(t.chunks), formatCount(t.rows), `${(t.bytes / 1e6).toFixed(1)} MB`]);
    io.stdout.write(textTable(["table", "files", "chunks", "rows", "size"], rows));
    io.stdout.write(`dataset ${name}: ${added.uploads} chunks sent, ${added.copies} copies held on ${cluster.nodes.length} nodes; manifest transaction ${added.tx} accepted by every node\n`);
    return 0;
  },
};

/** What each phase of `dataset add` is doing, as its progress line says. */
const PROGRESS_WORDS = { cut: "cutting", upload: "sending chunks", copy: "holders fetching copies" } as const;

export const datasetListCommand: Command = {
  path: ["dataset", "list"],
  summary: "The datasets a node knows, with how many of their chunks it holds",
  usage: "dataset list --cluster D [--node N]",
  options: { cluster: { type: "string" }, node: { type: "string", default: "0" } },
  async run({ values }, context) {
    const node = readCluster(resolve(context.io.cwd, clusterDir(values))).nodes[Number(values.node)];
    if (!node) throw new UserError(`--node ${values.node}: no such node`);
    const { datasets } = await new NodeClient(node.http).datasets();
    if (context.json) {
      writeJson(context.io, { datasets });
      return 0;
    }
    const rows = datasets.flatMap((d) => d.tables.map((t) => [`${d.name}.${t.name}`, formatCount(t.rows), String(t.chunks), String(t.held), d.tx.slice(0, 16)]));
    context.io.stdout.write(textTable(["table", "rows", "chunks", "held here", "manifest tx"], rows));
    return 0;
  },
};

export const queryCommand: Command = {
  path: ["query"],
  summary: "Run SQL over the cluster's datasets: stages on the nodes holding the chunks, rows shuffled between them",
  usage: 'query --cluster D [--node N] [--explain analyze] [--proof FILE [--from KEYFILE]] [--budget BYTES] [--small-exchange BYTES] [--format table|csv|jsonl|arrow|parquet] [--file F] "<SQL>"',
  options: { ...RESULT_OPTIONS, file: { type: "string", short: "f" }, cluster: { type: "string" }, node: { type: "string", default: "0" }, explain: { type: "string" }, budget: { type: "string" }, "small-exchange": { type: "string" }, proof: { type: "string" }, from: { type: "string" } },
  async run({ values, positionals }, context) {
    const { io } = context;
    const written = readSqlArgument(positionals, values.file, io.cwd, 'trustql query --cluster D "select …"');
    if (values.explain !== undefined && values.explain !== "analyze") throw new UserError(`--explain ${String(values.explain)}: only --explain analyze (run it and show each stage) is supported`);
    // How the nodes run it: each receiving task's memory budget, and how few bytes an exchange finished on the coordinator holds (0: none).
    const running = { budgetBytes: wholeNumber(values.budget, "budget"), smallExchangeBytes: wholeNumber(values["small-exchange"], "small-exchange", 0, MAX_SMALL_EXCHANGE_BYTES) };
    const cluster = readCluster(resolve(io.cwd, clusterDir(values)));
    const node = cluster.nodes[Number(values.node)];
    if (!node) throw new UserError(`--node ${values.node}: no such node`);
    const started = performance.now();
    const line = new LiveLine();
    let result: ClusterQueryResult;
    try {
      const proofFile = typeof values.proof === "string" ? values.proof : undefined;
      const payer = proofFile === undefined ? undefined : readKeyFile(typeof values.from === "string" ? resolve(io.cwd, values.from) : cluster.genesisKey);
      // A PIVOT without its values: they are a query of their own first, paid for when the answer is.
      const sql = await withPivotValues(written, async (query) => {
        line.update(`reading the PIVOT's values through node ${node.index}…`);
        const answer = payer ? (await queryWithProof(new NodeClient(node.http), query, payer, running)).result : await new NodeClient(node.http).query(query, running);
        return firstColumnText(answer.table);
      });
      if (proofFile !== undefined && payer) {
        line.update(`paying for the query and running it through node ${node.index}…`);
        const paid = await queryWithProof(new NodeClient(node.http), sql, payer, running);
        writeFileSync(resolve(io.cwd, proofFile), JSON.stringify(paid.proof, null, 2) + "\n");
        io.stderr.write(`query transaction ${paid.queryTx}, result transaction ${paid.resultTx}; proof written to ${proofFile}\n`);
        result = paid.result;
      } else {
        line.update(`running on the cluster through node ${node.index}…`);
        let stages = 0;
        let chunks = 0;
        let rows = 0;
        result = await new NodeClient(node.http).query(sql, {
          ...running,
          onStage: (stage) => {
            stages++;
            chunks += stage.chunksScanned;
            rows += stage.rowsOut;
            line.update(`node ${node.index}: ${stages} stages done · ${chunks} chunks scanned · ${formatCount(rows)} rows moved`);
          },
        });
      }
    } finally {
      line.done();
    }
    const elapsed = performance.now() - started;
    if (values.explain === "analyze") {
      if (context.json) writeJson(io, { plan: result.plan, workers: result.workers, stages: result.stages, planMs: result.planMs, runMs: result.runMs });
      else io.stdout.write(explainAnalyze(result));
      return 0;
    }
    await printResult(result, values, context, elapsed);
    return 0;
  },
};

/** EXPLAIN ANALYZE as text: the stages, then per stage what it ran, moved and took. */
export function explainAnalyze(result: ClusterQueryResult): string {
  const header = ["stage", "on", "tasks", "output", "rows out", "shuffled", "chunks scanned", "chunks pruned", "salted keys", "ms"];
  const rows = result.stages.map((s: StageStats) => [
    String(s.id),
    s.runsOn,
    String(s.tasks),
    s.output,
    formatCount(s.rowsOut),
    `${(s.bytesShuffled / 1e6).toFixed(2)} MB`,
    String(s.chunksScanned),
    String(s.chunksPruned),
    String(s.saltedKeys),
    s.ms.toFixed(0),
  ]);
  return [
    result.plan,
    "",
    textTable(header, rows).trimEnd(),
    `${result.workers.length} nodes; planned in ${result.planMs.toFixed(1)} ms, ran in ${result.runMs.toFixed(0)} ms`,
    "",
  ].join("\n");
}

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}
