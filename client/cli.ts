// The trustql command line: one table of commands, one place that turns errors into the
// one-line messages and exit codes of the contract (../shared/DESIGN.md): 2 for a user's
// mistake, 1 for ours, the stack only under --verbose.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../common/errors.ts";
import { withNegativeValues } from "../common/options.ts";

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
  /** Where relative paths resolve. */
  cwd: string;
}

export interface CommandContext {
  io: CliIO;
  json: boolean;
  verbose: boolean;
}

export interface Command {
  /** Words that select it, e.g. ["substrait", "run"]. */
  path: string[];
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Returns the exit code. */
  run(
    parsed: { values: Record<string, unknown>; positionals: string[] },
    context: CommandContext,
  ): Promise<number>;
}

const GLOBAL_OPTIONS = {
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(
    JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n",
  );
}

function findCommand(commands: Command[], argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (!best || command.path.length > best.command.path.length)) {
      best = { command, rest: argv.slice(command.path.length) };
    }
  }
  return best;
}

function helpText(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(" ").length));
  const lines = commands.map((c) => `  trustql ${c.path.join(" ").padEnd(width)}  ${c.summary}`);
  return [
    "trustql — a peer-to-peer SQL engine",
    "",
    "Commands:",
    ...lines,
    "",
    "Every command takes --json (one JSON object on stdout), --verbose, --help.",
  ].join("\n");
}

export async function main(argv: string[], commands: Command[], io: CliIO): Promise<number> {
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  const json = argv.includes("--json");
  try {
    const found = findCommand(commands, argv);
    if (!found) {
      if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
        io.stdout.write(helpText(commands) + "\n");
        return 0;
      }
      const words = argv.filter((a) => !a.startsWith("-")).slice(0, 2).join(" ");
      throw new UserError(`unknown command '${words}' (try trustql --help)`);
    }
    const { command, rest } = found;
    let parsed;
    const options = { ...GLOBAL_OPTIONS, ...command.options };
    const shielded = shieldValues(withNegativeValues(rest, options));
    try {
      parsed = parseArgs({
        args: shielded.args,
        options,
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      // parseArgs speaks of "Unknown option '--x'"; keep its words, drop its codes and hints.
      const message = (error as Error).message.split(". ")[0].replace(/\.$/, "");
      throw new UserError(`${message} (usage: trustql ${command.usage})`);
    }
    parsed = shielded.restore(parsed);
    if (parsed.values.help) {
      io.stdout.write(`usage: trustql ${command.usage}\n\n${command.summary}\n`);
      return 0;
    }
    return await command.run(parsed as { values: Record<string, unknown>; positionals: string[] }, {
      io,
      json,
      verbose,
    });
  } catch (error) {
    return reportError(error, io, { json, verbose });
  }
}

/**
 * SQL that begins with a comment ("-- Q1 …") starts with a dash but is no option: an argument
 * whose name part (before any "=") holds anything but letters, digits and dashes is a value.
 * Such values pass parseArgs as placeholders and are put back after.
 */
function shieldValues(args: readonly string[]): { args: string[]; restore<T extends { values: Record<string, unknown>; positionals: string[] }>(parsed: T): T } {
  const held = new Map<string, string>();
  const shielded = args.map((arg, i) => {
    if (!arg.startsWith("-") || /^--?[A-Za-z0-9][A-Za-z0-9-]*(=|$)/.test(arg) || arg === "--" || arg === "-") return arg;
    const placeholder = `\u0000arg${i}`;
    held.set(placeholder, arg);
    return placeholder;
  });
  const back = (value: unknown): unknown => (typeof value === "string" ? (held.get(value) ?? value) : Array.isArray(value) ? value.map(back) : value);
  return {
    args: shielded,
    restore: (parsed) => ({ ...parsed, values: Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k, back(v)])), positionals: parsed.positionals.map((p) => back(p) as string) }),
  };
}

export function reportError(error: unknown, io: CliIO, flags: { json: boolean; verbose: boolean }): number {
  const isUser = error instanceof UserError;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split("\n")[0];
  io.stderr.write(`trustql: ${isUser ? firstLine : `internal error: ${firstLine}`}\n`);
  if (flags.verbose && error instanceof Error && error.stack) io.stderr.write(error.stack + "\n");
  if (flags.json) writeJson(io, { error: firstLine, kind: isUser ? "user" : "internal" });
  return isUser ? 2 : 1;
}
