"""No secret in logs, traces or error text; spans, metrics and the exporters."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from loguru import logger
from runtime_canned import openai_response
from runtime_support import TEST_KEYS, Reply, ScriptedServer

from aiwf._ir.routes import Route
from aiwf.runtime import AuthError, CallMetadata, JsonlExporter, ModelRequest, redact
from aiwf.runtime._client import Runtime
from aiwf.runtime._otel import gen_ai_attributes
from aiwf.runtime._tracing import AttemptSpan, CallSpan, Span

KEY = TEST_KEYS["OPENAI_API_KEY"]


class Collect:
    def __init__(self) -> None:
        self.spans: list[Span] = []

    def record(self, span: Span) -> None:
        self.spans.append(span)


def request(server: ScriptedServer, **route: Any) -> ModelRequest:
    return ModelRequest(
        route=Route(provider="openai", model="gpt-5.4-mini", base_url=f"{server.url}/v1", **route),
        input={"q": 1},
        metadata=CallMetadata(assistant="classify", workflow="triage", step="s1"),
    )


async def test_no_secret_in_logs_traces_or_errors(server: ScriptedServer, runtime: Runtime) -> None:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m) + json.dumps(m.record["extra"])), level="DEBUG")
    logger.enable("aiwf.runtime")
    out = io.StringIO()
    runtime.traces.subscribe(JsonlExporter(out))
    # The provider echoes the key, as some proxies and servers do, in 500s and then a 401.
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}. Authorization: Bearer {KEY}"}}
    # ... and part of the key in the message, and the whole key as its request id.
    partial = {"error": {"message": f"unknown key ...{KEY[4:]}"}}
    server.script(Reply(500, echo), Reply(401, partial, headers={"x-request-id": KEY}))
    try:
        with pytest.raises(AuthError) as info:
            await runtime.complete(request(server, headers={"x-api-key": "hdr-secret-123456"}))
    finally:
        logger.disable("aiwf.runtime")
        logger.remove(sink)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    texts = {
        "error": str(info.value) + info.value.provider_message,
        "logs": "\n".join(lines),
        "traces": out.getvalue(),
    }
    assert "unknown key ...***" in texts["error"]
    assert "request id ***" in texts["error"]
    assert lines, "the failure was logged"
    assert out.getvalue().count("\n") == 3  # two attempts and the call
    for where, text in texts.items():
        assert KEY not in text, where
        assert KEY[:16] not in text, where
        assert KEY[4:16] not in text, where


def test_redact_masks_registered_and_shaped_secrets() -> None:
    from aiwf.runtime._redact import redact_headers, register_secret

    register_secret("plain-registered-value")
    assert redact("key=plain-registered-value!") == "key=***!"
    assert redact("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer ***"
    assert redact('{"x-api-key": "zzzzzzzzzz"}') == '{"x-api-key": "***"}'
    assert redact("sk-ant-api03-abcdefghijkl") == "***"
    assert redact_headers({"X-Api-Key": "k", "Accept": "a"}) == {"X-Api-Key": "***", "Accept": "a"}


async def test_spans_and_metrics(server: ScriptedServer, runtime: Runtime) -> None:
    collect = Collect()
    runtime.traces.subscribe(collect)
    server.script(
        Reply(429, {"error": {"message": "later"}}, {"retry-after": "1"}),
        Reply(
            body=openai_response("done", input_tokens=5, output_tokens=3),
            headers={"x-request-id": "req_1"},
        ),
    )
    await runtime.complete(request(server))
    first, second, call = collect.spans
    assert isinstance(first, AttemptSpan)
    assert (first.attempt, first.status, first.error_class, first.http_status) == (
        1,
        "error",
        "RateLimited",
        429,
    )
    assert isinstance(second, AttemptSpan)
    assert (second.attempt, second.kind, second.status, second.request_id) == (
        2,
        "retry",
        "ok",
        "req_1",
    )
    assert (second.input_tokens, second.output_tokens, second.assistant, second.step) == (
        5,
        3,
        "classify",
        "s1",
    )
    assert isinstance(call, CallSpan)
    assert (call.status, call.attempts, call.input_tokens) == ("ok", 2, 5)
    snap = runtime.metrics.snapshot()
    assert snap["calls"] == 1
    assert snap["attempts"] == 2
    assert snap["retries"] == 1
    assert snap["errors"] == {"RateLimited": 1}
    assert snap["input_tokens"] == {"openai:gpt-5.4-mini": 5}
    attrs = gen_ai_attributes(second)
    assert attrs["gen_ai.system"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-5.4-mini"
    assert attrs["gen_ai.usage.input_tokens"] == 5
    assert attrs["gen_ai.usage.output_tokens"] == 3


def test_otel_exporter_emits_spans_when_available() -> None:
    pytest.importorskip("opentelemetry")
    from aiwf.runtime._otel import OtelExporter

    class FakeSpan:
        def __init__(self, name: str, attributes: dict[str, Any]) -> None:
            self.name, self.attributes, self.ended, self.status = name, attributes, False, None

        def set_status(self, status: Any) -> None:
            self.status = status

        def end(self, end_time: int | None = None) -> None:
            self.ended = True

    class FakeTracer:
        def __init__(self) -> None:
            self.spans: list[FakeSpan] = []

        def start_span(self, name: str, start_time: int, attributes: dict[str, Any]) -> FakeSpan:
            span = FakeSpan(name, attributes)
            self.spans.append(span)
            return span

    tracer = FakeTracer()
    exporter = OtelExporter(tracer)
    exporter.record(
        AttemptSpan(
            call_id="c",
            attempt=1,
            provider="anthropic",
            model="m",
            status="error",
            latency=0.1,
            error_class="Timeout",
        )
    )
    (span,) = tracer.spans
    assert span.ended
    assert span.status is not None
    assert span.attributes["gen_ai.system"] == "anthropic"
    assert span.attributes["error.type"] == "Timeout"
