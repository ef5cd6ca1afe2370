"""Retry rules and structured-output transformations, in-process."""

from __future__ import annotations

import email.utils
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from runtime_canned import openai_response
from runtime_support import FakeClock

from aiwf._ir.routes import Retry, Route
from aiwf.runtime import ModelRequest, ServerError
from aiwf.runtime._client import Runtime
from aiwf.runtime._retry import RetryPolicy, parse_retry_after, parse_should_retry
from aiwf.runtime._structured import extract_json, strict_schema, strip_optional_nulls, validate


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == 10.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_should_retry({"X-Should-Retry": "false"}) is False
    assert parse_should_retry({"x-should-retry": "maybe"}) is None


@given(n=st.integers(0, 30), r=st.floats(0, 1, exclude_max=True))
def test_backoff_is_capped_with_at_most_25_percent_jitter(n: int, r: float) -> None:
    policy = RetryPolicy(Retry(initial_delay=0.5, max_delay=8.0), FakeClock(), lambda: r)
    base = min(0.5 * 2**n, 8.0)
    assert 0.75 * base <= policy.backoff(n) <= base


def test_strict_schema_and_null_stripping_round_trip() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string"},
            "b": {"enum": ["x", "y"], "type": "string"},
            "c": {"type": "object", "properties": {"d": {"$ref": "#/$defs/D"}}},
            "e": {"type": ["integer", "null"]},
        },
        "$defs": {"D": {"type": "array", "items": {"type": "integer"}}},
    }
    strict = strict_schema(schema)
    assert strict["required"] == ["a", "b", "c", "e"]
    assert strict["additionalProperties"] is False
    assert strict["properties"]["b"] == {"enum": ["x", "y", None], "type": ["string", "null"]}
    assert strict["properties"]["c"]["type"] == ["object", "null"]
    assert strict["properties"]["c"]["additionalProperties"] is False
    assert strict["properties"]["c"]["properties"]["d"] == {
        "anyOf": [{"$ref": "#/$defs/D"}, {"type": "null"}]
    }
    answer = {"a": "z", "b": None, "c": {"d": None}, "e": None}
    assert validate(answer, strict) is None
    cleaned = strip_optional_nulls(answer, schema)
    assert cleaned == {"a": "z", "c": {}, "e": None}  # e allows null itself: kept
    assert validate(cleaned, schema) is None
    assert schema["required"] == ["a"]  # the original is untouched


def test_validate_reports_nested_json_paths() -> None:
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
    }
    problem = validate({"items": [1, "two"]}, schema)
    assert problem is not None
    assert problem.path == "/items/1"
    assert problem.render() == "/items/1: type: expected integer, got string"


def test_extract_json_from_fences_and_prose() -> None:
    assert extract_json('```json\n{"a": 1}\n```') == ({"a": 1}, None)
    assert extract_json("Sure: [1, 2] ok") == ([1, 2], None)
    value, problem = extract_json("no json here")
    assert value is None
    assert problem is not None


async def test_in_process_mock_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same runtime runs over httpx.MockTransport, no socket at all."""
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if len(seen) == 1:
            return httpx.Response(502, json={"error": {"message": "bad gateway"}})
        return httpx.Response(200, json=openai_response("plain"))

    clock = FakeClock()
    runtime = Runtime(transport=httpx.MockTransport(handler), clock=clock, random=lambda: 0.5)
    try:
        response = await runtime.complete(
            ModelRequest(route=Route(provider="openai", model="gpt-5.4-mini"), input="hi")
        )
        assert response.output == "plain"
        assert str(seen[0].url) == "https://api.openai.com/v1/responses"
        assert clock.sleeps == [0.5 * 0.875]  # 25 % jitter at random()=0.5
        handler_calls = len(seen)
        monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.example/v1")
        seen.clear()
        with pytest.raises(ServerError):
            await runtime.complete(
                ModelRequest(
                    route=Route(provider="openai", model="m", retry=Retry(max_attempts=1)),
                    input="hi",
                )
            )
        assert str(seen[0].url) == "https://proxy.example/v1/responses"
        assert handler_calls == 2
    finally:
        await runtime.aclose()
