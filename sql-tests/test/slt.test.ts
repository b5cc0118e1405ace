// Every .slt file of the corpus: trustql's answers (one- and two-phase plans) must equal the
// file's result blocks and DuckDB's answers on the same parquet files.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFailures, runSltFile } from "../runner/runner.ts";

const CORPUS = join(import.meta.dirname, "..", "slt");
const FILES = readdirSync(CORPUS).filter((f) => f.endsWith(".slt")).sort();

describe("sqllogictest corpus", () => {
  it.each(FILES)("%s", async (file) => {
    const result = await runSltFile(join(CORPUS, file));
    expect(result.queries).toBeGreaterThan(0);
    expect(result.failures, formatFailures(result)).toEqual([]);
  });
});
