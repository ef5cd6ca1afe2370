"""aiwf.runtime: call models the way a careful engineer would by hand.

The right wire format per provider (OpenAI Responses, Anthropic Messages, OpenAI-compatible
Chat Completions), native structured output checked against the output schema (with one
repair), retries that respect the provider's signals, and a span for every attempt.

Typical use::

    from aiwf.runtime import ModelRequest, Router, Runtime

    runtime = Runtime()
    router = Router(spec_models, runtime)          # alias -> Route
    response = await router.client("fast").complete(
        router.request("fast", instructions="Classify.", input=ticket, output_schema=triage)
    )
    response.output, response.usage, response.attempts

Import cost: the data types and errors load eagerly; :class:`Runtime`, :class:`Router`,
the tracing and HTTP modules load on first attribute access; jsonschema only when an output
is first validated, httpx and tenacity only when a call first fails. Logging goes through
loguru under the name ``aiwf.runtime`` and is off until
``loguru.logger.enable("aiwf.runtime")``; the runtime never imports loguru itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiwf._lazy import exports
from aiwf.runtime._clock import Clock, SystemClock
from aiwf.runtime._errors import (
    AuthError,
    BadRequest,
    OutputInvalid,
    ProviderError,
    RateLimited,
    RouteError,
    ServerError,
    Timeout,
)
from aiwf.runtime._redact import redact, register_secret
from aiwf.runtime._types import (
    CallMetadata,
    Completed,
    ModelClient,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    StreamReset,
    TextDelta,
    Usage,
)

if TYPE_CHECKING:
    from aiwf.runtime._client import Runtime
    from aiwf.runtime._http import aclose_shared_client
    from aiwf.runtime._otel import OtelExporter
    from aiwf.runtime._router import RoutedClient, Router
    from aiwf.runtime._tracing import (
        AttemptSpan,
        CallSpan,
        JsonlExporter,
        Metrics,
        TraceHub,
        Tracer,
    )

_LAZY = {
    "Runtime": "aiwf.runtime._client",
    "Router": "aiwf.runtime._router",
    "RoutedClient": "aiwf.runtime._router",
    "AttemptSpan": "aiwf.runtime._tracing",
    "CallSpan": "aiwf.runtime._tracing",
    "JsonlExporter": "aiwf.runtime._tracing",
    "Metrics": "aiwf.runtime._tracing",
    "TraceHub": "aiwf.runtime._tracing",
    "Tracer": "aiwf.runtime._tracing",
    "aclose_shared_client": "aiwf.runtime._http",
    "OtelExporter": "aiwf.runtime._otel",
}


__getattr__ = exports(__name__, _LAZY)


__all__ = [
    "AttemptSpan",
    "AuthError",
    "BadRequest",
    "CallMetadata",
    "CallSpan",
    "Clock",
    "Completed",
    "JsonlExporter",
    "Metrics",
    "ModelClient",
    "ModelRequest",
    "ModelResponse",
    "OtelExporter",
    "OutputInvalid",
    "ProviderError",
    "RateLimited",
    "RouteError",
    "RoutedClient",
    "Router",
    "Runtime",
    "ServerError",
    "StreamEvent",
    "StreamReset",
    "SystemClock",
    "TextDelta",
    "Timeout",
    "TraceHub",
    "Tracer",
    "Usage",
    "aclose_shared_client",
    "redact",
    "register_secret",
]
