// The lean HTTP/1.1 client the default transport sends plain (non-streaming) requests with:
// keep-alive connections over node:net (node:tls for https) pooled here, one request in flight
// per connection, the request written in one piece, the response read by a small parser
// (Content-Length, chunked, or until the server closes). On a scatter of 100 calls in flight
// it spends about a quarter of the CPU per call of node:http, whose IncomingMessage streams,
// events and timers are most of a short call's cost (benchmarks/lean_http.mjs measures both).
//
// What it does not do is left to node:http (src/http.ts): streamed responses, and the
// requests of a Runtime given Agents of its own. The rules it keeps are node:http's: up to
// MAX_FREE_SOCKETS idle connections per host, each closed after IDLE_TIMEOUT (or a server's
// shorter `Keep-Alive: timeout=N`), a connection the server closed while idle dropped, a
// `Connection: close` answer (or an HTTP/1.0 one without keep-alive) not reused, idle
// connections never keeping the process alive; gzip, deflate and br bodies decoded.

import * as net from "node:net";
import * as tls from "node:tls";
import { urlToHttpOptions } from "node:url";
import * as zlib from "node:zlib";

import type { AbortLike, HeaderLookup, HttpRequest, HttpResponse, Transport } from "./http.js";

/** Idle keep-alive connections kept per host (by the lean client and the shared Agents). */
export const MAX_FREE_SOCKETS = 256;

/**
 * Seconds an idle keep-alive connection stays open (fetch's own default; a server's shorter
 * `Keep-Alive: timeout=N` hint wins): a connection the server is about to close is not
 * reused, which would fail the attempt with a reset. A call in flight is not affected.
 */
export const IDLE_TIMEOUT = 4;

/** What the default transports accept (the Python runtime's httpx asks for the same). */
export const ACCEPT_ENCODING = "gzip, deflate";

/** The longest response head (status line and headers) read, in bytes, as node:http's. */
const MAX_HEAD = 16 * 1024;

/** Where a URL points (host, port, path), parsed once per URL. */
export interface Target {
  secure: boolean;
  hostname: string;
  port: number;
  path: string;
  /** The Host header: host[:port], the port left out when it is the scheme's own. */
  host: string;
  /** Basic credentials of a URL that has them (`https://user:pass@host`). */
  authorization: string | null;
  /** The pool of its scheme, host and port (lean client). */
  pool: Pool | null;
}

const targets = new Map<string, Target>();
const MAX_TARGETS = 256;

/** Where `url` points; a TypeError for a scheme other than http and https. */
export function targetOf(url: string): Target {
  let found = targets.get(url);
  if (found === undefined) {
    const parsed = new URL(url);
    const secure = parsed.protocol === "https:";
    if (!secure && parsed.protocol !== "http:") throw new TypeError("unsupported URL scheme " + JSON.stringify(parsed.protocol));
    const options = urlToHttpOptions(parsed);
    found = {
      secure,
      hostname: options.hostname ?? "localhost",
      port: Number(options.port ?? "") || (secure ? 443 : 80),
      path: options.path ?? "/",
      host: parsed.host,
      authorization: options.auth ? "Basic " + Buffer.from(options.auth).toString("base64") : null,
      pool: null,
    };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, found);
  }
  return found;
}

/** A failure of the lean client: no (complete) response. `code` as node:http's errors have one. */
export class H1Error extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "H1Error";
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const NOT_ASCII = /[^\x00-\x7f]/;
const BAD_PATH = /[^\x21-\x7e\x80-\uffff]/;

/**
 * The request head: the request line, Host (unless given), the request's own headers,
 * Content-Length, and Accept-Encoding and Authorization unless given; invalid names or
 * values are a TypeError, as in node:http.
 */
