// The wire formats (docs/wire.md §5): OpenAI Responses, Anthropic Messages and
// OpenAI-compatible Chat Completions. A provider turns an Exchange into an HttpCall and a
// response body (or an SSE stream) into a Completion; HTTP, retries, validation and repair
// live in client.ts, once.

import { BadRequest, ProviderError, Refused, RouteError, ServerError, Timeout, errorForStatus } from "./errors.js";
import type { HeaderLookup } from "./http.js";
import { dumps, hasOwn, isObject, quote, type RawJson } from "./json.js";
import { parseRetryAfter, parseShouldRetry, type HeaderSource } from "./retry.js";
import type { SseEvent } from "./sse.js";
import { describeSchemaPrompt, schemaName, type SchemaForm, type SchemaForms } from "./structured.js";
import type { ModelRequest, ModelRoute, Usage } from "./types.js";

/** The output schema as one mode sends it. */
export interface WireSchema {
  form: SchemaForm;
  /** The answer comes wrapped under `value`. */
  wrapped: boolean;
  /** The schema was made strict: optional properties come back as null. */
  strict: boolean;
}

/** One conversation turn: the input message, then answers and repair turns. */
export type Turn = readonly [role: "user" | "assistant", content: string];

/** Everything one attempt needs to build its request. */
export interface Exchange {
  request: ModelRequest;
  route: ModelRoute;
  turns: readonly Turn[];
  instructions: string;
  mode: string | null;
  wire: WireSchema | null;
  forms: SchemaForms | null;
  apiKey: string | null;
  maxTokens: number | null;
  temperature: number | null;
}

/** An HTTP request, ready to send; `body` is written as canonical JSON. */
export interface HttpCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A provider-neutral answer of one attempt. */
export interface Completion {
  text: string;
  usage: Usage;
  model: string | null;
  responseId: string | null;
  stopReason: string | null;
  truncated: boolean;
  /** An already-parsed value (the input of a forced tool). */
  value?: unknown;
  hasValue?: boolean;
}

export type Emit = (text: string) => void;
export type Env = Readonly<Record<string, string | undefined>>;

/** A provider's wire format. */
export interface Provider {
  readonly name: string;
  resolveMode(route: ModelRoute): string;
  prepareSchema(mode: string, forms: SchemaForms): WireSchema;
  apiKey(route: ModelRoute, env: Env): string | null;
  build(exchange: Exchange, stream: boolean, env: Env, userAgent: string): HttpCall;
  parse(exchange: Exchange, body: unknown): Completion;
  parseStream(exchange: Exchange, events: AsyncIterable<SseEvent>, emit: Emit): Promise<Completion>;
  error(exchange: Exchange, status: number, headers: HeaderSource, body: string): ProviderError;
  requestId(headers: HeaderSource): string | null;
  downgrade(exchange: Exchange, error: ProviderError): boolean;
}

