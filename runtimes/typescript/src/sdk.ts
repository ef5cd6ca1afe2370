// What a generated SDK runs on: its definition (the spec's routes, environments, contract
// types, schema forms, assistants and workflows, all data the generator wrote), and the SDK
// client that calls assistants and runs workflows with run-time route overrides and a
// run-time choice of environment.

import { Runtime } from "./client.js";
import { ProviderError, RouteError } from "./errors.js";
import type { Agents, FetchLike } from "./http.js";
import { dumps } from "./json.js";
import { inContractOrder } from "./order.js";
import { Router, type RoutedClient } from "./router.js";
import { SchemaForms, type SchemaFormsData } from "./structured.js";
import { Trace, entryFor, type Attempt } from "./trace.js";
import type { ModelClient, ModelRequest, ModelResponse, ModelRoute, RetrySpec, StreamEvent } from "./types.js";
import { problems, summary, ValidationError, type TypeData, type TypeTable } from "./validate.js";
import { RunFailed, StepFailed, runSteps, type CallOutcome, type StepDef, type WorkflowDef } from "./workflow.js";

/** An assistant as the IR defines it. */
export interface AssistantDef {
  name: string;
  /** The model alias. */
  model: string;
  instructions: string;
  /** The input and output contracts. */
  input: string;
  output: string;
  temperature: number | null;
  maxTokens: number | null;
  retry: RetrySpec | null;
}

/** Everything an SDK knows about its spec, as data. */
export interface SdkDefinition {
  name: string;
  /** `aiwf/VERSION (typescript)`. */
  userAgent: string;
  /** The spec's routes: alias -> route. */
  models: Readonly<Record<string, ModelRoute>>;
  /** The project's environments: name -> alias -> the route with that environment's overrides. */
  environments: Readonly<Record<string, Readonly<Record<string, ModelRoute>>>>;
  /** Contract types (the IR's), by contract name. */
  types: TypeTable;
  /** Each contract's JSON Schema in its three wire forms. */
  schemas: Readonly<Record<string, SchemaFormsData>>;
  assistants: Readonly<Record<string, AssistantDef>>;
  workflows: Readonly<Record<string, WorkflowDef>>;
}

/** A run-time change of one route: any of its base URL, model and API key variable. */
export interface RouteOverride {
  baseUrl?: string | undefined;
  model?: string | undefined;
  apiKeyEnv?: string | undefined;
}

/** How an SDK client calls models. */
export interface ClientOptions {
  /** Per alias, a base URL, model or API key variable to use instead of the spec's. */
  routes?: Readonly<Record<string, RouteOverride>> | undefined;
  /** The environment whose route overrides apply (default: `$AIWF_ENV` when set). */
  environment?: string | null | undefined;
  /** Environment variables: keys, base URLs, AIWF_ENV (default: process.env). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The client that answers model requests (default: the HTTP runtime, `Runtime`). */
  modelClient?: ModelClient | undefined;
  /** A fetch for the HTTP runtime to send requests with (default: node:http, keep-alive). */
  fetch?: FetchLike | undefined;
  /** The Agents of the HTTP runtime's node:http transport (default: the shared keep-alive ones). */
  agents?: Agents | undefined;
}

/** Options of one call of an assistant or one run of a workflow. */
export interface CallOptions {
  /** The client that answers model requests (instead of the SDK client's). */
  client?: ModelClient | undefined;
  /** The SDK client to use (default: one per process, from process.env). */
  sdk?: SdkClient | undefined;
  /** Cancels the call or the run. */
  signal?: AbortSignal | undefined;
  /** Receives one entry per model call, with its attempts. */
  trace?: Trace | undefined;
  /** Streams every model call; each event is passed here (first-token timeouts apply). */
  onEvent?: ((event: StreamEvent, call: { step: string | null; index: number | null; assistant: string }) => void) | undefined;
}

/** Options of a workflow run (the same as a call's). */
export type RunOptions = CallOptions;

/** What `runWorkflow` returns: the result, or the error; and the trace either way. */
export interface WorkflowRun {
  result: unknown;
  error: { code: string; message: string } | null;
  trace: Trace;
}

/** A configuration mistake of an SDK client (an environment the SDK does not know). */
export class ConfigError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(message: string, code: string, hint?: string) {
    super(message);
    this.name = "ConfigError";
    this.code = code;
    this.hint = hint;
  }
}

