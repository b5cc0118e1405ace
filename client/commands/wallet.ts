// Wallets, transfers, transaction status, proofs and balances against a cluster.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../common/errors.ts";
import { fromHex, generateKeyPair } from "../../ledger/crypto.ts";
import { parseCoins } from "../../ledger/tx/index.ts";
import { readCluster, readKeyFile, writeKeyFile } from "../../node/config.ts";
import { verifyProofFile, verifyQueryResultFile, type AcceptanceProof, type QueryResultProof } from "../../node/proof.ts";
import { buildSignedTransfer, hashOf, NodeClient } from "../sdk/index.ts";
import { writeJson, type Command } from "../cli.ts";

const DEFAULT_FEE = "0.000001";
const HEX_32 = /^[0-9a-f]{64}$/;

function clients(dir: string, cwd: string): NodeClient[] {
  return readCluster(resolve(cwd, dir)).nodes.map((n) => new NodeClient(n.http));
}

function clusterFlag(values: Record<string, unknown>): string {
  if (typeof values.cluster !== "string") throw new UserError("--cluster DIR is required (the --dir of trustql cluster up)");
  return values.cluster;
}

export const walletNewCommand: Command = {
  path: ["wallet", "new"],
  summary: "Create a key pair and write it to a key file",
  usage: "wallet new --out FILE",
  options: { out: { type: "string" } },
  async run({ values }, context) {
    if (typeof values.out !== "string") throw new UserError("--out FILE is required");
    const path = resolve(context.io.cwd, values.out);
    if (existsSync(path)) throw new UserError(`${values.out} exists: not overwriting a key`);
    const file = writeKeyFile(path, generateKeyPair());
    if (context.json) writeJson(context.io, { address: file.address, publicKey: file.publicKey, keyFile: path });
    else context.io.stdout.write(`address ${file.address}\nkey file ${path} (keep it secret)\n`);
    return 0;
  },
};

export const sendCommand: Command = {
  path: ["send"],
  summary: "Transfer coins from a key file's address to another address",
  usage: "send --cluster D --from KEYFILE --to ADDRESS --amount COINS [--fee COINS] [--node N]",
  options: { cluster: { type: "string" }, from: { type: "string" }, to: { type: "string" }, amount: { type: "string" }, fee: { type: "string", default: DEFAULT_FEE }, node: { type: "string", default: "0" } },
  async run({ values }, context) {
    const nodes = clients(clusterFlag(values), context.io.cwd);
    if (typeof values.from !== "string") throw new UserError("--from KEYFILE is required");
    if (typeof values.to !== "string" || !HEX_32.test(values.to)) throw new UserError(`--to ${values.to ?? ""}: expected an address (64 hex digits)`);
    if (typeof values.amount !== "string") throw new UserError("--amount is required");
    const index = Number(values.node);
    const client = nodes[index];
    if (!client) throw new UserError(`--node ${values.node}: the cluster has nodes 0 to ${nodes.length - 1}`);
    const keys = readKeyFile(resolve(context.io.cwd, values.from));
    const tx = await buildSignedTransfer(client, keys, fromHex(values.to), parseCoins(values.amount), parseCoins(String(values.fee)));
    const result = await client.submit(tx);
    if (result.state === "REJECTED") throw new UserError(`transaction ${result.hash.slice(0, 16)} rejected: ${result.reason}`);
    if (context.json) writeJson(context.io, { hash: hashOf(tx) });
    else context.io.stdout.write(`${hashOf(tx)}\n`);
    return 0;
  },
};

