// The sqllogictest file format, as DuckDB and SQLite use it: records separated by blank lines.
//   statement ok | statement error [message]   setup SQL (or a query expected to fail)
//   query <types> [nosort|rowsort|valuesort] [label]   SQL, then ---- and the expected rows
//   hash-threshold N, skipif <engine>, onlyif <engine>, halt, # comments
import { UserError } from "../../common/errors.ts";

export type SortMode = "nosort" | "rowsort" | "valuesort";

interface At {
  /** 1-based line of the record's first line. */
  line: number;
  /** 0-based line after the record's last line (where a rewritten record ends). */
  end: number;
}

export interface StatementRecord extends At {
  kind: "statement";
  expectError: boolean;
  /** Text the error message must contain (after `statement error` or under `----`). */
  errorText: string | undefined;
  sql: string;
}

export interface QueryRecord extends At {
  kind: "query";
  types: string;
  sort: SortMode;
  label: string | undefined;
  sql: string;
  /** The lines under `----`, or undefined when the query has no result block (differential only). */
  expected: string[] | undefined;
  /** Set by `query error <message>`: the query must fail with this text in its message. */
  errorText: string | undefined;
}

export interface ControlRecord extends At {
  kind: "hash-threshold";
  threshold: number;
}

export type SltRecord = (StatementRecord | QueryRecord | ControlRecord) & { skipped: boolean };

/** The engine name `skipif`/`onlyif` refer to for us. */
export const ENGINE = "trustql";

export function parseSlt(text: string, file: string): SltRecord[] {
  const lines = text.split(/\r?\n/);
  const records: SltRecord[] = [];
  let i = 0;
  const fail = (message: string, line: number): never => {
    throw new UserError(`${file}:${line}: ${message}`);
  };
  while (i < lines.length) {
    let skipped = false;
    // Conditions and comments that precede a record.
    for (; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === "" || line.startsWith("#")) continue;
      const condition = /^(skipif|onlyif)\s+(\S+)/.exec(line);
      if (!condition) break;
      if ((condition[1] === "skipif") === (condition[2] === ENGINE)) skipped = true;
    }
    if (i >= lines.length) break;
    const start = i;
    const header = lines[i].trim().split(/\s+/);
    i++;
    const body: string[] = [];
    while (i < lines.length && lines[i].trim() !== "" && lines[i].trim() !== "----") body.push(lines[i++]);
    let result: string[] | undefined;
    if (i < lines.length && lines[i].trim() === "----") {
      i++;
      result = [];
      while (i < lines.length && lines[i].trim() !== "") result.push(lines[i++].replace(/\s+$/, ""));
    }
    const sql = body.join("\n").trim();
    switch (header[0]) {
      case "halt":
        return records;
      case "hash-threshold": {
        const threshold = Number(header[1]);
        if (!Number.isInteger(threshold) || threshold < 0) fail(`hash-threshold needs a whole number, got ${header[1]}`, start + 1);
        records.push({ kind: "hash-threshold", threshold, line: start + 1, end: i, skipped });
        break;
      }
      case "statement": {
        if (header[1] !== "ok" && header[1] !== "error") fail(`expected 'statement ok' or 'statement error', got '${lines[start].trim()}'`, start + 1);
        if (!sql) fail("statement without SQL", start + 1);
        const inline = header.slice(2).join(" ");
        const errorText = inline || (result && result.length > 0 ? result.join("\n") : undefined);
        records.push({ kind: "statement", expectError: header[1] === "error", errorText, sql, line: start + 1, end: i, skipped });
        break;
      }
      case "query": {
        if (!sql) fail("query without SQL", start + 1);
        if (header[1] === "error") {
          records.push({ kind: "query", types: "", sort: "nosort", label: undefined, sql, expected: undefined, errorText: header.slice(2).join(" ") || "", line: start + 1, end: i, skipped });
          break;
        }
        const types = header[1] ?? "";
        if (!/^[ITRDB]+$/.test(types)) fail(`query types must be letters I, T, R, D or B, got '${types}'`, start + 1);
        const sort = (header[2] ?? "nosort") as SortMode;
        if (!["nosort", "rowsort", "valuesort"].includes(sort)) fail(`unknown sort mode '${header[2]}'`, start + 1);
        records.push({ kind: "query", types, sort, label: header[3], sql, expected: result, errorText: undefined, line: start + 1, end: i, skipped });
        break;
      }
      default:
        fail(`unknown record '${lines[start].trim()}'`, start + 1);
    }
  }
  return records;
}
