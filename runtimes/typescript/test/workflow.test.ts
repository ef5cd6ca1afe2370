// SDK clients and workflows (docs/wire.md §2, §8, §9): route overrides and environments at
// run time, bindings, steps that wait for what they need, scatter with on_error: skip, the
// run and step failures, and traces that count every attempt.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as rt from "../src/index.js";
import { json, serve, type Reply } from "./support.js";

const OBJECT = '{"type":"object","properties":{"text":{"type":"string"},"n":{"type":"integer"}},"required":["text"]}';
const STRICT =
  '{"type":"object","properties":{"text":{"type":"string"},"n":{"type":["integer","null"]}},"required":["text","n"],"additionalProperties":false}';
const NOTE = { plain: OBJECT, wrapped: OBJECT, strict: STRICT, isWrapped: false };
const NOTES = '{"type":"array","items":{"type":"string"}}';

const NOTE_TYPE: rt.TypeData = {
  kind: "object",
  properties: [
    { name: "text", type: { kind: "string" }, required: true },
    { name: "n", type: { kind: "integer" }, required: false },
  ],
};

const FAST = { max_attempts: 2, initial_delay: 0.001, max_delay: 0.001, deadline: null, repair_attempts: 1 };

function definition(base: string): rt.SdkDefinition {
  type Ref = Extract<rt.Binding, { kind: "ref" }>;
  const ref = (root: Ref["root"], path: Array<string | number> = [], step?: string): Ref => ({
    kind: "ref",
    root,
    path,
    text: root,
    ...(step ? { step } : {}),
  });
  return {
    name: "demo",
    userAgent: "aiwf/0.0.0 (typescript)",
    models: {
      fast: { provider: "openai", model: "m-fast", base_url: "http://127.0.0.1:9/unused", api_key_env: "DEMO_KEY", retry: FAST },
      local: { provider: "openai-compatible", model: "m-local", base_url: base + "/local/v1", retry: FAST },
    },
    environments: { staging: { fast: { provider: "openai", model: "m-staging", base_url: base + "/staging", api_key_env: "DEMO_KEY", retry: FAST } } },
    types: {
      Note: NOTE_TYPE,
      Notes: { kind: "array", items: { kind: "string" } },
      Input: { kind: "object", properties: [{ name: "notes", type: { kind: "ref", name: "Notes" }, required: true }] },
      Output: { kind: "object", properties: [{ name: "all", type: { kind: "array", items: { kind: "any" } }, required: true }] },
    },
    schemas: {
      Note: NOTE,
      Notes: { plain: NOTES, wrapped: NOTES, strict: NOTES, isWrapped: true },
      Input: { plain: '{"type":"object"}', wrapped: '{"type":"object"}', strict: "{}", isWrapped: false },
      Output: { plain: '{"type":"object"}', wrapped: '{"type":"object"}', strict: "{}", isWrapped: false },
    },
    assistants: {
      write: { name: "write", model: "fast", instructions: "Write a note.", input: "Note", output: "Note", temperature: null, maxTokens: null, retry: null },
      local: { name: "local", model: "local", instructions: "", input: "Note", output: "Note", temperature: null, maxTokens: null, retry: null },
    },
    workflows: {
      notes: {
        name: "notes",
        input: "Input",
        output_contract: "Output",
        output: { kind: "object", fields: [["all", { kind: "array", items: [ref("step", [], "each"), ref("step", [0], "each"), ref("step", [], "first")] }]] },
        steps: [
          { id: "first", assistant: "local", input: { kind: "object", fields: [["text", { kind: "template", parts: ["first of ", ref("input", ["notes"])] }]] }, depends_on: [] },
          {
            id: "each",
            assistant: "write",
            input: { kind: "object", fields: [["n", ref("index")], ["text", ref("item")], ["gone", ref("input", ["missing"])]] },
            scatter: { over: ref("input", ["notes"]), concurrency: 2, on_error: "skip" },
            depends_on: [],
          },
        ],
      },
    },
  };
}

function chat(text: string): Reply {
  return json(200, { choices: [{ message: { content: text }, finish_reason: "stop" }], usage: { prompt_tokens: 2, completion_tokens: 1 } });
}

