// How the runtime sends its requests. By default: plain (non-streaming) requests with the lean
// HTTP/1.1 client of src/h1.ts (keep-alive connections over node:net / node:tls, about a
// quarter of node:http's CPU per call), streamed ones with `node:http` / `node:https` over
// keep-alive Agents shared by every Runtime in the process (about a third of the CPU of Node's
// global fetch, undici, per request). A Runtime given Agents of its own sends every request of
// their scheme through them; a fetch the caller passes (`Runtime`'s `fetch` option) is used
// instead of all of these, as before.
//
// The shared Agents keep every connection alive and open as many as there are calls in flight
// (`maxSockets: Infinity`, as fetch does): the callers bound the concurrency (a scatter's
// `concurrency`), so the connections follow it; up to MAX_FREE_SOCKETS idle connections per
// host are kept for the next calls (the Go runtime keeps 256 too), each for IDLE_TIMEOUT.
// Bodies compressed with gzip, deflate or br are decoded, as fetch decodes them.

import * as http from "node:http";
import * as https from "node:https";
import { pipeline, type Readable } from "node:stream";
import * as zlib from "node:zlib";

import { ACCEPT_ENCODING, IDLE_TIMEOUT, MAX_FREE_SOCKETS, h1Transport, targetOf, type Target } from "./h1.js";

/** Response headers as the runtime reads them: fetch's `Headers`, or anything with `get`. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/** What a Transport needs of an AbortSignal (an AbortSignal is one). */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** One request of an attempt. */
export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
  /** Aborts the request, and the reading of its response body. */
  signal: AbortLike;
  /** The body will be read as it arrives (an event stream): a hint, transports may ignore it. */
  stream?: boolean | undefined;
}

/** What the runtime reads of a response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: HeaderLookup;
  /** The whole body, decoded as UTF-8. */
  text(): Promise<string>;
  /** The body's bytes as they arrive (streaming); null when there is none. */
  readonly body: AsyncIterable<Uint8Array> | null;
  /**
   * The reader is done with `body`. `atEnd`: it left at the stream's last event, so the rest
   * of the body may be read (and dropped) to keep the connection for the next call; else (an
   * error) the connection is closed. Optional: without it, leaving `body` is the end of it.
   */
  release?(atEnd: boolean): void;
}

/**
 * What is read of a streamed body after its last event, at most: servers send the chunked
 * body's end in a write of its own a moment later, and only a body read to its end leaves its
 * connection to the Agent for the next call (the Python and Go runtimes read the same).
 */
export const DRAIN_WAIT = 1; // seconds
export const DRAIN_LIMIT = 64 * 1024; // bytes

/** Sends one request; rejects when there is no response (connection refused, reset, aborted). */
export type Transport = (url: string, request: HttpRequest) => Promise<HttpResponse>;

/** A `fetch` as the runtime calls it (a subset of the global fetch's signature). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The Agents of the `node:http` transport: one per scheme; yours replace the shared ones. */
export interface Agents {
  http?: http.Agent | undefined;
  https?: https.Agent | undefined;
}

const AGENT_OPTIONS = {
  keepAlive: true,
  maxSockets: Infinity,
  maxFreeSockets: MAX_FREE_SOCKETS,
  scheduling: "lifo",
  timeout: IDLE_TIMEOUT * 1000,
} as const;

let shared: { http: http.Agent; https: https.Agent } | null = null;

/** The keep-alive Agents every Runtime without Agents of its own shares (made on first use). */
export function sharedAgents(): { http: http.Agent; https: https.Agent } {
  if (shared === null) shared = { http: new http.Agent(AGENT_OPTIONS), https: new https.Agent(AGENT_OPTIONS) };
  return shared;
}

/** `signal` as an AbortSignal (fetch takes nothing else). */
function abortSignal(signal: AbortLike): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}

/** A Transport over a fetch: the same requests, fetch's own response. */
export function fetchTransport(fetchImpl: FetchLike): Transport {
  return async (url, request) => {
    const init = { method: request.method, headers: request.headers, body: request.body, signal: abortSignal(request.signal) };
    const response = await fetchImpl(url, init);
    return {
      status: response.status,
      headers: response.headers,
      text: () => response.text(),
      body: response.body as unknown as AsyncIterable<Uint8Array> | null,
    };
  };
}

/** Response headers of node:http (names in lower case; repeated ones joined as fetch joins them). */
class NodeHeaders implements HeaderLookup {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return typeof value === "string" ? value : value.join(", ");
  }
}

/** A response of node:http: its body read once, as text or as bytes. */
class NodeResponse implements HttpResponse {
  readonly status: number;
  readonly headers: HeaderLookup;
  readonly body: AsyncIterable<Uint8Array>;
  private failure: Error | null = null;
  private fail: ((error: Error) => void) | null = null;
  constructor(
    private readonly message: http.IncomingMessage,
    private readonly stream: Readable,
  ) {
    this.status = message.statusCode ?? 0;
    this.headers = new NodeHeaders(message.headers);
    // Leaving the iteration leaves the stream as it is: `release` says what becomes of it.
    this.body = { [Symbol.asyncIterator]: () => stream.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array> };
    // A reset mid-body is an error here (ECONNRESET "aborted"), never an uncaught one.
    stream.on("error", (error: Error) => {
      this.failure = error;
      this.fail?.(error);
    });
  }

