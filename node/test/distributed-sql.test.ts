// Distributed SQL on a real cluster: four node processes on 127.0.0.1, TPC-H SF 0.01 added as
// a dataset (chunks on the two nodes nearest each chunk's hash, the manifest in a transaction),
// every TPC-H query through a different coordinator, compared with DuckDB alone on the same
// files. Then pruning as EXPLAIN ANALYZE shows it (a ship-date filter on lineitem sorted by ship
// date), a paid query's proof, a node killed mid-query, a node lying about its outputs, the
// sqllogictest corpus, and a skewed key under a small memory budget.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTpch, type GeneratedTable } from "../../datagen/tpch/index.ts";
import { LocalEngine } from "../../exec/index.ts";
import { clusterDown, clusterUp } from "../../client/commands/cluster.ts";
import { addDataset } from "../../client/sdk/dataset.ts";
import { NodeClient } from "../../client/sdk/index.ts";
import { EVERYWHERE_MAX_ROWS } from "../../planner/catalog.ts";
import type { StageStats } from "../../exec/stages/index.ts";
import { resultLines, resultValues } from "../../sql-tests/runner/values.ts";
import { formatFailures, runSltFile, type ClusterTarget } from "../../sql-tests/runner/runner.ts";
import { readKeyFile, verifyQueryResultFile, type ClusterFile } from "../index.ts";
import { DatasetStore } from "../datasets.ts";
import { readManifest } from "../manifest.ts";
import { queryWithProof } from "../../client/sdk/query.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const QUERIES = join(ROOT, "sql-tests", "tpch", "queries");
const CHUNK_ROWS = 10_000;

let dir: string;
let cluster: ClusterFile;
let nodes: NodeClient[];
let reference: LocalEngine;
let tables: GeneratedTable[];
let added: Awaited<ReturnType<typeof addDataset>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-dsql-"));
  tables = await generateTpch({ sf: 0.01, out: join(dir, "data") });
  reference = await LocalEngine.open({ threads: 2 });
  for (const t of tables) await reference.runReferenceSql(`CREATE VIEW ${t.name} AS SELECT * FROM read_parquet('${t.file}')`);
  cluster = await clusterUp(join(dir, "cluster"), 4);
  nodes = cluster.nodes.map((n) => new NodeClient(n.http));
  const started = Date.now();
  while ((await Promise.all(nodes.map((n) => n.health()))).some((h) => h.peers < 3) && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 100));
  // lineitem sorted by ship date, as a user would cluster it: date filters prune chunks.
  added = await addDataset({ name: "tpch", files: tables.map((t) => t.file), cluster, payer: readKeyFile(cluster.genesisKey), chunkRows: CHUNK_ROWS, sortBy: { lineitem: "l_shipdate" } });
}, 120_000);