/** A name as Python's `repr` quotes it (the messages every SDK shares). */
function pyRepr(text: string): string {
  return text.includes("'") && !text.includes('"') ? '"' + text + '"' : "'" + text.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

/** The routes of `definition` in effect: the spec's, the environment's (`options.environment`,
 * else `$AIWF_ENV` when the SDK knows it), then the overrides. */
export function effectiveRoutes(definition: SdkDefinition, options: ClientOptions): Record<string, ModelRoute> {
  const env = options.env ?? process.env;
  const known = (name: string): boolean => Object.prototype.hasOwnProperty.call(definition.environments, name);
  let chosen = options.environment;
  if (chosen === undefined) {
    const named = env["AIWF_ENV"] || null;
    chosen = named !== null && known(named) ? named : null;
  }
  if (chosen && !known(chosen)) {
    const names = Object.keys(definition.environments).sort().join(", ") || "none";
    throw new ConfigError(
      "unknown environment " + pyRepr(chosen) + " (this SDK knows: " + names + ")",
      "C005",
      "environments come from the project config the SDK was generated with",
    );
  }
  const routes: Record<string, ModelRoute> = { ...definition.models };
  if (chosen) Object.assign(routes, definition.environments[chosen]);
  for (const [alias, change] of Object.entries(options.routes ?? {})) {
    const route = Object.prototype.hasOwnProperty.call(routes, alias) ? routes[alias] : undefined;
    if (route === undefined) {
      const names = Object.keys(routes).sort().join(", ");
      throw new RouteError("route override for unknown model alias " + pyRepr(alias) + " (known: " + names + ")");
    }
    routes[alias] = {
      ...route,
      ...(change.baseUrl !== undefined ? { base_url: change.baseUrl } : {}),
      ...(change.model !== undefined ? { model: change.model } : {}),
      ...(change.apiKeyEnv !== undefined ? { api_key_env: change.apiKeyEnv } : {}),
    };
  }
  return routes;
}

/** A call streamed: every event passed to `onEvent`, then the response. */
async function streamed(
  client: RoutedClient,
  request: ModelRequest,
  onEvent: NonNullable<CallOptions["onEvent"]>,
  where: { step: string | null; index: number | null; assistant: string },
): Promise<ModelResponse> {
  for await (const event of client.stream(request)) {
    onEvent(event, where);
    if (event.type === "completed") return event.response;
  }
  throw new ProviderError("the stream ended without an answer", { outcome: "malformed" });
}

let defaultModelClient: ModelClient | null = null;
const defaults = new WeakMap<SdkDefinition, SdkClient>();

/** Use `client` for every call that names none (null: back to the HTTP runtime). */
export function setDefaultClient(client: ModelClient | null): void {
  defaultModelClient = client;
}

/** The SDK client a call uses: `options.sdk`, a client over `options.client`, or the default. */
export function sdkClient(definition: SdkDefinition, options: CallOptions = {}): SdkClient {
  if (options.sdk !== undefined) return options.sdk;
  if (options.client !== undefined) return new SdkClient(definition, { modelClient: options.client });
  if (defaultModelClient !== null) return new SdkClient(definition, { modelClient: defaultModelClient });
  let found = defaults.get(definition);
  if (found === undefined) {
    found = new SdkClient(definition);
    defaults.set(definition, found);
  }
  return found;
}

/** Calls assistants and runs workflows of one SDK. */
export class SdkClient {
  readonly definition: SdkDefinition;
  /** The routes in effect (environment and overrides applied). */
  readonly routes: Readonly<Record<string, ModelRoute>>;
  readonly modelClient: ModelClient;
  private readonly router: Router;
  private readonly forms = new Map<string, SchemaForms>();
  /** Per contract, its `ref` type and its output check (made once, used on every call). */
  private readonly refs = new Map<string, TypeData>();
  private readonly checks = new Map<string, (output: unknown) => string[]>();

  constructor(definition: SdkDefinition, options: ClientOptions = {}) {
    this.definition = definition;
    this.routes = effectiveRoutes(definition, options);
    this.modelClient =
      options.modelClient ??
      new Runtime({ env: options.env ?? process.env, fetch: options.fetch, agents: options.agents, userAgent: definition.userAgent });
    this.router = new Router(this.routes, this.modelClient);
  }

  /** The validation problems of `value` against `contract` (none: valid). */
  problems(contract: string, value: unknown): string[] {
    let type = this.refs.get(contract);
    if (type === undefined) {
      type = { kind: "ref", name: contract };
      this.refs.set(contract, type);
    }
    return problems(value, type, this.definition.types);
  }

  /** The check of a call's output against `contract`. */
  private outputCheck(contract: string): (output: unknown) => string[] {
    let found = this.checks.get(contract);
    if (found === undefined) {
      found = (output) => this.problems(contract, output);
      this.checks.set(contract, found);
    }
    return found;
  }

  private schemaForms(contract: string): SchemaForms {
    let found = this.forms.get(contract);
    if (found === undefined) {
      const data = this.definition.schemas[contract];
      if (data === undefined) throw new Error("no schema for contract " + JSON.stringify(contract));
      found = new SchemaForms(data);
      this.forms.set(contract, found);
    }
    return found;
  }

  private assistantDef(name: string): AssistantDef {
    const found = Object.prototype.hasOwnProperty.call(this.definition.assistants, name) ? this.definition.assistants[name] : undefined;
    if (found === undefined) throw new RouteError("unknown assistant " + dumps(name));
    return found;
  }

  /** One model call of an assistant: the response (with its attempts), or the error. */
  complete(
    assistant: AssistantDef,
    value: unknown,
    options: CallOptions & { step?: string | null; index?: number | null; workflow?: string | null } = {},
  ): Promise<ModelResponse> {
    // Not an async function: the routed client's promise is returned as it is (a mistake
    // found here still comes as a rejection).
    try {
      return this.request(assistant, value, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private request(
    assistant: AssistantDef,
    value: unknown,
    options: CallOptions & { step?: string | null; index?: number | null; workflow?: string | null },
  ): Promise<ModelResponse> {
    const router = options.client !== undefined ? new Router(this.routes, options.client) : this.router;
    const route = router.route(assistant.model);
    const request: ModelRequest = {
      route,
      instructions: assistant.instructions,
      input: inContractOrder(value, this.schemaForms(assistant.input).plain.value),
      outputForms: this.schemaForms(assistant.output),
      schemaName: assistant.output,
      check: this.outputCheck(assistant.output),
      temperature: assistant.temperature,
      maxTokens: assistant.maxTokens,
      // The assistant's retry settings, else its own route's, on every route it tries: a
      // fallback's own `retry:` is for the assistants whose model it is (docs/wire.md §7).
      retry: assistant.retry ?? route.retry ?? undefined,
      signal: options.signal,
      metadata: {
        assistant: assistant.name,
        workflow: options.workflow ?? null,
        step: options.step ?? null,
        index: options.index ?? null,
        alias: assistant.model,
      },
      attemptKind: undefined, // the router's member, here so that it sends this request as it is
    };
    const client = router.client(assistant.model);
    const onEvent = options.onEvent;
    if (onEvent === undefined) return client.complete(request);
    const where = { step: options.step ?? null, index: options.index ?? null, assistant: assistant.name };
    return streamed(client, request, onEvent, where);
  }

  /** Calls the assistant `name` on `input` (checked against its input contract first). */
  async assistant(name: string, input: unknown, options: CallOptions = {}): Promise<unknown> {
    const assistant = this.assistantDef(name);
    const wrong = this.problems(assistant.input, input);
    if (wrong.length > 0) throw new ValidationError(assistant.input, wrong);
    const started = performance.now();
    try {
      const response = await this.complete(assistant, input, options);
      options.trace?.entries.push(
        entryFor({ step: null, index: null, assistant: name, status: "ok", attempts: response.attempts, latency: response.latency, error: null }),
      );
      return response.output;
    } catch (error) {
      const attempts = error instanceof ProviderError ? error.attempts : [];
      options.trace?.entries.push(
        entryFor({
          step: null,
          index: null,
          assistant: name,
          status: "failed",
          attempts,
          latency: (performance.now() - started) / 1000,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      throw error;
    }
  }

  /** Runs the workflow `name` and returns its result; a RunFailed when it fails. */
  async workflow(name: string, input: unknown, options: RunOptions = {}): Promise<unknown> {
    const workflow = Object.prototype.hasOwnProperty.call(this.definition.workflows, name) ? this.definition.workflows[name] : undefined;
    if (workflow === undefined) {
      throw new RunFailed(
        "E504",
        "unknown workflow " + dumps(name) + " (known: " + (Object.keys(this.definition.workflows).sort().join(", ") || "none") + ")",
      );
    }
    const trace = options.trace ?? new Trace();
    const callStep = async (step: StepDef, value: unknown, index: number | null, signal: AbortSignal): Promise<CallOutcome> => {
      const assistant = this.assistantDef(step.assistant);
      const wrong = this.problems(assistant.input, value);
      if (wrong.length > 0) {
        const text = "its input is not valid for " + assistant.input + ": " + summary(wrong);
        return { error: new StepFailed("E500", step.id, index, text), attempts: [], latency: 0 };
      }
      const started = performance.now();
      try {
        const response = await this.complete(assistant, value, {
          client: options.client,
          onEvent: options.onEvent,
          signal,
          step: step.id,
          index,
          workflow: name,
        });
        const invalid = response.checked ? [] : this.problems(assistant.output, response.output);
        if (invalid.length > 0) {
          const text = "the model's output is not valid for " + assistant.output + ": " + summary(invalid);
          return { error: new StepFailed("E500", step.id, index, text), attempts: response.attempts, latency: response.latency };
        }
        return { output: response.output, attempts: response.attempts, latency: response.latency };
      } catch (error) {
        const attempts: Attempt[] = error instanceof ProviderError ? error.attempts : [];
        return { error, attempts, latency: (performance.now() - started) / 1000 };
      }
    };
    return runSteps(workflow, input, this.definition.types, callStep, trace, options.signal);
  }

  /** Runs the workflow `name` on JSON `input`: the result or the error, and the trace. */
  async runWorkflow(name: string, input: unknown, options: RunOptions = {}): Promise<WorkflowRun> {
    const trace = options.trace ?? new Trace();
    try {
      const result = await this.workflow(name, input, { ...options, trace });
      return { result, error: null, trace };
    } catch (error) {
      const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : "E500";
      return { result: null, error: { code, message: error instanceof Error ? error.message : String(error) }, trace };
    }
  }
}

/** `value` typed as `T` when it matches `contract`; a ValidationError otherwise. */
export function parseContract<T>(definition: SdkDefinition, contract: string, value: unknown): T {
  const wrong = problems(value, { kind: "ref", name: contract }, definition.types);
  if (wrong.length > 0) throw new ValidationError(contract, wrong);
  return value as T;
}
