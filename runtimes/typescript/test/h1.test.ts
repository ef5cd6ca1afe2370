// The lean HTTP/1.1 client (src/h1.ts) against raw TCP servers on 127.0.0.1 that write their
// answers byte for byte: every split of a response across reads, chunked bodies, interim
// answers, keep-alive reuse, a server closing an idle connection, `Connection: close`,
// bodies read until the close, resets, malformed answers, aborts, compressed bodies, and
// https with the default CA store (a child process trusting the test certificate).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import type { TLSSocket } from "node:tls";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync } from "node:zlib";

import * as rt from "../src/index.js";
import { CERT, KEY } from "./tls.js";

/** One request as the raw server read it. */
interface Raw {
  head: string;
  body: string;
}

type RawHandler = (socket: Socket, request: Raw, n: number) => void;

interface RawServer {
  url: string;
  connections: () => number;
  /** Connections the server still has open. */
  open: () => number;
  requests: Raw[];
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that reads HTTP/1.1 requests (Content-Length bodies) and hands each to `handler`. */
async function rawServer(handler: RawHandler): Promise<RawServer> {
  const requests: Raw[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffered.toString("latin1", 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? "0");
        if (buffered.length < end + 4 + length) return;
        const body = buffered.toString("utf8", end + 4, end + 4 + length);
        buffered = buffered.subarray(end + 4 + length);
        requests.push({ head, body });
        handler(socket, { head, body }, requests.length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: "http://127.0.0.1:" + port + "/v1/chat/completions",
    connections: () => connections,
    open: () => sockets.size,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const ANSWER = JSON.stringify({ id: "c1", choices: [{ index: 0, message: { role: "assistant", content: "héllo" } }] });
const BYTES = Buffer.from(ANSWER);

const withLength = (extra = ""): Buffer =>
  Buffer.concat([
    Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r1\r\nX-Twice: a\r\nx-twice: b\r\n" + extra + "Content-Length: " + BYTES.length + "\r\n\r\n"),
    BYTES,
  ]);

/** A 100 Continue, then the answer in three chunks (one with an extension), then a trailer. */
const chunked = (): Buffer => {
  const [a, b, c] = [BYTES.subarray(0, 10), BYTES.subarray(10, 11), BYTES.subarray(11)];
  return Buffer.concat([
    Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-Request-Id: r2\r\n\r\n"),
    Buffer.from(a.length.toString(16) + ";name=value\r\n"),
    a,
    Buffer.from("\r\n" + b.length.toString(16) + "\r\n"),
    b,
    Buffer.from("\r\n" + c.length.toString(16).toUpperCase() + "\r\n"),
    c,
    Buffer.from("\r\n0\r\nX-Trailer: t\r\n\r\n"),
  ]);
};

const transport = rt.h1Transport();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function post(url: string, options: { signal?: AbortSignal; headers?: Record<string, string>; body?: string } = {}): Promise<rt.HttpResponse> {
  return transport(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: options.body ?? '{"n":1}',
    signal: options.signal ?? new AbortController().signal,
  });
}

/** Writes `bytes` in two parts, the first `at` bytes long, a little apart (two reads for the client). */
function writeSplit(socket: Socket, bytes: Buffer, at: number): void {
  socket.write(bytes.subarray(0, at));
  setTimeout(() => socket.write(bytes.subarray(at)), 1);
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(5);
  assert.ok(condition(), "the condition did not come true within 2 s");
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, String(error));
    return error;
  }
  assert.fail("no rejection");
}

for (const [name, answer, status, requestId] of [
  ["Content-Length", withLength(), 200, "r1"],
  ["chunked (after a 100 Continue, with an extension and a trailer)", chunked(), 201, "r2"],
] as const) {
  test("a " + name + " answer split at every byte boundary is read whole, over one connection", async () => {
    const server = await rawServer((socket, _request, n) => writeSplit(socket, answer, n));
    try {
      for (let at = 1; at < answer.length; at++) {
        const response = await post(server.url);
        assert.equal(response.status, status);
        assert.equal(response.headers.get("X-REQUEST-ID"), requestId);
        assert.equal(await response.text(), ANSWER, "split at " + at);
      }
      assert.equal(server.connections(), 1);
      assert.equal(rt.idleConnections(server.url), 1);
    } finally {
      await server.close();
    }
  });
}

test("the request: its head, Host, Content-Length in bytes, Accept-Encoding, keep-alive, Basic credentials; invalid headers refused", async () => {
  const server = await rawServer((socket) => socket.write(withLength()));
  try {
    const response = await post(server.url, { headers: { "X-Team": "a" }, body: '{"é":1}' });
    assert.equal(response.headers.get("x-twice"), "a, b");
    assert.equal(response.headers.get("absent"), null);
    await response.text();
    const host = new URL(server.url).host;
    const [request] = server.requests;
    assert.equal(
      request?.head,
      "POST /v1/chat/completions HTTP/1.1\r\nHost: " + host + "\r\ncontent-type: application/json\r\nX-Team: a\r\n" +
        "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nContent-Length: 8",
    );
    assert.equal(request?.body, '{"é":1}');
    await (await post(server.url.replace("http://", "http://us%40er:p%3Ass@"), { headers: { "accept-encoding": "identity" } })).text();
    assert.match(server.requests[1]?.head ?? "", /\r\nauthorization: Basic dXNAZXI6cDpzcw==\r\n/i);
    assert.doesNotMatch(server.requests[1]?.head ?? "", /gzip/);
    for (const headers of [{ "x-bad": "a\r\nx-injected: 1" }, { "bad name": "a" }] as Array<Record<string, string>>) {
      assert.ok((await rejection(post(server.url, { headers }))) instanceof TypeError);
    }
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test("calls in flight each get a connection; the connections are kept and reused, none leaks", async () => {
  const server = await rawServer((socket) => setTimeout(() => socket.write(withLength()), 5));
  try {
    for (let round = 0; round < 3; round++) {
      const texts = await Promise.all(Array.from({ length: 10 }, async () => (await post(server.url)).text()));
      assert.deepEqual(new Set(texts), new Set([ANSWER]));
    }
    assert.equal(server.connections(), 10);
    assert.equal(rt.idleConnections(server.url), 10);
    assert.equal(server.open(), 10);
  } finally {
    await server.close();
  }
  await until(() => rt.idleConnections(server.url) === 0);
});

test("a connection the server closes while idle is dropped; the next call opens a new one", async () => {
  const server = await rawServer((socket) => {
    socket.write(withLength());
    setTimeout(() => socket.end(), 20);
  });
  try {
    assert.equal(await (await post(server.url)).text(), ANSWER);
    await until(() => rt.idleConnections(server.url) === 0);
    assert.equal(await (await post(server.url)).text(), ANSWER);
    assert.equal(server.connections(), 2);
  } finally {
    await server.close();
  }
});

test("Connection: close (or HTTP/1.0 without keep-alive) is honoured: the connection is not reused", async () => {
  const server = await rawServer((socket, _request, n) => {
    if (n === 1) socket.write(withLength("Connection: close\r\n"));
    else if (n === 2) socket.write(Buffer.concat([Buffer.from("HTTP/1.0 200 OK\r\nContent-Length: " + BYTES.length + "\r\n\r\n"), BYTES]));
    else if (n === 3) socket.write(Buffer.concat([Buffer.from("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: " + BYTES.length + "\r\n\r\n"), BYTES]));
    else socket.write(withLength());
  });
  try {
    for (let n = 1; n <= 4; n++) assert.equal(await (await post(server.url)).text(), ANSWER);
    assert.equal(server.connections(), 3); // the 3rd answer keeps its connection for the 4th
    await until(() => server.open() === 1);
    await (await post(server.url, { headers: { Connection: "close" } })).text(); // asked by the caller
    await until(() => server.open() === 0);
    assert.equal(rt.idleConnections(server.url), 0);
  } finally {
    await server.close();
  }
});

test("a body without a length is read until the server closes; an empty body (204, length 0, HEAD) ends with its head", async () => {
  const server = await rawServer((socket, _request, n) => {
    if (n === 1) {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
      writeSplit(socket, BYTES, 7);
      setTimeout(() => socket.end(), 20);
    } else if (n === 2) socket.write("HTTP/1.1 204 No Content\r\n\r\n");
    else if (n === 4) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"); // to a HEAD request: no body follows
    else socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  try {
    assert.equal(await (await post(server.url)).text(), ANSWER);
    const empty = await post(server.url);
    assert.equal(empty.status, 204);
    assert.equal(await empty.text(), "");
    assert.equal(await (await post(server.url)).text(), "");
    const head = await transport(server.url, { method: "HEAD", headers: {}, body: "", signal: new AbortController().signal });
    assert.equal(await head.text(), "");
    assert.equal(await (await post(server.url)).text(), "");
    assert.equal(server.connections(), 2);
  } finally {
    await server.close();
  }
});

test("a reset before the answer rejects the call; a reset mid-body rejects its text; malformed answers reject", async () => {
  const server = await rawServer((socket, _request, n) => {
    if (n === 1) socket.destroy();
    else if (n === 2) {
      socket.write(withLength().subarray(0, withLength().length - 5));
      setTimeout(() => socket.destroy(), 10);
    } else if (n === 3) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n");
    else if (n === 4) socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    else if (n === 5) socket.write("SMTP ready\r\n\r\n");
    else socket.write("HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(20_000));
  });
  try {
    assert.equal(((await rejection(post(server.url))) as NodeJS.ErrnoException).code, "ECONNRESET");
    const response = await post(server.url);
    assert.equal(response.status, 200);
    assert.equal(((await rejection(response.text())) as NodeJS.ErrnoException).code, "ECONNRESET");
    assert.match((await rejection(post(server.url))).message, /invalid Content-Length/);
    assert.match((await rejection((await post(server.url)).text())).message, /invalid chunk size/);
    assert.match((await rejection(post(server.url))).message, /invalid status line/);
    assert.match((await rejection(post(server.url))).message, /header overflow/);
    assert.equal(server.connections(), 6);
    await until(() => server.open() === 0);
    assert.equal(rt.idleConnections(server.url), 0);
  } finally {
    await server.close();
  }
});

test("an abort rejects with the signal's reason, before the answer or mid-body, and closes the connection", async () => {
  const server = await rawServer((socket, _request, n) => {
    if (n === 2) socket.write(withLength().subarray(0, withLength().length - 5)); // then nothing
  });
  try {
    const already = new AbortController();
    already.abort(new Error("too late"));
    assert.equal((await rejection(post(server.url, { signal: already.signal }))).message, "too late");
    assert.equal(server.requests.length, 0);

    const waiting = new AbortController();
    const pending = post(server.url, { signal: waiting.signal });
    await until(() => server.requests.length === 1);
    waiting.abort();
    assert.equal((await rejection(pending)).name, "AbortError");

    const reading = new AbortController();
    const response = await post(server.url, { signal: reading.signal });
    const text = response.text();
    reading.abort(new Error("stop"));
    assert.equal((await rejection(text)).message, "stop");
    await until(() => server.open() === 0);
    assert.equal(rt.idleConnections(server.url), 0);
  } finally {
    await server.close();
  }
});

test("gzip and br bodies are decoded; an unknown coding is read as it is", async () => {
  const encoded: Array<[string, Buffer]> = [
    ["gzip", gzipSync(BYTES)],
    ["br", brotliCompressSync(BYTES)],
    ["x-unknown", BYTES],
  ];
  const server = await rawServer((socket, _request, n) => {
    const [coding, body] = encoded[n - 1] as [string, Buffer];
    socket.write(Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nContent-Encoding: " + coding + "\r\nContent-Length: " + body.length + "\r\n\r\n"), body]));
  });
  try {
    for (let n = 0; n < encoded.length; n++) assert.equal(await (await post(server.url)).text(), ANSWER);
  } finally {
    await server.close();
  }
});

test("https to a host name: the name goes out as SNI and the certificate is checked against it; an IP address sends no SNI", async () => {
  const names: (string | false | null)[] = [];
  const server = createHttpsServer({ cert: CERT, key: KEY }, (req, res) => {
    req.resume();
    req.on("end", () => res.end(ANSWER));
  });
  server.on("secureConnection", (socket: TLSSocket) => names.push(socket.servername));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const dir = mkdtempSync(join(tmpdir(), "aiwf-h1-"));
  try {
    writeFileSync(join(dir, "ca.pem"), CERT);
    const index = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "index.js");
    const port = (server.address() as AddressInfo).port;
    const script =
      "const rt = await import(process.argv[1]); const send = rt.h1Transport(); const out = [];" +
      "for (const url of process.argv.slice(2)) { try { const r = await send(url, { method: 'POST', headers: {}, body: '{}', signal: new AbortController().signal }); out.push(r.status); } catch (e) { out.push(e.code); } }" +
      "console.log(out.join(','));";
    // localhost resolves to 127.0.0.1 (and maybe ::1 first, where nothing listens); the
    // certificate names both.
    const urls = [`https://localhost:${port}/v1`, `https://127.0.0.1:${port}/v1`];
    const child = await new Promise<{ failed: string | null; stdout: string }>((resolve) => {
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") };
      execFile(process.execPath, ["--input-type=module", "-e", script, index, ...urls], { env, timeout: 20_000 }, (error, stdout) =>
        resolve({ failed: error === null ? null : error.message, stdout }),
      );
    });
    assert.deepEqual(child, { failed: null, stdout: "200,200\n" });
    assert.deepEqual(names, ["localhost", false]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("https with the default CA store: a certificate it trusts (NODE_EXTRA_CA_CERTS) is used over one kept connection", async () => {
  let connections = 0;
  const server = createHttpsServer({ cert: CERT, key: KEY }, (req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(ANSWER);
    });
  });
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const dir = mkdtempSync(join(tmpdir(), "aiwf-h1-"));
  try {
    writeFileSync(join(dir, "ca.pem"), CERT);
    const index = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "index.js");
    const script =
      "const rt = await import(process.argv[1]); const send = rt.h1Transport(); const out = [];" +
      "for (let i = 0; i < 3; i++) { const r = await send(process.argv[2], { method: 'POST', headers: {}, body: '{}', signal: new AbortController().signal }); out.push(r.status + ' ' + (await r.text()).length); }" +
      "console.log(out.join(','));";
    const url = "https://127.0.0.1:" + (server.address() as AddressInfo).port + "/v1";
    const child = await new Promise<{ failed: string | null; stdout: string }>((resolve) => {
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") };
      execFile(process.execPath, ["--input-type=module", "-e", script, index, url], { env, timeout: 20_000 }, (error, stdout) =>
        resolve({ failed: error === null ? null : error.message, stdout }),
      );
    });
    const line = "200 " + ANSWER.length;
    assert.deepEqual(child, { failed: null, stdout: [line, line, line].join(",") + "\n" });
    assert.equal(connections, 1);
    // Without it the certificate is refused.
    assert.equal(((await rejection(transport(url, { method: "POST", headers: {}, body: "{}", signal: new AbortController().signal }))) as NodeJS.ErrnoException).code, "DEPTH_ZERO_SELF_SIGNED_CERT");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
