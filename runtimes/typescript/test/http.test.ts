// The node:http transport (src/http.ts) against servers on 127.0.0.1: connections kept alive
// and reused, timeouts, refused connections and resets mid-body mapped as with fetch (every
// failure is checked through both transports), compressed bodies, https with an Agent of
// one's own, one caller signal cancelling many calls, and a process that exits with idle
// connections open.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer as createHttpServer, type IncomingMessage, type Server as NodeServer, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import * as rt from "../src/index.js";
import { CERT, KEY } from "./tls.js";

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface Loopback {
  base: string;
  /** TCP connections accepted so far. */
  connections: () => number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that reads each request's body, then hands it to `handler`. */
async function loopback(handler: Handler, tls = false, keepAliveTimeout = 5000): Promise<Loopback> {
  const requests: IncomingMessage[] = [];
  let connections = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on("end", () => {
      requests.push(req);
      handler(req, res, requests.length);
    });
  };
  const server: NodeServer = tls ? createHttpsServer({ cert: CERT, key: KEY }, onRequest) : createHttpServer(onRequest);
  server.keepAliveTimeout = keepAliveTimeout;
  server.on(tls ? "secureConnection" : "connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: (tls ? "https" : "http") + "://127.0.0.1:" + port + "/v1",
    connections: () => connections,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ANSWER = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1 },
});

const ok: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "x-request-id": "req-1" });
  res.end(ANSWER);
};

/** Sends the headers and a part of the body, then closes the connection. */
const resetMidBody: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": String(ANSWER.length) });
  res.write(ANSWER.slice(0, 20));
  setTimeout(() => res.socket?.destroy(), 10);
};

/** Sends the headers and a part of the body, then nothing. */
const stallMidBody: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": String(ANSWER.length) });
  res.write(ANSWER.slice(0, 20));
};

const hang: Handler = () => undefined;

const RETRY: rt.RetrySpec = { max_attempts: 2, initial_delay: 0.001, max_delay: 0.002, deadline: null, repair_attempts: 0 };

function call(base: string, extra: Partial<rt.ModelRequest> = {}): rt.ModelRequest {
  return {
    route: { provider: "openai-compatible", model: "m", base_url: base },
    instructions: "Say hello.",
    input: { n: 1 },
    retry: RETRY,
    metadata: { alias: "fast" },
    ...extra,
  };
}

const TRANSPORTS: Array<[string, rt.RuntimeOptions]> = [
  ["node:http", {}],
  ["fetch", { fetch: (url, init) => globalThis.fetch(url, init) }],
];

const outline = (attempts: rt.Attempt[]): string[] => attempts.map((a) => a.kind + " " + a.outcome);

