// A real cluster: four node processes on 127.0.0.1, driven through their HTTP APIs the way
// the CLI drives them. Bounded in time; every process is stopped at the end.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair, toHex, type KeyPair } from "../../ledger/crypto.ts";
import { COIN } from "../../ledger/schema.ts";
import { addressOf, buildTransfer, nodeSigner } from "../../ledger/tx/index.ts";
import { clusterDown, clusterUp } from "../../client/commands/cluster.ts";
import { buildSignedTransfer, hashOf, NodeClient, waitForAcceptance } from "../../client/sdk/index.ts";
import { readKeyFile, verifyProofFile, type ClusterFile } from "../index.ts";
import { Network, TOPICS } from "../../net/index.ts";
import { encodeBatch, encodeEnvelope } from "../codec.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const WALLETS = 5;
const TRANSFERS_PER_WALLET = 40;

let dir: string;
let cluster: ClusterFile;
let nodes: NodeClient[];
let genesis: KeyPair;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trustql-cluster-"));
  cluster = await clusterUp(dir, 4);
  nodes = cluster.nodes.map((n) => new NodeClient(n.http));
  genesis = readKeyFile(cluster.genesisKey);
  const started = Date.now();
  while ((await Promise.all(nodes.map((n) => n.health()))).some((h) => h.peers < 3) && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 100));
}, 60_000);

