// The HTTP runtime: a ModelClient for every provider, over node:http (http.ts; or a fetch you
// pass). One call (docs/wire.md §7): resolve the provider and structured-output mode, send an
// attempt (its own timeout and first-token timeout, linked to the caller's AbortSignal), retry
// retryable failures, parse and check the answer, send a repair turn when it is invalid, and
// record every attempt, failed ones included (§9).

import { Cancelled, OutputInvalid, ProviderError, Timeout } from "./errors.js";
import { defaultTransport, type AbortLike, type Agents, type FetchLike, type HttpResponse, type Transport } from "./http.js";
import { dumps, formatNumber, hasOwn, isObject, parse, quote } from "./json.js";
import { inContractOrder } from "./order.js";
import { PROVIDERS, unknownProvider, withRouteHeaders, type Completion, type Exchange, type Provider, type Turn } from "./providers.js";
import { RetryPolicy, abortError, systemClock, type Clock } from "./retry.js";
import { lines, parseSse } from "./sse.js";
import {
  WRAP_KEY,
  describeInvalid,
  extractJson,
  parseAnswer,
  repairMessage,
  stripOptionalNulls,
  type Invalid,
} from "./structured.js";
import type { Attempt } from "./trace.js";
import { DEFAULT_RETRY, type ModelClient, type ModelRequest, type ModelResponse, type StreamEvent, type Usage } from "./types.js";

/** Seconds per attempt when neither the request nor the route sets `timeout`. */
export const DEFAULT_TIMEOUT = 600;

/** The User-Agent when the SDK names no aiwf version (the generated code always does). */
export const DEFAULT_USER_AGENT = "aiwf (typescript)";

export interface RuntimeOptions {
  /**
   * A fetch to send requests with (globalThis.fetch, or your own). Default: none, requests go
   * out through node:http / node:https over keep-alive Agents (http.ts).
   */
  fetch?: FetchLike | undefined;
  /** The Agents of the node:http transport (default: the shared keep-alive ones; unused with `fetch`). */
  agents?: Agents | undefined;
  /** Environment variables: keys, base URLs (default: process.env). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** `aiwf/VERSION (typescript)`: the SDK passes its aiwf version. */
  userAgent?: string | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  /** Called with every attempt as it ends. */
  onAttempt?: ((attempt: Attempt, request: ModelRequest) => void) | undefined;
}

interface CallState {
  request: ModelRequest;
  provider: Provider;
  policy: RetryPolicy;
  started: number;
  deadlineAt: number | null;
  apiKey: string | null;
  emit: ((event: StreamEvent) => void) | null;
  turns: Turn[];
  attempts: Attempt[];
  kind: string;
  emitted: boolean;
}

interface Outcome {
  completion: Completion;
  value: unknown;
  invalid: Invalid | null;
  requestId: string | null;
  /** The assistant turn a repair repeats (docs/wire.md §3). */
  answer: string;
}

/** The abort of one attempt: its timers and the caller's signal end it (lighter than an AbortController). */
class AttemptAbort implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | null = null;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = null;
    for (const listener of listeners ?? []) listener();
  }

  addEventListener(_type: "abort", listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners?.splice(at, 1);
  }
}

const watched = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `listener` when `signal` aborts; returns what stops that. One listener per signal
 * whatever the number of calls in flight under it (a scatter shares one signal).
 */
function whenAborted(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return () => undefined;
  let listeners = watched.get(signal);
  if (listeners === undefined) {
    const created = new Set<() => void>();
    listeners = created;
    watched.set(signal, created);
    signal.addEventListener(
      "abort",
      () => {
        for (const each of [...created]) each();
        created.clear();
      },
      { once: true },
    );
  }
  const own = listeners;
  own.add(listener);
  return () => own.delete(listener);
}

