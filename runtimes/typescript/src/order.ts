// Contract order (docs/wire.md §2): an input value's object members put in the order of its
// contract's JSON Schema, so a caller's key order never reaches the wire.

import { compareCodePoints, isObject, keysOf, recordOrder, setMember } from "./json.js";

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

/** The properties a schema declares, in order, with their schemas. */
interface Declared {
  names: string[];
  schemas: unknown[];
  known: Set<string>;
}

const NONE: Declared = { names: [], schemas: [], known: new Set() };

/** The properties `schema` declares (its own, then its variants'), found once per schema and
 * root: a contract's schema is the same object on every call. */
const declaredCache = new WeakMap<Schema, { root: Schema | null; declared: Declared }>();

function declaredOf(schema: Schema, root: Schema | null): Declared {
  const cached = declaredCache.get(schema);
  if (cached !== undefined && cached.root === root) return cached.declared;
  const found = new Map<string, unknown>();
  declared(schema, root, found, 0);
  const result: Declared = { names: [...found.keys()], schemas: [...found.values()], known: new Set(found.keys()) };
  declaredCache.set(schema, { root, declared: result });
  return result;
}

function order(value: unknown, schema: unknown, root: Schema | null): unknown {
  schema = resolveRef(schema, root);
  const typed = isObject(schema) && Object.keys(schema).length > 0;
  if (Array.isArray(value)) {
    const items = typed ? (schema as Schema)["items"] : undefined;
    return value.map((item) => inOrder(item, items, root));
  }
  if (!isObject(value)) return value;
  let known = NONE;
  let extra: unknown = undefined;
  if (typed) {
    known = declaredOf(schema as Schema, root);
    const additional = (schema as Schema)["additionalProperties"];
    extra = isObject(additional) ? additional : undefined;
  }
  // The declared members first, in the schema's order, then the others by code point: each
  // name once, so the object is written member by member (as `ordered` would make it).
  const out: Record<string, unknown> = {};
  const names: string[] = [];
  for (let i = 0; i < known.names.length; i++) {
    const name = known.names[i] as string;
    if (Object.prototype.hasOwnProperty.call(value, name)) {
      names.push(name);
      setMember(out, name, inOrder(value[name], known.schemas[i], root));
    }
  }
  let rest: string[] | null = null;
  for (const name of Object.keys(value)) {
    if (!known.known.has(name)) (rest ??= []).push(name);
  }
  if (rest !== null) {
    rest.sort(compareCodePoints);
    for (const name of rest) {
      names.push(name);
      setMember(out, name, inOrder(value[name], extra, root));
    }
  }
  recordOrder(out, names);
  return out;
}

/** `order`, which leaves a scalar as it is whatever its schema. */
function inOrder(value: unknown, schema: unknown, root: Schema | null): unknown {
  return typeof value === "object" && value !== null ? order(value, schema, root) : value;
}
