// Errors that reach a person. A UserError is the user's mistake (bad SQL, a missing file,
// a bad flag): the CLI prints it as one line and exits with 2. Anything else that escapes is
// ours: one line and exit code 1, with the stack only under --verbose.

/** A 1-based position in the text the user gave us (SQL, a flag value, a file). */
export interface SourcePosition {
  line: number;
  column: number;
}

export class UserError extends Error {
  readonly position: SourcePosition | undefined;

  constructor(message: string, position?: SourcePosition) {
    super(position ? `${message} at ${position.line}:${position.column}` : message);
    this.name = "UserError";
    this.position = position;
  }
}

/** A construct we recognise but do not run; never executed approximately. */
export class UnsupportedError extends UserError {
  constructor(what: string, position?: SourcePosition) {
    super(`unsupported: ${what}`, position);
    this.name = "UnsupportedError";
  }
}

/** A broken invariant of ours: a bug, never the user's fault. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
