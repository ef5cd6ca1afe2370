"""Traces and metrics: a span per attempt and per call, fanned out to subscribed tracers.

Subscribe any object with a ``record(span)`` method (:class:`Tracer`). Shipped here: a
JSON-lines exporter (:class:`JsonlExporter`) and in-process counters (:class:`Metrics`).
An OpenTelemetry exporter lives in :mod:`aiwf.runtime._otel`. Every span is redacted before
it leaves the runtime.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from aiwf.runtime._redact import redact_value


@dataclass(frozen=True)
class AttemptSpan:
    """One HTTP attempt of a model call."""

    call_id: str
    attempt: int
    provider: str
    model: str
    #: ``ok``, ``error`` or ``invalid_output`` (answered, but not valid for the schema).
    status: str
    #: Seconds from sending to the end of the answer.
    latency: float
    #: Seconds to the first streamed text (streams only).
    time_to_first_token: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    #: ``call`` for the first try, ``retry`` after a failure, ``repair`` after bad output,
    #: ``downgrade`` after a structured-output mode was refused.
    kind: str = "call"
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    request_id: str | None = None
    #: The model id the provider reported.
    response_model: str | None = None
    assistant: str | None = None
    workflow: str | None = None
    step: str | None = None
    alias: str | None = None
    mode: str | None = None
    stream: bool = False
    started_at: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    span_type = "attempt"


@dataclass(frozen=True)
class CallSpan:
    """One logical call: all its attempts, retries and repairs."""

    call_id: str
    provider: str
    model: str
    status: str
    attempts: int
    latency: float
    input_tokens: int = 0
    output_tokens: int = 0
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    assistant: str | None = None
    workflow: str | None = None
    step: str | None = None
    alias: str | None = None
    stream: bool = False
    started_at: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    span_type = "call"


Span = AttemptSpan | CallSpan


def span_dict(span: Span) -> dict[str, Any]:
    """A span as a JSON-ready dict (redacted), with ``"type"``: ``attempt`` or ``call``."""
    data: dict[str, Any] = {"type": span.span_type, **asdict(span)}
    result: dict[str, Any] = redact_value(data)
    return result


class Tracer(Protocol):
    """Receives spans; must not block (spans are recorded on the event loop)."""

    def record(self, span: Span) -> None:
        """Take one span."""
        ...


class TraceHub:
    """Fans spans out to subscribed tracers; a failing tracer never fails a call."""

    def __init__(self) -> None:
        #: The subscribed tracers, in order (read it; :meth:`subscribe` and
        #: :meth:`unsubscribe` replace it). An attribute, not a property: every call reads
        #: it, and a property's call cost more than the read.
        self.tracers: tuple[Tracer, ...] = ()

    def subscribe(self, tracer: Tracer) -> None:
        """Send future spans to ``tracer`` too."""
        self.tracers = (*self.tracers, tracer)

    def unsubscribe(self, tracer: Tracer) -> None:
        """Stop sending spans to ``tracer``."""
        if tracer in self.tracers:
            tracers = list(self.tracers)
            tracers.remove(tracer)
            self.tracers = tuple(tracers)

    def record(self, span: Span) -> None:
        """Hand ``span`` to every tracer."""
        for tracer in self.tracers:
            try:
                tracer.record(span)
            except Exception as exc:  # a tracer bug must not fail model calls
                from aiwf.runtime._log import log

                log("WARNING", f"tracer {type(tracer).__name__} failed: {exc}")


class JsonlExporter:
    """Writes each span as one JSON line to a file path or an open text stream."""

    def __init__(self, target: str | Path | IO[str]) -> None:
        self._lock = threading.Lock()
        if isinstance(target, (str, Path)):
            self._stream: IO[str] = Path(target).open("a", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._stream = target
            self._owned = False

    def record(self, span: Span) -> None:
        line = json.dumps(span_dict(span), sort_keys=True, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        """Close the file if this exporter opened it."""
        if self._owned:
            self._stream.close()


class Metrics:
    """In-process counters, fed by spans: calls, attempts, retries, errors, tokens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.failed_calls = 0
        self.attempts = 0
        self.retries = 0
        self.errors: Counter[str] = Counter()
        self.input_tokens: Counter[str] = Counter()
        self.output_tokens: Counter[str] = Counter()

    def record(self, span: Span) -> None:
        if isinstance(span, CallSpan):
            self.count_call(span.status == "ok")
        else:
            self.count_attempt(
                f"{span.provider}:{span.model}",
                span.attempt,
                span.error_class,
                span.input_tokens,
                span.output_tokens,
            )

    def count_call(self, ok: bool) -> None:
        """Count one call (what :meth:`record` does with a :class:`CallSpan`; the runtime
        calls it directly when no other tracer listens, and makes no span)."""
        with self._lock:
            self.calls += 1
            if not ok:
                self.failed_calls += 1

    def count_attempt(
        self,
        key: str,
        attempt: int,
        error_class: str | None,
        input_tokens: int,
        output_tokens: int,
    ) -> None:
        """Count one attempt of ``key`` (``provider:model``), as :meth:`record` does with
        an :class:`AttemptSpan`."""
        with self._lock:
            self.attempts += 1
            if attempt > 1:
                self.retries += 1
            if error_class:
                self.errors[error_class] += 1
            self.input_tokens[key] += input_tokens
            self.output_tokens[key] += output_tokens

    def snapshot(self) -> dict[str, Any]:
        """The counters as a plain dict (tokens keyed by ``provider:model``)."""
        with self._lock:
            return {
                "calls": self.calls,
                "failed_calls": self.failed_calls,
                "attempts": self.attempts,
                "retries": self.retries,
                "errors": dict(self.errors),
                "input_tokens": dict(self.input_tokens),
                "output_tokens": dict(self.output_tokens),
            }
