// The HTTP runtime against servers on 127.0.0.1 (docs/wire.md §3, §5, §7, §8, §9): exact
// request bytes and headers per provider, full and streamed answers, retries and waits,
// timeouts and first-token timeouts, repair turns, downgrades, fallbacks, refusals, errors,
// and the attempts every call records.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as rt from "../src/index.js";
import { hang, json, reset, serve, sse } from "./support.js";

const FORMS = new rt.SchemaForms({
  plain: '{"type":"object","required":["ticket_id","urgency"],"properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5},"reason":{"type":"string"}}}',
  wrapped: '{"type":"object","required":["ticket_id","urgency"],"properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5},"reason":{"type":"string"}}}',
  strict:
    '{"type":"object","required":["ticket_id","urgency","reason"],"properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5},"reason":{"type":["string","null"]}},"additionalProperties":false}',
  isWrapped: false,
});

const ARRAY_FORMS = new rt.SchemaForms({
  plain: '{"type":"array","items":{"$ref":"#/$defs/Item"},"$defs":{"Item":{"type":"object","properties":{"n":{"type":"integer"}}}}}',
  wrapped:
    '{"type":"object","properties":{"value":{"type":"array","items":{"$ref":"#/$defs/Item"}}},"required":["value"],"additionalProperties":false,"$defs":{"Item":{"type":"object","properties":{"n":{"type":"integer"}}}}}',
  strict:
    '{"type":"object","properties":{"value":{"type":"array","items":{"$ref":"#/$defs/Item"}}},"required":["value"],"additionalProperties":false,"$defs":{"Item":{"type":"object","properties":{"n":{"type":["integer","null"]}},"required":["n"],"additionalProperties":false}}}',
  isWrapped: true,
});

const TYPES: rt.TypeTable = {
  Triage: {
    kind: "object",
    properties: [
      { name: "ticket_id", type: { kind: "string" }, required: true },
      { name: "urgency", type: { kind: "integer", minimum: 1, maximum: 5 }, required: true },
      { name: "reason", type: { kind: "string" }, required: false },
    ],
    additional: true,
  },
};

const FAST: rt.RetrySpec = { max_attempts: 3, initial_delay: 0.001, max_delay: 0.002, deadline: null, repair_attempts: 1 };
const UA = "aiwf/9.9.9 (typescript)";

function request(route: rt.ModelRoute, extra: Partial<rt.ModelRequest> = {}): rt.ModelRequest {
  return {
    route,
    instructions: "Triage the ticket.",
    input: rt.ordered([["id", "T-1"], ["body", "Crash ✓ <b>"]]),
    outputForms: FORMS,
    schemaName: "Triage",
    check: (value) => rt.problems(value, { kind: "ref", name: "Triage" }, TYPES),
    retry: FAST,
    metadata: { alias: "fast" },
    ...extra,
  };
}

function runtime(env: Record<string, string>, extra: rt.RuntimeOptions = {}): rt.Runtime {
  return new rt.Runtime({ env, userAgent: UA, random: () => 0, ...extra });
}

function responsesBody(text: string, usage = { input_tokens: 10, output_tokens: 5 }): unknown {
  return {
    id: "resp_1",
    object: "response",
    status: "completed",
    model: "gpt-5.4-mini",
    output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
    usage,
  };
}

const outline = (attempts: rt.Attempt[]): string[] => attempts.map((a) => a.kind + " " + a.alias + " " + a.outcome);

