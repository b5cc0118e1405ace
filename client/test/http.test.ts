import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotJsonError, requestJson } from "../sdk/http.ts";

describe("the SDK's JSON requests", () => {
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/page") return res.end("<html>not json</html>");
        if (req.url === "/slow") return void setTimeout(() => res.end("{}"), 1_000);
        res.statusCode = req.url === "/missing" ? 404 : 200;
        res.end(JSON.stringify({ method: req.method, type: req.headers["content-type"] ?? null, bytes: Buffer.concat(chunks).length }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends a body with its type and reads the JSON answer and its status, many times over kept-alive connections", async () => {
    for (let i = 0; i < 20; i++) {
      const answer = await requestJson(`${url}/tx`, { method: "POST", body: new Uint8Array(300), contentType: "application/x-protobuf", timeoutMs: 5_000 });
      expect(answer).toEqual({ status: 200, body: { method: "POST", type: "application/x-protobuf", bytes: 300 } });
    }
    expect(await requestJson(`${url}/missing`, { timeoutMs: 5_000 })).toEqual({ status: 404, body: { method: "GET", type: null, bytes: 0 } });
  });

  it("names an answer that is not JSON, and a node that is not there", async () => {
    await expect(requestJson(`${url}/page`, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(NotJsonError);
    await expect(requestJson("http://127.0.0.1:1/tx", { timeoutMs: 5_000 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(requestJson(`${url}/slow`, { timeoutMs: 100 })).rejects.toThrow("no answer within 100 ms");
  });
});
