// `cluster up|down`: a local cluster of node processes on 127.0.0.1 sharing one genesis.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../../common/errors.ts";
import { generateKeyPair, toHex } from "../../ledger/crypto.ts";
import { minePeerId } from "../../ledger/identity/index.ts";
import { addressOf } from "../../ledger/tx/index.ts";
import { readCluster, writeKeyFile, type ClusterFile, type Genesis } from "../../node/config.ts";
import type { NodeInfo } from "../../node/daemon.ts";
import { writeJson, type Command } from "../cli.ts";
import { NodeClient } from "../sdk/index.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const NODE_BINARY = join(ROOT, "node_modules", ".bin", "node");
const CLI = join(ROOT, "client", "bin", "trustql.ts");
export const MAX_CLUSTER_NODES = 32;
/** Proof-of-work bits of a local cluster's validator ids: enough to exercise the check. */
const CLUSTER_DIFFICULTY = 8;
const READY_TIMEOUT_MS = 30_000;
const MESH_TIMEOUT_MS = 15_000;

async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms (see the node's log beside it)`);
}

function withPeerId(address: string, peerId: string): string {
  return address.includes("/p2p/") ? address : `${address}/p2p/${peerId}`;
}

function startNode(dir: string, index: number, seeds: string[]): number {
  const dataDir = join(dir, `node-${index}`);
  const log = openSync(join(dataDir, "node.log"), "a");
  const child = spawn(
    NODE_BINARY,
    [CLI, "node", "start", "--data-dir", dataDir, "--genesis", join(dir, "genesis.json"), "--ready-file", join(dataDir, "ready.json"), "--seeds", seeds.join(","), "--log-level", "info"],
    { stdio: ["ignore", log, log], detached: true },
  );
  child.unref();
  return child.pid!;
}

/**
 * Starts a cluster in `dir`: a new one, or again the one a `cluster down` (or a crash) left there,
 * with its ledgers, keys and datasets. `fresh` first deletes what a stopped cluster left.
 */
