#!/usr/bin/env node
import { main } from "../cli.ts";
import { COMMANDS } from "../commands/index.ts";

const code = await main(process.argv.slice(2), COMMANDS, {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
process.exitCode = code;