test("openai: the Responses body as canonical JSON, the headers, a full answer", async () => {
  const server = await serve([json(200, responsesBody('{"ticket_id": "T-1", "urgency": 3, "reason": null}'), { "x-request-id": "req_1" })]);
  try {
    const run = runtime({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.base + "/v1/", OPENAI_ORG_ID: "org-1" });
    const route: rt.ModelRoute = { provider: "openai", model: "gpt-5.4-mini", temperature: 0, headers: { "user-agent": "mine" } };
    const response = await run.complete(request(route));
    assert.deepEqual(response.output, { ticket_id: "T-1", urgency: 3 });
    assert.equal(response.requestId, "req_1");
    assert.deepEqual(response.usage, { inputTokens: 10, outputTokens: 5 });
    assert.deepEqual(outline(response.attempts), ["call fast ok"]);
    const [seen] = server.seen;
    assert.equal(seen?.url, "/v1/responses");
    assert.equal(
      seen?.raw,
      '{"model":"gpt-5.4-mini","instructions":"Triage the ticket.","input":"{\\"id\\":\\"T-1\\",\\"body\\":\\"Crash ✓ <b>\\"}",' +
        '"temperature":0,"text":{"format":{"type":"json_schema","name":"Triage","schema":' +
        FORMS.strict.text +
        ',"strict":true}}}',
    );
    assert.equal(seen?.headers["authorization"], "Bearer sk-test");
    assert.equal(seen?.headers["content-type"], "application/json");
    assert.equal(seen?.headers["accept"], "application/json");
    assert.equal(seen?.headers["openai-organization"], "org-1");
    assert.equal(seen?.headers["user-agent"], "mine"); // the route's headers come last
  } finally {
    await server.close();
  }
});

test("openai: a streamed answer, prompt mode describes the plain schema", async () => {
  const done = responsesBody('{"ticket_id": "T-1", "urgency": 2}');
  const server = await serve([
    sse([
      ["response.created", { type: "response.created" }],
      ["response.output_text.delta", { type: "response.output_text.delta", delta: 'Sure: {"ticket_id": "T-1", ' }],
      ["response.output_text.delta", { type: "response.output_text.delta", delta: '"urgency": 2}' }],
      ["response.completed", { type: "response.completed", response: done }],
    ]),
  ]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    const deltas: string[] = [];
    let final: rt.ModelResponse | null = null;
    for await (const event of run.stream(request({ provider: "openai", model: "m", structured_output: "prompt" }))) {
      if (event.type === "delta") deltas.push(event.text);
      if (event.type === "completed") final = event.response;
    }
    assert.deepEqual(deltas, ['Sure: {"ticket_id": "T-1", ', '"urgency": 2}']);
    assert.deepEqual(final?.output, { ticket_id: "T-1", urgency: 2 });
    const body = server.seen[0]?.body as Record<string, unknown>;
    assert.equal(
      body["instructions"],
      "Triage the ticket.\n\nRespond with only one JSON value that matches this JSON Schema: no prose, no code fences.\n" + FORMS.plain.text,
    );
    assert.equal(body["stream"], true);
    assert.equal(body["text"], undefined);
    assert.equal(server.seen[0]?.headers["accept"], "text/event-stream");
  } finally {
    await server.close();
  }
});

function messagesBody(input: unknown, stop = "tool_use"): unknown {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-5-5",
    content: [{ type: "tool_use", id: "toolu_1", name: "Items", input }],
    stop_reason: stop,
    usage: { input_tokens: 20, output_tokens: 7 },
  };
}

