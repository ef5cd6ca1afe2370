// Validation problems (docs/wire.md §6): values checked against the contract types of the IR
// (the generated SDK embeds them as data, the way aiwf's own IR validator reads them), each
// problem reported as `POINTER: KEYWORD: expected EXPECTED, got ACTUAL`, in a fixed order.

import { compareCodePoints, formatNumber, hasOwn, isObject, jsonEqual, kindOf, quote, show } from "./json.js";

/** A contract type of the IR as the SDK embeds it (the IR's own JSON form, annotations left
 * out; enums and consts carry `expected`, the canonical JSON the generator computed). */
export interface TypeData {
  kind: string;
  nullable?: boolean;
  [field: string]: unknown;
}

/** The contract types of an SDK, by contract name (what `ref` types point to). */
export type TypeTable = Readonly<Record<string, TypeData>>;

/** The most problems a message shows (then ` (and N more)`). */
export const SHOWN_PROBLEMS = 3;

/** Problems as a message shows them: at most three, joined by `; `, then ` (and N more)`. */
export function summary(problems: readonly string[]): string {
  const head = problems.slice(0, SHOWN_PROBLEMS).join("; ");
  return problems.length > SHOWN_PROBLEMS ? head + " (and " + (problems.length - SHOWN_PROBLEMS) + " more)" : head;
}

/** A value that does not match its contract: every problem, in order. */
export class ValidationError extends Error {
  readonly contract: string;
  readonly problems: readonly string[];
  /** The JSON Pointer of the first problem (`(root)` for the whole value). */
  readonly path: string;

  constructor(contract: string, problems: readonly string[]) {
    super(summary(problems));
    this.name = "ValidationError";
    this.contract = contract;
    this.problems = problems;
    const first = problems[0] ?? "(root)";
    this.path = first.slice(0, Math.max(0, first.indexOf(": ")));
  }
}