  /**
   * Left at its last event: the rest of the body is read and dropped in the background, at
   * most DRAIN_LIMIT bytes for at most DRAIN_WAIT; a body that ended within that leaves its
   * socket to the Agent, one that did not has it destroyed. Left by an error: destroyed now.
   * Neither the timer nor the socket keeps the process alive meanwhile.
   */
  release(atEnd: boolean): void {
    const { message, stream } = this;
    if (stream.destroyed || stream.readableEnded) return;
    const close = (): void => {
      stream.destroy();
      message.destroy(); // an IncomingMessage destroyed before its end destroys its socket
    };
    if (!atEnd) {
      close();
      return;
    }
    let read = 0;
    const timer = setTimeout(close, DRAIN_WAIT * 1000);
    timer.unref();
    const done = (): void => clearTimeout(timer);
    stream.once("end", done);
    stream.once("close", done);
    stream.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_LIMIT) close();
    });
    message.socket?.unref(); // the Agent refs it again when it hands it to the next request
    stream.resume();
  }

  text(): Promise<string> {
    const stream = this.stream;
    return new Promise<string>((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      this.fail = reject;
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.once("end", () => {
        const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString("utf8");
        resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // a BOM goes, as in fetch
      });
    });
  }
}

/**
 * The request's header lines: Host (unless given), the request's own, Content-Length, and
 * Accept-Encoding and Authorization unless given. As a list, node:http writes them as they
 * are (still validated) instead of setting them one by one: a fifth of a request's CPU.
 */
function headerLines(target: Target, headers: Record<string, string>, body: string): string[] {
  let encoding = false;
  let authorization = false;
  const lines: string[] = ["Host", target.host]; // names and values in turn, as rawHeaders
  for (const name in headers) {
    const lowered = name.toLowerCase();
    if (lowered === "content-length") continue;
    if (lowered === "host") {
      lines[1] = headers[name] as string;
      continue;
    }
    if (lowered === "accept-encoding") encoding = true;
    else if (lowered === "authorization") authorization = true;
    lines.push(name, headers[name] as string);
  }
  lines.push("Content-Length", String(Buffer.byteLength(body)));
  if (!encoding) lines.push("Accept-Encoding", ACCEPT_ENCODING);
  if (!authorization && target.authorization !== null) lines.push("Authorization", target.authorization);
  return lines;
}

/** The body as it is read: decoded when the server compressed it. */
function decoded(message: http.IncomingMessage): Readable {
  const encoding = (message.headers["content-encoding"] ?? "").trim().toLowerCase();
  let decoder: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null = null;
  // Flushing every chunk keeps a compressed event stream streaming.
  if (encoding === "gzip" || encoding === "x-gzip") decoder = zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH });
  else if (encoding === "deflate") decoder = zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH });
  else if (encoding === "br") decoder = zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH });
  if (decoder === null) return message;
  return pipeline(message, decoder, () => undefined);
}

/**
 * The `node:http` / `node:https` Transport over `agents` (default: the shared keep-alive
 * Agents). `Content-Length` is set from the body; `Accept-Encoding: gzip, deflate` unless the
 * headers name one (gzip, deflate and br answers are decoded).
 */
export function nodeTransport(agents: Agents = {}): Transport {
  return (url, request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const signal = request.signal;
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const target = targetOf(url);
      const secure = target.secure;
      const agent = secure ? (agents.https ?? sharedAgents().https) : (agents.http ?? sharedAgents().http);
      let stream: Readable | null = null;
      const onAbort = (): void => {
        const reason: unknown = signal.reason;
        const error = reason instanceof Error ? reason : new Error("aborted");
        req.destroy(error);
        stream?.destroy(error);
      };
      const options: http.RequestOptions = {
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: request.method,
        headers: headerLines(target, request.headers, request.body),
        agent,
      };
      const req = (secure ? https : http).request(options, (message) => {
        stream = decoded(message);
        stream.once("close", () => signal.removeEventListener("abort", onAbort));
        resolve(new NodeResponse(message, stream));
      });
      req.on("error", (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error); // no effect once there is a response: its body's reader sees the error
      });
      signal.addEventListener("abort", onAbort, { once: true });
      req.end(request.body);
    });
}

/**
 * The transport a Runtime uses: `fetch` when one is given; else the lean HTTP/1.1 client for
 * plain requests to a scheme without an Agent in `agents`, and node:http over `agents` (default:
 * the shared keep-alive Agents) for streamed requests and for the schemes with an Agent.
 */
export function defaultTransport(fetchImpl: FetchLike | undefined, agents: Agents | undefined): Transport {
  if (fetchImpl !== undefined) return fetchTransport(fetchImpl);
  const node = nodeTransport(agents);
  const lean = h1Transport();
  const ownHttp = agents?.http !== undefined;
  const ownHttps = agents?.https !== undefined;
  return (url, request) => {
    if (request.stream === true) return node(url, request);
    if (ownHttp || ownHttps) {
      if (/^https:/i.test(url) ? ownHttps : ownHttp) return node(url, request);
    }
    return lean(url, request);
  };
}
