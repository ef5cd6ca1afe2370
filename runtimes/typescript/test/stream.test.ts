// Streamed calls and their connections, against servers on 127.0.0.1 that (like real
// providers) write the chunked body's terminator a moment after the last event: a stream left
// at its last event keeps its connection for the next call; one whose body does not end
// soon, or one left by an error or a cancellation, closes it.

import assert from "node:assert/strict";
import { Agent, createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";

import * as rt from "../src/index.js";

/** How a reply ends its body once its events are written: after `ms`, or never (null). */
type Ending = number | null;

interface Script {
  events: string[];
  end: Ending;
}

interface StreamServer {
  base: string;
  /** TCP connections accepted so far. */
  accepted: () => number;
  /** Connections closed so far. */
  closed: () => number;
  /** Resolves when the n-th answer (from 1) is over: written in full (terminator included), or cut off. */
  answered: (n: number) => Promise<void>;
  /** Resolves when `n` connections have been closed. */
  closedCount: (n: number) => Promise<void>;
  close(): Promise<void>;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 10_000) assert.fail(what);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A server answering the n-th request with the n-th script (the last repeats). */
async function streamServer(scripts: Script[]): Promise<StreamServer> {
  let accepted = 0;
  let closed = 0;
  let answered = 0;
  let requests = 0;
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const script = scripts[Math.min(requests++, scripts.length - 1)] as Script;
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const event of script.events) res.write(event + "\n\n"); // a chunk each
      res.on("close", () => answered++); // written in full, or its connection closed
      if (script.end !== null) setTimeout(() => res.end(), script.end);
    });
  });
  server.keepAliveTimeout = 60_000; // only the client closes a connection here
  server.on("connection", (socket) => {
    accepted++;
    socket.on("close", () => closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: "http://127.0.0.1:" + port,
    accepted: () => accepted,
    closed: () => closed,
    answered: (n) => until(() => answered >= n, "answer " + String(n) + " never ended"),
    closedCount: (n) => until(() => closed >= n, String(n) + " connection(s) never closed"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const data = (value: unknown): string => "data: " + JSON.stringify(value);

const COMPAT = [data({ choices: [{ index: 0, delta: { content: "hello" }, finish_reason: "stop" }] }), "data: [DONE]"];

const STREAMS: Record<string, { route: (base: string) => rt.ModelRoute; events: string[] }> = {
  "openai-compatible": { route: (base) => ({ provider: "openai-compatible", model: "m", base_url: base + "/v1" }), events: COMPAT },
  openai: {
    route: (base) => ({ provider: "openai", model: "m", base_url: base + "/v1" }),
    events: [
      data({ type: "response.output_text.delta", delta: "hello" }),
      data({ type: "response.completed", response: { status: "completed", output: [{ type: "message", content: [{ type: "output_text", text: "hello" }] }] } }),
    ],
  },
  anthropic: {
    route: (base) => ({ provider: "anthropic", model: "m", base_url: base }),
    events: [
      data({ type: "message_start", message: { id: "m1", model: "m" } }),
      data({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      data({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hello" } }),
      data({ type: "message_delta", delta: { stop_reason: "end_turn" } }),
      data({ type: "message_stop" }),
    ],
  },
};

const ENV = { OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant" };

/**
 * A runtime over an Agent that never closes an idle connection itself (the shared ones close
 * them after 4 s): a connection that closes was closed by the runtime.
 */
function keeping(): { runtime: rt.Runtime; agent: Agent } {
  const agent = new Agent({ keepAlive: true });
  return { runtime: new rt.Runtime({ env: ENV, agents: { http: agent } }), agent };
}
const RETRY: rt.RetrySpec = { max_attempts: 2, initial_delay: 0.001, max_delay: 0.002, deadline: null, repair_attempts: 0 };

function request(route: rt.ModelRoute, extra: Partial<rt.ModelRequest> = {}): rt.ModelRequest {
  return { route, instructions: "Say hello.", input: { n: 1 }, retry: RETRY, metadata: { alias: "fast" }, ...extra };
}

/** Streams a call to its end: its text and the attempts' outcomes. */
async function streamed(runtime: rt.Runtime, req: rt.ModelRequest): Promise<{ text: string; attempts: string[] }> {
  for await (const event of runtime.stream(req)) {
    if (event.type === "completed") return { text: event.response.text, attempts: event.response.attempts.map((a) => a.kind + " " + a.outcome) };
  }
  assert.fail("the stream ended without its response");
}

for (const [provider, { route, events }] of Object.entries(STREAMS)) {
  test(provider + ": three streamed calls in sequence, each body ended 50 ms after its last event, share one connection", async () => {
    const server = await streamServer([{ events, end: 50 }]);
    try {
      const runtime = new rt.Runtime({ env: ENV });
      for (let n = 1; n <= 3; n++) {
        assert.equal((await streamed(runtime, request(route(server.base)))).text, "hello");
        await server.answered(n); // the server wrote the body's end: the connection is idle
        await new Promise((resolve) => setTimeout(resolve, 50)); // and the client read it
      }
      assert.equal(server.accepted(), 1, String(server.accepted()) + " connections for three streamed calls");
    } finally {
      await server.close();
    }
  });
}

test("a stream whose body does not end after its last event: the call returns at once, its connection is closed later", async () => {
  const server = await streamServer([
    { events: COMPAT, end: null },
    { events: COMPAT, end: 10 },
  ]);
  const { runtime, agent } = keeping();
  try {
    assert.equal((await streamed(runtime, request(STREAMS["openai-compatible"]!.route(server.base)))).text, "hello");
    // The call has its result while its connection is still open (the rest of the body is read after).
    assert.equal(server.closed(), 0);
    await server.closedCount(1);
    assert.equal((await streamed(runtime, request(STREAMS["openai-compatible"]!.route(server.base)))).text, "hello");
    assert.equal(server.accepted(), 2);
  } finally {
    agent.destroy();
    await server.close();
  }
});

test("a stream left by an error mid-stream closes its connection; the retry opens another", async () => {
  const failing = [data({ choices: [{ index: 0, delta: { content: "hel" } }] }), data({ error: { type: "overloaded_error", message: "busy" } })];
  const server = await streamServer([
    { events: failing, end: 50 },
    { events: COMPAT, end: 50 },
  ]);
  const { runtime, agent } = keeping();
  try {
    const result = await streamed(runtime, request(STREAMS["openai-compatible"]!.route(server.base)));
    assert.deepEqual(result, { text: "hello", attempts: ["call error", "retry ok"] });
    await server.closedCount(1);
    assert.equal(server.accepted(), 2);
  } finally {
    agent.destroy();
    await server.close();
  }
});

test("a stream left by a cancellation closes its connection", async () => {
  const server = await streamServer([{ events: [COMPAT[0] as string], end: null }]);
  const { runtime, agent } = keeping();
  try {
    const controller = new AbortController();
    await assert.rejects(async () => {
      for await (const event of runtime.stream(request(STREAMS["openai-compatible"]!.route(server.base), { signal: controller.signal }))) {
        if (event.type === "delta") controller.abort();
      }
    }, rt.Cancelled);
    await server.closedCount(1);
  } finally {
    agent.destroy();
    await server.close();
  }
});

test("a stream with more than 64 KiB after its last event closes its connection, though its body ends", async () => {
  const tail = ": " + "x".repeat(200 * 1024); // a comment line after [DONE]
  const server = await streamServer([{ events: [...COMPAT, tail], end: 0 }]);
  const { runtime, agent } = keeping();
  try {
    assert.equal((await streamed(runtime, request(STREAMS["openai-compatible"]!.route(server.base)))).text, "hello");
    await server.closedCount(1); // the server would keep it (its keep-alive timeout is a minute)
    assert.equal((await streamed(runtime, request(STREAMS["openai-compatible"]!.route(server.base)))).text, "hello");
    assert.equal(server.accepted(), 2);
  } finally {
    agent.destroy();
    await server.close();
  }
});