function responses(text: string): unknown {
  return { status: "completed", output: [{ type: "message", content: [{ type: "output_text", text }] }], usage: { input_tokens: 3, output_tokens: 4 } };
}

/** Answers by path and by the input message, so concurrency does not matter. */
function router(): Reply {
  return (res, seen) => {
    const body = seen.body as Record<string, unknown>;
    if (seen.url.startsWith("/local/")) return chat('{"text": "local", "n": 0}')(res, seen, 0);
    const input = String(body["input"]);
    if (input.includes('"b"')) return json(503, { error: { message: "down" } })(res, seen, 0);
    return json(200, responses('{"text": "ok ' + input.length + '", "n": null}'))(res, seen, 0);
  };
}

test("route overrides and environments at run time, without regenerating", async () => {
  const def = definition("http://unused");
  assert.equal(rt.effectiveRoutes(def, { env: {} })["fast"]?.model, "m-fast");
  assert.equal(rt.effectiveRoutes(def, { env: { AIWF_ENV: "staging" } })["fast"]?.model, "m-staging");
  assert.equal(rt.effectiveRoutes(def, { env: { AIWF_ENV: "staging" }, environment: null })["fast"]?.model, "m-fast");
  const changed = rt.effectiveRoutes(def, { env: {}, environment: "staging", routes: { fast: { baseUrl: "http://x", model: "m2", apiKeyEnv: "K2" } } });
  assert.deepEqual([changed["fast"]?.base_url, changed["fast"]?.model, changed["fast"]?.api_key_env], ["http://x", "m2", "K2"]);
  assert.equal(rt.effectiveRoutes(def, { env: { AIWF_ENV: "elsewhere" } })["fast"]?.model, "m-fast"); // not one of the SDK's
  assert.throws(() => rt.effectiveRoutes(def, { env: {}, environment: "prod" }), /^ConfigError: unknown environment 'prod' \(this SDK knows: staging\)$/);
  assert.throws(() => rt.effectiveRoutes(def, { env: {}, routes: { nope: {} } }), /route override for unknown model alias 'nope' \(known: fast, local\)/);
});

test("a workflow: parallel steps, scatter with skip, every attempt in the trace", async () => {
  const server = await serve([router()]);
  try {
    const client = new rt.SdkClient(definition(server.base), {
      env: { DEMO_KEY: "k", AIWF_ENV: "staging" },
      routes: { local: { baseUrl: server.base + "/local/v1" } },
    });
    const run = await client.runWorkflow("notes", { notes: ["a", "b", "c"] });
    assert.equal(run.error, null);
    assert.deepEqual(run.result, {
      all: [[{ text: "ok 18" }, null, { text: "ok 18" }], { text: "ok 18" }, { text: "local", n: 0 }],
    });
    assert.deepEqual(run.trace.outline(), [
      { step: "first", index: null, assistant: "local", status: "ok", attempts: ["local ok"], tokens: [2, 1] },
      { step: "each", index: 0, assistant: "write", status: "ok", attempts: ["fast ok"], tokens: [3, 4] },
      { step: "each", index: 1, assistant: "write", status: "skipped", attempts: ["fast http 503", "fast http 503"], tokens: [0, 0] },
      { step: "each", index: 2, assistant: "write", status: "ok", attempts: ["fast ok"], tokens: [3, 4] },
    ]);
    const first = server.seen.find((s) => s.url.startsWith("/local/"));
    const messages = (first?.body as { messages: Array<{ content: string }> }).messages;
    assert.equal(messages[0]?.content, '{"text":"first of [\\"a\\",\\"b\\",\\"c\\"]"}'); // canonical JSON inside templates
    const item = server.seen.find((s) => s.url.startsWith("/staging/") && String((s.body as Record<string, unknown>)["input"]).includes('"c"'));
    assert.equal((item?.body as Record<string, unknown>)["input"], '{"text":"c","n":2}');
    assert.equal(item?.headers["user-agent"], "aiwf/0.0.0 (typescript)");
  } finally {
    await server.close();
  }
});

