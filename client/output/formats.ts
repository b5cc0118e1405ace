// Result formats for people (table) and for programs (csv, jsonl, arrow IPC, parquet).
import * as arrow from "apache-arrow";
import { InvariantError, UserError } from "../../common/errors.ts";
import { isNumeric, jsonOfNested, jsonOfText, tableToText, textSlices, type TextColumn } from "./values.ts";

export const FORMATS = ["table", "csv", "jsonl", "arrow", "parquet"] as const;
/** The formats whose bytes are binary: never written to a terminal. */
export const BINARY_FORMATS: ReadonlySet<Format> = new Set(["arrow", "parquet"]);
export type Format = (typeof FORMATS)[number];

export function parseFormat(text: string | undefined, isTerminal: boolean): Format {
  if (text === undefined) return isTerminal ? "table" : "csv";
  if ((FORMATS as readonly string[]).includes(text)) return text as Format;
  throw new UserError(`unknown --format ${text}: expected one of ${FORMATS.join(", ")}`);
}

export interface RenderOptions {
  /** Table format only: rows shown before the middle is elided (0 = all). */
  maxRows?: number;
  /** CSV and JSONL: rows written per piece (see renderPieces; default TEXT_SLICE_ROWS). */
  rowsPerPiece?: number;
}

/** The bytes a result becomes in the given format. */
export function render(table: arrow.Table, names: readonly string[], format: Format, options: RenderOptions = {}): string | Uint8Array {
  const pieces = [...renderPieces(table, names, format, options)];
  return pieces.length === 1 ? pieces[0] : (pieces as string[]).join("");
}

/** render()'s bytes in pieces to write one after another: row formats a slice of rows at a time. */
export function* renderPieces(table: arrow.Table, names: readonly string[], format: Format, options: RenderOptions = {}): Generator<string | Uint8Array> {
  switch (format) {
    case "table":
      yield renderTable(tableToText(table, names), table.numRows, options.maxRows ?? 0);
      return;
    case "csv":
      yield csvLine(table.schema.fields.map((f, i) => csvField(names[i] ?? f.name)));
      for (const slice of textSlices(table, names, options.rowsPerPiece)) yield renderCsvRows(slice.columns, slice.rows);
      return;
    case "jsonl":
      for (const slice of textSlices(table, names, options.rowsPerPiece)) yield renderJsonl(slice.columns, slice.rows);
      return;
    case "arrow":
      yield arrow.tableToIPC(renameColumns(table, names), "stream");
      return;
    case "parquet":
      throw new InvariantError("parquet is written by DuckDB (writeParquetResult), not rendered here");
  }
}

/**
 * The `--json` object of a query result, in pieces to write one after another: column names and
 * types, rows as arrays of exact text (NULL: null), the row count and the time taken. The
 * pieces put together are JSON.stringify's text of that object, and a newline.
 */
export function* resultJsonPieces(table: arrow.Table, names: readonly string[], elapsedMs: number, rowsPerPiece?: number): Generator<string> {
  const columns = table.schema.fields.map((f, i) => ({ name: names[i] ?? f.name, type: String(f.type) }));
  yield `{"columns":${JSON.stringify(columns)},"rows":[`;
  let first = true;
  for (const slice of textSlices(table, names, rowsPerPiece)) {
    const rows = Array.from({ length: slice.rows }, (_, r) => JSON.stringify(slice.columns.map((c) => c.values[r])));
    yield (first ? "" : ",") + rows.join(",");
    first = false;
  }
  yield `],"rowCount":${table.numRows},"elapsedMs":${Math.round(elapsedMs)}}\n`;
}

function renameColumns(table: arrow.Table, names: readonly string[]): arrow.Table {
  const fields = table.schema.fields.map((f, i) => f.clone({ name: names[i] ?? f.name }));
  const schema = new arrow.Schema(fields, table.schema.metadata);
  return new arrow.Table(
    schema,
    table.batches.map((b) => new arrow.RecordBatch(schema, b.data)),
  );
}

// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. NULL is an
// empty field; an empty string is written quoted ("") so the two stay distinguishable.
function csvField(value: string | null): string {
  if (value === null) return "";
  if (value === "" || /[",\r\n]/.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

function csvLine(fields: readonly string[]): string {
  return fields.join(",") + "\r\n";
}

/** CSV lines of the rows, without the header. */
function renderCsvRows(columns: TextColumn[], rowCount: number): string {
  let out = "";
  for (let row = 0; row < rowCount; row++) out += csvLine(columns.map((c) => csvField(c.values[row])));
  return out;
}

export function renderJsonl(columns: TextColumn[], rowCount: number): string {
  // A list or struct column's values from Arrow's (arrays and objects), the others from their text.
  const values = columns.map((column) => {
    if (column.nested) return jsonOfNested(column.nested);
    return (row: number) => {
      const text = column.values[row];
      return text === null ? null : jsonOfText(column.type, text);
    };
  });
  let out = "";
  for (let row = 0; row < rowCount; row++) {
    const object: Record<string, unknown> = {};
    columns.forEach((column, c) => (object[column.name] = values[c](row)));
    out += JSON.stringify(object) + "\n";
  }
  return out;
}

const NULL_TEXT = "NULL";
const MAX_CELL_WIDTH = 60;

function cell(text: string): string {
  const oneLine = text.replace(/\r?\n/g, "\\n");
  return oneLine.length > MAX_CELL_WIDTH ? oneLine.slice(0, MAX_CELL_WIDTH - 1) + "…" : oneLine;
}

export function renderTable(columns: TextColumn[], rowCount: number, maxRows: number): string {
  const elide = maxRows > 0 && rowCount > maxRows;
  const head = elide ? Math.ceil(maxRows / 2) : rowCount;
  const tail = elide ? Math.floor(maxRows / 2) : 0;
  const shownRows = [...range(0, head), ...range(rowCount - tail, rowCount)];
  const texts = columns.map((c) => shownRows.map((r) => cell(c.values[r] ?? NULL_TEXT)));
  const widths = columns.map((c, i) =>
    Math.max(cell(c.name).length, ...texts[i].map((t) => t.length), 1),
  );
  const line = (l: string, m: string, r: string) =>
    l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const row = (cells: string[], numeric: boolean[]) =>
    "│" +
    cells
      .map((t, i) => ` ${numeric[i] ? t.padStart(widths[i]) : t.padEnd(widths[i])} `)
      .join("│") +
    "│";
  const numeric = columns.map((c) => isNumeric(c.type));
  const out = [
    line("┌", "┬", "┐"),
    row(columns.map((c) => cell(c.name)), columns.map(() => false)),
    line("├", "┼", "┤"),
  ];
  shownRows.forEach((_, k) => {
    if (elide && k === head) out.push(row(widths.map(() => "…"), columns.map(() => false)));
    out.push(row(texts.map((t) => t[k]), numeric));
  });
  out.push(line("└", "┴", "┘"));
  const shown = elide ? ` (${maxRows} shown)` : "";
  out.push(`${rowCount} ${rowCount === 1 ? "row" : "rows"}${shown}`);
  return out.join("\n") + "\n";
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