function completion(fields: Partial<Completion>): Completion {
  return {
    text: "",
    usage: { inputTokens: 0, outputTokens: 0 },
    model: null,
    responseId: null,
    stopReason: null,
    truncated: false,
    ...fields,
  };
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function int(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.trunc(value) : 0;
}

function record(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

function getHeader(headers: HeaderSource, name: string): string | null {
  if (typeof (headers as HeaderLookup).get === "function") return (headers as HeaderLookup).get(name);
  for (const [key, value] of Object.entries(headers as Record<string, string>)) {
    if (key.toLowerCase() === name) return value;
  }
  return null;
}

function head(text: string, n: number): string {
  const points = Array.from(text);
  return points.length > n ? points.slice(0, n).join("") : text;
}

/** A value as Python's `str()` shows the scalars a provider sends (objects: canonical JSON). */
function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null || value === undefined) return "None";
  return dumps(value);
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** (message, error type, request id) from any provider's error body (docs/wire.md §8):
 * `error.message` (OpenAI, Anthropic), `error` as a string (LM Studio, Ollama), `message`
 * (vLLM), `detail`, or the body's first 300 characters. */
export function errorMessage(body: string): [string, string | null, string | null] {
  const raw = body.trim();
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return [head(raw, 300) || "no error message", null, null];
  }
  if (!isObject(data)) return [head(raw, 300), null, null];
  const requestId = str(data["request_id"]);
  const kind = (holder: Record<string, unknown>): string | null => {
    const found = truthy(holder["type"]) ? holder["type"] : holder["code"];
    return truthy(found) ? pyStr(found) : null;
  };
  const err = data["error"];
  if (isObject(err)) {
    return [truthy(err["message"]) ? pyStr(err["message"]) : head(dumps(err), 300), kind(err), requestId];
  }
  if (typeof err === "string") return [err, null, requestId];
  if (data["object"] === "error" || hasOwn(data, "message")) {
    return [hasOwn(data, "message") ? pyStr(data["message"]) : "", kind(data), requestId];
  }
  if (hasOwn(data, "detail")) {
    const detail = data["detail"];
    return [head(typeof detail === "string" ? detail : dumps(detail), 300), null, requestId];
  }
  return [head(raw, 300), null, requestId];
}

const STREAM_STATUS: Record<string, number> = {
  overloaded_error: 529,
  api_error: 500,
  rate_limit_error: 429,
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
};

/** The error for an `error` event inside a 200 stream (or an error body with status 200). */
export function streamError(provider: string, model: string, data: unknown): ProviderError {
  let err: unknown = isObject(data) ? (hasOwn(data, "error") ? data["error"] : data) : {};
  if (!isObject(err)) err = { message: pyStr(err) };
  const e = err as Record<string, unknown>;
  const type = pyStr(truthy(e["type"]) ? e["type"] : truthy(e["code"]) ? e["code"] : "error");
  const message = type + ": " + (hasOwn(e, "message") ? pyStr(e["message"]) : "stream failed");
  const status = STREAM_STATUS[type];
  if (status === undefined) return new ServerError(message, { provider, model, outcome: "error" });
  const error = errorForStatus(status, message, { provider, model });
  error.status = undefined;
  error.outcome = error instanceof Timeout ? "timeout" : "error";
  return error;
}

function malformed(provider: string, model: string, what: string): ProviderError {
  return new ProviderError("malformed response: " + what, { provider, model, outcome: "malformed" });
}

function parseEvent(event: SseEvent, provider: string, model: string): Record<string, unknown> {
  try {
    return record(JSON.parse(event.data));
  } catch {
    throw malformed(provider, model, "stream event " + quote(event.event || "message") + " is not JSON");
  }
}

/** A stream that ended before its last event (R007, retried). */
function endedEarly(provider: string, model: string, what: string): ProviderError {
  return new ProviderError("stream ended before " + what, { provider, model, outcome: "error" });
}

function refused(text: string, provider: string, model: string): Refused {
  return new Refused(text ? "the model refused: " + text : "the model refused", { provider, model });
}

/** The instructions, with the schema described in `prompt` and `json_object` modes (§3). */
export function instructionsFor(exchange: Exchange): string {
  if ((exchange.mode === "prompt" || exchange.mode === "json_object") && exchange.forms !== null) {
    const extra = describeSchemaPrompt(exchange.forms.plain);
    return exchange.instructions ? exchange.instructions + "\n\n" + extra : extra;
  }
  return exchange.instructions;
}

/** The route's headers last, each replacing a header of the same name (any case). */
export function withRouteHeaders(headers: Record<string, string>, extra: Record<string, string> | undefined): Record<string, string> {
  const out = { ...headers };
  for (const [name, value] of Object.entries(extra ?? {})) {
    for (const key of Object.keys(out)) {
      if (key.toLowerCase() === name.toLowerCase()) delete out[key];
    }
    out[name] = value;
  }
  return out;
}

function turns(exchange: Exchange): Array<{ role: string; content: string }> {
  return exchange.turns.map(([role, content]) => ({ role, content }));
}

