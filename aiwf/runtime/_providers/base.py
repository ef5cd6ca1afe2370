"""The one small protocol every provider implements, and the values it trades in.

A provider is a wire format and nothing else: it turns an :class:`Exchange` into an
:class:`HttpCall`, and a response body or an SSE stream into a :class:`Completion`. HTTP,
retries, validation, repair and tracing live in :mod:`aiwf.runtime._client`, once.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from aiwf import __version__
from aiwf._ir.routes import Route
from aiwf._memo import remember
from aiwf.runtime._canonical import Raw, dumps, in_contract_order, ordered_dumps, quote
from aiwf.runtime._env import getenv
from aiwf.runtime._errors import (
    ProviderError,
    RouteError,
    ServerError,
    error_for_status,
)
from aiwf.runtime._redact import redact, register_secret
from aiwf.runtime._retry import parse_retry_after, parse_should_retry
from aiwf.runtime._sse import SSEEvent
from aiwf.runtime._structured import describe_schema_prompt, wire_forms
from aiwf.runtime._types import ModelRequest, Usage

USER_AGENT = f"aiwf/{__version__} (python)"


@dataclass(frozen=True)
class WireSchema:
    """The output schema as sent: maybe wrapped under ``value``, maybe made strict; ``text``
    is its canonical JSON, which the request body carries."""

    schema: dict[str, Any]
    text: Raw
    wrapped: bool = False
    strict: bool = False


def wire_schema(schema: Mapping[str, Any], form: str) -> WireSchema:
    """The ``plain``, ``wrapped`` or ``strict`` form of ``schema`` (docs/wire.md §4)."""
    made = wire_forms(schema)
    key = (id(made), form)
    found = _WIRE.get(key)
    if found is not None and found[0] is made:
        return found[1]
    forms = made.forms
    if form == "strict":
        wire = WireSchema(forms.strict, made.strict, wrapped=forms.is_wrapped, strict=True)
    elif form == "wrapped":
        wire = WireSchema(forms.wrapped, made.wrapped, wrapped=forms.is_wrapped)
    else:
        wire = WireSchema(forms.plain, made.plain)
    remember(_WIRE, key, (made, wire), 1024)
    return wire


#: (id(forms), form) -> (forms, its WireSchema): made once per schema and form (the forms
#: object is kept so that its id is not reused).
_WIRE: dict[tuple[int, str], tuple[Any, WireSchema]] = {}


@dataclass(frozen=True)
class Exchange:
    """Everything one attempt needs to build its request, resolved from request and route."""

    request: ModelRequest
    route: Route
    #: Conversation turns ``(role, text)``: the JSON input, then any repair turns.
    turns: tuple[tuple[str, str], ...]
    instructions: str
    #: Structured-output mode in effect (``None`` for free text).
    mode: str | None
    wire: WireSchema | None
    api_key: str | None
    max_tokens: int | None
    temperature: float | None


@dataclass(frozen=True)
class HttpCall:
    """An HTTP request, ready to send."""

    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any]


@dataclass
class Completion:
    """A provider-neutral answer of one attempt."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    response_id: str | None = None
    stop_reason: str | None = None
    #: The answer was cut short (max tokens); invalid JSON is then reported as truncated.
    truncated: bool = False
    #: An already-parsed value (the input of a forced tool), else the text is parsed.
    value: Any = None
    has_value: bool = False


Emit = Callable[[str], None]


