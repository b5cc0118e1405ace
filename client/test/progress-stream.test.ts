// A query's progress stream as the SDK reads it: stage lines, then the answer line and its rows
// as raw Arrow IPC (or, from a node that sends them so, base64 in the line), arriving in pieces
// cut anywhere (inside a line, inside a UTF-8 character, inside the rows).
import * as arrow from "apache-arrow";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NodeClient } from "../sdk/index.ts";

let server: Server | undefined;
afterEach(() => server?.close());

/** A node that answers /v1/query with `body`, written `pieceBytes` at a time. */
async function nodeAnswering(body: Buffer, pieceBytes: number): Promise<NodeClient> {
  server = createServer(async (_, res) => {
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (let at = 0; at < body.length; at += pieceBytes) {
      res.write(body.subarray(at, at + pieceBytes));
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return new NodeClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

describe("a query's progress stream", () => {
  it("gives every stage, then the answer's rows, however its bytes are cut", async () => {
    const stages = [{ id: 0, note: "ä" }, { id: 1, note: "😀" }];
    const cases = [
      { rows: 50_000, pieceBytes: 1_000_003, raw: true },
      { rows: 50_000, pieceBytes: 4_099, raw: true },
      { rows: 50, pieceBytes: 7, raw: true },
      // A node that sends the rows as base64 inside the answer line.
      { rows: 50_000, pieceBytes: 4_099, raw: false },
    ];
    for (const { rows, pieceBytes, raw } of cases) {
      const names = Array.from({ length: rows }, (_, i) => `ü-${i}-€\n`);
      const table = arrow.tableFromArrays({ name: names, n: Int32Array.from(names, (_, i) => i) });
      const ipc = arrow.tableToIPC(table);
      const meta = { names: ["name", "n"], stages: [], plan: "stage 0", workers: [], distrusted: [], lost: [], attestations: [], planMs: 1, runMs: 2, resultHash: "ab" };
      const answer = raw ? { ...meta, arrowBytes: ipc.length } : { ...meta, arrow: Buffer.from(ipc).toString("base64") };
      const lines = Buffer.from(`${stages.map((stage) => JSON.stringify({ stage })).join("\n")}\n${JSON.stringify({ answer })}\n`);
      const body = raw ? Buffer.concat([lines, ipc]) : lines;
      const seen: unknown[] = [];
      const result = await (await nodeAnswering(body, pieceBytes)).query("select 1", { onStage: (stage) => seen.push(stage) });
      expect(seen).toEqual(stages);
      expect(result.table.getChild("name")!.toArray()).toEqual(names);
      server!.close();
    }
  });
});
