// The model router: aliases resolved to routes, with fallbacks (docs/wire.md §7). A route's
// call that fails with R002, R004, R005, R006 or R007 tries the route's `fallback:` aliases in
// order (a fallback's own fallbacks after it, depth first, each alias once), each with a fresh
// attempt budget and the same turns as the first attempt; R001, R003 and R008 (and a
// cancellation) never fall back: they are mistakes to fix.

import { ProviderError, RouteError } from "./errors.js";
import { dumps, hasOwn } from "./json.js";
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
  /** Per alias, its chain and its client (the routes are fixed: made once, on first use). */
  private readonly chains = new Map<string, ReadonlyArray<readonly [string, ModelRoute]>>();
  private readonly clients = new Map<string, RoutedClient>();

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

  /** `chain(alias)`, computed once per alias and again if one of its routes was replaced (an
   * unknown alias throws every time). */
  chainOf(alias: string): ReadonlyArray<readonly [string, ModelRoute]> {
    let found = this.chains.get(alias);
    if (found !== undefined) {
      for (const [name, route] of found) {
        if (this.models[name] !== route) {
          found = undefined;
          break;
        }
      }
    }
    if (found === undefined) {
      found = this.chain(alias);
      this.chains.set(alias, found);
    }
    return found;
  }

  client(alias: string): RoutedClient {
    let found = this.clients.get(alias);
    if (found === undefined) {
      found = new RoutedClient(this, alias);
      this.clients.set(alias, found);
    }
    return found;
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
    const chain = this.router.chainOf(this.alias);
    return chain.map((_, i) => this.requestFor(request, chain, i));
  }

  /** The request to the `i`th route of `chain`. */
  private requestFor(request: ModelRequest, chain: ReadonlyArray<readonly [string, ModelRoute]>, i: number): ModelRequest {
    const [name, route] = chain[i] as readonly [string, ModelRoute];
    // A request made for this route already (the SDK client's) goes as it is: the copy below
    // would have the same members in the same order.
    if (i === 0 && request.route === route && request.metadata?.alias === name && hasOwn(request, "attemptKind")) return request;
    return {
      ...request,
      route,
      attemptKind: i === 0 ? request.attemptKind : "fallback",
      metadata: { ...(request.metadata ?? {}), alias: name },
    };
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    let last: ProviderError | null = null;
    const earlier: Attempt[] = [];
    const chain = this.router.chainOf(this.alias); // each route's request made when it is tried
    for (let i = 0; i < chain.length; i++) {
      const attempt = this.requestFor(request, chain, i);
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
