// JSON values and canonical JSON (docs/wire.md §1): the one writer every body and every JSON
// text inside a body goes through, and a strict parser that keeps member order.
//
// JavaScript objects list integer-like keys ("1", "20") before the others whatever order
// they were written in, so the order a value had on the wire (or a schema in the spec) can
// not live in the object itself. The parser and the contract-order function record it under
// the ORDER symbol (a non-enumerable property, only where it differs from Object.keys), and
// the writer reads it back.

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where an object keeps its member order when Object.keys would list them otherwise. */
export const ORDER: unique symbol = Symbol("aiwf.order");

/** A plain object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof RawJson);
}

/** Whether `key` is an own property of `value`. */
export function hasOwn(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/** The member names of an object in their recorded order. */
export function keysOf(value: Record<string, unknown>): readonly string[] {
  const recorded = (value as { [ORDER]?: readonly string[] })[ORDER];
  return recorded ?? Object.keys(value);
}

/** Sets `key` as an own data property (also `__proto__`, which plain assignment would not). */
export function setMember(target: Record<string, unknown>, key: string, item: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value: item, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = item;
  }
}

/** An object with its members in the order given (recorded when JavaScript would not keep it). */
export function ordered(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names: string[] = [];
  for (const [key, item] of entries) {
    if (!hasOwn(out, key)) names.push(key);
    setMember(out, key, item);
  }
  recordOrder(out, names);
  return out;
}

/** Records `names` as the member order of `target` (whose members they are, each once) where
 * Object.keys would list them otherwise. */
export function recordOrder(target: Record<string, unknown>, names: string[]): void {
  const natural = Object.keys(target);
  if (natural.length === names.length) {
    let same = true;
    for (let i = 0; i < names.length; i++) {
      if (natural[i] !== names[i]) {
        same = false;
        break;
      }
    }
    if (same) return;
  }
  Object.defineProperty(target, ORDER, { value: names, enumerable: false });
}

/** A JSON text written into a body as it is (a schema form the generator computed). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** The JSON kind of a value: null, boolean, integer, number, string, array or object. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "boolean" || typeof value === "string") return typeof value;
  if (typeof value === "object") return "object";
  return typeof value;
}

/** JSON equality: numbers by value, objects whatever their member order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!jsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) {
      if (!hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
    }
    return true;
  }
  return false;
}

/** Orders strings by Unicode code point (UTF-8 byte order), not by UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every unit of the BMP above it.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

// -- writing --------------------------------------------------------------------------------

const SHORT: Record<number, string> = {
  0x22: '\\"',
  0x5c: "\\\\",
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
  0x2028: "\\u2028",
  0x2029: "\\u2029",
};

/** What JSON.stringify writes otherwise than canonical JSON: U+2028, U+2029 and surrogates. */
const OWN_QUOTING = /[\u2028\u2029\ud800-\udfff]/;

/** A JSON string literal in canonical form (lone surrogates become U+FFFD). */
export function quote(text: string): string {
  // Without those, JSON.stringify escapes exactly the same characters the same way.
  if (!OWN_QUOTING.test(text)) return JSON.stringify(text);
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string | undefined;
    if (code < 0x20 || code === 0x22 || code === 0x5c || code === 0x2028 || code === 0x2029) {
      replacement = SHORT[code] ?? "\\u" + code.toString(16).padStart(4, "0");
    } else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a pair: kept as it is
        continue;
      }
      replacement = "\ufffd";
    }
    if (replacement !== undefined) {
      out += text.slice(start, i) + replacement;
      start = i + 1;
    }
  }
  return out + text.slice(start) + '"';
}

/** A number as ECMAScript's Number::toString writes it; NaN and infinities are refused. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(String(value) + " is not a JSON number");
  return String(value); // -0 writes as "0"
}

const keyCache = new Map<string, string>();

/** `"key":`, from a cache: member names repeat from one body to the next. */
function quotedKey(key: string): string {
  let found = keyCache.get(key);
  if (found === undefined) {
    found = quote(key) + ":";
    if (key.length <= 64) {
      if (keyCache.size >= 4096) keyCache.clear();
      keyCache.set(key, found);
    }
  }
  return found;
}

/** `value` as canonical JSON: members in their recorded order, no whitespace. */
export function dumps(value: unknown): string {
  return write(value);
}

function write(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return quote(value);
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "bigint") return formatNumber(Number(value));
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += write(value[i]);
    }
    return out + "]";
  }
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    let out = "{";
    let first = true;
    for (const key of keysOf(record)) {
      const item = record[key];
      if (item === undefined) continue;
      if (!first) out += ",";
      first = false;
      out += quotedKey(key) + write(item);
    }
    return out + "}";
  }
  throw new TypeError(typeof value + " is not a JSON value");
}

// -- reading --------------------------------------------------------------------------------

/** A JSON text that does not parse (the message never reaches a model: docs/wire.md §3). */
export class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super("not valid JSON (at offset " + offset + ")");
    this.name = "JsonSyntaxError";
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Nesting deeper than this is refused (a value at depth MAX_DEPTH + 1 is not read). */
const MAX_DEPTH = 512;

/**
 * A string that starts with a digit or an escape: where a member name could be integer-like,
 * which JavaScript objects would list first, so that JSON.parse would lose the member order.
 */
const INDEX_LIKE = /"[0-9\\]/;

