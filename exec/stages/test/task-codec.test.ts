// A peer's task frame is decoded defensively: random bytes, truncations and trailing bytes are
// refused with an error, never taken as a task.
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryCatalog, planSql } from "../../../planner/index.ts";
import { Plan, Type } from "../../../proto/index.ts";
import { namedStructFromColumns } from "../../index.ts";
import { digestRows } from "../../../shuffle/index.ts";
import { decodeHeldInputs, decodeTask, decodeTaskResult, encodeHeldInputs, encodeTask, encodeTaskResult, type Task, type TaskResult } from "../index.ts";

const schema = namedStructFromColumns([
  { name: "k", type: "INTEGER", nullable: false },
  { name: "label", type: "VARCHAR", nullable: true },
]);
const columns = schema.names.map((name, i) => ({ name, type: schema.struct!.types[i] }));
const plan = planSql("SELECT k, count(*) FROM t GROUP BY k", new MemoryCatalog([{ names: ["t"], schema, rowCount: 3 }])).plan;
const batch = new arrow.Table({ k: arrow.makeVector(Int32Array.from([1, 2, 3])), label: arrow.vectorFromArray(["a", null, "c"], new arrow.Utf8()) }).batches[0];
const task: Task = {
  plan,
  scans: [
    { names: ["t"], columns, chunks: ["ab".repeat(32)] },
    { names: ["small"], columns, chunks: ["cd".repeat(32), "ef".repeat(32)], whole: true, within: { column: "k", ranges: [["-3", "5"], ["9", "9"]] }, narrowed: [{ chunk: "ef".repeat(32), ranges: [1, 1] }] },
  ],
  inputs: [{ names: ["__stage0_output"], columns, batches: [batch] }],
};

describe("the task wire format", () => {
  it("gives back the task it encoded", () => {
    const decoded = decodeTask(encodeTask(task));
    expect(Plan.encode(decoded.plan).finish()).toEqual(Plan.encode(task.plan).finish());
    const wire = (cs: readonly { name: string; type: Type }[]) => cs.map((c) => [c.name, Type.encode(c.type).finish()]);
    const scan = (s: Task["scans"][number]) => [s.names, s.chunks, wire(s.columns), s.whole, s.within, s.narrowed];
    expect(decoded.scans.map(scan)).toEqual(task.scans.map(scan));
    expect(wire(decoded.inputs[0].columns)).toEqual(wire(columns));
    expect(decoded.inputs[0].batches!.flatMap((b) => b.toArray().map((r) => r.toJSON()))).toEqual([
      { k: 1, label: "a" },
      { k: 2, label: null },
      { k: 3, label: "c" },
    ]);
  });

  it("refuses random bytes, truncated frames and trailing bytes", () => {
    const frame = encodeTask(task);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => void expect(() => decodeTask(bytes)).toThrow()));
    fc.assert(fc.property(fc.integer({ min: 0, max: frame.length - 1 }), (cut) => void expect(() => decodeTask(frame.subarray(0, cut))).toThrow()));
    expect(() => decodeTask(new Uint8Array([...frame, 0]))).toThrow(/after a task's inputs/);
  });

  it("refuses key ranges on a column that is not an integer or date of the scan, or not ordered, disjoint integer pairs, and narrowed chunks it does not read", () => {
    const within = (value: unknown) => encodeTask({ ...task, scans: [{ ...task.scans[1], within: value as never }] });
    expect(() => decodeTask(within({ column: "label", ranges: [["1", "2"]] }))).toThrow(/no integer or date column/);
    expect(() => decodeTask(within({ column: "nope", ranges: [] }))).toThrow(/no integer or date column/);
    for (const ranges of [[["5", "1"]], [["1", "5"], ["5", "9"]], [["1", "2.5"]], [["1"]], "1-2", Array.from({ length: 257 }, (_, i) => [String(2 * i), String(2 * i)])]) {
      expect(() => decodeTask(within({ column: "k", ranges })), JSON.stringify(ranges)).toThrow(/key ranges/);
    }
    const narrowing = (scan: object) => encodeTask({ ...task, scans: [{ ...task.scans[1], ...scan }] });
    const ef = "ef".repeat(32);
    for (const narrowed of [[{ chunk: "01".repeat(32), ranges: [0, 0] }], [{ chunk: ef, ranges: [0, 2] }], [{ chunk: ef, ranges: [1, 0] }], [{ chunk: ef, ranges: [0, 0] }, { chunk: ef, ranges: [1, 1] }], [{ chunk: ef, ranges: [-1, 0] }], [{ chunk: ef }]]) {
      expect(() => decodeTask(narrowing({ narrowed })), JSON.stringify(narrowed)).toThrow(/narrows a chunk it does not read, twice, or by ranges it does not have/);
    }
    expect(() => decodeTask(narrowing({ within: undefined }))).toThrow(/without key ranges/);
    expect(() => decodeTask(narrowing({ narrowed: "ef" }))).toThrow(/not a list/);
  });
});

