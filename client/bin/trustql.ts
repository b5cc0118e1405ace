#!/usr/bin/env node
import module from "node:module";

// Node keeps compiled modules (TypeScript stripped, V8's code) between runs in the system's
// temporary directory: a command starts in about half the time. Enabled before anything else
// loads, so the imports below are dynamic.
module.enableCompileCache?.();
// A reader that stops early (`| head`) closes the pipe: the rest of the answer is not wanted, and
// that is no error of the command's.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
// Before anything loads DuckDB (common/duckdb-allocator.ts says why).
await import("../../common/duckdb-allocator.ts");
const { main } = await import("../cli.ts");
const { COMMANDS } = await import("../commands/index.ts");

const code = await main(process.argv.slice(2), COMMANDS, {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
process.exitCode = code;
