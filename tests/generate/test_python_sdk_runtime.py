"""The generated Python SDK against a scripted provider on 127.0.0.1: streaming with a
first-token timeout, a run-time route override and environment, and errors with their codes."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from runtime_canned import openai_response, openai_stream
from runtime_support import Reply, ScriptedServer

import aiwf._errors
import aiwf.sdk
from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import locate
from aiwf._generate.writer import expected_files
from aiwf._ir.compiler import compile_files
from aiwf._spec import load_spec

SPEC = """\
aiwf: 1
name: streamy
models:
  fast:
    provider: openai
    model: gpt-5.4-mini
    base_url: http://127.0.0.1:9/v1
    api_key_env: STREAMY_KEY
    first_token_timeout: 0.3
    retry: {max_attempts: 2, initial_delay: 0.001, max_delay: 0.002}
schemas:
  Word: {type: object, required: [text], properties: {text: {type: string}}}
assistants:
  shout: {model: fast, instructions: Shout., input: Word, output: Word}
workflows:
  loud:
    input: Word
    steps:
      - {id: shout, assistant: shout, input: "${input}"}
    output: ${steps.shout.output}
"""


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The generated package ``streamy_sdk``, imported, with a staging environment."""
    root = tmp_path_factory.mktemp("streamy")
    spec = root / "streamy.aiwf.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    loaded = load_spec(spec)
    program = compile_files(loaded.files).program
    assert program is not None
    staging = {"fast": {**program.models["fast"].to_dict(), "model": "gpt-5.4"}}
    job = SdkJob("python", root / "sdk", "streamy_sdk", spec)
    for rel, text in expected_files(job, program, locate(), {"staging": staging}).items():
        (root / "sdk" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "sdk" / rel).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root / "sdk" / "src"))
    return importlib.import_module("streamy_sdk")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    monkeypatch.setenv("STREAMY_KEY", "sk-streamy")
    running = ScriptedServer()
    yield running
    running.close()


def client(sdk: Any, server: ScriptedServer, **kwargs: Any) -> Any:
    return sdk.Client(routes={"fast": {"base_url": f"{server.url}/v1"}}, **kwargs)


def test_streaming_with_a_first_token_timeout(sdk: Any, server: ScriptedServer) -> None:
    """The first attempt sends no token within first_token_timeout: R005, retried; the
    second streams; the consumer is told to drop nothing (no text came before)."""
    server.script(
        Reply(sse=openai_stream(['{"text":', '"HI"}']), stall=2.0),
        Reply(sse=openai_stream(['{"text":', '"HI"}'])),
    )

    async def collect() -> list[Any]:
        return [event async for event in client(sdk, server).stream_shout(sdk.Word(text="hi"))]

    events = asyncio.run(collect())
    deltas = "".join(e.text for e in events if isinstance(e, aiwf.sdk.TextDelta))
    assert deltas == '{"text":"HI"}'
    assert isinstance(events[-1], aiwf.sdk.Completed)
    assert events[-1].response.output == {"text": "HI"}
    assert [e.outcome for e in events[-1].response.attempt_log] == ["timeout", "ok"]
    assert len(server.requests) == 2
    assert server.requests[0].json()["stream"] is True


def test_route_override_and_environment_at_run_time(sdk: Any, server: ScriptedServer) -> None:
    server.script(Reply(body=openai_response('{"text":"HI"}')))
    result = asyncio.run(client(sdk, server, environment="staging").loud(sdk.Word(text="hi")))
    assert aiwf.sdk.dump(result) == {"text": "HI"}
    sent = server.requests[0]
    assert sent.path == "/v1/responses"  # the override's base URL
    assert sent.json()["model"] == "gpt-5.4"  # the staging environment's model
    assert sent.headers["authorization"] == "Bearer sk-streamy"
    with pytest.raises(aiwf._errors.AiwfError, match="unknown environment 'prod'"):
        asyncio.run(client(sdk, server, environment="prod").loud(sdk.Word(text="hi")))


def test_errors_carry_the_codes_of_every_runtime(sdk: Any, server: ScriptedServer) -> None:
    server.script(Reply(status=401, body={"error": {"message": "bad key", "type": "auth"}}))
    with pytest.raises(aiwf.sdk.RunFailed) as failed:
        asyncio.run(client(sdk, server).loud(sdk.Word(text="hi")))
    assert failed.value.code == "E500"
    assert failed.value.message == (
        "step shout failed: [R001] openai gpt-5.4-mini: auth: bad key (HTTP 401)"
    )
    server.script(Reply(status=401, body={"error": {"message": "bad key", "type": "auth"}}))
    with pytest.raises(aiwf.sdk.ProviderError) as call:
        asyncio.run(client(sdk, server).shout(sdk.Word(text="hi")))
    assert call.value.code == "R001"