class Provider(Protocol):
    """A provider's wire format."""

    #: The provider name as written in ``models:`` routes.
    name: ClassVar[str]

    def resolve_mode(self, route: Route) -> str:
        """The structured-output mode actually used for ``route`` (``auto`` resolved)."""
        ...

    def prepare_schema(self, mode: str, schema: Mapping[str, Any]) -> WireSchema:
        """The output schema as this provider sends it in ``mode``."""
        ...

    def api_key(self, route: Route) -> str | None:
        """The API key for ``route`` (registered for redaction); raises RouteError when a
        required key is missing."""
        ...

    def build(self, exchange: Exchange, *, stream: bool) -> HttpCall:
        """The HTTP request for one attempt."""
        ...

    def parse(self, exchange: Exchange, body: Any) -> Completion:
        """A complete (non-streamed) response body, already decoded from JSON."""
        ...

    async def parse_stream(
        self, exchange: Exchange, events: AsyncIterator[SSEEvent], emit: Emit
    ) -> Completion:
        """Consume a stream, calling ``emit`` with each text delta; the final completion."""
        ...

    def error(
        self, exchange: Exchange, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        """The error for a non-2xx response."""
        ...

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        """The provider's request id from response headers."""
        ...

    def downgrade(self, exchange: Exchange, error: ProviderError) -> bool:
        """After a 400 in ``exchange.mode``: switch ``exchange.route`` to a weaker mode and
        return True to re-send at once, or return False to fail."""
        ...


def error_message(body: bytes) -> tuple[str, str | None, str | None]:
    """``(message, error type, request id)`` from any provider's error body shape:
    ``{"error": {"message", "type"}}`` (OpenAI), ``{"type": "error", "error": {...},
    "request_id"}`` (Anthropic), ``{"error": "..."}`` (LM Studio, Ollama),
    ``{"object": "error", "message", "type"}`` (vLLM), ``{"detail": ...}``, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return (text[:300] or "no error message"), None, None
    if not isinstance(data, dict):
        return text[:300], None, None
    request_id = data.get("request_id") if isinstance(data.get("request_id"), str) else None
    err = data.get("error")
    if isinstance(err, dict):
        message = err.get("message") or dumps(err)[:300]
        etype = err.get("type") or err.get("code")
        return str(message), (str(etype) if etype else None), request_id
    if isinstance(err, str):
        return err, None, request_id
    if data.get("object") == "error" or "message" in data:
        etype = data.get("type") or data.get("code")
        return str(data.get("message", "")), (str(etype) if etype else None), request_id
    if "detail" in data:
        detail = data["detail"]
        return (detail if isinstance(detail, str) else dumps(detail))[:300], None, request_id
    return text[:300], None, request_id


def stream_error(
    provider: str, model: str, data: Any, request_id: str | None = None
) -> ProviderError:
    """The error for an ``error`` event that arrives inside a 200 stream."""
    err = data.get("error", data) if isinstance(data, dict) else {}
    if not isinstance(err, dict):
        err = {"message": str(err)}
    etype = str(err.get("type") or err.get("code") or "error")
    message = f"{etype}: {err.get('message', 'stream failed')}"
    status = {
        "overloaded_error": 529,
        "api_error": 500,
        "rate_limit_error": 429,
        "invalid_request_error": 400,
        "authentication_error": 401,
        "permission_error": 403,
        "not_found_error": 404,
        "request_too_large": 413,
    }.get(etype)
    if status is None:
        return ServerError(message, provider=provider, model=model, request_id=request_id)
    error = error_for_status(status, message, provider=provider, model=model, request_id=request_id)
    error.status = None  # the HTTP status was 200; the mapping only picks the class
    return error


class HttpProvider:
    """Shared parts of the HTTP providers."""

    name: ClassVar[str] = ""
    #: Environment variable holding the key when the route names none.
    key_env: ClassVar[str | None] = None
    #: Whether a call without a key is refused before it is sent.
    key_required: ClassVar[bool] = True
    #: Response headers that carry the request id, in order of preference.
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id",)

    def resolve_mode(self, route: Route) -> str:
        return route.structured_output

    def build_env(self, route: Route) -> tuple[str | None, ...]:
        """The values of the environment variables :meth:`build` reads for ``route``
        (besides the key, which the exchange carries). The runtime prepares a route's
        request once per value of these and of the exchange's fields, and splices each
        call's user text into it; a subclass whose ``build`` reads other variables returns
        them here."""
        return ()

    def prepare_schema(self, mode: str, schema: Mapping[str, Any]) -> WireSchema:
        return wire_schema(schema, "plain")

    def api_key(self, route: Route) -> str | None:
        env = route.api_key_env or self.key_env
        key = getenv(env) if env else None
        if not key and self.key_required:
            raise RouteError(
                f"no API key: set ${env}",
                provider=self.name,
                model=route.model,
                hint="export the key, or name another variable with api_key_env on the route",
            )
        if key and not key.isprintable():
            raise RouteError(
                f"the API key in ${env} has a line break or another control character in it",
                provider=self.name,
                model=route.model,
                hint="a key read from a file often keeps its trailing newline: strip it",
            )
        register_secret(key)
        return key or None

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        for name in self.request_id_headers:
            value = headers.get(name)
            if value:
                return redact(value)  # whatever a server sends back is untrusted
        return None

    def error(
        self, exchange: Exchange, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        message, etype, body_request_id = error_message(body)
        if etype and etype not in message:
            message = f"{etype}: {message}"
        return error_for_status(
            status,
            message,
            provider=self.name,
            model=exchange.route.model,
            request_id=self.request_id(headers) or body_request_id,
            retry_after=parse_retry_after(headers),
            should_retry=parse_should_retry(headers),
        )

    def downgrade(self, exchange: Exchange, error: ProviderError) -> bool:
        return False

    def base_headers(self, exchange: Exchange) -> dict[str, str]:
        """Content type, user agent; the route's own headers are added by the caller."""
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }


