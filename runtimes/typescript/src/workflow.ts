// Workflows as the aiwf engine runs them, over the IR the SDK embeds: bindings evaluated (a
// path that leads nowhere is dropped from an object, null in an array or as a whole value,
// empty in a string template, where other values are written as canonical JSON), steps run
// as soon as the steps they depend on are done, a scattered step in a bounded pool that keeps
// input order, the first failure cancelling the rest (docs/wire.md §8), and one trace entry
// per call with its attempts (§9).

import { Cancelled } from "./errors.js";
import { dumps, hasOwn, isObject, kindOf, ordered } from "./json.js";
import { inContractOrder } from "./order.js";
import { compareEntries, entryFor, Trace, type Attempt, type TraceEntry } from "./trace.js";
import { problems, summary, type TypeData, type TypeTable } from "./validate.js";

// -- bindings -------------------------------------------------------------------------------

/** A binding of the IR (a step's input, a workflow's output). */
export type Binding =
  | { kind: "ref"; root: "input" | "step" | "item" | "index"; step?: string; path?: Array<string | number>; text?: string }
  | { kind: "literal"; value?: unknown }
  | { kind: "template"; parts: Array<string | Binding> }
  | { kind: "object"; fields: Array<[string, Binding]> }
  | { kind: "array"; items: Binding[] };

const MISSING_TAG: unique symbol = Symbol("aiwf.missing");
/** The value of a path that leads nowhere. */
export const MISSING = MISSING_TAG;
export type Missing = typeof MISSING_TAG;

/** What bindings read: the workflow input, finished step outputs, the scatter item and index. */
export interface Scope {
  input: unknown;
  outputs: ReadonlyMap<string, unknown>;
  item?: unknown;
  index?: number | null;
}

/** Follows `path` into `value`; MISSING when it leads nowhere (negative indexes count from the end). */
export function walk(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let current: unknown = value;
  for (const part of path) {
    if (typeof part === "number") {
      if (Array.isArray(current) && -current.length <= part && part < current.length) {
        current = current[part < 0 ? current.length + part : part];
      } else if (isObject(current) && hasOwn(current, String(part))) {
        current = current[String(part)];
      } else {
        return MISSING;
      }
    } else if (isObject(current) && hasOwn(current, part)) {
      current = current[part];
    } else {
      return MISSING;
    }
  }
  return current;
}

function resolve(ref: Extract<Binding, { kind: "ref" }>, scope: Scope): unknown {
  let base: unknown;
  if (ref.root === "input") base = scope.input;
  else if (ref.root === "step") base = scope.outputs.has(ref.step ?? "") ? scope.outputs.get(ref.step ?? "") : MISSING;
  else if (ref.root === "item") base = "item" in scope ? scope.item : MISSING;
  else base = scope.index === undefined || scope.index === null ? MISSING : scope.index;
  if (base === MISSING || !ref.path || ref.path.length === 0) return base;
  return walk(base, ref.path);
}

/** How a value appears inside a string template (docs/wire.md §3): a string as it is, any
 * other value as canonical JSON with every object's members sorted by code point. */
export function interpolate(value: unknown): string {
  if (value === MISSING) return "";
  return typeof value === "string" ? value : dumps(inContractOrder(value, null));
}

function evaluateRaw(binding: Binding, scope: Scope): unknown {
  switch (binding.kind) {
    case "ref":
      return resolve(binding, scope);
    case "literal":
      return binding.value ?? null;
    case "template":
      return binding.parts.map((part) => (typeof part === "string" ? part : interpolate(evaluateRaw(part, scope)))).join("");
    case "object": {
      const entries: Array<[string, unknown]> = [];
      for (const [key, field] of binding.fields) {
        const value = evaluateRaw(field, scope);
        if (value !== MISSING) entries.push([key, value]);
      }
      return ordered(entries);
    }
    case "array":
      return binding.items.map((item) => {
        const value = evaluateRaw(item, scope);
        return value === MISSING ? null : value;
      });
  }
}

