// The runtime's errors (docs/wire.md §8): one small hierarchy with the codes every aiwf
// runtime shares. R001 AuthError, R002 RateLimited, R003 BadRequest, R004 ServerError,
// R005 Timeout, R006 OutputInvalid, R007 ProviderError (connection, malformed answers,
// refusals), R008 RouteError; Cancelled (R009) is this runtime's AbortSignal.

import type { Attempt } from "./trace.js";

export interface ProviderErrorOptions {
  provider?: string | undefined;
  model?: string | undefined;
  status?: number | undefined;
  requestId?: string | undefined;
  retryable?: boolean | undefined;
  retryAfter?: number | undefined;
  hint?: string | undefined;
  /** The attempt's outcome as a trace shows it (`http 503`, `timeout`, `reset` ...). */
  outcome?: string | undefined;
}

/** A model call failed (R007 when used directly). */
export class ProviderError extends Error {
  readonly code: string = "R007";
  readonly providerMessage: string;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  status: number | undefined;
  readonly requestId: string | undefined;
  retryable: boolean;
  readonly retryAfter: number | undefined;
  readonly hint: string | undefined;
  /** How the attempt that raised it ended, for the trace. */
  outcome: string;
  /** Every attempt the failed call made (set by the runtime when it gives up). */
  attempts: Attempt[] = [];

  constructor(message: string, options: ProviderErrorOptions = {}, defaultRetryable = true) {
    const prefix = options.provider ? options.provider + (options.model ? " " + options.model : "") : "";
    const details: string[] = [];
    if (options.status !== undefined) details.push("HTTP " + options.status);
    if (options.requestId) details.push("request id " + options.requestId);
    let text = prefix ? prefix + ": " + message : message;
    if (details.length > 0) text += " (" + details.join(", ") + ")";
    super(text);
    this.name = new.target.name;
    this.providerMessage = message;
    this.provider = options.provider;
    this.model = options.model;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryable = options.retryable ?? defaultRetryable;
    this.retryAfter = options.retryAfter;
    this.hint = options.hint;
    this.outcome = options.outcome ?? (options.status !== undefined ? "http " + options.status : "error");
  }
}

/** R001: the provider refused the credentials (401/403), or there is no key. */
export class AuthError extends ProviderError {
  override readonly code: string = "R001";
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, options, false);
  }
}

/** R002: rate limited (429). */
export class RateLimited extends ProviderError {
  override readonly code: string = "R002";
}

/** R003: the request was refused as sent (400/404/413/422). */
export class BadRequest extends ProviderError {
  override readonly code: string = "R003";
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, options, false);
  }
}

/** R004: the provider failed (5xx, 529 overloaded, an error event mid-stream). */
export class ServerError extends ProviderError {
  override readonly code: string = "R004";
}

/** R005: an attempt, the first token or the whole call took too long. */
export class Timeout extends ProviderError {
  override readonly code: string = "R005";
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, { outcome: "timeout", ...options });
  }
}

/** R006: the answer stayed invalid (not JSON, cut off, or not valid for the output schema). */
export class OutputInvalid extends ProviderError {
  override readonly code: string = "R006";
  /** The validation problems of the last answer (empty when it was not JSON). */
  readonly problems: readonly string[];
  readonly text: string;
  constructor(message: string, problems: readonly string[], text: string, options: ProviderErrorOptions = {}) {
    super(message, { outcome: "invalid", ...options }, false);
    this.problems = problems;
    this.text = text.slice(0, 500);
  }
}

/** R007: the model refused to answer (not retried; fallbacks apply). */
export class Refused extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, { outcome: "refused", ...options }, false);
  }
}

/** R008: the route cannot be called as configured (alias, provider, base URL, environment). */
export class RouteError extends ProviderError {
  override readonly code: string = "R008";
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(message, options, false);
  }
}

/** The call was cancelled through its AbortSignal. */
export class Cancelled extends ProviderError {
  override readonly code: string = "R009";
  constructor(message = "the call was cancelled", options: ProviderErrorOptions = {}) {
    super(message, { outcome: "cancelled", ...options }, false);
  }
}

const CLASSES: Record<string, new (message: string, options?: ProviderErrorOptions) => ProviderError> = {
  R001: AuthError,
  R002: RateLimited,
  R003: BadRequest,
  R004: ServerError,
  R005: Timeout,
  R007: ProviderError,
  R008: RouteError,
};

/**
 * The error a replay file recorded (`aiwf run --record` keeps failed exchanges): its class by
 * code and its exact message, so a replay fails the way the recorded run did.
 */
export function recordedError(data: Record<string, unknown>): ProviderError {
  const code = String(data["code"] ?? "R007");
  const message = String(data["message"] ?? "");
  const options = { outcome: typeof data["outcome"] === "string" && data["outcome"] ? data["outcome"] : "error" };
  const error =
    code === "R006" ? new OutputInvalid(message, [], "", options) : new (CLASSES[code] ?? ProviderError)(message, options);
  if (error.code !== code) Object.defineProperty(error, "code", { value: code });
  error.retryable = data["retryable"] === true;
  return error;
}

/** HTTP statuses that are retried (with 500 and up), unless `x-should-retry` says otherwise. */
export const RETRYABLE_STATUS = new Set([408, 409, 429]);

/** The error class for an HTTP status (docs/wire.md §7, §8); `x-should-retry` wins. */
export function errorForStatus(
  status: number,
  message: string,
  options: ProviderErrorOptions & { shouldRetry?: boolean | undefined },
): ProviderError {
  const base = { ...options, status, outcome: "http " + status };
  let error: ProviderError;
  if (status === 401 || status === 403) {
    error = new AuthError(message, { ...base, hint: "check the API key variable of this model route" });
  } else if (status === 429) {
    error = new RateLimited(message, base);
  } else if (status >= 500) {
    error = new ServerError(message, base);
  } else if (RETRYABLE_STATUS.has(status)) {
    error = status === 408 ? new Timeout(message, base) : new ProviderError(message, base);
  } else {
    error = new BadRequest(message, base);
  }
  if (options.shouldRetry !== undefined) error.retryable = options.shouldRetry;
  return error;
}
