"""Oracle tests: the official ``openai`` and ``anthropic`` SDKs and aiwf's providers make
the same logical call to the same recording server; method, path, auth and version
headers and the JSON body must agree, and both must read the same answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic import AsyncAnthropic
from openai import AsyncOpenAI
from runtime_canned import (
    ANTHROPIC_MODEL,
    OPENAI_MODEL,
    anthropic_message,
    anthropic_tool_stream,
    chat_completion,
    chat_stream,
    openai_response,
    openai_stream,
)
from runtime_support import TEST_KEYS, Recorded, Reply, ScriptedServer

from aiwf._ir.routes import Route
from aiwf.runtime import Completed, ModelRequest
from aiwf.runtime._canonical import dumps, in_contract_order
from aiwf.runtime._client import Runtime
from aiwf.runtime._structured import strict_schema

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ticket_id", "urgency"],
    "properties": {
        "ticket_id": {"type": "string"},
        "urgency": {"type": "integer"},
        "note": {"type": "string"},
    },
}
INPUT = {"id": "T-1", "body": "Refund please"}
#: What aiwf sends for INPUT with no input contract: canonical JSON, members sorted.
INPUT_TEXT = dumps(in_contract_order(INPUT, None))
ANSWER = {"ticket_id": "T-1", "urgency": 2, "note": None}
SAME_HEADERS = (
    "authorization",
    "content-type",
    "anthropic-version",
    "openai-organization",
    "openai-project",
)


def assert_same_call(ours: Recorded, oracle: Recorded) -> None:
    assert (ours.method, ours.path) == (oracle.method, oracle.path)
    for name in SAME_HEADERS:
        assert ours.headers.get(name) == oracle.headers.get(name), name
    assert ours.json() == oracle.json()


@pytest.fixture(autouse=True)
def _org(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-oracle")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-oracle")


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_responses_matches_the_sdk(
    server: ScriptedServer, runtime: Runtime, stream: bool
) -> None:
    text = json.dumps(ANSWER)
    reply = Reply(sse=openai_stream([text])) if stream else Reply(body=openai_response(text))
    server.script(reply, reply)
    async with AsyncOpenAI(
        api_key=TEST_KEYS["OPENAI_API_KEY"], base_url=f"{server.url}/v1", max_retries=0
    ) as sdk:
        kwargs: dict[str, Any] = {
            "model": OPENAI_MODEL,
            "instructions": "Classify.",
            "input": INPUT_TEXT,
            "temperature": 0.3,
            "max_output_tokens": 200,
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "Triage",
                    "schema": strict_schema(SCHEMA),
                    "strict": True,
                }
            },
        }
        if stream:
            sdk_text = ""
            async for event in await sdk.responses.create(stream=True, **kwargs):
                if event.type == "response.completed":
                    sdk_text = event.response.output_text
        else:
            sdk_text = (await sdk.responses.create(**kwargs)).output_text
    request = ModelRequest(
        route=Route(provider="openai", model=OPENAI_MODEL, base_url=f"{server.url}/v1"),
        instructions="Classify.",
        input=INPUT,
        output_schema=SCHEMA,
        schema_name="Triage",
        temperature=0.3,
        max_tokens=200,
    )
    if stream:
        events = [e async for e in runtime.stream(request)]
        final = events[-1]
        assert isinstance(final, Completed)
        ours = final.response
    else:
        ours = await runtime.complete(request)
    assert_same_call(server.requests[1], server.requests[0])
    assert ours.text == sdk_text
    assert ours.output == {"ticket_id": "T-1", "urgency": 2}


@pytest.mark.parametrize("mode", ["tool", "native"])
async def test_anthropic_messages_matches_the_sdk(
    server: ScriptedServer, runtime: Runtime, mode: str
) -> None:
    answer = {"ticket_id": "T-1", "urgency": 2}
    if mode == "tool":
        reply = Reply(body=anthropic_message(tool_input=answer))
        extra: dict[str, Any] = {
            "tools": [
                {
                    "name": "Triage",
                    "description": "Record the answer. Its input is the answer.",
                    "input_schema": SCHEMA,
                }
            ],
            "tool_choice": {"type": "tool", "name": "Triage"},
        }
    else:
        reply = Reply(body=anthropic_message(text=json.dumps(answer)))
        extra = {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
    server.script(reply, reply)
    async with AsyncAnthropic(
        api_key=TEST_KEYS["ANTHROPIC_API_KEY"], base_url=server.url, max_retries=0
    ) as sdk:
        message = await sdk.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=1024,
            system="Classify.",
            messages=[{"role": "user", "content": INPUT_TEXT}],
            **extra,
        )
    ours = await runtime.complete(
        ModelRequest(
            route=Route(
                provider="anthropic",
                model=ANTHROPIC_MODEL,
                base_url=server.url,
                max_tokens=1024,
                structured_output=mode,  # type: ignore[arg-type]
            ),
            instructions="Classify.",
            input=INPUT,
            output_schema=SCHEMA,
            schema_name="Triage",
            temperature=0.5,  # dropped: the current API version takes no sampling parameters
        )
    )
    assert_same_call(server.requests[1], server.requests[0])
    assert ours.output == answer
    assert ours.request_id is None or isinstance(ours.request_id, str)
    assert ours.usage.input_tokens == message.usage.input_tokens


async def test_anthropic_stream_matches_the_sdk(server: ScriptedServer, runtime: Runtime) -> None:
    parts = ['{"ticket_id": "T-1", ', '"urgency": 2}']
    server.script(Reply(sse=anthropic_tool_stream(parts)), Reply(sse=anthropic_tool_stream(parts)))
    async with (
        AsyncAnthropic(
            api_key=TEST_KEYS["ANTHROPIC_API_KEY"], base_url=server.url, max_retries=0
        ) as sdk,
        sdk.messages.stream(
            model=ANTHROPIC_MODEL,
            max_tokens=4096,
            system="Classify.",
            messages=[{"role": "user", "content": INPUT_TEXT}],
            tools=[
                {
                    "name": "Triage",
                    "description": "Record the answer. Its input is the answer.",
                    "input_schema": SCHEMA,
                }
            ],
            tool_choice={"type": "tool", "name": "Triage"},
        ) as stream,
    ):
        sdk_message = await stream.get_final_message()
    events = [
        e
        async for e in runtime.stream(
            ModelRequest(
                route=Route(provider="anthropic", model=ANTHROPIC_MODEL, base_url=server.url),
                instructions="Classify.",
                input=INPUT,
                output_schema=SCHEMA,
                schema_name="Triage",
            )
        )
    ]
    assert_same_call(server.requests[1], server.requests[0])
    final = events[-1]
    assert isinstance(final, Completed)
    tool_block = sdk_message.content[0]
    assert tool_block.type == "tool_use"
    assert final.response.output == tool_block.input
    assert final.response.usage.output_tokens == sdk_message.usage.output_tokens


@pytest.mark.parametrize("stream", [False, True])
async def test_chat_completions_matches_the_sdk(
    server: ScriptedServer, runtime: Runtime, stream: bool
) -> None:
    text = json.dumps({"ticket_id": "T-1", "urgency": 2})
    reply = Reply(sse=chat_stream([text])) if stream else Reply(body=chat_completion(text))
    server.script(reply, reply)
    async with AsyncOpenAI(
        api_key=TEST_KEYS["LOCAL_KEY"], base_url=f"{server.url}/v1", max_retries=0
    ) as sdk:
        kwargs: dict[str, Any] = {
            "model": "llama3.1",
            "messages": [
                {"role": "system", "content": "Classify."},
                {"role": "user", "content": INPUT_TEXT},
            ],
            "max_tokens": 100,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "Triage", "schema": SCHEMA, "strict": True},
            },
        }
        if stream:
            chunks = await sdk.chat.completions.create(
                stream=True, stream_options={"include_usage": True}, **kwargs
            )
            sdk_text = "".join(
                [c.choices[0].delta.content or "" async for c in chunks if c.choices]
            )
        else:
            sdk_text = (await sdk.chat.completions.create(**kwargs)).choices[
                0
            ].message.content or ""
    request = ModelRequest(
        route=Route(
            provider="openai-compatible",
            model="llama3.1",
            base_url=f"{server.url}/v1",
            api_key_env="LOCAL_KEY",
            max_tokens=100,
        ),
        instructions="Classify.",
        input=INPUT,
        output_schema=SCHEMA,
        schema_name="Triage",
    )
    if stream:
        events = [e async for e in runtime.stream(request)]
        final = events[-1]
        assert isinstance(final, Completed)
        ours = final.response
    else:
        ours = await runtime.complete(request)
    # The SDK does not touch organisation headers on a custom server; compare the rest.
    oracle, mine = server.requests[0], server.requests[1]
    oracle.headers.pop("openai-organization", None)
    oracle.headers.pop("openai-project", None)
    assert_same_call(mine, oracle)
    assert ours.text == sdk_text