abstract class HttpProvider implements Provider {
  abstract readonly name: string;
  protected keyEnv: string | null = null;
  protected keyRequired = true;
  protected requestIdHeaders: string[] = ["x-request-id"];

  resolveMode(route: ModelRoute): string {
    return route.structured_output ?? "auto";
  }

  prepareSchema(_mode: string, forms: SchemaForms): WireSchema {
    return { form: forms.plain, wrapped: false, strict: false };
  }

  apiKey(route: ModelRoute, env: Env): string | null {
    const name = route.api_key_env || this.keyEnv;
    const key = name ? env[name] : undefined;
    if (!key && this.keyRequired) {
      throw new RouteError("no API key: set $" + String(name), {
        provider: this.name,
        model: route.model,
        hint: "export the key, or name another variable with api_key_env on the route",
      });
    }
    return key || null;
  }

  requestId(headers: HeaderSource): string | null {
    for (const name of this.requestIdHeaders) {
      const value = getHeader(headers, name);
      if (value) return value;
    }
    return null;
  }

  error(exchange: Exchange, status: number, headers: HeaderSource, body: string): ProviderError {
    let [message, type, bodyRequestId] = errorMessage(body);
    if (type && !message.includes(type)) message = type + ": " + message;
    return errorForStatus(status, message, {
      provider: this.name,
      model: exchange.route.model,
      requestId: this.requestId(headers) ?? bodyRequestId ?? undefined,
      retryAfter: parseRetryAfter(headers) ?? undefined,
      shouldRetry: parseShouldRetry(headers) ?? undefined,
    });
  }

  downgrade(_exchange: Exchange, _error: ProviderError): boolean {
    return false;
  }

  protected baseHeaders(stream: boolean, userAgent: string): Record<string, string> {
    return {
      "Content-Type": "application/json",
      Accept: stream ? "text/event-stream" : "application/json",
      "User-Agent": userAgent,
    };
  }

  protected schemaRef(exchange: Exchange): RawJson {
    return (exchange.wire as WireSchema).form.raw;
  }

  abstract build(exchange: Exchange, stream: boolean, env: Env, userAgent: string): HttpCall;
  abstract parse(exchange: Exchange, body: unknown): Completion;
  abstract parseStream(exchange: Exchange, events: AsyncIterable<SseEvent>, emit: Emit): Promise<Completion>;
}

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

function baseUrl(route: ModelRoute, env: Env, variable: string, fallback: string): string {
  return withoutTrailingSlashes(route.base_url || env[variable] || fallback);
}

/** `url` without its trailing slashes (a route's base URL: the same few on every call). */
function withoutTrailingSlashes(url: string): string {
  return url.charCodeAt(url.length - 1) === 0x2f ? url.replace(/\/+$/, "") : url;
}

/** OpenAI, over the Responses API (`POST {base}/responses`). */
export class OpenAIProvider extends HttpProvider {
  readonly name = "openai";
  protected override keyEnv: string | null = "OPENAI_API_KEY";

  override resolveMode(route: ModelRoute): string {
    const mode = route.structured_output ?? "auto";
    return mode === "auto" || mode === "native" || mode === "tool" ? "json_schema" : mode;
  }

  override prepareSchema(mode: string, forms: SchemaForms): WireSchema {
    if (mode !== "json_schema") return { form: forms.plain, wrapped: false, strict: false };
    return { form: forms.strict, wrapped: forms.isWrapped, strict: true };
  }