function headOf(method: string, target: Target, headers: Record<string, string>, length: number): { text: string; close: boolean } {
  if (!TOKEN.test(method)) throw new TypeError("invalid HTTP method " + JSON.stringify(method));
  if (BAD_PATH.test(target.path)) throw new TypeError("request path contains unescaped characters");
  let host = target.host;
  let lines = "";
  let encoding = false;
  let authorization = false;
  let connection = false;
  let close = false;
  for (const name in headers) {
    const value = headers[name] as string;
    if (!TOKEN.test(name)) throw new TypeError("invalid header name " + JSON.stringify(name));
    if (BAD_VALUE.test(value)) throw new TypeError("invalid character in header " + JSON.stringify(name));
    const lowered = name.toLowerCase();
    if (lowered === "content-length" || lowered === "transfer-encoding") continue;
    if (lowered === "host") {
      host = value;
      continue;
    }
    if (lowered === "accept-encoding") encoding = true;
    else if (lowered === "authorization") authorization = true;
    else if (lowered === "connection") {
      connection = true;
      close = hasToken(value, "close");
    }
    lines += name + ": " + value + "\r\n";
  }
  if (!encoding) lines += "Accept-Encoding: " + ACCEPT_ENCODING + "\r\n";
  if (!authorization && target.authorization !== null) lines += "Authorization: " + target.authorization + "\r\n";
  if (!connection) lines += "Connection: keep-alive\r\n";
  const text = method + " " + target.path + " HTTP/1.1\r\nHost: " + host + "\r\n" + lines + "Content-Length: " + length + "\r\n\r\n";
  return { text, close };
}

