// A task on the wire: one frame with a JSON header (the Substrait plan and column types as
// protobuf in base64, the chunks each scan reads, the exchanges its inputs come from and where
// its output goes) followed by the rows of each input given with it as an Arrow IPC stream. Its
// answer: a JSON header (rows, their digest, rows read, where they were sent) followed by the
// rows returned, if any. The rows a worker held for a checked task's inputs travel as a list of
// IPC streams. Decoding checks every count and length against the frame, so a peer's malformed
// task or answer fails with a named error.
import * as arrow from "apache-arrow";
import { Plan, Type } from "../../proto/index.ts";
import { checkInboxStatus, checkRoute, isKeyRangeList, isRowDigest, isRunId, textIsUtf8, type InboxStatus, type OutputRoute, type SentSummary } from "../../shuffle/index.ts";
import type { TableColumn } from "../substrait/index.ts";
import { isRangeKeyType } from "../../planner/catalog.ts";
import type { KeyRanges } from "../key-ranges.ts";
import { MAX_KEY_RANGES } from "./ranges.ts";
import type { NarrowedChunk, Task, TaskResult } from "./runner.ts";

const MAX_HEADER_BYTES = 4 << 20;
/** A task's output goes to at most this many stages. */
const MAX_OUTPUT_ROUTES = 64;

interface WireColumn {
  name: string;
  type: string;
}

interface TaskHeader {
  plan: string;
  scans: { names: string[]; columns: WireColumn[]; chunks: string[]; whole?: boolean; within?: KeyRanges; narrowed?: NarrowedChunk[] }[];
  /** An input is given (its IPC bytes follow) or taken from an exchange on the worker. */
  inputs: { names: string[]; columns: WireColumn[]; bytes: number; exchange?: { run: string; consumer: number; input: number } }[];
  outputs?: OutputRoute[];
  returnWithin?: number;
  run?: string;
}

interface ResultHeader {
  rows: number;
  digest: string;
  read: number[];
  sent?: SentSummary[];
  inbox?: InboxStatus;
  /** IPC bytes of the returned output (0: none). */
  output: number;
}

/** Inputs of one task a worker gives back for a check. */
export const MAX_HELD_INPUTS = 64;

export class TaskCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskCodecError";
  }
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

function wireColumns(columns: readonly TableColumn[]): WireColumn[] {
  return columns.map((c) => ({ name: c.name, type: toBase64(Type.encode(c.type).finish()) }));
}

function tableColumns(columns: unknown): TableColumn[] {
  if (!Array.isArray(columns)) throw new TaskCodecError("a task's columns are not a list");
  return columns.map((c: WireColumn) => {
    if (typeof c?.name !== "string" || typeof c?.type !== "string") throw new TaskCodecError("a task column without a name or type");
    return { name: c.name, type: Type.decode(fromBase64(c.type)) };
  });
}

/**
 * One IPC stream of an input's batches, which came from several tasks (decoded from streams, or
 * handed over in this process): one schema (the input's names if given, every field nullable) for all.
 */
function ipcOf(batches: readonly arrow.RecordBatch[], columns?: readonly TableColumn[]): Uint8Array {
  const rows = batches.filter((b) => b.numRows > 0);
  if (rows.length === 0) return new Uint8Array();
  const schema = new arrow.Schema(rows[0].schema.fields.map((f, i) => new arrow.Field(columns?.[i]?.name ?? f.name, f.type, true)));
  return arrow.tableToIPC(new arrow.Table(schema, rows.map((b) => new arrow.RecordBatch(schema, b.data))), "stream");
}