/** A JSON Pointer (RFC 6901) one member or index deeper. */
export function pointer(base: string, part: string | number): string {
  const text = String(part);
  const token = text.includes("~") || text.includes("/") ? text.replace(/~/g, "~0").replace(/\//g, "~1") : text;
  return (base === "(root)" ? "" : base) + "/" + token;
}

/** Every problem of `value` against `type` (null: none). */
export function problems(value: unknown, type: TypeData, types: TypeTable, at = "(root)"): string[] {
  const out: string[] = [];
  check(value, type, types, at, out);
  return out;
}

/** Whether `value` matches `type`. */
export function isValid(value: unknown, type: TypeData, types: TypeTable): boolean {
  return problems(value, type, types).length === 0;
}

function report(out: string[], at: string, keyword: string, expected: string, got: string): void {
  out.push(at + ": " + keyword + ": expected " + expected + ", got " + got);
}

function num(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function plural(n: number, one: string, many: string): string {
  return n + " " + (n === 1 ? one : many);
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function kindExpected(kind: string, nullable: boolean): string {
  return nullable && kind !== "null" ? kind + " or null" : kind;
}

function check(value: unknown, type: TypeData, types: TypeTable, at: string, out: string[]): void {
  const nullable = type.nullable === true;
  if (value === null && nullable) return;
  const kind = kindOf(value);
  switch (type.kind) {
    case "ref": {
      const target = types[String(type["name"])];
      if (target === undefined) throw new Error("no contract type " + JSON.stringify(type["name"]));
      check(value, target, types, at, out);
      return;
    }
    case "any":
      return;
    case "never":
      report(out, at, "not", "no value here", show(value));
      return;
    case "null":
    case "boolean":
      if (kind !== type.kind) report(out, at, "type", kindExpected(type.kind, nullable), kind);
      return;
    case "integer":
    case "number":
      numberType(value, type, kind, nullable, at, out);
      return;
    case "string":
      stringType(value, type, kind, nullable, at, out);
      return;
    case "array":
      arrayType(value, type, types, kind, nullable, at, out);
      return;
    case "object":
      objectType(value, type, types, kind, nullable, at, out);
      return;
    case "enum": {
      const values = Array.isArray(type["values"]) ? type["values"] : [];
      if (!values.some((candidate) => jsonEqual(value, candidate))) {
        report(out, at, "enum", "one of " + String(type["expected"]), show(value));
      }
      return;
    }
    case "const":
      if (!jsonEqual(value, type["value"] ?? null)) report(out, at, "const", String(type["expected"]), show(value));
      return;
    case "union": {
      const variants = (Array.isArray(type["variants"]) ? type["variants"] : []) as TypeData[];
      let matches = 0;
      for (const variant of variants) {
        if (problems(value, variant, types, at).length === 0) matches++;
      }
      if (type["exclusive"] === true) {
        if (matches !== 1) {
          report(out, at, "oneOf", "exactly one of " + variants.length + " variants", matches === 0 ? "none" : matches + " matches");
        }
      } else if (matches === 0) {
        report(out, at, "anyOf", "a match for one of " + variants.length + " variants", "none");
      }
      return;
    }
    case "intersection":
      for (const part of (Array.isArray(type["variants"]) ? type["variants"] : []) as TypeData[]) {
        check(value, part, types, at, out);
      }
      return;
    case "by_kind": {
      const facet = kind === "integer" ? type["number"] : type[kind];
      if (isObject(facet) && ["object", "array", "string", "number"].includes(kind === "integer" ? "number" : kind)) {
        const data = facet as TypeData;
        // The facet's own kind is implied: only its constraints apply.
        if (data.kind === "object") objectType(value, data, types, kind, false, at, out);
        else if (data.kind === "array") arrayType(value, data, types, kind, false, at, out);
        else if (data.kind === "string") stringType(value, data, kind, false, at, out);
        else numberType(value, { ...data, kind: "number" }, kind, false, at, out);
      }
      return;
    }
    default:
      throw new Error("unknown type kind " + JSON.stringify(type.kind));
  }
}

function numberType(value: unknown, type: TypeData, kind: string, nullable: boolean, at: string, out: string[]): void {
  if (typeof value !== "number") {
    report(out, at, "type", kindExpected(type.kind, nullable), kind);
    return;
  }
  if (type.kind === "integer" && kind !== "integer") {
    report(out, at, "type", kindExpected("integer", nullable), kind);
    return;
  }
  const minimum = num(type["minimum"]);
  if (minimum !== null && value < minimum) report(out, at, "minimum", "at least " + formatNumber(minimum), show(value));
  const maximum = num(type["maximum"]);
  if (maximum !== null && value > maximum) report(out, at, "maximum", "at most " + formatNumber(maximum), show(value));
  const exclusiveMinimum = num(type["exclusive_minimum"]);
  if (exclusiveMinimum !== null && value <= exclusiveMinimum) {
    report(out, at, "exclusiveMinimum", "more than " + formatNumber(exclusiveMinimum), show(value));
  }
  const exclusiveMaximum = num(type["exclusive_maximum"]);
  if (exclusiveMaximum !== null && value >= exclusiveMaximum) {
    report(out, at, "exclusiveMaximum", "less than " + formatNumber(exclusiveMaximum), show(value));
  }
  const multipleOf = num(type["multiple_of"]);
  if (multipleOf !== null && !isMultipleOf(value, multipleOf)) {
    report(out, at, "multipleOf", "a multiple of " + formatNumber(multipleOf), show(value));
  }
}

/** Whether `value` is a multiple of `divisor` (integers exactly, else within 1e-9). */
export function isMultipleOf(value: number, divisor: number): boolean {
  if (Number.isInteger(value) && Number.isInteger(divisor) && Number.isSafeInteger(value)) {
    return divisor !== 0 && value % divisor === 0;
  }
  const quotient = value / divisor;
  if (!Number.isFinite(quotient)) return false;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

function stringType(value: unknown, type: TypeData, kind: string, nullable: boolean, at: string, out: string[]): void {
  if (typeof value !== "string") {
    report(out, at, "type", kindExpected("string", nullable), kind);
    return;
  }
  const length = codePoints(value);
  const minLength = num(type["min_length"]);
  if (minLength !== null && length < minLength) {
    report(out, at, "minLength", "at least " + plural(minLength, "character", "characters"), plural(length, "character", "characters"));
  }
  const maxLength = num(type["max_length"]);
  if (maxLength !== null && length > maxLength) {
    report(out, at, "maxLength", "at most " + plural(maxLength, "character", "characters"), plural(length, "character", "characters"));
  }
  const source = type["pattern"];
  if (typeof source === "string" && !pattern(source).test(value)) {
    report(out, at, "pattern", "a match for " + source, show(value));
  }
  const format = type["format"];
  if (typeof format === "string" && !checkFormat(format, value)) {
    report(out, at, "format", "a valid " + format, show(value));
  }
}

function arrayType(
  value: unknown,
  type: TypeData,
  types: TypeTable,
  kind: string,
  nullable: boolean,
  at: string,
  out: string[],
): void {
  if (!Array.isArray(value)) {
    report(out, at, "type", kindExpected("array", nullable), kind);
    return;
  }
  const count = plural(value.length, "item", "items");
  const minItems = num(type["min_items"]);
  if (minItems !== null && value.length < minItems) report(out, at, "minItems", "at least " + plural(minItems, "item", "items"), count);
  const maxItems = num(type["max_items"]);
  if (maxItems !== null && value.length > maxItems) report(out, at, "maxItems", "at most " + plural(maxItems, "item", "items"), count);
  if (type["unique_items"] === true) {
    const repeat = firstRepeat(value);
    if (repeat !== null) report(out, at, "uniqueItems", "unique items", "a repeated item at index " + repeat);
  }
  const items = isObject(type["items"]) ? (type["items"] as TypeData) : null;
  if (items !== null) {
    for (let i = 0; i < value.length; i++) check(value[i], items, types, pointer(at, i), out);
  }
}

/** The index of the first item equal to an earlier one, or null. */
export function firstRepeat(items: readonly unknown[]): number | null {
  for (let j = 1; j < items.length; j++) {
    for (let i = 0; i < j; i++) {
      if (jsonEqual(items[i], items[j])) return j;
    }
  }
  return null;
}

interface PropertyData {
  name: string;
  type: TypeData;
  required?: boolean;
}

function objectType(
  value: unknown,
  type: TypeData,
  types: TypeTable,
  kind: string,
  nullable: boolean,
  at: string,
  out: string[],
): void {
  if (!isObject(value)) {
    report(out, at, "type", kindExpected("object", nullable), kind);
    return;
  }
  const properties = (Array.isArray(type["properties"]) ? type["properties"] : []) as PropertyData[];
  for (const prop of properties) {
    if (hasOwn(value, prop.name)) check(value[prop.name], prop.type, types, pointer(at, prop.name), out);
    else if (prop.required === true) report(out, at, "required", "property " + quote(prop.name), "nothing");
  }
  const additional = type["additional"] ?? true;
  if (additional === true) return;
  const declared = new Set<string>(properties.map((prop) => prop.name));
  const others = Object.keys(value)
    .filter((key) => !declared.has(key))
    .sort(compareCodePoints);
  for (const key of others) {
    if (additional === false) {
      report(out, at, "additionalProperties", "no property " + quote(key), "property " + quote(key));
    } else if (isObject(additional)) {
      check(value[key], additional as TypeData, types, pointer(at, key), out);
    }
  }
}

const compiled = new Map<string, RegExp | Error>();

/** A spec pattern as a RegExp with the `u` flag (code points, as JSON Schema means),
 * compiled on first use, so one unusual pattern cannot break the SDK at import. */
export function pattern(source: string): RegExp {
  let found = compiled.get(source);
  if (found === undefined) {
    try {
      found = new RegExp(source, "u");
    } catch {
      try {
        found = new RegExp(source);
      } catch (error) {
        found = error instanceof Error ? error : new Error(String(error));
      }
    }
    compiled.set(source, found);
  }
  if (found instanceof Error) {
    throw new Error("the pattern " + JSON.stringify(source) + " does not compile in JavaScript: " + found.message);
  }
  return found;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-](\d{2}):(\d{2}))$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HOST =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const URI_REF = /^[^\s]*$/;
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

function isTime(text: string): boolean {
  const m = TIME.exec(text);
  if (m === null) return false;
  if (Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) return false;
  if (m[6] !== undefined && (Number(m[6]) > 23 || Number(m[7]) > 59)) return false;
  return true;
}

function isIpv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  let head = text;
  let groups = 8;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    if (!IPV4.test(text.slice(lastColon + 1))) return false;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const parts = head.split("::");
  if (parts.length > 2) return false;
  const hextet = /^[0-9A-Fa-f]{1,4}$/;
  const split = (s: string): string[] => (s === "" ? [] : s.split(":"));
  if (parts.length === 1) {
    const all = split(head);
    return all.length === groups && all.every((g) => hextet.test(g));
  }
  const left = split(parts[0] as string);
  const right = split(parts[1] as string);
  groups -= 1;
  return left.length + right.length <= groups && [...left, ...right].every((g) => hextet.test(g));
}

/** The `format` values aiwf knows; unknown formats pass (they are annotations). */
export function checkFormat(format: string, text: string): boolean {
  switch (format) {
    case "date":
      return isDate(text);
    case "time":
      return isTime(text);
    case "date-time": {
      if (text.length < 11 || !"Tt ".includes(text[10] as string)) return false;
      return isDate(text.slice(0, 10)) && isTime(text.slice(11));
    }
    case "duration":
      return DURATION.test(text);
    case "email":
      return EMAIL.test(text);
    case "hostname":
      return HOST.test(text);
    case "ipv4":
      return IPV4.test(text);
    case "ipv6":
      return isIpv6(text);
    case "uri":
      return URI.test(text);
    case "uri-reference":
      return URI_REF.test(text);
    case "uuid":
      return UUID.test(text);
    case "regex":
      try {
        new RegExp(text, "u");
        return true;
      } catch {
        return false;
      }
    default:
      return true;
  }
}

