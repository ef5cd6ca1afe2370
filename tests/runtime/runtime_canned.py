"""Canned provider responses built from the official SDKs' own response models, so the
parsers meet every field (nulls included) that the real services send."""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import Message, TextBlock, ToolUseBlock
from anthropic.types import Usage as AnthropicUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from openai.types.completion_usage import CompletionUsage
from openai.types.responses import (
    Response,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails
from runtime_support import Reply

OPENAI_MODEL = "gpt-5.4-mini"
ANTHROPIC_MODEL = "claude-sonnet-5-5"


def openai_response(
    text: str,
    *,
    input_tokens: int = 11,
    output_tokens: int = 7,
    status: str = "completed",
    incomplete: str | None = None,
) -> dict[str, Any]:
    response = Response(
        id="resp_0123",
        created_at=1_760_000_000,
        model=OPENAI_MODEL,
        object="response",
        output=[
            ResponseOutputMessage(
                id="msg_1",
                role="assistant",
                status="completed",
                type="message",
                content=[ResponseOutputText(annotations=[], text=text, type="output_text")],
            )
        ],
        parallel_tool_calls=True,
        tool_choice="auto",
        tools=[],
        status=status,  # type: ignore[arg-type]
        incomplete_details={"reason": incomplete} if incomplete else None,  # type: ignore[arg-type]
        usage=ResponseUsage(
            input_tokens=input_tokens,
            input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
            output_tokens=output_tokens,
            output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
            total_tokens=input_tokens + output_tokens,
        ),
    )
    return response.model_dump(mode="json")


def openai_stream(text_parts: list[str], **kwargs: Any) -> list[tuple[str | None, Any]]:
    full = openai_response("".join(text_parts), **kwargs)
    created = dict(full, status="in_progress", output=[], usage=None)
    events: list[tuple[str | None, Any]] = [
        (
            "response.created",
            {"type": "response.created", "sequence_number": 0, "response": created},
        ),
        (
            "response.in_progress",
            {"type": "response.in_progress", "sequence_number": 1, "response": created},
        ),
    ]
    for i, part in enumerate(text_parts):
        events.append(
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 2 + i,
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": part,
                    "logprobs": [],
                },
            )
        )
    events.append(
        (
            "response.completed",
            {"type": "response.completed", "sequence_number": 99, "response": full},
        )
    )
    return events


def anthropic_message(
    *,
    text: str | None = None,
    tool_input: Any = None,
    tool_name: str = "Triage",
    stop_reason: str | None = None,
    input_tokens: int = 21,
    output_tokens: int = 9,
) -> dict[str, Any]:
    content: list[Any] = []
    if text is not None:
        content.append(TextBlock(type="text", text=text, citations=None))
    if tool_input is not None:
        content.append(
            ToolUseBlock(type="tool_use", id="toolu_1", name=tool_name, input=tool_input)
        )
    message = Message(
        id="msg_0123",
        type="message",
        role="assistant",
        model=ANTHROPIC_MODEL,
        content=content,
        stop_reason=stop_reason or ("tool_use" if tool_input is not None else "end_turn"),  # type: ignore[arg-type]
        stop_sequence=None,
        usage=AnthropicUsage(input_tokens=input_tokens, output_tokens=output_tokens),
    )
    return message.model_dump(mode="json")


def anthropic_tool_stream(
    json_parts: list[str], *, error_after: int | None = None, tool_name: str = "Triage"
) -> list[tuple[str | None, Any]]:
    start = anthropic_message(text="", input_tokens=21, output_tokens=1)
    start["content"] = []
    start["stop_reason"] = None
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": tool_name,
                    "input": {},
                },
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    for i, part in enumerate(json_parts):
        if error_after is not None and i == error_after:
            events.append(
                (
                    "error",
                    {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    },
                )
            )
            return events
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": part},
                },
            )
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 15},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def chat_completion(text: str, *, finish_reason: str = "stop") -> dict[str, Any]:
    completion = ChatCompletion(
        id="chatcmpl-1",
        object="chat.completion",
        created=1_760_000_000,
        model="llama3.1",
        choices=[
            Choice(
                index=0,
                finish_reason=finish_reason,  # type: ignore[arg-type]
                message=ChatCompletionMessage(role="assistant", content=text),
            )
        ],
        usage=CompletionUsage(prompt_tokens=30, completion_tokens=12, total_tokens=42),
    )
    return completion.model_dump(mode="json")


def chat_stream(parts: list[str]) -> list[tuple[str | None, Any]]:
    events: list[tuple[str | None, Any]] = []
    for i, part in enumerate(parts):
        chunk = ChatCompletionChunk(
            id="chatcmpl-1",
            object="chat.completion.chunk",
            created=1_760_000_000,
            model="llama3.1",
            choices=[
                ChunkChoice(
                    index=0,
                    delta=ChoiceDelta(content=part, role="assistant" if i == 0 else None),
                    finish_reason="stop" if i == len(parts) - 1 else None,
                )
            ],
        )
        events.append((None, chunk.model_dump(mode="json")))
    usage = ChatCompletionChunk(
        id="chatcmpl-1",
        object="chat.completion.chunk",
        created=1_760_000_000,
        model="llama3.1",
        choices=[],
        usage=CompletionUsage(prompt_tokens=30, completion_tokens=12, total_tokens=42),
    )
    events.append((None, usage.model_dump(mode="json")))
    events.append((None, "[DONE]"))
    return events


def ok(body: dict[str, Any], **headers: str) -> Reply:
    return Reply(200, body, headers=headers)


def as_json(value: Any) -> str:
    return json.dumps(value)
