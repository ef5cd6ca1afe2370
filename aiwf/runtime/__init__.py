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
the tracing and HTTP modules (httpx, tenacity) load on first attribute access, and
jsonschema only when an output is first validated. Logging goes through loguru under the
name ``aiwf.runtime`` and is off until ``loguru.logger.enable("aiwf.runtime")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiwf._lazy import exports
from aiwf.runtime.clock import Clock, SystemClock
from aiwf.runtime.errors import (
    AuthError,
    BadRequest,
    OutputInvalid,
    ProviderError,
    RateLimited,
    RouteError,
    ServerError,
    Timeout,
)
from aiwf.runtime.redact import redact, register_secret
from aiwf.runtime.types import (
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
    from aiwf.runtime.client import Runtime
    from aiwf.runtime.http import aclose_shared_client
    from aiwf.runtime.router import RoutedClient, Router
    from aiwf.runtime.tracing import (
        AttemptSpan,
        CallSpan,
        JsonlExporter,
        Metrics,
        TraceHub,
        Tracer,
    )

_LAZY = {
    "Runtime": "aiwf.runtime.client",
    "Router": "aiwf.runtime.router",
    "RoutedClient": "aiwf.runtime.router",
    "AttemptSpan": "aiwf.runtime.tracing",
    "CallSpan": "aiwf.runtime.tracing",
    "JsonlExporter": "aiwf.runtime.tracing",
    "Metrics": "aiwf.runtime.tracing",
    "TraceHub": "aiwf.runtime.tracing",
    "Tracer": "aiwf.runtime.tracing",
    "aclose_shared_client": "aiwf.runtime.http",
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
