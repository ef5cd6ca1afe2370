// The runtime's data types: routes, requests, responses, stream events and the ModelClient
// interface every client implements (the HTTP runtime, the router, the fake and replay
// clients).

import type { SchemaForms } from "./structured.js";
import type { Attempt } from "./trace.js";

/** How a model call is retried (`retry:` of an assistant or a route; seconds). */
export interface RetrySpec {
  max_attempts: number;
  initial_delay: number;
  max_delay: number;
  deadline?: number | null | undefined;
  repair_attempts: number;
}

/** The retry settings used when neither the assistant nor the route sets any. */
export const DEFAULT_RETRY: RetrySpec = {
  max_attempts: 3,
  initial_delay: 0.5,
  max_delay: 8,
  deadline: null,
  repair_attempts: 1,
};

export type ProviderName = "openai" | "anthropic" | "openai-compatible";
export type StructuredOutput = "auto" | "json_schema" | "json_object" | "tool" | "native" | "prompt";

/** A model alias of the spec: which provider and model answer, and how (spec field names). */
export interface ModelRoute {
  provider: ProviderName | string;
  model: string;
  base_url?: string | null | undefined;
  api_key_env?: string | null | undefined;
  max_tokens?: number | null | undefined;
  temperature?: number | null | undefined;
  timeout?: number | null | undefined;
  first_token_timeout?: number | null | undefined;
  structured_output?: StructuredOutput | string | undefined;
  retry?: RetrySpec | null | undefined;
  fallback?: string[] | undefined;
  headers?: Record<string, string> | undefined;
  api_version?: string | null | undefined;
}

/** Who is calling, for traces: never sent to the provider. */
export interface CallMetadata {
  assistant?: string | null | undefined;
  workflow?: string | null | undefined;
  step?: string | null | undefined;
  index?: number | null | undefined;
  alias?: string | null | undefined;
}

/** The output check of a request: the validation problems of a value (none: valid). */
export type OutputCheck = (value: unknown) => readonly string[];

/** One logical model call. */
export interface ModelRequest {
  route: ModelRoute;
  instructions: string;
  /** Sent as the first user turn, as canonical JSON (already in contract order). */
  input: unknown;
  /** The output schema's wire forms; absent for free text. */
  outputForms?: SchemaForms | undefined;
  /** The output contract's name (the schema name on the wire). */
  schemaName?: string | undefined;
  /** Validates the parsed output against the output contract. */
  check?: OutputCheck | undefined;
  temperature?: number | null | undefined;
  maxTokens?: number | null | undefined;
  /** Seconds per attempt (else route.timeout, else 600). */
  timeout?: number | undefined;
  /** Seconds to the first streamed text of an attempt (else route.first_token_timeout). */
  firstTokenTimeout?: number | undefined;
  retry?: RetrySpec | undefined;
  metadata?: CallMetadata | undefined;
  /** The kind of the first attempt (`fallback` when a router moved on to this route). */
  attemptKind?: string | undefined;
  /** Cancels the call (and its retries). */
  signal?: AbortSignal | undefined;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** The outcome of a successful call. */
export interface ModelResponse {
  /** The parsed output (valid for the output schema), or the text for free-text calls. */
  output: unknown;
  text: string;
  /** Summed over every attempt, failed ones included. */
  usage: Usage;
  requestId: string | null;
  model: string;
  provider: string;
  /** Every HTTP attempt the call made (a router's fallbacks included), in order. */
  attempts: Attempt[];
  /** Seconds from the call's start to its end. */
  latency: number;
  stopReason?: string | null | undefined;
  alias?: string | null | undefined;
  /** The output was checked against the request's `check` (else the caller checks it). */
  checked?: boolean | undefined;
}

/** Streamed text; a reset voids the text so far (a retry, repair or fallback follows). */
export type StreamEvent =
  | { type: "delta"; text: string; attempt: number }
  | { type: "reset"; attempt: number; reason: string }
  | { type: "completed"; response: ModelResponse };

/** Anything that answers model requests. */
export interface ModelClient {
  complete(request: ModelRequest): Promise<ModelResponse>;
  stream?(request: ModelRequest): AsyncIterable<StreamEvent>;
}
