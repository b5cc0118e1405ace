// The CLI as a user meets it: output formats, one-line errors with exit codes, plan files.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, type CliIO } from "../cli.ts";
import { COMMANDS } from "../commands/index.ts";
import { Plan } from "../../proto/index.ts";
import { tpchFixture, type TpchFixture } from "../../exec/test/data.ts";

const ROOT = join(import.meta.dirname, "..", "..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function trustql(...argv: string[]): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on("data", (c: Buffer) => chunks.out.push(c));
  stderr.on("data", (c: Buffer) => chunks.err.push(c));
  const io = { stdout, stderr, cwd: fixture.dir } as unknown as CliIO;
  const code = await main(argv, COMMANDS, io);
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

let fixture: TpchFixture;
beforeAll(async () => {
  fixture = await tpchFixture({ nullRate: 0 });
});
afterAll(() => fixture?.dispose());

describe("trustql sql", () => {
  it("writes CSV with a header, exact decimals and ISO dates when not on a terminal", async () => {
    const run = await trustql("sql", "--data", ".", "select o_orderkey, o_totalprice, o_orderdate from orders order by o_orderkey limit 2");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\r\n"); // RFC 4180 line ends
    expect(lines[0]).toBe("o_orderkey,o_totalprice,o_orderdate");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^\d+,-?\d+\.\d{2},\d{4}-\d{2}-\d{2}$/);
  });

  it("writes a parquet file with --format parquet, of the answer's types, that reads back as the answer; never to a terminal", async () => {
    const sql = "select o_orderkey, o_totalprice, o_orderdate, o_comment, o_totalprice::double / 3 as third, [o_orderkey, 1] as keys, {'k': o_custkey, 'd': o_orderdate} as info, map {'p': o_orderpriority} as m from orders where o_orderkey < 40";
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on("data", (c: Buffer) => chunks.push(c));
    const io = { stdout, stderr: new PassThrough(), cwd: fixture.dir } as unknown as CliIO;
    expect(await main(["sql", "--data", ".", "--format", "parquet", sql], COMMANDS, io)).toBe(0);
    const file = join(fixture.dir, "answer.parquet");
    writeFileSync(file, Buffer.concat(chunks));
    const described = await trustql("sql", "--data", "answer.parquet", "--format", "csv", "describe answer");
    expect(described.stdout.trim().split("\r\n").slice(1).map((line) => line.replace(/,YES,,,$/, ""))).toEqual([
      "o_orderkey,BIGINT",
      "o_totalprice,\"DECIMAL(15,2)\"",
      "o_orderdate,DATE",
      "o_comment,VARCHAR",
      "third,DOUBLE",
      "keys,BIGINT[]",
      "info,\"STRUCT(k BIGINT, d DATE)\"",
      "m,\"MAP(VARCHAR, VARCHAR)\"",
    ]);
    const [back, direct] = await Promise.all([trustql("sql", "--data", "answer.parquet", "select * from answer order by o_orderkey"), trustql("sql", "--data", ".", `${sql} order by o_orderkey`)]);
    expect(back.stdout.split("\r\n").slice(1)).toEqual(direct.stdout.split("\r\n").slice(1));
    expect(back.stdout.split("\r\n").length).toBeGreaterThan(5);

    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    const refused = await main(["sql", "--data", ".", "--format", "parquet", "select 1"], COMMANDS, { stdout: terminal, stderr: new PassThrough(), cwd: fixture.dir } as unknown as CliIO);
    expect(refused).toBe(2);
  });

  it("takes SQL that begins with a comment as SQL, not as an unknown option", async () => {
    const run = await trustql("sql", "--data", ".", "-- a comment first\nselect 1 + 1 as n", "--format", "csv");
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\r\n")).toEqual(["n", "2"]);
    const unknown = await trustql("sql", "--data", ".", "--bogus", "select 1");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it("refuses a negative number by the option's own check, not as a mistyped option", async () => {
    const run = await trustql("gen", "tpch", "--sf", "-1", "--out", "generated");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("trustql: --sf -1: expected a scale factor above 0 and at most 100\n");
    for (const [value, expected] of [["-1", "a whole number of at least 0"], ["100000000", "at most 67108864"]]) {
      const query = await trustql("query", "--cluster", "nowhere", "--small-exchange", value, "select 1");
      expect(query.code).toBe(2);
      expect(query.stderr).toBe(`trustql: --small-exchange ${value}: expected ${expected}\n`);
    }
  });

  it("prints exactly one JSON object with --json", async () => {
    const run = await trustql("sql", "--data", ".", "--json", "select count(*) as n from nation");
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout);
    expect(parsed.columns).toEqual([{ name: "n", type: "Int64" }]);
    expect(parsed.rowCount).toBe(1);
  });

  it("explains the optimized plan as a tree", async () => {
    const run = await trustql("sql", "--data", ".", "--explain", "select n_name from nation where n_regionkey = 1");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/nation/);
  });

  it("names an unknown column with its position, one line, exit code 2", async () => {
    const run = await trustql("sql", "--data", ".", "select n_nmae from nation");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^trustql: .*n_nmae.* at 1:8\n$/);
  });

  it("rejects what it cannot run exactly, by name", async () => {
    const run = await trustql("sql", "--data", ".", "select n_name from nation,\nlateral range(n_nationkey) x");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^trustql: (unsupported: |syntax error).* at 2:\d+\n$/);
  });

  it("refuses a missing --data folder with the path", async () => {
    const run = await trustql("sql", "--data", "nowhere", "select 1");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("trustql: --data nowhere: no such file or folder\n");
  });

  it("writes a binary plan that substrait run executes to the same answer", async () => {
    const sql = "select n_regionkey, count(*) as n from nation group by n_regionkey order by n_regionkey";
    const direct = await trustql("sql", "--data", ".", sql);
    for (const file of ["q.bin", "q.json"]) {
      const written = await trustql("sql", "--data", ".", "--substrait-out", file, sql);
      expect(written.code).toBe(0);
      const bytes = readFileSync(join(fixture.dir, file));
      expect(Plan.decode(file.endsWith(".json") ? Plan.encode(Plan.fromJSON(JSON.parse(bytes.toString()))).finish() : bytes).version?.minorNumber).toBe(84);
      const replayed = await trustql("substrait", "run", "--data", ".", file);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toBe(direct.stdout);
    }
  });
});

describe("trustql dataset add", () => {
  it("names a chunk codec it does not know, and the ones it does, before it looks for the cluster", async () => {
    const run = await trustql("dataset", "add", "tpch", "--cluster", "nowhere", "--compression", "brotli", "nation.parquet");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("trustql: --compression brotli: expected one of lz4, zstd, snappy, uncompressed\n");
  });
});

describe("the trustql binary", () => {
  it("runs on Node 24 with one-line errors and exit code 2", () => {
    const result = spawnSync(join(ROOT, "node_modules", ".bin", "node"), [join(ROOT, "client", "bin", "trustql.ts"), "sql", "--data", fixture.dir, "selec 1"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^trustql: /);
  });
});