describe("a task that reads and sends through exchanges", () => {
  const routed: Task = {
    plan,
    scans: [],
    inputs: [{ names: ["__stage1_output"], columns, exchange: { run: "ab".repeat(16), consumer: 2, input: 1 } }],
    outputs: [
      { exchange: { run: "ab".repeat(16), consumer: 3, members: ["node-a", "node-b"], budgetBytes: 1 << 20, saltable: [] }, input: 2, kind: "hash", spec: { keys: [0], saltBy: [0], mode: "spread" }, keep: { column: 0, ranges: [["-5", "9"], ["12", "12"]] } },
      { exchange: { run: "ab".repeat(16), consumer: 4, members: ["node-a", "node-b"], budgetBytes: 1 << 20, saltable: [] }, input: 2, kind: "broadcast" },
    ],
    run: "ab".repeat(16),
  };

  it("keeps where its inputs come from, where its output goes (to every stage reading it) and the run it is part of", () => {
    const decoded = decodeTask(encodeTask(routed));
    expect(decoded.inputs[0].exchange).toEqual(routed.inputs[0].exchange);
    expect(decoded.inputs[0].batches).toBeUndefined();
    expect(decoded.outputs).toEqual(routed.outputs);
    expect(decoded.run).toBe(routed.run);
    expect(decoded.returnWithin).toBeUndefined();
    expect(decodeTask(encodeTask({ ...routed, returnWithin: 1 << 20 })).returnWithin).toBe(1 << 20);
  });

  it("refuses a malformed run id, or a returnWithin that is no byte count", () => {
    expect(() => decodeTask(encodeTask({ ...routed, run: "not-a-run" }))).toThrow(/run id/);
    expect(() => decodeTask(encodeTask({ ...routed, returnWithin: -1 }))).toThrow(/returnWithin/);
  });

  it("refuses kept keys that are not ordered, disjoint pairs of integers", () => {
    for (const keep of [{ column: -1, ranges: [] }, { column: 0, ranges: [["3", "1"]] }, { column: 0, ranges: [["1", "5"], ["5", "6"]] }, { column: 0, ranges: [["a", "b"]] }, { column: 0, ranges: "1" }]) {
      const bad = { ...routed, outputs: [{ ...routed.outputs![0], keep } as never] };
      expect(() => decodeTask(encodeTask(bad)), JSON.stringify(keep)).toThrow(/route/);
    }
  });

  it("refuses a route to a member the exchange does not have", () => {
    const bad = { ...routed, outputs: [routed.outputs![1], { ...routed.outputs![0], kind: "to" as const, to: 5 }] };
    expect(() => decodeTask(encodeTask(bad))).toThrow(/route/);
    const tooMany = { ...routed, outputs: Array.from({ length: 65 }, () => routed.outputs![1]) };
    expect(() => decodeTask(encodeTask(tooMany))).toThrow(/at most 64 routes/);
  });

  it("answers with its rows, their digest, the rows it read and where it sent them; refuses a torn or lying answer", () => {
    const output = new arrow.Table([batch]);
    const inbox = { peakBytes: 640, saltedKeys: 1, overBudget: false, salted: [{ high: 1, low: 2, salts: 4 }] };
    const digest = digestRows([batch], routed.run);
    const sent = [{ rows: 3, bytes: [10, 20], rowsTo: [1, 2], digests: [digestRows([batch.slice(0, 1)], routed.run), digestRows([batch.slice(1)], routed.run)] }];
    const result: TaskResult = { rows: 3, digest, read: [6], output, sent, inbox };
    const frame = new Uint8Array(Buffer.concat(encodeTaskResult(result)));
    const decoded = decodeTaskResult(frame);
    expect(decoded.rows).toBe(3);
    expect(decoded.digest).toBe(digest);
    expect(decoded.read).toEqual([6]);
    expect(decoded.sent).toEqual(result.sent);
    expect(decoded.inbox).toEqual(inbox);
    expect(decoded.output!.numRows).toBe(3);
    fc.assert(fc.property(fc.integer({ min: 0, max: frame.length - 1 }), (cut) => void expect(() => decodeTaskResult(frame.subarray(0, cut))).toThrow()));
    const lying = new Uint8Array(Buffer.concat(encodeTaskResult({ ...result, rows: 4 })));
    expect(() => decodeTaskResult(lying)).toThrow(/says 4 rows/);
    const noDigest = new Uint8Array(Buffer.concat(encodeTaskResult({ ...result, digest: "3:xyz" })));
    expect(() => decodeTaskResult(noDigest)).toThrow(/malformed task answer header/);
    const shortDigests = new Uint8Array(Buffer.concat(encodeTaskResult({ ...result, sent: [{ ...sent[0], digests: [digest] }] })));
    expect(() => decodeTaskResult(shortDigests)).toThrow(/account of what it sent/);
    // Rows whose text is not UTF-8 (the label "c" made a byte that begins no character).
    const broken = new Uint8Array(frame);
    const at = Buffer.from(broken).lastIndexOf(Buffer.from("ac"));
    broken[at + 1] = 0xff;
    expect(() => decodeTaskResult(broken)).toThrow(/not UTF-8/);
  });

  it("gives back the rows a worker held for a checked task's inputs, and refuses torn ones", () => {
    const parts = encodeHeldInputs([[batch, batch.slice(1)], [], [batch]], 1 << 20);
    const frame = new Uint8Array(Buffer.concat(parts));
    const held = decodeHeldInputs(frame)!;
    expect(held.map((batches) => batches.reduce((n, b) => n + b.numRows, 0))).toEqual([5, 0, 3]);
    expect(digestRows(held[0], routed.run)).toBe(digestRows([batch, batch.slice(1)], routed.run));
    fc.assert(fc.property(fc.integer({ min: 0, max: frame.length - 1 }), (cut) => void expect(() => decodeHeldInputs(frame.subarray(0, cut))).toThrow()));
    expect(() => decodeHeldInputs(new Uint8Array([...frame, 0]))).toThrow(/after a task's held inputs/);
    // Past the limit: only the news that they are too many to send (the task goes unchecked).
    expect(decodeHeldInputs(new Uint8Array(Buffer.concat(encodeHeldInputs([[batch]], 16))))).toBeUndefined();
  });
});