export async function clusterUp(dir: string, nodes: number, options: { fresh?: boolean } = {}): Promise<ClusterFile> {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_CLUSTER_NODES) throw new UserError(`--nodes ${nodes}: expected 1 to ${MAX_CLUSTER_NODES}`);
  if (existsSync(join(dir, "cluster.json"))) {
    const running = readCluster(dir).nodes.filter((n) => isAlive(n.pid));
    if (running.length > 0) throw new UserError(`${dir} already holds a running cluster (trustql cluster down --dir ${dir} first, or use another --dir)`);
    rmSync(join(dir, "cluster.json"), { force: true }); // its nodes are gone: start them again
  }
  const stopped = existsSync(join(dir, "genesis.json"));
  if (stopped && options.fresh) {
    for (const entry of readdirSync(dir)) if (/^node-\d+$/.test(entry) || /^genesis\.(json|key)$/.test(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  const count = stopped && !options.fresh ? readdirSync(dir).filter((e) => /^node-\d+$/.test(e)).length : createGenesis(dir, nodes);
  if (count === 0) throw new UserError(`${dir} holds a genesis but no node folders: use --fresh to start over`);

  for (let i = 0; i < count; i++) rmSync(join(dir, `node-${i}`, "ready.json"), { force: true });
  const pids = [startNode(dir, 0, [])];
  const first = JSON.parse(await waitForFile(join(dir, "node-0", "ready.json"), READY_TIMEOUT_MS)) as NodeInfo;
  const seed = withPeerId(first.multiaddrs[0], first.peerId);
  for (let i = 1; i < count; i++) pids.push(startNode(dir, i, [seed]));
  const infos: NodeInfo[] = [first];
  for (let i = 1; i < count; i++) infos.push(JSON.parse(await waitForFile(join(dir, `node-${i}`, "ready.json"), READY_TIMEOUT_MS)));
  const cluster: ClusterFile = {
    genesis: join(dir, "genesis.json"),
    genesisKey: join(dir, "genesis.key"),
    nodes: infos.map((info, index) => ({
      index,
      peerId: info.peerId,
      ledgerPeer: info.ledgerPeer,
      multiaddr: withPeerId(info.multiaddrs[0], info.peerId),
      http: info.http,
      dataDir: join(dir, `node-${index}`),
      pid: pids[index],
    })),
  };
  writeFileSync(join(dir, "cluster.json"), JSON.stringify(cluster, null, 2) + "\n");
  await waitForMesh(cluster, MESH_TIMEOUT_MS);
  return cluster;
}

/** Writes a new cluster's genesis (validators with mined peer ids, a funded key) and node folders; returns the node count. */
function createGenesis(dir: string, nodes: number): number {
  mkdirSync(dir, { recursive: true });
  const genesisKeys = generateKeyPair();
  writeKeyFile(join(dir, "genesis.key"), genesisKeys);
  const validators = [];
  for (let i = 0; i < nodes; i++) {
    mkdirSync(join(dir, `node-${i}`), { recursive: true });
    const keys = generateKeyPair();
    writeKeyFile(join(dir, `node-${i}`, "ledger.key"), keys);
    const { peer, proof } = minePeerId(keys.publicKey, CLUSTER_DIFFICULTY);
    validators.push({ peer: toHex(peer), publicKey: toHex(keys.publicKey), powNonce: proof.powNonce.toString() });
  }
  const genesis: Genesis = { validators, difficulty: CLUSTER_DIFFICULTY, address: toHex(addressOf(genesisKeys.publicKey)), createdMs: Date.now() };
  writeFileSync(join(dir, "genesis.json"), JSON.stringify(genesis, null, 2) + "\n");
  return nodes;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until every node is connected to every other (peer exchange forms the mesh), or the time is up. */
async function waitForMesh(cluster: ClusterFile, timeoutMs: number): Promise<void> {
  const clients = cluster.nodes.map((n) => new NodeClient(n.http));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const peers = await Promise.all(clients.map((c) => c.health().then((h) => h.peers, () => 0)));
    if (peers.every((p) => p >= cluster.nodes.length - 1)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function clusterDown(dir: string): Promise<number> {
  const cluster = readCluster(dir);
  for (const n of cluster.nodes) if (isAlive(n.pid)) process.kill(n.pid, "SIGTERM");
  const started = Date.now();
  while (cluster.nodes.some((n) => isAlive(n.pid)) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 100));
  for (const n of cluster.nodes) if (isAlive(n.pid)) process.kill(n.pid, "SIGKILL");
  rmSync(join(dir, "cluster.json"), { force: true });
  return cluster.nodes.length;
}

export const clusterUpCommand: Command = {
  path: ["cluster", "up"],
  summary: "Start a local cluster of node processes on 127.0.0.1 with a funded genesis, or start a stopped one again with its data",
  usage: "cluster up --nodes N --dir D [--detach] [--fresh]",
  options: { nodes: { type: "string", default: "4" }, dir: { type: "string", default: ".trustql/cluster" }, detach: { type: "boolean" }, fresh: { type: "boolean" } },
  async run({ values }, context) {
    const { io } = context;
    const dir = resolve(io.cwd, String(values.dir));
    const cluster = await clusterUp(dir, Number(values.nodes), { fresh: Boolean(values.fresh) });
    if (context.json) writeJson(io, cluster);
    else {
      for (const n of cluster.nodes) io.stdout.write(`node ${n.index}  ${n.ledgerPeer.slice(0, 12)}  ${n.multiaddr}  ${n.http}  pid ${n.pid}\n`);
      io.stdout.write(`cluster of ${cluster.nodes.length} up in ${dir}; genesis key ${cluster.genesisKey}\n`);
    }
    if (values.detach) return 0;
    if (!context.json) io.stdout.write("Ctrl-C stops it (or run with --detach, and later trustql cluster down)\n");
    await new Promise<void>((done) => {
      const stop = () => void clusterDown(dir).then(() => done());
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  },
};

export const clusterDownCommand: Command = {
  path: ["cluster", "down"],
  summary: "Stop a local cluster's nodes (SIGTERM, then SIGKILL after 10 s)",
  usage: "cluster down --dir D",
  options: { dir: { type: "string", default: ".trustql/cluster" } },
  async run({ values }, context) {
    const stopped = await clusterDown(resolve(context.io.cwd, String(values.dir)));
    if (context.json) writeJson(context.io, { stopped });
    else context.io.stdout.write(`stopped ${stopped} nodes\n`);
    return 0;
  },
};
