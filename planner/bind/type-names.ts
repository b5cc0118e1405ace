// DuckDB's type names as a query writes them after CAST … AS or ::, for the types the grammar
// cannot read (the pre-pass hands them over as text): `STRUCT(a INTEGER, "b c" VARCHAR[])`,
// `MAP(VARCHAR, DOUBLE)`, and those within them. Names of other types become what the grammar
// would have made of them, read by the binder's own cast types.
import { UserError, type SourcePosition } from "../../common/errors.ts";
import { listOf, mapOf, structOf, type SqlType, type StructField } from "../types.ts";
import type { AstNode } from "../parse/index.ts";

/** Types nested deeper than this are refused: a plan is a message of bounded size. */
const MAX_TYPE_DEPTH = 32;

/** A type name the grammar reads (its AST's dataType and arguments), made a type by the binder. */
export type GrammarType = (target: AstNode, position: SourcePosition | undefined) => SqlType;

/** DuckDB's names the grammar reads otherwise: INT4 is INT of length 4 to it, HUGEINT INT of 128 bits. */
const GRAMMAR_NAMES: Readonly<Record<string, AstNode>> = {
  INT1: { dataType: "INT", length: 1 }, INT2: { dataType: "INT", length: 2 }, INT4: { dataType: "INT", length: 4 }, INT8: { dataType: "INT", length: 8 },
  INT16: { dataType: "INT", length: 16 }, INT32: { dataType: "INT", length: 32 }, INT64: { dataType: "INT", length: 64 }, INT128: { dataType: "INT", length: 128 },
  HUGEINT: { dataType: "INT", length: 128 }, LONG: { dataType: "BIGINT" }, SHORT: { dataType: "SMALLINT" },
  FLOAT4: { dataType: "FLOAT", length: 4 }, FLOAT8: { dataType: "FLOAT", length: 8 },
  STRING: { dataType: "TEXT" }, BLOB: { dataType: "BYTEA" }, BINARY: { dataType: "BYTEA" }, VARBINARY: { dataType: "BYTEA" }, DEC: { dataType: "DECIMAL" },
};

/** Parses a type name, DuckDB's, with `grammarType` for the names of one word (and DECIMAL(p, s)). */
export function parseTypeName(text: string, grammarType: GrammarType, position: SourcePosition | undefined): SqlType {
  const tokens = text.match(/"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*|\d+|\[\]|[(),]|\S/g) ?? [];
  let at = 0;
  const fail = (why: string): never => {
    throw new UserError(`the type ${text}: ${why}`, position);
  };
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) fail(expected ? `${expected} expected` : "it ends too soon");
    return token;
  };
  const name = (token: string) => (token.startsWith('"') ? token.slice(1, -1).replaceAll('""', '"') : token);

  const parse = (depth: number): SqlType => {
    if (depth > MAX_TYPE_DEPTH) fail(`nested more than ${MAX_TYPE_DEPTH} deep`);
    const word = take().toUpperCase();
    let t: SqlType;
    if (word === "STRUCT" || word === "ROW") {
      take("(");
      const fields: StructField[] = [];
      do {
        const field = take();
        if (!/^("|[A-Za-z_])/.test(field)) fail(`a field's name expected, not ${field}`);
        if (peek() === "," || peek() === ")") fail(`a STRUCT's fields are named (${word === "ROW" ? "ROW" : "STRUCT"}(name type, …))`);
        const fieldName = name(field);
        if (fields.some((f) => f.name.toLowerCase() === fieldName.toLowerCase())) fail(`duplicate field name ${fieldName}`);
        fields.push({ name: fieldName, type: parse(depth + 1) });
      } while (peek() === "," && take());
      take(")");
      t = structOf(fields);
    } else if (word === "MAP") {
      take("(");
      const key = parse(depth + 1);
      take(",");
      const value = parse(depth + 1);
      take(")");
      t = mapOf(key, value);
    } else {
      // One word, or SQL's of several (DOUBLE PRECISION, TIMESTAMP WITH TIME ZONE), and a DECIMAL's width.
      let written = word;
      if (word === "DOUBLE" && peek()?.toUpperCase() === "PRECISION") written += ` ${take()}`.toUpperCase();
      if (word === "TIMESTAMP" && peek()?.toUpperCase() === "WITH") written += ` ${take()} ${take("TIME")} ${take("ZONE")}`.toUpperCase();
      const target: AstNode = { ...(GRAMMAR_NAMES[written] ?? { dataType: written }) };
      if (peek() === "(") {
        take("(");
        target.length = Number(take());
        if (peek() === ",") target.scale = Number(take(",") && take());
        take(")");
        target.parentheses = true;
        if (!Number.isInteger(target.length) || (target.scale !== undefined && !Number.isInteger(target.scale))) fail("a width is a whole number");
      }
      t = grammarType(target, position);
    }
    while (peek() === "[]") {
      take();
      t = listOf(t);
    }
    return t;
  };

  const parsed = parse(0);
  if (at < tokens.length) fail(`${tokens[at]} after its end`);
  return parsed;
}
