"""Anthropic Messages API against a scripted server on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from runtime_canned import ANTHROPIC_MODEL, anthropic_message, anthropic_tool_stream
from runtime_support import TEST_KEYS, FakeClock, Reply, ScriptedServer

from aiwf._ir.routes import Route
from aiwf.runtime import (
    BadRequest,
    Completed,
    ModelRequest,
    ServerError,
    StreamReset,
    TextDelta,
)
from aiwf.runtime._client import Runtime
from aiwf.runtime._providers.anthropic import API_VERSION, DEFAULT_MAX_TOKENS

TRIAGE: dict[str, Any] = {
    "type": "object",
    "required": ["ticket_id", "urgency"],
    "properties": {
        "ticket_id": {"type": "string"},
        "urgency": {"type": "integer", "minimum": 1, "maximum": 5},
    },
}
GOOD = {"ticket_id": "T-1", "urgency": 4}


def request(
    server: ScriptedServer, route: dict[str, Any] | None = None, **kwargs: Any
) -> ModelRequest:
    fields: dict[str, Any] = {
        "instructions": "Classify the ticket.",
        "input": {"id": "T-1"},
        "output_schema": TRIAGE,
        "schema_name": "Triage",
    }
    fields.update(kwargs)
    return ModelRequest(
        route=Route(
            provider="anthropic", model=ANTHROPIC_MODEL, base_url=server.url, **(route or {})
        ),
        **fields,
    )


async def test_forced_tool_request_is_exact(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(Reply(body=anthropic_message(tool_input=GOOD), headers={"request-id": "req_9"}))
    response = await runtime.complete(request(server))
    sent = server.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.headers["authorization"] == f"Bearer {TEST_KEYS['ANTHROPIC_API_KEY']}"
    assert sent.headers["anthropic-version"] == API_VERSION
    assert "x-api-key" not in sent.headers
    assert sent.json() == {
        "model": ANTHROPIC_MODEL,
        "max_tokens": DEFAULT_MAX_TOKENS,
        "system": "Classify the ticket.",
        "messages": [{"role": "user", "content": '{"id":"T-1"}'}],
        "tools": [
            {
                "name": "Triage",
                "description": "Record the answer. Its input is the answer.",
                "input_schema": TRIAGE,
            }
        ],
        "tool_choice": {"type": "tool", "name": "Triage"},
    }
    assert response.output == GOOD
    assert response.request_id == "req_9"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (21, 9)


async def test_native_structured_output_and_version_override(
    server: ScriptedServer, runtime: Runtime
) -> None:
    server.script(Reply(body=anthropic_message(text=json.dumps(GOOD))))
    route = {"structured_output": "native", "api_version": "2023-06-01", "max_tokens": 512}
    response = await runtime.complete(request(server, route=route, temperature=0.2))
    sent = server.requests[0]
    assert sent.headers["anthropic-version"] == "2023-06-01"
    body = sent.json()
    assert body["temperature"] == 0.2  # an older pinned version still takes it
    assert body["max_tokens"] == 512
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": TRIAGE}}
    assert "tools" not in body
    assert response.output == GOOD


async def test_529_overloaded_is_retried(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    overloaded = {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": "req_o",
    }
    server.script(Reply(529, overloaded), Reply(body=anthropic_message(tool_input=GOOD)))
    response = await runtime.complete(request(server))
    assert response.attempts == 2
    assert clock.sleeps == [0.5]


async def test_400_keeps_the_provider_message_and_request_id(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    body = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: too big"},
        "request_id": "req_bad",
    }
    server.script(Reply(400, body))
    with pytest.raises(BadRequest) as info:
        await runtime.complete(request(server))
    assert info.value.request_id == "req_bad"
    assert "invalid_request_error: max_tokens: too big" in str(info.value)
    assert "request id req_bad" in info.value.render()
    assert clock.sleeps == []


async def test_stream_accumulates_input_json_delta(
    server: ScriptedServer, runtime: Runtime
) -> None:
    parts = ['{"ticket_id": ', '"T-1", "urg', 'ency": 4}']
    server.script(Reply(sse=anthropic_tool_stream(parts)))
    events = [e async for e in runtime.stream(request(server))]
    assert [e.text for e in events if isinstance(e, TextDelta)] == parts
    final = events[-1]
    assert isinstance(final, Completed)
    assert final.response.output == GOOD
    assert (final.response.usage.input_tokens, final.response.usage.output_tokens) == (21, 15)


async def test_stream_error_event_after_200_is_retried_with_a_reset(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    parts = ['{"ticket_id": ', '"T-1", "urgency": 4}']
    server.script(
        Reply(sse=anthropic_tool_stream(parts, error_after=1)),
        Reply(sse=anthropic_tool_stream(parts)),
    )
    events = [e async for e in runtime.stream(request(server))]
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["TextDelta", "StreamReset", "TextDelta", "TextDelta", "Completed"]
    reset = events[1]
    assert isinstance(reset, StreamReset)
    assert reset.attempt == 2
    final = events[-1]
    assert isinstance(final, Completed)
    assert final.response.attempts == 2
    assert clock.sleeps == [0.5]
    attempt_errors = runtime.metrics.snapshot()["errors"]
    assert attempt_errors == {"ServerError": 1}


async def test_stream_error_event_exhausts_retries(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(*[Reply(sse=anthropic_tool_stream(["{"], error_after=0))] * 3)
    with pytest.raises(ServerError) as info:
        [e async for e in runtime.stream(request(server))]
    assert "overloaded_error" in str(info.value)
    assert info.value.status is None
    assert clock.sleeps == [0.5, 1.0]


async def test_invalid_tool_input_is_repaired(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(
        Reply(body=anthropic_message(tool_input={"ticket_id": "T-1"})),
        Reply(body=anthropic_message(tool_input=GOOD)),
    )
    response = await runtime.complete(request(server))
    assert response.output == GOOD
    messages = server.requests[1].json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == '{"ticket_id":"T-1"}'  # the tool input, canonical JSON
    assert '(root): required: expected property "urgency", got nothing' in messages[2]["content"]
