// Validation problems (docs/wire.md §6): text, order, the `(and N more)` rule.

import assert from "node:assert/strict";
import { test } from "node:test";

import { ValidationError, pointer, problems, summary, type TypeData, type TypeTable } from "../src/index.js";

const TYPES: TypeTable = {
  Ticket: {
    kind: "object",
    properties: [
      { name: "id", type: { kind: "string", min_length: 2, pattern: "^T-" }, required: true },
      { name: "urgency", type: { kind: "integer", minimum: 1, maximum: 5, nullable: true }, required: true },
      { name: "tags", type: { kind: "array", items: { kind: "string" }, max_items: 2, unique_items: true }, required: false },
      { name: "tier", type: { kind: "enum", values: ["free", "pro"], expected: '["free","pro"]' }, required: false },
      { name: "a/b~c", type: { kind: "const", value: 1, expected: "1" }, required: false },
    ],
    additional: false,
  },
  Pick: { kind: "union", variants: [{ kind: "string" }, { kind: "integer" }], exclusive: true },
  Any: { kind: "union", variants: [{ kind: "string" }, { kind: "ref", name: "Ticket" }] },
  Both: {
    kind: "intersection",
    variants: [
      { kind: "by_kind", number: { kind: "number", multiple_of: 0.5 } },
      { kind: "by_kind", number: { kind: "number", exclusive_maximum: 10 }, string: { kind: "string", format: "date" } },
    ],
  },
  Map: { kind: "object", properties: [], additional: { kind: "boolean" } },
  Never: { kind: "never" },
};

const ref = (name: string): TypeData => ({ kind: "ref", name });

test("an object: declared properties in order, then the others by code point", () => {
  const found = problems({ zeta: 1, id: "x", urgency: 7.5, tags: ["a", "a", 3], tier: "gold", "a/b~c": 2, alpha: 0 }, ref("Ticket"), TYPES);
  assert.deepEqual(found, [
    "/id: minLength: expected at least 2 characters, got 1 character",
    '/id: pattern: expected a match for ^T-, got "x"',
    "/urgency: type: expected integer or null, got number",
    "/tags: maxItems: expected at most 2 items, got 3 items",
    "/tags: uniqueItems: expected unique items, got a repeated item at index 1",
    "/tags/2: type: expected string, got integer",
    '/tier: enum: expected one of ["free","pro"], got "gold"',
    "/a~1b~0c: const: expected 1, got 2",
    '(root): additionalProperties: expected no property "alpha", got property "alpha"',
    '(root): additionalProperties: expected no property "zeta", got property "zeta"',
  ]);
  assert.deepEqual(problems({ urgency: null }, ref("Ticket"), TYPES), ['(root): required: expected property "id", got nothing']);
  assert.deepEqual(problems({ id: "T-1", urgency: 9 }, ref("Ticket"), TYPES), ["/urgency: maximum: expected at most 5, got 9"]);
  assert.deepEqual(problems([], ref("Ticket"), TYPES), ["(root): type: expected object, got array"]);
});

test("unions report one problem; intersections every part's", () => {
  assert.deepEqual(problems(true, ref("Pick"), TYPES), ["(root): oneOf: expected exactly one of 2 variants, got none"]);
  assert.deepEqual(problems(1, ref("Pick"), TYPES), []);
  assert.deepEqual(problems(1, ref("Any"), TYPES), ["(root): anyOf: expected a match for one of 2 variants, got none"]);
  assert.deepEqual(problems(12.25, ref("Both"), TYPES), [
    "(root): multipleOf: expected a multiple of 0.5, got 12.25",
    "(root): exclusiveMaximum: expected less than 10, got 12.25",
  ]);
  assert.deepEqual(problems("2026-02-30", ref("Both"), TYPES), ['(root): format: expected a valid date, got "2026-02-30"']);
  assert.deepEqual(problems(null, ref("Both"), TYPES), []);
  assert.deepEqual(problems({ x: true, y: 1 }, ref("Map"), TYPES), ["/y: type: expected boolean, got integer"]);
  assert.deepEqual(problems(0, ref("Never"), TYPES), ["(root): not: expected no value here, got 0"]);
});

test("messages show three problems, then how many more", () => {
  assert.equal(summary(["a", "b"]), "a; b");
  assert.equal(summary(["a", "b", "c", "d", "e"]), "a; b; c (and 2 more)");
  const error = new ValidationError("Ticket", problems({ tags: [1, 2, 3], tier: 0 }, ref("Ticket"), TYPES));
  assert.equal(error.path, "(root)");
  assert.equal(error.problems.length, 7);
  assert.match(error.message, / \(and 4 more\)$/);
  assert.equal(pointer("(root)", "a/b"), "/a~1b");
  assert.equal(pointer("/x", 0), "/x/0");
});
