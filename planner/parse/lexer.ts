// A small SQL tokenizer. node-sql-parser gives locations for only some nodes, so the
// planner keeps its own token stream: it finds the position of a name an error talks about,
// and it lets the pre-pass rewrite constructs the parser's grammar lacks without moving text.
import { UserError, type SourcePosition } from "../../common/errors.ts";

export type TokenKind = "word" | "quoted" | "string" | "number" | "symbol";

export interface Token {
  readonly kind: TokenKind;
  /** Words are upper-cased for matching; quoted identifiers and strings keep their text. */
  readonly text: string;
  readonly offset: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

const SYMBOLS = ["::", "<>", "!=", ">=", "<=", "||", "->>", "->", "<<", ">>", "**", "^@", "(", ")", ",", ";", ".", "+", "-", "*", "/", "%", "=", "<", ">", "[", "]", ":"];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const advanceLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (sql.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
  };
  const push = (kind: TokenKind, text: string, start: number, end: number, startLine: number, startCol: number) =>
    tokens.push({ kind, text, offset: start, end, line: startLine, column: startCol });

  while (i < sql.length) {
    const ch = sql[i];
    const startLine = line;
    const startCol = i - lineStart + 1;
    if (/\s/.test(ch)) {
      advanceLines(i, i + 1);
      i++;
      continue;
    }
    if (ch === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      if (close < 0) throw new UserError("syntax error: unterminated comment", { line: startLine, column: startCol });
      advanceLines(i, close + 2);
      i = close + 2;
      continue;
    }
    if (ch === "'" || ((ch === "E" || ch === "e") && sql[i + 1] === "'")) {
      const start = i;
      const escapes = ch !== "'";
      i += escapes ? 2 : 1;
      let text = "";
      for (;;) {
        if (i >= sql.length) throw new UserError("syntax error: unterminated string", { line: startLine, column: startCol });
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (escapes && sql[i] === "\\") {
          const escape = readEscape(sql, i + 1);
          if (escape === undefined) throw new UserError("syntax error: a \\u escape in an E'…' string (DuckDB reads none)", positionAt(sql, i));
          text += escape.text;
          i = escape.end;
          continue;
        }
        text += sql[i++];
      }
      advanceLines(start, i);
      push("string", text, start, i, startLine, startCol);
      continue;
    }
    const dollar = ch === "$" ? /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 200)) : null;
    if (dollar) {
      // $$…$$ and $tag$…$tag$: everything up to the same mark is the string, as written.
      const mark = dollar[0];
      const close = sql.indexOf(mark, i + mark.length);
      if (close < 0) throw new UserError(`syntax error: unterminated ${mark}…${mark} string`, { line: startLine, column: startCol });
      const end = close + mark.length;
      advanceLines(i, end);
      push("string", sql.slice(i + mark.length, close), i, end, startLine, startCol);
      i = end;
      continue;
    }
    if (ch === '"') {
      const start = i;
      i++;
      let text = "";
      for (;;) {
        if (i >= sql.length) throw new UserError("syntax error: unterminated quoted identifier", { line: startLine, column: startCol });
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      advanceLines(start, i);
      push("quoted", text, start, i, startLine, startCol);
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      // Digits may be grouped by single underscores, as DuckDB reads them (1_000_000); the text is the number without them.
      const m = /^(?:[0-9]+(?:_[0-9]+)*\.?(?:[0-9]+(?:_[0-9]+)*)?|\.[0-9]+(?:_[0-9]+)*)(?:[eE][+-]?[0-9]+(?:_[0-9]+)*)?/.exec(sql.slice(i, i + 400))!;
      push("number", m[0].replaceAll("_", ""), i, i + m[0].length, startLine, startCol);
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i, i + 400))!;
      push("word", m[0].toUpperCase(), i, i + m[0].length, startLine, startCol);
      i += m[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => sql.startsWith(s, i));
    if (symbol) {
      push("symbol", symbol, i, i + symbol.length, startLine, startCol);
      i += symbol.length;
      continue;
    }
    // Anything else is the parser's to reject with its own message.
    push("symbol", ch, i, i + 1, startLine, startCol);
    i++;
  }
  return tokens;
}

export function tokenPosition(t: Token): SourcePosition {
  return { line: t.line, column: t.column };
}

/** The line and column of a character offset. */
export function positionAt(sql: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < sql.length; k++) {
    if (sql.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const SIMPLE_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * The character an escape of an E'…' string stands for, read from just after its backslash, as
 * DuckDB (and PostgreSQL) read them: \b \f \n \r \t, \ooo in octal (1 to 3 digits), \xhh in hex
 * (1 or 2 digits), any other character itself. Undefined for \u, which DuckDB refuses.
 */
function readEscape(sql: string, at: number): { text: string; end: number } | undefined {
  const c = sql[at];
  if (c === undefined) return { text: "", end: at };
  if (c === "u" || c === "U") return undefined;
  if (SIMPLE_ESCAPES[c]) return { text: SIMPLE_ESCAPES[c], end: at + 1 };
  const octal = /^[0-7]{1,3}/.exec(sql.slice(at, at + 3));
  if (octal) return { text: String.fromCharCode(parseInt(octal[0], 8) & 0xff), end: at + octal[0].length };
  const hex = c === "x" ? /^[0-9a-fA-F]{1,2}/.exec(sql.slice(at + 1, at + 3)) : null;
  if (hex) return { text: String.fromCharCode(parseInt(hex[0], 16)), end: at + 1 + hex[0].length };
  return { text: c, end: at + 1 };
}

/**
 * The first word among `words` from tokens[from] at its depth: where the depth's parenthesis
 * closes, a `;` at it, or tokens.length, if none comes first.
 */
export function wordAtDepth(tokens: readonly Token[], from: number, words: ReadonlySet<string>): number {
  for (let k = from, depth = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.text === "(") depth++;
    else if (t.text === ")" && depth-- === 0) return k;
    else if (t.text === ";" && depth === 0) return k;
    else if (depth === 0 && t.kind === "word" && words.has(t.text)) return k;
  }
  return tokens.length;
}
