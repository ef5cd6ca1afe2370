// The model router: aliases resolved to routes, with fallbacks (docs/wire.md §7). A route's
// call that fails with R002, R004, R005, R006 or R007 tries the route's `fallback:` aliases in
// order (a fallback's own fallbacks after it, depth first, each alias once), each with a fresh
// attempt budget and the same turns as the first attempt; R001, R003 and R008 (and a
// cancellation) never fall back: they are mistakes to fix.

import { ProviderError, RouteError } from "./errors.js";
import { dumps } from "./json.js";
import type { Attempt } from "./trace.js";
import type { ModelClient, ModelRequest, ModelResponse, ModelRoute, StreamEvent } from "./types.js";

/** The codes after which a route's fallbacks are tried. */
export const FALLBACK_CODES: ReadonlySet<string> = new Set(["R002", "R004", "R005", "R006", "R007"]);

/** Whether `error` exhausts a route so that its fallbacks are tried. */
export function fallsBack(error: unknown): boolean {
  return error instanceof ProviderError && FALLBACK_CODES.has(error.code);
}

/** The error for an alias no route has. */
export function unknownAlias(alias: string, models: Readonly<Record<string, unknown>>): RouteError {
  return new RouteError("unknown model alias " + dumps(alias), {
    hint: "define it under models: (known: " + (Object.keys(models).sort().join(", ") || "none") + ")",
  });
}

export class Router {
  constructor(
    readonly models: Readonly<Record<string, ModelRoute>>,
    readonly backend: ModelClient,
  ) {}

  route(alias: string): ModelRoute {
    const found = Object.prototype.hasOwnProperty.call(this.models, alias) ? this.models[alias] : undefined;
    if (found === undefined) throw unknownAlias(alias, this.models);
    return found;
  }

  /** `alias` and its fallbacks, in the order they are tried. */
  chain(alias: string): Array<[string, ModelRoute]> {
    const order: Array<[string, ModelRoute]> = [];
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const route = this.route(name);
      order.push([name, route]);
      for (const other of route.fallback ?? []) visit(other);
    };
    visit(alias);
    return order;
  }

  client(alias: string): RoutedClient {
    return new RoutedClient(this, alias);
  }
}

/** `response` with the attempts of the routes given up before it first (tokens included). */
function withEarlier(response: ModelResponse, earlier: readonly Attempt[]): ModelResponse {
  if (earlier.length === 0) return response;
  const attempts = [...earlier, ...response.attempts];
  const usage = {
    inputTokens: attempts.reduce((sum, a) => sum + a.inputTokens, 0),
    outputTokens: attempts.reduce((sum, a) => sum + a.outputTokens, 0),
  };
  return { ...response, attempts, usage };
}

/** A ModelClient bound to an alias: each route of its chain in turn. */
export class RoutedClient implements ModelClient {
  constructor(
    readonly router: Router,
    readonly alias: string,
  ) {}

  private requests(request: ModelRequest): ModelRequest[] {
    return this.router.chain(this.alias).map(([name, route], i) => ({
      ...request,
      route,
      attemptKind: i === 0 ? request.attemptKind : "fallback",
      metadata: { ...(request.metadata ?? {}), alias: name },
    }));
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    let last: ProviderError | null = null;
    const earlier: Attempt[] = [];
    for (const attempt of this.requests(request)) {
      try {
        return withEarlier(await this.router.backend.complete(attempt), earlier);
      } catch (error) {
        if (error instanceof ProviderError) error.attempts = [...earlier, ...error.attempts];
        if (!fallsBack(error)) throw error;
        last = error as ProviderError;
        earlier.splice(0, earlier.length, ...last.attempts);
      }
    }
    throw last as ProviderError;
  }

  async *stream(request: ModelRequest): AsyncGenerator<StreamEvent> {
    const backend = this.router.backend;
    if (backend.stream === undefined) {
      const response = await this.complete(request);
      yield { type: "completed", response };
      return;
    }
    let last: ProviderError | null = null;
    const earlier: Attempt[] = [];
    const requests = this.requests(request);
    for (let i = 0; i < requests.length; i++) {
      const attempt = requests[i] as ModelRequest;
      if (i > 0) yield { type: "reset", attempt: 0, reason: "fallback to " + String(attempt.metadata?.alias) };
      try {
        for await (const event of backend.stream(attempt)) {
          if (event.type === "completed") {
            yield { type: "completed", response: withEarlier(event.response, earlier) };
            return;
          }
          yield event;
        }
      } catch (error) {
        if (error instanceof ProviderError) error.attempts = [...earlier, ...error.attempts];
        if (!fallsBack(error)) throw error;
        last = error as ProviderError;
        earlier.splice(0, earlier.length, ...last.attempts);
      }
    }
    throw last as ProviderError;
  }
}
