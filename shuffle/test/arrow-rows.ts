// Test helpers shared by the shuffle's tests of nested columns: decimals as Arrow's builders take
// them, rows read back through Arrow's getters as plain data, and a batch carried through IPC.
import * as arrow from "apache-arrow";

/** 128-bit words of a decimal's unscaled value, as Arrow's builders take them. */
export function decimalWords(value: bigint): Uint32Array {
  const words = new Uint32Array(4);
  let v = BigInt.asUintN(128, value);
  for (let w = 0; w < 4; w++, v >>= 32n) words[w] = Number(v & 0xffff_ffffn);
  return words;
}

/** A value read back through Arrow's getters as plain data: structs as objects, lists as arrays, decimals as their unscaled BigInt. */
export function plain(type: arrow.DataType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (arrow.DataType.isStruct(type)) {
    const row = value as Record<string, unknown>;
    return Object.fromEntries(type.children.map((f) => [f.name, plain(f.type, row[f.name])]));
  }
  if (arrow.DataType.isList(type)) return [...(value as arrow.Vector)].map((v) => plain(type.children[0].type, v));
  if (arrow.DataType.isDecimal(type)) return BigInt.asIntN(128, (value as Uint32Array).reduceRight((n, w) => (n << 32n) | BigInt(w), 0n));
  return value;
}

/** The batches' rows as plain data, by column name. */
export function rowsOf<Row>(batches: readonly arrow.RecordBatch[]): Row[] {
  return batches.flatMap((batch) =>
    Array.from({ length: batch.numRows }, (_, r) => {
      const row: Record<string, unknown> = {};
      batch.schema.fields.forEach((f, c) => (row[f.name] = plain(f.type, batch.getChildAt(c)!.get(r))));
      return row as Row;
    }),
  );
}

/** Arrow's IPC writer and reader take the batch as it is: offsets, children and bitmaps hang together. */
export const throughIpc = (batch: arrow.RecordBatch) => arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([batch]))).batches;