/** Whether the comma-separated header `value` holds `token` (case-insensitive). */
function hasToken(value: string, token: string): boolean {
  for (const part of value.split(",")) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** Response headers: names in lower case, repeated ones joined with ", " (as fetch joins them). */
class H1Headers implements HeaderLookup {
  constructor(private readonly map: Map<string, string>) {}
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
}

/** A response of the lean client: its headers at once, its body when the last byte came. */
class H1Response implements HttpResponse {
  readonly headers: HeaderLookup;
  bytes: Buffer | null = null;
  failure: Error | null = null;
  private waiter: { resolve: (bytes: Buffer) => void; reject: (error: Error) => void } | null = null;
  constructor(
    readonly status: number,
    private readonly map: Map<string, string>,
  ) {
    this.headers = new H1Headers(map);
  }

  /** The body, complete. */
  complete(bytes: Buffer): void {
    this.bytes = bytes;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve(bytes);
  }

  /** The body will not come (reset, aborted, malformed). */
  fail(error: Error): void {
    if (this.bytes !== null || this.failure !== null) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  private raw(): Promise<Buffer> {
    if (this.bytes !== null) return Promise.resolve(this.bytes);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private async decoded(): Promise<Buffer> {
    const bytes = await this.raw();
    const encoding = (this.map.get("content-encoding") ?? "").trim().toLowerCase();
    if (encoding === "" || encoding === "identity" || bytes.length === 0) return bytes;
    const unzip =
      encoding === "gzip" || encoding === "x-gzip"
        ? zlib.gunzip
        : encoding === "deflate"
          ? zlib.inflate
          : encoding === "br"
            ? zlib.brotliDecompress
            : null;
    if (unzip === null) return bytes; // as node:http's transport: an unknown coding is read as it is
    return new Promise<Buffer>((resolve, reject) => unzip(bytes, (error, out) => (error ? reject(error) : resolve(out))));
  }

  async text(): Promise<string> {
    const text = (await this.decoded()).toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM goes, as in fetch
  }

  get body(): AsyncIterable<Uint8Array> {
    const decoded = (): Promise<Buffer> => this.decoded();
    return (async function* () {
      const bytes = await decoded();
      if (bytes.length > 0) yield bytes;
    })();
  }
}

/** Where the parser is in a response. */
const Phase = { Head: 0, Length: 1, ChunkSize: 2, ChunkData: 3, ChunkEnd: 4, Trailers: 5, UntilClose: 6 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** The request in flight on a connection. */
interface Exchange {
  resolve: (response: HttpResponse) => void;
  reject: (error: Error) => void;
  signal: AbortLike;
  onAbort: () => void;
  response: H1Response | null;
  /** The request asked for `Connection: close`. */
  close: boolean;
  /** A HEAD request: its answer has no body, whatever its headers say. */
  head: boolean;
}

const CRLF2 = Buffer.from("\r\n\r\n");

/** One keep-alive connection: at most one exchange at a time. */
class Conn {
  exchange: Exchange | null = null;
  /** When it went idle (ms, performance.now()) and how long it may stay so. */
  idleSince = 0;
  idleLimit = IDLE_TIMEOUT * 1000;
  private dead = false;
  private rest: Buffer | null = null;
  private phase: Phase = Phase.Head;
  private left = 0;
  private chunks: Buffer[] = [];
  private keepAlive = true;

  constructor(
    private readonly pool: Pool,
    readonly socket: net.Socket,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => {
      if (this.exchange !== null && this.phase === Phase.UntilClose && this.exchange.response !== null) this.finish(false);
      else this.kill(new H1Error("socket hang up", "ECONNRESET"));
    });
    socket.on("error", (error: Error) => this.kill(error));
    socket.on("close", () => this.kill(new H1Error("socket hang up", "ECONNRESET")));
  }

  get alive(): boolean {
    return !this.dead && !this.socket.destroyed;
  }

  /** Sends a request; `head` is its head (latin1 where not ASCII), `body` UTF-8. */
  send(head: string, body: string, exchange: Exchange): void {
    this.exchange = exchange;
    this.phase = Phase.Head;
    this.keepAlive = !exchange.close;
    this.socket.ref();
    if (!NOT_ASCII.test(head)) this.socket.write(head + body);
    else this.socket.write(Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body, "utf8")]));
  }

  /** Ends the connection and fails its exchange, if any, with `error`. */
  kill(error: Error): void {
    const exchange = this.exchange;
    this.exchange = null;
    if (!this.dead) {
      this.dead = true;
      this.pool.drop(this);
      this.socket.destroy();
    }
    if (exchange === null) return;
    exchange.signal.removeEventListener("abort", exchange.onAbort);
    if (exchange.response === null) exchange.reject(error);
    else exchange.response.fail(error);
  }

  private protocolError(message: string): void {
    this.kill(new H1Error("malformed HTTP response: " + message, "HPE_INVALID"));
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === null) {
      this.kill(new H1Error("unexpected data on an idle connection", "HPE_INVALID"));
      return;
    }
    let buf = chunk;
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let at = 0;
    while (this.exchange === exchange) {
      switch (this.phase) {
        case Phase.Head: {
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD) return this.protocolError("header overflow");
            this.rest = at === 0 ? buf : buf.subarray(at);
            return;
          }
          if (end - at > MAX_HEAD) return this.protocolError("header overflow");
          const head = buf.toString("latin1", at, end);
          at = end + 4;
          if (!this.onHead(head, exchange)) return;
          break;
        }
        case Phase.Length: {
          const take = Math.min(this.left, buf.length - at);
          if (take > 0) this.chunks.push(at === 0 && take === buf.length ? buf : buf.subarray(at, at + take));
          this.left -= take;
          at += take;
          if (this.left > 0) return;
          this.finish(at < buf.length);
          return;
        }
        case Phase.UntilClose: {
          if (at < buf.length) this.chunks.push(at === 0 ? buf : buf.subarray(at));
          return;
        }
        case Phase.ChunkSize: {
          const eol = buf.indexOf("\r\n", at, "latin1");
          if (eol < 0) {
            if (buf.length - at > 1024) return this.protocolError("chunk size line too long");
            this.rest = buf.subarray(at);
            return;
          }
          let line = buf.toString("latin1", at, eol);
          at = eol + 2;
          const semicolon = line.indexOf(";");
          if (semicolon >= 0) line = line.slice(0, semicolon);
          line = line.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(line)) return this.protocolError("invalid chunk size");
          this.left = parseInt(line, 16);
          this.phase = this.left === 0 ? Phase.Trailers : Phase.ChunkData;
          break;
        }
        case Phase.ChunkData: {
          const take = Math.min(this.left, buf.length - at);
          if (take > 0) this.chunks.push(buf.subarray(at, at + take));
          this.left -= take;
          at += take;
          if (this.left > 0) return;
          this.phase = Phase.ChunkEnd;
          break;
        }
        case Phase.ChunkEnd: {
          if (buf.length - at < 2) {
            if (at < buf.length) this.rest = buf.subarray(at);
            return;
          }
          if (buf[at] !== 13 || buf[at + 1] !== 10) return this.protocolError("no CRLF after a chunk");
          at += 2;
          this.phase = Phase.ChunkSize;
          break;
        }
        case Phase.Trailers: {
          const eol = buf.indexOf("\r\n", at, "latin1");
          if (eol < 0) {
            if (buf.length - at > MAX_HEAD) return this.protocolError("trailers too long");
            this.rest = buf.subarray(at);
            return;
          }
          const empty = eol === at;
          at = eol + 2;
          if (empty) {
            this.finish(at < buf.length);
            return;
          }
          break;
        }
      }
      // A body of no bytes ends where its head does: the Length case finishes it.
      if (at >= buf.length && !((this.phase as Phase) === Phase.Length && this.left === 0)) return;
    }
  }

  /** Reads a response head; false when the connection was failed. */
  private onHead(head: string, exchange: Exchange): boolean {
    const lines = head.split("\r\n");
    const statusLine = lines[0] as string;
    const match = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
    if (match === null) {
      this.protocolError("invalid status line");
      return false;
    }
    const status = Number(match[2]);
    if (status >= 100 && status < 200) {
      if (status === 101) {
        this.protocolError("unexpected 101 Switching Protocols");
        return false;
      }
      return true; // an interim answer (100 Continue, 103 Early Hints): the real one follows
    }
    const map = new Map<string, string>();
    let last = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const first = line.charCodeAt(0);
      if ((first === 32 || first === 9) && last !== "") {
        map.set(last, (map.get(last) as string) + " " + line.trim()); // obsolete line folding
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) {
        this.protocolError("invalid header line");
        return false;
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const seen = map.get(name);
      map.set(name, seen === undefined ? value : seen + ", " + value);
      last = name;
    }
    const connection = map.get("connection");
    if (match[1] === "0") this.keepAlive &&= connection !== undefined && hasToken(connection, "keep-alive");
    else if (connection !== undefined && hasToken(connection, "close")) this.keepAlive = false;
    const hint = map.get("keep-alive");
    if (hint !== undefined) {
      const seconds = /timeout=(\d+)/i.exec(hint);
      if (seconds !== null) this.idleLimit = Math.min(IDLE_TIMEOUT, Number(seconds[1])) * 1000;
    }
    const encoding = map.get("transfer-encoding");
    const length = map.get("content-length");
    this.chunks = [];
    if (status === 204 || status === 304 || exchange.head) {
      this.phase = Phase.Length;
      this.left = 0;
    } else if (encoding !== undefined) {
      const codings = encoding.split(",");
      if (length !== undefined) this.keepAlive = false; // both: chunked wins, the connection is not trusted again
      if ((codings[codings.length - 1] as string).trim().toLowerCase() === "chunked") this.phase = Phase.ChunkSize;
      else {
        this.phase = Phase.UntilClose;
        this.keepAlive = false;
      }
    } else if (length !== undefined) {
      const values = length.split(",").map((part) => part.trim());
      if (!values.every((value) => value === values[0]) || !/^\d{1,15}$/.test(values[0] as string)) {
        this.protocolError("invalid Content-Length");
        return false;
      }
      this.phase = Phase.Length;
      this.left = Number(values[0]);
    } else {
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    }
    const response = new H1Response(status, map);
    exchange.response = response;
    exchange.resolve(response);
    return true;
  }

  /** The body is complete; `extra`: bytes came after it (the connection is not reused). */
  private finish(extra: boolean): void {
    const exchange = this.exchange as Exchange;
    const chunks = this.chunks;
    this.chunks = [];
    this.exchange = null;
    this.rest = null;
    exchange.signal.removeEventListener("abort", exchange.onAbort);
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    if (this.keepAlive && !extra && !this.dead) this.pool.release(this);
    else if (!this.dead) {
      this.dead = true;
      this.pool.drop(this);
      this.socket.destroy();
    }
    (exchange.response as H1Response).complete(bytes);
  }
}

