// Contract order (docs/wire.md §2): an input value's object members put in the order of its
// contract's JSON Schema, so a caller's key order never reaches the wire.

import { compareCodePoints, isObject, keysOf, ordered } from "./json.js";

type Schema = Record<string, unknown>;

/** `value` with every object's members in contract order against `schema` (its `$ref`s point
 * into itself; undefined or null: untyped). */
export function inContractOrder(value: unknown, schema: unknown): unknown {
  return order(value, schema, isObject(schema) ? schema : null);
}

/** Follows `$ref`s (`#/...`) to their target; null when one leads nowhere. */
export function resolveRef(schema: unknown, root: Schema | null): unknown {
  let hops = 0;
  while (isObject(schema) && typeof schema["$ref"] === "string" && hops < 64) {
    const ref = schema["$ref"];
    if (root === null || !ref.startsWith("#")) return null;
    let target: unknown = root;
    for (const raw of ref.slice(1).split("/").slice(1)) {
      const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (!isObject(target) || !Object.prototype.hasOwnProperty.call(target, part)) return null;
      target = target[part];
    }
    schema = target;
    hops++;
  }
  return schema;
}

function declared(schema: unknown, root: Schema | null, found: Map<string, unknown>, depth: number): void {
  schema = resolveRef(schema, root);
  if (!isObject(schema) || depth > 64) return;
  const props = schema["properties"];
  if (isObject(props)) {
    for (const name of keysOf(props)) {
      if (!found.has(name)) found.set(name, props[name]);
    }
  }
  for (const keyword of ["allOf", "anyOf", "oneOf"]) {
    const variants = schema[keyword];
    if (Array.isArray(variants)) {
      for (const variant of variants) declared(variant, root, found, depth + 1);
    }
  }
}

const NONE: ReadonlyMap<string, unknown> = new Map();

/** The properties `schema` declares (its own, then its variants'), found once per schema and
 * root: a contract's schema is the same object on every call. */
const declaredCache = new WeakMap<Schema, { root: Schema | null; names: Map<string, unknown> }>();

function declaredOf(schema: Schema, root: Schema | null): ReadonlyMap<string, unknown> {
  const cached = declaredCache.get(schema);
  if (cached !== undefined && cached.root === root) return cached.names;
  const names = new Map<string, unknown>();
  declared(schema, root, names, 0);
  declaredCache.set(schema, { root, names });
  return names;
}

function order(value: unknown, schema: unknown, root: Schema | null): unknown {
  schema = resolveRef(schema, root);
  const typed = isObject(schema) && Object.keys(schema).length > 0;
  if (Array.isArray(value)) {
    const items = typed ? (schema as Schema)["items"] : undefined;
    return value.map((item) => inOrder(item, items, root));
  }
  if (!isObject(value)) return value;
  let names: ReadonlyMap<string, unknown> = NONE;
  let extra: unknown = undefined;
  if (typed) {
    names = declaredOf(schema as Schema, root);
    const additional = (schema as Schema)["additionalProperties"];
    extra = isObject(additional) ? additional : undefined;
  }
  const entries: Array<[string, unknown]> = [];
  for (const [name, sub] of names) {
    if (Object.prototype.hasOwnProperty.call(value, name)) entries.push([name, inOrder(value[name], sub, root)]);
  }
  let rest: string[] | null = null;
  for (const name of Object.keys(value)) {
    if (!names.has(name)) (rest ??= []).push(name);
  }
  if (rest !== null) {
    rest.sort(compareCodePoints);
    for (const name of rest) entries.push([name, inOrder(value[name], extra, root)]);
  }
  return ordered(entries);
}

/** `order`, which leaves a scalar as it is whatever its schema. */
function inOrder(value: unknown, schema: unknown, root: Schema | null): unknown {
  return typeof value === "object" && value !== null ? order(value, schema, root) : value;
}
