// Retries: exponential backoff with jitter that respects the provider's signals, as the
// aiwf Python runtime and the official SDKs do:
// - retry connection errors, timeouts, 408, 409, 429, 5xx and 529; an `x-should-retry:
//   true|false` header overrides the status rule;
// - sleep `retry-after-ms`, else `retry-after` (seconds or an HTTP date) when positive and at
//   most MAX_RETRY_AFTER seconds; a longer ask ends the retries at once;
// - otherwise sleep min(initial_delay * 2^n, max_delay) minus up to 25 % jitter;
// - stop after max_attempts attempts, or when the next sleep would end past the deadline.

import { Cancelled, ProviderError } from "./errors.js";
import type { HeaderLookup } from "./http.js";
import type { RetrySpec } from "./types.js";

/** The longest provider-requested wait (seconds) that is honoured. */
export const MAX_RETRY_AFTER = 60;
/** Fraction of the backoff removed at random, at most. */
export const JITTER = 0.25;

/** Response headers: fetch's Headers, the node:http transport's, or a plain record. */
export type HeaderSource = HeaderLookup | Record<string, string>;

function header(headers: HeaderSource, name: string): string | null {
  if (typeof (headers as HeaderLookup).get === "function") return (headers as HeaderLookup).get(name);
  const lowered = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string>)) {
    if (key.toLowerCase() === lowered) return value;
  }
  return null;
}

/** Seconds the provider asks us to wait: retry-after-ms, then retry-after; null when absent. */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | null {
  const ms = header(headers, "retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const raw = header(headers, "retry-after");
  if (raw === null || raw.trim() === "") return null;
  if (Number.isFinite(Number(raw))) return Number(raw);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : (date - now) / 1000;
}

/** The `x-should-retry` header as a boolean; null when absent or not true/false. */
export function parseShouldRetry(headers: HeaderSource): boolean | null {
  const raw = header(headers, "x-should-retry");
  if (raw === null) return null;
  const value = raw.trim().toLowerCase();
  return value === "true" ? true : value === "false" ? false : null;
}

/** Time and sleep, injectable for tests. */
export interface Clock {
  /** Seconds, monotonic. */
  now(): number;
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
}

/** The error an aborted signal stands for. */
export function abortError(signal: AbortSignal): ProviderError {
  const reason: unknown = signal.reason;
  if (reason instanceof ProviderError) return reason;
  const text = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new Cancelled(text ? "the call was cancelled: " + text : "the call was cancelled");
}

export const systemClock: Clock = {
  now: () => performance.now() / 1000,
  sleep: (seconds, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, seconds * 1000));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** A retry spec made executable with a clock and a random source. */
export class RetryPolicy {
  constructor(
    readonly spec: RetrySpec,
    readonly clock: Clock = systemClock,
    readonly random: () => number = Math.random,
    readonly maxRetryAfter: number = MAX_RETRY_AFTER,
  ) {}

  /** The sleep before retry `n` (0 for the first retry), jitter included. */
  backoff(n: number): number {
    const base = Math.min(this.spec.initial_delay * 2 ** Math.min(n, 1000), this.spec.max_delay);
    return base * (1 - JITTER * this.random());
  }

  /** The sleep before the next attempt after `error`; null means do not retry. */
  delayFor(error: unknown, n: number): number | null {
    if (!(error instanceof ProviderError) || !error.retryable) return null;
    const after = error.retryAfter;
    if (after !== undefined && after > 0) return after > this.maxRetryAfter ? null : after;
    return this.backoff(n);
  }
}

/** Runs `attempt` until it succeeds or the policy gives up; rethrows the last error. */
export async function callWithRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  options: {
    deadlineAt?: number | null | undefined;
    signal?: AbortSignal | undefined;
    beforeSleep?: ((error: unknown, delay: number) => void) | undefined;
  } = {},
): Promise<T> {
  for (let number = 1; ; number++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const delay = policy.delayFor(error, number - 1);
      if (delay === null || number >= policy.spec.max_attempts) throw error;
      const deadline = options.deadlineAt;
      if (deadline !== null && deadline !== undefined && policy.clock.now() + delay >= deadline) throw error;
      options.beforeSleep?.(error, delay);
      await policy.clock.sleep(delay, options.signal);
    }
  }
}