afterAll(async () => {
  reference?.close();
  // A node restarted by a test runs under a pid cluster.json does not know.
  for (const node of cluster?.nodes ?? []) {
    try {
      process.kill(node.pid, "SIGTERM");
    } catch {
      // gone already
    }
  }
  if (dir) {
    await clusterDown(join(dir, "cluster")).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

/** Stops node `index` (SIGTERM) and starts it again on the same data dir with `args`, until it has `peers` peers. */
async function restartNode(index: number, args: string[], peers: number): Promise<NodeClient> {
  const node = cluster.nodes[index];
  process.kill(node.pid, "SIGTERM");
  const alive = () => {
    try {
      process.kill(node.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const started = Date.now(); alive() && Date.now() - started < 10_000; ) await new Promise((r) => setTimeout(r, 50));
  const ready = join(node.dataDir, `ready-${Date.now()}.json`);
  const child = spawn(join(ROOT, "node_modules", ".bin", "node"), [join(ROOT, "client", "bin", "trustql.ts"), "node", "start", "--data-dir", node.dataDir, "--genesis", cluster.genesis, "--ready-file", ready, "--seeds", cluster.nodes.filter((_, i) => i !== index).map((n) => n.multiaddr).join(","), ...args], { stdio: "ignore", detached: true });
  child.unref();
  node.pid = child.pid!;
  let info: { http: string } | undefined;
  for (const started = Date.now(); !info && Date.now() - started < 20_000; ) {
    try {
      info = JSON.parse(readFileSync(ready, "utf8"));
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!info) throw new Error(`node ${index} did not restart`);
  const client = new NodeClient(info.http);
  nodes[index] = client;
  for (const started = Date.now(); Date.now() - started < 15_000; ) {
    if ((await client.health()).peers >= peers) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500)); // identify tells the others what it serves
  return client;
}

async function expected(sql: string): Promise<string[]> {
  return resultLines(resultValues((await reference.runReferenceSql(sql)).table), "nosort", 0);
}

describe("the sqllogictest corpus through the cluster", () => {
  const corpus = join(ROOT, "sql-tests", "slt");
  // Runs first: later tests kill a node and make another lie. Each setup's tables are the dataset "slt" (re-added when a statement changes them). Every
  // table is small enough for every node to hold, so queries are asked to read them where their
  // chunks are, and to send even a few rows node to node (not finish small exchanges on the
  // coordinator, as the TPC-H queries below do): aggregates, windows, set operations and ORDER
  // BY move rows between the processes (joins broadcast such small sides). Every task is checked.
  let asked = 0;
  let shuffledBytes = 0;
  const target: ClusterTarget = {
    load: async (files) => void (await addDataset({ name: "slt", files, cluster, payer: readKeyFile(cluster.genesisKey) })),
    query: async (sql) => {
      asked++;
      const answer = await nodes[2].query(sql, { smallTablesEverywhere: false, smallExchangeBytes: 0, verifyFraction: 1 });
      shuffledBytes += answer.stages.reduce((n, s) => n + s.bytesShuffled, 0);
      return resultValues(answer.table);
    },
  };
  it.each(readdirSync(corpus).filter((f) => f.endsWith(".slt")).sort())("%s gives the file's and DuckDB's answers", async (file) => {
    [asked, shuffledBytes] = [0, 0];
    const result = await runSltFile(join(corpus, file), { cluster: target });
    expect(result.failures, formatFailures(result)).toEqual([]);
    expect(asked).toBeGreaterThan(0);
    if (!file.startsWith("errors")) expect(shuffledBytes).toBeGreaterThan(0);
  }, 120_000);
});

describe("a Zipf-skewed key under a small memory budget on the cluster", () => {
  /** Above each receiving task's fair share of the shuffled rows, far below the hot key's. */
  const budgetBytes = 1 << 20;
  /** The most one exchange batch (4,096 of these narrow rows) may take a task past its budget. */
  const batchSlack = 256 << 10;

  it("salts the hot key, spreads it over the nodes and merges it: DuckDB's answer, no node's receiving task past its budget and a batch", async () => {
    // Even rows have key 0 (half of 200k); the others follow a Zipf-like law over 1..1000.
    const file = join(dir, "skew", "skewed.parquet");
    mkdirSync(join(dir, "skew"));
    await reference.runReferenceSql(`COPY (SELECT CASE WHEN i % 2 = 0 THEN 0 ELSE 1 + floor(1000 * pow((hash(i) % 1000000) / 1000000.0, 3))::INTEGER END AS k,
      (i % 97)::DOUBLE AS v, 'note-' || (i % 40000) AS note FROM range(200000) r(i)) TO '${file}' (FORMAT parquet)`);
    await reference.runReferenceSql(`CREATE VIEW skewed AS SELECT * FROM read_parquet('${file}')`);
    await addDataset({ name: "skew", files: [file], cluster, payer: readKeyFile(cluster.genesisKey), chunkRows: 20_000 });
    const sql = "SELECT k, count(DISTINCT note) AS notes, count(*) AS n FROM skewed GROUP BY k";
    const answer = await nodes[1].query(sql, { budgetBytes });
    expect(resultLines(resultValues(answer.table), "rowsort", 0)).toEqual(resultLines(resultValues((await reference.runReferenceSql(sql)).table), "rowsort", 0));
    const salted = answer.stages.filter((s) => s.saltedKeys > 0);
    expect(salted.length).toBeGreaterThan(0);
    for (const stage of salted) {
      expect(stage.peakInputBytes).toHaveLength(4);
      for (const peak of stage.peakInputBytes) expect(peak, JSON.stringify(answer.stages.map((s) => [s.id, s.output, s.saltedKeys, s.peakInputBytes, s.rowsOut])) + answer.plan).toBeLessThanOrEqual(budgetBytes + batchSlack);
    }
  });
});

describe("tables clustered on a join key, on the cluster", () => {
  it("joins them where the chunks of one are, each task reading the other's chunks of its keys (fetching those its node lacks): DuckDB's answer", async () => {
    mkdirSync(join(dir, "ranged"));
    const file = (name: string) => join(dir, "ranged", `${name}.parquet`);
    // Both in key order, neither small enough to send to every node.
    await reference.runReferenceSql(`COPY (SELECT CASE WHEN i < 20000 THEN i // 3 END::BIGINT AS k, i % 11 AS v FROM range(21000) t(i) ORDER BY i) TO '${file("facts")}' (FORMAT parquet)`);
    await reference.runReferenceSql(`COPY (SELECT k::BIGINT AS k, k % 13 AS w, 'dimension number ' || k AS label FROM range(7000) t(k) WHERE k % 7 <> 3 ORDER BY k) TO '${file("dims")}' (FORMAT parquet)`);
    for (const name of ["facts", "dims"]) await reference.runReferenceSql(`CREATE VIEW ${name} AS SELECT * FROM read_parquet('${file(name)}')`);
    await addDataset({ name: "ranged", files: [file("facts"), file("dims")], cluster, payer: readKeyFile(cluster.genesisKey), chunkRows: 1_024 });
    const sql = "SELECT f.v, count(*), sum(d.w), count(d.label) FROM ranged.facts f LEFT JOIN ranged.dims d ON f.k = d.k GROUP BY f.v ORDER BY 1";
    const answer = await nodes[3].query(sql);
    expect(answer.plan).toMatch(/ranged\.dims \(chunks meeting ranged\.facts's by k = k\)/);
    expect(resultLines(resultValues(answer.table), "nosort", 0)).toEqual(await expected(sql.replaceAll("ranged.", "")));
    // Each node fetched what it lacked of dims: none declined its tasks.
    expect(answer.stages.map((s) => s.retried)).toEqual(answer.stages.map(() => 0));
  });

  it("plans a query asked again once, until a dataset is recorded again", async () => {
    const plans = async () => {
      const text = await (await fetch(`${cluster.nodes[3].http}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)![1]);
      return { asked: value("trustql_query_plans_total"), made: value("trustql_query_plans_made_total") };
    };
    const sql = "SELECT count(*) FROM ranged.facts f JOIN ranged.dims d ON f.k = d.k";
    const before = await plans();
    const first = await nodes[3].query(sql);
    await nodes[3].query(sql);
    expect(await plans()).toEqual({ asked: before.asked + 2, made: before.made + 1 });
    await addDataset({ name: "ranged", files: [join(dir, "ranged", "facts.parquet")], cluster, payer: readKeyFile(cluster.genesisKey), chunkRows: 1_024 });
    await expect(nodes[3].query(sql)).rejects.toThrow(/dims/);
    expect((await plans()).made).toBe(before.made + 2);
    expect(resultLines(resultValues(first.table), "nosort", 0)).toEqual(await expected(sql.replaceAll("ranged.", "")));
  });
});

describe("TPC-H on a cluster of four processes", () => {
  it("records the dataset on every node, each chunk held by two, a small table's by all: the client sent each chunk once, its other holders fetched it", async () => {
    for (const node of nodes) {
      const { datasets } = await node.datasets();
      const tpch = datasets.find((d) => d.name === "tpch");
      expect(tpch?.tables.find((t) => t.name === "lineitem")?.rows).toBe(tables.find((t) => t.name === "lineitem")!.rows);
    }
    const listed = await Promise.all(nodes.map((n) => n.datasets().then((d) => d.datasets.find((x) => x.name === "tpch")!.tables)));
    for (const table of listed[0]) {
      const held = listed.reduce((sum, tables) => sum + tables.find((t) => t.name === table.name)!.held, 0);
      // nation, region and supplier (25, 5 and 100 rows) are held everywhere (isHeldEverywhere).
      expect(held, table.name).toBe((table.rows <= EVERYWHERE_MAX_ROWS ? nodes.length : 2) * table.chunks);
    }
    expect(listed[0].filter((t) => t.rows <= EVERYWHERE_MAX_ROWS).map((t) => t.name).sort()).toEqual(["nation", "region", "supplier"]);
    expect(added.uploads).toBe(listed[0].reduce((n, t) => n + t.chunks, 0));
    expect(added.copies).toBe(listed.flat().reduce((n, t) => n + t.held, 0));
    expect(added.copies).toBeGreaterThan(2 * added.uploads);
  });

  const ids = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, "0")}`);
  it.each(ids)("%s gives DuckDB's answer on the same files", async (id) => {
    const sql = readFileSync(join(QUERIES, `${id}.sql`), "utf8");
    const result = await nodes[Number(id.slice(1)) % 4].query(sql);
    expect(result.workers).toHaveLength(4);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expected(sql));
  }, 60_000);

  it("finishes an exchange of a few rows on the coordinator: Q1's final aggregate runs there, as one task, unless the query says", async () => {
    const sql = readFileSync(join(QUERIES, "q01.sql"), "utf8");
    const finishedHere = (stages: StageStats[]) => stages.filter((s) => s.runsOn === "coordinator" && s.output !== "result");
    const small = await nodes[1].query(sql);
    expect(finishedHere(small.stages).map((s) => s.tasks)).toEqual([1]);
    const spread = await nodes[1].query(sql, { smallExchangeBytes: 0 });
    expect(finishedHere(spread.stages)).toEqual([]);
    expect(resultLines(resultValues(small.table), "nosort", 0)).toEqual(resultLines(resultValues(spread.table), "nosort", 0));
    await expect(nodes[1].query(sql, { smallExchangeBytes: -1 })).rejects.toThrow(/smallExchangeBytes -1/);
    await expect(nodes[1].query(sql, { smallExchangeBytes: 2 ** 40 })).rejects.toThrow(/smallExchangeBytes 1099511627776: .* up to 67108864/);
  });

  it("prunes chunks a filter cannot match before any task starts (EXPLAIN ANALYZE's counts), reporting each stage as it ends", async () => {
    const sql = "SELECT count(*), sum(l_quantity) FROM tpch.lineitem WHERE l_shipdate < DATE '1992-06-01'";
    const streamed: number[] = [];
    const result = await nodes[1].query(sql, { onStage: (stage) => streamed.push(stage.id) });
    expect(streamed.sort()).toEqual(result.stages.map((s) => s.id).sort());
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expected(sql.replace("tpch.", "")));
    const scan = result.stages.find((s) => s.chunksScanned + s.chunksPruned > 0)!;
    expect(scan.chunksScanned).toBe(1);
    expect(scan.chunksPruned).toBeGreaterThanOrEqual(5);
  });

  it("refuses SQL it cannot plan with the reason, and a table no dataset holds", async () => {
    await expect(nodes[0].query("SELECT nope FROM tpch.nation")).rejects.toThrow(/nope/);
    await expect(nodes[0].query("SELECT * FROM other.t")).rejects.toThrow(/other\.t/);
  });

  it("records a paid query and its result in transactions; the proof file verifies offline, and not once tampered with", async () => {
    const sql = readFileSync(join(QUERIES, "q05.sql"), "utf8");
    const paid = await queryWithProof(nodes[2], sql, readKeyFile(cluster.genesisKey));
    expect(resultLines(resultValues(paid.result.table), "nosort", 0)).toEqual(await expected(sql));
    const check = verifyQueryResultFile(paid.proof);
    expect(check, check.reason).toMatchObject({ ok: true, rows: paid.result.table.numRows, validators: 4 });
    expect(check.attested).toBeGreaterThan(0);
    const forged = structuredClone(paid.proof);
    forged.attestations[0].rows += 1;
    expect(verifyQueryResultFile(forged)).toMatchObject({ ok: false, reason: expect.stringMatching(/attestation 0/) });
    const tampered = structuredClone(paid.proof);
    tampered.rows[0][1] = "0.0001";
    expect(verifyQueryResultFile(tampered)).toMatchObject({ ok: false, reason: expect.stringMatching(/rows hash to/) });
    // One payment, one answer: the same query transaction is not answered twice.
    await expect(nodes[2].query(sql, { queryTx: paid.queryTx })).rejects.toThrow(/answered already/);
  }, 60_000);

  it("fetches the chunks of a table every node holds that a node lacks, and gives the same answer", async () => {
    // The manifest as node 2 recorded it (read from its data directory): the small tables' chunks.
    const { manifest } = new DatasetStore(cluster.nodes[2].dataDir).get("tpch")!;
    const everywhere = readManifest(manifest).filter((t) => t.rows <= EVERYWHERE_MAX_ROWS).flatMap((t) => t.chunks.map((c) => c.hash));
    expect(everywhere.length).toBeGreaterThanOrEqual(3); // nation, region, supplier
    for (const hash of everywhere) rmSync(join(cluster.nodes[2].dataDir, "chunks", `${hash}.parquet`));
    expect((await nodes[2].chunks()).chunks.filter((hash) => everywhere.includes(hash))).toEqual([]);
    // Read only by node 2's own tasks (it coordinates, and tables every node holds are read where
    // the query is asked): which other node's tasks read them depends on where the other chunks lie.
    const sql = "SELECT r_name, count(*), sum(s_acctbal) FROM tpch.supplier JOIN tpch.nation ON s_nationkey = n_nationkey JOIN tpch.region ON n_regionkey = r_regionkey GROUP BY 1 ORDER BY 1";
    const result = await nodes[2].query(sql);
    // Node 2 fetched them for its tasks: it declined none (its other chunks would have gone to their other holders).
    expect(result.lost).toEqual([]);
    expect(result.stages.map((s) => s.retried)).toEqual(result.stages.map(() => 0));
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expected(sql.replaceAll("tpch.", "")));
    expect((await nodes[2].chunks()).chunks.filter((hash) => everywhere.includes(hash)).sort()).toEqual(everywhere.sort());
    // And a query of every table, asked elsewhere, gives the same answer.
    const q5 = readFileSync(join(QUERIES, "q05.sql"), "utf8");
    expect(resultLines(resultValues((await nodes[0].query(q5)).table), "nosort", 0)).toEqual(await expected(q5));
  });

  it("gives the same answer when a node is killed in the middle of a query, then re-replicates its chunks", async () => {
    const sql = readFileSync(join(QUERIES, "q09.sql"), "utf8");
    const victim = cluster.nodes[3];
    // Killed as soon as the first stage is done: certainly in the middle of the query.
    let killed = false;
    const result = await nodes[1].query(sql, {
      onStage: () => {
        if (!killed) process.kill(victim.pid, "SIGKILL");
        killed = true;
      },
    });
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expected(sql));
    // Rows it held or was sent are gone with it: the query started over without it.
    expect(result.lost).toEqual([victim.peerId]);
    const after = await nodes[1].query(sql);
    expect(after.workers).toHaveLength(3);
    expect(resultLines(resultValues(after.table), "nosort", 0)).toEqual(await expected(sql));
    // The chunks it held are copied to the next nearest live nodes: every chunk of every recorded
    // dataset has two copies among the three again (not those of the corpus's replaced versions).
    const all = [...new DatasetStore(cluster.nodes[0].dataDir).referencedChunks()];
    const fewest = async () => {
      const held = await Promise.all(nodes.slice(0, 3).map((n) => n.chunks().then((c) => new Set(c.chunks))));
      return Math.min(...[...new Set(all)].map((hash) => held.filter((h) => h.has(hash)).length));
    };
    let copies = await fewest();
    for (const started = Date.now(); copies < 2 && Date.now() - started < 30_000; copies = await fewest()) await new Promise((r) => setTimeout(r, 250));
    expect(copies).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("catches a node that returns wrong task outputs: it loses trust, the client gets the right answer", async () => {
    // Node 3 is gone (the test above): the liar has two peers.
    await restartNode(2, ["--misbehave", "wrong-results"], 2);
    const liar = cluster.nodes[2].peerId;
    const sql = readFileSync(join(QUERIES, "q03.sql"), "utf8");
    // Every stage on every node (small exchanges not finished on the coordinator): the liar has
    // tasks to lie in, whichever chunks its scans were given.
    const result = await nodes[0].query(sql, { verifyFraction: 1, smallExchangeBytes: 0 });
    expect(result.distrusted).toEqual([liar]);
    expect(resultLines(resultValues(result.table), "nosort", 0)).toEqual(await expected(sql));
    const { network } = (await (await fetch(`${cluster.nodes[0].http}/v1/peers`)).json()) as { network: { peerId: string; blocked: boolean }[] };
    expect(network.find((p) => p.peerId === liar)?.blocked ?? true).toBe(true);
    // The coordinator no longer gives it work: it refuses its connections.
    const next = await nodes[0].query(sql, { verifyFraction: 1 });
    expect(next.workers).not.toContain(liar);
    expect(resultLines(resultValues(next.table), "nosort", 0)).toEqual(await expected(sql));
  }, 90_000);

  it("stops a query that runs past the coordinator's limit, with an error that names it, and goes on serving", async () => {
    const limited = await restartNode(1, ["--max-query-seconds", "1"], 1);
    const started = Date.now();
    const endless = limited.query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r");
    await expect(endless).rejects.toThrow("the query ran past this node's limit of 1 s (node start --max-query-seconds)");
    expect(Date.now() - started).toBeLessThan(10_000);
    const answer = await limited.query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r");
    expect(resultLines(resultValues(answer.table), "nosort", 0)).toEqual(["15"]);
  }, 60_000);
});
