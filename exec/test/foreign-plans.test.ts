// Plans from another producer: Isthmus's TPC-H plans (see fixtures/consumer-testing/README.md
// for their source) must run as written and give DuckDB's answer to the SQL they came from.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPlan } from "../index.ts";
import { rowsAsText } from "./compare.ts";
import { tpchFixture, type TpchFixture } from "./data.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "consumer-testing");
const PLANS = readdirSync(FIXTURES).filter((f) => f.endsWith("-isthmus_plan.json")).sort();

function decimals(text: string): number {
  return text.includes(".") ? text.length - text.indexOf(".") - 1 : 0;
}

/**
 * Producers declare other result types than DuckDB infers (Calcite's avg of a decimal is a
 * decimal of the same scale, DuckDB's a double), and a consumer honours the plan: numbers
 * agree when they agree to the digits the coarser of the two carries.
 */
function sameCell(a: string, b: string): boolean {
  if (a === b) return true;
  const [x, y] = [Number(a), Number(b)];
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  const digits = Math.min(decimals(a), decimals(b));
  return Math.abs(x - y) <= 0.5 * 10 ** -digits + 1e-9 * Math.abs(x);
}

function sameAnswer(ours: string[], theirs: string[]): boolean {
  if (ours.length !== theirs.length) return false;
  const [a, b] = [[...ours].sort(), [...theirs].sort()];
  return a.every((row, i) => {
    const [x, y] = [row.split("|"), b[i].split("|")];
    return x.length === y.length && x.every((cell, j) => sameCell(cell, y[j]));
  });
}

let fixture: TpchFixture;
beforeAll(async () => {
  // TPC-H columns are NOT NULL; with NULLs, Calcite's and DuckDB's default NULL order differ.
  fixture = await tpchFixture({ nullRate: 0 });
});
afterAll(() => fixture?.dispose());

describe("Isthmus TPC-H plans", () => {
  it("the fixtures are all there", () => {
    expect(PLANS.length).toBe(21);
  });

  it.each(PLANS)("%s gives DuckDB's answer to its SQL", async (file) => {
    const plan = loadPlan(readFileSync(join(FIXTURES, file)), file);
    const ours = await fixture.engine.execute(plan);
    const sql = readFileSync(join(FIXTURES, file.replace("-isthmus_plan.json", ".sql")), "utf8");
    const theirs = await fixture.reference(sql);
    expect(ours.table.numCols).toBe(theirs.table.numCols);
    const [a, b] = [rowsAsText(ours.table, ours.names), rowsAsText(theirs.table, theirs.names)];
    expect(sameAnswer(a, b), `ours:\n${a.slice(0, 5).join("\n")}\nDuckDB:\n${b.slice(0, 5).join("\n")}`).toBe(true);
  });
});
