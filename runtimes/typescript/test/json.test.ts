// Canonical JSON (docs/wire.md §1), the order-keeping parser and contract order (§2).

import assert from "node:assert/strict";
import { test } from "node:test";

import { compareCodePoints, dumps, inContractOrder, keysOf, ordered, parse, parseAt, quote, RawJson, show } from "../src/index.js";

test("numbers are written as ECMAScript writes them", () => {
  const cases: Array<[number, string]> = [
    [0.000001, "0.000001"],
    [100, "100"],
    [123456789012345680000, "123456789012345680000"],
    [1e21, "1e+21"],
    [1.5e-7, "1.5e-7"],
    [3.0, "3"],
    [-0, "0"],
    [0.1, "0.1"],
    [-2.5, "-2.5"],
  ];
  for (const [value, text] of cases) assert.equal(dumps(value), text);
  assert.equal(dumps(parse("12345678901234567891")), "12345678901234567000");
  assert.throws(() => dumps(Number.NaN), TypeError);
  assert.throws(() => dumps(Infinity), TypeError);
});

test("strings escape exactly the characters the rules name", () => {
  assert.equal(quote('"\\\b\t\n\f\r'), '"\\"\\\\\\b\\t\\n\\f\\r"');
  assert.equal(quote("\u0000\u001f\u0007"), '"\\u0000\\u001f\\u0007"');
  assert.equal(quote("\u2028\u2029"), '"\\u2028\\u2029"');
  assert.equal(quote("<>&\u007f é 😀 /"), '"<>&\u007f é 😀 /"');
  assert.equal(quote("a\ud800b\udc00"), '"a\ufffdb\ufffd"');
  const short: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };
  for (let code = 0; code < 0xd800; code++) {
    const ch = String.fromCharCode(code);
    const escaped = code < 0x20 || code === 0x2028 || code === 0x2029 ? "\\u" + code.toString(16).padStart(4, "0") : ch;
    assert.equal(quote("a" + ch), '"a' + (short[ch] ?? escaped) + '"', "U+" + code.toString(16));
  }
  assert.equal(dumps({ b: [1, true, null], a: { "": "x" } }), '{"b":[1,true,null],"a":{"":"x"}}');
});

test("the parser keeps member order, integer-like keys included", () => {
  const value = parse('{"b": 1, "10": 2, "a": {"2": 0, "1": 1}, "b": 3}') as Record<string, unknown>;
  assert.deepEqual(keysOf(value), ["b", "10", "a"]);
  assert.equal(value["b"], 3);
  assert.equal(dumps(value), '{"b":3,"10":2,"a":{"2":0,"1":1}}');
  assert.equal(dumps(ordered([["z", 1], ["5", 2]])), '{"z":1,"5":2}');
  assert.equal(dumps({ s: new RawJson('{"x":1}') }), '{"s":{"x":1}}');
  const proto = parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.equal(dumps(proto), '{"__proto__":{"x":1}}');
});

test("the parser is strict", () => {
  for (const bad of ["", "{", "[1,]", "{'a': 1}", "NaN", "01", "1.", '"\u0001"', "[1] x", '"\\x"', "tru"]) {
    assert.throws(() => parse(bad), /not valid JSON/, bad);
  }
  assert.deepEqual(parse(' \n[1e2, -0.5, "\\u00e9\\ud83d\\ude00"] '), [100, -0.5, "é😀"]);
  assert.deepEqual(parseAt('text {"a": [1]} more', 5), [{ a: [1] }, 16]);
});

test("parse reads every text as the strict parser does (JSON.parse serves the texts it reads alike)", () => {
  const strict = (text: string): unknown => {
    const [value, end] = parseAt(text, 0);
    assert.equal(end, text.length);
    return value;
  };
  const deep = (n: number): string => "[".repeat(n) + "]".repeat(n);
  const texts = [
    '{"id":"c1","choices":[{"message":{"content":"{\\"n\\": 1}"}}],"usage":{"prompt_tokens":5}}',
    '{"b": 1, "a": 2, "b": 3}',
    '{"z": 0, "\\u0031": "escaped integer-like key"}',
    '{"x": "2024-01-01", "1": true}',
    '{"__proto__": 1, "constructor": 2}',
    '[-0, 0.1, 12345678901234567891, "\\ud800", "\\u2028"]',
    " \t\r\n{}\n",
    deep(512) + " ".repeat(10),
  ];
  for (const text of texts) {
    const value = parse(text);
    assert.deepEqual(value, strict(text), text.slice(0, 40));
    assert.equal(dumps(value), dumps(strict(text)), text.slice(0, 40));
  }
  assert.deepEqual(parse("[1e400, -1e400]"), [Infinity, -Infinity]);
  assert.deepEqual(keysOf(parse('{"z": 0, "\\u0031": 1}') as Record<string, unknown>), ["z", "1"]);
  assert.deepEqual(keysOf(parse('{"x": "2024-01-01", "1": true}') as Record<string, unknown>), ["x", "1"]);
  assert.throws(() => parse(deep(514)), /not valid JSON \(at offset 513\)/);
  assert.throws(() => parse('{"a": [1, 2,]}'), /not valid JSON \(at offset 12\)/);
});

test("code point order is not UTF-16 order", () => {
  const keys = ["\uffff", "😀", "b", "a", "B", "é"].sort(compareCodePoints);
  assert.deepEqual(keys, ["B", "a", "b", "é", "\uffff", "😀"]);
});

test("show cuts to 60 code points", () => {
  assert.equal(show("x".repeat(70)), '"' + "x".repeat(59) + "...");
  assert.equal(show({ a: 1 }), '{"a":1}');
});

// Parsed from text, as the runtime reads the schemas an SDK embeds: an object literal would
// put "10" first.
const SCHEMA = parse(
  JSON.stringify({
    type: "object",
    properties: { id: { type: "string" }, "10": { type: "integer" }, body: { $ref: "#/$defs/Body" } },
    allOf: [{ properties: { extra: { type: "object", properties: { z: {}, a: {} } } } }],
    additionalProperties: { type: "object", properties: { y: {}, x: {} } },
    $defs: { Body: { type: "object", properties: { text: {}, lang: {} } } },
  }).replace('"10":{"type":"integer"},"id":{"type":"string"}', '"id":{"type":"string"},"10":{"type":"integer"}'),
);

test("inputs go out in contract order", () => {
  const value = {
    zz: { x: 1, y: 2, q: 0 },
    body: { lang: "en", text: "hi", other: 1 },
    "10": 5,
    extra: { a: 1, z: 2 },
    id: "T-1",
    aa: [{ b: 1, a: 2 }],
  };
  assert.equal(
    dumps(inContractOrder(value, SCHEMA)),
    '{"id":"T-1","10":5,"body":{"text":"hi","lang":"en","other":1},"extra":{"z":2,"a":1},' +
      '"aa":[{"a":2,"b":1}],"zz":{"y":2,"x":1,"q":0}}',
  );
  assert.equal(dumps(inContractOrder({ b: { d: 1, c: 2 }, a: 1 }, null)), '{"a":1,"b":{"c":2,"d":1}}');
  assert.equal(dumps(inContractOrder([{ b: 1, a: 2 }], { type: "array", items: { properties: { b: {} } } })), '[{"b":1,"a":2}]');
  assert.equal(dumps(inContractOrder("x", SCHEMA)), '"x"');
});