@functools.lru_cache(maxsize=1024)
def schema_name(name: str) -> str:
    """A ``text.format.name`` / tool name: ``^[a-zA-Z0-9_-]{1,64}$`` (made once per name)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64]
    return cleaned or "output"


def instructions_for(exchange: Exchange) -> str:
    """The system prompt, with the schema described when the mode is ``prompt`` or
    ``json_object`` (JSON mode requires the word JSON in the prompt; the schema helps the
    model)."""
    if exchange.mode in ("prompt", "json_object") and exchange.wire is not None:
        extra = describe_schema_prompt(exchange.wire.text)
        return f"{exchange.instructions}\n\n{extra}" if exchange.instructions else extra
    return exchange.instructions


def json_schema_format(exchange: Exchange, wire: WireSchema) -> dict[str, Any]:
    """``{name, schema, strict: true}``: a strict JSON-schema format as OpenAI's Responses
    API (``text.format``, after its ``type``) and Chat Completions
    (``response_format.json_schema``) take it."""
    return {"name": schema_name(exchange.request.schema_name), "schema": wire.text, "strict": True}


def post(
    url: str, headers: dict[str, str], body: dict[str, Any], stream: bool, **streaming: Any
) -> HttpCall:
    """The POST of ``body`` to ``url``; a stream adds ``stream: true`` (then ``streaming``'s
    members) and accepts ``text/event-stream``."""
    if stream:
        body["stream"] = True
        body.update(streaming)
        headers["Accept"] = "text/event-stream"
    return HttpCall("POST", url, headers, body)


def sampling(body: dict[str, Any], exchange: Exchange, max_tokens: str) -> None:
    """The exchange's ``temperature`` and its token limit (as member ``max_tokens``) where
    set, as the OpenAI formats take them."""
    if exchange.temperature is not None:
        body["temperature"] = exchange.temperature
    if exchange.max_tokens is not None:
        body[max_tokens] = exchange.max_tokens


def malformed(what: str, provider: str, model: str) -> ProviderError:
    """A response body the provider's format does not allow (retryable, ``R007``)."""
    error = ProviderError(f"malformed response: {what}", provider=provider, model=model)
    error.outcome = "malformed"
    return error


def refusal(text: str, provider: str, model: str) -> ProviderError:
    """The model refused to answer (``R007``, not retried; fallbacks apply)."""
    message = f"the model refused: {text}" if text else "the model refused"
    error = ProviderError(message, provider=provider, model=model, retryable=False)
    error.outcome = "refused"
    return error


def tool_text(exchange: Exchange, value: Any) -> str:
    """The text of a forced tool's answer: canonical JSON of its input, in the order of the
    schema it was sent (docs/wire.md §3)."""
    schema = exchange.wire.schema if exchange.wire is not None else None
    return dumps(in_contract_order(value, schema))


#: ``user_text(value, schema)``: the user message for a JSON input, canonical JSON in
#: contract order against the input's ``schema`` (docs/wire.md §2, §3). The function itself
#: (every call makes one, and a call of a function that only calls another costs as much as
#: a small object's writing).
user_text = ordered_dumps


def loads_event(event: SSEEvent, exchange: Exchange) -> Any:
    """The JSON data of an SSE event; a malformed one is a retryable provider error."""
    try:
        return json.loads(event.data)
    except ValueError:
        what = f"stream event {quote(event.event or 'message')} is not JSON"
        raise malformed(what, exchange.route.provider, exchange.route.model) from None