export function encodeTask(task: Task): Uint8Array {
  const inputs = task.inputs.map((input) => ipcOf(input.batches ?? [], input.columns));
  const header: TaskHeader = {
    plan: toBase64(Plan.encode(task.plan).finish()),
    scans: task.scans.map((s) => ({ names: s.names, columns: wireColumns(s.columns), chunks: s.chunks, ...(s.whole ? { whole: true } : {}), ...(s.within ? { within: s.within } : {}), ...(s.narrowed ? { narrowed: s.narrowed } : {}) })),
    inputs: task.inputs.map((input, i) => ({ names: input.names, columns: wireColumns(input.columns), bytes: inputs[i].length, ...(input.exchange ? { exchange: input.exchange } : {}) })),
    ...(task.outputs ? { outputs: task.outputs } : {}),
    ...(task.returnWithin !== undefined ? { returnWithin: task.returnWithin } : {}),
    ...(task.run !== undefined ? { run: task.run } : {}),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + headerBytes.length + inputs.reduce((n, b) => n + b.length, 0));
  new DataView(out.buffer).setUint32(0, headerBytes.length);
  out.set(headerBytes, 4);
  let at = 4 + headerBytes.length;
  for (const bytes of inputs) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

export function decodeTask(frame: Uint8Array): Task {
  const { header, at: start } = readHeader<TaskHeader>(frame, "a task");
  if (typeof header?.plan !== "string" || !Array.isArray(header.scans) || !Array.isArray(header.inputs)) throw new TaskCodecError("a task header without plan, scans and inputs");
  let at = start;
  const inputs = header.inputs.map((input) => {
    if (!Number.isInteger(input?.bytes) || input.bytes < 0 || at + input.bytes > frame.length) throw new TaskCodecError("a task input longer than its frame");
    const bytes = frame.subarray(at, at + input.bytes);
    at += input.bytes;
    const names = strings(input.names);
    const columns = tableColumns(input.columns);
    if (input.exchange === undefined) return { names, columns, batches: bytes.length === 0 ? [] : ipcTable(bytes, "a task's input").batches };
    const { run, consumer, input: from } = input.exchange;
    if (!isRunId(run) || !Number.isInteger(consumer) || !Number.isInteger(from) || bytes.length > 0) throw new TaskCodecError("a task input from a malformed exchange");
    return { names, columns, exchange: { run, consumer, input: from } };
  });
  if (at !== frame.length) throw new TaskCodecError(`${frame.length - at} bytes after a task's inputs`);
  const scans = header.scans.map((s) => {
    const chunks = strings(s?.chunks);
    if (chunks.some((h) => !/^[0-9a-f]{64}$/.test(h))) throw new TaskCodecError("a task scan names a chunk by something other than its hash");
    const columns = tableColumns(s.columns);
    const within = s.within === undefined ? undefined : checkKeyRanges(s.within, columns);
    const narrowed = s.narrowed === undefined ? undefined : checkNarrowed(s.narrowed, chunks, within);
    return { names: strings(s.names), columns, chunks, ...(s.whole === true ? { whole: true } : {}), ...(within ? { within } : {}), ...(narrowed ? { narrowed } : {}) };
  });
  if (header.outputs !== undefined && !(Array.isArray(header.outputs) && header.outputs.length <= MAX_OUTPUT_ROUTES)) throw new TaskCodecError(`a task's outputs are not a list of at most ${MAX_OUTPUT_ROUTES} routes`);
  let outputs: OutputRoute[] | undefined;
  try {
    outputs = header.outputs?.map(checkRoute);
  } catch (error) {
    throw new TaskCodecError((error as Error).message);
  }
  if (header.run !== undefined && !isRunId(header.run)) throw new TaskCodecError("a task of a malformed run id");
  if (header.returnWithin !== undefined && !(Number.isInteger(header.returnWithin) && header.returnWithin >= 0)) throw new TaskCodecError("a task's returnWithin is not a byte count");
  return {
    plan: Plan.decode(fromBase64(header.plan)),
    scans,
    inputs,
    ...(outputs ? { outputs } : {}),
    ...(header.returnWithin !== undefined ? { returnWithin: header.returnWithin } : {}),
    ...(header.run !== undefined ? { run: header.run } : {}),
  };
}

/** A scan's key ranges from a peer: a column of the scan that keys by range, and at most MAX_KEY_RANGES ordered, disjoint integer ranges. */
function checkKeyRanges(value: unknown, columns: readonly TableColumn[]): KeyRanges {
  const within = value as Partial<KeyRanges> | null;
  const column = columns.find((c) => c.name === within?.column);
  if (!column || !isRangeKeyType(column.type)) throw new TaskCodecError("a task scan's key ranges name no integer or date column of the scan");
  const ranges = within!.ranges;
  if (!isKeyRangeList(ranges, MAX_KEY_RANGES)) throw new TaskCodecError(`a task scan's key ranges are not at most ${MAX_KEY_RANGES} ordered, disjoint pairs of integers`);
  return { column: column.name, ranges };
}

/** Which chunks of a scan by key range a filter narrows: each once, a chunk of the scan, with a span of its ranges. */
function checkNarrowed(value: unknown, chunks: readonly string[], within: KeyRanges | undefined): NarrowedChunk[] {
  if (!within) throw new TaskCodecError("a task scan narrows chunks without key ranges");
  if (!Array.isArray(value)) throw new TaskCodecError("a task scan's narrowed chunks are not a list");
  const unseen = new Set(chunks);
  return value.map((entry: Partial<NarrowedChunk> | null) => {
    const [first, last] = Array.isArray(entry?.ranges) && entry.ranges.length === 2 ? entry.ranges : [];
    const span = Number.isInteger(first) && Number.isInteger(last) && 0 <= first! && first! <= last! && last! < within.ranges.length;
    if (typeof entry?.chunk !== "string" || !unseen.delete(entry.chunk) || !span) throw new TaskCodecError("a task scan narrows a chunk it does not read, twice, or by ranges it does not have");
    return { chunk: entry.chunk, ranges: [first!, last!] };
  });
}

function strings(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new TaskCodecError("a task field that should be a list of strings is not");
  return value as string[];
}

/** A task's answer, as parts to send one after another (nothing is copied into one buffer). */
export function encodeTaskResult(result: TaskResult): Uint8Array[] {
  const output = result.output ? arrow.tableToIPC(result.output, "stream") : new Uint8Array();
  const header: ResultHeader = {
    rows: result.rows,
    digest: result.digest,
    read: result.read,
    output: output.length,
    ...(result.sent ? { sent: result.sent } : {}),
    ...(result.inbox ? { inbox: result.inbox } : {}),
  };
  return [...framedHeader(header), output];
}

export function decodeTaskResult(frame: Uint8Array): TaskResult {
  const { header, at } = readHeader<ResultHeader>(frame, "a task answer");
  const counts = (values: unknown) => Array.isArray(values) && values.every((n) => Number.isSafeInteger(n) && n >= 0);
  const valid = Number.isSafeInteger(header?.rows) && header.rows >= 0 && isRowDigest(header.digest) && counts(header.read) && header.read.length <= MAX_HELD_INPUTS && Number.isSafeInteger(header.output) && header.output >= 0;
  if (!valid) throw new TaskCodecError("a malformed task answer header");
  const sentIsCounts = (sent: SentSummary) =>
    Number.isSafeInteger(sent?.rows) && counts(sent.bytes) && counts(sent.rowsTo) && sent.rowsTo.length === sent.bytes.length && Array.isArray(sent.digests) && sent.digests.length === sent.bytes.length && sent.digests.every(isRowDigest);
  if (header.sent !== undefined && !(Array.isArray(header.sent) && header.sent.length <= MAX_OUTPUT_ROUTES && header.sent.every(sentIsCounts))) {
    throw new TaskCodecError("a task answer with a malformed account of what it sent");
  }
  let inbox: InboxStatus | undefined;
  try {
    inbox = header.inbox === undefined ? undefined : checkInboxStatus(header.inbox);
  } catch {
    throw new TaskCodecError("a task answer with a malformed account of its inbox");
  }
  if (at + header.output !== frame.length) throw new TaskCodecError(`a task answer of ${frame.length - at} bytes after its header, which says ${header.output}`);
  const output = header.output > 0 ? ipcTable(frame.subarray(at), "a task answer's rows") : undefined;
  if (output && output.numRows !== header.rows) throw new TaskCodecError(`a task answer says ${header.rows} rows and returns ${output.numRows}`);
  return {
    rows: header.rows,
    digest: header.digest,
    read: header.read,
    ...(output ? { output } : {}),
    ...(header.sent ? { sent: header.sent } : {}),
    ...(inbox ? { inbox } : {}),
  };
}

/**
 * The rows a worker holds for each input of a checked task, as parts to send one after another;
 * past `maxBytes`, only a header that says they are too many.
 */
export function encodeHeldInputs(inputs: readonly (readonly arrow.RecordBatch[])[], maxBytes: number): Uint8Array[] {
  const streams = inputs.map((batches) => ipcOf(batches));
  if (streams.reduce((n, b) => n + b.length, 0) > maxBytes) return framedHeader({ inputs: [], tooLarge: true });
  return [...framedHeader({ inputs: streams.map((b) => b.length) }), ...streams];
}

/** The held inputs, or undefined if the worker said they are too many to send. */
export function decodeHeldInputs(frame: Uint8Array): arrow.RecordBatch[][] | undefined {
  const { header, at: start } = readHeader<{ inputs: number[]; tooLarge?: boolean }>(frame, "a task's held inputs");
  if (header?.tooLarge === true && start === frame.length) return undefined;
  const lengths = header?.inputs;
  if (!Array.isArray(lengths) || lengths.length > MAX_HELD_INPUTS || !lengths.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new TaskCodecError("a malformed header of a task's held inputs");
  let at = start;
  const inputs = lengths.map((n) => {
    if (at + n > frame.length) throw new TaskCodecError("a task's held inputs longer than their frame");
    const bytes = frame.subarray(at, (at += n));
    return n === 0 ? [] : ipcTable(bytes, "a task's held input").batches;
  });
  if (at !== frame.length) throw new TaskCodecError(`${frame.length - at} bytes after a task's held inputs`);
  return inputs;
}

/** [u32 length][JSON header], as two parts. */
function framedHeader(header: object): Uint8Array[] {
  const bytes = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, bytes.length);
  return [length, bytes];
}

function readHeader<T>(frame: Uint8Array, what: string): { header: T; at: number } {
  if (frame.length < 4) throw new TaskCodecError(`${what} shorter than its header length`);
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > frame.length) throw new TaskCodecError(`${what}'s header of ${headerLength} bytes in a frame of ${frame.length}`);
  try {
    return { header: JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headerLength))), at: 4 + headerLength };
  } catch {
    throw new TaskCodecError(`${what}'s header that is not JSON`);
  }
}

function ipcTable(bytes: Uint8Array, what: string): arrow.Table {
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(bytes);
  } catch (error) {
    throw new TaskCodecError(`${what} not Arrow IPC: ${(error as Error).message}`);
  }
  if (!textIsUtf8(table.batches)) throw new TaskCodecError(`${what} with text that is not UTF-8`);
  return table;
}
