// SQL text → node-sql-parser AST (PostgreSQL dialect), with the positions the binder needs
// for its error messages.
//
// node-sql-parser's PostgreSQL grammar lacks a few constructs the planner supports
// (SUBSTRING(x FROM a FOR b), EXCEPT ALL, INTERSECT ALL) and misreads one it must reject
// (NATURAL JOIN becomes an alias named "natural"). A pre-pass over our own tokens rewrites
// the first kind without moving any text, so every location the parser reports is still a
// location in the user's SQL, and rejects the second kind.
import { partitionPoint } from "../../common/search.ts";
import nodeSqlParser from "node-sql-parser/build/postgresql.js";
import { UnsupportedError, UserError, invariant, type SourcePosition } from "../../common/errors.ts";
import { UNSIGNED_ALIASES, UNSIGNED_READ_AS } from "../../common/unsigned.ts";
import { positionAt, tokenize, tokenPosition, wordAtDepth, type Token } from "./lexer.ts";
import { isIntervalUnitName } from "../intervals.ts";

/** Longest SQL text accepted: parsing time grows with it, and no real query comes near. */
export const MAX_QUERY_LENGTH = 256 * 1024;
/** Deepest nesting of parentheses: bounds the recursion of the parser and of the binder. */
export const MAX_NESTING_DEPTH = 64;

// The parser's AST is untyped JSON; the binder checks each shape it relies on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AstNode = any;

export interface ParsedQuery {
  readonly sql: string;
  readonly tokens: readonly Token[];
  /** The statement: a `select` node, possibly with `_next` set operations and `with`. */
  readonly ast: AstNode;
  /** What each `* EXCLUDE (…)` or `* REPLACE (…)` of the query does to its star (see starModifier). */
  readonly starModifiers: readonly StarModifier[];
  /** Whether GROUP BY ALL or ORDER BY ALL was written (see isByAll). */
  readonly byAll: boolean;
  /** Whether the query's HAVING clauses are its QUALIFY clauses (the pre-pass wrote HAVING over QUALIFY). */
  readonly qualify: boolean;
}

const { Parser } = nodeSqlParser as unknown as { Parser: new () => { astify(sql: string, opt: object): AstNode } };
const parser = new Parser();

/** Nodes the parser leaves unlocated that start with a keyword of their own. */
const KEYWORD_NODES: Record<string, string> = {
  select: "SELECT",
  case: "CASE",
  cast: "CAST",
  interval: "INTERVAL",
  date: "DATE",
  timestamp: "TIMESTAMP",
  array: "ARRAY",
};

const SET_OP_ALL = Symbol("setOpAll");
const SET_OP_BY_NAME = Symbol("setOpByName");
const DISTINCT = Symbol("distinct");
const ZONED = Symbol("zoned");
const WRITTEN_NAME = Symbol("writtenName");
const GROUPED_ARGUMENTS = Symbol("groupedArguments");
const NATURAL = Symbol("natural");
const ASOF = Symbol("asof");
const FILTERING_JOIN = Symbol("filtering join");
const POSITION = Symbol("position");
/** On a node the pre-pass wrote (text it inserted, as a PIVOT's derived table): no token of the query is its own. */
const INSERTED = Symbol("inserted");
const INTEGER_DIVISION = Symbol("integerDivision");
const CHAIN_SEEN = Symbol("chainSeen");
const IGNORE_NULLS = Symbol("ignoreNulls");
const WRITTEN_FRAME = Symbol("writtenFrame");
const FRAME_EXCLUSION = Symbol("frameExclusion");
const PARTITION_KEYS = Symbol("partitionKeys");
const BASE_WINDOW = Symbol("baseWindow");
const WINDOW_FILTER = Symbol("windowFilter");
const ARGUMENT_ORDER = Symbol("argumentOrder");
const SAMPLE = Symbol("sample");
/** The calls IGNORE NULLS may follow (upper case, as the lexer gives words). */
const NULLS_IGNORABLE_CALLS = new Set(["FIRST_VALUE", "LAST_VALUE", "NTH_VALUE", "LAG", "LEAD"]);

export function parseSql(sql: string): ParsedQuery {
  if (sql.length > MAX_QUERY_LENGTH) {
    throw new UserError(`query is ${sql.length} characters long; the limit is ${MAX_QUERY_LENGTH}`);
  }
  const tokens = tokenize(sql);
  const standIn = sql.search(STAND_INS);
  if (standIn >= 0) throw new UnsupportedError(`the character U+${sql.charCodeAt(standIn).toString(16).toUpperCase()} (trustql writes such characters as stand-ins for the grammar)`, positionAt(sql, standIn));
  checkClauseOrder(tokens);
  const rewritten = rewrite(sql, tokens);
  let ast: AstNode;
  try {
    ast = parser.astify(rewritten.text, { database: "postgresql", parseOptions: { includeLocations: true }, trimQuery: false });
  } catch (error) {
    throw syntaxError(error, sql, rewritten.originalOffset);
  }
  if (rewritten.moved) restoreLocations(ast, sql, rewritten.text, rewritten.originalOffset, rewritten.insertedAt);
  if (rewritten.backslashes || rewritten.standIns.length > 0 || sql.includes("''")) restoreStrings(ast, rewritten.standIns);
  if (Array.isArray(ast)) {
    if (ast.length !== 1) {
      throw new UserError("expected exactly one statement", ast.length > 1 ? secondStatementPosition(tokens) : undefined);
    }
    ast = ast[0];
  }
  if (!ast || ast.type !== "select") {
    const first = tokens[0];
    throw new UnsupportedError(`${String(ast?.type ?? "empty").toUpperCase()} statement`, first ? tokenPosition(first) : undefined);
  }
  regroupAndOr(ast);
  annotate(ast, tokens, rewritten);
  regroupOperators(ast);
  liftParenthesizedNots(ast);
  return { sql, tokens, ast, starModifiers: rewritten.starModifiers, byAll: rewritten.byAll > 0, qualify: rewritten.qualify };
}

/**
 * Gives `node` other contents, its keys and marks (symbols), in place: it keeps its identity and
 * its place in its parent (the passes after parsing regroup subtrees so).
 */
function overwrite(node: AstNode, contents: AstNode): void {
  for (const key of Object.keys(node)) delete node[key];
  for (const mark of Object.getOwnPropertySymbols(node)) delete node[mark];
  Object.assign(node, contents);
}

const isAndOr = (node: AstNode): boolean => node?.type === "binary_expr" && (node.operator === "AND" || node.operator === "OR");

/**
 * AND binds tighter than OR. The grammar reads a WHERE, ON or HAVING condition's ANDs and ORs as
 * one chain from left to right, so `a OR b AND c` came out as `(a OR b) AND c`: every such chain
 * (what is not in parentheses of its own) is grouped again, ORs of ANDs, in the written order.
 */