/** Whether `text` has at most MAX_DEPTH brackets that open (so it nests no deeper). */
function shallow(text: string): boolean {
  if (text.length <= 2 * MAX_DEPTH) return true;
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let at = text.indexOf(bracket); at >= 0; at = text.indexOf(bracket, at + 1)) {
      if (++count > MAX_DEPTH) return false;
    }
  }
  return true;
}

/** Parses a JSON text strictly (RFC 8259), keeping every object's member order. */
export function parse(text: string): unknown {
  // JSON.parse reads such a text exactly as the parser below does (same values, same member
  // order, last duplicate wins, __proto__ an own member), in a fraction of the time; whatever
  // it refuses goes to the parser below, which says where the text goes wrong.
  if (!INDEX_LIKE.test(text) && shallow(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // the strict parser's error, with its offset
    }
  }
  const [result, end] = parseAt(text, 0);
  if (end !== text.length) throw new JsonSyntaxError(end);
  return result;
}

/** The JSON value that starts at `start` (whitespace first allowed) and where it ends. */
export function parseAt(text: string, start: number): [unknown, number] {
  let at = start;
  const fail = (): never => {
    throw new JsonSyntaxError(at);
  };
  const space = (): void => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      at++;
    }
  };
  const string = (): string => {
    at++; // the opening quote
    let out = "";
    let start = at;
    while (true) {
      if (at >= text.length) fail();
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(start, at);
        at++;
        return out;
      }
      if (c < 0x20) fail();
      if (c !== 0x5c) {
        at++;
        continue;
      }
      out += text.slice(start, at);
      const e = text[at + 1];
      at += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case "\\":
          out += "\\";
          break;
        case "/":
          out += "/";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const hex = text.slice(at, at + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
          out += String.fromCharCode(parseInt(hex, 16));
          at += 4;
          break;
        }
        default:
          at -= 1;
          fail();
      }
      start = at;
    }
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail();
    space();
    const c = text[at];
    if (c === "{") {
      at++;
      const out: Record<string, unknown> = {};
      const names: string[] = [];
      space();
      if (text[at] === "}") {
        at++;
        return out;
      }
      while (true) {
        space();
        if (text[at] !== '"') fail();
        const key = string();
        space();
        if (text[at] !== ":") fail();
        at++;
        const item = value(depth + 1);
        if (!hasOwn(out, key)) names.push(key);
        setMember(out, key, item);
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "}") {
          at++;
          recordOrder(out, names);
          return out;
        }
        fail();
      }
    }
    if (c === "[") {
      at++;
      const out: unknown[] = [];
      space();
      if (text[at] === "]") {
        at++;
        return out;
      }
      while (true) {
        out.push(value(depth + 1));
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "]") {
          at++;
          return out;
        }
        fail();
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", at)) {
      at += 4;
      return true;
    }
    if (text.startsWith("false", at)) {
      at += 5;
      return false;
    }
    if (text.startsWith("null", at)) {
      at += 4;
      return null;
    }
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (match === null) fail();
    const digits = (match as RegExpExecArray)[0];
    at += digits.length;
    return Number(digits);
  };
  const result = value(0);
  space();
  return [result, at];
}

/** A short rendering of a value for messages: canonical JSON cut to `limit` code points. */
export function show(value: unknown, limit = 60): string {
  let text: string;
  try {
    text = value === undefined ? "nothing" : dumps(value);
  } catch {
    text = String(value);
  }
  const points = Array.from(text);
  return points.length > limit ? points.slice(0, limit).join("") + "..." : text;
}

// -- Python's json.dumps --------------------------------------------------------------------

/** A number as Python's json module writes it (integers in full, floats as `repr`). */
function pythonNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(String(value) + " is not a JSON number");
  if (Number.isInteger(value)) return Math.abs(value) < 1e16 ? String(value) : BigInt(value).toString();
  const [mantissa, exp] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return mantissa + "e" + (exponent < 0 ? "-" : "+") + String(Math.abs(exponent)).padStart(2, "0");
  }
  return String(value);
}

const PYTHON_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

function pythonQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += PYTHON_ESCAPES[ch] ?? (code < 0x20 ? "\\u" + code.toString(16).padStart(4, "0") : ch);
  }
  return out + '"';
}

/**
 * JSON as Python's `json.dumps(value, ensure_ascii=False)` writes it (`, ` and `: `; with
 * `compact`, `,` and `:`; with `sortKeys`, members by code point): what the aiwf engine writes
 * for a non-string value inside a string template, and what replay fingerprints hash. An
 * integral number is written as an integer (JavaScript cannot tell `1.0` from `1`).
 */
export function pythonJson(value: unknown, options: { sortKeys?: boolean; compact?: boolean } = {}): string {
  const item = options.compact ? "," : ", ";
  const key = options.compact ? ":" : ": ";
  const write = (node: unknown): string => {
    if (node === null || node === undefined) return "null";
    if (typeof node === "boolean") return node ? "true" : "false";
    if (typeof node === "number") return pythonNumber(node);
    if (typeof node === "string") return pythonQuote(node);
    if (Array.isArray(node)) return "[" + node.map(write).join(item) + "]";
    if (isObject(node)) {
      let names = keysOf(node).filter((name) => node[name] !== undefined);
      if (options.sortKeys) names = [...names].sort(compareCodePoints);
      return "{" + names.map((name) => pythonQuote(name) + key + write(node[name])).join(item) + "}";
    }
    throw new TypeError(typeof node + " is not a JSON value");
  };
  return write(value);
}