test("run and step failures carry the codes and messages every runtime shares", async () => {
  const server = await serve([router()]);
  try {
    const client = new rt.SdkClient(definition(server.base), { env: { DEMO_KEY: "k" }, environment: "staging" });
    const bad = await client.runWorkflow("notes", { notes: [1] });
    assert.deepEqual(bad.error, { code: "E502", message: "the input is not valid for workflow notes (Input): /notes/0: type: expected string, got integer" });
    assert.deepEqual(bad.trace.outline(), []);
    const def = definition(server.base);
    const each = def.workflows["notes"]?.steps[1];
    if (each?.scatter) each.scatter.on_error = "fail";
    const failing = new rt.SdkClient(def, { env: { DEMO_KEY: "k" }, environment: "staging" });
    const run = await failing.runWorkflow("notes", { notes: ["b"] });
    assert.deepEqual(run.error, { code: "E500", message: "step each item 0 failed: [R004] openai m-staging: down (HTTP 503)" });
    assert.deepEqual(
      run.trace.outline().find((e) => e.step === "each"),
      { step: "each", index: 0, assistant: "write", status: "failed", attempts: ["fast http 503", "fast http 503"], tokens: [0, 0] },
    );
    const unknown = await failing.runWorkflow("nope", {});
    assert.equal(unknown.error?.code, "E504");
    await assert.rejects(failing.workflow("notes", { notes: ["b"] }), (error: unknown) => error instanceof rt.StepFailed && error.index === 0);
    await assert.rejects(failing.assistant("write", { text: 1 }), rt.ValidationError);
  } finally {
    await server.close();
  }
});

test("bindings follow the engine: missing paths, negative indexes, templates", () => {
  const scope = { input: { a: [1, { b: "x" }], s: "str", o: { z: 1, "10": 2, y: [{ d: 0, c: 1 }] } }, outputs: new Map<string, unknown>([["p", { q: 1 }]]) };
  const ref = (path: Array<string | number>): rt.Binding => ({ kind: "ref", root: "input", path });
  assert.equal(rt.evaluate(ref(["a", -1, "b"]), scope), "x");
  assert.equal(rt.evaluate({ kind: "template", parts: [ref(["o"])] }, scope), '{"10":2,"y":[{"c":1,"d":0}],"z":1}');
  assert.equal(rt.evaluate(ref(["nope"]), scope), null);
  assert.deepEqual(rt.evaluate({ kind: "object", fields: [["k", ref(["nope"])], ["j", ref(["s"])]] }, scope), { j: "str" });
  assert.deepEqual(rt.evaluate({ kind: "array", items: [ref(["nope"]), { kind: "literal", value: 2 }] }, scope), [null, 2]);
  assert.equal(rt.evaluate({ kind: "template", parts: ["<", ref(["nope"]), "|", ref(["a"]), "|", { kind: "ref", root: "step", step: "p", path: ["q"] }, ">"] }, scope), '<|[1,{"b":"x"}]|1>');
});

test("streaming through the SDK client: events per call, the route's first-token timeout", async () => {
  const text = '{"text": "streamed", "n": 1}';
  const body = (res: import("node:http").ServerResponse): void => {
    if (res.destroyed) return;
    const send = (data: unknown): boolean => res.write("data: " + JSON.stringify(data) + "\n\n");
    send({ type: "response.output_text.delta", delta: text });
    send({ type: "response.completed", response: responses(text) });
    res.end();
  };
  const head = (res: import("node:http").ServerResponse): void => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
  };
  const silent: Reply = (res) => head(res); // headers, then nothing
  const server = await serve([silent, (res) => (head(res), body(res))]);
  try {
    const def = definition(server.base);
    const routes = { fast: { ...def.models["fast"], base_url: server.base, first_token_timeout: 0.5 } as rt.ModelRoute };
    const client = new rt.SdkClient({ ...def, models: { ...def.models, ...routes } }, { env: { DEMO_KEY: "k" } });
    const seen: string[] = [];
    const trace = new rt.Trace();
    const output = await client.assistant("write", { text: "x" }, { trace, onEvent: (event, call) => seen.push(event.type + " " + call.assistant) });
    assert.deepEqual(output, { text: "streamed", n: 1 });
    assert.deepEqual(seen, ["delta write", "completed write"]);
    assert.deepEqual(trace.outline()[0]?.attempts, ["fast timeout", "fast ok"]);
    assert.match(server.seen[0]?.raw ?? "", /,"stream":true}$/);
    assert.equal(server.seen[0]?.headers["accept"], "text/event-stream");
  } finally {
    await server.close();
  }
});
