// Command-line options of the project's scripts (the simulator, the benches): parsed strictly,
// and a value an option does not take refused with one line that names it, and exit code 2.
import { parseArgs, type ParseArgsConfig } from "node:util";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** The options' values; an unknown option, or one without its value, stops the program with one line. */
export function parseOptions<const O extends OptionsConfig>(program: string, options: O) {
  try {
    return parseArgs({ args: withNegativeValues(process.argv.slice(2), options), options, strict: true }).values;
  } catch (error) {
    // parseArgs explains some mistakes over several lines: the first says what was wrong.
    return refuse(program, (error as Error).message.split("\n")[0]);
  }
}

/** A negative number written as an argument: a value (of an option that takes one), never an option itself. */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/**
 * `--sf -1` as `--sf=-1`: parseArgs takes a value that starts with a dash for a mistyped option
 * ("ambiguous"); a negative number given to an option that takes a value is that value, for the
 * option's own check to refuse by name. The scripts' options and the CLI's go through it.
 */
export function withNegativeValues(args: readonly string[], options: OptionsConfig): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = /^--([A-Za-z0-9-]+)$/.exec(args[i])?.[1];
    if (name !== undefined && options[name]?.type === "string" && NEGATIVE_NUMBER.test(args[i + 1] ?? "")) joined.push(`${args[i]}=${args[++i]}`);
    else joined.push(args[i]);
  }
  return joined;
}

export function refuse(program: string, message: string): never {
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(2);
}

/** What a number option takes, and how the refusal says it. */
export interface NumberKind {
  readonly accepts: (n: number) => boolean;
  readonly expected: string;
}

export const wholeFrom = (least: number): NumberKind => ({ accepts: (n) => Number.isInteger(n) && n >= least, expected: `a whole number ≥ ${least}` });
export const aboveZero: NumberKind = { accepts: (n) => n > 0, expected: "a number above 0" };
export const zeroOrMore: NumberKind = { accepts: (n) => n >= 0, expected: "a number ≥ 0" };
/** A share of something (of the nodes, of the messages). */
export const share: NumberKind = { accepts: (n) => n >= 0 && n <= 1, expected: "a share from 0 to 1" };

/** The number `text` (option `--name`'s value), if `kind` takes it; else the program stops with one line. */
export function numberOption(program: string, name: string, text: string, kind: NumberKind): number {
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) && kind.accepts(n) ? n : refuse(program, `--${name} ${text}: expected ${kind.expected}`);
}

/** A comma-separated list of numbers `kind` takes, at least one. */
export function numberListOption(program: string, name: string, text: string, kind: NumberKind): number[] {
  const parts = text.split(",");
  const fine = parts.every((part) => part.trim() !== "" && Number.isFinite(Number(part)) && kind.accepts(Number(part)));
  return fine ? parts.map(Number) : refuse(program, `--${name} ${text}: expected ${kind.expected}, comma-separated`);
}
