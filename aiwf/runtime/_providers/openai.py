"""OpenAI, over the Responses API (``POST {base}/responses``).

Structured output is ``text.format = {type: json_schema, name, schema, strict: true}`` with
the schema made strict-compatible (:func:`aiwf.runtime._structured.strict_schema`).
``structured_output: json_object`` uses the older JSON mode, ``prompt`` describes the schema
in the instructions. Base URL: ``route.base_url``, else ``$OPENAI_BASE_URL``, else
``https://api.openai.com/v1``. Key: ``$OPENAI_API_KEY`` (or ``api_key_env``); organisation
and project headers from ``$OPENAI_ORG_ID`` / ``$OPENAI_PROJECT_ID``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from aiwf._ir.providers import PROVIDERS as TABLE
from aiwf._ir.routes import Route
from aiwf.runtime._env import getenv
from aiwf.runtime._errors import ProviderError
from aiwf.runtime._providers.base import (
    Completion,
    Emit,
    Exchange,
    HttpCall,
    HttpProvider,
    WireSchema,
    instructions_for,
    json_schema_format,
    loads_event,
    malformed,
    post,
    refusal,
    sampling,
    schema_name,
    stream_error,
    wire_schema,
)
from aiwf.runtime._sse import SSEEvent
from aiwf.runtime._types import usage_of

DEFAULT_BASE_URL = "https://api.openai.com/v1"

__all__ = ["DEFAULT_BASE_URL", "OpenAIProvider", "instructions_for", "schema_name"]


class OpenAIProvider(HttpProvider):
    """The OpenAI Responses API."""

    name: ClassVar[str] = "openai"
    key_env: ClassVar[str | None] = TABLE["openai"].key_env
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id",)

    def resolve_mode(self, route: Route) -> str:
        mode = route.structured_output
        if mode == "auto":
            return TABLE["openai"].auto
        return "json_schema" if mode in ("native", "tool") else mode

    def prepare_schema(self, mode: str, schema: Mapping[str, Any]) -> WireSchema:
        return wire_schema(schema, "strict" if mode == "json_schema" else "plain")

    def build_env(self, route: Route) -> tuple[str | None, ...]:
        base = None if route.base_url else getenv("OPENAI_BASE_URL")
        return base, getenv("OPENAI_ORG_ID"), getenv("OPENAI_PROJECT_ID")

    def build(self, exchange: Exchange, *, stream: bool) -> HttpCall:
        route = exchange.route
        base = (route.base_url or getenv("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        headers = self.base_headers(exchange)
        if exchange.api_key:
            headers["Authorization"] = f"Bearer {exchange.api_key}"
        if org := getenv("OPENAI_ORG_ID"):
            headers["OpenAI-Organization"] = org
        if project := getenv("OPENAI_PROJECT_ID"):
            headers["OpenAI-Project"] = project
        body: dict[str, Any] = {"model": route.model}
        instructions = instructions_for(exchange)
        if instructions:
            body["instructions"] = instructions
        if len(exchange.turns) == 1 and exchange.turns[0][0] == "user":
            body["input"] = exchange.turns[0][1]
        else:
            body["input"] = [{"role": role, "content": text} for role, text in exchange.turns]
        sampling(body, exchange, "max_output_tokens")
        if exchange.wire is not None and exchange.mode == "json_schema":
            body["text"] = {
                "format": {"type": "json_schema", **json_schema_format(exchange, exchange.wire)}
            }
        elif exchange.wire is not None and exchange.mode == "json_object":
            body["text"] = {"format": {"type": "json_object"}}
        return post(f"{base}/responses", headers, body, stream)

    def parse(self, exchange: Exchange, body: Any) -> Completion:
        output = body.get("output") if isinstance(body, dict) else None
        if not isinstance(output, list):
            raise malformed("no output list", self.name, exchange.route.model)
        status = body.get("status")
        if status == "failed":
            err = body.get("error") or {}
            raise stream_error(self.name, exchange.route.model, {"error": err})
        parts: list[str] = []
        refused: str | None = None
        for item in output:
            if not isinstance(item, dict) or item.get("type") != "message":
                continue
            for part in item.get("content") or ():
                if not isinstance(part, dict):
                    continue
                kind = part.get("type")
                if kind == "output_text":
                    text = part.get("text", "")
                    parts.append(text if text.__class__ is str else str(text))
                elif kind == "refusal":
                    refused = str(part.get("refusal", ""))
        if not parts and refused is not None:
            raise refusal(refused, self.name, exchange.route.model)
        usage = body.get("usage") or {}
        # Token counts as int(value or 0), tested here rather than by a call each.
        tokens_in, tokens_out = usage.get("input_tokens"), usage.get("output_tokens")
        if tokens_in.__class__ is not int:
            tokens_in = int(tokens_in or 0)
        if tokens_out.__class__ is not int:
            tokens_out = int(tokens_out or 0)
        incomplete = body.get("incomplete_details") or {}
        reason = incomplete.get("reason") if isinstance(incomplete, dict) else None
        return Completion(
            text=parts[0] if len(parts) == 1 else "".join(parts),
            usage=usage_of(tokens_in, tokens_out),
            model=body.get("model"),
            response_id=body.get("id"),
            stop_reason=reason or status,
            truncated=status == "incomplete" and reason == "max_output_tokens",
        )

    async def parse_stream(
        self, exchange: Exchange, events: AsyncIterator[SSEEvent], emit: Emit
    ) -> Completion:
        async for event in events:
            if event.data == "[DONE]":
                break
            data = loads_event(event, exchange)
            kind = event.event if event.event != "message" else str(data.get("type", ""))
            if kind == "response.output_text.delta":
                emit(str(data.get("delta", "")))
            elif kind in ("response.completed", "response.incomplete", "response.failed"):
                return self.parse(exchange, data.get("response"))
            elif kind == "error":
                raise stream_error(self.name, exchange.route.model, data)
        raise ProviderError(
            "stream ended before response.completed", provider=self.name, model=exchange.route.model
        )
