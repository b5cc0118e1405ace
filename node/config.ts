// The files a node and its cluster share: key files, the genesis (who validates, who holds the
// supply) and the cluster folder's cluster.json.
import { readFileSync, writeFileSync } from "node:fs";
import { UserError } from "../common/errors.ts";
import { fromHex, keyPairFromSecret, toHex, type KeyPair } from "../ledger/crypto.ts";
import { addressOf } from "../ledger/tx/index.ts";

export interface KeyFile {
  secretKey: string;
  publicKey: string;
  address: string;
}

export function writeKeyFile(path: string, keys: KeyPair): KeyFile {
  const file = { secretKey: toHex(keys.secretKey), publicKey: toHex(keys.publicKey), address: toHex(addressOf(keys.publicKey)) };
  writeFileSync(path, JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
  return file;
}

export function readKeyFile(path: string): KeyPair {
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new UserError(`${path}: not a trustql key file`);
  }
  if (typeof parsed.secretKey !== "string" || !/^[0-9a-f]{64}$/.test(parsed.secretKey)) throw new UserError(`${path}: no 32-byte secretKey in it`);
  return keyPairFromSecret(fromHex(parsed.secretKey));
}

export interface Validator {
  /** Ledger peer id (hex): hash of the master key and the proof-of-work nonce. */
  peer: string;
  publicKey: string;
  powNonce: string;
}

export interface Genesis {
  validators: Validator[];
  /** Proof-of-work bits every validator's id carries. */
  difficulty: number;
  /** Who holds the whole supply at the start. */
  address: string;
  createdMs: number;
}

export function readGenesis(path: string): Genesis {
  let g: Genesis;
  try {
    g = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new UserError(`${path}: not a genesis file`);
  }
  if (!Array.isArray(g.validators) || g.validators.length === 0 || typeof g.address !== "string") throw new UserError(`${path}: a genesis needs validators and an address`);
  return g;
}

export interface ClusterNode {
  index: number;
  peerId: string;
  ledgerPeer: string;
  multiaddr: string;
  http: string;
  dataDir: string;
  pid: number;
}

export interface ClusterFile {
  nodes: ClusterNode[];
  genesis: string;
  genesisKey: string;
}

export function readCluster(dir: string): ClusterFile {
  try {
    return JSON.parse(readFileSync(`${dir}/cluster.json`, "utf8"));
  } catch {
    throw new UserError(`--cluster ${dir}: no cluster.json there (start one with: trustql cluster up --dir ${dir})`);
  }
}
