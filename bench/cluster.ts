// `npm run bench:cluster -- --nodes 4 --seconds 30`: transfers through a local cluster at
// rising rates; accepted tx/s at saturation, finality (submit → ACCEPTED on every node) at
// each rate, each node's RSS after each rate and its peak, and this machine's ed25519 verify
// ceiling measured in the same run. `--rates 200,200,200,200 --seconds 600` holds one rate
// instead: the RSS column then shows whether a node's memory levels off.
// KEEP=1 keeps the cluster's directory (each node's log) and prints where it is.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aboveZero, numberListOption, numberOption, parseOptions, wholeFrom } from "../common/options.ts";
import { generateKeyPair, sign, toHex, verify, type KeyPair } from "../ledger/crypto.ts";
import { COIN, type Output } from "../ledger/schema.ts";
import { addressOf, buildTransfer, nodeSigner, signBody, type Spendable } from "../ledger/tx/index.ts";
import { clusterDown, clusterUp } from "../client/commands/cluster.ts";
import { hashOf, NodeClient, waitForAcceptance } from "../client/sdk/index.ts";
import { readKeyFile } from "../node/index.ts";
import { median, percentile, printTable, processMemoryMiB } from "./report.ts";

const values = parseOptions("bench:cluster", { nodes: { type: "string", default: "4" }, seconds: { type: "string", default: "30" }, wallets: { type: "string", default: "2000" }, rates: { type: "string", default: "100,250,500,1000,2000,4000" } });
const nodeCount = numberOption("bench:cluster", "nodes", values.nodes, wholeFrom(1));
const seconds = numberOption("bench:cluster", "seconds", values.seconds, aboveZero);
const walletCount = numberOption("bench:cluster", "wallets", values.wallets, wholeFrom(1));
const rates = numberListOption("bench:cluster", "rates", values.rates, { ...aboveZero, expected: "transfers per second above 0" });
/** How long after a rate's window its last transfers may be answered for the rate to count as kept up with. */
const KEPT_UP_DRAIN_MS = 1_000;
/** Outputs per funding transaction (validation allows 256). */
const FUNDING_BATCH = 250;

const keys = generateKeyPair(new Uint8Array(32).fill(1));
const message = new Uint8Array(32);
const signature = sign(message, keys.secretKey);
let verifies = 0;
const verifyStart = performance.now();
while (performance.now() - verifyStart < 1000) {
  verify(signature, message, keys.publicKey);
  verifies++;
}