/** `seconds` as Python's `{:g}` writes it, for messages that every runtime shares. */
export function formatSeconds(seconds: number): string {
  const precise = Number(seconds.toPrecision(6));
  const exponent = precise === 0 ? 0 : Math.floor(Math.log10(Math.abs(precise)));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa, exp] = precise.toExponential().split("e") as [string, string];
    const n = Number(exp);
    return mantissa + "e" + (n < 0 ? "-" : "+") + String(Math.abs(n)).padStart(2, "0");
  }
  return String(precise);
}

function sumUsage(attempts: readonly Attempt[]): Usage {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const attempt of attempts) {
    inputTokens += attempt.inputTokens;
    outputTokens += attempt.outputTokens;
  }
  return { inputTokens, outputTokens };
}

/** An attempt in flight: when it began, its time budget, its abort and timers. */
interface LiveAttempt {
  began: number;
  budget: number;
  controller: AttemptAbort;
  /** Seconds to the first streamed text, once it came. */
  firstToken: number | null;
  timer: ReturnType<typeof setTimeout>;
  firstTokenTimer: ReturnType<typeof setTimeout> | null;
  unwatch: () => void;
}

/** A response body as JSON; a malformed response (R007) when it is not. */
function parseBody(text: string, route: ModelRequest["route"], requestId: string | null): unknown {
  try {
    return parse(text);
  } catch {
    throw new ProviderError("malformed response: not JSON", {
      provider: route.provider,
      model: route.model,
      requestId: requestId ?? undefined,
      outcome: "malformed",
    });
  }
}

/** The error of a call whose last answer is still invalid after its repairs. */
function outputInvalid(route: ModelRequest["route"], last: Outcome, repairAttempts: number): OutputInvalid {
  const invalid = last.invalid as Invalid;
  return new OutputInvalid(
    "output invalid after " + (repairAttempts + 1) + " answer(s): " + describeInvalid(invalid),
    invalid.kind === "problems" ? invalid.problems : [],
    last.completion.text,
    { provider: route.provider, model: route.model, requestId: last.requestId ?? undefined },
  );
}

/** A ModelClient for every provider in PROVIDERS. */
export class Runtime implements ModelClient {
  private readonly transport: Transport;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly userAgent: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onAttempt: RuntimeOptions["onAttempt"];
  private readonly providers = new Map<string, Provider>();

  constructor(options: RuntimeOptions = {}) {
    this.transport = defaultTransport(options.fetch, options.agents);
    this.env = options.env ?? process.env;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.onAttempt = options.onAttempt;
  }

  /** The provider for `name` (one per runtime: downgrades are remembered per runtime). */
  provider(name: string): Provider {
    let found = this.providers.get(name);
    if (found === undefined) {
      const factory = Object.prototype.hasOwnProperty.call(PROVIDERS, name) ? PROVIDERS[name] : undefined;
      if (factory === undefined) throw unknownProvider(name);
      found = factory();
      this.providers.set(name, found);
    }
    return found;
  }

  /** Makes the call and returns the validated response. */
  complete(request: ModelRequest): Promise<ModelResponse> {
    return this.run(request, null);
  }

