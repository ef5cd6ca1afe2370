"""The shared HTTP client: one per loop, as many connections as the engine runs calls, closed
with its loop; the answers it reads are those the httpx path reads."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from typing import Any

import httpx
import pytest
from h1_support import Server
from runtime_canned import chat_completion, chat_stream, openai_response
from runtime_support import Reply, ScriptedServer

from aiwf._ir.compiler import compile_files
from aiwf._ir.routes import Route
from aiwf._spec import load_spec
from aiwf.engine import Engine
from aiwf.runtime import _http as http
from aiwf.runtime._client import Runtime
from aiwf.runtime._types import (
    Completed,
    ModelRequest,
    ModelResponse,
    Usage,
    expected_concurrency,
)

_N = {"type": "object", "properties": {"n": {"type": "integer"}}}


async def test_the_shared_client_has_the_connections_a_caller_expects() -> None:
    try:
        first = http.shared()
        assert first.connections == http.MAX_CONNECTIONS == first.pool.limit
        assert http.shared() is first
        token = expected_concurrency.set(300)
        try:
            grown = http.shared()
        finally:
            expected_concurrency.reset(token)
        assert grown is not first
        assert grown.connections == 300 == grown.pool.limit
        assert grown.retired == [first]
        assert not first.closed
        assert http.shared() is grown  # fewer expected later: the larger one stays
    finally:
        await http.aclose_shared_client()
    assert grown.closed
    assert first.closed


class Recording:
    """A model client that notes the concurrency the engine announced to the runtime."""

    seen: list[int]

    def __init__(self) -> None:
        self.seen = []

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.seen.append(expected_concurrency.get())
        return ModelResponse(
            output={"n": 1}, text="", usage=Usage(1, 1), request_id=None, model="m",
            provider="p", attempts=1, latency=0.0,
        )  # fmt: skip

    def stream(self, request: ModelRequest) -> Any:
        raise NotImplementedError


SPEC = """\
aiwf: 1
name: limits
models:
  m: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", model: m}
schemas:
  Num: {type: object, required: [n], properties: {n: {type: integer}}}
assistants:
  inc: {model: m, instructions: inc, input: Num, output: Num}
workflows:
  one:
    input: Num
    steps:
      - {id: s, assistant: inc, input: "${input}"}
    output: "${steps.s.output}"
"""


async def test_an_engine_run_announces_its_max_concurrency(tmp_path: Any) -> None:
    path = tmp_path / "limits.aiwf.yaml"
    path.write_text(SPEC)
    program = compile_files(load_spec(path).files).program
    assert program is not None
    model = Recording()
    await Engine(program, model, max_concurrency=300).run("one", {"n": 0})
    assert model.seen == [300]


async def test_plain_calls_read_the_same_answer_on_both_paths(server: ScriptedServer) -> None:
    body = openai_response(json.dumps({"ok": True}))
    headers = {"x-request-id": "req_42", "retry-after": "3"}
    server.script(Reply(status=429, body=body, headers=headers))
    server.script(Reply(status=429, body=body, headers=headers))
    url = f"{server.url}/v1/responses"
    sent = {"Content-Type": "application/json", "X-Probe": "1"}
    try:
        status, got, raw = await http.shared().send("POST", url, sent, b"{}", 5.0)
    finally:
        await http.aclose_shared_client()
    async with http.new_client() as client:
        response = await client.post(url, headers=sent, content=b"{}")
    assert (
        (status, raw)
        == (response.status_code, response.content)
        == (429, json.dumps(body).encode())
    )
    for name in ("X-Request-Id", "retry-after", "content-type"):
        assert got[name] == response.headers[name]
    assert [r.headers.get("x-probe") for r in server.requests] == ["1", "1"]


async def test_a_reset_is_a_transport_error_not_a_timeout(server: ScriptedServer) -> None:
    server.script(Reply(reset=True))
    try:
        with pytest.raises(httpx.TransportError) as info:
            await http.shared().send("POST", f"{server.url}/v1/responses", {}, b"{}", 5.0)
    finally:
        await http.aclose_shared_client()
    assert not isinstance(info.value, httpx.TimeoutException), info.value


async def test_streamed_calls_whose_body_ends_after_done_share_one_connection(
    server: ScriptedServer,
) -> None:
    # The runtime leaves a stream at [DONE]; the chunked body's end comes 50 ms later. The
    # pool reads it after the call returned, and the next call reuses the connection.
    for n in range(3):
        server.script(Reply(sse=chat_stream(json.dumps({"n": n})), linger=0.05))
    route = Route(provider="openai-compatible", model="m", base_url=f"{server.url}/v1")
    request = ModelRequest(route=route, instructions="i", input=1, output_schema=_N)
    runtime = Runtime()
    try:
        for n in range(3):
            events = [event async for event in runtime.stream(request)]
            assert isinstance(events[-1], Completed)
            assert events[-1].response.output == {"n": n}
            await Server.until(lambda: http.shared().pool.idle_connections == 1)
    finally:
        await http.aclose_shared_client()
    assert server.accepted == 1


def test_asyncio_run_closes_a_shared_client_nobody_closed(server: ScriptedServer) -> None:
    server.script(Reply(body={"ok": True}))
    script = textwrap.dedent(
        f"""
        import asyncio, gc, warnings
        warnings.simplefilter("error")
        from aiwf.runtime import _http as http

        async def main():
            status, _, _ = await http.shared().send("GET", "{server.url}/", {{}}, b"", 5.0)
            return http.shared()

        shared = asyncio.run(main())
        gc.collect()
        print(shared.closed)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert "Unclosed" not in done.stderr, done.stderr


def test_calls_and_streams_load_neither_httpx_nor_aiohttp(server: ScriptedServer) -> None:
    """The runtime's calls on the shared client, plain and streamed, go through the lean
    pool: a process whose calls all succeed never imports httpx or aiohttp (their import
    was a tenth of a 5,000-call run), nor tenacity and loguru (retries and logging, which
    only a failure needs)."""
    server.script(Reply(body=chat_completion(json.dumps({"n": 1}))))
    # The body's end comes after [DONE], when the runtime has left the stream: the connection
    # it closes unread is nobody's failure.
    server.script(Reply(sse=chat_stream(json.dumps({"n": 2})), linger=0.3))
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from aiwf._ir.routes import Route
        from aiwf.runtime import ModelRequest
        from aiwf.runtime._client import Runtime

        def loaded():
            return sorted(
                m for m in ("httpx", "aiohttp", "tenacity", "loguru") if m in sys.modules
            )

        async def main():
            route = Route(provider="openai-compatible", model="m", base_url="{server.url}/v1")
            schema = {{"type": "object", "properties": {{"n": {{"type": "integer"}}}}}}
            request = ModelRequest(route=route, instructions="i", input=1, output_schema=schema)
            runtime = Runtime()
            plain = await runtime.complete(request)
            print(plain.output, loaded())
            async for event in runtime.stream(request):
                pass
            print(event.response.output, loaded())

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["{'n': 1} []", "{'n': 2} []"]


def test_importing_the_http_module_does_not_import_aiohttp() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, aiwf.runtime._http; print('aiohttp' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr


def test_shared_is_per_loop() -> None:
    async def one() -> http.SharedClient:
        found = http.shared()
        await http.aclose_shared_client()
        return found

    assert asyncio.run(one()) is not asyncio.run(one())
