import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../common/errors.ts";
import { TrustqlNode, type LogLevel } from "../../node/index.ts";
import { writeJson, type Command } from "../cli.ts";

export const nodeStartCommand: Command = {
  path: ["node", "start"],
  summary: "Run one node in the foreground (SIGTERM or Ctrl-C stops it gracefully)",
  usage: "node start --data-dir D --genesis F [--listen /ip4/127.0.0.1/tcp/0] [--http 127.0.0.1:0] [--seeds a,b] [--log-level info] [--ready-file F]",
  options: {
    "data-dir": { type: "string" },
    genesis: { type: "string" },
    listen: { type: "string", default: "/ip4/127.0.0.1/tcp/0" },
    http: { type: "string", default: "127.0.0.1:0" },
    seeds: { type: "string", default: "" },
    "log-level": { type: "string", default: "info" },
    "ready-file": { type: "string" },
  },
  async run({ values }, context) {
    const { io } = context;
    if (typeof values["data-dir"] !== "string") throw new UserError("--data-dir is required");
    if (typeof values.genesis !== "string") throw new UserError("--genesis is required (cluster up writes one)");
    const level = String(values["log-level"]);
    if (!["debug", "info", "warn", "error"].includes(level)) throw new UserError(`--log-level ${level}: expected debug, info, warn or error`);
    const node = await TrustqlNode.start({
      dataDir: resolve(io.cwd, values["data-dir"]),
      genesis: resolve(io.cwd, values.genesis),
      listen: String(values.listen).split(",").filter(Boolean),
      http: String(values.http),
      seeds: String(values.seeds).split(",").filter(Boolean),
      logLevel: level as LogLevel,
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
