"""An optional OpenTelemetry exporter: spans with the GenAI semantic-convention names.

Needs ``opentelemetry-api`` (the ``otel`` extra); importing this module without it raises a
:class:`~aiwf._errors.AiwfError` that says how to install it. Nothing else in the runtime
imports this module.
"""

from __future__ import annotations

from typing import Any

from aiwf._errors import AiwfError
from aiwf.runtime._tracing import AttemptSpan, CallSpan, Span

_otel_trace: Any
try:
    from opentelemetry import trace as _otel_trace
except ImportError:  # pragma: no cover - depends on the environment
    _otel_trace = None

#: aiwf provider name -> ``gen_ai.system`` value.
GEN_AI_SYSTEM = {"openai": "openai", "anthropic": "anthropic", "openai-compatible": "openai"}


def otel_available() -> bool:
    """Whether ``opentelemetry-api`` is importable."""
    return _otel_trace is not None


def gen_ai_attributes(span: Span) -> dict[str, Any]:
    """The span's attributes under GenAI semantic-convention names (plus ``aiwf.*``)."""
    attrs: dict[str, Any] = {
        "gen_ai.system": GEN_AI_SYSTEM.get(span.provider, span.provider),
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": span.model,
        "gen_ai.usage.input_tokens": span.input_tokens,
        "gen_ai.usage.output_tokens": span.output_tokens,
        "aiwf.call_id": span.call_id,
        "aiwf.status": span.status,
    }
    if span.request_id:
        attrs["gen_ai.response.id"] = span.request_id
    if span.error_class:
        attrs["error.type"] = span.error_class
    for key in ("assistant", "workflow", "step", "alias"):
        value = getattr(span, key)
        if value:
            attrs[f"aiwf.{key}"] = value
    if isinstance(span, AttemptSpan):
        attrs["aiwf.attempt"] = span.attempt
        attrs["aiwf.attempt.kind"] = span.kind
        if span.response_model:
            attrs["gen_ai.response.model"] = span.response_model
        if span.time_to_first_token is not None:
            attrs["aiwf.time_to_first_token"] = span.time_to_first_token
        if span.http_status is not None:
            attrs["http.response.status_code"] = span.http_status
    elif isinstance(span, CallSpan):
        attrs["aiwf.attempts"] = span.attempts
    return attrs


class OtelExporter:
    """A tracer that re-emits each span through an OpenTelemetry tracer, with its real
    start and end times."""

    def __init__(self, tracer: Any = None) -> None:
        if _otel_trace is None:
            raise AiwfError(
                "the OpenTelemetry exporter needs opentelemetry-api",
                code="R009",
                hint="pip install 'aiwf[otel]'",
            )
        self._tracer = tracer or _otel_trace.get_tracer("aiwf.runtime")

    def record(self, span: Span) -> None:
        start_ns = int(span.started_at * 1e9)
        end_ns = start_ns + int(span.latency * 1e9)
        name = f"chat {span.model}" if isinstance(span, AttemptSpan) else f"aiwf.call {span.model}"
        otel_span = self._tracer.start_span(
            name, start_time=start_ns, attributes=gen_ai_attributes(span)
        )
        if span.status != "ok" and _otel_trace is not None:
            otel_span.set_status(_otel_trace.Status(_otel_trace.StatusCode.ERROR))
        otel_span.end(end_time=end_ns)
