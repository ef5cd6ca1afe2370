// Structured output: the three wire forms of an output schema (docs/wire.md §4, computed by
// the generator with the Python runtime's own functions and embedded as canonical JSON
// text), answers parsed, strict-mode nulls stripped, and the repair turns of §3.

import { JsonSyntaxError, RawJson, hasOwn, isObject, keysOf, ordered, parse, parseAt } from "./json.js";
import { resolveRef } from "./order.js";
import { summary } from "./validate.js";

/** The property a non-object output is wrapped in. */
export const WRAP_KEY = "value";

/** The wire forms of one output contract's schema, as canonical JSON texts. */
export interface SchemaFormsData {
  /** The contract's JSON Schema (prompt and json_object descriptions). */
  plain: string;
  /** An object root: the schema, or it wrapped under `value` (Anthropic tool and native). */
  wrapped: string;
  /** The wrapped form made OpenAI-strict (json_schema modes). */
  strict: string;
  /** Whether the wrapped forms put the answer under `value`. */
  isWrapped: boolean;
}

/** A schema form's text for a body, and its value (parsed once, member order kept). */
export class SchemaForm {
  private parsed: unknown = undefined;
  readonly raw: RawJson;

  constructor(readonly text: string) {
    this.raw = new RawJson(text);
  }

  get value(): unknown {
    if (this.parsed === undefined) this.parsed = parse(this.text);
    return this.parsed;
  }
}

/** The three forms of an output schema. */
export class SchemaForms {
  readonly plain: SchemaForm;
  readonly wrapped: SchemaForm;
  readonly strict: SchemaForm;
  readonly isWrapped: boolean;

  constructor(data: SchemaFormsData) {
    this.plain = new SchemaForm(data.plain);
    this.wrapped = new SchemaForm(data.wrapped);
    this.strict = new SchemaForm(data.strict);
    this.isWrapped = data.isWrapped;
  }
}

function allowsNull(schema: unknown, root: Record<string, unknown> | null): boolean {
  schema = resolveRef(schema, root) ?? schema;
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return true;
  if (!isObject(schema)) return false;
  const t = schema["type"];
  if (t === "null" || (Array.isArray(t) && t.includes("null"))) return true;
  const values = schema["enum"];
  if (Array.isArray(values) && values.includes(null)) return true;
  if (hasOwn(schema, "const") && schema["const"] === null) return true;
  const variants = [schema["anyOf"], schema["oneOf"]].flatMap((v) => (Array.isArray(v) ? v : []));
  return variants.some((v) => allowsNull(v, root));
}

/** `value` without the nulls strict mode made the model send for optional properties that do
 * not allow null themselves (`schema`: the wrapped form, before it was made strict). */
export function stripOptionalNulls(value: unknown, schema: unknown, root?: Record<string, unknown> | null): unknown {
  const top = root === undefined ? (isObject(schema) ? schema : null) : root;
  const resolved = resolveRef(schema, top) ?? schema;
  if (!isObject(resolved)) return value;
  if (isObject(value)) {
    const props = resolved["properties"];
    if (!isObject(props)) return value;
    const required = new Set(Array.isArray(resolved["required"]) ? resolved["required"] : []);
    const entries: Array<[string, unknown]> = [];
    for (const key of keysOf(value)) {
      const item = value[key];
      const known = hasOwn(props, key);
      if (item === null && known && !required.has(key) && !allowsNull(props[key], top)) continue;
      entries.push([key, known ? stripOptionalNulls(item, props[key], top) : item]);
    }
    return ordered(entries);
  }
  if (Array.isArray(value)) {
    const items = resolved["items"];
    if (isObject(items)) return value.map((v) => stripOptionalNulls(v, items, top));
  }
  return value;
}

/** Why an answer needs repair. */
export type Invalid =
  | { kind: "json" }
  | { kind: "truncated" }
  | { kind: "problems"; problems: readonly string[] };

/** The answer's text as JSON, or null when it is not JSON. */
export function parseAnswer(text: string): { value: unknown } | null {
  try {
    return { value: parse(text.trim()) };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return null;
    throw error;
  }
}

const FENCE = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/g;

/** The JSON value in a free-text answer (`prompt` mode): the whole text, else a fenced
 * block, else the first `{` or `[` that starts a complete JSON value. */
export function extractJson(text: string): { value: unknown } | null {
  const whole = parseAnswer(text);
  if (whole !== null) return whole;
  for (const match of text.matchAll(FENCE)) {
    const fenced = parseAnswer(match[1] ?? "");
    if (fenced !== null) return fenced;
  }
  for (let start = 0; start < text.length; start++) {
    const c = text[start];
    if (c !== "{" && c !== "[") continue;
    try {
      return { value: parseAt(text, start)[0] };
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
    }
  }
  return null;
}

/** What an invalid answer's message says (R006 and the repair turn). */
export function describeInvalid(invalid: Invalid): string {
  if (invalid.kind === "json") return "the answer is not valid JSON";
  if (invalid.kind === "truncated") return "the answer was cut off before the JSON was complete";
  return summary(invalid.problems);
}

const REPAIR_TAIL = "\nReply again with only the corrected, complete JSON value.";

/** The repair turn (docs/wire.md §3) after an invalid answer. */
export function repairMessage(invalid: Invalid): string {
  if (invalid.kind === "json") return "Your previous answer is not valid JSON." + REPAIR_TAIL;
  if (invalid.kind === "truncated") {
    return "Your previous answer was cut off before the JSON was complete." + REPAIR_TAIL;
  }
  return "Your previous answer is not valid against the output schema: " + summary(invalid.problems) + REPAIR_TAIL;
}

/** What `prompt` and `json_object` modes append to the instructions (after a blank line). */
export function describeSchemaPrompt(plain: SchemaForm): string {
  return "Respond with only one JSON value that matches this JSON Schema: no prose, no code fences.\n" + plain.text;
}

/** A schema / tool name as the APIs accept it: `^[a-zA-Z0-9_-]{1,64}$`. */
export function schemaName(name: string): string {
  let found = schemaNames.get(name);
  if (found === undefined) {
    const cleaned = Array.from(name.replace(/[^A-Za-z0-9_-]/gu, "_")).slice(0, 64).join("");
    found = cleaned || "output";
    if (schemaNames.size >= 1024) schemaNames.clear();
    schemaNames.set(name, found);
  }
  return found;
}

/** Names already cleaned (one per output contract: the same few on every call). */
const schemaNames = new Map<string, string>();
