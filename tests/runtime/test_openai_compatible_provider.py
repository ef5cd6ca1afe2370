"""OpenAI-compatible Chat Completions (Ollama, vLLM, llama.cpp, LM Studio) on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from runtime_canned import chat_completion, chat_stream
from runtime_support import TEST_KEYS, FakeClock, Reply, ScriptedServer

from aiwf._ir.routes import Route
from aiwf.runtime import BadRequest, Completed, ModelRequest, RouteError, TextDelta
from aiwf.runtime._client import Runtime

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["headline"],
    "properties": {"headline": {"type": "string"}},
}
GOOD = {"headline": "All quiet"}


def request(
    server: ScriptedServer, route: dict[str, Any] | None = None, **kwargs: Any
) -> ModelRequest:
    fields: dict[str, Any] = {
        "instructions": "Summarise.",
        "input": [1, 2],
        "output_schema": SCHEMA,
        "schema_name": "Digest",
    }
    fields.update(kwargs)
    return ModelRequest(
        route=Route(
            provider="openai-compatible",
            model="llama3.1",
            base_url=f"{server.url}/v1",
            **(route or {}),
        ),
        **fields,
    )


async def test_json_schema_request_is_exact_and_keyless(
    server: ScriptedServer, runtime: Runtime
) -> None:
    server.script(Reply(body=chat_completion(json.dumps(GOOD))))
    response = await runtime.complete(request(server, max_tokens=64))
    sent = server.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert "authorization" not in sent.headers
    assert sent.json() == {
        "model": "llama3.1",
        "messages": [
            {"role": "system", "content": "Summarise."},
            {"role": "user", "content": "[1,2]"},
        ],
        "max_tokens": 64,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Digest", "schema": SCHEMA, "strict": True},
        },
    }
    assert response.output == GOOD
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 12)


async def test_api_key_env_is_sent_as_bearer(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(Reply(body=chat_completion(json.dumps(GOOD))))
    await runtime.complete(request(server, route={"api_key_env": "LOCAL_KEY"}))
    assert server.requests[0].headers["authorization"] == f"Bearer {TEST_KEYS['LOCAL_KEY']}"


async def test_stream_with_usage_chunk_and_done(server: ScriptedServer, runtime: Runtime) -> None:
    parts = ['{"headline": ', '"All quiet"}']
    server.script(Reply(sse=chat_stream(parts)))
    events = [e async for e in runtime.stream(request(server))]
    assert [e.text for e in events if isinstance(e, TextDelta)] == parts
    final = events[-1]
    assert isinstance(final, Completed)
    assert final.response.output == GOOD
    assert final.response.usage.output_tokens == 12
    body = server.requests[0].json()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_auto_downgrades_on_plain_string_error_and_remembers(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    # LM Studio style: the error is a plain string.
    server.script(
        Reply(400, {"error": "'response_format.type' must be 'json_schema' or 'text'"}),
        Reply(400, {"error": "'response_format.type' must be 'json_schema' or 'text'"}),
        Reply(body=chat_completion("Sure! ```json\n" + json.dumps(GOOD) + "\n```")),
        Reply(body=chat_completion(json.dumps(GOOD))),
    )
    first = await runtime.complete(request(server))
    assert first.output == GOOD
    assert first.attempts == 3
    assert clock.sleeps == []
    modes = [r.json().get("response_format", {}).get("type") for r in server.requests]
    assert modes == ["json_schema", "json_object", None]
    assert "JSON Schema" in server.requests[2].json()["messages"][0]["content"]
    second = await runtime.complete(request(server))
    assert second.attempts == 1
    assert "response_format" not in server.requests[3].json()  # remembered: prompt mode


async def test_vllm_error_object_is_read(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(
        Reply(
            400,
            {
                "object": "error",
                "message": "maximum context length is 4096",
                "type": "BadRequestError",
                "code": 400,
            },
        )
    )
    with pytest.raises(BadRequest) as info:
        await runtime.complete(request(server))
    assert "maximum context length is 4096" in str(info.value)
    assert len(server.requests) == 1  # not a format problem: no downgrade


async def test_explicit_mode_never_downgrades(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(Reply(400, {"error": {"message": "json_schema unsupported"}}))
    with pytest.raises(BadRequest):
        await runtime.complete(request(server, route={"structured_output": "json_schema"}))
    assert len(server.requests) == 1


async def test_prompt_mode_extracts_json_from_prose(
    server: ScriptedServer, runtime: Runtime
) -> None:
    server.script(Reply(body=chat_completion('Here you go: {"headline": "All quiet"} - done')))
    response = await runtime.complete(request(server, route={"structured_output": "prompt"}))
    assert response.output == GOOD
    assert "response_format" not in server.requests[0].json()


@pytest.mark.parametrize("key", ["sk-local\n", "sk-lo\rcal", "sk-\x1blocal"])
async def test_a_key_with_a_line_break_is_a_route_error_before_anything_is_sent(
    server: ScriptedServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("LOCAL_KEY", key)
    with pytest.raises(RouteError) as info:
        await runtime.complete(request(server, {"api_key_env": "LOCAL_KEY"}))
    assert info.value.code == "R008"
    assert "$LOCAL_KEY" in str(info.value)
    assert "newline" in (info.value.hint or "")
    assert key not in str(info.value)
    assert server.requests == []


async def test_missing_base_url_is_a_route_error(runtime: Runtime) -> None:
    req = ModelRequest(route=Route(provider="openai-compatible", model="m"), input=1)
    with pytest.raises(RouteError) as info:
        await runtime.complete(req)
    assert info.value.code == "R008"
    assert "base_url" in str(info.value)