/** How a failed call ended, as the tests compare it across transports. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; code: string; message: string; attempts: string[] }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof rt.ProviderError, String(error));
    return { name: error.name, code: error.code, message: error.message, attempts: outline(error.attempts) };
  }
  assert.fail("the call did not fail");
}

test("connections are kept alive and reused: one for calls in sequence, at most one per call in flight", async () => {
  const server = await loopback(ok);
  try {
    const runtime = new rt.Runtime({ env: {} });
    for (let i = 0; i < 5; i++) assert.equal((await runtime.complete(call(server.base))).text, "hello");
    assert.equal(server.connections(), 1);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 8 }, () => runtime.complete(call(server.base))));
    }
    assert.equal(server.requests.length, 5 + 24);
    assert.ok(server.connections() <= 8, String(server.connections()) + " connections for 8 calls in flight");
    const headers = server.requests[0]?.headers ?? {};
    assert.equal(headers["connection"], "keep-alive");
    assert.equal(headers["content-length"], String(Buffer.byteLength('{"model":"m","messages":[{"role":"system","content":"Say hello."},{"role":"user","content":"{\\"n\\":1}"}]}')));
    assert.equal(headers["accept-encoding"], "gzip, deflate");
    assert.equal(headers["host"], server.base.slice("http://".length, -"/v1".length));
    assert.equal(headers["user-agent"], rt.DEFAULT_USER_AGENT);
  } finally {
    await server.close();
  }
});

for (const [name, options] of TRANSPORTS) {
  test(name + ": a refused connection, a reset mid-body and a stalled body fail as they always did", async () => {
    const refused = await loopback(hang);
    const base = refused.base;
    await refused.close();
    const runtime = new rt.Runtime({ env: {}, ...options });
    assert.deepEqual(await failure(runtime.complete(call(base))), {
      name: "ProviderError",
      code: "R007",
      message: "openai-compatible m: connection failed",
      attempts: ["call reset", "retry reset"],
    });
    const reset = await loopback(resetMidBody);
    const stalled = await loopback(stallMidBody);
    try {
      assert.deepEqual(await failure(runtime.complete(call(reset.base))), {
        name: "ProviderError",
        code: "R007",
        message: "openai-compatible m: connection failed",
        attempts: ["call reset", "retry reset"],
      });
      assert.deepEqual(await failure(runtime.complete(call(stalled.base, { timeout: 0.2 }))), {
        name: "Timeout",
        code: "R005",
        message: "openai-compatible m: no complete answer within the attempt timeout of 0.2s",
        attempts: ["call timeout", "retry timeout"],
      });
    } finally {
      await reset.close();
      await stalled.close();
    }
  });

  test(name + ": a reset mid-body is retried, a 429's retry-after-ms is honoured, the request id read", async () => {
    const server = await loopback((req, res, n) => {
      if (n === 1) return resetMidBody(req, res, n);
      if (n === 2) {
        res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "5", "x-request-id": "req-429" });
        res.end(JSON.stringify({ error: { message: "slow down" } }));
        return;
      }
      ok(req, res, n);
    });
    try {
      const runtime = new rt.Runtime({ env: {}, ...options });
      const response = await runtime.complete(call(server.base, { retry: { ...RETRY, max_attempts: 3 } }));
      assert.equal(response.text, "hello");
      assert.equal(response.requestId, "req-1");
      assert.deepEqual(outline(response.attempts), ["call reset", "retry http 429", "retry ok"]);
      assert.equal(response.attempts[1]?.requestId, "req-429");
    } finally {
      await server.close();
    }
  });

  test(name + ": a gzip-compressed answer and a compressed event stream are decoded", async () => {
    const events =
      'data: {"choices":[{"index":0,"delta":{"content":"hel"}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n';
    const server = await loopback((req, res, n) => {
      assert.match(String(req.headers["accept-encoding"]), /gzip/);
      const stream = n > 1;
      res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(stream ? events : ANSWER));
    });
    try {
      const runtime = new rt.Runtime({ env: {}, ...options });
      assert.equal((await runtime.complete(call(server.base))).text, "hello");
      const deltas: string[] = [];
      for await (const event of runtime.stream(call(server.base))) {
        if (event.type === "delta") deltas.push(event.text);
        if (event.type === "completed") assert.equal(event.response.text, "hello");
      }
      assert.deepEqual(deltas, ["hel", "lo"]);
    } finally {
      await server.close();
    }
  });
}

test("a route's headers replace the transport's own; a base URL's credentials go as Basic auth", async () => {
  const server = await loopback(ok);
  try {
    const runtime = new rt.Runtime({ env: {} });
    const route: rt.ModelRoute = { provider: "openai-compatible", model: "m", base_url: server.base, headers: { "accept-encoding": "identity", "X-Team": "a" } };
    await runtime.complete({ ...call(server.base), route });
    const withCredentials = server.base.replace("http://", "http://us%40er:p%3Ass@");
    await runtime.complete(call(withCredentials));
    const [first, second] = server.requests.map((req) => req.headers);
    assert.equal(first?.["accept-encoding"], "identity");
    assert.equal(first?.["x-team"], "a");
    assert.equal(first?.["authorization"], undefined);
    assert.equal(second?.["authorization"], "Basic " + Buffer.from("us@er:p:ss").toString("base64"));
    assert.equal(server.requests[1]?.url, "/v1/chat/completions");
  } finally {
    await server.close();
  }
});

test("a redirect is not followed, as in the Python runtime: the attempt's answer is not JSON", async () => {
  const server = await loopback((_req, res) => {
    res.writeHead(307, { location: "/elsewhere" });
    res.end();
  });
  try {
    const runtime = new rt.Runtime({ env: {} });
    assert.deepEqual(await failure(runtime.complete(call(server.base, { retry: { ...RETRY, max_attempts: 1 } }))), {
      name: "ProviderError",
      code: "R007",
      message: "openai-compatible m: malformed response: not JSON",
      attempts: ["call malformed"],
    });
    assert.deepEqual(server.requests.map((req) => req.url), ["/v1/chat/completions"]);
  } finally {
    await server.close();
  }
});

test("one caller signal cancels every call in flight under it, each with its own Cancelled", async () => {
  const server = await loopback(hang);
  try {
    const runtime = new rt.Runtime({ env: {} });
    const controller = new AbortController();
    const calls = Array.from({ length: 20 }, () => failure(runtime.complete(call(server.base, { signal: controller.signal }))));
    while (server.requests.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    for (const ended of await Promise.all(calls)) {
      assert.deepEqual(ended, { name: "Cancelled", code: "R009", message: "the call was cancelled: This operation was aborted", attempts: ["call cancelled"] });
    }
  } finally {
    await server.close();
  }
});

test("https through an Agent of one's own (here one that trusts a test certificate); the shared Agent refuses it", async () => {
  const server = await loopback(ok, true);
  const agent = new HttpsAgent({ keepAlive: true, ca: CERT });
  try {
    const runtime = new rt.Runtime({ env: {}, agents: { https: agent } });
    for (let i = 0; i < 3; i++) assert.equal((await runtime.complete(call(server.base))).text, "hello");
    assert.equal(server.connections(), 1);
    const untrusting = new rt.Runtime({ env: {} });
    assert.deepEqual(await failure(untrusting.complete(call(server.base))), {
      name: "ProviderError",
      code: "R007",
      message: "openai-compatible m: connection failed",
      attempts: ["call reset", "retry reset"],
    });
  } finally {
    agent.destroy();
    await server.close();
  }
});

test("a process exits when its calls are done, idle keep-alive connections or not", async () => {
  const server = await loopback(ok, false, 600_000); // the server never closes an idle connection
  try {
    const index = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "index.js");
    const script =
      "const rt = await import(process.argv[1]);" +
      "const runtime = new rt.Runtime({ env: {} });" +
      "const route = { provider: 'openai-compatible', model: 'm', base_url: process.argv[2] };" +
      "const r = await runtime.complete({ route, instructions: 'x', input: {} });" +
      "console.log(r.text);";
    // Asynchronously: this process serves the child's call. A child held up by its idle
    // connection would be killed after 20 s, and fail the test.
    const child = await new Promise<{ failed: string | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--input-type=module", "-e", script, index, server.base], { timeout: 20_000 }, (error, stdout) =>
        resolve({ failed: error === null ? null : error.message, stdout }),
      );
    });
    assert.deepEqual(child, { failed: null, stdout: "hello\n" });
    assert.equal(server.connections(), 1);
  } finally {
    await server.close();
  }
});