/** The keep-alive connections of one scheme, host and port. */
class Pool {
  private readonly idle: Conn[] = [];
  private session: Buffer | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly target: Target) {}

  /** An idle connection still fit for a request, else a new one. */
  acquire(): Conn {
    const now = performance.now();
    for (let conn = this.idle.pop(); conn !== undefined; conn = this.idle.pop()) {
      if (conn.alive && now - conn.idleSince < conn.idleLimit) return conn;
      conn.kill(new H1Error("idle connection expired", "ECONNRESET"));
    }
    return new Conn(this, this.connect());
  }

  private connect(): net.Socket {
    const { hostname, port } = this.target;
    if (!this.target.secure) return net.connect({ host: hostname, port });
    const options: tls.ConnectionOptions = { host: hostname, port, ALPNProtocols: ["http/1.1"] };
    if (net.isIP(hostname) === 0) options.servername = hostname;
    if (this.session !== null) options.session = this.session;
    const socket = tls.connect(options);
    socket.once("session", (session: Buffer) => (this.session = session));
    return socket;
  }

  release(conn: Conn): void {
    if (this.idle.length >= MAX_FREE_SOCKETS) {
      conn.kill(new H1Error("too many idle connections", "ECONNRESET"));
      return;
    }
    conn.idleSince = performance.now();
    conn.socket.unref();
    this.idle.push(conn);
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweep(), 1000);
      this.sweeper.unref();
    }
  }

  /** Closes the idle connections past their limit (the oldest are first). */
  private sweep(): void {
    const now = performance.now();
    while (this.idle.length > 0) {
      const oldest = this.idle[0] as Conn;
      if (oldest.alive && now - oldest.idleSince < oldest.idleLimit) break;
      this.idle.shift();
      oldest.kill(new H1Error("idle connection expired", "ECONNRESET"));
    }
    if (this.idle.length === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  drop(conn: Conn): void {
    const at = this.idle.lastIndexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** Idle connections (for tests). */
  get size(): number {
    return this.idle.length;
  }
}

const pools = new Map<string, Pool>();

function poolOf(target: Target): Pool {
  let pool = target.pool;
  if (pool === null) {
    const key = (target.secure ? "https://" : "http://") + target.hostname + ":" + target.port;
    pool = pools.get(key) ?? null;
    if (pool === null) {
      pool = new Pool(target);
      pools.set(key, pool);
    }
    target.pool = pool;
  }
  return pool;
}

/** Idle connections the lean client keeps open to `url`'s scheme, host and port (for tests). */
export function idleConnections(url: string): number {
  const target = targetOf(url);
  const pool = pools.get((target.secure ? "https://" : "http://") + target.hostname + ":" + target.port);
  return pool === undefined ? 0 : pool.size;
}

/**
 * The lean HTTP/1.1 Transport: keep-alive connections shared by every Runtime in the
 * process; `Content-Length` is set from the body, `Accept-Encoding: gzip, deflate` unless the
 * headers name one. It resolves at the response's head; its `text()` when the body is in.
 * An abort rejects with the signal's reason (an Error) and closes the connection.
 */
export function h1Transport(): Transport {
  return (url: string, request: HttpRequest) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const signal = request.signal;
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const target = targetOf(url);
      const body = request.body;
      const head = headOf(request.method, target, request.headers, Buffer.byteLength(body));
      const conn = poolOf(target).acquire();
      const exchange: Exchange = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const reason: unknown = signal.reason;
          conn.kill(reason instanceof Error ? reason : new Error("aborted"));
        },
        response: null,
        close: head.close,
        head: request.method === "HEAD",
      };
      signal.addEventListener("abort", exchange.onAbort, { once: true });
      conn.send(head.text, body, exchange);
    });
}
