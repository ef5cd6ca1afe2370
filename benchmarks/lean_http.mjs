// Go/no-go probe: the bare node:http keep-alive loop of benchmarks/sdks.py (NODE_RUNNER's "http"
// mode) against the same loop over net.Socket connections pooled here, with a small HTTP/1.1
// response parser (Content-Length and chunked framing). Not part of any package.
//
//   node benchmarks/lean_http.mjs http|lean URL ITEMS CONCURRENCY
//
// Prints {"wall": seconds, "cpu": µs of user + system CPU per call}.
import http from "node:http";
import net from "node:net";

const [mode, url, items, concurrency] = [process.argv[2], process.argv[3],
  Number(process.argv[4]), Number(process.argv[5])];
const payload = (i) => JSON.stringify({
  model: "bench",
  messages: [{ role: "system", content: "inc" }, { role: "user", content: JSON.stringify({ n: i }) }],
  response_format: { type: "json_object" },
});

const CRLF2 = Buffer.from("\r\n\r\n");

// One connection: at most one request in flight; persistent listeners, per-request state.
class Conn {
  constructor(pool, socket) {
    this.pool = pool;
    this.socket = socket;
    this.pending = null; // { resolve, reject }
    this.buf = null;
    this.reset();
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new Error("socket closed")));
  }
  reset() {
    this.status = 0;
    this.headers = null;
    this.length = -1; // Content-Length, or -1 chunked / until close
    this.chunked = false;
    this.body = [];
    this.got = 0;
    this.chunkLeft = -1;
    this.close = false;
  }
  send(head, body, pending) {
    this.pending = pending;
    this.socket.write(head + body);
  }
  fail(err) {
    this.pool.drop(this);
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(err);
  }
  onData(chunk) {
    if (!this.pending) { this.socket.destroy(); return; }
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = null;
    let at = 0;
    if (this.headers === null) {
      const end = buf.indexOf(CRLF2);
      if (end < 0) { this.buf = buf; return; }
      const lines = buf.latin1Slice(0, end).split("\r\n");
      this.status = Number(lines[0].slice(9, 12));
      const headers = new Map();
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i];
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        const seen = headers.get(name);
        headers.set(name, seen === undefined ? value : `${seen}, ${value}`);
      }
      this.headers = headers;
      const te = headers.get("transfer-encoding");
      if (te !== undefined && te.toLowerCase().includes("chunked")) this.chunked = true;
      else if (headers.has("content-length")) this.length = Number(headers.get("content-length"));
      this.close = (headers.get("connection") || "").toLowerCase() === "close";
      at = end + 4;
    }
    if (!this.chunked) {
      if (at < buf.length) {
        const part = at === 0 ? buf : buf.subarray(at);
        this.body.push(part);
        this.got += part.length;
      }
      if (this.length >= 0 && this.got >= this.length) this.done();
      return;
    }
    while (at < buf.length) {
      if (this.chunkLeft < 0) {
        const eol = buf.indexOf("\r\n", at);
        if (eol < 0) { this.buf = buf.subarray(at); return; }
        const size = parseInt(buf.latin1Slice(at, eol), 16);
        at = eol + 2;
        if (size === 0) {
          // trailers: wait for the empty line
          const end = buf.indexOf("\r\n", at);
          if (end < 0) { this.buf = Buffer.concat([Buffer.from("0\r\n"), buf.subarray(at)]); at = buf.length; this.chunkLeft = -1; return; }
          this.done();
          return;
        }
        this.chunkLeft = size;
      }
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, buf.length - at);
        this.body.push(buf.subarray(at, at + take));
        this.chunkLeft -= take;
        at += take;
      }
      if (this.chunkLeft === 0) {
        if (buf.length - at < 2) { this.buf = buf.subarray(at); this.chunkLeft = 0; return; }
        at += 2;
        this.chunkLeft = -1;
      }
    }
  }
  done() {
    const p = this.pending;
    this.pending = null;
    const body = this.body.length === 1 ? this.body[0] : Buffer.concat(this.body);
    const status = this.status;
    const close = this.close;
    this.reset();
    if (close) { this.pool.drop(this); this.socket.destroy(); } else this.pool.release(this);
    p.resolve({ status, body });
  }
}

class Pool {
  constructor(host, port) { this.host = host; this.port = port; this.idle = []; }
  acquire() {
    const c = this.idle.pop();
    if (c) return c;
    return new Conn(this, net.connect({ host: this.host, port: this.port }));
  }
  release(c) { this.idle.push(c); }
  drop(c) { const i = this.idle.indexOf(c); if (i >= 0) this.idle.splice(i, 1); }
}

let wall;
const cpu0 = process.cpuUsage();
const target = new URL(`${url}/chat/completions`);
let post;
if (mode === "http") {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  post = (body) => new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const req = http.request(target, { method: "POST", agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => res.statusCode === 200
        ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`HTTP ${res.statusCode}`)));
    });
    req.on("error", reject);
    req.end(body);
  });
} else if (mode === "lean") {
  const pool = new Pool(target.hostname, Number(target.port || 80));
  const prefix = `POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
    "Content-Type: application/json\r\nContent-Length: ";
  post = (body) => new Promise((resolve, reject) => {
    const head = `${prefix}${Buffer.byteLength(body)}\r\n\r\n`;
    pool.acquire().send(head, body, {
      resolve: (r) => r.status === 200 ? resolve(r.body.toString()) : reject(new Error(`HTTP ${r.status}`)),
      reject,
    });
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
let next = 0;
const worker = async () => {
  while (next < items) {
    const text = await post(payload(next++));
    JSON.parse(JSON.parse(text).choices[0].message.content);
  }
};
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
wall = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu0);
console.log(JSON.stringify({ wall, cpu: (used.user + used.system) / items }));
process.exit(0);