/** The JSON value of `binding` in `scope` (missing becomes null). */
export function evaluate(binding: Binding, scope: Scope): unknown {
  const value = evaluateRaw(binding, scope);
  return value === MISSING ? null : value;
}

// -- failures -------------------------------------------------------------------------------

/** A workflow run failed: its code (the cause's, or E500/E501/E502) and where. */
export class RunFailed extends Error {
  readonly code: string;
  readonly step: string | null;
  readonly index: number | null;

  constructor(code: string, message: string, step: string | null = null, index: number | null = null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "RunFailed";
    this.code = code;
    this.step = step;
    this.index = index;
  }
}

/** A step (or one item of a scattered step) failed. */
export class StepFailed extends RunFailed {
  constructor(code: string, step: string, index: number | null, text: string, cause?: unknown) {
    super(code, "step " + step + (index === null ? "" : " item " + index) + " failed: " + text, step, index, cause);
    this.name = "StepFailed";
  }

  /** The failure of a call: E500, `[CODE] CAUSE`. */
  static of(step: string, index: number | null, error: unknown): StepFailed {
    if (error instanceof StepFailed) return error;
    return new StepFailed("E500", step, index, describe(error), error);
  }
}

/** One line about a failure: `[CODE] MESSAGE` for aiwf's errors, else its class and text. */
function describe(error: unknown): string {
  let text = String(error);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z]\d{3}$/.test(code)) text = "[" + code + "] " + error.message;
    else text = error.message ? error.name + ": " + error.message : error.name;
  }
  return text.split(/\s+/).filter((word) => word !== "").join(" ");
}

// -- running --------------------------------------------------------------------------------

/** A step of a workflow, as the IR has it. */
export interface StepDef {
  id: string;
  assistant: string;
  input: Binding;
  scatter?: { over: Extract<Binding, { kind: "ref" }>; concurrency: number; on_error?: "fail" | "skip" } | null;
  depends_on?: string[];
}

/** A workflow of the IR: input and output contracts, steps in execution order, the output. */
export interface WorkflowDef {
  name: string;
  input: string;
  output: Binding;
  output_contract: string;
  steps: StepDef[];
}

/** The outcome of one call: its output, or the failure; always its attempts. */
export interface CallOutcome {
  output?: unknown;
  error?: unknown;
  attempts: Attempt[];
  latency: number;
}

/** How a run makes one call of an assistant (the SDK client supplies it). */
export type CallStep = (
  step: StepDef,
  value: unknown,
  index: number | null,
  signal: AbortSignal,
) => Promise<CallOutcome>;

/** Validates values against the SDK's contract types. */
export function checker(types: TypeTable): (contract: string, value: unknown) => string[] {
  return (contract, value) => {
    const type: TypeData = { kind: "ref", name: contract };
    return problems(value, type, types);
  };
}