  /** Makes the call streaming: deltas, resets when a retry or repair voids them, then completed. */
  async *stream(request: ModelRequest): AsyncGenerator<StreamEvent> {
    const queue: StreamEvent[] = [];
    let wake: (() => void) | null = null;
    let failure: { error: unknown } | null = null;
    let done = false;
    const push = (event: StreamEvent): void => {
      queue.push(event);
      wake?.();
    };
    const running = this.run(request, push).then(
      (response) => push({ type: "completed", response }),
      (error: unknown) => {
        failure = { error };
        wake?.();
      },
    );
    try {
      while (true) {
        const event = queue.shift();
        if (event !== undefined) {
          yield event;
          if (event.type === "completed") {
            done = true;
            return;
          }
          continue;
        }
        if (failure !== null) throw (failure as { error: unknown }).error;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    } finally {
      if (!done) await running.catch(() => undefined);
    }
  }

  private async run(request: ModelRequest, emit: ((event: StreamEvent) => void) | null): Promise<ModelResponse> {
    const route = request.route;
    const spec = request.retry ?? route.retry ?? DEFAULT_RETRY;
    const started = this.clock.now();
    const attempts: Attempt[] = [];
    try {
      if (request.signal?.aborted) throw abortError(request.signal);
      const provider = this.provider(route.provider);
      const state: CallState = {
        request,
        provider,
        policy: new RetryPolicy(spec, this.clock, this.random),
        started,
        deadlineAt: spec.deadline ? started + spec.deadline : null,
        apiKey: provider.apiKey(route, this.env),
        emit,
        turns: [["user", dumps(request.input)]],
        attempts,
        kind: request.attemptKind ?? "call",
        emitted: false,
      };
      // Each answer, then a repair turn while it is invalid (up to repair_attempts of them).
      const repairAttempts = spec.repair_attempts;
      let outcome: Outcome | null = null;
      for (let repair = 0; repair <= repairAttempts; repair++) {
        if (repair > 0) state.kind = "repair";
        outcome = await this.retried(state);
        if (outcome.invalid === null) {
          return {
            output: outcome.value,
            text: outcome.completion.text,
            usage: sumUsage(attempts),
            requestId: outcome.requestId,
            model: outcome.completion.model ?? route.model,
            provider: route.provider,
            attempts: [...attempts],
            latency: this.clock.now() - started,
            stopReason: outcome.completion.stopReason,
            alias: request.metadata?.alias ?? null,
            checked: request.check !== undefined,
          };
        }
        state.turns.push(["assistant", outcome.answer]);
        state.turns.push(["user", repairMessage(outcome.invalid)]);
      }
      throw outputInvalid(route, outcome as Outcome, repairAttempts);
    } catch (error) {
      if (error instanceof ProviderError) error.attempts = [...attempts];
      throw error;
    }
  }

  /**
   * One answer: attempts until one succeeds, retried as `callWithRetries` retries them (the
   * same policy, deadline and signal), an attempt the provider downgrades sent again at once
   * in the lower mode (not counted as a retry).
   */
  private async retried(state: CallState): Promise<Outcome> {
    const policy = state.policy;
    const signal = state.request.signal;
    for (let number = 1; ; number++) {
      const exchange = this.exchange(state);
      try {
        return await this.send(state, exchange);
      } catch (error) {
        if (error instanceof ProviderError && state.provider.downgrade(exchange, error)) {
          state.kind = "downgrade";
          number--;
          continue;
        }
        if (signal?.aborted) throw abortError(signal);
        const delay = policy.delayFor(error, number - 1);
        if (delay === null || number >= policy.spec.max_attempts) throw error;
        const deadline = state.deadlineAt;
        if (deadline !== null && policy.clock.now() + delay >= deadline) throw error;
        await policy.clock.sleep(delay, signal);
      }
    }
  }

  private exchange(state: CallState): Exchange {
    const { request, provider } = state;
    const route = request.route;
    const forms = request.outputForms ?? null;
    const mode = forms !== null ? provider.resolveMode(route) : null;
    return {
      request,
      route,
      turns: [...state.turns],
      instructions: request.instructions,
      mode,
      wire: forms !== null && mode ? provider.prepareSchema(mode, forms) : null,
      forms,
      apiKey: state.apiKey,
      maxTokens: request.maxTokens || route.max_tokens || null,
      temperature: request.temperature ?? route.temperature ?? null,
    };
  }

  private record(
    state: CallState,
    exchange: Exchange,
    outcome: string,
    kind: string,
    tokens: Usage | null,
    status: number | null,
    requestId: string | null,
    timeToFirstToken: number | null,
    began: number,
  ): void {
    const route = exchange.route;
    const attempt: Attempt = {
      alias: state.request.metadata?.alias ?? route.model,
      provider: route.provider,
      model: route.model,
      outcome,
      kind,
      inputTokens: tokens === null ? 0 : tokens.inputTokens,
      outputTokens: tokens === null ? 0 : tokens.outputTokens,
      status,
      requestId,
      latency: this.clock.now() - began,
      timeToFirstToken,
    };
    state.attempts.push(attempt);
    this.onAttempt?.(attempt, state.request);
  }

  /**
   * One attempt: its timers and the caller's signal armed (`arm`), the request built and
   * sent, the answer read (a streamed or failed one by `receive`), checked and recorded.
   */
  private async send(state: CallState, exchange: Exchange): Promise<Outcome> {
    const provider = state.provider;
    const route = exchange.route;
    const kind = state.kind;
    state.kind = "retry"; // a later attempt without another reason is a retry
    const number = state.attempts.length + 1;
    const stream = state.emit !== null;
    if (stream && state.emitted && state.emit !== null) {
      state.emit({ type: "reset", attempt: number, reason: kind });
      state.emitted = false;
    }
    const live = this.arm(state, route, stream);
    let httpStatus: number | null = null;
    let requestId: string | null = null;
    try {
      if (live.budget <= 0) {
        throw new Timeout("no complete answer within the call deadline of " + formatNumber(state.policy.spec.deadline ?? 0) + "s", {
          provider: route.provider,
          model: route.model,
          retryable: false,
        });
      }
      const call = provider.build(exchange, stream, this.env, this.userAgent);
      let completion: Completion;
      try {
        const response = await this.transport(call.url, {
          method: call.method,
          // The provider made these headers for this call: the route's, when it has some, go last.
          headers: route.headers === undefined ? call.headers : withRouteHeaders(call.headers, route.headers),
          body: dumps(call.body),
          signal: live.controller,
          stream,
        });
        httpStatus = response.status;
        requestId = provider.requestId(response.headers);
        if (response.status >= 400 || (stream && response.body !== null)) {
          completion = await this.receive(state, exchange, response, live, number);
        } else {
          completion = provider.parse(exchange, parseBody(await response.text(), route, requestId));
        }
      } catch (error) {
        throw this.transportError(error, live.controller, route.provider, route.model);
      }
      requestId = requestId ?? completion.responseId;
      const outcome = this.check(exchange, completion, requestId);
      this.record(
        state,
        exchange,
        outcome.invalid === null ? "ok" : outcome.invalid.kind === "truncated" ? "truncated" : "invalid",
        kind,
        completion.usage,
        httpStatus,
        requestId,
        live.firstToken,
        live.began,
      );
      return outcome;
    } catch (error) {
      const failure = error instanceof ProviderError ? error : this.transportError(error, live.controller, route.provider, route.model);
      this.record(state, exchange, failure.outcome, kind, null, failure.status ?? httpStatus, failure.requestId ?? requestId, live.firstToken, live.began);
      throw failure;
    } finally {
      clearTimeout(live.timer);
      if (live.firstTokenTimer !== null) clearTimeout(live.firstTokenTimer);
      live.unwatch();
    }
  }

  /** An attempt's abort, armed: its timeout (and first-token timeout) and the caller's signal. */
  private arm(state: CallState, route: ModelRequest["route"], stream: boolean): LiveAttempt {
    const request = state.request;
    const perAttempt = request.timeout ?? route.timeout ?? DEFAULT_TIMEOUT;
    const began = this.clock.now();
    const remaining = state.deadlineAt !== null ? state.deadlineAt - began : null;
    const budget = remaining === null ? perAttempt : Math.min(perAttempt, remaining);
    const deadlineBound = remaining !== null && remaining <= perAttempt;
    const firstTokenTimeout = stream ? (request.firstTokenTimeout ?? route.first_token_timeout ?? null) : null;
    const controller = new AttemptAbort();
    const limit = deadlineBound ? (state.policy.spec.deadline ?? 0) : perAttempt;
    if (!Number.isFinite(limit)) formatNumber(limit); // refused here, as when the message was made up front
    const live: LiveAttempt = {
      began,
      budget,
      controller,
      firstToken: null,
      timer: setTimeout(() => {
        const what = (deadlineBound ? "call deadline of " : "attempt timeout of ") + formatNumber(limit) + "s";
        controller.abort(
          new Timeout("no complete answer within the " + what, {
            provider: route.provider,
            model: route.model,
            retryable: !deadlineBound,
          }),
        );
      }, Math.max(0, budget * 1000)),
      firstTokenTimer: null,
      unwatch: whenAborted(request.signal, () => controller.abort(abortError(request.signal as AbortSignal))),
    };
    if (firstTokenTimeout !== null && firstTokenTimeout > 0 && firstTokenTimeout < budget) {
      live.firstTokenTimer = setTimeout(() => {
        if (live.firstToken !== null) return;
        controller.abort(
          new Timeout("no token within the first-token timeout of " + formatSeconds(firstTokenTimeout) + "s", {
            provider: route.provider,
            model: route.model,
          }),
        );
      }, firstTokenTimeout * 1000);
    }
    return live;
  }

  /** The answer of an attempt that failed with an HTTP status (thrown) or streams its text. */
  private async receive(state: CallState, exchange: Exchange, response: HttpResponse, live: LiveAttempt, number: number): Promise<Completion> {
    const provider = state.provider;
    if (response.status >= 400) {
      throw provider.error(exchange, response.status, response.headers, await response.text());
    }
    let completion: Completion;
    try {
      completion = await provider.parseStream(exchange, parseSse(lines(response.body as AsyncIterable<Uint8Array>)), (text) => {
        if (live.firstToken === null) live.firstToken = this.clock.now() - live.began;
        state.emitted = true;
        state.emit?.({ type: "delta", text, attempt: number });
      });
    } catch (error) {
      response.release?.(false);
      throw error;
    }
    // Left at its last event: the rest of the body is read after this returns (http.ts).
    response.release?.(true);
    return completion;
  }

  private transportError(error: unknown, signal: AbortLike, provider: string, model: string): ProviderError {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      return reason instanceof ProviderError ? reason : new Cancelled(undefined, { provider, model });
    }
    if (error instanceof ProviderError) return error;
    return new ProviderError("connection failed", { provider, model, outcome: "reset" });
  }

