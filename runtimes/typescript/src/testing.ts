// Test doubles: a fake client that plays scripted outputs, and a replay client that answers
// from a replay file written by `aiwf run --record` (JSON lines: a header, then one answered
// request per line, found by its fingerprint).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { ProviderError, recordedError } from "./errors.js";
import { dumps, isObject as isRecord, jsonEqual, pythonJson } from "./json.js";
import { inContractOrder } from "./order.js";
import type { Attempt } from "./trace.js";
import type { ModelClient, ModelRequest, ModelResponse, StreamEvent } from "./types.js";

/** One scripted answer: matched on the keys it has (assistant, step, input), first unused first. */
export interface ScriptedCall {
  assistant?: string;
  step?: string;
  input?: unknown;
  /** The output to return ... */
  output?: unknown;
  /** ... or the message of a non-retryable ProviderError to raise. */
  error?: string;
  /** Answer every matching request, not only the first. */
  repeat?: boolean;
}

function attemptOf(request: ModelRequest, provider: string, outcome: string, tokens: number): Attempt {
  return {
    alias: request.metadata?.alias ?? request.route.model,
    provider,
    model: request.route.model,
    outcome,
    kind: request.attemptKind ?? "call",
    inputTokens: tokens,
    outputTokens: tokens,
    status: null,
    requestId: null,
    latency: 0,
    timeToFirstToken: null,
  };
}

/**
 * A ModelClient that answers from a script: each request takes the first unused entry whose
 * assistant, step and input (JSON equality) match those the entry names. A request with no
 * entry fails. `used` lists the entries taken, in order.
 */
export class FakeClient implements ModelClient {
  readonly script: ScriptedCall[];
  readonly used: number[] = [];
  readonly requests: ModelRequest[] = [];

  constructor(script: ScriptedCall[]) {
    this.script = [...script];
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const meta = request.metadata ?? {};
    for (let i = 0; i < this.script.length; i++) {
      const entry = this.script[i] as ScriptedCall;
      if (this.used.includes(i) && !entry.repeat) continue;
      if (entry.assistant !== undefined && entry.assistant !== meta.assistant) continue;
      if (entry.step !== undefined && entry.step !== meta.step) continue;
      if ("input" in entry && !jsonEqual(entry.input, request.input)) continue;
      this.used.push(i);
      if (entry.error !== undefined) {
        const error = new ProviderError(entry.error, { provider: "fake", retryable: false });
        error.attempts = [attemptOf(request, "fake", "malformed", 0)];
        throw error;
      }
      return {
        output: entry.output,
        text: dumps(entry.output),
        usage: { inputTokens: 1, outputTokens: 1 },
        requestId: null,
        model: request.route.model,
        provider: "fake",
        attempts: [attemptOf(request, "fake", "ok", 1)],
        latency: 0,
        stopReason: null,
        alias: meta.alias ?? null,
      };
    }
    throw new Error(
      "FakeClient has no scripted answer for assistant " +
        JSON.stringify(meta.assistant ?? null) +
        ", step " +
        JSON.stringify(meta.step ?? null) +
        ": " +
        dumps(request.input),
    );
  }

  async *stream(request: ModelRequest): AsyncGenerator<StreamEvent> {
    const answer = await this.complete(request);
    yield { type: "delta", text: answer.text, attempt: 1 };
    yield { type: "completed", response: answer };
  }

  /** Indexes of the script entries not used yet. */
  unused(): number[] {
    return this.script.map((_, i) => i).filter((i) => !this.used.includes(i));
  }
}

/**
 * `sha256:<hex>` of what determines an answer: instructions, input, output schema and name, as
 * canonical JSON with sorted members (replay files of version 2; version 1 hashed Python's
 * own JSON text).
 */
export function fingerprint(request: ModelRequest, version = 2): string {
  const data = {
    instructions: request.instructions,
    input: request.input ?? null,
    output_schema: request.outputForms?.plain.value ?? null,
    schema_name: request.schemaName ?? "output",
  };
  const text = version === 1 ? pythonJson(data, { sortKeys: true, compact: true }) : dumps(inContractOrder(data, null));
  return "sha256:" + createHash("sha256").update(text, "utf8").digest("hex");
}

/** A request the replay file has no answer for (E510). */
export class ReplayMiss extends Error {
  readonly code = "E510";
}

/** A ModelClient answering from a replay file's text (or `ReplayClient.fromFile(path)`). */
export class ReplayClient implements ModelClient {
  private readonly answers = new Map<string, Array<Record<string, unknown>>>();
  private readonly served = new Map<string, number>();
  readonly header: Record<string, unknown>;
  /** The file's format version (2 keeps failed exchanges too). */
  readonly version: number;

  constructor(
    text: string,
    readonly source = "replay",
  ) {
    const rows = text.split("\n").filter((line) => line.trim() !== "");
    const first = rows.shift();
    const header = first === undefined ? null : (JSON.parse(first) as Record<string, unknown>);
    if (header === null || (header["aiwf_replay"] !== 1 && header["aiwf_replay"] !== 2)) {
      throw new Error(source + " is not an aiwf replay file (version 1 or 2)");
    }
    this.header = header;
    this.version = Number(header["aiwf_replay"]);
    for (const row of rows) {
      const entry = JSON.parse(row) as Record<string, unknown>;
      const key = String(entry["fingerprint"]);
      const list = this.answers.get(key) ?? [];
      list.push(entry);
      this.answers.set(key, list);
    }
  }

  static fromFile(path: string): ReplayClient {
    return new ReplayClient(readFileSync(path, "utf8"), path);
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const key = fingerprint(request, this.version);
    const list = this.answers.get(key);
    if (list === undefined || list.length === 0) {
      const meta = request.metadata ?? {};
      throw new ReplayMiss(
        this.source +
          " has no recorded answer for assistant " +
          JSON.stringify(meta.assistant ?? null) +
          (meta.step ? " (step " + JSON.stringify(meta.step) + ")" : "") +
          ": fingerprint " +
          key.slice(0, 19) +
          "...",
      );
    }
    const n = this.served.get(key) ?? 0;
    this.served.set(key, n + 1);
    const entry = list[Math.min(n, list.length - 1)] as Record<string, unknown>;
    if (isRecord(entry["error"])) throw recordedError(entry["error"]);
    const data = (entry["response"] ?? {}) as Record<string, unknown>;
    const usage = (data["usage"] ?? {}) as Record<string, unknown>;
    const attempt = attemptOf(request, String(data["provider"] ?? "replay"), "ok", 0);
    attempt.inputTokens = Number(usage["input_tokens"] ?? 0);
    attempt.outputTokens = Number(usage["output_tokens"] ?? 0);
    return {
      output: data["output"],
      text: String(data["text"] ?? ""),
      usage: { inputTokens: attempt.inputTokens, outputTokens: attempt.outputTokens },
      requestId: typeof data["request_id"] === "string" ? data["request_id"] : null,
      model: String(data["model"] ?? ""),
      provider: String(data["provider"] ?? ""),
      attempts: [attempt],
      latency: Number(data["latency"] ?? 0),
      stopReason: typeof data["stop_reason"] === "string" ? data["stop_reason"] : null,
      alias: typeof data["alias"] === "string" ? data["alias"] : null,
    };
  }
}
