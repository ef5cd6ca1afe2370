"""OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio ...) over Chat Completions
(``POST {base_url}/chat/completions``).

Structured output modes:

- ``json_schema``: ``response_format: {type: json_schema, json_schema: {name, schema,
  strict: true}}``, the schema as written (local servers constrain decoding with it; a name
  is always sent because vLLM requires one);
- ``json_object``: ``response_format: {type: json_object}`` plus the schema in the prompt;
- ``prompt``: the schema described in the system prompt, the JSON extracted from the text;
- ``auto`` (the default): ``json_schema``; when the server answers 400 about the response
  format, ``json_object``, then ``prompt``. A downgrade is remembered per (base URL, model)
  for the life of the process.

The key is optional: ``$api_key_env`` when the route names one, sent as a Bearer token.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from aiwf._ir.providers import PROVIDERS as TABLE
from aiwf._ir.routes import Route
from aiwf.runtime._errors import BadRequest, ProviderError, RouteError
from aiwf.runtime._providers.base import (
    Completion,
    Emit,
    Exchange,
    HttpCall,
    HttpProvider,
    instructions_for,
    json_schema_format,
    loads_event,
    malformed,
    post,
    sampling,
    stream_error,
)
from aiwf.runtime._sse import SSEEvent
from aiwf.runtime._types import usage_of

#: The order ``auto`` walks when the server rejects a mode.
AUTO_MODES = ("json_schema", "json_object", "prompt")
# Words in a 400 that show the server objected to the response format, not to the input.
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "schema", "format", "grammar")


class OpenAICompatibleProvider(HttpProvider):
    """Chat Completions on a self-hosted or third-party server."""

    name: ClassVar[str] = "openai-compatible"
    key_env: ClassVar[str | None] = TABLE["openai-compatible"].key_env
    key_required: ClassVar[bool] = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._downgraded: dict[tuple[str, str], str] = {}

    def _key(self, route: Route) -> tuple[str, str]:
        return (route.base_url or "", route.model)

    def resolve_mode(self, route: Route) -> str:
        mode = route.structured_output
        if mode == "auto":
            with self._lock:
                return self._downgraded.get(self._key(route), TABLE["openai-compatible"].auto)
        if mode in ("tool", "native"):
            return "json_schema"
        return mode

    def downgrade(self, exchange: Exchange, error: ProviderError) -> bool:
        if exchange.route.structured_output != "auto" or exchange.mode not in AUTO_MODES[:-1]:
            return False
        if not isinstance(error, BadRequest) or error.status != 400:
            return False
        text = error.provider_message.lower()
        if not any(word in text for word in _FORMAT_WORDS):
            return False
        following = AUTO_MODES[AUTO_MODES.index(exchange.mode) + 1]
        with self._lock:
            self._downgraded[self._key(exchange.route)] = following
        return True

    def forget_downgrades(self) -> None:
        """Forget every remembered downgrade (tests, or after a server upgrade)."""
        with self._lock:
            self._downgraded.clear()

    def build(self, exchange: Exchange, *, stream: bool) -> HttpCall:
        route = exchange.route
        if not route.base_url:
            raise RouteError(
                "openai-compatible routes need base_url",
                provider=self.name,
                model=route.model,
                hint="add base_url, e.g. http://127.0.0.1:11434/v1",
            )
        headers = self.base_headers(exchange)
        if exchange.api_key:
            headers["Authorization"] = f"Bearer {exchange.api_key}"
        messages: list[dict[str, str]] = []
        instructions = instructions_for(exchange)
        if instructions:
            messages.append({"role": "system", "content": instructions})
        messages.extend({"role": role, "content": text} for role, text in exchange.turns)
        body: dict[str, Any] = {"model": route.model, "messages": messages}
        sampling(body, exchange, "max_tokens")
        if exchange.wire is not None and exchange.mode == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": json_schema_format(exchange, exchange.wire),
            }
        elif exchange.wire is not None and exchange.mode == "json_object":
            body["response_format"] = {"type": "json_object"}
        url = f"{route.base_url.rstrip('/')}/chat/completions"
        return post(url, headers, body, stream, stream_options={"include_usage": True})

    def parse(self, exchange: Exchange, body: Any) -> Completion:
        choices = body.get("choices") if isinstance(body, dict) else None
        if isinstance(body, dict) and body.get("object") == "error":
            raise stream_error(self.name, exchange.route.model, body)
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise malformed("no choices", self.name, exchange.route.model)
        choice = choices[0]
        message = choice.get("message") or {}
        finish = choice.get("finish_reason")
        usage = body.get("usage") or {}
        return Completion(
            text=str(message.get("content") or ""),
            usage=usage_of(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            ),
            model=body.get("model"),
            response_id=body.get("id"),
            stop_reason=finish,
            truncated=finish == "length",
        )

    async def parse_stream(
        self, exchange: Exchange, events: AsyncIterator[SSEEvent], emit: Emit
    ) -> Completion:
        parts: list[str] = []
        completion = Completion(text="")
        done = False
        async for event in events:
            if event.data.strip() == "[DONE]":
                done = True
                break
            data = loads_event(event, exchange)
            if not isinstance(data, dict):
                continue
            if "error" in data or data.get("object") == "error":
                raise stream_error(self.name, exchange.route.model, data)
            completion.model = data.get("model") or completion.model
            completion.response_id = data.get("id") or completion.response_id
            for choice in data.get("choices") or []:
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    parts.append(str(delta["content"]))
                    emit(str(delta["content"]))
                if choice.get("finish_reason"):
                    completion.stop_reason = choice["finish_reason"]
            usage = data.get("usage")
            if isinstance(usage, dict):
                completion.usage = usage_of(
                    int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                )
        if not done and completion.stop_reason is None:
            raise ProviderError(
                "stream ended before [DONE]", provider=self.name, model=exchange.route.model
            )
        completion.text = "".join(parts)
        completion.truncated = completion.stop_reason == "length"
        return completion
