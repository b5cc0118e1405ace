// The SDK's requests answered in JSON (a submission, a state, a balance, a chunk stored) over
// node:http with keep-alive connections: `fetch` spent ~270 µs more of the caller's CPU on each
// (its streams, headers and abort machinery), which a load generator sharing a node's cores
// takes from the nodes. A query's answer, a stream of progress lines and then its rows, is read
// through fetch (`fetchWithin`). Every request the SDK sends as JSON may be sent twice: a
// submission names its transaction, which a node keeps once; a chunk is named by its hash.
import { request } from "node:http";

export interface JsonAnswer<T> {
  status: number;
  body: T;
}

export interface JsonRequest {
  method?: string;
  body?: Uint8Array;
  contentType?: string;
  timeoutMs: number;
}

/** An answer that is not JSON (a proxy's error page, say). */
export class NotJsonError extends Error {}

/** The most bytes of an answer read: the SDK's small requests are answered in kilobytes. */
const MAX_ANSWER_BYTES = 16 << 20;

/** Sends a request and reads its JSON answer; an `https:` URL goes through fetch. */
export async function requestJson<T>(url: string, init: JsonRequest): Promise<JsonAnswer<T>> {
  if (!url.startsWith("http:")) return viaFetch(url, init);
  try {
    return await viaHttp<T>(url, init);
  } catch (error) {
    // A kept-alive connection the server closed as it was reused: sent again, on a new one.
    if ((error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === "ECONNRESET") return viaHttp<T>(url, init);
    throw error;
  }
}

function viaHttp<T>(url: string, init: JsonRequest): Promise<JsonAnswer<T>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (init.body) Object.assign(headers, { "content-type": init.contentType ?? "application/octet-stream", "content-length": init.body.length });
    // The default agent keeps connections alive; idle ones do not hold the process open.
    const req = request(url, { method: init.method ?? "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`an answer of more than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as T });
        } catch {
          reject(new NotJsonError(`HTTP ${res.statusCode}: the answer is not JSON`));
        }
      });
      res.on("error", reject);
    });
    req.on("error", (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    // Time without a byte, not in all: a small request's answer comes at once or after the node's
    // wait, in one piece. (AbortSignal.timeout's timer outlived each answer and fired anyway.)
    req.setTimeout(init.timeoutMs, () => req.destroy(new Error(`no answer within ${init.timeoutMs} ms`)));
    req.end(init.body);
  });
}

async function viaFetch<T>(url: string, init: JsonRequest): Promise<JsonAnswer<T>> {
  const response = await fetchWithin(url, { method: init.method, body: init.body, headers: init.contentType ? { "content-type": init.contentType } : {} }, init.timeoutMs);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as T };
  } catch {
    throw new NotJsonError(`HTTP ${response.status}: the answer is not JSON`);
  }
}

/** fetch, given up on after `timeoutMs` in all. */
export function fetchWithin(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}
