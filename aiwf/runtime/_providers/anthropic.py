"""Anthropic, over the Messages API (``POST {base}/v1/messages``).

Structured output is a forced tool by default (``tools`` + ``tool_choice: {type: tool}``;
the answer is the ``tool_use`` block's input), or the native
``output_config: {format: {type: json_schema, schema}}`` with ``structured_output: native``.
``max_tokens`` is always sent: the request's, else the route's, else
:data:`DEFAULT_MAX_TOKENS`. Headers match the official ``anthropic`` SDK: ``Authorization:
Bearer $ANTHROPIC_API_KEY`` and ``anthropic-version`` :data:`API_VERSION` (``api_version``
on the route overrides it). ``temperature`` is sent only with an ``api_version`` older than
:data:`API_VERSION`: the current API version has no sampling parameters. Base URL: ``route.base_url``, else ``$ANTHROPIC_BASE_URL``,
else ``https://api.anthropic.com``.
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
    loads_event,
    malformed,
    post,
    refusal,
    schema_name,
    stream_error,
    tool_text,
    wire_schema,
)
from aiwf.runtime._sse import SSEEvent
from aiwf.runtime._types import usage_of

DEFAULT_BASE_URL = "https://api.anthropic.com"
#: The ``anthropic-version`` the official Python SDK (anthropic 2.14) sends.
API_VERSION = "2026-10-21"
#: ``max_tokens`` when neither the assistant nor the route sets one (the API requires it).
DEFAULT_MAX_TOKENS = 4096


class AnthropicProvider(HttpProvider):
    """The Anthropic Messages API."""

    name: ClassVar[str] = "anthropic"
    key_env: ClassVar[str | None] = TABLE["anthropic"].key_env
    request_id_headers: ClassVar[tuple[str, ...]] = ("request-id", "x-request-id")

    def resolve_mode(self, route: Route) -> str:
        mode = route.structured_output
        if mode == "auto":
            return TABLE["anthropic"].auto
        if mode == "tool":
            return "tool"
        if mode in ("native", "json_schema"):
            return "native"
        return "prompt"  # json_object has no Anthropic equivalent

    def prepare_schema(self, mode: str, schema: Mapping[str, Any]) -> WireSchema:
        return wire_schema(schema, "wrapped" if mode in ("tool", "native") else "plain")

    def build_env(self, route: Route) -> tuple[str | None, ...]:
        return (None if route.base_url else getenv("ANTHROPIC_BASE_URL"),)

    def build(self, exchange: Exchange, *, stream: bool) -> HttpCall:
        route = exchange.route
        base = (route.base_url or getenv("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        headers = self.base_headers(exchange)
        version = route.api_version or API_VERSION
        headers["anthropic-version"] = version
        if exchange.api_key:
            headers["Authorization"] = f"Bearer {exchange.api_key}"
        body: dict[str, Any] = {
            "model": route.model,
            "max_tokens": exchange.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": role, "content": text} for role, text in exchange.turns],
        }
        instructions = instructions_for(exchange)
        if instructions:
            body["system"] = instructions
        if exchange.temperature is not None and version < API_VERSION:
            # API versions from 2026-10-21 on take no sampling parameters (the official
            # SDK dropped ``temperature``); older pinned versions still get it.
            body["temperature"] = exchange.temperature
        if exchange.wire is not None and exchange.mode == "tool":
            name = schema_name(exchange.request.schema_name)
            body["tools"] = [
                {
                    "name": name,
                    "description": "Record the answer. Its input is the answer.",
                    "input_schema": exchange.wire.text,
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": name}
        elif exchange.wire is not None and exchange.mode == "native":
            body["output_config"] = {
                "format": {"type": "json_schema", "schema": exchange.wire.text}
            }
        return post(f"{base}/v1/messages", headers, body, stream)

    def parse(self, exchange: Exchange, body: Any) -> Completion:
        if not isinstance(body, dict) or not isinstance(body.get("content"), list):
            raise malformed("no content list", self.name, exchange.route.model)
        if body.get("type") == "error":
            raise stream_error(self.name, exchange.route.model, body)
        texts: list[str] = []
        completion = Completion(text="")
        for block in body["content"]:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use" and exchange.mode == "tool":
                completion.value = block.get("input")
                completion.has_value = True
        usage = body.get("usage") or {}
        stop = body.get("stop_reason")
        completion.text = (
            tool_text(exchange, completion.value) if completion.has_value else "".join(texts)
        )
        completion.usage = usage_of(
            int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
        )
        completion.model = body.get("model")
        completion.response_id = body.get("id")
        completion.stop_reason = stop
        completion.truncated = stop == "max_tokens"
        if stop == "refusal" and not completion.has_value:
            raise refusal("".join(texts).strip(), self.name, exchange.route.model)
        return completion

    async def parse_stream(
        self, exchange: Exchange, events: AsyncIterator[SSEEvent], emit: Emit
    ) -> Completion:
        model: str | None = None
        response_id: str | None = None
        input_tokens = output_tokens = 0
        stop: str | None = None
        # index -> ("text" | "tool_use", accumulated text or partial JSON)
        blocks: dict[int, list[str]] = {}
        kinds: dict[int, str] = {}
        finished = False
        async for event in events:
            data = loads_event(event, exchange)
            kind = str(data.get("type") or event.event)
            if kind == "message_start":
                message = data.get("message") or {}
                model = message.get("model")
                response_id = message.get("id")
                usage = message.get("usage") or {}
                input_tokens = int(usage.get("input_tokens") or 0)
                output_tokens = int(usage.get("output_tokens") or 0)
            elif kind == "content_block_start":
                index = int(data.get("index", 0))
                block = data.get("content_block") or {}
                kinds[index] = str(block.get("type"))
                blocks[index] = []
                if block.get("type") == "text" and block.get("text"):
                    blocks[index].append(str(block["text"]))
                    emit(str(block["text"]))
            elif kind == "content_block_delta":
                index = int(data.get("index", 0))
                delta = data.get("delta") or {}
                piece = ""
                if delta.get("type") == "text_delta":
                    piece = str(delta.get("text", ""))
                elif delta.get("type") == "input_json_delta":
                    piece = str(delta.get("partial_json", ""))
                if piece:
                    blocks.setdefault(index, []).append(piece)
                    emit(piece)
            elif kind == "message_delta":
                delta = data.get("delta") or {}
                stop = delta.get("stop_reason") or stop
                usage = data.get("usage") or {}
                # message_delta usage is cumulative.
                output_tokens = int(usage.get("output_tokens") or output_tokens)
                input_tokens = int(usage.get("input_tokens") or input_tokens)
            elif kind == "message_stop":
                finished = True
                break
            elif kind == "error":
                raise stream_error(self.name, exchange.route.model, data)
        if not finished:
            raise ProviderError(
                "stream ended before message_stop", provider=self.name, model=exchange.route.model
            )
        completion = Completion(
            text="",
            usage=usage_of(input_tokens, output_tokens),
            model=model,
            response_id=response_id,
            stop_reason=stop,
            truncated=stop == "max_tokens",
        )
        tool_json = [
            "".join(parts) for i, parts in sorted(blocks.items()) if kinds.get(i) == "tool_use"
        ]
        if exchange.mode == "tool" and tool_json:
            # The tool input is parsed by the caller, like text, so truncation and
            # invalid JSON take the same repair path.
            completion.text = tool_json[0] or "{}"
        else:
            completion.text = "".join(
                "".join(parts) for i, parts in sorted(blocks.items()) if kinds.get(i) == "text"
            )
        return completion
