"""OpenAI Responses API against a scripted server on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from runtime_canned import OPENAI_MODEL, openai_response, openai_stream
from runtime_support import TEST_KEYS, FakeClock, Reply, ScriptedServer

from aiwf._ir.routes import Retry, Route
from aiwf.runtime import (
    AuthError,
    Completed,
    ModelRequest,
    OutputInvalid,
    ProviderError,
    RateLimited,
    ServerError,
    StreamReset,
    TextDelta,
    Timeout,
)
from aiwf.runtime._client import Runtime

TRIAGE: dict[str, Any] = {
    "type": "object",
    "required": ["ticket_id", "urgency"],
    "properties": {
        "ticket_id": {"type": "string"},
        "urgency": {"type": "integer", "minimum": 1, "maximum": 5},
        "note": {"type": "string"},
    },
}
GOOD = {"ticket_id": "T-1", "urgency": 3, "note": None}
#: The input's contract: its members go on the wire in this order (docs/wire.md §2).
TICKET: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "subject": {"type": "string"}, "body": {}},
}


def request(server: ScriptedServer, **kwargs: Any) -> ModelRequest:
    route = Route(
        provider="openai",
        model=OPENAI_MODEL,
        base_url=f"{server.url}/v1",
        **kwargs.pop("route", {}),
    )
    fields: dict[str, Any] = {
        "instructions": "Classify the ticket.",
        "input": {"body": "Please refund.", "subject": "Refund", "id": "T-1"},
        "input_schema": TICKET,
        "output_schema": TRIAGE,
        "schema_name": "Triage",
    }
    fields.update(kwargs)
    return ModelRequest(route=route, **fields)


async def test_request_body_and_headers_are_exact(
    server: ScriptedServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-42")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-7")
    server.script(Reply(body=openai_response(json.dumps(GOOD))))
    await runtime.complete(request(server, temperature=0.2, max_tokens=300))
    sent = server.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/responses")
    assert sent.headers["authorization"] == f"Bearer {TEST_KEYS['OPENAI_API_KEY']}"
    assert sent.headers["openai-organization"] == "org-42"
    assert sent.headers["openai-project"] == "proj-7"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "model": OPENAI_MODEL,
        "instructions": "Classify the ticket.",
        "input": '{"id":"T-1","subject":"Refund","body":"Please refund."}',
        "temperature": 0.2,
        "max_output_tokens": 300,
        "text": {
            "format": {
                "type": "json_schema",
                "name": "Triage",
                "strict": True,
                "schema": {
                    "type": "object",
                    "required": ["ticket_id", "urgency", "note"],
                    "additionalProperties": False,
                    "properties": {
                        "ticket_id": {"type": "string"},
                        "urgency": {"type": "integer", "minimum": 1, "maximum": 5},
                        "note": {"type": ["string", "null"]},
                    },
                },
            }
        },
    }


async def test_full_response_is_parsed_and_optional_nulls_removed(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(
        Reply(body=openai_response(json.dumps(GOOD)), headers={"x-request-id": "req_abc"})
    )
    response = await runtime.complete(request(server))
    assert response.output == {"ticket_id": "T-1", "urgency": 3}
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 7)
    assert response.request_id == "req_abc"
    assert response.model == OPENAI_MODEL
    assert response.attempts == 1
    assert clock.sleeps == []


async def test_stream_yields_deltas_then_the_response(
    server: ScriptedServer, runtime: Runtime
) -> None:
    parts = ['{"ticket_id": "T-1", ', '"urgency": 2, ', '"note": "vip"}']
    server.script(Reply(sse=openai_stream(parts)))
    events = [e async for e in runtime.stream(request(server))]
    assert [e.text for e in events if isinstance(e, TextDelta)] == parts
    final = events[-1]
    assert isinstance(final, Completed)
    assert final.response.output == {"ticket_id": "T-1", "urgency": 2, "note": "vip"}
    assert server.requests[0].json()["stream"] is True


async def test_429_honours_retry_after(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(
        Reply(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after": "2"}),
        Reply(body=openai_response(json.dumps(GOOD))),
    )
    response = await runtime.complete(request(server))
    assert response.attempts == 2
    assert clock.sleeps == [2.0]


async def test_retry_after_ms_wins_over_retry_after(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(
        Reply(429, {"error": {"message": "x"}}, {"retry-after-ms": "250", "retry-after": "9"}),
        Reply(body=openai_response(json.dumps(GOOD))),
    )
    await runtime.complete(request(server))
    assert clock.sleeps == [0.25]


async def test_retry_after_above_the_cap_gives_up_at_once(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(Reply(429, {"error": {"message": "quota"}}, {"retry-after": "3600"}))
    with pytest.raises(RateLimited) as info:
        await runtime.complete(request(server))
    assert info.value.code == "R002"
    assert info.value.retry_after == 3600.0
    assert clock.sleeps == []
    assert len(server.requests) == 1


async def test_500s_back_off_exponentially_then_fail(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(*[Reply(500, {"error": {"message": "boom", "type": "server_error"}})] * 3)
    with pytest.raises(ServerError) as info:
        await runtime.complete(request(server))
    assert info.value.status == 500
    assert "boom" in str(info.value)
    assert clock.sleeps == [0.5, 1.0]
    assert len(server.requests) == 3
    assert runtime.metrics.snapshot()["retries"] == 2


async def test_x_should_retry_false_stops_a_retryable_status(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(Reply(503, {"error": {"message": "no"}}, {"x-should-retry": "false"}))
    with pytest.raises(ServerError):
        await runtime.complete(request(server))
    assert len(server.requests) == 1
    assert clock.sleeps == []


async def test_x_should_retry_true_retries_a_400(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(
        Reply(400, {"error": {"message": "flaky"}}, {"x-should-retry": "true"}),
        Reply(body=openai_response(json.dumps(GOOD))),
    )
    response = await runtime.complete(request(server))
    assert response.attempts == 2


async def test_401_is_not_retried(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(
        Reply(401, {"error": {"message": "Incorrect API key", "type": "invalid_api_key"}})
    )
    with pytest.raises(AuthError) as info:
        await runtime.complete(request(server))
    assert info.value.code == "R001"
    assert len(server.requests) == 1
    assert clock.sleeps == []


async def test_connection_reset_is_retried(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(Reply(reset=True), Reply(body=openai_response(json.dumps(GOOD))))
    response = await runtime.complete(request(server))
    assert response.attempts == 2
    assert clock.sleeps == [0.5]


async def test_hung_server_hits_the_deadline(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(Reply(delay=30, body={}))
    with pytest.raises(Timeout) as info:
        await runtime.complete(request(server, retry=Retry(deadline=0.3)))
    assert "deadline" in str(info.value)
    assert info.value.code == "R005"
    assert len(server.requests) == 1
    assert clock.sleeps == []


async def test_attempt_timeout_is_retried_within_the_deadline(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(Reply(delay=30, body={}), Reply(body=openai_response(json.dumps(GOOD))))
    response = await runtime.complete(request(server, timeout=0.2, retry=Retry(deadline=20)))
    assert response.attempts == 2
    assert clock.sleeps == [0.5]


async def test_malformed_json_body_is_a_provider_error(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    server.script(*[Reply(200, b'{"id": "resp_1", "output": [')] * 3)
    with pytest.raises(ProviderError) as info:
        await runtime.complete(request(server))
    assert type(info.value) is ProviderError
    assert info.value.code == "R007"
    assert "malformed response" in str(info.value)
    assert len(server.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_schema_invalid_output_is_repaired_on_the_second_answer(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    bad = {"ticket_id": "T-1", "urgency": 7, "note": None}
    server.script(
        Reply(body=openai_response(json.dumps(bad))),
        Reply(body=openai_response(json.dumps(GOOD))),
    )
    response = await runtime.complete(request(server))
    assert response.output == {"ticket_id": "T-1", "urgency": 3}
    assert response.attempts == 2
    assert response.usage.input_tokens == 22  # both answers are paid for
    assert clock.sleeps == []
    follow_up = server.requests[1].json()["input"]
    assert [m["role"] for m in follow_up] == ["user", "assistant", "user"]
    assert follow_up[1]["content"] == json.dumps(bad)
    assert (
        "not valid against the output schema: /urgency: maximum: expected at most 5, got 7\n"
        in follow_up[2]["content"]
    )


async def test_output_still_invalid_after_repair_fails_with_the_path(
    server: ScriptedServer, runtime: Runtime
) -> None:
    bad = {"ticket_id": "T-1", "urgency": 9, "note": None}
    server.script(*[Reply(body=openai_response(json.dumps(bad)))] * 2)
    with pytest.raises(OutputInvalid) as info:
        await runtime.complete(request(server))
    assert info.value.code == "R006"
    assert info.value.path == "/urgency"
    assert (
        f"openai {OPENAI_MODEL}: output invalid after 2 answer(s): /urgency: maximum: "
        "expected at most 5, got 9" in str(info.value)
    )
    assert len(server.requests) == 2


async def test_truncated_output_is_re_asked_as_cut_off(
    server: ScriptedServer, runtime: Runtime
) -> None:
    server.script(
        Reply(
            body=openai_response(
                '{"ticket_id": "T-', status="incomplete", incomplete="max_output_tokens"
            )
        ),
        Reply(body=openai_response(json.dumps(GOOD))),
    )
    response = await runtime.complete(request(server))
    assert response.attempts == 2
    assert "cut off" in server.requests[1].json()["input"][2]["content"]


async def test_non_object_output_is_wrapped_and_unwrapped(
    server: ScriptedServer, runtime: Runtime
) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    server.script(Reply(body=openai_response(json.dumps({"value": ["a", "b"]}))))
    response = await runtime.complete(request(server, output_schema=schema, schema_name="tags"))
    assert response.output == ["a", "b"]
    sent = server.requests[0].json()["text"]["format"]["schema"]
    assert sent["properties"]["value"] == schema
    assert sent["required"] == ["value"]


async def test_stream_first_token_timeout_retries(
    server: ScriptedServer, runtime: Runtime, clock: FakeClock
) -> None:
    parts = [json.dumps(GOOD)]
    server.script(Reply(sse=openai_stream(parts), stall=30), Reply(sse=openai_stream(parts)))
    events = [e async for e in runtime.stream(request(server, first_token_timeout=0.2))]
    final = events[-1]
    assert isinstance(final, Completed)
    assert final.response.attempts == 2
    assert clock.sleeps == [0.5]
    assert not any(isinstance(e, StreamReset) for e in events)  # nothing was shown yet


async def test_free_text_without_schema(server: ScriptedServer, runtime: Runtime) -> None:
    server.script(Reply(body=openai_response("hello there")))
    response = await runtime.complete(request(server, output_schema=None))
    assert response.output == "hello there"
    assert "text" not in server.requests[0].json()
