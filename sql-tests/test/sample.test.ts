// USING SAMPLE and TABLESAMPLE keep rows by a hash of their values and the seed (planner/bind/
// sample.ts): DuckDB draws its samples at random, so these properties are checked here, not
// against its answers. The same query gives the same rows on one engine and on four workers; the
// share kept is close to the one asked for; another seed keeps other rows; n ROWS is n of them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { visitSltQueries, type Answers } from "../runner/runner.ts";

const ROWS = 4000;
const dir = mkdtempSync(join(tmpdir(), "trustql-sample-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `check` with the answers over g (ROWS rows, ids 0 … ROWS - 1) and h (7 rows, g's groups). */
async function withTables(check: (answers: Answers) => Promise<void>): Promise<void> {
  const file = join(dir, `sample-${Math.random().toString(36).slice(2)}.slt`);
  writeFileSync(
    file,
    `statement ok\nCREATE TABLE g AS SELECT i AS id, i % 7 AS grp, (i * 7919) % 1000 AS v, 'w' || (i % 13) AS word FROM range(${ROWS}) r(i);\n` +
      `CREATE TABLE h AS SELECT i AS grp, 'x' || i AS name FROM range(7) r(i);\n\nquery I\nSELECT 1\n----\n1\n`,
  );
  await visitSltQueries(file, (_, answers) => check(answers));
}

const VARIANTS = ["one-phase", "two-phase", "staged"] as const;

/** The query's rows on every plan variant, which must agree. */
async function agreed(answers: Answers, sql: string): Promise<string[][]> {
  const [first, ...others] = await Promise.all(VARIANTS.map((v) => answers.trustql(sql, v)));
  for (const other of others) expect(other).toEqual(first);
  return first;
}

describe("USING SAMPLE and TABLESAMPLE", () => {
  it("keep the same rows on one engine and on four workers, close to the share asked for", async () => {
    await withTables(async (answers) => {
      const ids = await agreed(answers, "SELECT id FROM g USING SAMPLE 10% ORDER BY id");
      expect(ids.length).toBeGreaterThan(ROWS * 0.1 - 4 * Math.sqrt(ROWS * 0.1));
      expect(ids.length).toBeLessThan(ROWS * 0.1 + 4 * Math.sqrt(ROWS * 0.1));
      expect(new Set(ids.map((r) => r[0])).size).toBe(ids.length);
      // The sample of the rows, whatever the query then does with them.
      const [[count]] = await agreed(answers, "SELECT count(*) FROM g TABLESAMPLE 10 PERCENT WHERE v >= 0");
      expect(Number(count)).toBe(ids.length);
      const grouped = await agreed(answers, "SELECT grp, count(*) FROM g USING SAMPLE 10% GROUP BY grp ORDER BY grp");
      expect(grouped.reduce((n, r) => n + Number(r[1]), 0)).toBe(ids.length);
    });
  });

  it("keep other rows under another seed, the same under the same one", async () => {
    await withTables(async (answers) => {
      const seeded = (clause: string) => agreed(answers, `SELECT id FROM g USING SAMPLE 20% ${clause} ORDER BY id`);
      const [plain, seven, sevenAgain, repeatable] = [await seeded(""), await seeded("(bernoulli, 7)"), await seeded("(system, 7)"), await seeded("(bernoulli) REPEATABLE (7)")];
      expect(seven).toEqual(sevenAgain);
      expect(seven).toEqual(repeatable);
      expect(seven).not.toEqual(plain);
    });
  });

  it("of n ROWS keep n rows (all where there are fewer), and 0% and 100% none and all", async () => {
    await withTables(async (answers) => {
      const rows = await agreed(answers, "SELECT id, word FROM g USING SAMPLE 25 ROWS ORDER BY id");
      expect(rows).toHaveLength(25);
      expect(await agreed(answers, "SELECT count(*) FROM h USING SAMPLE reservoir(50 ROWS)")).toEqual([["7"]]);
      expect(await agreed(answers, "SELECT count(*) FROM g USING SAMPLE 0%")).toEqual([["0"]]);
      expect(await agreed(answers, `SELECT count(*) FROM g USING SAMPLE 100%`)).toEqual([[String(ROWS)]]);
    });
  });

  it("TABLESAMPLE samples its table, USING SAMPLE the FROM clause's joined rows", async () => {
    await withTables(async (answers) => {
      // h's 7 rows sampled: only its kept groups' rows of g remain, every one of them.
      const kept = await agreed(answers, "SELECT DISTINCT h.grp FROM h TABLESAMPLE 50% ORDER BY 1");
      const [[joined]] = await agreed(answers, "SELECT count(*) FROM g JOIN h TABLESAMPLE 50% ON g.grp = h.grp");
      const [[perGroup]] = await agreed(answers, `SELECT count(*) FROM g WHERE grp IN (${kept.map((r) => r[0]).join(", ") || "NULL"})`);
      expect(joined).toBe(perGroup);
      const [[sampledJoin]] = await agreed(answers, "SELECT count(*) FROM g JOIN h ON g.grp = h.grp USING SAMPLE 50%");
      expect(Number(sampledJoin)).toBeGreaterThan(ROWS * 0.4);
      expect(Number(sampledJoin)).toBeLessThan(ROWS * 0.6);
    });
  });

  it("sample a (SELECT …) subquery's rows as they would its table's, when it selects them as they are", async () => {
    await withTables(async (answers) => {
      const ofTable = await agreed(answers, "SELECT id FROM g USING SAMPLE 10% ORDER BY id");
      expect(await agreed(answers, "SELECT id FROM (SELECT * FROM g) s USING SAMPLE 10% ORDER BY id")).toEqual(ofTable);
      const joined = await agreed(answers, "SELECT count(*) FROM g JOIN h TABLESAMPLE 50% ON g.grp = h.grp");
      expect(await agreed(answers, "SELECT count(*) FROM g JOIN (SELECT * FROM h WHERE grp >= 0) s TABLESAMPLE 50% ON g.grp = s.grp")).toEqual(joined);
      // Another selection is other rows, sampled by their own values, as many as the share says.
      const [[some]] = await agreed(answers, "SELECT count(*) FROM (SELECT id, v FROM g WHERE grp < 5) s USING SAMPLE 20%");
      expect(Number(some)).toBeGreaterThan(ROWS * (5 / 7) * 0.2 - 4 * Math.sqrt(ROWS * (5 / 7) * 0.2));
      expect(Number(some)).toBeLessThan(ROWS * (5 / 7) * 0.2 + 4 * Math.sqrt(ROWS * (5 / 7) * 0.2));
    });
  });

  it("refuse what they cannot sample, naming it", async () => {
    await withTables(async (answers) => {
      await expect(answers.trustql("SELECT * FROM range(10) r(i) USING SAMPLE 10%", "one-phase")).rejects.toThrow(/USING SAMPLE of anything but a table or a \(SELECT …\) subquery/);
      await expect(answers.trustql("SELECT * FROM g, (FROM h) s TABLESAMPLE 10%", "one-phase")).rejects.toThrow(/TABLESAMPLE of anything but a table or a \(SELECT …\) subquery/);
      await expect(answers.trustql("SELECT * FROM g USING SAMPLE 120%", "one-phase")).rejects.toThrow(/a sample of 120%: a percentage is from 0% to 100%/);
      await expect(answers.trustql("SELECT * FROM g USING SAMPLE 10% (cluster)", "one-phase")).rejects.toThrow(/expected BERNOULLI, SYSTEM or RESERVOIR in the sampling clause/);
    });
  });
});
