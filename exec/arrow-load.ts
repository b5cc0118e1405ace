// Arrow batches into a DuckDB table: the rows an exchange brought to a task become a table its
// stage plan reads. Values are converted column by column into DuckDB data chunks and appended.
import * as arrow from "apache-arrow";
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimeValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBAppender,
  type DuckDBDecimalType,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import { decimalToBigInt } from "../common/decimal.ts";
import { invariant } from "../common/errors.ts";

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/** Reads non-null values of one column's data from its buffers (dates stay days, timestamps microseconds). */
type Reader = (data: arrow.Data) => (index: number) => DuckDBValue;

function readerFor(type: DuckDBType): Reader {
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as DuckDBDecimalType;
      return (data) => {
        const words = data.values as Uint32Array;
        return (i) => new DuckDBDecimalValue(decimalToBigInt(words.subarray(i * 4, i * 4 + 4)), width, scale);
      };
    }
    case DuckDBTypeId.BIGINT:
      return (data) => (i) => BigInt((data.values as BigInt64Array)[i]);
    case DuckDBTypeId.DATE:
      return (data) => (i) => new DuckDBDateValue((data.values as Int32Array)[i]);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (data) => (i) => new DuckDBTimestampValue(BigInt((data.values as BigInt64Array)[i]));
    case DuckDBTypeId.TIME:
      return (data) => (i) => new DuckDBTimeValue(BigInt((data.values as BigInt64Array)[i]));
    case DuckDBTypeId.BLOB:
      return (data) => {
        const vector = arrow.makeVector(data);
        return (i) => new DuckDBBlobValue(vector.get(i) as Uint8Array);
      };
    default: {
      return (data) => {
        const vector = arrow.makeVector(data);
        return (i) => vector.get(i) as DuckDBValue;
      };
    }
  }
}

/** Appends every row of `batches` (columns positionally matching `types`) to `appender`. */
export function appendBatches(appender: DuckDBAppender, types: readonly DuckDBType[], batches: readonly arrow.RecordBatch[]): number {
  const readers = types.map(readerFor);
  let appended = 0;
  for (const batch of batches) {
    invariant(batch.numCols === types.length, `a batch of ${batch.numCols} columns for a table of ${types.length}`);
    for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, batch.numRows - start);
      const chunk = DuckDBDataChunk.create(types, rows);
      for (let c = 0; c < types.length; c++) {
        const data = batch.data.children[c];
        const read = readers[c](data);
        const values: DuckDBValue[] = new Array(rows);
        for (let r = 0; r < rows; r++) values[r] = data.getValid(start + r) ? read(start + r) : null;
        chunk.setColumnValues(c, values);
      }
      appender.appendDataChunk(chunk);
      appended += rows;
    }
  }
  appender.flushSync();
  return appended;
}
