import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../common/errors.ts";
import { countBuffersInHeapLimit } from "../../common/heap-limits.ts";
import type { LogLevel } from "../../node/daemon.ts";
import { writeJson, type Command } from "../cli.ts";

const FLAG_DEFAULTS: Record<string, string> = { listen: "/ip4/127.0.0.1/tcp/0", http: "127.0.0.1:0", seeds: "", "log-level": "info" };

function readConfig(path: unknown, cwd: string): Record<string, unknown> {
  const defaults: Record<string, unknown> = { ...FLAG_DEFAULTS };
  if (typeof path !== "string") return defaults;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(cwd, path), "utf8"));
  } catch (error) {
    throw new UserError(`--config ${path}: not a readable JSON file (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UserError(`--config ${path}: expected a JSON object`);
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in nodeStartCommand.options) || key === "config") throw new UserError(`--config ${path}: unknown setting '${key}'`);
    defaults[key] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return defaults;
}

/** The flags given on the command line (parseArgs fills in no defaults here). */
function explicit(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([key, value]) => value !== undefined && key !== "config"));
}

function misbehaviour(value: unknown): "wrong-results" | undefined {
  if (value === undefined) return undefined;
  if (value !== "wrong-results") throw new UserError(`--misbehave ${String(value)}: the only misbehaviour (for tests) is wrong-results`);
  return value;
}

export const nodeStartCommand: Command = {
  path: ["node", "start"],
  summary: "Run one node in the foreground (SIGTERM or Ctrl-C stops it gracefully)",
  usage:
    "node start --data-dir D --genesis F [--listen /ip4/127.0.0.1/tcp/0] [--http 127.0.0.1:0] [--seeds a,b] [--log-level info] [--max-query-seconds 600] [--ready-file F] [--config FILE]",
  options: {
    config: { type: "string" },
    "data-dir": { type: "string" },
    genesis: { type: "string" },
    listen: { type: "string" },
    http: { type: "string" },
    seeds: { type: "string" },
    "log-level": { type: "string" },
    "ready-file": { type: "string" },
    /** For tests of the verification of query results: this node alters the task outputs it returns. */
    misbehave: { type: "string" },
    "max-query-seconds": { type: "string" },
  },
  async run({ values: flags }, context) {
    const { io } = context;
    // A config file (JSON, keys as the flags' names) gives defaults; flags on the command line win.
    const values: Record<string, unknown> = { ...readConfig(flags.config, io.cwd), ...explicit(flags) };
    if (typeof values["data-dir"] !== "string") throw new UserError("--data-dir is required");
    if (typeof values.genesis !== "string") throw new UserError("--genesis is required (cluster up writes one)");
    const level = String(values["log-level"]);
    if (!["debug", "info", "warn", "error"].includes(level)) throw new UserError(`--log-level ${level}: expected debug, info, warn or error`);
    const maxQuerySeconds = values["max-query-seconds"] === undefined ? undefined : Number(values["max-query-seconds"]);
    if (maxQuerySeconds !== undefined && !(maxQuerySeconds > 0 && maxQuerySeconds <= 86_400)) throw new UserError(`--max-query-seconds ${String(values["max-query-seconds"])}: expected seconds, more than 0 and at most a day`);
    countBuffersInHeapLimit();
    // The daemon (libp2p, DuckDB, the ledger) loads only when a node starts, not for every command.
    const { TrustqlNode } = await import("../../node/daemon.ts");
    const node = await TrustqlNode.start({
      dataDir: resolve(io.cwd, values["data-dir"]),
      genesis: resolve(io.cwd, values.genesis),
      listen: String(values.listen).split(",").filter(Boolean),
      http: String(values.http),
      seeds: String(values.seeds).split(",").filter(Boolean),
      logLevel: level as LogLevel,
      misbehave: misbehaviour(values.misbehave),
      ...(maxQuerySeconds !== undefined ? { maxQueryMs: maxQuerySeconds * 1000 } : {}),
    });
    if (typeof values["ready-file"] === "string") writeFileSync(resolve(io.cwd, values["ready-file"]), JSON.stringify(node.info) + "\n");
    if (context.json) writeJson(io, node.info);
    else io.stdout.write(`node ${node.info.ledgerPeer.slice(0, 12)} listening on ${node.info.multiaddrs[0]}, API ${node.info.http}\n`);
    await new Promise<void>((done) => {
      const stop = () => void node.stop().then(done);
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
    return 0;
  },
};