/** Runs `workflow` on `input`; the trace receives one entry per call, in step then item order. */
export async function runSteps(
  workflow: WorkflowDef,
  input: unknown,
  types: TypeTable,
  callStep: CallStep,
  trace: Trace,
  signal?: AbortSignal,
): Promise<unknown> {
  const check = checker(types);
  trace.workflow = workflow.name;
  const invalid = check(workflow.input, input);
  if (invalid.length > 0) {
    throw new RunFailed(
      "E502",
      "the input is not valid for workflow " + workflow.name + " (" + workflow.input + "): " + summary(invalid),
    );
  }
  const order = new Map(workflow.steps.map((step, position) => [step.id, position]));
  const entries: TraceEntry[] = [];
  const outputs = new Map<string, unknown>();
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let failure: { error: unknown } | null = null;
  const fail = (error: unknown): void => {
    if (failure === null) {
      failure = { error };
      controller.abort(new Cancelled("cancelled: another step failed"));
    }
  };

  const call = async (step: StepDef, value: unknown, index: number | null, skip: boolean, inner: AbortSignal): Promise<unknown> => {
    const outcome = await callStep(step, value, index, inner);
    if (!("error" in outcome)) {
      entries.push(
        entryFor({ step: step.id, index, assistant: step.assistant, status: "ok", attempts: outcome.attempts, latency: outcome.latency, error: null }),
      );
      return outcome.output;
    }
    const error = outcome.error;
    if (inner.aborted && !(error instanceof StepFailed)) throw error; // cancelled with its siblings: not in the trace
    const failed = StepFailed.of(step.id, index, error);
    const status = skip ? "skipped" : "failed";
    const text = failed.message.slice(failed.message.indexOf(" failed: ") + " failed: ".length);
    entries.push(entryFor({ step: step.id, index, assistant: step.assistant, status, attempts: outcome.attempts, latency: outcome.latency, error: text }));
    if (skip) return null;
    throw failed;
  };

  const runStep = async (step: StepDef): Promise<void> => {
    const scope: Scope = { input, outputs };
    if (!step.scatter) {
      outputs.set(step.id, await call(step, evaluate(step.input, scope), null, false, controller.signal));
      return;
    }
    const scatter = step.scatter;
    const items = evaluateRaw(scatter.over, scope);
    if (items === null || items === MISSING) {
      outputs.set(step.id, []);
      return;
    }
    if (!Array.isArray(items)) {
      throw new StepFailed("E500", step.id, null, "scatter over " + (scatter.over.text ?? "") + " is not an array (" + kindOf(items) + ")");
    }
    const skip = scatter.on_error === "skip";
    outputs.set(
      step.id,
      await pool(items, scatter.concurrency, controller.signal, (item, index, inner) =>
        call(step, evaluate(step.input, { input, outputs, item, index }), index, skip, inner),
      ),
    );
  };

  // Each step starts when every step it depends on is done (in execution order otherwise).
  const started = new Map<string, Promise<void>>();
  const start = (step: StepDef): Promise<void> => {
    let running = started.get(step.id);
    if (running === undefined) {
      const before = (step.depends_on ?? []).map((id) => {
        const other = workflow.steps.find((s) => s.id === id);
        return other === undefined ? Promise.resolve() : start(other);
      });
      running = Promise.all(before).then(async () => {
        if (controller.signal.aborted) return;
        try {
          await runStep(step);
        } catch (error) {
          fail(error);
        }
      });
      started.set(step.id, running);
    }
    return running;
  };
  try {
    await Promise.all(workflow.steps.map(start));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    entries.sort(compareEntries(order));
    trace.entries.push(...entries);
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  if (signal?.aborted) throw new Cancelled("the run was cancelled");
  const result = evaluate(workflow.output, { input, outputs });
  const wrong = check(workflow.output_contract, result);
  if (wrong.length > 0) {
    throw new RunFailed(
      "E501",
      "the result of workflow " + workflow.name + " is not valid for " + workflow.output_contract + ": " + summary(wrong),
    );
  }
  return result;
}

/**
 * Runs `task` over `items` with at most `concurrency` in flight; results in input order. The
 * first failure aborts the shared signal (the other tasks' calls are cancelled), waits for
 * them to settle and is rethrown.
 */
export async function pool<T>(
  items: readonly unknown[],
  concurrency: number,
  outer: AbortSignal | undefined,
  task: (item: unknown, index: number, signal: AbortSignal) => Promise<T>,
): Promise<T[]> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  const results: T[] = new Array<T>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === null && !controller.signal.aborted) {
      const index = next++;
      try {
        results[index] = await task(items[index], index, controller.signal);
      } catch (error) {
        if (failure === null) failure = { error };
        controller.abort(error);
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker);
  try {
    await Promise.all(workers);
  } finally {
    outer?.removeEventListener("abort", onAbort);
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  if (controller.signal.aborted) throw controller.signal.reason;
  return results;
}