  build(exchange: Exchange, stream: boolean, env: Env, userAgent: string): HttpCall {
    const route = exchange.route;
    const headers = this.baseHeaders(stream, userAgent);
    if (exchange.apiKey) headers["Authorization"] = "Bearer " + exchange.apiKey;
    const org = env["OPENAI_ORG_ID"];
    if (org) headers["OpenAI-Organization"] = org;
    const project = env["OPENAI_PROJECT_ID"];
    if (project) headers["OpenAI-Project"] = project;
    const body: Record<string, unknown> = { model: route.model };
    const instructions = instructionsFor(exchange);
    if (instructions) body["instructions"] = instructions;
    const first = exchange.turns[0];
    body["input"] = exchange.turns.length === 1 && first !== undefined && first[0] === "user" ? first[1] : turns(exchange);
    if (exchange.temperature !== null) body["temperature"] = exchange.temperature;
    if (exchange.maxTokens !== null) body["max_output_tokens"] = exchange.maxTokens;
    if (exchange.wire !== null && exchange.mode === "json_schema") {
      body["text"] = {
        format: {
          type: "json_schema",
          name: schemaName(exchange.request.schemaName ?? "output"),
          schema: this.schemaRef(exchange),
          strict: true,
        },
      };
    } else if (exchange.wire !== null && exchange.mode === "json_object") {
      body["text"] = { format: { type: "json_object" } };
    }
    if (stream) body["stream"] = true;
    return { method: "POST", url: baseUrl(route, env, "OPENAI_BASE_URL", OPENAI_BASE_URL) + "/responses", headers, body };
  }

  parse(exchange: Exchange, raw: unknown): Completion {
    const model = exchange.route.model;
    if (!isObject(raw) || !Array.isArray(raw["output"])) throw malformed(this.name, model, "no output list");
    const status = raw["status"];
    if (status === "failed") throw streamError(this.name, model, { error: raw["error"] ?? {} });
    const parts: string[] = [];
    let refusal: string | null = null;
    for (const item of raw["output"]) {
      if (!isObject(item) || item["type"] !== "message") continue;
      const content = Array.isArray(item["content"]) ? item["content"] : [];
      for (const part of content) {
        if (isObject(part) && part["type"] === "output_text") parts.push(String(part["text"] ?? ""));
        else if (isObject(part) && part["type"] === "refusal") refusal = String(part["refusal"] ?? "");
      }
    }
    if (parts.length === 0 && refusal !== null) {
      throw refused(refusal, this.name, model);
    }
    const usage = record(raw["usage"]);
    const incomplete = record(raw["incomplete_details"]);
    const reason = str(incomplete["reason"]);
    return { // every field of a Completion, in completion()'s order
      text: parts.join(""),
      usage: { inputTokens: int(usage["input_tokens"]), outputTokens: int(usage["output_tokens"]) },
      model: str(raw["model"]),
      responseId: str(raw["id"]),
      stopReason: reason ?? str(status),
      truncated: status === "incomplete" && reason === "max_output_tokens",
    };
  }

  async parseStream(exchange: Exchange, events: AsyncIterable<SseEvent>, emit: Emit): Promise<Completion> {
    for await (const event of events) {
      if (event.data === "[DONE]") break;
      const data = parseEvent(event, this.name, exchange.route.model);
      const kind = event.event !== "message" ? event.event : String(data["type"] ?? "");
      if (kind === "response.output_text.delta") {
        emit(String(data["delta"] ?? ""));
      } else if (kind === "response.completed" || kind === "response.incomplete" || kind === "response.failed") {
        return this.parse(exchange, data["response"]);
      } else if (kind === "error") {
        throw streamError(this.name, exchange.route.model, data);
      }
    }
    throw endedEarly(this.name, exchange.route.model, "response.completed");
  }
}

export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
/** The `anthropic-version` sent unless the route's api_version says otherwise. */
export const ANTHROPIC_API_VERSION = "2026-10-21";
/** max_tokens when neither the assistant nor the route sets one (the API requires it). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** Anthropic, over the Messages API (`POST {base}/v1/messages`), a forced tool by default. */
export class AnthropicProvider extends HttpProvider {
  readonly name = "anthropic";
  protected override keyEnv: string | null = "ANTHROPIC_API_KEY";
  protected override requestIdHeaders = ["request-id", "x-request-id"];

  override resolveMode(route: ModelRoute): string {
    const mode = route.structured_output ?? "auto";
    if (mode === "auto" || mode === "tool") return "tool";
    if (mode === "native" || mode === "json_schema") return "native";
    return "prompt";
  }

