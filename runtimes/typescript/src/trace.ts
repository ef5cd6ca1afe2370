// Traces (docs/wire.md §9): every request that reached a server, whatever became of its
// call. A workflow run's Trace has one entry per call (a step, or one item of a scattered
// step) in step order, then item order; each lists its attempts.

/** One HTTP attempt of a call. */
export interface Attempt {
  /** The model alias of the route the attempt went to. */
  alias: string;
  provider: string;
  model: string;
  /** ok, invalid, truncated, refused, http NNN, reset, timeout, malformed (or cancelled). */
  outcome: string;
  /** call, retry, repair, downgrade or fallback: why this attempt was made. */
  kind: string;
  inputTokens: number;
  outputTokens: number;
  /** The HTTP status, when a response came. */
  status: number | null;
  requestId: string | null;
  /** Seconds from the attempt's start to its end. */
  latency: number;
  /** Seconds to the first streamed text, when streaming. */
  timeToFirstToken: number | null;
}

/** One call of a workflow run (or of an assistant function). */
export interface TraceEntry {
  step: string | null;
  index: number | null;
  assistant: string;
  /** ok, skipped (a failed item of an `on_error: skip` step) or failed. */
  status: "ok" | "skipped" | "failed";
  attempts: Attempt[];
  inputTokens: number;
  outputTokens: number;
  /** Seconds from the call's start to its end, waits included. */
  latency: number;
  /** The failure, as the run's error shows it (`[R004] openai m: ... (HTTP 503)`). */
  error: string | null;
}

/** The outline of one call, as the conformance vectors compare it. */
export interface OutlineEntry {
  step: string | null;
  index: number | null;
  assistant: string;
  status: string;
  /** `"ALIAS OUTCOME"` per attempt (`"fast http 429"`, `"fast ok"`). */
  attempts: string[];
  /** `[input, output]`, summed over every attempt, failed ones included. */
  tokens: [number, number];
}

/** Step order (the workflow's execution order) and item order, for merging entries. */
export function compareEntries(order: ReadonlyMap<string, number>): (a: TraceEntry, b: TraceEntry) => number {
  return (a, b) => {
    const sa = order.get(a.step ?? "") ?? -1;
    const sb = order.get(b.step ?? "") ?? -1;
    return sa !== sb ? sa - sb : (a.index ?? -1) - (b.index ?? -1);
  };
}

/** The calls of a workflow run (or of assistant calls), each with its attempts. */
export class Trace {
  workflow: string | null = null;
  readonly entries: TraceEntry[] = [];

  /** Step, index, assistant, status, attempts and tokens of every call (no timings). */
  outline(): OutlineEntry[] {
    return this.entries.map((e) => ({
      step: e.step,
      index: e.index,
      assistant: e.assistant,
      status: e.status,
      attempts: e.attempts.map((a) => a.alias + " " + a.outcome),
      tokens: [e.inputTokens, e.outputTokens],
    }));
  }

  /** Input tokens over every call. */
  get inputTokens(): number {
    return this.entries.reduce((sum, e) => sum + e.inputTokens, 0);
  }

  /** Output tokens over every call. */
  get outputTokens(): number {
    return this.entries.reduce((sum, e) => sum + e.outputTokens, 0);
  }

  /** HTTP attempts over every call. */
  get attempts(): number {
    return this.entries.reduce((sum, e) => sum + e.attempts.length, 0);
  }
}

/** An entry's tokens from its attempts. */
export function entryFor(
  fields: Omit<TraceEntry, "inputTokens" | "outputTokens">,
): TraceEntry {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const attempt of fields.attempts) {
    inputTokens += attempt.inputTokens;
    outputTokens += attempt.outputTokens;
  }
  return {
    step: fields.step,
    index: fields.index,
    assistant: fields.assistant,
    status: fields.status,
    attempts: fields.attempts,
    latency: fields.latency,
    error: fields.error,
    inputTokens,
    outputTokens,
  };
}
