// A peer's task frame is decoded defensively: random bytes, truncations and trailing bytes are
// refused with an error, never taken as a task.
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryCatalog, planSql } from "../../../planner/index.ts";
import { Plan, Type } from "../../../proto/index.ts";
import { namedStructFromColumns } from "../../index.ts";
import { decodeTask, encodeTask, type Task } from "../index.ts";

const schema = namedStructFromColumns([
  { name: "k", type: "INTEGER", nullable: false },
  { name: "label", type: "VARCHAR", nullable: true },
]);
const columns = schema.names.map((name, i) => ({ name, type: schema.struct!.types[i] }));
const plan = planSql("SELECT k, count(*) FROM t GROUP BY k", new MemoryCatalog([{ names: ["t"], schema, rowCount: 3 }])).plan;
const batch = new arrow.Table({ k: arrow.makeVector(Int32Array.from([1, 2, 3])), label: arrow.vectorFromArray(["a", null, "c"], new arrow.Utf8()) }).batches[0];
const task: Task = { plan, scans: [{ names: ["t"], columns, chunks: ["ab".repeat(32)] }], inputs: [{ names: ["__stage0_output"], columns, batches: [batch] }] };

describe("the task wire format", () => {
  it("gives back the task it encoded", () => {
    const decoded = decodeTask(encodeTask(task));
    expect(Plan.encode(decoded.plan).finish()).toEqual(Plan.encode(task.plan).finish());
    const wire = (cs: readonly { name: string; type: Type }[]) => cs.map((c) => [c.name, Type.encode(c.type).finish()]);
    expect(decoded.scans.map((s) => [s.names, s.chunks, wire(s.columns)])).toEqual(task.scans.map((s) => [s.names, s.chunks, wire(s.columns)]));
    expect(wire(decoded.inputs[0].columns)).toEqual(wire(columns));
    expect(decoded.inputs[0].batches.flatMap((b) => b.toArray().map((r) => r.toJSON()))).toEqual([
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
});