test("anthropic: a forced tool with the wrapped schema; a repair repeats the tool input in contract order", async () => {
  const server = await serve([
    json(200, messagesBody({ value: [{ n: "x" }] }), { "request-id": "req_a" }),
    json(200, messagesBody({ value: [{ n: 1 }] })),
  ]);
  try {
    const run = runtime({ ANTHROPIC_API_KEY: "sk-ant", ANTHROPIC_BASE_URL: server.base });
    const types: rt.TypeTable = { Items: { kind: "array", items: { kind: "object", properties: [{ name: "n", type: { kind: "integer" } }] } } };
    const response = await run.complete(
      request(
        { provider: "anthropic", model: "claude-sonnet-5-5", max_tokens: 1024, temperature: 0.5 },
        { outputForms: ARRAY_FORMS, schemaName: "Items", check: (v) => rt.problems(v, { kind: "ref", name: "Items" }, types) },
      ),
    );
    assert.deepEqual(response.output, [{ n: 1 }]);
    assert.deepEqual(outline(response.attempts), ["call fast invalid", "repair fast ok"]);
    const [first, second] = server.seen;
    assert.equal(first?.url, "/v1/messages");
    assert.equal(first?.headers["anthropic-version"], "2026-10-21");
    assert.equal(first?.headers["x-api-key"], undefined);
    assert.equal(
      first?.raw,
      '{"model":"claude-sonnet-5-5","max_tokens":1024,"messages":[{"role":"user","content":"{\\"id\\":\\"T-1\\",\\"body\\":\\"Crash ✓ <b>\\"}"}],' +
        '"system":"Triage the ticket.","tools":[{"name":"Items","description":"Record the answer. Its input is the answer.","input_schema":' +
        ARRAY_FORMS.wrapped.text +
        '}],"tool_choice":{"type":"tool","name":"Items"}}',
    );
    const messages = (second?.body as { messages: Array<{ content: string }> }).messages;
    assert.equal(messages[1]?.content, '{"value":[{"n":"x"}]}');
    assert.equal(
      messages[2]?.content,
      "Your previous answer is not valid against the output schema: /0/n: type: expected integer, got string\n" +
        "Reply again with only the corrected, complete JSON value.",
    );
  } finally {
    await server.close();
  }
});

test("anthropic: a streamed tool input; an older api_version gets temperature", async () => {
  const server = await serve([
    sse([
      ["message_start", { type: "message_start", message: { id: "msg_2", model: "claude-sonnet-5-5", usage: { input_tokens: 9, output_tokens: 1 } } }],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "t", name: "Triage", input: {} } }],
      ["ping", { type: "ping" }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"ticket_id": "T-1",' } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: ' "urgency": 1}' } }],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      ["message_delta", { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 12 } }],
      ["message_stop", { type: "message_stop" }],
    ]),
  ]);
  try {
    const run = runtime({ ANTHROPIC_API_KEY: "sk-ant", ANTHROPIC_BASE_URL: server.base });
    let final: rt.ModelResponse | null = null;
    const route: rt.ModelRoute = { provider: "anthropic", model: "claude-sonnet-5-5", api_version: "2023-06-01", temperature: 0.2 };
    for await (const event of run.stream(request(route))) {
      if (event.type === "completed") final = event.response;
    }
    assert.deepEqual(final?.output, { ticket_id: "T-1", urgency: 1 });
    assert.deepEqual(final?.usage, { inputTokens: 9, outputTokens: 12 });
    assert.equal(server.seen[0]?.headers["anthropic-version"], "2023-06-01");
    assert.match(server.seen[0]?.raw ?? "", /"system":"Triage the ticket.","temperature":0.2,"tools":/);
    assert.match(server.seen[0]?.raw ?? "", /"max_tokens":4096,/);
    assert.match(server.seen[0]?.raw ?? "", /,"stream":true}$/);
  } finally {
    await server.close();
  }
});