afterAll(async () => {
  if (dir) {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

/**
 * Builds from the unspent outputs `source` knows (the node that accepted the sender's last
 * transfer), submits through `via`; `decided`: in one request that answers once `via` decided it.
 */
async function transfer(from: KeyPair, to: Uint8Array, amount: bigint, via: NodeClient, source: NodeClient = via, decided = false): Promise<string> {
  const tx = await buildSignedTransfer(source, from, to, amount, 1000n);
  const result = await via.submit(tx, decided ? { waitMs: 9_000 } : {});
  if (decided) expect(result.state, result.reason).toBe("ACCEPTED");
  else expect(result.state, result.reason).not.toBe("REJECTED");
  return hashOf(tx);
}

describe("a cluster of four processes", () => {
  it(`accepts ${WALLETS * TRANSFERS_PER_WALLET} transfers from several wallets through different nodes, everywhere, with equal balances`, async () => {
    const wallets = Array.from({ length: WALLETS }, () => generateKeyPair());
    for (const [i, w] of wallets.entries()) {
      const hash = await transfer(genesis, addressOf(w.publicKey), 1000n * COIN, nodes[i % 4]);
      expect(await waitForAcceptance(nodes, hash, 15_000)).toEqual(["ACCEPTED", "ACCEPTED", "ACCEPTED", "ACCEPTED"]);
    }
    const sink = addressOf(generateKeyPair().publicKey);
    await Promise.all(
      wallets.map(async (w, i) => {
        let source = nodes[i % 4];
        for (let k = 0; k < TRANSFERS_PER_WALLET; k++) {
          const via = nodes[(i + k) % 4];
          // Every other transfer is submitted and awaited in one request.
          const decided = k % 2 === 0;
          const hash = await transfer(w, sink, COIN, via, source, decided);
          source = via;
          if (!decided) expect(await waitForAcceptance([via], hash, 15_000)).toEqual(["ACCEPTED"]);
        }
      }),
    );
    const expected = BigInt(WALLETS * TRANSFERS_PER_WALLET) * COIN;
    const started = Date.now();
    let balances: string[] = [];
    while (Date.now() - started < 15_000) {
      balances = await Promise.all(nodes.map((n) => n.balance(toHex(sink)).then((b) => b.baseUnits)));
      if (balances.every((b) => b === expected.toString())) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(balances).toEqual(Array(4).fill(expected.toString()));
    // Every node counted every commit (/metrics), and timed the ones submitted to it.
    for (const node of cluster.nodes) {
      const text = await (await fetch(`${node.http}/metrics`)).text();
      const value = (series: string) => Number(new RegExp(`^${series} (\\S+)$`, "m").exec(text)?.[1]);
      expect(value("trustql_transactions_accepted_total")).toBeGreaterThanOrEqual(WALLETS * (TRANSFERS_PER_WALLET + 1));
      expect(value("trustql_finality_ms_count")).toBeGreaterThan(0);
      expect(value("trustql_peers")).toBe(3);
    }
  }, 120_000);

  it("accepts exactly one of two transactions spending one output, sent at once to two nodes", async () => {
    const wallet = generateKeyPair();
    const funded = await transfer(genesis, addressOf(wallet.publicKey), 10n * COIN, nodes[0]);
    await waitForAcceptance(nodes, funded, 15_000);
    const available = await nodes[1].unspent(toHex(addressOf(wallet.publicKey)));
    const [a, b] = [1, 2].map((n) =>
      buildTransfer({ available, to: addressOf(generateKeyPair().publicKey), amount: COIN, fee: 1000n, createdMs: Date.now(), nonce: BigInt(n) }, nodeSigner(wallet)),
    );
    await Promise.all([nodes[1].submit(a), nodes[2].submit(b)]);
    const [ha, hb] = [hashOf(a), hashOf(b)];
    const started = Date.now();
    let states: { a: string[]; b: string[] } = { a: [], b: [] };
    while (Date.now() - started < 20_000) {
      states = {
        a: await Promise.all(nodes.map((n) => n.status(ha).then((s) => s.state))),
        b: await Promise.all(nodes.map((n) => n.status(hb).then((s) => s.state))),
      };
      const decided = (xs: string[]) => xs.every((s) => s === "ACCEPTED") || xs.every((s) => s === "REJECTED" || s === "UNKNOWN");
      if (decided(states.a) && decided(states.b) && (states.a[0] === "ACCEPTED") !== (states.b[0] === "ACCEPTED")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const winner = states.a[0] === "ACCEPTED" ? "a" : "b";
    const loser = winner === "a" ? hb : ha;
    expect(states[winner]).toEqual(Array(4).fill("ACCEPTED"));
    const loserStates = await Promise.all(nodes.map((n) => n.status(loser)));
    expect(loserStates.every((s) => s.state !== "ACCEPTED")).toBe(true);
    expect(loserStates.some((s) => s.state === "REJECTED" && s.reason === "spent_input")).toBe(true);
  }, 60_000);

  it("gives a proof of acceptance that verifies offline, and not once tampered with", async () => {
    const hash = await transfer(genesis, addressOf(generateKeyPair().publicKey), 3n * COIN, nodes[3]);
    await waitForAcceptance(nodes, hash, 15_000);
    const proof = await nodes[2].proof(hash);
    expect(verifyProofFile(proof)).toMatchObject({ ok: true, validators: 4 });
    expect(verifyProofFile({ ...proof, edges: proof.edges.slice(0, 2) }).ok).toBe(false);
    expect(verifyProofFile({ ...proof, hash: "00".repeat(32) }).ok).toBe(false);
  }, 30_000);

  it("charges a rogue peer that gossips garbage and transactions with bad signatures, and keeps serving", async () => {
    const rogue = await Network.create({ listen: ["/ip4/127.0.0.1/tcp/0"], seeds: [cluster.nodes[0].multiaddr] });
    try {
      rogue.subscribe(TOPICS.transactions, () => "ignore");
      const started = Date.now();
      let penalized = false;
      while (!penalized && Date.now() - started < 20_000) {
        await rogue.publish(TOPICS.transactions, new Uint8Array(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256)))).catch(() => {});
        // A well-formed transfer whose signature is not its owner's.
        const forged = await buildSignedTransfer(nodes[0], genesis, addressOf(generateKeyPair().publicKey), COIN, 1000n);
        forged.witnesses[0].signature = new Uint8Array(64).fill(7);
        await rogue.publish(TOPICS.transactions, encodeBatch([encodeEnvelope({ kind: "tx", tx: forged }, "all", "00".repeat(32))])).catch(() => {});
        const peers = (await (await fetch(`${cluster.nodes[0].http}/v1/peers`)).json()) as { network: { peerId: string; penalty: number }[] };
        penalized = peers.network.some((p) => p.peerId === rogue.peerId && p.penalty > 0);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(penalized).toBe(true);
      const hash = await transfer(genesis, addressOf(generateKeyPair().publicKey), COIN, nodes[0]);
      expect(await waitForAcceptance(nodes, hash, 15_000)).toEqual(Array(4).fill("ACCEPTED"));
    } finally {
      await rogue.stop();
    }
  }, 60_000);

  it("brings a node killed with SIGKILL back in agreement after a restart", async () => {
    const victim = cluster.nodes[3];
    process.kill(victim.pid, "SIGKILL");
    const sink = addressOf(generateKeyPair().publicKey);
    for (let k = 0; k < 5; k++) {
      const hash = await transfer(genesis, sink, COIN, nodes[k % 3], nodes[0]);
      expect(await waitForAcceptance(nodes.slice(0, 3), hash, 15_000)).toEqual(["ACCEPTED", "ACCEPTED", "ACCEPTED"]);
    }
    const log = join(victim.dataDir, "restart.log");
    const child = spawn(join(ROOT, "node_modules", ".bin", "node"), [join(ROOT, "client", "bin", "trustql.ts"), "node", "start", "--data-dir", victim.dataDir, "--genesis", cluster.genesis, "--ready-file", join(victim.dataDir, "ready-2.json"), "--seeds", cluster.nodes[0].multiaddr], { stdio: "ignore", detached: true });
    child.unref();
    victim.pid = child.pid!;
    let info: { http: string } | undefined;
    const started = Date.now();
    while (!info && Date.now() - started < 20_000) {
      try {
        info = JSON.parse(readFileSync(join(victim.dataDir, "ready-2.json"), "utf8"));
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(info, log).toBeDefined();
    const restarted = new NodeClient(info!.http);
    const expected = (5n * COIN).toString();
    let balance = "";
    while (Date.now() - started < 40_000) {
      balance = (await restarted.balance(toHex(sink)).catch(() => ({ baseUnits: "" }))).baseUnits;
      if (balance === expected) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(balance).toBe(expected);
    // cluster down stops it through cluster.json; record its new pid there too.
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "cluster.json"), JSON.stringify(cluster, null, 2) + "\n");
  }, 90_000);

  it("starts again after cluster down with its ledgers: same validators, same balances, and accepts new transfers", async () => {
    const genesisAddress = toHex(addressOf(genesis.publicKey));
    const before = await nodes[0].balance(genesisAddress);
    await clusterDown(dir);
    await expect(clusterUp(dir, 4)).resolves.toBeDefined();
    await expect(clusterUp(dir, 4)).rejects.toThrow(/already holds a running cluster/);
    cluster = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8"));
    nodes = cluster.nodes.map((n) => new NodeClient(n.http));
    for (const node of nodes) expect(await node.balance(genesisAddress)).toEqual(before);
    const hash = await transfer(genesis, addressOf(generateKeyPair().publicKey), COIN, nodes[1]);
    expect(await waitForAcceptance(nodes, hash, 15_000)).toEqual(["ACCEPTED", "ACCEPTED", "ACCEPTED", "ACCEPTED"]);
  }, 90_000);
});