  private check(exchange: Exchange, completion: Completion, requestId: string | null): Outcome {
    const forms = exchange.forms;
    const outcome: Outcome = { completion, value: completion.text, invalid: null, requestId, answer: completion.text };
    if (forms === null || exchange.wire === null) return outcome;
    let found: { value: unknown } | null;
    if (completion.hasValue) found = { value: completion.value };
    else if (exchange.mode === "prompt") found = extractJson(completion.text);
    else found = parseAnswer(completion.text);
    if (found === null) {
      outcome.invalid = completion.truncated ? { kind: "truncated" } : { kind: "json" };
      return outcome;
    }
    let value = found.value;
    const wire = exchange.wire;
    // A forced tool's answer, repeated in a repair, is its input as canonical JSON in the
    // order of the schema it was sent (docs/wire.md §3).
    if (completion.hasValue) outcome.answer = dumps(inContractOrder(value, wire.form.value));
    if (wire.strict) value = stripOptionalNulls(value, forms.wrapped.value);
    if (wire.wrapped) {
      if (!isObject(value) || !hasOwn(value, WRAP_KEY)) {
        outcome.invalid = { kind: "problems", problems: ["(root): required: expected property " + quote(WRAP_KEY) + ", got nothing"] };
        return outcome;
      }
      value = value[WRAP_KEY];
    }
    const problems = exchange.request.check?.(value) ?? [];
    outcome.value = value;
    if (problems.length > 0) outcome.invalid = { kind: "problems", problems };
    return outcome;
  }
}