function regroupAndOr(ast: AstNode): void {
  const seen = new Set<AstNode>();
  const visit = (node: AstNode): void => {
    if (!node || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach(visit);
    if (isAndOr(node)) {
      const operands: AstNode[] = [];
      const operators: string[] = [];
      const flatten = (n: AstNode, top: boolean) => {
        if (isAndOr(n) && (top || !n.parentheses)) {
          flatten(n.left, false);
          operators.push(n.operator);
          flatten(n.right, false);
        } else operands.push(n);
      };
      flatten(node, true);
      operands.forEach(visit);
      const join = (parts: AstNode[], operator: string): AstNode =>
        parts.reduce((left, right) => ({ type: "binary_expr", operator, left, right, ...(left.loc && right.loc ? { loc: { start: left.loc.start, end: right.loc.end } } : {}) }));
      const disjuncts: AstNode[][] = [[operands[0]]];
      operators.forEach((operator, i) => (operator === "OR" ? disjuncts.push([operands[i + 1]]) : disjuncts[disjuncts.length - 1].push(operands[i + 1])));
      const regrouped = join(disjuncts.map((conjuncts) => join(conjuncts, "AND")), "OR");
      // The node keeps its identity (and its parentheses, and its place in its parent).
      const { parentheses, loc } = node;
      overwrite(node, { ...regrouped, ...(parentheses ? { parentheses } : {}), ...(loc ? { loc } : {}) });
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(ast);
}

/**
 * What the grammar reads each operator it lacks as (it has none of DuckDB's power and bitwise
 * operators): one of its JSON operators, which the pre-pass refuses where a query writes them
 * (trustql reads no other operator of the characters ? # @).
 */
const OPERATOR_STAND_INS: Record<string, string> = { "^": "#-", "**": "<@", "&": "?&", "|": "?|", "<<": "#>", ">>": "@>", "^@": "&&" };
const STOOD_IN = new Map(Object.entries(OPERATOR_STAND_INS).map(([real, standIn]) => [standIn, real === "**" ? "^" : real]));
/** DuckDB's binary operators of arithmetic and the others, by how tightly they bind; all left-associative. */
const OPERATOR_PRECEDENCE: Record<string, number> = { "^": 4, "*": 3, "/": 3, "%": 3, "+": 2, "-": 2, "||": 1, "&": 1, "|": 1, "<<": 1, ">>": 1, "^@": 1 };
/** The interval units the grammar reads after INTERVAL n and INTERVAL (x). */
const GRAMMAR_INTERVAL_UNITS = new Set(["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]);
/** Prefix operators, which bind tighter than any of those. */
const PREFIX_OPERATORS = new Set(["-", "+", "~"]);
/** Words after which a `~` is the prefix operator (bitwise NOT), not the regular expression match. */
const BEFORE_OPERAND_WORDS = new Set(["SELECT", "DISTINCT", "WHERE", "AND", "OR", "NOT", "WHEN", "THEN", "ELSE", "ON", "HAVING", "BY", "QUALIFY", "CASE", "RETURNING"]);

/**
 * DuckDB's pattern operator starting at tokens[at] (its characters written together), if one is
 * there: `~~` LIKE, `!~~` NOT LIKE, `~~*` ILIKE, `!~~*` NOT ILIKE, and `~` and `!~`, the whole
 * string matching a regular expression (SIMILAR TO and NOT SIMILAR TO, DuckDB's regexp_full_match);
 * `last` is its last token.
 */
function patternOperatorAt(tokens: readonly Token[], at: number): { words: string; last: number } | undefined {
  const joined = (k: number, text: string) => tokens[k]?.kind === "symbol" && tokens[k].text === text && tokens[k].offset === tokens[k - 1].end;
  const negated = tokens[at]?.kind === "symbol" && tokens[at].text === "!";
  const first = negated ? at + 1 : at;
  if (tokens[first]?.kind !== "symbol" || tokens[first].text !== "~" || (negated && !joined(first, "~"))) return undefined;
  if (!joined(first + 1, "~")) {
    // `~*` and `!~*` (PostgreSQL's) are no operators of DuckDB's; a `~` before an operand is bitwise NOT.
    if (joined(first + 1, "*") || (!negated && isBitwiseNot(tokens, first))) return undefined;
    return { words: `${negated ? "NOT " : ""}SIMILAR TO`, last: first };
  }
  const insensitive = joined(first + 2, "*");
  return { words: `${negated ? "NOT " : ""}${insensitive ? "ILIKE" : "LIKE"}`, last: first + (insensitive ? 2 : 1) };
}

/** Operators DuckDB binds as tightly as ~~ (Postgres' level of other operators), left to right. */
const OPERATORS_AT_CONCATENATION_LEVEL = new Set(["||", "->", "->>", "^@"]);

/**
 * The index of the first token after the operand that begins at tokens[at] of an operator of ~~'s
 * level: the first, outside parentheses and CASE … END, that is no part of an operand binding
 * more tightly (a comparison, a word such as AND, a comma, a closing parenthesis, ||, ESCAPE).
 */
function patternOperandEnd(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let k = at; k < tokens.length; k++) {
    const t = tokens[k];
    if (OPENING.has(t.text) || (t.kind === "word" && t.text === "CASE")) depth++;
    else if (CLOSING.has(t.text) || (t.kind === "word" && t.text === "END")) {
      if (depth === 0) return k;
      depth--;
    } else if (depth === 0 && (OPERATORS_AT_CONCATENATION_LEVEL.has(t.text) || PATTERN_OPERAND_ENDS.has(t.text) || (t.kind === "word" && PATTERN_OPERAND_END_WORDS.has(t.text)))) return k;
  }
  return tokens.length;
}
const PATTERN_OPERAND_ENDS = new Set([",", ";", "=", "<", ">", "<=", ">=", "<>", "!=", "~", "!"]);
const PATTERN_OPERAND_END_WORDS = new Set(["AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "ILIKE", "GLOB", "SIMILAR", "ESCAPE", "THEN", "WHEN", "ELSE", "AS", "FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "ON", "USING", "JOIN"]);

/**
 * Whether the `~` at tokens[at] is the prefix operator (bitwise NOT): where an operand begins, and
 * not part of `!~`, `~*`, `!~*` or `~~` (pattern matches, and the stand-ins of IS DISTINCT FROM).
 */
function isBitwiseNot(tokens: readonly Token[], at: number): boolean {
  const [previous, next] = [tokens[at - 1], tokens[at + 1]];
  if (previous?.text === "!" || previous?.text === "~" || next?.text === "~" || (next?.text === "*" && next.offset === tokens[at].end)) return false;
  return beforeOperand(previous);
}

/**
 * The index of the last token of the operand of the prefix operator at tokens[at]: `-` and `+`
 * take one operand (with its casts, subscripts, member names and call), `~` what follows up to an
 * operator of the loosest level, a comparison or a word (DuckDB reads `~2 + 1` as `~(2 + 1)`).
 * Parentheses, brackets and CASE … END are taken whole.
 */
function prefixOperandEnd(tokens: readonly Token[], at: number): number {
  const loose = tokens[at].text === "~";
  let depth = 0;
  let expectOperand = true;
  let last = at;
  for (let i = at + 1; i < tokens.length; i++) {
    const t = tokens[i];
    const opens = (t.kind === "symbol" && OPENING.has(t.text)) || (t.kind === "word" && t.text === "CASE");
    const closes = (t.kind === "symbol" && CLOSING.has(t.text)) || (t.kind === "word" && t.text === "END");
    if (depth > 0) {
      if (opens) depth++;
      else if (closes && --depth === 0) [last, expectOperand] = [i, false];
      continue;
    }
    if (opens) {
      // A group, or a call's arguments or a subscript after what came before.
      depth++;
      continue;
    }
    if (expectOperand) {
      if (t.kind === "symbol" && PREFIX_OPERATORS.has(t.text)) continue;
      if (t.kind === "symbol") return last;
      [last, expectOperand] = [i, false];
      continue;
    }
    if (t.kind === "symbol" && (t.text === "::" || t.text === ".")) {
      expectOperand = true; // the cast's type or the member's name
      continue;
    }
    const binary = t.kind === "symbol" && (OPERATOR_PRECEDENCE[t.text] !== undefined || t.text === "**" || t.text === "//");
    if (loose && binary && OPERATOR_PRECEDENCE[t.text] !== OPERATOR_PRECEDENCE["||"]) {
      expectOperand = true;
      continue;
    }
    return last;
  }
  return last;
}

const CLOSERS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}" };
/** What opens and closes a nesting level: parentheses, a list's or subscript's brackets, a struct's or map's braces. */
const OPENING: ReadonlySet<string> = new Set(Object.keys(CLOSERS));
const CLOSING: ReadonlySet<string> = new Set(Object.values(CLOSERS));

/** The index of the token that closes the parenthesis or bracket tokens[open] opens (tokens.length: none). */
function closingFrom(tokens: readonly Token[], open: number): number {
  const [opener, closer] = [tokens[open].text, CLOSERS[tokens[open].text]];
  let k = open;
  for (let depth = 0; k < tokens.length; k++) {
    if (tokens[k].text === opener) depth++;
    else if (tokens[k].text === closer && --depth === 0) break;
  }
  return k;
}

/** The index of the token that opens the parenthesis or bracket tokens[close] closes (-1: none). */
function openingFrom(tokens: readonly Token[], close: number): number {
  const closer = tokens[close].text;
  const opener = closer === ")" ? "(" : closer === "]" ? "[" : "{";
  let k = close;
  for (let depth = 0; k >= 0; k--) {
    if (tokens[k].text === closer) depth++;
    else if (tokens[k].text === opener && --depth === 0) break;
  }
  return k;
}

/** The index of the CASE that the END at tokens[end] closes (its parenthesized parts skipped). */
function caseOf(tokens: readonly Token[], end: number): number {
  let open = 0;
  for (let k = end; k >= 0; k--) {
    const t = tokens[k];
    if (t.text === ")" || t.text === "]") k = Math.max(openingFrom(tokens, k), 0);
    else if (t.kind === "word" && t.text === "END") open++;
    else if (t.kind === "word" && t.text === "CASE" && --open === 0) return k;
  }
  return end;
}

/** Words before `(` that begin a parenthesized operand rather than name a call (`THEN (x)[1]`). */
const OPERAND_KEYWORDS = new Set([...BEFORE_OPERAND_WORDS, "IS", "LIKE", "ILIKE", "GLOB", "BETWEEN", "ESCAPE", "IN", "ANY", "ALL", "SOME", "EXISTS", "AS", "FROM"]);

/** Whether a token before `(` names the call the parentheses belong to. */
function isCallName(t: Token | undefined): boolean {
  return t?.kind === "quoted" || (t?.kind === "word" && !OPERAND_KEYWORDS.has(t.text));
}

/** Whether the `[` at tokens[bracket] subscripts what comes before it (`s[1]`, `f(x)[2:3]`), not begins a list (`[1, 2]`). */
function isSubscript(tokens: readonly Token[], bracket: number): boolean {
  const before = tokens[bracket - 1];
  if (!before) return false;
  if (before.text === "]" || before.text === ")" || before.text === "}") return true;
  if (before.kind === "quoted" || before.kind === "string" || before.kind === "number") return true;
  return before.kind === "word" && before.text !== "ARRAY" && !BEFORE_OPERAND_WORDS.has(before.text) && !SUBQUERY_AFTER_WORDS.has(before.text);
}

/**
 * The FOR, IN and IF (where written) of a list comprehension opened by the `[` at tokens[open], and
 * its `]`: FOR and IN at the bracket's own depth, names (the value, and its position) between them.
 */
function listComprehension(tokens: readonly Token[], open: number): { for: number; in: number; if?: number; close: number } | undefined {
  const close = closingFrom(tokens, open);
  let depth = 0;
  const atTop: Record<string, number> = {};
  for (let k = open + 1; k < close; k++) {
    const t = tokens[k];
    if (OPENING.has(t.text)) depth++;
    else if (CLOSING.has(t.text)) depth--;
    else if (depth === 0 && t.kind === "word" && (t.text === "FOR" || t.text === "IN" || t.text === "IF") && atTop[t.text] === undefined) atTop[t.text] = k;
  }
  const [forAt, inAt] = [atTop.FOR, atTop.IN];
  if (forAt === undefined || inAt === undefined || inAt < forAt + 2 || close >= tokens.length) return undefined;
  const names = tokens.slice(forAt + 1, inAt);
  if (!names.every((x, k) => (k % 2 === 0 ? x.kind === "word" || x.kind === "quoted" : x.text === ","))) return undefined;
  const ifAt = atTop.IF !== undefined && atTop.IF > inAt ? atTop.IF : undefined;
  return { for: forAt, in: inAt, ...(ifAt !== undefined ? { if: ifAt } : {}), close };
}

/** The calls that take a lambda, by every name DuckDB gives them, and the function each is (bind/lists.ts binds them). */
export const LAMBDA_CALLS: Readonly<Record<string, "list_transform" | "list_filter" | "list_reduce">> = {
  list_transform: "list_transform",
  array_transform: "list_transform",
  list_apply: "list_transform",
  array_apply: "list_transform",
  apply: "list_transform",
  list_filter: "list_filter",
  array_filter: "list_filter",
  filter: "list_filter",
  list_reduce: "list_reduce",
  array_reduce: "list_reduce",
  reduce: "list_reduce",
};

/**
 * Whether tokens[last] ends a lambda's parameters: a name, or names in parentheses, that begin an
 * argument of a call that takes a lambda (`list_transform(l, x -> …)`; elsewhere `j -> 'a'` is
 * JSON's operator).
 */
function lambdaParametersEndAt(tokens: readonly Token[], last: number): boolean {
  const name = (t: Token | undefined) => t?.kind === "word" || t?.kind === "quoted";
  let first = last;
  if (tokens[last]?.text === ")") {
    first = openingFrom(tokens, last);
    const inside = tokens.slice(first + 1, last);
    if (first < 0 || inside.length === 0 || !inside.every((x, k) => (k % 2 === 0 ? name(x) : x.text === ","))) return false;
  } else if (!name(tokens[last])) return false;
  const before = first - 1;
  const call = tokens[before]?.text === "(" ? before : tokens[before]?.text === "," ? enclosingParenthesis(tokens, before) : -1;
  // COLUMNS(c -> …) takes a lambda over the columns' names.
  const callName = call > 0 && isCallName(tokens[call - 1]) ? tokens[call - 1].text.toLowerCase() : undefined;
  return callName !== undefined && (Object.hasOwn(LAMBDA_CALLS, callName) || callName === "columns");
}

/** The index of the `(` whose parentheses hold tokens[at] (-1: none). */
function enclosingParenthesis(tokens: readonly Token[], at: number): number {
  for (let k = at - 1; k >= 0; k--) {
    if (tokens[k].text === ")" || tokens[k].text === "]") k = openingFrom(tokens, k);
    else if (tokens[k].text === "(") return k;
    else if (tokens[k].text === "[") return -1;
  }
  return -1;
}

/** The index of the `,` or closing token that ends the call argument starting at tokens[from]. */
function argumentEnd(tokens: readonly Token[], from: number): number {
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    const text = tokens[k].text;
    if (OPENING.has(text)) depth++;
    else if (CLOSING.has(text)) {
      if (depth === 0) return k;
      depth--;
    } else if (text === "," && depth === 0) return k;
  }
  return tokens.length - 1;
}

/**
 * The index of the first token of the operand a subscript at tokens[bracket] applies to: a name
 * (dotted), a literal, a call, a parenthesized expression, or an operand already subscripted.
 */
function subscriptedFrom(tokens: readonly Token[], bracket: number): number {
  let k = bracket - 1;
  for (;;) {
    const t = tokens[k];
    if (!t) return bracket;
    if (t.text === "]" || t.text === ")" || t.text === "}") {
      k = openingFrom(tokens, k);
      if (k < 0) return bracket; // no opener: the grammar says where
      if ((t.text === "]" && isSubscript(tokens, k)) || (t.text === ")" && isCallName(tokens[k - 1]))) {
        k--; // the subscripted operand, or the call's name
        continue;
      }
      return k;
    }
    // A CASE expression, from its END back to its CASE.
    if (t.kind === "word" && t.text === "END") return caseOf(tokens, k);
    // A name, dotted after a qualifier.
    if ((t.kind === "word" || t.kind === "quoted") && tokens[k - 1]?.text === ".") {
      k -= 2;
      continue;
    }
    return k;
  }
}

/** Type names whose arguments the grammar cannot read in a cast. */
const NESTED_TYPE_WORDS = new Set(["STRUCT", "MAP"]);

/** The last token of the nested type name starting at tokens[start] (`STRUCT(…)`, `MAP(…)[]`). */
function nestedTypeEnd(tokens: readonly Token[], start: number): number {
  let end = closingFrom(tokens, start + 1);
  while (tokens[end + 1]?.text === "[" && tokens[end + 2]?.text === "]") end += 2;
  return Math.min(end, tokens.length - 1);
}

/** Whether the `.` at tokens[dot] follows a value (not a table's or a column's name): `)`, `]`, `}` or a CASE's END, then any `.name`s. */
function dottedAfterValue(tokens: readonly Token[], dot: number): boolean {
  let k = dot - 1;
  while ((tokens[k]?.kind === "word" || tokens[k]?.kind === "quoted") && tokens[k]?.text !== "END" && tokens[k - 1]?.text === ".") k -= 2;
  const t = tokens[k];
  return t?.text === ")" || t?.text === "]" || t?.text === "}" || (t?.kind === "word" && t.text === "END");
}

/** Words that end the expression before them: IS's left operand starts after the last of them. */
const EXPRESSION_BOUNDARIES = new Set(["SELECT", "DISTINCT", "WHERE", "AND", "OR", "NOT", "WHEN", "THEN", "ELSE", "ON", "HAVING", "BY", "QUALIFY", "CASE", "RETURNING", "LIMIT", "OFFSET"]);
/** The words of comparisons that bind tighter than IS; the symbols are the comparison operators. */
const COMPARISON_WORDS = new Set(["IN", "LIKE", "ILIKE", "GLOB", "SIMILAR", "BETWEEN"]);
const COMPARISON_SYMBOLS = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);

/**
 * Walks back from tokens[from] over what is outside parentheses and CASE … END, and returns the
 * index of the first token `stop` accepts, or of an opening parenthesis left open (−1: neither).
 */
function backAtTopLevel(tokens: readonly Token[], from: number, stop: (k: number) => boolean): number {
  let depth = 0;
  for (let k = from - 1; k >= 0; k--) {
    const x = tokens[k];
    if (x.text === ")" || (x.kind === "word" && x.text === "END")) depth++;
    else if (x.text === "(" || (x.kind === "word" && x.text === "CASE" && depth > 0)) {
      if (depth === 0) return k;
      depth--;
    } else if (depth === 0 && stop(k)) return k;
  }
  return -1;
}

/**
 * The index of the first token of the operand before tokens[is] (an IS): after an opening
 * parenthesis, a comma or a boundary word, except the AND of a BETWEEN, which belongs to it.
 */
function isOperandStart(tokens: readonly Token[], is: number): number {
  return backAtTopLevel(tokens, is, (k) => isBoundary(tokens, k) && !(tokens[k].text === "AND" && betweenBefore(tokens, k))) + 1;
}

/** Whether tokens[k] ends the expression before it: a comma or a boundary word, but not the NOT of NOT IN, NOT LIKE, NOT BETWEEN…. */
function isBoundary(tokens: readonly Token[], k: number): boolean {
  const x = tokens[k];
  if (x.text === ",") return true;
  if (x.kind !== "word" || !EXPRESSION_BOUNDARIES.has(x.text)) return false;
  return x.text !== "NOT" || !COMPARISON_WORDS.has(tokens[k + 1]?.text ?? "");
}

/** Whether the AND at tokens[and] is a BETWEEN's: a BETWEEN comes before it with no boundary between. */
function betweenBefore(tokens: readonly Token[], and: number): boolean {
  const at = backAtTopLevel(tokens, and, (k) => (tokens[k].kind === "word" && tokens[k].text === "BETWEEN") || isBoundary(tokens, k));
  return at >= 0 && tokens[at].text === "BETWEEN";
}

/** Whether tokens[from, to) hold a comparison outside parentheses and CASE … END. */
function hasComparison(tokens: readonly Token[], from: number, to: number): boolean {
  let depth = 0;
  for (let k = from; k < to; k++) {
    const x = tokens[k];
    if (x.text === "(" || (x.kind === "word" && x.text === "CASE")) depth++;
    else if (x.text === ")" || (x.kind === "word" && x.text === "END")) depth--;
    else if (depth === 0 && ((x.kind === "symbol" && COMPARISON_SYMBOLS.has(x.text)) || (x.kind === "word" && COMPARISON_WORDS.has(x.text)))) return true;
  }
  return false;
}

/** Whether a token after `previous` begins an operand (a prefix operator may stand there). */
function beforeOperand(previous: Token | undefined): boolean {
  if (!previous) return true;
  if (previous.kind === "symbol") return previous.text !== ")" && previous.text !== "]";
  return previous.kind === "word" && BEFORE_OPERAND_WORDS.has(previous.text);
}

/**
 * Operators bind as in DuckDB. The grammar reads `||` (and the stand-ins of the operators it
 * lacks) tighter than `*`, a prefix `-` over them, and a prefix `~` tighter than anything: `'n'
 * || a + 1` came out as `('n' || a) + 1`, `~a + 1` as `(~a) + 1`. Each chain of binary operators
 * holding one of them, what is not in parentheses of its own, is read again by DuckDB's
 * precedence, in the written order, the stand-ins named as written: `-` applies to its operand
 * alone, `~` to what follows up to an operator of its own level (as PostgreSQL's prefix
 * operators). After annotate, so the marks it leaves on nodes (a `//`) are carried over.
 */
function regroupOperators(ast: AstNode): void {
  const seen = new Set<AstNode>();
  const operatorOf = (n: AstNode): string | undefined => (n?.type === "binary_expr" ? (STOOD_IN.get(n.operator) ?? n.operator) : undefined);
  const inChain = (n: AstNode) => OPERATOR_PRECEDENCE[operatorOf(n) ?? ""] !== undefined;
  const prefixed = (n: AstNode, operators: readonly string[]) => n?.type === "unary_expr" && operators.includes(n.operator);
  const span = (left: AstNode, right: AstNode, fallback: AstNode) => (left?.loc && right?.loc ? { loc: { start: left.loc.start, end: right.loc.end } } : fallback?.loc ? { loc: fallback.loc } : {});
  type Item = { operand: AstNode } | { op: string; from: AstNode } | { prefix: AstNode };
  const visit = (node: AstNode): void => {
    if (!node || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach(visit);
    const starts = inChain(node) || (prefixed(node, ["-", "+"]) && inChain(node.expr) && !node.expr.parentheses) || prefixed(node, ["~"]);
    if (!starts) {
      for (const value of Object.values(node)) visit(value);
      return;
    }
    // The chain in written order: operands, binary operators, and prefix ~ before what they apply to.
    const items: Item[] = [];
    let regroup = false;
    const flatten = (n: AstNode, top: boolean) => {
      if (inChain(n) && (top || !n.parentheses)) {
        const op = operatorOf(n)!;
        if (op !== n.operator) regroup = true;
        flatten(n.left, false);
        items.push({ op, from: n });
        flatten(n.right, false);
      } else if (prefixed(n, ["-", "+"]) && (top || !n.parentheses) && inChain(n.expr) && !n.expr.parentheses) {
        // A prefix - binds tighter than any binary operator: it applies to the first operand.
        regroup = true;
        const first = items.length;
        flatten(n.expr, false);
        const item = items[first];
        if ("operand" in item) items[first] = { operand: { ...n, expr: item.operand, ...span(n, item.operand, n) } };
      } else if (prefixed(n, ["~"]) && (top || !n.parentheses)) {
        regroup = true;
        items.push({ prefix: n });
        flatten(n.expr, false);
      } else items.push({ operand: n });
    };
    flatten(node, true);
    // `||` read tighter than the chain's arithmetic: grouped wrongly only where they mix.
    const levels = new Set(items.flatMap((item) => ("op" in item ? [OPERATOR_PRECEDENCE[item.op]] : [])));
    if (items.some((item) => "op" in item && item.op === "||") && levels.size > 1) regroup = true;
    if (!regroup) {
      for (const value of Object.values(node)) visit(value);
      return;
    }
    for (const item of items) if ("operand" in item) visit(item.operand);
    let at = 0;
    const primary = (): AstNode => {
      const item = items[at++];
      if ("operand" in item) return item.operand;
      invariant("prefix" in item, "a chain of operators starts with an operand");
      const operand = expression(OPERATOR_PRECEDENCE["||"] + 1);
      return { ...item.prefix, expr: operand, ...span(item.prefix, operand, item.prefix) };
    };
    const expression = (least: number): AstNode => {
      let left = primary();
      for (let item = items[at]; item && "op" in item && OPERATOR_PRECEDENCE[item.op] >= least; item = items[at]) {
        at++;
        const right = expression(OPERATOR_PRECEDENCE[item.op] + 1);
        const joined: AstNode = { type: "binary_expr", operator: item.op, left, right, ...span(left, right, item.from) };
        for (const mark of Object.getOwnPropertySymbols(item.from)) joined[mark] = item.from[mark];
        left = joined;
      }
      return left;
    };
    const regrouped = expression(0);
    invariant(at === items.length, "a chain of operators read whole");
    // The node keeps what else it holds (parentheses, a subscript); its marks are the regrouped top's.
    const { type: _type, operator: _operator, left: _left, right: _right, expr: _expr, ...held } = node;
    for (const mark of Object.getOwnPropertySymbols(held)) delete held[mark];
    overwrite(node, { ...regrouped, ...held });
  };
  visit(ast);
}

/**
 * `NOT (x) IN (…)`, `NOT (a, b) = …`, `NOT (x) + 1 > 2`: NOT binds looser than every operator
 * but AND and OR, but the grammar reads `NOT (…)` before another operator as a call of NOT, the
 * operand of that operator. Each such call goes up to where NOT belongs, over the whole
 * expression it began (up to an AND, an OR, or what is not an operator).
 */
function liftParenthesizedNots(ast: AstNode): void {
  const LIFTED = Symbol("liftedNot");
  const isNotCall = (n: AstNode) => n?.type === "function" && n.name?.name?.length === 1 && String(n.name.name[0].value).toUpperCase() === "NOT" && !n.over && Array.isArray(n.args?.value) && n.args.value.length > 0;
  const seen = new Set<AstNode>();
  const visit = (node: AstNode): void => {
    if (!node || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    for (const value of Object.values(node)) visit(value);
    if (node.type !== "binary_expr" || node.operator === "AND" || node.operator === "OR" || node.parentheses) return;
    const left = node.left;
    let operand: AstNode;
    if (isNotCall(left)) operand = left.args.value.length === 1 ? { ...left.args.value[0], parentheses: true } : { type: "expr_list", value: left.args.value, parentheses: true };
    else if (left?.[LIFTED]) operand = left.expr;
    else return;
    const inner = { ...node, left: operand };
    overwrite(node, { type: "unary_expr", operator: "NOT", expr: inner, ...(inner.loc ? { loc: inner.loc } : {}), [LIFTED]: true });
  };
  visit(ast);
}

interface SetOpToken {
  readonly token: Token;
  readonly all: boolean;
  /** UNION BY NAME: columns matched by name, not position. */
  readonly byName: boolean;
}

interface Rewritten {
  text: string;
  setOps: SetOpToken[];
  /** Offsets of SUM, AVG, MIN, MAX and the aggregates the grammar lacks written with DISTINCT. */
  distinctAggregates: Set<number>;
  /** Offsets of TIMESTAMP keywords that began a TIMESTAMPTZ or TIMESTAMP WITH TIME ZONE literal. */
  zonedTimestamps: Set<number>;
  /** Offsets of aggregates before FILTER whose arguments reached the grammar as one parenthesized list (see argumentsGrouped). */
  groupedArguments: Set<number>;
  /** What each `* EXCLUDE (…)` and `* REPLACE (…)` does, by the number its marker carries (see starModifier). */
  starModifiers: StarModifier[];
  /** How many GROUP BY ALL and ORDER BY ALL reached the grammar as position BY_ALL. */
  byAll: number;
  /** Whether QUALIFY reached the grammar as HAVING (see ParsedQuery.qualify). */
  qualify: boolean;
  /** Whether a string literal's backslashes reached the grammar as LITERAL_BACKSLASH (see restoreStrings). */
  backslashes: boolean;
  /** What reached the grammar as stand-ins (see restoreStrings). */
  standIns: StandIn[];
  /** Offsets of the first slash of each `//` (DuckDB's integer division), which reached the grammar as `/`. */
  integerDivisions: Set<number>;
  /** Offsets of the names of the calls written with IGNORE NULLS (the words went). */
  ignoreNulls: Set<number>;
  /** The bounds of each RANGE or GROUPS window frame, by the offset of its first word (the grammar read a ROWS frame there). */
  writtenFrames: Map<number, WrittenFrame>;
  /** Each frame's EXCLUDE clause, by the offset of its EXCLUDE (the words went: the grammar has none). */
  frameExclusions: Map<number, FrameExclusion>;
  /** How many partition keys each OVER (PARTITION BY …) has, by the offset of its PARTITION (the grammar read them as the first ORDER BY keys). */
  partitionCounts: Map<number, number>;
  /** The named windows an OVER (w …) refines, lower-cased, by the offset of the name (which went). */
  baseWindows: Map<number, string>;
  /** Calls written `f(…) FILTER (WHERE c) OVER …`, by the offset of their name: c reached the grammar as their last argument (see windowFilterOf). */
  windowFilters: Map<number, WindowFilter>;
  /** USING SAMPLE and TABLESAMPLE clauses (the words went), by the offset of the table they follow (see sampleOf). */
  samples: Map<number, Sample>;
  /** Offsets of the table names a NATURAL JOIN joins (the grammar read the join without NATURAL). */
  naturalJoins: Set<number>;
  /** Offsets of the table names an ASOF JOIN joins (the grammar read the join without ASOF). */
  asofJoins: Set<number>;
  /** Offsets of the table names a SEMI JOIN or ANTI JOIN joins (the grammar read an inner join), and which it is. */
  filteringJoins: Map<number, "semi" | "anti">;
  /** Offsets of the names of ordered calls before OVER (list(x ORDER BY k) OVER …), whose sort keys became their last arguments: the keys' directions. */
  argumentOrders: Map<number, SortDirection[]>;
  /** Parenthesized operands of set operations, which reach the grammar as derived tables (see parenthesizedOperands). */
  operands: ParenthesizedOperand[];
  /** Maps an offset in `text` to the offset in the query it came from. */
  originalOffset: (offset: number) => number;
  /** Whether an offset in `text` lies in text the pre-pass inserted. */
  insertedAt: (offset: number) => boolean;
  /** Whether text was inserted (for `operands`, and operators the grammar lacks): the grammar's locations need mapping back. */
  moved: boolean;
  /**
   * Words the grammar reads as another, by offset: TIMESTAMPTZ as TIMESTAMP, TRY_CAST as CAST,
   * PERCENT_RANK and CUME_DIST as RANK, aggregates it lacks before OVER as LAG, before FILTER as SUM.
   */
  renamed: Map<number, string>;
}

/** Aggregates the grammar knows only as functions: with OVER or FILTER they reach it as LAG or SUM. */
const RENAMED_AGGREGATES = new Set([
  "MEDIAN", "MODE", "HISTOGRAM", "STDDEV", "STDDEV_SAMP", "STDDEV_POP", "VARIANCE", "VAR_SAMP", "VAR_POP", "BOOL_AND", "BOOL_OR",
  "QUANTILE", "QUANTILE_CONT", "QUANTILE_DISC", "ARG_MIN", "ARG_MAX", "ARGMIN", "ARGMAX", "MIN_BY", "MAX_BY", "APPROX_COUNT_DISTINCT",
  "COUNT_IF", "REGR_COUNT", "CORR", "COVAR_POP", "COVAR_SAMP", "REGR_SLOPE", "REGR_INTERCEPT", "REGR_R2", "REGR_AVGX", "REGR_AVGY", "REGR_SXX", "REGR_SYY", "REGR_SXY",
  "SKEWNESS", "KURTOSIS", "KURTOSIS_POP", "ENTROPY", "PRODUCT", "FSUM", "SUMKAHAN", "KAHAN_SUM",
  "FAVG", "GEOMEAN", "GEOMETRIC_MEAN", "SEM", "MAD", "BIT_AND", "BIT_OR", "BIT_XOR", "STRING_AGG", "GROUP_CONCAT", "LISTAGG", "ANY_VALUE", "ARBITRARY", "LIST", "ARRAY_AGG",
  "JSON_GROUP_ARRAY", "JSON_GROUP_OBJECT",
]);

/** Ordered aggregates the grammar knows with FILTER (and ORDER BY inside), but not before OVER. */
const ORDERED_AGGREGATE_WORDS = new Set(["STRING_AGG", "GROUP_CONCAT", "LISTAGG", "ARRAY_AGG"]);

/** Calls that take ORDER BY inside before OVER (list(x ORDER BY k) OVER …; see the pre-pass's orderedArguments). */
const ORDERED_WINDOW_CALLS = new Set(["LIST", ...ORDERED_AGGREGATE_WORDS, "FIRST", "LAST", "ANY_VALUE", "ARBITRARY"]);

/** What ALL in GROUP BY ALL and ORDER BY ALL reaches the grammar as: a position no query can write. */
export const BY_ALL = "0";

/**
 * What IS DISTINCT FROM and IS NOT DISTINCT FROM reach the grammar as: its regular expression
 * operators, which the pre-pass refuses where a query writes them, so the binder reads these as
 * the NULL-safe comparisons only.
 */
export const DISTINCT_FROM_OPERATORS = { distinct: "!~*", notDistinct: "~*" } as const;

/** What joins a HAVING's condition and the QUALIFY's after it into the one HAVING the grammar reads: `(having) #>> (qualify)`. */
export const HAVING_THEN_QUALIFY = "#>>";

/** The HAVING of the SELECT whose QUALIFY is tokens[at], or −1. */
function havingBefore(tokens: readonly Token[], at: number): number {
  for (let k = at - 1, depth = 0; k >= 0; k--) {
    const t = tokens[k];
    if (t.text === ")") depth++;
    else if (t.text === "(" && depth-- === 0) return -1;
    else if (depth === 0 && t.kind === "word" && (t.text === "SELECT" || SET_OPERATION_WORDS.has(t.text))) return -1;
    else if (depth === 0 && t.kind === "word" && t.text === "HAVING") return k;
  }
  return -1;
}

/** Words that begin a clause after QUALIFY, or another SELECT. */
const AFTER_QUALIFY_WORDS = new Set(["ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "INTERSECT", "EXCEPT"]);

/**
 * The first token after what starts at tokens[at], up to one of `stops` outside parentheses, a
 * `;`, or the parenthesis that closes its SELECT.
 */
function clauseEnd(tokens: readonly Token[], at: number, stops: ReadonlySet<string>): number {
  let k = at + 1;
  for (let depth = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.text === "(") depth++;
    else if (t.text === ")" && depth-- === 0) break;
    else if (depth === 0 && (t.text === ";" || (t.kind === "word" && stops.has(t.text)))) break;
  }
  return k;
}

/**
 * What GROUPING SETS (…) reaches the grammar as; the binder reads this call in GROUP BY only. An
 * empty set () in it reaches the grammar as '' (grouping by a constant is grouping by nothing).
 */
export const GROUPING_SETS_CALL = "grouping_sets";

/** Words that begin a join after a FROM item. */
const JOIN_WORDS = new Set(["JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ASOF", "ON", "USING"]);

/** The name of a PIVOT's derived table's first item, then the count of its aggregates (see the pre-pass). */
export const PIVOT_MARK = "__trustql_pivot_";
/** The name of an UNPIVOT's derived table's first item, then 1 where NULL values stay (INCLUDE NULLS). */
export const UNPIVOT_MARK = "__trustql_unpivot_";

/**
 * DuckDB's type names the grammar lacks in a cast, and the name of the same type it reads; DuckDB
 * itself reads TIMESTAMP(p) as the timestamp of p fraction digits (0 TIMESTAMP_S, 3 _MS, 9 _NS).
 */
const CAST_TYPE_ALIASES = new Map([
  ["HUGEINT", "INT128"],
  ["STRING", "TEXT"],
  ["BLOB", "BYTEA"],
  ["BINARY", "BYTEA"],
  ["VARBINARY", "BYTEA"],
  ["DEC", "DECIMAL"],
  ["TIMESTAMP_NS", "TIMESTAMP(9)"],
  ["TIMESTAMP_US", "TIMESTAMP"],
  ["TIMESTAMP_MS", "TIMESTAMP(3)"],
  ["TIMESTAMP_S", "TIMESTAMP(0)"],
]);

/** Type names DuckDB reads before a string as the cast of it (`UUID '…'`), beside the grammar's own typed literals (DATE, TIME, TIMESTAMP, INTERVAL). */
const LITERAL_CAST_TYPES = new Set([
  ...CAST_TYPE_ALIASES.keys(),
  ...["UUID", "INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC", "VARCHAR", "TEXT", "BOOLEAN", "BOOL", "JSON", "DATETIME"],
]);

/** DuckDB's reserved words that begin neither a table nor an expression: after FROM or JOIN, a table's name written bare. */
const KEYWORDS_NEVER_A_TABLE = new Set(["ORDER", "GROUP", "WHERE", "LIMIT", "OFFSET", "HAVING", "QUALIFY", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "SELECT", "FROM", "ON", "USING", "TABLE", "WHEN", "THEN", "ELSE", "END", "AS", "AND", "OR", "INTO", "TO", "FOR", "FETCH", "ASC", "DESC", "DEFAULT", "CHECK", "CONSTRAINT", "CREATE", "REFERENCES", "RETURNING", "PRIMARY", "FOREIGN", "UNIQUE", "COLLATE", "COLUMN", "DO", "VARIADIC"]);

/** The lambda parameter `* LIKE 'p'` reaches the grammar with, as COLUMNS(… -> … LIKE 'p'). */
const STAR_PATTERN_PARAMETER = "trustql_column";

/** After a select list's `*`, from tokens[at]: where `[NOT] LIKE | ILIKE | GLOB | SIMILAR TO 'pattern'` ends (its string), or undefined. */
function starPatternAt(tokens: readonly Token[], at: number): number | undefined {
  const word = (k: number, text: string) => tokens[k]?.kind === "word" && tokens[k].text === text;
  const from = word(at, "NOT") ? at + 1 : at;
  const operatorEnd = word(from, "LIKE") || word(from, "ILIKE") || word(from, "GLOB") ? from : word(from, "SIMILAR") && word(from + 1, "TO") ? from + 1 : undefined;
  return operatorEnd !== undefined && tokens[operatorEnd + 1]?.kind === "string" ? operatorEnd + 1 : undefined;
}

/** The parts the grammar reads in EXTRACT(part FROM x). */
const EXTRACT_PARTS = new Set(["CENTURY", "DAY", "DATE", "DECADE", "DOW", "DOY", "EPOCH", "HOUR", "ISODOW", "ISOYEAR", "MICROSECONDS", "MILLENNIUM", "MILLISECONDS", "MINUTE", "MONTH", "QUARTER", "SECOND", "TIMEZONE", "TIMEZONE_HOUR", "TIMEZONE_MINUTE", "WEEK", "YEAR"]);

/** DuckDB's other names of EXTRACT's parts (singular, plural, short), and the grammar's name of the same part. */
const EXTRACT_PART_SYNONYMS = new Map(
  Object.entries({
    YEAR: ["YEARS", "Y", "YR", "YRS"],
    QUARTER: ["QUARTERS"],
    MONTH: ["MONTHS", "MON", "MONS"],
    WEEK: ["WEEKS", "W", "WEEKOFYEAR"],
    DAY: ["DAYS", "D", "DAYOFMONTH"],
    DOW: ["DAYOFWEEK", "WEEKDAY"],
    DOY: ["DAYOFYEAR"],
    HOUR: ["HOURS", "H", "HR", "HRS"],
    MINUTE: ["MINUTES", "M", "MIN", "MINS"],
    SECOND: ["SECONDS", "S", "SEC", "SECS"],
    MILLISECONDS: ["MILLISECOND", "MS", "MSEC", "MSECS", "MSECOND", "MSECONDS"],
    MICROSECONDS: ["MICROSECOND", "US", "USEC", "USECS", "USECOND", "USECONDS"],
    DECADE: ["DECADES", "DECS"],
    CENTURY: ["CENTURIES", "CENT", "C"],
    MILLENNIUM: ["MILLENNIA", "MILLENNIUMS", "MILLENIUM", "MIL", "MILS"],
  }).flatMap(([part, names]) => names.map((name) => [name, part] as const)),
);

/** Type names the grammar reads as a list's (`INTEGER[]`) in a cast; a name in parentheses ends at `)`. */
const LIST_ELEMENT_TYPE_WORDS = new Set(["INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "INT2", "INT4", "INT8", "DOUBLE", "PRECISION", "REAL", "FLOAT", "NUMERIC", "DECIMAL", "VARCHAR", "TEXT", "CHAR"]);

/**
 * Type names of a list's values the grammar cannot bracket in a cast (`DATE[]`): the pre-pass
 * writes the name over as `DECIMAL(0, k)`, k its place here — a width no query may write (DuckDB's
 * are 1 to 38, and the pre-pass refuses 0) — which the grammar brackets; the binder reads the name
 * back (markedListElementType).
 */
const MARKED_LIST_ELEMENT_TYPES = ["DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "BOOLEAN", "BOOL", "INTERVAL"];

/** The type name a cast's `DECIMAL(0, k)` stands for (see MARKED_LIST_ELEMENT_TYPES), or undefined for any other. */
export function markedListElementType(target: AstNode): string | undefined {
  const isMark = String(target?.dataType).toUpperCase() === "DECIMAL" && target.length === 0 && target.parentheses;
  return isMark ? MARKED_LIST_ELEMENT_TYPES[Number(target.scale)] : undefined;
}

/** Words a window's specification starts with (any other word there names the window it refines). */
const WINDOW_SPECIFICATION_WORDS = new Set(["PARTITION", "ORDER", "ROWS", "RANGE", "GROUPS"]);

/**
 * The name of the second item of the SELECT a LIMIT's value and its OFFSET's reach the grammar as,
 * `LIMIT (SELECT count, offset AS __trustql_offset)`, where either is an expression (see the pre-pass).
 */
export const LIMIT_OFFSET_MARK = "__trustql_offset";

/** Whether the grammar gets a stand-in for a number (see restoreStrings): one too long for a double, or 1_000. */
function numberStandsIn(t: Token): boolean {
  const long = /^[0-9.]+$/.test(t.text) && t.text.replace(/^[0.]+/, "").replace(".", "").length > 15;
  return t.kind === "number" && (long || t.end - t.offset !== t.text.length);
}

/** Words that end a LIMIT's or OFFSET's value at its own depth. */
const LIMIT_VALUE_ENDS = new Set(["LIMIT", "OFFSET", "ROWS", "ROW", "FETCH", "PERCENT", "UNION", "INTERSECT", "EXCEPT"]);

/** Words that end a GROUP BY clause at its own depth. */
const GROUP_BY_ENDS = new Set(["HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "QUALIFY", "UNION", "INTERSECT", "EXCEPT", "SELECT", "FROM"]);

/** What s[i] and s[a:b] reach the grammar as where it does not read them (an expression, a slice): calls. */
export const SUBSCRIPT_CALL = "trustql_subscript";
/** What a struct literal `{'a': 1, 'b': x}` reaches the grammar as: a call of names (as strings) and values, in turn. */
export const STRUCT_CALL = "trustql_struct";
/** What `CAST(x AS STRUCT(…))` and `x::MAP(…)` reach the grammar as: a call of x and the type's name, as a string. */
export const TYPED_CAST_CALL = "trustql_cast";
/** What a map literal `MAP {k: v, …}` reaches the grammar as: a call of keys and values, in turn. */
export const MAP_CALL = "trustql_map";
/** What `struct_pack(a := 1, b := x)` reaches the grammar as: as STRUCT_CALL (a call of its own, for the column's name). */
export const STRUCT_PACK_CALL = "trustql_struct_pack";
/** What struct_insert(s, a := 1) reaches the grammar as: a call of the struct, then names (as strings) and values in turn. */
export const STRUCT_INSERT_CALL = "trustql_struct_insert";
/** What a field of a value, `f(x).a`, reaches the grammar as: a call of the value and the name (read as a column's). */
export const FIELD_CALL = "trustql_field";
/** What a list comprehension `[expr FOR x IN l IF c]` reaches the grammar as: a call of its parts, the variables parenthesized. */
export const COMPREHENSION_CALL = "trustql_comprehension";
export const SLICE_CALL = "trustql_slice";

/** What INTERVAL (n) unit reaches the grammar as for a unit it does not read (WEEK, a plural): a call of the amount and the unit. */
export const INTERVAL_CALL = "trustql_interval";
/** What `t AT TIME ZONE z` reaches the grammar as (it has no AT): a call of the time and the zone. */
export const AT_TIME_ZONE_CALL = "trustql_at_time_zone";

/** Type names of a typed literal (`TIMESTAMP '…'`), part of the operand of a postfix operator after it. */
const TYPED_LITERAL_WORDS = new Set(["DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ"]);

/**
 * What a backslash in a string literal reaches the grammar as. In SQL (and DuckDB) a backslash in
 * '…' is itself, but the grammar reads C escapes there: 'a\nb' became a line break, '\' opened
 * a string it never closed. A character from Unicode's private use area stands in for it, and
 * every string of the AST gets its backslashes back (E'…' strings, whose escapes DuckDB reads too, are left alone).
 */
const LITERAL_BACKSLASH = "\uE000";

/**
 * What the grammar would misread, written in its place as a plain string of stand-ins (the k-th:
 * the character STAND_IN_BASE + k, then STAND_IN_FILL) and put back after parsing (see
 * restoreStrings): a $$…$$ string, an E'…' string with escapes, or a number of more than 15 digits.
 */
interface StandIn {
  kind: "string" | "number" | "identifier";
  value: string;
}
const STAND_IN_BASE = 0xe100;
const STAND_IN_FILL = "\ue001";
const MAX_STAND_INS = 0xf000 - STAND_IN_BASE;
/** The private use characters the pre-pass writes as stand-ins: a query may not hold any. */
const STAND_INS = /[\ue000-\uefff]/;

/** The stand-in a string of the AST is, if it is one. */
function standInOf(value: string, standIns: readonly StandIn[]): StandIn | undefined {
  const k = value.charCodeAt(0) - STAND_IN_BASE;
  return k >= 0 && k < standIns.length && /^.[\ue001\n]*$/.test(value) ? standIns[k] : undefined;
}

/**
 * The strings and numbers of the AST as the query wrote them: a '…' string's doubled quotes as
 * one (the grammar keeps both), the backslashes the pre-pass hid from the grammar, and what it
 * wrote stand-ins for.
 */
/** The clauses of a SELECT after FROM, in the order SQL writes them (LIMIT and OFFSET either way round). */
const CLAUSE_RANKS: Record<string, number> = { WHERE: 1, GROUP: 2, HAVING: 3, WINDOW: 4, QUALIFY: 5, ORDER: 6, LIMIT: 7, OFFSET: 7, FETCH: 8 };

/**
 * Refuses a clause written twice in one SELECT, or after one that must follow it (`LIMIT 2 ORDER
 * BY b`): the grammar drops some such clauses without a word (and DuckDB refuses them all).
 */
function checkClauseOrder(tokens: readonly Token[]): void {
  const blocks: { seen: Set<string>; rank: number }[] = [{ seen: new Set(), rank: 0 }];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.text === "(") blocks.push({ seen: new Set(), rank: 0 });
    else if (t.text === ")") blocks.pop();
    if (t.kind !== "word" || blocks.length === 0) continue;
    const block = blocks[blocks.length - 1];
    if (t.text === "SELECT" || t.text === "UNION" || t.text === "INTERSECT" || t.text === "EXCEPT") {
      [block.seen, block.rank] = [new Set(), 0];
      continue;
    }
    const rank = CLAUSE_RANKS[t.text];
    const next = tokens[i + 1];
    const isClause = rank !== undefined && ((t.text !== "ORDER" && t.text !== "GROUP") || next?.text === "BY") && (t.text !== "WINDOW" || tokens[i + 2]?.text === "AS");
    if (!isClause) continue;
    const pair = (t.text === "LIMIT" && block.seen.has("OFFSET")) || (t.text === "OFFSET" && block.seen.has("LIMIT"));
    if (block.seen.has(t.text) || (rank < block.rank && !pair)) throw new UserError(`syntax error at or near "${t.text}"`, tokenPosition(t));
    block.seen.add(t.text);
    block.rank = Math.max(block.rank, rank);
  }
}

function restoreStrings(node: AstNode, standIns: readonly StandIn[]): void {
  if (!node || typeof node !== "object") return;
  if (node.type === "single_quote_string" && typeof node.value === "string") {
    const standIn = standInOf(node.value, standIns);
    if (standIn) [node.type, node.value] = [standIn.kind === "number" ? "number" : "single_quote_string", standIn.value];
    else node.value = node.value.replaceAll("''", "'");
  }
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (typeof value !== "string") restoreStrings(value, standIns);
    else if (value.includes(LITERAL_BACKSLASH)) node[key] = value.replaceAll(LITERAL_BACKSLASH, "\\");
    else if (standInOf(value, standIns) && standInOf(value, standIns)!.kind !== "number") node[key] = standInOf(value, standIns)!.value;
  }
}

function rewrite(sql: string, tokens: readonly Token[]): Rewritten {
  const chars = sql.split("");
  let backslashes = false;
  const standIns: StandIn[] = [];
  /**
   * Writes a plain string (or quoted identifier) of stand-ins over [start, end) (line breaks
   * kept, so later lines keep their numbers), for `value` to be put back after parsing.
   */
  const standIn = (start: number, end: number, value: StandIn, at: Token) => {
    if (standIns.length >= MAX_STAND_INS) throw new UnsupportedError(`more than ${MAX_STAND_INS} long numbers, $$…$$ strings, E'…' strings with escapes and "…" names with quotes in one query`, tokenPosition(at));
    for (let k = start; k < end; k++) chars[k] = sql[k] === "\n" ? "\n" : STAND_IN_FILL;
    const quote = value.kind === "identifier" ? '"' : "'";
    [chars[start], chars[start + 1], chars[end - 1]] = [quote, String.fromCharCode(STAND_IN_BASE + standIns.length), quote];
    standIns.push(value);
  };
  for (const t of tokens) {
    // A quoted name with a quote in it ("a ""b"""): the grammar ends the name at the first of them.
    if (t.kind === "quoted" && t.text.includes('"')) {
      standIn(t.offset, t.end, { kind: "identifier", value: t.text }, t);
      continue;
    }
    // A number of more digits than a double holds exactly (the grammar reads a long decimal, or a
    // long integer after a minus, as a double, changing its digits), or one with its digits
    // grouped by underscores (1_000, which the grammar reads as 1 and an alias _000), goes as a stand-in.
    if (numberStandsIn(t)) {
      standIn(t.offset, t.end, { kind: "number", value: t.text }, t);
      continue;
    }
    if (t.kind !== "string") continue;
    const written = sql.slice(t.offset, t.end);
    if (written[0] === "$") {
      // $$…$$: the grammar reads no such string; a plain one of stand-ins goes in its place.
      standIn(t.offset, t.end, { kind: "string", value: t.text }, t);
      continue;
    }
    if (written[0] !== "'") {
      // E'…': the grammar reads none. Without escapes it is a plain string: the E goes. With
      // them, a plain string of stand-ins goes in its place, and the value the lexer read is put
      // back after parsing (see restoreStrings).
      if (!written.includes("\\")) chars[t.offset] = " ";
      else {
        standIn(t.offset + 1, t.end, { kind: "string", value: t.text }, t);
        chars[t.offset] = " ";
      }
      continue;
    }
    for (let k = t.offset + 1; k < t.end - 1; k++) {
      if (sql[k] !== "\\") continue;
      chars[k] = LITERAL_BACKSLASH;
      backslashes = true;
    }
  }
  // The grammar has no `//`: it reads `/` (with the same precedence), marked.
  const integerDivisions = new Set<number>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    const [slash, next] = [tokens[i], tokens[i + 1]];
    if (slash.kind !== "symbol" || slash.text !== "/" || next.kind !== "symbol" || next.text !== "/" || next.offset !== slash.end) continue;
    integerDivisions.add(slash.offset);
    chars[next.offset] = " ";
    i++;
  }
  const blank = (t: Token, replacement: string) => {
    const width = t.end - t.offset;
    invariant(replacement.length <= width, "rewrite must not move text");
    for (let k = 0; k < width; k++) chars[t.offset + k] = k < replacement.length ? replacement[k] : " ";
  };
  /** Writes `text` over sql[start, end), its line breaks kept after it, so that later lines keep their numbers. */
  const writeOver = (start: number, end: number, text: string) => {
    const breaks = sql.slice(start, end).split("\n").length - 1;
    const filler = text.padEnd(end - start - breaks, " ") + "\n".repeat(breaks);
    for (let k = 0; k < end - start; k++) chars[start + k] = filler[k];
  };
  /**
   * A star's `REPLACE (expr AS name, …)` whose word is tokens[at]: `lead` (from `from`, the star,
   * or the word itself) to the list's opening parenthesis and its closing one are written over,
   * leaving its items as select items. Returns how many there are.
   */
  const replaceList = (at: number, lead: string, from: Token = tokens[at]): number => {
    const word = tokens[at];
    if (tokens[at + 1]?.text !== "(") throw new UserError("REPLACE takes a list in parentheses: * REPLACE (expr AS name, …)", tokenPosition(word));
    const close = closingOf(at + 1);
    let items = 1;
    for (let k = at + 2; k < close; k++) if (tokens[k].text === "," && openingOf(k) === at + 1) items++;
    if (close >= tokens.length) throw new UserError("REPLACE's list needs a closing )", tokenPosition(word));
    if (close === at + 2) throw new UserError("REPLACE takes expressions AS column names", tokenPosition(word));
    writeOver(from.offset, tokens[at + 1].end, lead);
    blank(tokens[close], "");
    return items;
  };
  /** The index of the parenthesis that closes the one opening at tokens[open] (tokens.length: none). */
  const closingOf = (open: number): number => closingFrom(tokens, open);
  /** The first `symbol` (`,` or `:`) at the depth of tokens[from] before `end` (or `end`). */
  const topLevel = (symbol: string, from: number, end: number): number => {
    for (let k = from; k < end; k++) {
      if (tokens[k].text in CLOSERS) k = closingOf(k);
      else if (tokens[k].text === symbol) return k;
    }
    return end;
  };
  /**
   * A struct field's name, written bare, quoted or as a string: left as written, which the grammar
   * reads as a column's name or a string and the binder as the field's name. (Quotes inserted
   * around a bare name would shift where the grammar places what follows.)
   */
  const checkFieldName = (at: number) => {
    const name = tokens[at];
    if (name.kind !== "string" && name.kind !== "word" && name.kind !== "quoted") throw new UserError("a struct field's name is a name or a string", tokenPosition(name));
  };
  /** The index of the innermost parenthesis still open at tokens[at] (-1: none). */
  const openingOf = (at: number): number => {
    let open = at - 1;
    for (let depth = 0; open >= 0; open--) {
      if (tokens[open].text === ")") depth++;
      else if (tokens[open].text === "(" && depth-- === 0) break;
    }
    return open;
  };
  /** The index of a table's own name, the last part of a dotted one (dataset.table), that starts at tokens[at]. */
  const ownName = (at: number): number => {
    let k = at;
    while (tokens[k + 1]?.text === "." && (tokens[k + 2]?.kind === "word" || tokens[k + 2]?.kind === "quoted")) k += 2;
    return k;
  };
  /**
   * The first token of what a PIVOT or UNPIVOT at tokens[at] follows, and its alias if any: a
   * table (its name, maybe dotted) or a subquery in parentheses.
   */
  const pivotedSource = (at: number, what: string): number => {
    let end = at - 1;
    // A subquery's alias with its columns' names: (VALUES …) v(a, b).
    if (tokens[end]?.text === ")") {
      const names = openingOf(end);
      const alias = tokens[names - 1];
      const before = tokens[names - 2]?.text === "AS" ? tokens[names - 3] : tokens[names - 2];
      if ((alias?.kind === "word" || alias?.kind === "quoted") && !JOIN_WORDS.has(alias.text) && alias.text !== "FROM" && before?.text === ")") end = names - 1;
    }
    const aliased = (tokens[end]?.kind === "word" || tokens[end]?.kind === "quoted") && (tokens[end - 1]?.text === ")" || tokens[end - 1]?.text === "AS" || tokens[end - 1]?.kind === "word" || tokens[end - 1]?.kind === "quoted");
    if (aliased) end -= tokens[end - 1]?.text === "AS" ? 2 : 1;
    if (tokens[end]?.text === ")") {
      const open = openingOf(end);
      const first = tokens[open + 1];
      if (open < 0 || first?.kind !== "word" || !["SELECT", "FROM", "WITH", "VALUES"].includes(first.text)) throw new UnsupportedError(`${what} of anything but a table or a subquery`, tokenPosition(tokens[at]));
      return open;
    }
    const start = sameDepthBefore(at, (x) => x.kind === "word" && (x.text === "FROM" || x.text === "JOIN")) + 1;
    const name = ownName(start);
    if (start <= 0 || (tokens[name]?.kind !== "word" && tokens[name]?.kind !== "quoted") || tokens[name + 1]?.text === "(" || at - 1 - name > 2) {
      throw new UnsupportedError(`${what} of anything but a table or a subquery`, tokenPosition(tokens[at]));
    }
    return start;
  };
  /**
   * Makes tokens[start … at) (a table or subquery, kept where it is, its marks with it) the FROM
   * of the derived table `select` opens: PIVOT or UNPIVOT's clause tokens[at … close] goes, and
   * the derived table takes an alias unless one follows.
   */
  const wrapInDerived = (start: number, at: number, close: number, select: string) => {
    const after = tokens[close + 1];
    const aliased = after?.text === "AS" || after?.kind === "quoted" || (after?.kind === "word" && !CLAUSES_AFTER_SELECT_LIST.has(after.text) && !JOIN_WORDS.has(after.text));
    for (let k = at; k <= close; k++) blank(tokens[k], "");
    insertions.push({ at: tokens[start].offset, text: `(${select} FROM ` }, { at: tokens[close].end, text: aliased ? ")" : `) AS ${PIVOT_MARK}table` });
  };
  /** The query's own text of tokens[from … to). */
  const textOf = (from: number, to: number) => sql.slice(tokens[from].offset, tokens[to - 1].end);
  /** The texts of the comma-separated items of tokens[from … to), at their own depth. */
  const listItems = (from: number, to: number): string[] => {
    const parts: string[] = [];
    for (let k = from, first = from; k <= to; k++) {
      if (k === to || (tokens[k].text === "," && openingOf(k) === openingOf(from))) {
        if (k > first) parts.push(textOf(first, k));
        first = k + 1;
      }
    }
    return parts;
  };
  /** An UNPIVOT's columns in tokens[from … to): `c AS "name"` each, a name as written (a word's own case, a quoted name's or a string's text). */
  const unpivotedColumns = (from: number, to: number, what: string): string[] => {
    const named = (k: number) => tokens[k]?.kind === "word" || tokens[k]?.kind === "quoted";
    const nameOf = (at: number) => (tokens[at].kind === "word" ? textOf(at, at + 1) : tokens[at].text);
    const columns: string[] = [];
    for (let k = from; k < to; ) {
      if (!named(k)) throw new UserError(`${what} holds column names`, tokenPosition(tokens[k]));
      let name = nameOf(k);
      let end = k + 1;
      if (tokens[end]?.text === "AS" && (named(end + 1) || tokens[end + 1]?.kind === "string")) {
        name = nameOf(end + 1);
        end += 2;
      }
      columns.push(`${textOf(k, k + 1)} AS "${name.replace(/"/g, '""')}"`);
      if (tokens[end]?.text !== "," && end !== to) throw new UserError(`${what} holds column names`, tokenPosition(tokens[end] ?? tokens[from]));
      k = end + 1;
    }
    if (columns.length === 0) throw new UserError(`${what} holds column names`, tokenPosition(tokens[from - 1]));
    return columns;
  };
  /**
   * DuckDB's PIVOT and UNPIVOT statements, at tokens[at]: `PIVOT src ON c IN (values) [USING
   * aggregates] [GROUP BY keys]` and `UNPIVOT src ON columns [INTO NAME n VALUE v]`, read as the
   * standard clauses' derived table (see wrapInDerived) under `SELECT * FROM`: the source and
   * GROUP BY stay where they are written.
   */
  const pivotStatement = (at: number) => {
    const what = tokens[at].text;
    const start = at + 1;
    const on = wordAtDepth(tokens, start, new Set(["ON"]));
    if (tokens[on]?.text !== "ON" || on === start) throw new UserError(`${what} takes a table or subquery, then ON`, tokenPosition(tokens[at]));
    const clauseEnd = (from: number, words: string[]) => wordAtDepth(tokens, from, new Set([...words, "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT"]));
    let select: string;
    let last: number; // the last token of the derived table (its GROUP BY included)
    let clauseTaken: number; // where the clauses that move into its SELECT end (from ON)
    if (what === "UNPIVOT") {
      const into = clauseEnd(on + 1, ["INTO"]);
      const columns = unpivotedColumns(on + 1, into, "UNPIVOT's ON");
      let [nameAs, valueAs] = ["name", "value"]; // DuckDB's names for them without INTO
      last = into - 1;
      if (tokens[into]?.text === "INTO") {
        const named = (k: number) => tokens[k]?.kind === "word" || tokens[k]?.kind === "quoted";
        if (tokens[into + 1]?.text !== "NAME" || !named(into + 2) || tokens[into + 3]?.text !== "VALUE" || !named(into + 4)) {
          throw new UserError("UNPIVOT's INTO takes NAME a name's column VALUE a value's column", tokenPosition(tokens[into]));
        }
        [nameAs, valueAs] = [textOf(into + 2, into + 3), textOf(into + 4, into + 5)];
        if (tokens[into + 2].text === tokens[into + 4].text) throw new UserError(`UNPIVOT's NAME and VALUE columns are both named ${nameAs}`, tokenPosition(tokens[into + 4]));
        last = into + 4;
      }
      select = `SELECT 0 AS ${UNPIVOT_MARK}0, 0 AS ${valueAs}, 0 AS ${nameAs}, ${columns.join(", ")}`;
      clauseTaken = last + 1;
    } else {
      // ON c IN (values), or several (`ON a IN (…), b IN (…)`: a column per combination of their values).
      const columns: { text: string; values: string[] }[] = [];
      let close = on - 1; // before ON, then each IN list's closing parenthesis, before its comma
      do {
        const from = close + 2;
        const inAt = wordAtDepth(tokens, from, new Set(["IN", "USING", "GROUP"]));
        if (tokens[inAt]?.text !== "IN" || tokens[inAt + 1]?.text !== "(" || tokens.slice(from, inAt).some((x, k) => x.text === "," && openingOf(from + k) === openingOf(on))) {
          throw new UnsupportedError("PIVOT … ON a column without IN (values): its columns would come from the data, which trustql reads after it plans the query; list them (ON c IN ('a', 'b'))", tokenPosition(tokens[from]));
        }
        close = closingOf(inAt + 1);
        if (close >= tokens.length) throw new UserError("PIVOT's IN list needs a closing )", tokenPosition(tokens[inAt + 1]));
        columns.push({ text: textOf(from, inAt), values: listItems(inAt + 2, close) });
      } while (tokens[close + 1]?.text === ",");
      const using = tokens[close + 1]?.text === "USING" ? close + 1 : undefined;
      const usingEnd = using === undefined ? close + 1 : clauseEnd(using + 1, ["GROUP"]);
      const aggregates = using === undefined ? ["count(*)"] : listItems(using + 1, usingEnd);
      if (columns.some((c) => c.values.length === 0) || aggregates.length === 0) throw new UserError("PIVOT takes ON a column IN (values) USING aggregates", tokenPosition(tokens[at]));
      const unread = tokens.slice(using ?? close, usingEnd).find((x) => x.kind === "word" && ["ORDER", "FILTER", "OVER"].includes(x.text));
      if (unread) throw new UnsupportedError(`${unread.text} inside PIVOT's aggregates`, tokenPosition(unread));
      // The mark: the aggregates' count, then with several columns each one's count of values.
      const mark = `${PIVOT_MARK}${aggregates.length}${columns.length > 1 ? columns.map((c) => `_${c.values.length}`).join("") : ""}`;
      select = `SELECT 0 AS ${mark}, ${aggregates.join(", ")}, ${columns.map((c) => [c.text, ...c.values].join(", ")).join(", ")}`;
      last = usingEnd - 1;
      // GROUP BY stays in the derived table: the pivot's groups are its keys.
      clauseTaken = usingEnd;
      if (tokens[usingEnd]?.text === "GROUP") last = clauseEnd(usingEnd + 2, []) - 1;
    }
    invariant(last >= start && last < tokens.length, "a PIVOT statement's clauses end inside it");
    blank(tokens[at], "");
    for (let k = on; k < clauseTaken; k++) blank(tokens[k], "");
    insertions.push({ at: tokens[start].offset, text: `SELECT * FROM (${select} FROM ` }, { at: tokens[last].end, text: `) AS ${PIVOT_MARK}table` });
  };
  /**
   * The token that stands for what a join joins, from tokens[at] (the token after JOIN): a table's
   * own name, or a subquery's SELECT (the node the grammar makes of each is placed there); -1 for
   * anything else (a table function, a FROM-first or WITH subquery).
   */
  const joinedToken = (at: number): number => {
    if (tokens[at]?.text === "(") return tokens[at + 1]?.kind === "word" && tokens[at + 1].text === "SELECT" ? at + 1 : -1;
    const name = ownName(at);
    return (tokens[name]?.kind === "word" || tokens[name]?.kind === "quoted") && tokens[name + 1]?.text !== "(" ? name : -1;
  };
  /** The last token before tokens[at], in its parentheses, that passes `test` (-1: none). */
  const sameDepthBefore = (at: number, test: (t: Token) => boolean): number => {
    for (let k = at - 1, depth = 0; k >= 0; k--) {
      if (tokens[k].text === ")") depth++;
      else if (tokens[k].text === "(" && depth-- === 0) return -1;
      else if (depth === 0 && test(tokens[k])) return k;
    }
    return -1;
  };
  /** Whether tokens[at] is inside the parentheses of CAST( or TRY_CAST(. */
  const insideCast = (at: number): boolean => {
    const call = tokens[openingOf(at) - 1];
    return call?.kind === "word" && (call.text === "CAST" || call.text === "TRY_CAST");
  };
  /**
   * Whether the FROM at tokens[at] begins a query (DuckDB's FROM-first syntax): the statement's
   * first word, a subquery's (not a call's: TRIM(FROM s)), one after a set operation, or the main
   * query's after WITH's definitions.
   */
  const startsQuery = (at: number): boolean => {
    const before = tokens[at - 1];
    if (!before) return true;
    if (before.kind === "word") {
      const setOperation = (k: number) => tokens[k]?.kind === "word" && SET_OPERATION_WORDS.has(tokens[k].text);
      return setOperation(at - 1) || ((before.text === "ALL" || before.text === "DISTINCT") && setOperation(at - 2)) || (before.text === "NAME" && tokens[at - 2]?.text === "BY");
    }
    if (before.text === "(") {
      const call = tokens[at - 2];
      return call?.kind !== "word" || BEFORE_OPERAND_WORDS.has(call.text) || SUBQUERY_AFTER_WORDS.has(call.text);
    }
    if (before.text === ")") {
      const definedAs = tokens[openingOf(at - 1) - 1];
      return definedAs?.kind === "word" && (definedAs.text === "AS" || definedAs.text === "MATERIALIZED");
    }
    return false;
  };
  /** Whether tokens[at] is inside a window's specification: the parentheses after OVER, or after AS in a WINDOW clause. */
  const insideWindowSpecification = (at: number): boolean => {
    const open = openingOf(at);
    const before = tokens[open - 1];
    return before?.kind === "word" && (before.text === "OVER" || (before.text === "AS" && tokens.slice(0, open).some((x) => x.kind === "word" && x.text === "WINDOW")));
  };
  /** Whether tokens[at] is the GROUPS of a frame (not a column named groups): a bound or BETWEEN follows it. */
  const startsGroupsFrame = (at: number): boolean => {
    const after = tokens[at + 1];
    return tokens[at].kind === "word" && tokens[at].text === "GROUPS" && (after?.kind === "number" || (after?.kind === "word" && ["BETWEEN", "UNBOUNDED", "CURRENT"].includes(after.text)));
  };
  const renamed = new Map<number, string>();
  const rename = (t: Token, as: string) => {
    blank(t, as);
    renamed.set(t.offset, as);
  };
  /**
   * list(x ORDER BY k) OVER (…), the call's name tokens[at]: the call reaches the grammar as LAG,
   * which takes no ORDER BY: its keys become the last arguments, their directions a mark for the binder.
   */
  const orderedArguments = (at: number) => {
    const close = closingOf(at + 1);
    const order = wordAtDepth(tokens, at + 2, new Set(["ORDER"]));
    if (order >= close || tokens[order + 1]?.text !== "BY") return;
    blank(tokens[order], ",");
    blank(tokens[order + 1], "");
    const directions: SortDirection[] = [];
    for (let start = order + 2; start < close; ) {
      const end = topLevel(",", start, close);
      let last = end - 1;
      const nulls = tokens[last - 1]?.text === "NULLS" && (tokens[last].text === "FIRST" || tokens[last].text === "LAST") ? tokens[last].text : undefined;
      if (nulls) {
        blank(tokens[last - 1], "");
        blank(tokens[last], "");
        last -= 2;
      }
      const direction = tokens[last].text === "ASC" || tokens[last].text === "DESC" ? tokens[last].text : undefined;
      if (direction) blank(tokens[last], "");
      // DuckDB's default: ascending, NULLs last.
      directions.push({ descending: direction === "DESC", nullsFirst: nulls === "FIRST" });
      start = end + 1;
    }
    argumentOrders.set(tokens[at].offset, directions);
  };
  const setOps: SetOpToken[] = [];
  /** The HAVINGs whose SELECT has a QUALIFY after them (the two reach the grammar as one HAVING). */
  const havingsWithQualify = new Set<number>();
  /** Text put before a character of the query (the only rewrites that move text: see withInsertions). */
  const insertions: Insertion[] = [];
  const starModifiers: StarModifier[] = [];
  let byAll = 0;
  let qualify = false;
  const naturalJoins = new Set<number>();
  const asofJoins = new Set<number>();
  const filteringJoins = new Map<number, "semi" | "anti">();
  const ignoreNulls = new Set<number>();
  const writtenFrames = new Map<number, WrittenFrame>();
  const frameExclusions = new Map<number, FrameExclusion>();
  /** The OFFSETs whose value went into the SELECT after their LIMIT (see LIMIT_OFFSET_MARK), by token index. */
  const offsetsInLimits = new Set<number>();
  const partitionCounts = new Map<number, number>();
  const baseWindows = new Map<number, string>();
  const windowFilters = new Map<number, WindowFilter>();
  const argumentOrders = new Map<number, SortDirection[]>();
  const samples = new Map<number, Sample>();
  /** The FILTER clauses of window calls, as spans moved into the call once every rule has written (see reorder). */
  const filterMoves: (readonly [number, number])[][] = [];
  /** The WINDOW clauses, by their first and last tokens. */
  const windowClauses: { first: number; last: number }[] = [];
  // FROM-first queries (DuckDB's `FROM t`, `FROM t SELECT a WHERE …`): the token indexes of FROM, of its SELECT, and of what ends the select list.
  const fromFirst: { from: number; select: number | undefined; end: number }[] = [];
  const distinctAggregates = new Set<number>();
  const zonedTimestamps = new Set<number>();
  const groupedArguments = new Set<number>();
  let depth = 0;
  // Open SUBSTRING( calls by the depth of their parenthesis, to find their FROM and FOR.
  const substringDepths: { depth: number; sawFrom: boolean; token: Token }[] = [];
  // The depth of the parenthesis that holds GROUPING SETS' sets, once its opening one is met.
  let groupingSetsDepth: number | undefined;
  let groupingSetsPending = false;
  // The depth of the GROUP BY clause being read, if one is: where an empty grouping set () may stand.
  let groupByDepth: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    const typeEnd = (t.text === "::" || (t.kind === "word" && t.text === "AS")) && next?.kind === "word" && NESTED_TYPE_WORDS.has(next.text) && tokens[i + 2]?.text === "(" ? nestedTypeEnd(tokens, i + 1) : -1;
    if (typeEnd >= 0) {
      // A cast to a STRUCT or MAP type, which the grammar cannot read: TYPED_CAST_CALL(x, 'type').
      const typeText = sql.slice(next.offset, tokens[typeEnd].end);
      if (typeText.includes("'")) throw new UnsupportedError("a quote in a STRUCT's field name in a cast", tokenPosition(next));
      if (t.text === "::") {
        insertions.unshift({ at: tokens[subscriptedFrom(tokens, i)].offset, text: `${TYPED_CAST_CALL}(` });
        blank(t, ",");
        insertions.push({ at: next.offset, text: "'" }, { at: tokens[typeEnd].end, text: "')" });
      } else {
        const open = enclosingParenthesis(tokens, i);
        const cast = tokens[open - 1];
        if (!(cast?.kind === "word" && cast.text === "CAST")) throw new UnsupportedError(`${next.text}(…) here (a STRUCT or MAP type, in CAST(x AS …) or x::…)`, tokenPosition(next));
        blank(cast, "");
        insertions.push({ at: cast.offset, text: TYPED_CAST_CALL }, { at: next.offset, text: "'" }, { at: tokens[typeEnd].end, text: "'" });
        blank(t, ",");
      }
      i = typeEnd;
      continue;
    }
    // Lambdas (`x -> x + 1`): the grammar reads `->` as JSON's, binding tighter than `+`; the
    // body goes in parentheses of its own. DuckDB's `lambda x, y: body` reaches it as `(x, y) -> (body)`.
    if (t.kind === "symbol" && t.text === "->" && lambdaParametersEndAt(tokens, i - 1)) {
      insertions.push({ at: t.end, text: " (" }, { at: tokens[argumentEnd(tokens, i + 1)].offset, text: ")" });
    }
    if (t.kind === "word" && t.text === "LAMBDA" && (next?.kind === "word" || next?.kind === "quoted")) {
      const colon = tokens.findIndex((x, k) => k > i && x.text === ":");
      const parameters = colon < 0 ? [] : tokens.slice(i + 1, colon);
      if (parameters.length > 0 && parameters.every((x, k) => (k % 2 === 0 ? x.kind === "word" || x.kind === "quoted" : x.text === ","))) {
        blank(t, "");
        blank(tokens[colon], "");
        insertions.push({ at: next.offset, text: "(" }, { at: tokens[colon - 1].end, text: ")" }, { at: tokens[colon].offset, text: "->" });
        insertions.push({ at: tokens[colon].end, text: " (" }, { at: tokens[argumentEnd(tokens, colon + 1)].offset, text: ")" });
      }
    }
    if (t.kind === "symbol" && t.text === "(") {
      depth++;
      if (depth > MAX_NESTING_DEPTH) {
        throw new UserError(`query nests parentheses deeper than ${MAX_NESTING_DEPTH} levels`, tokenPosition(t));
      }
      if (groupingSetsPending) [groupingSetsDepth, groupingSetsPending] = [depth, false];
      else if (groupingSetsDepth === depth - 1 && next?.kind === "symbol" && next.text === ")") {
        // The grammar has no empty expression list: the empty grouping set () reaches it as ''.
        blank(t, "'");
        blank(next, "'");
      } else if (groupByDepth === depth - 1 && next?.text === ")" && (tokens[i - 1]?.text === "BY" || tokens[i - 1]?.text === ",")) {
        // GROUP BY (), or () among GROUP BY's items: the empty grouping set, which the grammar
        // cannot read; it reaches it as GROUPING SETS (()) (a grand total, a row over no rows).
        insertions.push({ at: t.offset, text: `${GROUPING_SETS_CALL}(` }, { at: next.end, text: ")" });
        blank(t, "'");
        blank(next, "'");
      }
      const previous = tokens[i - 1];
      const after = tokens[i + 2];
      if (previous?.kind === "word" && previous.text === "OVER" && (next?.kind === "word" || next?.kind === "quoted") && !WINDOW_SPECIFICATION_WORDS.has(next.text) && after?.text !== "(" && after?.text !== ".") {
        // OVER (w ORDER BY … | ROWS …): the named window w refined. The grammar reads the rest;
        // the binder takes w's partition (and order) from its WINDOW clause.
        baseWindows.set(next.offset, next.kind === "word" ? next.text.toLowerCase() : next.text);
        blank(next, "");
      }
      if (previous?.kind === "word" && previous.text === "SUBSTRING") {
        substringDepths.push({ depth, sawFrom: false, token: previous });
      }
      continue;
    }
    if (t.kind === "symbol" && t.text === ")") {
      if (substringDepths.at(-1)?.depth === depth) substringDepths.pop();
      if (groupingSetsDepth === depth) groupingSetsDepth = undefined;
      if (groupByDepth === depth) groupByDepth = undefined;
      depth--;
      continue;
    }
    if (t.kind === "quoted" && /^\*\d+$/.test(t.text)) throw new UnsupportedError(`the column name "${t.text}" (trustql's own mark for * EXCLUDE and * REPLACE)`, tokenPosition(t));
    if ((t.kind === "word" || t.kind === "quoted") && [PIVOT_MARK, UNPIVOT_MARK].some((mark) => t.text.toLowerCase().startsWith(mark))) throw new UnsupportedError(`the name ${t.text} (trustql's own mark for PIVOT and UNPIVOT)`, tokenPosition(t));
    if (t.kind === "symbol" && (t.text === "?" || t.text === "#" || t.text === "@")) throw new UnsupportedError(`the operator ${t.text}`, tokenPosition(t));
    const pattern = patternOperatorAt(tokens, i);
    if (pattern) {
      // DuckDB's ~~, !~~, ~~*, !~~*, ~ and !~: LIKE, NOT LIKE, ILIKE, NOT ILIKE, SIMILAR TO and NOT
      // SIMILAR TO, which bind more loosely: what follows at ||'s level would be the pattern's
      // (DuckDB's operator takes it after).
      const written = tokens.slice(i, pattern.last + 1).map((x) => x.text).join("");
      const after = patternOperandEnd(tokens, pattern.last + 1);
      if (tokens[after]?.text === "ESCAPE") throw new UserError(`ESCAPE after ${written} (DuckDB's ${written} takes none: write LIKE … ESCAPE …)`, tokenPosition(tokens[after]));
      if (tokens[after] && OPERATORS_AT_CONCATENATION_LEVEL.has(tokens[after].text)) {
        throw new UnsupportedError(`${tokens[after].text} after ${written} (DuckDB reads a ${written} b ${tokens[after].text} c as (a ${written} b) ${tokens[after].text} c: put the pattern in parentheses)`, tokenPosition(tokens[after]));
      }
      writeOver(t.offset, tokens[pattern.last].end, "");
      insertions.push({ at: t.offset, text: ` ${pattern.words} ` });
      i = pattern.last;
      continue;
    }
    if (t.kind === "symbol" && t.text === "~" && !isBitwiseNot(tokens, i)) throw new UnsupportedError("the operators ~* and !~* (DuckDB has none: regexp_full_match(x, p, 'i'))", tokenPosition(t));
    if (t.kind === "symbol" && t.text === "::" && tokens[i - 1]?.text === ")") {
      // The grammar casts all the select item before `CAST(x AS t)::u` or `(SELECT …)::u` (1 +
      // CAST(a AS INT)::BIGINT * 2 as CAST(1 + a …) * 2), and drops an operator after it: the
      // call or subquery goes in parentheses of its own, which it reads right.
      const open = openingOf(i - 1);
      const call = tokens[open - 1];
      const subquery = open >= 0 && tokens[open + 1]?.kind === "word" && (tokens[open + 1].text === "SELECT" || tokens[open + 1].text === "WITH");
      const cast = open >= 0 && call?.kind === "word" && (call.text === "CAST" || call.text === "TRY_CAST");
      if (cast || subquery) insertions.push({ at: cast ? call.offset : tokens[open].offset, text: "(" }, { at: tokens[i - 1].end, text: ")" });
    }
    const before = tokens[i - 1];
    // `INTEGER[]` in a cast: a list type, which the grammar reads (neither a subscript nor a list).
    const typeSuffix = t.kind === "symbol" && t.text === "[" && next?.text === "]" && isSubscript(tokens, i);
    if (typeSuffix && before?.kind === "word" && !LIST_ELEMENT_TYPE_WORDS.has(CAST_TYPE_ALIASES.get(before.text) ?? before.text)) {
      // `DATE[]`, `TIMESTAMP WITH TIME ZONE[]`: the name (its words) written over as its mark.
      const zoned = before.text === "ZONE" && ["TIMESTAMP", "WITH", "TIME"].every((word, k) => tokens[i - 4 + k]?.text === word);
      const first = tokens[zoned ? i - 4 : i - 1];
      const name = zoned ? "TIMESTAMP WITH TIME ZONE" : before.text;
      const mark = MARKED_LIST_ELEMENT_TYPES.indexOf(name);
      if (mark < 0) throw new UnsupportedError(`a list of ${name} in a cast (of numbers, text, dates, times, timestamps, intervals and booleans)`, tokenPosition(before));
      writeOver(first.offset, before.end, "");
      insertions.push({ at: first.offset, text: `DECIMAL(0, ${mark})` });
    }
    const castType = tokens[i - 1]?.text === "::" || (tokens[i - 1]?.text === "AS" && insideCast(i));
    if (castType && (t.text === "DECIMAL" || t.text === "NUMERIC" || t.text === "DEC") && next?.text === "(" && tokens[i + 2]?.text === "0") {
      // DuckDB's error too; and DECIMAL(0, k) is the pre-pass's mark of a list's type (above).
      throw new UserError(`a DECIMAL of width 0 (DuckDB's are 1 to 38)`, tokenPosition(t));
    }
    const subscripted = t.kind === "symbol" && t.text === "[" && !typeSuffix && isSubscript(tokens, i);
    // A list literal, `[1, 2]`, is DuckDB's; the grammar reads PostgreSQL's `ARRAY[1, 2]`.
    const comprehension = t.kind === "symbol" && t.text === "[" && !subscripted && !typeSuffix ? listComprehension(tokens, i) : undefined;
    if (comprehension) {
      // `[expr FOR x IN l IF c]` (DuckDB's) reaches the grammar as a marked call of its parts:
      // COMPREHENSION_CALL(expr, (x), l, c).
      insertions.push({ at: t.offset, text: COMPREHENSION_CALL }, { at: tokens[comprehension.for].end, text: " (" }, { at: tokens[comprehension.in].offset, text: ")" });
      blank(t, "(");
      blank(tokens[comprehension.for], ",");
      blank(tokens[comprehension.in], ",");
      if (comprehension.if !== undefined) blank(tokens[comprehension.if], ",");
      blank(tokens[comprehension.close], ")");
    } else if (t.kind === "symbol" && t.text === "[" && !subscripted && !typeSuffix && !(before?.kind === "word" && before.text === "ARRAY")) insertions.push({ at: t.offset, text: "ARRAY" });
    if (subscripted) {
      // The grammar takes a literal subscript only (s[2]), and not everywhere (not after a
      // parenthesized operand in ARRAY_AGG's argument): every subscript and slice (s[a], s[2:3],
      // s[:2]) reaches it as a marked call of the operand and the bounds. (A list of several,
      // [1, 2], is left to it.)
      const close = closingOf(i);
      const inside = tokens.slice(i + 1, close);
      const atTop = (k: number) => inside.slice(0, k).filter((y) => OPENING.has(y.text)).length === inside.slice(0, k).filter((y) => CLOSING.has(y.text)).length;
      const colons = inside.flatMap((x, k) => (x.text === ":" && atTop(k) ? [i + 1 + k] : []));
      const listed = inside.some((x, k) => x.text === "," && atTop(k));
      if (close < tokens.length && !listed && inside.length > 0) {
        const from = subscriptedFrom(tokens, i);
        // Before what was inserted there already: the operand's own calls, or ARRAY of a list literal.
        insertions.unshift({ at: tokens[from].offset, text: `${colons.length > 0 ? SLICE_CALL : SUBSCRIPT_CALL}(` });
        blank(t, ",");
        // s[a:b] and l[a:b:step] (DuckDB's step): a bound left out reaches the grammar as NULL; a
        // step left out (l[a:b:]) as nothing, its colon blanked.
        const [first, second] = colons;
        if (first !== undefined) {
          blank(tokens[first], ",");
          if (first === i + 1) insertions.push({ at: tokens[first].offset, text: "NULL" });
          if (first + 1 === (second ?? close)) insertions.push({ at: tokens[second ?? close].offset, text: "NULL" });
        }
        if (second !== undefined) blank(tokens[second], second + 1 === close ? " " : ",");
        blank(tokens[close], ")");
      }
    }
    if (t.kind === "symbol" && t.text === "{") {
      // DuckDB's struct literal `{'a': 1, b: x}`: STRUCT_CALL('a', 1, 'b', x); its map literal
      // `MAP {k: v, …}`: MAP_CALL(k, v, …), the keys any expressions.
      const close = closingOf(i);
      if (close >= tokens.length) throw new UserError("a { without its }", tokenPosition(t));
      const map = before?.kind === "word" && before.text === "MAP";
      if (map) blank(before, "");
      insertions.push({ at: t.offset, text: map ? MAP_CALL : STRUCT_CALL });
      blank(t, "(");
      blank(tokens[close], ")");
      for (let key = i + 1; key < close; ) {
        const colon = map ? topLevel(":", key, close) : key + 1;
        if (tokens[colon]?.text !== ":") throw new UserError(`a ${map ? "map" : "struct"} literal's entries are ${map ? "key" : "name"}: value`, tokenPosition(tokens[key]));
        if (!map) checkFieldName(key);
        blank(tokens[colon], ",");
        key = topLevel(",", colon + 1, close) + 1;
      }
    }
    if (t.kind === "word" && (t.text === "STRUCT_PACK" || t.text === "STRUCT_INSERT") && next?.text === "(") {
      // struct_pack(a := 1, b := x): STRUCT_PACK_CALL('a', 1, 'b', x); struct_insert(s, a := 1):
      // STRUCT_INSERT_CALL(s, 'a', 1).
      const close = closingOf(i + 1);
      const inserting = t.text === "STRUCT_INSERT";
      const first = inserting ? topLevel(",", i + 2, close) + 1 : i + 2;
      if (inserting && first > close) throw new UserError("struct_insert needs a struct and at least one name := value", tokenPosition(t));
      blank(t, "");
      insertions.push({ at: t.offset, text: inserting ? STRUCT_INSERT_CALL : STRUCT_PACK_CALL });
      for (let name = first; name < close; ) {
        const end = topLevel(",", name, close);
        if (tokens[name + 1]?.text !== ":" || tokens[name + 2]?.text !== "=") {
          // A column alone (`struct_pack(id, t.v)`) is a field named as the column, as in DuckDB.
          const parts = tokens.slice(name, end);
          const column = parts.length % 2 === 1 && parts.every((x, k) => (k % 2 === 0 ? x.kind === "word" || x.kind === "quoted" : x.text === "."));
          if (!column) throw new UserError(`${t.text.toLowerCase()}'s arguments are ${inserting ? "a struct, then " : ""}name := value, or columns`, tokenPosition(tokens[name]));
          const last = parts[parts.length - 1];
          insertions.push({ at: tokens[name].offset, text: `'${(last.kind === "quoted" ? last.text : last.text.toLowerCase()).replaceAll("'", "''")}', ` });
          name = end + 1;
          continue;
        }
        checkFieldName(name);
        blank(tokens[name + 1], ",");
        blank(tokens[name + 2], "");
        name = topLevel(",", name + 3, close) + 1;
      }
    }
    if (t.kind === "symbol" && t.text === "." && (next?.kind === "word" || next?.kind === "quoted") && tokens[i + 2]?.text !== "(" && dottedAfterValue(tokens, i)) {
      // A field of a value in parentheses, a call's, a subscript's or a struct literal's (`f(x).a`,
      // `l[1].a`): FIELD_CALL(value, 'a'). (Of a column, `s.a` is a name the binder reads.)
      // The name stays as written: the grammar reads it as a column's name, which the binder takes as the field's.
      insertions.unshift({ at: tokens[subscriptedFrom(tokens, i)].offset, text: `${FIELD_CALL}(` });
      blank(t, ",");
      insertions.push({ at: next.end, text: ")" });
    }
    if (t.kind === "word" && (t.text === "FROM" || t.text === "JOIN") && next?.kind === "word" && KEYWORDS_NEVER_A_TABLE.has(next.text)) {
      // `FROM order`: DuckDB's error, and what the grammar's (at the query's end) would not say.
      const word = next.text.toLowerCase();
      throw new UserError(`syntax error at or near "${word}": ${next.text} is a keyword (a table named so is written "${word}")`, tokenPosition(next));
    }
    const starPattern = t.text === "*" && ["SELECT", "DISTINCT", ","].includes(tokens[i - 1]?.text ?? "") ? starPatternAt(tokens, i + 1) : undefined;
    if (starPattern !== undefined) {
      // DuckDB's `* LIKE 'o_%'` (ILIKE, GLOB, NOT …): the columns whose names match, as
      // COLUMNS(c -> c LIKE 'o_%') selects them.
      const pattern = tokens[starPattern];
      if (tokens[starPattern - 1].text === "TO") {
        // `* SIMILAR TO 'p'` selects as COLUMNS('p') does, where the expression matches part of the
        // name; `* NOT SIMILAR TO 'p'` where it does not match all of it (DuckDB's, both).
        const negated = tokens[i + 1].text === "NOT";
        writeOver(t.offset, pattern.offset, "");
        const [open, close] = negated ? [`COLUMNS(${STAR_PATTERN_PARAMETER} -> (NOT regexp_full_match(${STAR_PATTERN_PARAMETER}, `, ")))"] : ["COLUMNS(", ")"];
        insertions.push({ at: pattern.offset, text: open }, { at: pattern.end, text: close });
        i = starPattern;
        continue;
      }
      blank(t, "");
      insertions.push({ at: t.offset, text: `COLUMNS(${STAR_PATTERN_PARAMETER} -> (${STAR_PATTERN_PARAMETER}` }, { at: pattern.end, text: "))" });
      continue;
    }
    const standIn = t.kind === "symbol" ? OPERATOR_STAND_INS[t.text] : undefined;
    if (standIn !== undefined) {
      // The grammar lacks the operator: it reads one of JSON's, which regroupOperators turns back.
      // Every stand-in is two characters: a one-character operator gets its first inserted before it.
      if (t.text.length === 1) insertions.push({ at: t.offset, text: standIn[0] });
      blank(t, standIn.slice(-t.text.length));
      // The grammar takes no prefix operator after the stand-in (`7 & ~x`, `a | -b`): in parentheses, it does.
      if (next?.kind === "symbol" && PREFIX_OPERATORS.has(next.text)) {
        const end = prefixOperandEnd(tokens, i + 1);
        if (end > i + 1) insertions.push({ at: next.offset, text: "(" }, { at: tokens[end].end, text: ")" });
      }
      continue;
    }
    if (t.kind !== "word") continue;
    if (t.text === "BY" && tokens[i - 1]?.text === "GROUP") groupByDepth = depth;
    else if (groupByDepth === depth && GROUP_BY_ENDS.has(t.text)) groupByDepth = undefined;
    const open = substringDepths.at(-1);
    if (open && open.depth === depth) {
      if (t.text === "FROM") {
        open.sawFrom = true;
        blank(t, ",");
        continue;
      }
      if (t.text === "FOR") {
        if (!open.sawFrom) throw new UnsupportedError("SUBSTRING(... FOR ...) without FROM", tokenPosition(t));
        blank(t, ",");
        continue;
      }
    }
    if (t.text === "ASOF" && next?.kind === "word" && ["JOIN", "INNER", "LEFT", "RIGHT", "FULL"].includes(next.text)) {
      // The grammar has no ASOF: it reads the join without it, and the binder joins each left row
      // to the nearest right row (see asofJoin), for the table whose name follows JOIN (marked here).
      let join = i + 1;
      while (tokens[join] && tokens[join].text !== "JOIN") join++;
      const joined = joinedToken(join + 1);
      if (joined < 0) throw new UnsupportedError("ASOF JOIN of anything but a table or a (SELECT …) subquery", tokenPosition(t));
      blank(t, "");
      asofJoins.add(tokens[joined].offset);
      continue;
    }
    if (t.text === "POSITIONAL" && next?.kind === "word" && next.text === "JOIN") {
      // The grammar would read POSITIONAL as the left table's alias.
      throw new UnsupportedError("POSITIONAL JOIN: it pairs rows by their order, which a table's rows spread over nodes do not have", tokenPosition(t));
    }
    if ((t.text === "SEMI" || t.text === "ANTI") && next?.kind === "word" && next.text === "JOIN" && tokens[i - 1]?.text !== ",") {
      // DuckDB's SEMI JOIN and ANTI JOIN: the left rows with a match on the right (with none). The
      // grammar has neither, and read SEMI as the left table's alias: it reads an inner join, and
      // the binder filters, for the table whose name follows JOIN (marked here).
      const joined = joinedToken(i + 2);
      if (joined < 0) throw new UnsupportedError(`${t.text} JOIN of anything but a table or a (SELECT …) subquery`, tokenPosition(t));
      blank(t, "");
      filteringJoins.set(tokens[joined].offset, t.text === "SEMI" ? "semi" : "anti");
      continue;
    }
    if (t.text === "NATURAL" && next?.kind === "word" && ["JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS"].includes(next.text)) {
      // The grammar has no NATURAL: it reads the join without it, and the binder joins on the
      // columns both sides name, for the table whose name follows JOIN (marked here).
      let join = i + 1;
      while (tokens[join] && tokens[join].text !== "JOIN") join++;
      const table = tokens[ownName(join + 1)];
      if (table?.kind !== "word" && table?.kind !== "quoted") throw new UnsupportedError("NATURAL JOIN of a subquery", tokenPosition(t));
      if (next.text === "CROSS") throw new UserError("NATURAL CROSS JOIN is not a join", tokenPosition(t));
      blank(t, "");
      naturalJoins.add(table.offset);
      continue;
    }
    if (t.kind === "word" && t.text === "IS") {
      // IS binds looser than comparisons, IN, LIKE and BETWEEN (`a = 1 IS NULL` is `(a = 1) IS
      // NULL`), but the grammar takes none of them before IS: such an operand is put in parentheses.
      const start = isOperandStart(tokens, i);
      if (hasComparison(tokens, start, i)) insertions.push({ at: tokens[start].offset, text: "(" }, { at: tokens[i - 1].end, text: ")" });
    }
    if (t.text === "IS" && next?.kind === "word" && (next.text === "DISTINCT" || (next.text === "NOT" && tokens[i + 2]?.text === "DISTINCT"))) {
      // The grammar has no IS [NOT] DISTINCT FROM: it reads an operator of its own written over
      // the words, one no query may write itself (see DISTINCT_FROM_OPERATORS).
      const negated = next.text === "NOT";
      const from = tokens[i + (negated ? 3 : 2)];
      if (from?.kind !== "word" || from.text !== "FROM") throw new UserError(`expected FROM after IS ${negated ? "NOT " : ""}DISTINCT`, tokenPosition(t));
      writeOver(t.offset, from.end, negated ? DISTINCT_FROM_OPERATORS.notDistinct : DISTINCT_FROM_OPERATORS.distinct);
      i += negated ? 3 : 2;
      continue;
    }
    if (t.text === "EXTRACT" && next?.text === "(" && tokens[i + 2]?.kind === "word" && tokens[i + 3]?.text === "FROM" && !EXTRACT_PARTS.has(tokens[i + 2].text)) {
      // EXTRACT(millisecond FROM x): the grammar reads one name of each part; DuckDB's others
      // (singular, plural, short) are written over as it, which names the same part.
      const field = tokens[i + 2];
      const part = EXTRACT_PART_SYNONYMS.get(field.text);
      if (!part) throw new UnsupportedError(`EXTRACT of ${field.text.toLowerCase()}${field.text === "YEARWEEK" ? " (write yearweek(x))" : ""}`, tokenPosition(field));
      if (part.length <= field.text.length) blank(field, part);
      else {
        blank(field, "");
        insertions.push({ at: field.offset, text: part });
      }
    }
    // A cast to an unsigned type is refused by name rather than misread: trustql has none.
    const unsignedAs = t.kind === "word" ? UNSIGNED_READ_AS.get(UNSIGNED_ALIASES.get(t.text) ?? t.text) : undefined;
    if (unsignedAs && (tokens[i - 1]?.text === "::" || (tokens[i - 1]?.text === "AS" && insideCast(i)) || (next?.kind === "string" && tokens[i - 1]?.text !== "."))) {
      throw new UnsupportedError(`CAST to ${t.text} (DuckDB's unsigned integers, which trustql has no type for: it reads a file's ${t.text} column as ${unsignedAs}; CAST to ${unsignedAs})`, tokenPosition(t));
    }
    const castTypeAlias = CAST_TYPE_ALIASES.get(t.text);
    if (castTypeAlias && (tokens[i - 1]?.text === "::" || (tokens[i - 1]?.text === "AS" && insideCast(i)))) {
      // A type name the grammar lacks: it reads DuckDB's other name for the type.
      if (castTypeAlias.length <= t.text.length) blank(t, castTypeAlias);
      else {
        blank(t, "");
        insertions.push({ at: t.offset, text: castTypeAlias });
      }
      continue;
    }
    if (t.kind === "word" && LITERAL_CAST_TYPES.has(t.text) && next?.kind === "string" && tokens[i - 1]?.text !== "::" && tokens[i - 1]?.text !== ".") {
      // DuckDB's `UUID '…'`, `INTEGER '42'`: the grammar's typed literals are of dates, times and
      // intervals only; any other is the cast of its text, as DuckDB reads (and names) it.
      blank(t, "");
      insertions.push({ at: t.offset, text: "CAST(" }, { at: next.end, text: ` AS ${CAST_TYPE_ALIASES.get(t.text) ?? t.text})` });
      continue;
    }
    if ((t.text === "PIVOT" || t.text === "UNPIVOT") && (i === 0 || tokens[i - 1].text === "(" || tokens[i - 1].text === ";")) {
      pivotStatement(i);
      continue;
    }
    const unpivotNulls = t.text === "UNPIVOT" && (next?.text === "INCLUDE" || next?.text === "EXCLUDE") && tokens[i + 2]?.text === "NULLS" ? next.text : undefined;
    if (t.text === "UNPIVOT" && (next?.text === "(" || unpivotNulls)) {
      // FROM t UNPIVOT [INCLUDE NULLS] (value FOR name IN (columns)): the grammar has no UNPIVOT. It
      // reads a derived table selecting the pieces, the first item's name a mark (UNPIVOT_MARK)
      // saying whether NULLs stay, which the binder reads as the unpivot (bind/pivot.ts).
      const start = pivotedSource(i, "UNPIVOT");
      const open = unpivotNulls ? i + 3 : i + 1;
      const close = closingOf(open);
      const forAt = open + 2;
      const inAt = open + 4;
      const named = (k: number) => tokens[k]?.kind === "word" || tokens[k]?.kind === "quoted";
      if (tokens[open]?.text !== "(" || !named(open + 1) || tokens[forAt]?.text !== "FOR" || !named(forAt + 1) || tokens[inAt]?.text !== "IN" || tokens[inAt + 1]?.text !== "(" || closingOf(inAt + 1) !== close - 1) {
        throw new UserError("UNPIVOT takes (a value's name FOR a name's name IN (columns))", tokenPosition(t));
      }
      const columns = unpivotedColumns(inAt + 2, close - 1, "UNPIVOT's IN list");
      const text = (k: number) => textOf(k, k + 1);
      if (tokens[open + 1].text === tokens[forAt + 1].text) throw new UserError(`UNPIVOT's value and name columns are both named ${text(open + 1)}`, tokenPosition(tokens[forAt + 1]));
      wrapInDerived(start, i, close, `SELECT 0 AS ${UNPIVOT_MARK}${unpivotNulls === "INCLUDE" ? 1 : 0}, 0 AS ${text(open + 1)}, 0 AS ${text(forAt + 1)}, ${columns.join(", ")}`);
      i = close;
      continue;
    }
    if (t.text === "PIVOT" && next?.text === "(") {
      // FROM t PIVOT (aggregates FOR column IN (values)): the grammar has no PIVOT. It reads a
      // derived table selecting the pieces, the first item's name a mark (PIVOT_MARK) with the
      // aggregates' count, which the binder reads as the pivot (bind/pivot.ts).
      const start = pivotedSource(i, "PIVOT");
      const close = closingOf(i + 1);
      const forAt = tokens.findIndex((x, k) => k > i + 1 && k < close && x.kind === "word" && x.text === "FOR" && openingOf(k) === i + 1);
      const inAt = tokens.findIndex((x, k) => k > forAt && k < close && x.kind === "word" && x.text === "IN" && openingOf(k) === i + 1);
      if (forAt < 0 || inAt < 0 || tokens[inAt + 1]?.text !== "(" || closingOf(inAt + 1) !== close - 1) {
        throw new UserError("PIVOT takes (aggregates FOR a column IN (values))", tokenPosition(t));
      }
      // The aggregates reach the grammar as written, without the rewrites above.
      const unread = tokens.slice(i + 2, forAt).find((x) => x.kind === "word" && ["ORDER", "FILTER", "OVER"].includes(x.text));
      if (unread) throw new UnsupportedError(`${unread.text} inside PIVOT's aggregates`, tokenPosition(unread));
      const aggregates = listItems(i + 2, forAt);
      const values = listItems(inAt + 2, close - 1);
      if (aggregates.length === 0 || values.length === 0) throw new UserError("PIVOT takes (aggregates FOR a column IN (values))", tokenPosition(t));
      wrapInDerived(start, i, close, `SELECT 0 AS ${PIVOT_MARK}${aggregates.length}, ${aggregates.join(", ")}, ${textOf(forAt + 1, inAt)}, ${values.join(", ")}`);
      i = close;
      continue;
    }
    if ((t.text === "USING" && next?.kind === "word" && next.text === "SAMPLE") || t.text === "TABLESAMPLE") {
      // The grammar has no sampling: the clause goes, and the binder samples the table it follows
      // (TABLESAMPLE) or, from the first table of its FROM clause, the FROM clause's rows (USING SAMPLE).
      const from = t.text === "USING" ? sameDepthBefore(i, (x) => x.kind === "word" && x.text === "FROM") : -1;
      // USING SAMPLE marks its FROM clause's first table; TABLESAMPLE the table before it (before its
      // alias). Of a (SELECT …) subquery, its SELECT (as a joined one: see joinedToken).
      let table = t.text === "USING" ? ownName(from + 1) : i - 1;
      if (t.text === "TABLESAMPLE" && tokens[table - 1]?.text === "AS") table -= 2;
      else if (t.text === "TABLESAMPLE" && (tokens[table - 1]?.kind === "word" || tokens[table - 1]?.kind === "quoted") && !["FROM", "JOIN"].includes(tokens[table - 1].text)) table -= 1;
      else if (t.text === "TABLESAMPLE" && (tokens[table]?.kind === "word" || tokens[table]?.kind === "quoted") && tokens[table - 1]?.text === ")") table -= 1; // a subquery's alias
      const subquery = t.text === "USING" ? (tokens[from + 1]?.text === "(" ? from + 1 : -1) : tokens[table]?.text === ")" ? openingOf(table) : -1;
      const named = tokens[table];
      // A table's name follows FROM, a join, a comma or its dataset's name (not a subquery's closing parenthesis).
      const isTable = (named?.kind === "word" || named?.kind === "quoted") && ["FROM", "JOIN", ",", "."].includes(tokens[table - 1]?.text ?? "") && tokens[table + 1]?.text !== "(";
      const marked = subquery >= 0 && tokens[subquery + 1]?.kind === "word" && tokens[subquery + 1].text === "SELECT" ? tokens[subquery + 1] : isTable ? named : undefined;
      if ((t.text === "USING" && from < 0) || !marked) {
        throw new UnsupportedError(`${t.text === "USING" ? "USING SAMPLE" : "TABLESAMPLE"} of anything but a table or a (SELECT …) subquery`, tokenPosition(t));
      }
      const { sample, end } = sampleClause(tokens, t.text === "USING" ? i + 2 : i + 1, t.text === "USING" ? "from" : "table");
      for (let k = i; k < end; k++) blank(tokens[k], "");
      samples.set(marked.offset, sample);
      i = end - 1;
      continue;
    }
    if (t.text === "GROUPING" && next?.kind === "word" && next.text === "SETS") {
      // The grammar has no GROUPING SETS: it reads the call grouping_sets(…), written over the two words.
      if (groupingSetsDepth !== undefined || groupingSetsPending) throw new UnsupportedError("GROUPING SETS inside GROUPING SETS", tokenPosition(t));
      writeOver(t.offset, next.end, GROUPING_SETS_CALL);
      groupingSetsPending = true;
      i++;
      continue;
    }
    const previous = tokens[i - 1];
    if (t.text === "EXCLUDE" && previous?.kind === "symbol" && previous.text === "*") {
      // The grammar has no * EXCLUDE (…): it reads a quoted name "*<n>" written over the clause,
      // and the binder expands the star without starModifiers[n].exclude.
      const names: string[] = [];
      let last = i + 1;
      const name = (token: Token | undefined) => {
        if (token?.kind !== "word" && token?.kind !== "quoted") throw new UserError("EXCLUDE takes column names", token ? tokenPosition(token) : tokenPosition(t));
        names.push(token.kind === "word" ? token.text.toLowerCase() : token.text);
      };
      if (next?.kind === "symbol" && next.text === "(") {
        for (last = i + 2; ; last += 2) {
          name(tokens[last]);
          if (tokens[last + 1]?.text !== ",") break;
        }
        last++;
        if (tokens[last]?.text !== ")") throw new UserError("EXCLUDE's list of names needs a closing )", tokenPosition(tokens[last] ?? t));
      } else name(next);
      writeOver(previous.offset, tokens[last].end, `"*${starModifiers.length}"`);
      // EXCLUDE (…) REPLACE (…): the list goes on after the marker, as below.
      const replaced = tokens[last + 1]?.kind === "word" && tokens[last + 1].text === "REPLACE" ? replaceList(last + 1, ",") : 0;
      starModifiers.push({ exclude: names, replace: replaced });
      i = last;
      continue;
    }
    if (t.text === "REPLACE" && previous?.kind === "symbol" && previous.text === "*") {
      // The grammar has no * REPLACE (expr AS name, …): it reads a quoted name "*<n>" and then
      // the expressions as select items of their own, which the binder puts in place of the
      // star's columns of their names (starModifiers[n].replace of them).
      const replaced = replaceList(i, `"*${starModifiers.length}",`, previous);
      starModifiers.push({ exclude: [], replace: replaced });
      continue;
    }
    if ((t.text === "PERCENT_RANK" || t.text === "CUME_DIST") && next?.text === "(" && tokens[i + 2]?.text === ")") {
      // The grammar takes these without arguments only as RANK does: it reads RANK, marked for the binder.
      rename(t, "RANK");
    }
    if (t.text === "ALL" && previous?.kind === "word" && previous.text === "BY" && (tokens[i - 2]?.text === "GROUP" || tokens[i - 2]?.text === "ORDER")) {
      // The grammar has no GROUP BY ALL or ORDER BY ALL: it reads position 0, which no query can
      // mean (positions start at 1); the binder reads it as ALL (see BY_ALL).
      blank(t, BY_ALL);
      byAll++;
    }
    if (next?.text === "(" && t.kind === "word") {
      const close = closingOf(i + 1);
      const filterOpen = close + 2;
      if (tokens[close + 1]?.text === "FILTER" && tokens[filterOpen]?.text === "(" && tokens[filterOpen + 1]?.text === "WHERE") {
        const filterClose = closingOf(filterOpen);
        const over = tokens[filterClose + 2];
        if (tokens[filterClose + 1]?.kind === "word" && tokens[filterClose + 1].text === "OVER" && (over?.text === "(" || (over?.kind === "word" && !CLAUSES_AFTER_SELECT_LIST.has(over.text)) || over?.kind === "quoted")) {
          // The grammar reads no FILTER before OVER: the condition moves into the call as its last
          // argument (count(*)'s star goes), and the call reaches the grammar as LAG, which takes
          // any arguments before OVER; the binder takes the condition back (windowFilterOf).
          const star = close === i + 3 && tokens[i + 2].text === "*";
          if (star) blank(tokens[i + 2], "");
          if (tokens[i + 2]?.kind === "word" && tokens[i + 2].text === "DISTINCT") {
            // LAG takes no DISTINCT: the binder reads the mark instead.
            distinctAggregates.add(t.offset);
            blank(tokens[i + 2], "");
          }
          rename(t, "LAG");
          if (ORDERED_WINDOW_CALLS.has(t.text)) orderedArguments(i);
          windowFilters.set(t.offset, { star });
          blank(tokens[close + 1], star || close === i + 2 ? "" : ",");
          blank(tokens[filterOpen + 1], "");
          const [argsStart, callClose, conditionStart, conditionEnd] = [tokens[i + 1].end, tokens[close].offset, tokens[filterOpen + 2].offset, tokens[filterClose].offset];
          filterMoves.push([[argsStart, callClose], [callClose, tokens[close].end], [tokens[close].end, conditionStart], [conditionStart, conditionEnd], [conditionEnd, tokens[filterClose].end]]);
          continue;
        }
      }
    }
    if ((t.text === "LIST" || ORDERED_AGGREGATE_WORDS.has(t.text)) && next?.text === "(") {
      // The grammar reads an ordered aggregate's argument that begins with a parenthesis only
      // when the parenthesis ends it (array_agg((k * 7) % 5 ORDER BY k) is a syntax error there):
      // such an argument goes in parentheses of its own.
      const first = tokens[i + 2]?.kind === "word" && (tokens[i + 2].text === "DISTINCT" || tokens[i + 2].text === "ALL") ? i + 3 : i + 2;
      const opensSubquery = tokens[first + 1]?.kind === "word" && (tokens[first + 1].text === "SELECT" || tokens[first + 1].text === "WITH");
      if (tokens[first]?.text === "(" && !opensSubquery) {
        const end = wordAtDepth(tokens, first, new Set(["ORDER"]));
        const argumentEnds = Math.min(end, argumentEnd(tokens, first));
        if (argumentEnds > closingOf(first) + 1 && argumentEnds < tokens.length) insertions.push({ at: tokens[first].offset, text: "(", enclosing: true }, { at: tokens[argumentEnds].offset, text: ") " });
      }
    }
    if (ORDERED_WINDOW_CALLS.has(t.text) && next?.text === "(" && tokens[closingOf(i + 1) + 1]?.text === "OVER") orderedArguments(i);
    if (t.text === "LIST" && next?.text === "(" && tokens[closingOf(i + 1) + 1]?.text !== "OVER") {
      // DuckDB's list(x): the grammar knows it as ARRAY_AGG (with DISTINCT, ORDER BY and FILTER).
      blank(t, "");
      insertions.push({ at: t.offset, text: "ARRAY_AGG" });
      renamed.set(t.offset, "ARRAY_AGG");
      continue;
    }
    if (RENAMED_AGGREGATES.has(t.text) && next?.text === "(") {
      // The grammar takes OVER and FILTER only after calls it knows: such a call reaches it as
      // LAG (with OVER: any argument) or SUM (with FILTER: one, not a comparison unless
      // parenthesized), marked for the binder with its own name.
      const close = closingOf(i + 1);
      const after = tokens[close + 1];
      // string_agg(x, sep ORDER BY k) FILTER (…) the grammar reads as it is.
      const readAsWritten = after?.text === "FILTER" && ORDERED_AGGREGATE_WORDS.has(t.text);
      if (after?.kind === "word" && (after.text === "OVER" || after.text === "FILTER") && !readAsWritten) {
        rename(t, after.text === "OVER" ? "LAG" : "SUM");
        // SUM takes one argument before FILTER: two (corr(y, x), arg_min(a, b)) reach it as one
        // parenthesized list, which the binder reads as the arguments again.
        const commas = tokens.slice(i + 2, close).some((x, k) => x.text === "," && openingOf(i + 2 + k) === i + 1);
        if (after.text === "FILTER" && commas) {
          insertions.push({ at: tokens[i + 1].end, text: "(" }, { at: tokens[close].offset, text: ")" });
          groupedArguments.add(t.offset);
        }
      }
    }
    const limitAt = i + ((tokens[i + 2]?.text === "ROWS" || tokens[i + 2]?.text === "ROW") ? 3 : 2);
    if (t.kind === "word" && (t.text === "LIMIT" || t.text === "OFFSET") && next && !offsetsInLimits.has(i)) {
      // LIMIT/OFFSET of an expression (LIMIT 1 + 1, OFFSET -1): the grammar takes a number, ALL or
      // a parenthesized SELECT after LIMIT, a number after OFFSET. Where either is something else,
      // the two reach the grammar as one SELECT after LIMIT, `LIMIT (SELECT count, offset AS
      // __trustql_offset)` (`LIMIT (SELECT count)` without OFFSET), whose items the binder works out
      // as constants (so no LIMIT -n reaches the grammar: see below).
      const end = clauseEnd(tokens, i, LIMIT_VALUE_ENDS);
      const number = (at: number, stop: number) => stop === at + 2 && tokens[at + 1].kind === "number" && !numberStandsIn(tokens[at + 1]);
      const percentSign = tokens[end - 1]?.text === "%";
      const percent = t.text === "LIMIT" && (percentSign || tokens[end]?.text === "PERCENT");
      if (percent && (percentSign ? end - 1 : end) !== i + 2) throw new UnsupportedError("LIMIT p% of an expression (write the percentage as a number)", tokenPosition(t));
      const read = percent || number(i, end) || (t.text === "LIMIT" && (next.text === "ALL" ? end === i + 2 : next.text === "(" && tokens[i + 2]?.text === "SELECT" && closingOf(i + 1) === end - 1));
      const offset = t.text === "LIMIT" && tokens[end]?.text === "OFFSET" ? end : undefined;
      const offsetEnd = offset === undefined ? undefined : clauseEnd(tokens, offset, LIMIT_VALUE_ENDS);
      const limitAfter = t.text === "OFFSET" ? end + (tokens[end]?.text === "ROWS" || tokens[end]?.text === "ROW" ? 1 : 0) : undefined;
      if (limitAfter !== undefined && tokens[limitAfter]?.text === "LIMIT") {
        // OFFSET n LIMIT m, numbers: swapped below.
        const limitEnd = clauseEnd(tokens, limitAfter, LIMIT_VALUE_ENDS);
        if (!read || !(number(limitAfter, limitEnd) || (limitEnd === limitAfter + 2 && tokens[limitAfter + 1].text === "ALL"))) {
          throw new UnsupportedError("OFFSET before LIMIT where either is an expression (write LIMIT … OFFSET …)", tokenPosition(t));
        }
      } else if (offset !== undefined && offsetEnd! > offset + 1 && !(read && number(offset, offsetEnd!))) {
        if (percent) throw new UnsupportedError("LIMIT p% with an OFFSET other than a number", tokenPosition(tokens[offset]));
        // LIMIT ALL: no limit, a NULL one.
        if (next.text === "ALL") blank(next, "");
        insertions.push({ at: next.offset, text: next.text === "ALL" ? "(SELECT NULL" : "(SELECT " }, { at: tokens[offsetEnd! - 1].end, text: ` AS ${LIMIT_OFFSET_MARK})` });
        blank(tokens[offset], ",");
        offsetsInLimits.add(offset);
      } else if (t.text === "LIMIT" && end > i + 1 && !read) {
        insertions.push({ at: next.offset, text: "(SELECT " }, { at: tokens[end - 1].end, text: ")" });
      } else if (t.text === "OFFSET" && end > i + 1 && !read && tokens[end]?.text !== "ROWS" && tokens[end]?.text !== "ROW") {
        blank(t, "LIMIT");
        insertions.push({ at: next.offset, text: "(SELECT NULL, " }, { at: tokens[end - 1].end, text: ` AS ${LIMIT_OFFSET_MARK})` });
      }
    }
    if (t.kind === "word" && t.text === "LIMIT" && next?.kind === "number" && (tokens[i + 2]?.text === "%" || tokens[i + 2]?.text === "PERCENT")) {
      // LIMIT n% (n PERCENT): the grammar reads LIMIT -n, which no query can write (above); the binder reads a percentage.
      insertions.push({ at: next.offset, text: "-" });
      blank(tokens[i + 2], "");
    }
    if (t.kind === "word" && t.text === "OFFSET" && tokens[i + 1]?.kind === "number" && tokens[limitAt]?.kind === "word" && tokens[limitAt].text === "LIMIT" && (tokens[limitAt + 1]?.kind === "number" || tokens[limitAt + 1]?.text === "ALL")) {
      // OFFSET n LIMIT m: the grammar read OFFSET and dropped the LIMIT after it (every row came
      // back). Written over as LIMIT m OFFSET n.
      writeOver(t.offset, tokens[limitAt + 1].end, `LIMIT ${tokens[limitAt + 1].text} OFFSET ${tokens[i + 1].text}`);
      i = limitAt + 1;
      continue;
    }
    if (t.kind === "word" && t.text === "OFFSET" && tokens[i + 1]?.kind === "number" && (tokens[i + 2]?.text === "ROWS" || tokens[i + 2]?.text === "ROW") && tokens[i + 3]?.text !== "FETCH") {
      // OFFSET n ROWS without FETCH: the grammar takes OFFSET n.
      blank(tokens[i + 2], "");
    }
    if (t.kind === "word" && t.text === "FETCH" && (next?.text === "FIRST" || next?.text === "NEXT")) {
      // [OFFSET m ROWS] FETCH FIRST|NEXT [n] ROW|ROWS ONLY, the standard's LIMIT: the grammar
      // has none of it, and wants LIMIT before OFFSET. The clause is written over as LIMIT n OFFSET m.
      const count = tokens[i + 2]?.kind === "number" ? tokens[i + 2] : undefined;
      const rows = tokens[i + (count ? 3 : 2)];
      const only = tokens[i + (count ? 4 : 3)];
      if ((rows?.text !== "ROWS" && rows?.text !== "ROW") || only?.text !== "ONLY") throw new UnsupportedError("FETCH other than FETCH FIRST|NEXT [n] ROW|ROWS ONLY", tokenPosition(t));
      const offset = tokens[i - 3]?.text === "OFFSET" && tokens[i - 2]?.kind === "number" && (previous?.text === "ROWS" || previous?.text === "ROW") ? tokens[i - 2] : undefined;
      if (tokens.some((other) => other.kind === "word" && other.text === "LIMIT")) throw new UnsupportedError("FETCH FIRST in a query that also writes LIMIT", tokenPosition(t));
      writeOver(offset ? tokens[i - 3].offset : t.offset, only.end, `LIMIT ${count?.text ?? "1"}${offset ? ` OFFSET ${offset.text}` : ""}`);
    }
    if (t.kind === "word" && t.text === "WINDOW" && next?.kind === "word" && tokens[i + 2]?.text === "AS" && tokens[i + 3]?.text === "(") {
      // A WINDOW clause: its end, for what may follow it (see below the loop).
      let end = closingOf(i + 3);
      while (tokens[end + 1]?.text === "," && tokens[end + 3]?.text === "AS" && tokens[end + 4]?.text === "(") end = closingOf(end + 4);
      if (end < tokens.length) windowClauses.push({ first: i, last: end });
    }
    if (t.kind === "word" && t.text === "PARTITION" && next?.kind === "word" && next.text === "BY" && insideWindowSpecification(i)) {
      // The grammar's PARTITION BY takes columns and calls only (not a % 10, d::DATE, CASE …),
      // its ORDER BY any expression: the keys are written as the first ORDER BY keys (the
      // window's own ORDER BY joins that list with a comma), and their count marks the call.
      let end = i + 2;
      let keys = 1;
      for (let depth = 0; end < tokens.length; end++) {
        const x = tokens[end];
        if (x.text === "(" || (x.kind === "word" && x.text === "CASE")) depth++;
        else if (x.text === ")" || (x.kind === "word" && x.text === "END")) {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0 && x.text === ",") keys++;
        else if (depth === 0 && x.kind === "word" && ((x.text === "ORDER" && tokens[end + 1]?.text === "BY") || x.text === "ROWS" || x.text === "RANGE" || startsGroupsFrame(end))) break;
      }
      writeOver(t.offset, next.end, "ORDER BY");
      if (tokens[end]?.text === "ORDER") {
        writeOver(tokens[end].offset, tokens[end + 1].end, ",");
      }
      partitionCounts.set(t.offset, keys);
    }
    if (t.kind === "word" && (t.text === "RANGE" || startsGroupsFrame(i)) && insideWindowSpecification(i)) {
      // A RANGE or GROUPS window frame (after a window's ORDER BY): the grammar takes ROWS frames
      // only, without interval offsets. The frame is written over as a ROWS frame and its bounds
      // kept as written, for the binder (see WrittenFrame).
      const bounds: string[] = [];
      let end = i + 1;
      const readBound = () => {
        const first = end;
        while (end < tokens.length && !(tokens[end].kind === "word" && ["PRECEDING", "FOLLOWING", "ROW"].includes(tokens[end].text))) end++;
        if (end >= tokens.length) throw new UserError(`a ${t.text} frame's bound needs PRECEDING, FOLLOWING or CURRENT ROW`, tokenPosition(t));
        bounds.push(sql.slice(tokens[first].offset, tokens[end].end));
        end++;
      };
      if (next?.kind === "word" && next.text === "BETWEEN") {
        end = i + 2;
        readBound();
        if (tokens[end]?.text !== "AND") throw new UserError(`${t.text} BETWEEN needs AND between its bounds`, tokenPosition(t));
        end++;
        readBound();
      } else readBound();
      const frameEnd = tokens[end - 1].end;
      if (frameEnd - t.offset < "ROWS CURRENT ROW".length) throw new UserError(`this ${t.text} frame`, tokenPosition(t));
      writeOver(t.offset, frameEnd, "ROWS CURRENT ROW");
      writtenFrames.set(t.offset, { unit: t.text === "RANGE" ? "range" : "groups", lower: bounds[0], upper: bounds[1] ?? "CURRENT ROW" });
      i = end - 1;
      continue;
    }
    if (t.kind === "word" && t.text === "EXCLUDE" && insideWindowSpecification(i)) {
      // A frame's EXCLUDE clause (after ROWS, RANGE or GROUPS …): the grammar has none. The words
      // go and the exclusion is kept for the binder.
      const words = next?.text === "CURRENT" || next?.text === "NO" ? 2 : 1;
      const written = tokens.slice(i + 1, i + 1 + words).map((x) => x.text).join(" ");
      const exclusion = FRAME_EXCLUSIONS.find((e) => e === written);
      if (!exclusion) throw new UserError("EXCLUDE in a window frame takes CURRENT ROW, GROUP, TIES or NO OTHERS", tokenPosition(t));
      writeOver(t.offset, tokens[i + words].end, "");
      frameExclusions.set(t.offset, exclusion);
      i += words;
      continue;
    }
    if ((t.text === "IGNORE" || t.text === "RESPECT") && next?.kind === "word" && next.text === "NULLS") {
      // The grammar has neither: both words go, and IGNORE marks the call whose parentheses hold
      // them, after its arguments (where DuckDB reads them).
      const call = tokens[openingOf(i) - 1];
      if (call?.kind !== "word" || !NULLS_IGNORABLE_CALLS.has(call.text)) {
        if (previous?.text === ")") throw new UnsupportedError(`${t.text} NULLS after a call's parentheses (DuckDB reads it inside them: first_value(x ${t.text} NULLS))`, tokenPosition(t));
        throw new UnsupportedError(`${t.text} NULLS here (it applies to first_value, last_value, nth_value, lag and lead)`, tokenPosition(t));
      }
      if (t.text === "IGNORE") ignoreNulls.add(call.offset);
      blank(t, "");
      blank(next, "");
    }
    if (t.text === "QUALIFY") {
      // The grammar has no QUALIFY. In a SELECT without HAVING it reads HAVING (the binder reads
      // every HAVING of such a query as a QUALIFY); after one, both conditions reach the grammar
      // as one HAVING, `(having) #>> (qualify)`, which the binder takes apart.
      const having = havingBefore(tokens, i);
      if (having < 0) {
        blank(t, "HAVING");
        qualify = true;
      } else {
        const between = tokens.slice(having, i).find((x) => x.kind === "word" && x.text === "WINDOW");
        if (between) throw new UnsupportedError("a WINDOW clause between HAVING and QUALIFY", tokenPosition(between));
        const end = clauseEnd(tokens, i, AFTER_QUALIFY_WORDS);
        if (having + 1 >= i || i + 1 >= end) throw new UserError(`syntax error at or near "${tokens[having + 1 >= i ? i : end]?.text ?? "end of input"}"`, tokenPosition(t));
        insertions.push({ at: tokens[having + 1].offset, text: "(" }, { at: tokens[end - 1].end, text: ")" });
        blank(t, `) ${HAVING_THEN_QUALIFY} (`);
        havingsWithQualify.add(having);
      }
    }
    if (t.text === "FROM" && startsQuery(i)) {
      const select = clauseEnd(tokens, i, FROM_FIRST_STOPS);
      if (tokens[select]?.text === "SELECT") fromFirst.push({ from: i, select, end: clauseEnd(tokens, select, CLAUSES_AFTER_SELECT_LIST) });
      else fromFirst.push({ from: i, select: undefined, end: select });
    }
    if ((t.text === "FIRST" || t.text === "LAST") && next?.text === "(") {
      // first(x ORDER BY y): the grammar takes ORDER BY inside a few aggregates only; the call
      // reaches it as ARRAY_AGG, marked for the binder with its own name; before OVER as LAG (its
      // keys made arguments above), which the grammar takes there.
      const close = closingOf(i + 1);
      const ordered = tokens.slice(i + 2, close).some((x, k) => x.kind === "word" && x.text === "ORDER" && openingOf(i + 2 + k) === i + 1);
      if (tokens[close + 1]?.text === "OVER") rename(t, "LAG");
      else if (ordered) {
        blank(t, "");
        insertions.push({ at: t.offset, text: "ARRAY_AGG" });
        renamed.set(t.offset, "ARRAY_AGG");
      }
    }
    // mode(x ORDER BY y) likewise (not before OVER or FILTER, which reach the grammar as RENAMED_AGGREGATES do).
    if (t.text === "MODE" && next?.text === "(" && !["OVER", "FILTER"].includes(tokens[closingOf(i + 1) + 1]?.text ?? "")) {
      const close = closingOf(i + 1);
      if (tokens.slice(i + 2, close).some((x, k) => x.kind === "word" && x.text === "ORDER" && openingOf(i + 2 + k) === i + 1)) {
        blank(t, "");
        insertions.push({ at: t.offset, text: "ARRAY_AGG" });
        renamed.set(t.offset, "ARRAY_AGG");
      }
    }
    // SELECT ALL is SELECT (the default the grammar lacks a word for).
    if (t.text === "ALL" && tokens[i - 1]?.kind === "word" && tokens[i - 1].text === "SELECT") blank(t, "");
    // WITH t AS [NOT] MATERIALIZED (…): a hint how to run the CTE, which changes no answer.
    if (t.kind === "word" && t.text === "MATERIALIZED" && next?.text === "(") {
      const not = tokens[i - 1]?.kind === "word" && tokens[i - 1].text === "NOT";
      if (tokens[not ? i - 2 : i - 1]?.text === "AS") {
        blank(t, "");
        if (not) blank(tokens[i - 1], "");
      }
    }
    // DuckDB's agg(x) FILTER (cond): the grammar takes FILTER (WHERE cond) only.
    if (t.text === "FILTER" && tokens[i - 1]?.text === ")" && next?.text === "(" && !(tokens[i + 2]?.kind === "word" && tokens[i + 2].text === "WHERE")) {
      insertions.push({ at: tokens[i + 2].offset, text: "WHERE " });
    }
    if ([STRUCT_CALL, STRUCT_PACK_CALL, STRUCT_INSERT_CALL, FIELD_CALL, MAP_CALL, TYPED_CAST_CALL].some((mark) => t.text === mark.toUpperCase())) throw new UnsupportedError(`the function name ${t.text.toLowerCase()} (trustql's own mark for {'a': 1}, MAP {…}, struct_pack, struct_insert, a value's .field and a cast to a STRUCT or MAP type)`, tokenPosition(t));
    if (t.text === SUBSCRIPT_CALL.toUpperCase() || t.text === SLICE_CALL.toUpperCase()) throw new UnsupportedError(`the function name ${t.text.toLowerCase()} (trustql's own mark for s[i] and s[a:b])`, tokenPosition(t));
    if (t.text === AT_TIME_ZONE_CALL.toUpperCase()) throw new UnsupportedError(`the function name ${AT_TIME_ZONE_CALL} (trustql's own mark for x AT TIME ZONE z)`, tokenPosition(t));
    if (t.text === INTERVAL_CALL.toUpperCase()) throw new UnsupportedError(`the function name ${INTERVAL_CALL} (trustql's own mark for INTERVAL (n) unit)`, tokenPosition(t));
    if (t.text === "INTERVAL" && next) {
      // The grammar reads INTERVAL n DAY and INTERVAL (x) DAY for six units, singular: DuckDB's
      // others and plurals (INTERVAL 2 DAYS, INTERVAL (x) WEEK) are written in a form it reads.
      const amountEnd = next.kind === "symbol" && next.text === "(" ? closingOf(i + 1) : next.kind === "number" || next.kind === "string" ? i + 1 : -1;
      const unit = amountEnd >= 0 ? tokens[amountEnd + 1] : undefined;
      if (unit?.kind === "word" && isIntervalUnitName(unit.text)) {
        const whole = next.kind === "symbol" ? undefined : /^\s*-?\d+\s*$/.exec(next.text)?.[0].trim();
        if (whole !== undefined) {
          // A whole amount: one interval string, `INTERVAL '2 DAYS'`.
          blank(next, "");
          blank(unit, "");
          insertions.push({ at: next.offset, text: `'${whole} ${unit.text}'` });
        } else if (next.kind === "symbol" && !GRAMMAR_INTERVAL_UNITS.has(unit.text)) {
          blank(t, "");
          blank(unit, "");
          insertions.push({ at: t.offset, text: INTERVAL_CALL }, { at: tokens[amountEnd].offset, text: `, '${unit.text}'` });
        }
      }
    }
    if (t.kind === "word" && t.text === "AT" && tokens[i + 1]?.text === "TIME" && tokens[i + 2]?.text === "ZONE" && i > 0) {
      // x AT TIME ZONE z: a call of x and z. The operator binds tighter than any other but `::`,
      // so its operand is the primary before it (a typed literal, a cast of one).
      const zone = tokens[i + 3];
      if (!zone || !(zone.kind === "string" || zone.kind === "word" || zone.kind === "quoted")) throw new UnsupportedError("AT TIME ZONE of anything but a zone's name or a column", tokenPosition(t));
      let from = subscriptedFrom(tokens, i);
      while (tokens[from - 1]?.text === "::" || (tokens[from].kind === "string" && tokens[from - 1]?.kind === "word" && TYPED_LITERAL_WORDS.has(tokens[from - 1].text))) {
        from = tokens[from - 1].text === "::" ? subscriptedFrom(tokens, from - 1) : from - 1;
      }
      insertions.unshift({ at: tokens[from].offset, text: `${AT_TIME_ZONE_CALL}(` });
      blank(t, ",");
      blank(tokens[i + 1], "");
      blank(tokens[i + 2], "");
      insertions.push({ at: zone.end, text: ")" });
    }
    // (A pattern follows: a column named glob stays one.)
    if (t.text === "GLOB" && i > 0 && tokens[i - 1].text !== "NOT" && next?.kind === "string") {
      // DuckDB's x GLOB pattern (* any text, ? a character, [...] one of): the grammar has no GLOB.
      // It reads LIKE, marked for the binder (see the binary node's mark in annotate).
      rename(t, "LIKE");
    }
    if (t.text === "TRY_CAST" && next?.text === "(") {
      // The grammar has no TRY_CAST: it reads CAST, marked for the binder.
      rename(t, "CAST");
    }
    // COUNT(DISTINCT (x) % 5): the grammar reads DISTINCT( as a call.
    const distinctCount = t.text === "COUNT" && tokens[i + 3]?.text === "(";
    // first(…) and last(…) before OVER reach the grammar as LAG, which takes no DISTINCT.
    const rowCallOver = (t.text === "FIRST" || t.text === "LAST") && next?.text === "(" && tokens[closingOf(i + 1) + 1]?.text === "OVER";
    if ((["SUM", "AVG", "MIN", "MAX"].includes(t.text) || RENAMED_AGGREGATES.has(t.text) || distinctCount || rowCallOver) && next?.text === "(" && tokens[i + 2]?.kind === "word" && tokens[i + 2].text === "DISTINCT") {
      // The grammar takes DISTINCT only in COUNT (and a few it knows); the binder reads this mark instead.
      distinctAggregates.add(t.offset);
      blank(tokens[i + 2], "");
    }
    // The grammar has TIMESTAMP '…' literals but neither TIMESTAMPTZ '…' nor TIMESTAMP WITH
    // TIME ZONE '…': they become TIMESTAMP literals, marked zoned for the binder.
    if (t.text === "TIMESTAMPTZ" && next?.kind === "string") {
      rename(t, "TIMESTAMP");
      zonedTimestamps.add(t.offset);
    }
    const withTimeZone = ["WITH", "TIME", "ZONE"].every((word, k) => tokens[i + 1 + k]?.kind === "word" && tokens[i + 1 + k].text === word);
    if (t.text === "TIMESTAMP" && withTimeZone && tokens[i + 4]?.kind === "string") {
      for (let k = 1; k <= 3; k++) blank(tokens[i + k], "");
      zonedTimestamps.add(t.offset);
    }
    if (t.text === "UNION" || t.text === "INTERSECT" || t.text === "EXCEPT") {
      const all = next?.kind === "word" && next.text === "ALL";
      const distinct = next?.kind === "word" && next.text === "DISTINCT";
      // UNION [ALL] BY NAME (DuckDB's): the grammar has no BY NAME, remembered here and its words gone.
      const by = tokens[i + (all || distinct ? 2 : 1)];
      const byName = t.text === "UNION" && by?.kind === "word" && by.text === "BY" && tokens[tokens.indexOf(by) + 1]?.text === "NAME";
      if (byName) {
        blank(by, "");
        blank(tokens[tokens.indexOf(by) + 1], "");
      }
      setOps.push({ token: t, all, byName });
      // The grammar knows UNION ALL and UNION DISTINCT but neither INTERSECT nor EXCEPT with a
      // quantifier; the quantifier is remembered here and the set operation annotated below.
      if (t.text !== "UNION" && (all || distinct)) blank(next, "");
    }
  }
  const operands = parenthesizedOperands(tokens);
  operands.forEach(({ open, close }, n) => insertions.push({ at: tokens[open].offset, text: "SELECT * FROM " }, { at: tokens[close].end, text: ` AS ${OPERAND_ALIAS}${n}` }));
  /**
   * Rewrites the adjacent spans `parts` (in the query's order) in the order `order` gives, once
   * every rule above has written over its own span: text to insert moves with the span it is in
   * (text inserted after a token, with the token), and where each character came from is kept
   * for originalOffset.
   */
  const moves: { start: number; parts: (readonly [number, number])[] }[] = [];
  const reorder = (parts: readonly (readonly [number, number])[], order: readonly number[]) => {
    const start = parts[0][0];
    const end = parts[parts.length - 1][1];
    const before = chars.slice(start, end);
    const placed = order.map((k) => parts[k]);
    placed.flatMap(([from, to]) => before.slice(from - start, to - start)).forEach((c, k) => (chars[start + k] = c));
    const afterToken = (offset: number) => offset > start && !/\s/.test(before[offset - 1 - start]);
    const ownerOf = (offset: number) =>
      parts.find(([from, to]) => offset > from && offset <= to && afterToken(offset)) ?? parts.find(([from, to]) => offset >= from && offset < to);
    const newStartOf = new Map(placed.map((part, k) => [part, start + placed.slice(0, k).reduce((n, [from, to]) => n + to - from, 0)]));
    for (const insertion of insertions) {
      const owner = insertion.at >= start && insertion.at <= end ? ownerOf(insertion.at) : undefined;
      if (owner) insertion.at = newStartOf.get(owner)! + insertion.at - owner[0];
    }
    moves.push({ start, parts: placed });
  };
  // Spans that move, the innermost first (a query nested in a span moves with it after its own moved).
  const reorders: { start: number; apply: () => void }[] = [];
  // The grammar drops an ORDER BY, LIMIT or OFFSET written after a WINDOW clause (where SQL puts
  // them), and refuses a QUALIFY there (read as HAVING), but reads them all before it: the two
  // are swapped, text and all.
  for (const { first, last } of windowClauses) {
    const tail = last + 1;
    if (!(tokens[tail]?.kind === "word" && ["QUALIFY", "ORDER", "LIMIT", "OFFSET", "FETCH"].includes(tokens[tail].text))) continue;
    const end = clauseEnd(tokens, tail, SET_OPERATION_WORDS);
    const [start, windowEnd, tailStart, tailEnd] = [tokens[first].offset, tokens[last].end, tokens[tail].offset, tokens[end - 1].end];
    reorders.push({ start, apply: () => reorder([[start, windowEnd], [windowEnd, tailStart], [tailStart, tailEnd]], [2, 1, 0]) });
  }
  // The grammar reads no FROM-first query: its select list goes before its FROM clause, or
  // `SELECT *` where it has none.
  for (const { from, select, end } of fromFirst) {
    const fromStart = tokens[from].offset;
    if (select === undefined) {
      if (end === from + 1) throw new UserError("FROM needs a table", tokenPosition(tokens[from]));
      reorders.push({ start: fromStart, apply: () => insertions.push({ at: fromStart, text: "SELECT * " }) });
      continue;
    }
    if (end === select + 1) throw new UserError("SELECT needs a list of what to select", tokenPosition(tokens[select]));
    const [fromEnd, selectStart, listEnd] = [tokens[select - 1].end, tokens[select].offset, tokens[end - 1].end];
    reorders.push({ start: fromStart, apply: () => reorder([[fromStart, fromEnd], [fromEnd, selectStart], [selectStart, listEnd]], [2, 1, 0]) });
  }
  // args ) FILTER (WHERE c ) → args , ( c ) ) (the words blanked above).
  for (const parts of filterMoves) reorders.push({ start: parts[0][0], apply: () => reorder(parts, [0, 2, 3, 4, 1]) });
  for (const { apply } of reorders.sort((a, b) => b.start - a.start)) apply();
  // A QUALIFY read as HAVING makes the binder read every HAVING as a QUALIFY: none may stand alone.
  const lone = qualify ? tokens.findIndex((x, k) => x.kind === "word" && x.text === "HAVING" && !havingsWithQualify.has(k)) : -1;
  if (lone >= 0) throw new UnsupportedError("HAVING in a statement where another SELECT has QUALIFY without HAVING", tokenPosition(tokens[lone]));
  const inserted = withInsertions(chars.join(""), insertions);
  // Back through the insertions, then through the reordered spans (the last reordered first).
  const originalOffset = (offset: number): number => {
    let at = inserted.originalOffset(offset);
    for (let m = moves.length - 1; m >= 0; m--) {
      let from = moves[m].start;
      for (const [start, end] of moves[m].parts) {
        if (at >= from && at < from + end - start) {
          at = start + at - from;
          break;
        }
        from += end - start;
      }
    }
    return at;
  };
  return { text: inserted.text, originalOffset, insertedAt: inserted.insertedAt, moved: insertions.length > 0 || moves.length > 0, operands, setOps, distinctAggregates, zonedTimestamps, groupedArguments, starModifiers, renamed, byAll, qualify, naturalJoins, ignoreNulls, writtenFrames, frameExclusions, partitionCounts, backslashes, standIns, integerDivisions, baseWindows, windowFilters, argumentOrders, samples, asofJoins, filteringJoins };
}

/** The parentheses, by token index, around a query that is an operand of a set operation. */
interface ParenthesizedOperand {
  open: number;
  close: number;
}

/**
 * What a parenthesized operand of a set operation reaches the grammar as: the derived table
 * `SELECT * FROM (operand) AS __trustql_operand_N`, a plain operand. The grammar reads few
 * parenthesized ones, and those wrongly: `(q1) UNION (q2) ORDER BY 1` without its ORDER BY, a
 * parenthesized operand after a FROM as a join, and a parenthesized set operation first not at all.
 */
const OPERAND_ALIAS = "__trustql_operand_";

const SET_OPERATION_WORDS = new Set(["UNION", "INTERSECT", "EXCEPT"]);

/** Words after which a parenthesis holds a query (besides those before an operand). */
const SUBQUERY_AFTER_WORDS = new Set(["IN", "EXISTS", "AS", "FROM", "JOIN", "ANY", "ALL", "SOME", "LATERAL", "MATERIALIZED"]);
/** Words that begin the clauses after a select list. */
const CLAUSES_AFTER_SELECT_LIST = new Set(["FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "OFFSET", "FETCH", "UNION", "INTERSECT", "EXCEPT"]);
/** Where a FROM-first query's FROM clause ends: at its SELECT, or at the clause after it. */
const FROM_FIRST_STOPS = new Set([...CLAUSES_AFTER_SELECT_LIST, "SELECT"].filter((word) => word !== "FROM"));

/** The set operations' operands written in parentheses, outermost first. */
function parenthesizedOperands(tokens: readonly Token[]): ParenthesizedOperand[] {
  const word = (i: number, ...texts: string[]) => tokens[i]?.kind === "word" && texts.includes(tokens[i].text);
  const matching = new Array<number>(tokens.length).fill(-1);
  const opened: number[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== "symbol") return;
    if (t.text === "(") opened.push(i);
    else if (t.text === ")" && opened.length > 0) {
      const open = opened.pop()!;
      [matching[open], matching[i]] = [i, open];
    }
  });
  /** Whether the parentheses opening at `open` hold a query. */
  const holdsQuery = (open: number): boolean => matching[open] > open && (word(open + 1, "SELECT", "WITH") || (tokens[open + 1]?.text === "(" && holdsQuery(open + 1)));
  /** Whether a query in parentheses opening at `open` stands where a set operation's first operand may: not a scalar subquery, an IN list or a derived table. */
  const startsOperand = (open: number): boolean => {
    const before = open - 1;
    if (before < 0 || tokens[before].text === "(" || word(before, ...SET_OPERATION_WORDS)) return true;
    if (word(before, "ALL", "DISTINCT")) return word(before - 1, ...SET_OPERATION_WORDS);
    if (word(before, "NAME")) return word(before - 1, "BY");
    // After a WITH clause's last query: `name AS (…)` or `name AS [NOT] MATERIALIZED (…)`.
    return tokens[before].text === ")" && matching[before] >= 0 && word(matching[before] - 1, "AS", "MATERIALIZED");
  };
  const found = new Map<number, number>();
  tokens.forEach((t, k) => {
    if (!word(k, ...SET_OPERATION_WORDS)) return;
    let right = k + 1;
    if (word(right, "ALL", "DISTINCT")) right++;
    if (word(right, "BY") && word(right + 1, "NAME")) right += 2;
    if (tokens[right]?.text === "(" && holdsQuery(right)) found.set(right, matching[right]);
    const left = matching[k - 1];
    if (tokens[k - 1]?.text === ")" && left >= 0 && holdsQuery(left) && startsOperand(left)) found.set(left, k - 1);
  });
  return [...found].sort((a, b) => a[0] - b[0]).map(([open, close]) => ({ open, close }));
}

/**
 * Text put before the character at `at`. Several at one place go in the order they were made,
 * but `enclosing` ones first: parentheses around a whole operand, before the calls its parts are
 * read as (a slice's, which the pass makes later).
 */
interface Insertion {
  at: number;
  text: string;
  enclosing?: true;
}

/** `text` with each insertion's text put before the character at its offset; and the map from the new text's offsets back to the old one's. */
function withInsertions(text: string, insertions: readonly Insertion[]): { text: string; originalOffset: (offset: number) => number; insertedAt: (offset: number) => boolean } {
  if (insertions.length === 0) return { text, originalOffset: (offset) => offset, insertedAt: () => false };
  const sorted = [...insertions].sort((a, b) => a.at - b.at || Number(b.enclosing ?? false) - Number(a.enclosing ?? false));
  let out = "";
  let from = 0;
  for (const { at, text: inserted } of sorted) {
    out += text.slice(from, at) + inserted;
    from = at;
  }
  out += text.slice(from);
  /** Where an offset of the output was in `text`, and whether it is inside inserted text (then: where that was inserted). */
  const locate = (offset: number): { at: number; inserted: boolean } => {
    let shift = 0;
    for (const { at, text: inserted } of sorted) {
      if (offset < at + shift) break;
      if (offset < at + shift + inserted.length) return { at, inserted: true };
      shift += inserted.length;
    }
    return { at: offset - shift, inserted: false };
  };
  return { text: out, originalOffset: (offset) => locate(offset).at, insertedAt: (offset) => locate(offset).inserted };
}

/**
 * Moves every node's location from the text the grammar read back to the query's own (text was
 * inserted before some, or moved). A node's end is where the next token starts, which a move may
 * have taken elsewhere: it goes back as the end of the node's own last character.
 */
function restoreLocations(ast: AstNode, sql: string, read: string, originalOffset: (offset: number) => number, insertedAt: (offset: number) => boolean): void {
  const moved = new Set<object>();
  const move = (point: AstNode, end: boolean) => {
    if (!point || typeof point.offset !== "number" || moved.has(point)) return;
    moved.add(point);
    let at = point.offset;
    if (end) while (at > 0 && /\s/.test(read[at - 1])) at--;
    point.offset = end && at > 0 ? originalOffset(at - 1) + 1 : originalOffset(at);
    Object.assign(point, positionAt(sql, point.offset));
  };
  const visit = (node: AstNode): void => {
    if (!node || typeof node !== "object" || moved.has(node)) return;
    moved.add(node);
    if (Array.isArray(node)) return node.forEach(visit);
    if (node.loc) {
      if (typeof node.loc.start?.offset === "number" && !moved.has(node.loc.start) && insertedAt(node.loc.start.offset)) node[INSERTED] = true;
      move(node.loc.start, false);
      move(node.loc.end, true);
    }
    for (const [key, value] of Object.entries(node)) if (key !== "loc") visit(value);
  };
  visit(ast);
}

/** Whether `node` is the derived table a parenthesized operand reached the grammar as; its number if so. */
function operandNumber(node: AstNode): number | undefined {
  const from = node?.type === "select" && Array.isArray(node.from) && node.from.length === 1 ? node.from[0] : undefined;
  const alias = typeof from?.as === "string" ? from.as : undefined;
  return alias?.startsWith(OPERAND_ALIAS) ? Number(alias.slice(OPERAND_ALIAS.length)) : undefined;
}

function annotate(ast: AstNode, tokens: readonly Token[], { operands, setOps, distinctAggregates, zonedTimestamps, groupedArguments, renamed, naturalJoins, integerDivisions, ignoreNulls, writtenFrames, frameExclusions, partitionCounts, baseWindows, windowFilters, argumentOrders, samples, asofJoins, filteringJoins }: Rewritten): void {
  const claimedFrames = new Set<number>();
  /** Marks `target` with the RANGE or GROUPS frame, the EXCLUDE clause and the partition keys written in the parentheses that open at tokens[open]. */
  const markWindowSpecification = (target: AstNode, open: number) => {
    for (let k = open + 1, depth = 1; k < tokens.length && depth > 0; k++) {
      if (tokens[k].text === "(") depth++;
      else if (tokens[k].text === ")") depth--;
      else if (depth === 1 && writtenFrames.has(tokens[k].offset)) {
        target[WRITTEN_FRAME] = writtenFrames.get(tokens[k].offset);
        claimedFrames.add(tokens[k].offset);
      } else if (depth === 1 && frameExclusions.has(tokens[k].offset)) {
        target[FRAME_EXCLUSION] = frameExclusions.get(tokens[k].offset);
        claimedFrames.add(tokens[k].offset);
      } else if (depth === 1 && partitionCounts.has(tokens[k].offset)) target[PARTITION_KEYS] = partitionCounts.get(tokens[k].offset);
      else if (depth === 1 && baseWindows.has(tokens[k].offset)) target[BASE_WINDOW] = baseWindows.get(tokens[k].offset);
    }
  };
  let cursor = 0;
  let setOpIndex = 0;
  const tokenIndexAt = (offset: number) => partitionPoint(tokens.length, (i) => tokens[i].offset < offset);
  // A word the pre-pass renamed matches the name the grammar read (a TRY_CAST's node is a CAST).
  const matches = (t: Token | undefined, name: string) =>
    t !== undefined && ((t.kind === "word" && (t.text === name.toUpperCase() || renamed.get(t.offset) === name.toUpperCase())) || (t.kind === "quoted" && t.text === name));
  const find = (parts: string[], from: number): number => {
    for (let i = from; i < tokens.length; i++) {
      let ok = true;
      for (let p = 0; p < parts.length && ok; p++) {
        ok = matches(tokens[i + 2 * p], parts[p]) && (p === 0 || tokens[i + 2 * p - 1]?.text === ".");
      }
      if (ok) return i;
    }
    return -1;
  };
  const place = (node: AstNode, parts: string[]) => {
    if (parts.length === 0 || parts.some((p) => typeof p !== "string")) return;
    // Text the pre-pass wrote (a PIVOT's aggregates before its source) has no token of its own:
    // another token of the same word, found by searching, would lend it its marks.
    if (node[INSERTED]) return;
    let at = find(parts, cursor);
    if (at >= 0) cursor = at + 1;
    // Out of order (a clause the pre-pass moved): anywhere.
    else at = find(parts, 0);
    if (at >= 0) {
      node[POSITION] = tokenPosition(tokens[at]);
      if (distinctAggregates.has(tokens[at].offset)) node[DISTINCT] = true;
      if (zonedTimestamps.has(tokens[at].offset)) node[ZONED] = true;
      if (renamed.has(tokens[at].offset)) node[WRITTEN_NAME] = tokens[at].text.toLowerCase();
      if (groupedArguments.has(tokens[at].offset)) node[GROUPED_ARGUMENTS] = true;
      if (naturalJoins.has(tokens[at].offset) && node.join) node[NATURAL] = true;
      // A joined table's entry, or a joined subquery's SELECT (isAsofJoin and filteringJoinOf look there too).
      if (asofJoins.has(tokens[at].offset) && (node.join || node.type === "select")) node[ASOF] = true;
      if (filteringJoins.has(tokens[at].offset) && (node.join || node.type === "select")) node[FILTERING_JOIN] = filteringJoins.get(tokens[at].offset);
      if (ignoreNulls.has(tokens[at].offset)) node[IGNORE_NULLS] = true;
      if (windowFilters.has(tokens[at].offset)) node[WINDOW_FILTER] = windowFilters.get(tokens[at].offset);
      if (argumentOrders.has(tokens[at].offset)) node[ARGUMENT_ORDER] = argumentOrders.get(tokens[at].offset);
      if (samples.has(tokens[at].offset) && (typeof node.table === "string" || node.type === "select")) node[SAMPLE] = samples.get(tokens[at].offset);
    }
  };
  /**
   * The `*`, `/` and `%` outside parentheses and CASE … END in [start, end), in order (`//` as its first slash):
   * the operators of a chain of them, which the grammar nests to the left and spans alike.
   */
  const multiplicativeOperators = (start: number, end: number): Token[] => {
    let depth = 0;
    const found: Token[] = [];
    for (let i = tokenIndexAt(start); i < tokens.length && tokens[i].offset < end; i++) {
      const t = tokens[i];
      // CASE … END holds its operators as parentheses do.
      if (t.kind === "word" && (t.text === "CASE" || t.text === "END")) depth += t.text === "CASE" ? 1 : -1;
      if (t.kind !== "symbol") continue;
      if (OPENING.has(t.text)) depth++;
      else if (CLOSING.has(t.text)) depth--;
      else if (depth === 0 && (t.text === "*" || t.text === "/" || t.text === "%")) {
        const before = found[found.length - 1];
        if (t.text === "/" && before?.text === "/" && before.end === t.offset) continue; // the second slash of `//`
        found.push(t);
      }
    }
    return found;
  };
  const MULTIPLICATIVE = new Set(["*", "/", "%"]);
  /** Marks the `/` nodes of a chain `a op b op c …` that were written `//`, pairing the chain's nodes (top down) with its operators (last first). */
  const markIntegerDivisions = (top: AstNode): void => {
    const spine: AstNode[] = [];
    for (let n = top; n?.type === "binary_expr" && MULTIPLICATIVE.has(n.operator) && (n === top || !n.parentheses); n = n.left) {
      spine.push(n);
      n[CHAIN_SEEN] = true;
    }
    const operators = multiplicativeOperators(top.loc.start.offset, top.loc.end.offset);
    const written = operators.filter((t) => integerDivisions.has(t.offset));
    if (written.length === 0) return;
    const paired = spine.length === operators.length && spine.every((n, k) => n.operator === operators[operators.length - 1 - k].text);
    if (!paired) throw new UnsupportedError("// here (trustql could not tell which division it is)", tokenPosition(written[0]));
    spine.forEach((n, k) => {
      if (integerDivisions.has(operators[operators.length - 1 - k].offset)) n[INTEGER_DIVISION] = true;
    });
  };
  /** Whether the pre-pass read a GLOB as LIKE (only then is a LIKE node's operator looked at). */
  const anyGlob = [...renamed.values()].includes("LIKE");
  const visit = (node: AstNode): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    // A query's WITH comes before its own SELECT in the text: its CTEs are placed first.
    if (Array.isArray(node.with)) visit(node.with);
    if (node.loc?.start) cursor = Math.max(cursor, tokenIndexAt(node.loc.start.offset));
    // A parenthesized operand's derived table: its SELECT * was never written (the operand's
    // parenthesis stands for it), what it reads was.
    const operand = operandNumber(node);
    if (operand !== undefined) node[POSITION] = tokenPosition(tokens[operands[operand].open]);
    const keyword = KEYWORD_NODES[node.type as string];
    if (operand !== undefined) {
      // placed above
    } else if (keyword && !(node.type === "cast" && node.symbol === "::")) {
      place(node, [keyword]);
    } else if ((node.type === "single_quote_string" || node.type === "number") && node[POSITION] === undefined) {
      const text = String(node.value);
      for (let i = cursor; i < tokens.length; i++) {
        const t = tokens[i];
        if ((node.type === "number" ? t.kind === "number" : t.kind === "string") && t.text === text) {
          node[POSITION] = tokenPosition(t);
          cursor = i + 1;
          break;
        }
      }
    } else if (node.type === "column_ref") {
      const column = typeof node.column === "string" ? node.column : node.column?.expr?.value;
      const table = typeof node.table === "string" ? node.table : node.table?.value;
      place(node, table ? [table, column === "*" ? "" : column].filter(Boolean) : [column]);
    } else if (typeof node.table === "string" && node.type === undefined) {
      place(node, [node.table]);
    } else if (node.type === "function" || node.type === "aggr_func" || node.type === "window_func") {
      const name = typeof node.name === "string" ? node.name : node.name?.name?.map((n: AstNode) => n.value).join(".");
      if (typeof name === "string") place(node, [name.split(".")[0]]);
      // The RANGE or GROUPS frame, EXCLUDE and the partition keys of this call's OVER (…): found inside the parentheses after OVER.
      if (node.over && (writtenFrames.size > 0 || frameExclusions.size > 0 || partitionCounts.size > 0 || baseWindows.size > 0) && node[POSITION]) {
        let i = cursor;
        while (i < tokens.length && !(tokens[i].kind === "word" && tokens[i].text === "OVER")) i++;
        if (tokens[i + 1]?.text === "(") markWindowSpecification(node, i + 1);
      }
    }
    if (integerDivisions.size > 0 && node.type === "binary_expr" && MULTIPLICATIVE.has(node.operator) && node.loc && !node[CHAIN_SEEN]) markIntegerDivisions(node);
    // x GLOB p reached the grammar as LIKE: the operator's own token says which was written.
    if (anyGlob && node.type === "binary_expr" && node.operator === "LIKE" && node.loc) {
      // Its operator: the first LIKE (or GLOB) of its span outside parentheses.
      for (let k = tokenIndexAt(node.loc.start.offset), depth = 0; k < tokens.length && tokens[k].offset < node.loc.end.offset; k++) {
        const x = tokens[k];
        if (x.text === "(") depth++;
        else if (x.text === ")") depth--;
        else if (depth === 0 && x.kind === "word" && (x.text === "LIKE" || x.text === "GLOB")) {
          if (x.text === "GLOB") node[WRITTEN_NAME] = "glob";
          break;
        }
      }
    }
    // A named window (WINDOW w AS (…)): its RANGE frame and partition keys, found inside the
    // parentheses after `w AS`, mark its specification, which the calls OVER w read.
    if (typeof node.name === "string" && node.as_window_specification && typeof node.as_window_specification === "object" && (writtenFrames.size > 0 || frameExclusions.size > 0 || partitionCounts.size > 0 || baseWindows.size > 0)) {
      const name = node.name.toUpperCase();
      const at = tokens.findIndex((x, k) => (x.kind === "word" ? x.text === name : x.text === node.name) && tokens[k + 1]?.text === "AS" && tokens[k + 2]?.text === "(" && tokens.slice(0, k).some((w) => w.kind === "word" && w.text === "WINDOW"));
      if (at >= 0) markWindowSpecification(node.as_window_specification, at + 2);
    }
    for (const key of Object.keys(node)) {
      if (key === "_next" || key === "set_op" || key === "loc" || key === "with" || (operand !== undefined && key === "columns")) continue;
      visit(node[key]);
    }
    if (node._next) {
      const op = setOps[setOpIndex++];
      invariant(op, "set operation without its keyword");
      const kind = String(node.set_op ?? "").split(" ")[0].toUpperCase();
      invariant(kind === op.token.text, `set operation ${kind} matched keyword ${op.token.text}`);
      node[SET_OP_ALL] = op.all;
      node[SET_OP_BY_NAME] = op.byName;
      node[POSITION] = tokenPosition(op.token);
      cursor = Math.max(cursor, tokenIndexAt(op.token.offset));
      visit(node._next);
    }
  };
  visit(ast);
  const unclaimed = [...writtenFrames.keys(), ...frameExclusions.keys()].find((offset) => !claimedFrames.has(offset));
  if (unclaimed !== undefined) {
    const word = tokens[tokenIndexAt(unclaimed)];
    throw new UnsupportedError(`${word.text === "EXCLUDE" ? "a frame's EXCLUDE" : `a ${word.text} frame`} outside a window's specification`, tokenPosition(word));
  }
}

/** What `* EXCLUDE (names)` or `* REPLACE (expr AS name, …)` does to a select-list star. */
export interface StarModifier {
  /** The names the star leaves out. */
  readonly exclude: readonly string[];
  /** How many of the select items after the marker replace the star's columns of their names. */
  readonly replace: number;
}

/**
 * What a select-list star does, when `column` is the marker the pre-pass wrote over `* EXCLUDE
 * (…)` or `* REPLACE (` (a quoted name no query could have meant: the pre-pass counted its own).
 */
export function starModifier(column: AstNode, parsed: Pick<ParsedQuery, "starModifiers">): StarModifier | undefined {
  const text = column?.expr?.type === "double_quote_string" ? String(column.expr.value) : undefined;
  const m = text === undefined ? null : /^\*(\d+)$/.exec(text);
  return m ? parsed.starModifiers[Number(m[1])] : undefined;
}

/** Whether a GROUP BY or ORDER BY item is the ALL the pre-pass wrote as position BY_ALL. */
export function isByAll(item: AstNode, parsed: Pick<ParsedQuery, "byAll">): boolean {
  return parsed.byAll && item?.type === "number" && String(item.value) === BY_ALL;
}

/** Whether the set operation between `node` and `node._next` is a UNION BY NAME. */
export function setOpIsByName(node: AstNode): boolean {
  return Boolean(node[SET_OP_BY_NAME]);
}

/** Whether the set operation between `node` and `node._next` carries ALL. */
export function setOpIsAll(node: AstNode): boolean {
  return Boolean(node[SET_OP_ALL]);
}

/** Whether an aggregate other than COUNT was written with DISTINCT (see the pre-pass). */
export function aggregateIsDistinct(node: AstNode): boolean {
  return Boolean(node?.[DISTINCT]) || String(node?.args?.distinct ?? "").toUpperCase() === "DISTINCT";
}

/** The name a call was written with when the pre-pass gave the grammar another (RANK for percent_rank, LAG for median … OVER). */
export function writtenName(node: AstNode): string | undefined {
  return node?.[WRITTEN_NAME];
}

/** Whether a call's arguments reached the grammar as one parenthesized list, its only argument (see the pre-pass). */
export function argumentsGrouped(node: AstNode): boolean {
  return Boolean(node?.[GROUPED_ARGUMENTS]);
}

/** Whether a FROM entry was joined with NATURAL (see the pre-pass). */
export function isNaturalJoin(entry: AstNode): boolean {
  return Boolean(entry?.[NATURAL]);
}

/** Whether a FROM entry was joined with ASOF JOIN (see the pre-pass). */
export function isAsofJoin(entry: AstNode): boolean {
  return Boolean(entry?.[ASOF] ?? (entry?.join && entry.expr?.ast?.[ASOF]));
}

/** Whether a FROM entry was joined with SEMI JOIN or ANTI JOIN (see the pre-pass), and which. */
export function filteringJoinOf(entry: AstNode): "semi" | "anti" | undefined {
  return entry?.[FILTERING_JOIN] ?? (entry?.join ? entry.expr?.ast?.[FILTERING_JOIN] : undefined);
}

/** A RANGE or GROUPS window frame's bounds as written (`2 PRECEDING`, `INTERVAL 7 DAYS PRECEDING`, `CURRENT ROW`, `UNBOUNDED FOLLOWING`). */
export interface WrittenFrame {
  readonly unit: "range" | "groups";
  readonly lower: string;
  readonly upper: string;
}

/** What a window frame's EXCLUDE clause leaves out of the frame, as written. */
export const FRAME_EXCLUSIONS = ["CURRENT ROW", "GROUP", "TIES", "NO OTHERS"] as const;
export type FrameExclusion = (typeof FRAME_EXCLUSIONS)[number];

/** How many of a window call's ORDER BY keys are its PARTITION BY keys (see the pre-pass); 0 when it has none. */
export function partitionKeyCount(node: AstNode): number {
  return node?.[PARTITION_KEYS] ?? 0;
}

/**
 * A sampling clause: `USING SAMPLE` of a FROM clause's rows, or `TABLESAMPLE` of one table's: a
 * share of them in percent, or a number of rows, and the seed that picks which.
 */
export interface Sample {
  readonly of: "from" | "table";
  readonly size: { readonly percent: number } | { readonly rows: number };
  readonly seed: number;
}

/** The sampling clause a table of FROM was written with, if any (see the pre-pass). */
export function sampleOf(node: AstNode): Sample | undefined {
  // A table's FROM entry, or a (SELECT …) subquery's SELECT.
  return node?.[SAMPLE] ?? node?.expr?.ast?.[SAMPLE];
}

const SAMPLE_METHODS = new Set(["BERNOULLI", "SYSTEM", "RESERVOIR"]);

/**
 * Reads a sampling clause's specification from tokens[at], as DuckDB writes it: `10%`, `10
 * PERCENT`, `50 ROWS`, `50` (rows), `reservoir(50 ROWS)`; then `(method[, seed])` and
 * `REPEATABLE (seed)`. Returns it and the index past it.
 */
function sampleClause(tokens: readonly Token[], at: number, of: Sample["of"]): { sample: Sample; end: number } {
  let k = at;
  const fail = (what: string): never => {
    throw new UserError(`expected ${what} in the sampling clause`, tokenPosition(tokens[Math.min(k, tokens.length - 1)]));
  };
  const word = (...texts: string[]) => tokens[k]?.kind === "word" && texts.includes(tokens[k].text);
  const symbol = (text: string) => tokens[k]?.kind === "symbol" && tokens[k].text === text;
  const integer = (what: string): number => {
    const t = tokens[k];
    if (t?.kind !== "number" || !/^\d+$/.test(t.text)) fail(what);
    k++;
    return Number(t.text);
  };
  const methodCall = word(...SAMPLE_METHODS) && tokens[k + 1]?.text === "(";
  if (methodCall) k += 2;
  const amount = tokens[k];
  if (amount?.kind !== "number" || !/^\d+(\.\d*)?$/.test(amount.text)) fail("a size");
  k++;
  let size: Sample["size"];
  if (symbol("%") || word("PERCENT")) {
    k++;
    size = { percent: Number(amount.text) };
    if (!(size.percent <= 100)) throw new UserError(`a sample of ${amount.text}%: a percentage is from 0% to 100%`, tokenPosition(amount));
  } else {
    if (word("ROWS")) k++;
    if (!/^\d+$/.test(amount.text)) fail("a whole number of rows");
    size = { rows: Number(amount.text) };
  }
  if (methodCall) {
    if (!symbol(")")) fail(")");
    k++;
  }
  let seed = 0;
  if (symbol("(")) {
    k++;
    if (!word(...SAMPLE_METHODS)) fail("BERNOULLI, SYSTEM or RESERVOIR");
    k++;
    if (symbol(",")) {
      k++;
      seed = integer("a seed");
    }
    if (!symbol(")")) fail(")");
    k++;
  }
  if (word("REPEATABLE")) {
    k++;
    if (!symbol("(")) fail("(");
    k++;
    seed = integer("a seed");
    if (!symbol(")")) fail(")");
    k++;
  }
  return { sample: { of, size, seed }, end: k };
}

/** How a window call's FILTER (WHERE c) reached the grammar: c as its last argument, and whether the call was count(*). */
export interface WindowFilter {
  readonly star: boolean;
}

/** A window call's FILTER, if it was written with one (see the pre-pass). */
export function windowFilterOf(node: AstNode): WindowFilter | undefined {
  return node?.[WINDOW_FILTER];
}

/** A sort key's direction and the place of its NULLs. */
export interface SortDirection {
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

/** An ordered call's ORDER BY before OVER (list(x ORDER BY k) OVER …): its keys' directions, the keys being its last arguments (see the pre-pass). */
export function argumentOrderOf(node: AstNode): readonly SortDirection[] | undefined {
  return node?.[ARGUMENT_ORDER];
}

/** The named window a call's OVER (w …) refines, lower-cased, if it names one (see the pre-pass). */
export function baseWindowOf(node: AstNode): string | undefined {
  return node?.[BASE_WINDOW];
}

/** The RANGE or GROUPS frame of a window call's OVER (…), if it has one (see the pre-pass). */
export function writtenFrameOf(node: AstNode): WrittenFrame | undefined {
  return node?.[WRITTEN_FRAME];
}

/** The EXCLUDE clause of the frame of a window call's OVER (…), if it has one (see the pre-pass). */
export function frameExclusionOf(node: AstNode): FrameExclusion | undefined {
  return node?.[FRAME_EXCLUSION];
}

/** Whether a call was written with IGNORE NULLS (see the pre-pass). */
export function nullsIgnored(node: AstNode): boolean {
  return Boolean(node?.[IGNORE_NULLS]);
}

/** Whether a `/` was written `//`, DuckDB's integer division (see the pre-pass). */
export function isIntegerDivision(node: AstNode): boolean {
  return Boolean(node?.[INTEGER_DIVISION]);
}

/** Whether a CAST was written TRY_CAST (see the pre-pass). */
export function castIsTry(node: AstNode): boolean {
  return node?.[WRITTEN_NAME] === "try_cast";
}

/** Whether a TIMESTAMP literal was written TIMESTAMPTZ '…' or TIMESTAMP WITH TIME ZONE '…' (see the pre-pass). */
export function timestampIsZoned(node: AstNode): boolean {
  return Boolean(node?.[ZONED]);
}

/** Where a node starts in the SQL text, if the parser or the annotation pass knows. */
export function nodePosition(node: AstNode): SourcePosition | undefined {
  if (!node || typeof node !== "object") return undefined;
  if (node[POSITION]) return node[POSITION];
  if (node.loc?.start) return { line: node.loc.start.line, column: node.loc.start.column };
  return undefined;
}

function secondStatementPosition(tokens: readonly Token[]): SourcePosition | undefined {
  const semicolon = tokens.findIndex((t) => t.kind === "symbol" && t.text === ";");
  const after = semicolon >= 0 ? tokens[semicolon + 1] : undefined;
  return after ? tokenPosition(after) : undefined;
}

function syntaxError(error: unknown, sql: string, originalOffset: (offset: number) => number): UserError {
  const e = error as { location?: { start?: { offset: number } }; found?: string | null; message?: string };
  const offset = e.location?.start?.offset === undefined ? undefined : originalOffset(e.location.start.offset);
  if (offset === undefined) return new UserError(`syntax error: ${String(e.message ?? error).split("\n")[0]}`);
  const position = positionAt(sql, offset);
  // The parser names one character; show the word it starts, as PostgreSQL does.
  const rest = sql.slice(offset);
  const word = /^[A-Za-z_][A-Za-z0-9_]*|^\S/.exec(rest)?.[0];
  return new UserError(word ? `syntax error at or near "${word}"` : "syntax error at end of input", position);
}