  override prepareSchema(mode: string, forms: SchemaForms): WireSchema {
    if (mode === "tool" || mode === "native") return { form: forms.wrapped, wrapped: forms.isWrapped, strict: false };
    return { form: forms.plain, wrapped: false, strict: false };
  }

  build(exchange: Exchange, stream: boolean, env: Env, userAgent: string): HttpCall {
    const route = exchange.route;
    const headers = this.baseHeaders(stream, userAgent);
    if (exchange.apiKey) headers["Authorization"] = "Bearer " + exchange.apiKey;
    const version = route.api_version || ANTHROPIC_API_VERSION;
    headers["anthropic-version"] = version;
    const body: Record<string, unknown> = {
      model: route.model,
      max_tokens: exchange.maxTokens || ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: turns(exchange),
    };
    const instructions = instructionsFor(exchange);
    if (instructions) body["system"] = instructions;
    if (exchange.temperature !== null && version < ANTHROPIC_API_VERSION) body["temperature"] = exchange.temperature;
    if (exchange.wire !== null && exchange.mode === "tool") {
      const name = schemaName(exchange.request.schemaName ?? "output");
      body["tools"] = [
        { name, description: "Record the answer. Its input is the answer.", input_schema: this.schemaRef(exchange) },
      ];
      body["tool_choice"] = { type: "tool", name };
    } else if (exchange.wire !== null && exchange.mode === "native") {
      body["output_config"] = { format: { type: "json_schema", schema: this.schemaRef(exchange) } };
    }
    if (stream) body["stream"] = true;
    return {
      method: "POST",
      url: baseUrl(route, env, "ANTHROPIC_BASE_URL", ANTHROPIC_BASE_URL) + "/v1/messages",
      headers,
      body,
    };
  }

  parse(exchange: Exchange, raw: unknown): Completion {
    const model = exchange.route.model;
    if (!isObject(raw) || !Array.isArray(raw["content"])) throw malformed(this.name, model, "no content list");
    if (raw["type"] === "error") throw streamError(this.name, model, raw);
    const texts: string[] = [];
    const out = completion({});
    for (const block of raw["content"]) {
      if (!isObject(block)) continue;
      if (block["type"] === "text") texts.push(String(block["text"] ?? ""));
      else if (block["type"] === "tool_use" && exchange.mode === "tool" && !out.hasValue) {
        out.value = block["input"];
        out.hasValue = true;
      }
    }
    const usage = record(raw["usage"]);
    const stop = str(raw["stop_reason"]);
    out.text = texts.join("");
    out.usage = { inputTokens: int(usage["input_tokens"]), outputTokens: int(usage["output_tokens"]) };
    out.model = str(raw["model"]);
    out.responseId = str(raw["id"]);
    out.stopReason = stop;
    out.truncated = stop === "max_tokens";
    if (stop === "refusal" && !out.hasValue) throw refused(out.text.trim(), this.name, model);
    return out;
  }