export const txStatusCommand: Command = {
  path: ["tx", "status"],
  summary: "A transaction's state on each node; --proof writes its proof of acceptance",
  usage: "tx status HASH --cluster D [--proof FILE]",
  options: { cluster: { type: "string" }, proof: { type: "string" } },
  async run({ values, positionals }, context) {
    const hash = (positionals[0] ?? "").toLowerCase();
    if (!HEX_32.test(hash)) throw new UserError(`expected a transaction hash (64 hex digits), got '${positionals[0] ?? ""}'`);
    const dir = clusterFlag(values);
    const cluster = readCluster(resolve(context.io.cwd, dir));
    const states = await Promise.all(cluster.nodes.map(async (n) => ({ node: n.index, ...(await new NodeClient(n.http).status(hash).catch(() => ({ state: "UNREACHABLE" }))) })));
    if (typeof values.proof === "string") {
      const accepted = cluster.nodes.find((_, i) => states[i].state === "ACCEPTED");
      if (!accepted) throw new UserError(`no node has accepted ${hash.slice(0, 16)} yet: no proof to write`);
      const proof = await new NodeClient(accepted.http).proof(hash);
      writeFileSync(resolve(context.io.cwd, values.proof), JSON.stringify(proof, null, 2) + "\n");
    }
    if (context.json) writeJson(context.io, { hash, nodes: states.map((s) => ({ node: s.node, state: s.state, ...("reason" in s && s.reason ? { reason: s.reason } : {}) })) });
    else for (const s of states) context.io.stdout.write(`node ${s.node}  ${s.state}${"reason" in s && s.reason ? ` (${s.reason})` : ""}\n`);
    return 0;
  },
};

export const proofVerifyCommand: Command = {
  path: ["proof", "verify"],
  summary: "Check a proof offline: a transaction's acceptance, or a query result (its rows, its query and result transactions)",
  usage: "proof verify FILE",
  options: {},
  async run({ positionals }, context) {
    if (positionals.length !== 1) throw new UserError("expected one proof file");
    let proof: AcceptanceProof | QueryResultProof;
    try {
      proof = JSON.parse(readFileSync(resolve(context.io.cwd, positionals[0]), "utf8"));
    } catch {
      throw new UserError(`${positionals[0]}: not a proof file`);
    }
    if ("kind" in proof && proof.kind === "trustql/query-result") {
      const check = verifyQueryResultFile(proof);
      if (context.json) writeJson(context.io, { query: proof.query.hash, result: proof.result.hash, ...check });
      else if (check.ok) context.io.stdout.write(`valid: ${counted(check.rows, "row")} of query ${proof.query.hash}, recorded by result ${proof.result.hash}; both ACCEPTED by ${check.accepted} of ${check.validators} validators; ${counted(check.attested, "executor attestation")} signed by validators\n`);
      if (!check.ok) throw new UserError(`proof does not hold: ${check.reason}`);
      return 0;
    }
    const acceptance = proof as AcceptanceProof;
    const check = verifyProofFile(acceptance);
    if (context.json) writeJson(context.io, { hash: acceptance.hash, ...check });
    else context.io.stdout.write(check.ok ? `valid: ${acceptance.hash} ACCEPTED by ${check.accepted} of ${check.validators} validators\n` : "");
    if (!check.ok) throw new UserError(`proof does not hold: ${check.reason}`);
    return 0;
  },
};

export const balanceCommand: Command = {
  path: ["balance"],
  summary: "An address's balance in coins",
  usage: "balance ADDRESS --cluster D [--node N]",
  options: { cluster: { type: "string" }, node: { type: "string", default: "0" } },
  async run({ values, positionals }, context) {
    const address = (positionals[0] ?? "").toLowerCase();
    if (!HEX_32.test(address)) throw new UserError(`expected an address (64 hex digits), got '${positionals[0] ?? ""}'`);
    const client = clients(clusterFlag(values), context.io.cwd)[Number(values.node)];
    if (!client) throw new UserError(`--node ${values.node}: no such node`);
    const balance = await client.balance(address);
    if (context.json) writeJson(context.io, balance);
    else context.io.stdout.write(`${balance.amount} coins\n`);
    return 0;
  },
};

/** `1 row`, `5 rows`. */
function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