const dir = mkdtempSync(join(tmpdir(), "trustql-bench-cluster-"));
const cluster = await clusterUp(dir, nodeCount, { fresh: true });
const nodes = cluster.nodes.map((n) => new NodeClient(n.http));
try {
  const genesis = readKeyFile(cluster.genesisKey);
  const meshStarted = Date.now();
  while ((await nodes[0].health()).peers < nodeCount - 1 && Date.now() - meshStarted < 20_000) await new Promise((r) => setTimeout(r, 100));
  // Funding transactions of up to FUNDING_BATCH outputs each, one after another from genesis.
  const wallets: KeyPair[] = Array.from({ length: walletCount }, () => generateKeyPair());
  const coins: Spendable[][] = wallets.map(() => []);
  const per = 1000n * COIN;
  for (let first = 0; first < walletCount; first += FUNDING_BATCH) {
    const batch = wallets.slice(first, first + FUNDING_BATCH);
    const [genesisOutput] = await nodes[0].unspent(toHex(addressOf(genesis.publicKey)));
    const outputs: Output[] = batch.map((w) => ({ address: addressOf(w.publicKey), product: new Uint8Array(), amount: per, fee: false }));
    outputs.push({ address: addressOf(genesis.publicKey), product: new Uint8Array(), amount: genesisOutput.output.amount - per * BigInt(batch.length), fee: false });
    const funding = signBody({ inputs: [{ outPoint: genesisOutput.outPoint, referenceOnly: false }], outputs, createdMs: BigInt(Date.now()), nonce: BigInt(first) }, [genesisOutput], [nodeSigner(genesis)]);
    await nodes[0].submit(funding);
    await waitForAcceptance(nodes, hashOf(funding), 30_000);
    const hash = Buffer.from(hashOf(funding), "hex");
    batch.forEach((_, i) => coins[first + i].push({ outPoint: { txHash: hash, index: i }, output: outputs[i] }));
  }
  const idle = wallets.map((_, i) => i);
  /** Why submissions failed, by message: printed after the table. */
  const reasons = new Map<string, number>();
  const rows: string[][] = [];
  const finalities: number[] = [];
  let best = 0;
  /** The highest offered rate the cluster kept up with (accepted ≥ 90% of it), and its finality. */
  let sustained: { rate: number; finalities: number[] } | undefined;
  for (const rate of rates) {
    const durationMs = (seconds * 1000) / rates.length;
    const started = Date.now();
    let submitted = 0;
    let accepted = 0;
    let failed = 0;
    const rateFinalities: number[] = [];
    const sampleEvery = Math.max(1, Math.floor(rate / 20));
    const work: Promise<void>[] = [];
    while (Date.now() - started < durationMs) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      while (submitted < due) {
        const w = idle.shift();
        if (w === undefined) break;
        const input = coins[w].shift()!;
        const tx = buildTransfer({ available: [input], to: addressOf(wallets[(w + 1) % walletCount].publicKey), amount: COIN / 10n, fee: 1000n, change: addressOf(wallets[w].publicKey), createdMs: Date.now(), nonce: BigInt(submitted) }, nodeSigner(wallets[w]));
        const via = nodes[submitted % nodeCount];
        const sampled = submitted % sampleEvery === 0;
        submitted++;
        const sentAt = Date.now();
        work.push(
          // The node answers once the transfer is decided there: a sampled one's finality is its acceptance on every node.
          via.submit(tx, { waitMs: 20_000 }).then(async (answer) => {
            const states = answer.state === "ACCEPTED" && !sampled ? [answer.state] : await waitForAcceptance(sampled ? nodes : [via], hashOf(tx), 20_000);
            if (states.every((s) => s === "ACCEPTED")) {
              accepted++;
              if (sampled) rateFinalities.push(Date.now() - sentAt);
              const hash = Buffer.from(hashOf(tx), "hex");
              tx.body!.outputs.forEach((output, index) => {
                if (toHex(output.address) === toHex(addressOf(wallets[w].publicKey))) coins[w].push({ outPoint: { txHash: hash, index }, output });
              });
            }
            if (coins[w].length > 0) idle.push(w);
          }).catch((error: unknown) => {
            failed++; // a refused or timed-out submission: counted, its wallet retired
            const reason = String((error as Error)?.message ?? error).split("\n")[0].replace(/[0-9a-f]{16,}/g, "…");
            reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(work);
    const elapsed = (Date.now() - started) / 1000;
    best = Math.max(best, accepted / elapsed);
    finalities.push(...rateFinalities);
    // Kept up with: 90 % of what was offered accepted, the last of it within a second (the p99
    // finality aimed at) after the window. Counting what was accepted however late called a rate
    // kept up with whose finality had grown to seconds.
    if (accepted >= 0.9 * rate * (durationMs / 1000) && elapsed * 1000 <= durationMs + KEPT_UP_DRAIN_MS) sustained = { rate, finalities: rateFinalities };
    const ms = (v: number) => (rateFinalities.length > 0 ? `${v.toFixed(0)} ms` : "-");
    const rssNow = cluster.nodes.map((n) => processMemoryMiB(n.pid, "VmRSS"));
    rows.push([String(rate), String(submitted), String(failed), (accepted / elapsed).toFixed(0), ms(median(rateFinalities)), ms(percentile(rateFinalities, 99)), rssNow.join(" ")]);
  }
  const rss = cluster.nodes.map((n) => `${processMemoryMiB(n.pid, "VmHWM")} MiB`);
  printTable(["offered tx/s", "submitted", "failed", "accepted tx/s", "finality p50", "finality p99", "RSS after, MiB"], rows);
  for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)) process.stdout.write(`failed ×${count}: ${reason}\n`);
  finalities.sort((a, b) => a - b);
  process.stdout.write(
    `\n${nodeCount} nodes: ${best.toFixed(0)} tx/s accepted at saturation; finality p50 ${median(finalities).toFixed(0)} ms, p99 ${percentile(finalities, 99).toFixed(0)} ms over every rate ` +
      `(submit → ACCEPTED on every node, ${finalities.length} sampled)` +
      (sustained ? `, p50 ${median(sustained.finalities).toFixed(0)} ms, p99 ${percentile(sustained.finalities, 99).toFixed(0)} ms at ${sustained.rate} tx/s (the highest rate kept up with)` : ", no rate kept up with") +
      `; peak RSS per node ${rss.join(", ")}; ed25519 verify ceiling ${verifies.toLocaleString("en")}/s on one core\n`,
  );
} finally {
  await clusterDown(dir);
  if (process.env.KEEP) process.stdout.write(`cluster kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}