  async parseStream(exchange: Exchange, events: AsyncIterable<SseEvent>, emit: Emit): Promise<Completion> {
    let model: string | null = null;
    let responseId: string | null = null;
    let inputTokens = 0;
    let outputTokens = 0;
    let stop: string | null = null;
    const blocks = new Map<number, string[]>();
    const kinds = new Map<number, string>();
    let finished = false;
    for await (const event of events) {
      const data = parseEvent(event, this.name, exchange.route.model);
      const kind = String(data["type"] ?? event.event);
      if (kind === "message_start") {
        const message = record(data["message"]);
        model = str(message["model"]);
        responseId = str(message["id"]);
        const usage = record(message["usage"]);
        inputTokens = int(usage["input_tokens"]);
        outputTokens = int(usage["output_tokens"]);
      } else if (kind === "content_block_start") {
        const index = int(data["index"]);
        const block = record(data["content_block"]);
        kinds.set(index, String(block["type"]));
        blocks.set(index, []);
        if (block["type"] === "text" && block["text"]) {
          blocks.get(index)?.push(String(block["text"]));
          emit(String(block["text"]));
        }
      } else if (kind === "content_block_delta") {
        const index = int(data["index"]);
        const delta = record(data["delta"]);
        let piece = "";
        if (delta["type"] === "text_delta") piece = String(delta["text"] ?? "");
        else if (delta["type"] === "input_json_delta") piece = String(delta["partial_json"] ?? "");
        if (piece) {
          if (!blocks.has(index)) blocks.set(index, []);
          blocks.get(index)?.push(piece);
          emit(piece);
        }
      } else if (kind === "message_delta") {
        const delta = record(data["delta"]);
        stop = str(delta["stop_reason"]) ?? stop;
        const usage = record(data["usage"]);
        outputTokens = int(usage["output_tokens"]) || outputTokens;
        inputTokens = int(usage["input_tokens"]) || inputTokens;
      } else if (kind === "message_stop") {
        finished = true;
        break;
      } else if (kind === "error") {
        throw streamError(this.name, exchange.route.model, data);
      }
    }
    if (!finished) throw endedEarly(this.name, exchange.route.model, "message_stop");
    const order = [...blocks.keys()].sort((a, b) => a - b);
    const joined = (type: string): string[] =>
      order.filter((i) => kinds.get(i) === type).map((i) => (blocks.get(i) ?? []).join(""));
    const tools = joined("tool_use");
    const texts = joined("text").join("");
    if (stop === "refusal" && !(exchange.mode === "tool" && tools.length > 0)) {
      throw refused(texts.trim(), this.name, exchange.route.model);
    }
    return { // every field of a Completion, in completion()'s order
      text: exchange.mode === "tool" && tools.length > 0 ? tools[0] || "{}" : texts,
      usage: { inputTokens, outputTokens },
      model,
      responseId,
      stopReason: stop,
      truncated: stop === "max_tokens",
    };
  }
}

/** The order `auto` walks when an OpenAI-compatible server rejects a mode. */
export const AUTO_MODES = ["json_schema", "json_object", "prompt"];
const FORMAT_WORDS = ["response_format", "json_schema", "json_object", "schema", "format", "grammar"];

/** OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio) over Chat Completions. */
export class OpenAICompatibleProvider extends HttpProvider {
  readonly name = "openai-compatible";
  protected override keyRequired = false;
  private readonly downgraded = new Map<string, string>();

  private key(route: ModelRoute): string {
    return (route.base_url ?? "") + "\u0000" + route.model;
  }

  override resolveMode(route: ModelRoute): string {
    const mode = route.structured_output ?? "auto";
    if (mode === "auto") return this.downgraded.get(this.key(route)) ?? "json_schema";
    if (mode === "tool" || mode === "native") return "json_schema";
    return mode;
  }

  // The schema goes as written (plain) in every mode, as the Python runtime sends it: local
  // servers constrain decoding with it, and most have no strict mode to satisfy.

  override downgrade(exchange: Exchange, error: ProviderError): boolean {
    if ((exchange.route.structured_output ?? "auto") !== "auto") return false;
    const at = AUTO_MODES.indexOf(exchange.mode ?? "");
    if (at < 0 || at >= AUTO_MODES.length - 1) return false;
    if (!(error instanceof BadRequest) || error.status !== 400) return false;
    const text = error.providerMessage.toLowerCase();
    if (!FORMAT_WORDS.some((word) => text.includes(word))) return false;
    this.downgraded.set(this.key(exchange.route), AUTO_MODES[at + 1] as string);
    return true;
  }

