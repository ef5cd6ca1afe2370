// Loopback servers for the runtime's tests: record every request's raw body and headers, and
// answer with scripted replies.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  raw: string;
  body: unknown;
}

export type Reply = (res: ServerResponse, seen: Seen, n: number) => void;

export interface Server {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 answering the n-th request with the n-th reply (the last repeats). */
export async function serve(replies: Reply[]): Promise<Server> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (raw += chunk));
    req.on("end", () => {
      const entry: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, raw, body: raw ? JSON.parse(raw) : null };
      seen.push(entry);
      const reply = replies[Math.min(seen.length - 1, replies.length - 1)] as Reply;
      reply(res, entry, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: "http://127.0.0.1:" + port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

export function sse(events: Array<[string | null, unknown]>, done = false): Reply {
  return (res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const [name, data] of events) {
      res.write((name ? "event: " + name + "\n" : "") + "data: " + JSON.stringify(data) + "\n\n");
    }
    if (done) res.write("data: [DONE]\n\n");
    res.end();
  };
}

/** Never answers (timeouts, cancellation). */
export const hang: Reply = () => undefined;

/** Closes the connection without an answer. */
export const reset: Reply = (res) => res.socket?.destroy();