test("openai-compatible: response_format with the schema as written, streamed with [DONE] and usage", async () => {
  const chunk = (content: string | null, extra: Record<string, unknown> = {}): unknown => ({
    object: "chat.completion.chunk",
    id: "c1",
    model: "llama3.1",
    choices: content === null ? [] : [{ index: 0, delta: { content } }],
    ...extra,
  });
  const server = await serve([
    json(200, {
      id: "c0",
      object: "chat.completion",
      model: "llama3.1",
      choices: [{ index: 0, message: { role: "assistant", content: '{"ticket_id": "T-1", "urgency": 5}' }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    }),
    sse([[null, chunk('{"ticket_id": "T-1", "urgency": 5}')], [null, chunk(null, { usage: { prompt_tokens: 3, completion_tokens: 4 } })]], true),
  ]);
  try {
    const run = runtime({});
    const route: rt.ModelRoute = { provider: "openai-compatible", model: "llama3.1", base_url: server.base + "/v1/", max_tokens: 64 };
    const full = await run.complete(request(route));
    assert.deepEqual(full.output, { ticket_id: "T-1", urgency: 5 });
    assert.equal(
      server.seen[0]?.raw,
      '{"model":"llama3.1","messages":[{"role":"system","content":"Triage the ticket."},{"role":"user","content":"{\\"id\\":\\"T-1\\",\\"body\\":\\"Crash ✓ <b>\\"}"}],' +
        '"max_tokens":64,"response_format":{"type":"json_schema","json_schema":{"name":"Triage","schema":' +
        FORMS.plain.text +
        ',"strict":true}}}',
    );
    assert.equal(server.seen[0]?.url, "/v1/chat/completions");
    assert.equal(server.seen[0]?.headers["authorization"], undefined);
    let final: rt.ModelResponse | null = null;
    for await (const event of run.stream(request(route))) {
      if (event.type === "completed") final = event.response;
    }
    assert.deepEqual(final?.usage, { inputTokens: 3, outputTokens: 4 });
    assert.match(server.seen[1]?.raw ?? "", /,"stream":true,"stream_options":\{"include_usage":true\}\}$/);
  } finally {
    await server.close();
  }
});

test("429 with retry-after-ms is retried; every attempt is in the response", async () => {
  const server = await serve([
    json(429, { error: { message: "slow down", type: "rate_limit_error" } }, { "retry-after-ms": "5" }),
    json(200, responsesBody('{"ticket_id": "T-1", "urgency": 3}')),
  ]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    const response = await run.complete(request({ provider: "openai", model: "m" }));
    assert.deepEqual(outline(response.attempts), ["call fast http 429", "retry fast ok"]);
    assert.equal(server.seen[0]?.raw, server.seen[1]?.raw);
  } finally {
    await server.close();
  }
});

test("a retry-after longer than 60 s ends the retries at once: R002 with the provider's message", async () => {
  const server = await serve([json(429, { error: { message: "come back later", type: "rate_limit_error" } }, { "retry-after": "3600", "x-request-id": "r9" })]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    await assert.rejects(run.complete(request({ provider: "openai", model: "m" })), (error: unknown) => {
      assert.ok(error instanceof rt.RateLimited);
      assert.equal(error.code, "R002");
      assert.equal(error.message, "openai m: rate_limit_error: come back later (HTTP 429, request id r9)");
      assert.deepEqual(outline(error.attempts), ["call fast http 429"]);
      return true;
    });
    assert.equal(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

test("529 is retried; x-should-retry: false stops a 500; a reset is retried", async () => {
  const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" }, request_id: "req_o" };
  const server = await serve([json(529, overloaded), reset, json(200, messagesBody({ ticket_id: "T-1", urgency: 2 }))]);
  const stop = await serve([json(500, { error: { message: "boom" } }, { "x-should-retry": "false" })]);
  try {
    const run = runtime({ ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: server.base });
    const response = await run.complete(request({ provider: "anthropic", model: "claude-haiku-5-5" }));
    assert.deepEqual(outline(response.attempts), ["call fast http 529", "retry fast reset", "retry fast ok"]);
    const other = runtime({ ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: stop.base });
    await assert.rejects(other.complete(request({ provider: "anthropic", model: "claude-haiku-5-5" })), (error: unknown) => {
      assert.ok(error instanceof rt.ServerError);
      assert.equal(error.message, "anthropic claude-haiku-5-5: boom (HTTP 500)");
      return true;
    });
    assert.equal(stop.seen.length, 1);
  } finally {
    await server.close();
    await stop.close();
  }
});

test("an attempt timeout is R005, retried while attempts remain", async () => {
  const server = await serve([hang]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    await assert.rejects(run.complete(request({ provider: "openai", model: "m" }, { timeout: 0.05, retry: { ...FAST, max_attempts: 2 } })), (error: unknown) => {
      assert.ok(error instanceof rt.Timeout);
      assert.equal(error.message, "openai m: no complete answer within the attempt timeout of 0.05s");
      assert.deepEqual(outline(error.attempts), ["call fast timeout", "retry fast timeout"]);
      return true;
    });
    assert.equal(server.seen.length, 2);
  } finally {
    await server.close();
  }
});

test("streaming: the first-token timeout ends a silent attempt, the retry's text follows a reset", async () => {
  const events: Array<[string, unknown]> = [
    ["response.output_text.delta", { type: "response.output_text.delta", delta: '{"ticket_id": "T-1", "urgency": 4}' }],
    ["response.completed", { type: "response.completed", response: responsesBody('{"ticket_id": "T-1", "urgency": 4}') }],
  ];
  // The first attempt gets its headers and then nothing; the timeout is generous so that a
  // slow machine's second attempt is well inside it.
  const silent = (res: import("node:http").ServerResponse): void => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
  };
  const server = await serve([silent, sse(events)]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    const seen: string[] = [];
    let final: rt.ModelResponse | null = null;
    const route: rt.ModelRoute = { provider: "openai", model: "m", first_token_timeout: 0.5 };
    for await (const event of run.stream(request(route))) {
      seen.push(event.type);
      if (event.type === "completed") final = event.response;
    }
    assert.deepEqual(seen, ["delta", "completed"]);
    assert.deepEqual(outline(final?.attempts ?? []), ["call fast timeout", "retry fast ok"]);
    assert.equal(server.seen.length, 2);
  } finally {
    await server.close();
  }
});

test("an AbortSignal cancels the call", async () => {
  const server = await serve([hang]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    const controller = new AbortController();
    const pending = run.complete(request({ provider: "openai", model: "m" }, { signal: controller.signal }));
    while (server.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(pending, rt.Cancelled);
    assert.equal(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

test("an answer that is not JSON gets the language-neutral repair turn; still invalid: R006", async () => {
  const server = await serve([json(200, responsesBody("Sure! Here it is")), json(200, responsesBody('{"ticket_id": 1}'))]);
  try {
    const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: server.base });
    await assert.rejects(run.complete(request({ provider: "openai", model: "m" })), (error: unknown) => {
      assert.ok(error instanceof rt.OutputInvalid);
      assert.equal(
        error.message,
        'openai m: output invalid after 2 answer(s): /ticket_id: type: expected string, got integer; (root): required: expected property "urgency", got nothing (request id resp_1)',
      );
      assert.deepEqual(outline(error.attempts), ["call fast invalid", "repair fast invalid"]);
      assert.deepEqual(error.attempts.map((a) => a.inputTokens), [10, 10]);
      return true;
    });
    const input = (server.seen[1]?.body as { input: Array<{ role: string; content: string }> }).input;
    assert.deepEqual(input, [
      { role: "user", content: '{"id":"T-1","body":"Crash ✓ <b>"}' },
      { role: "assistant", content: "Sure! Here it is" },
      { role: "user", content: "Your previous answer is not valid JSON.\nReply again with only the corrected, complete JSON value." },
    ]);
  } finally {
    await server.close();
  }
});

test("a missing API key is R008 before anything is sent, as is an unknown provider", async () => {
  await assert.rejects(runtime({}).complete(request({ provider: "openai", model: "m" })), (error: unknown) => {
    assert.ok(error instanceof rt.RouteError);
    assert.equal(error.message, "openai m: no API key: set $OPENAI_API_KEY");
    return true;
  });
  await assert.rejects(runtime({}).complete(request({ provider: "mystery", model: "m" })), (error: unknown) => {
    assert.ok(error instanceof rt.RouteError);
    assert.equal(error.message, 'unknown provider "mystery"');
    return true;
  });
});

test("a refused connection is R007 connection failed", async () => {
  const server = await serve([hang]);
  const base = server.base;
  await server.close();
  const run = runtime({ OPENAI_API_KEY: "k", OPENAI_BASE_URL: base });
  await assert.rejects(run.complete(request({ provider: "openai", model: "m" }, { retry: { ...FAST, max_attempts: 2 } })), (error: unknown) => {
    assert.ok(error instanceof rt.ProviderError);
    assert.equal(error.code, "R007");
    assert.equal(error.message, "openai m: connection failed");
    assert.deepEqual(outline(error.attempts), ["call fast reset", "retry fast reset"]);
    return true;
  });
});

test("auto mode downgrades on a 400 about the format, at once, and remembers it", async () => {
  const server = await serve([
    json(400, { error: "response_format json_schema is not supported" }),
    json(200, { choices: [{ message: { content: '{"ticket_id": "T-1", "urgency": 1}' }, finish_reason: "stop" }] }),
  ]);
  try {
    const run = runtime({});
    const route: rt.ModelRoute = { provider: "openai-compatible", model: "q", base_url: server.base };
    const response = await run.complete(request(route));
    assert.deepEqual(outline(response.attempts), ["call fast http 400", "downgrade fast ok"]);
    assert.match(server.seen[1]?.raw ?? "", /"response_format":\{"type":"json_object"\}/);
    assert.match((server.seen[1]?.body as { messages: Array<{ content: string }> }).messages[0]?.content ?? "", /Respond with only one JSON value/);
    await run.complete(request(route));
    assert.match(server.seen[2]?.raw ?? "", /"response_format":\{"type":"json_object"\}/);
  } finally {
    await server.close();
  }
});

test("fallbacks on R004 and refusals, never on R003; attempts of every route are kept", async () => {
  const failing = await serve([json(503, { message: "down", type: "Unavailable" }, { "x-request-id": "r1" })]);
  const refusing = await serve([
    json(200, { status: "completed", output: [{ type: "message", content: [{ type: "refusal", refusal: "no" }] }] }),
  ]);
  const working = await serve([json(200, responsesBody('{"ticket_id": "T-1", "urgency": 1}'))]);
  const bad = await serve([json(400, { error: { message: "bad input", code: "invalid" } })]);
  try {
    const routes: Record<string, rt.ModelRoute> = {
      main: { provider: "openai", model: "a", base_url: failing.base, fallback: ["second"], retry: { ...FAST, max_attempts: 2 } },
      second: { provider: "openai", model: "b", base_url: refusing.base, fallback: ["third", "main"] },
      third: { provider: "openai", model: "c", base_url: working.base },
      strict: { provider: "openai", model: "d", base_url: bad.base, fallback: ["third"] },
    };
    const router = new rt.Router(routes, runtime({ OPENAI_API_KEY: "k" }));
    const response = await router.client("main").complete(request(router.route("main"), { retry: undefined }));
    assert.equal(response.alias, "third");
    assert.deepEqual(outline(response.attempts), ["call main http 503", "retry main http 503", "fallback second refused", "fallback third ok"]);
    await assert.rejects(router.client("strict").complete(request(router.route("strict"))), (error: unknown) => {
      assert.ok(error instanceof rt.BadRequest);
      assert.equal(error.message, "openai d: invalid: bad input (HTTP 400)");
      return true;
    });
    assert.equal(working.seen.length, 1);
  } finally {
    for (const s of [failing, refusing, working, bad]) await s.close();
  }
});

test("error messages: the provider's own, from every body shape", () => {
  assert.deepEqual(rt.errorMessage('{"error": {"message": "m", "type": "t"}, "request_id": "r"}'), ["m", "t", "r"]);
  assert.deepEqual(rt.errorMessage('{"error": "plain"}'), ["plain", null, null]);
  assert.deepEqual(rt.errorMessage('{"object": "error", "message": "vllm", "type": "BadRequestError", "code": 400}'), ["vllm", "BadRequestError", null]);
  assert.deepEqual(rt.errorMessage('{"detail": [{"loc": ["body"]}]}'), ['[{"loc":["body"]}]', null, null]);
  assert.deepEqual(rt.errorMessage("<html>" + "x".repeat(400)), ["<html>" + "x".repeat(294), null, null]);
  assert.deepEqual(rt.errorMessage(""), ["no error message", null, null]);
});

test("the pool keeps input order, bounds concurrency and cancels siblings on failure", async () => {
  let running = 0;
  let peak = 0;
  const results = await rt.pool([5, 1, 4, 2, 3], 2, undefined, async (item, index) => {
    running++;
    peak = Math.max(peak, running);
    for (let i = 0; i < (item as number); i++) await new Promise((resolve) => setImmediate(resolve));
    running--;
    return [index, item];
  });
  assert.deepEqual(results, [[0, 5], [1, 1], [2, 4], [3, 2], [4, 3]]);
  assert.equal(peak, 2);
  const aborted: number[] = [];
  await assert.rejects(
    rt.pool([0, 1, 2], 3, undefined, (item, index, signal) => {
      if (item === 1) return Promise.reject(new Error("item 1 failed"));
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted.push(index);
          reject(new Error("aborted"));
        });
      });
    }),
    /item 1 failed/,
  );
  assert.deepEqual(aborted.sort(), [0, 2]);
});

test("a router's chains are made once per alias: a replaced route is used, an unknown alias fails every time", async () => {
  const fake = new rt.FakeClient([{ output: { ok: 1 }, repeat: true }]);
  const routes: Record<string, rt.ModelRoute> = {
    a: { provider: "openai", model: "a1", fallback: ["b"] },
    b: { provider: "openai", model: "b1" },
  };
  const router = new rt.Router(routes, fake);
  assert.equal(router.client("a"), router.client("a"));
  assert.deepEqual(router.chainOf("a").map(([name, route]) => name + " " + route.model), ["a a1", "b b1"]);
  // What the SDK client sends: the route's own request, members in the order a copy has them.
  const made: rt.ModelRequest = { route: routes["a"] as rt.ModelRoute, instructions: "", input: {}, metadata: { alias: "a" }, attemptKind: undefined };
  await router.client("a").complete(made);
  assert.equal(fake.requests[0], made);
  // Any other request is copied for the route, as before.
  await router.client("a").complete({ route: routes["b"] as rt.ModelRoute, instructions: "", input: {} });
  assert.deepEqual(Object.keys(fake.requests[1] ?? {}), ["route", "instructions", "input", "attemptKind", "metadata"]);
  assert.equal(fake.requests[1]?.route, routes["a"]);
  assert.deepEqual(fake.requests[1]?.metadata, { alias: "a" });
  routes["b"] = { provider: "openai", model: "b2" };
  assert.deepEqual(router.chainOf("a").map(([name, route]) => name + " " + route.model), ["a a1", "b b2"]);
  for (let i = 0; i < 2; i++) assert.throws(() => router.chainOf("missing"), /unknown model alias "missing"/);
});

test("the fake client plays a script; the replay client answers by fingerprint", async () => {
  const route: rt.ModelRoute = { provider: "openai", model: "m" };
  const fake = new rt.FakeClient([
    { step: "a", input: { n: 1 }, output: { ok: 1 } },
    { step: "a", error: "refused" },
  ]);
  const meta = { step: "a" };
  assert.deepEqual((await fake.complete({ route, instructions: "", input: { n: 1 }, metadata: meta })).output, { ok: 1 });
  await assert.rejects(fake.complete({ route, instructions: "", input: { n: 2 }, metadata: meta }), /refused/);
  await assert.rejects(fake.complete({ route, instructions: "", input: { n: 3 }, metadata: meta }), /no scripted answer/);
  const forms = new rt.SchemaForms({ plain: '{"type":"object"}', wrapped: '{"type":"object"}', strict: "{}", isWrapped: false });
  const req: rt.ModelRequest = { route, instructions: "Hi", input: { x: [1, 2.5, "é"] }, outputForms: forms, schemaName: "Out" };
  const text = [
    JSON.stringify({ aiwf_replay: 1, spec: "s", digest: "sha256:0" }),
    JSON.stringify({ fingerprint: rt.fingerprint(req), assistant: "a", response: { output: { y: 1 }, text: "{}", usage: { input_tokens: 2, output_tokens: 3 }, model: "m", provider: "openai" } }),
  ].join("\n");
  const replay = new rt.ReplayClient(text);
  const answer = await replay.complete(req);
  assert.deepEqual(answer.output, { y: 1 });
  assert.deepEqual(answer.usage, { inputTokens: 2, outputTokens: 3 });
  await assert.rejects(replay.complete({ ...req, input: { x: [] } }), rt.ReplayMiss);
});