  build(exchange: Exchange, stream: boolean, _env: Env, userAgent: string): HttpCall {
    const route = exchange.route;
    if (!route.base_url) {
      throw new RouteError("openai-compatible routes need base_url", {
        provider: this.name,
        model: route.model,
        hint: "add base_url, e.g. http://127.0.0.1:11434/v1",
      });
    }
    const headers = this.baseHeaders(stream, userAgent);
    if (exchange.apiKey) headers["Authorization"] = "Bearer " + exchange.apiKey;
    const messages: Array<{ role: string; content: string }> = [];
    const instructions = instructionsFor(exchange);
    if (instructions) messages.push({ role: "system", content: instructions });
    messages.push(...turns(exchange));
    const body: Record<string, unknown> = { model: route.model, messages };
    if (exchange.temperature !== null) body["temperature"] = exchange.temperature;
    if (exchange.maxTokens !== null) body["max_tokens"] = exchange.maxTokens;
    if (exchange.wire !== null && exchange.mode === "json_schema") {
      body["response_format"] = {
        type: "json_schema",
        json_schema: { name: schemaName(exchange.request.schemaName ?? "output"), schema: this.schemaRef(exchange), strict: true },
      };
    } else if (exchange.wire !== null && exchange.mode === "json_object") {
      body["response_format"] = { type: "json_object" };
    }
    if (stream) {
      body["stream"] = true;
      body["stream_options"] = { include_usage: true };
    }
    return { method: "POST", url: withoutTrailingSlashes(route.base_url) + "/chat/completions", headers, body };
  }

  parse(exchange: Exchange, raw: unknown): Completion {
    const model = exchange.route.model;
    if (isObject(raw) && raw["object"] === "error") throw streamError(this.name, model, raw);
    const choices = isObject(raw) ? raw["choices"] : undefined;
    if (!isObject(raw) || !Array.isArray(choices) || choices.length === 0 || !isObject(choices[0])) {
      throw malformed(this.name, model, "no choices");
    }
    const choice = choices[0];
    const message = record(choice["message"]);
    const finish = str(choice["finish_reason"]);
    const usage = record(raw["usage"]);
    return { // every field of a Completion, in completion()'s order
      text: String(message["content"] ?? ""),
      usage: { inputTokens: int(usage["prompt_tokens"]), outputTokens: int(usage["completion_tokens"]) },
      model: str(raw["model"]),
      responseId: str(raw["id"]),
      stopReason: finish,
      truncated: finish === "length",
    };
  }

  async parseStream(exchange: Exchange, events: AsyncIterable<SseEvent>, emit: Emit): Promise<Completion> {
    const parts: string[] = [];
    const out = completion({});
    let done = false;
    for await (const event of events) {
      if (event.data.trim() === "[DONE]") {
        done = true;
        break;
      }
      const data = parseEvent(event, this.name, exchange.route.model);
      if ("error" in data || data["object"] === "error") throw streamError(this.name, exchange.route.model, data);
      out.model = str(data["model"]) ?? out.model;
      out.responseId = str(data["id"]) ?? out.responseId;
      const choices = Array.isArray(data["choices"]) ? data["choices"] : [];
      for (const choice of choices) {
        const c = record(choice);
        const delta = record(c["delta"]);
        if (delta["content"]) {
          parts.push(String(delta["content"]));
          emit(String(delta["content"]));
        }
        if (c["finish_reason"]) out.stopReason = String(c["finish_reason"]);
      }
      if (isObject(data["usage"])) {
        const usage = data["usage"];
        out.usage = { inputTokens: int(usage["prompt_tokens"]), outputTokens: int(usage["completion_tokens"]) };
      }
    }
    if (!done && out.stopReason === null) throw endedEarly(this.name, exchange.route.model, "[DONE]");
    out.text = parts.join("");
    out.truncated = out.stopReason === "length";
    return out;
  }
}

/** The providers by route name; a new provider adds one entry. */
export const PROVIDERS: Record<string, () => Provider> = {
  openai: () => new OpenAIProvider(),
  anthropic: () => new AnthropicProvider(),
  "openai-compatible": () => new OpenAICompatibleProvider(),
};

/** A provider's name for messages about an unknown one. */
export function unknownProvider(name: string): RouteError {
  return new RouteError("unknown provider " + dumps(name), {
    hint: "use one of: " + Object.keys(PROVIDERS).sort().join(", "),
  });
}
