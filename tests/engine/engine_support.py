"""Test support for the engine: compiling specs written in tests, an in-process scripted
model, and an OpenAI-compatible model server on 127.0.0.1 that counts its calls."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program
from aiwf._spec import load_spec
from aiwf.runtime._types import ModelRequest, ModelResponse, Usage

ROUTE_FAST_FAIL = "retry: {max_attempts: 1, repair_attempts: 0}"


def compile_text(tmp_path: Path, text: str, name: str = "spec.aiwf.yaml") -> Program:
    """Compile a spec written in a test through the real loader and compiler."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    loaded = load_spec(path)
    result = compile_files(loaded.files)
    errors = [d for d in [*loaded.diagnostics, *result.diagnostics] if d.severity == "error"]
    assert not errors, [str(d) for d in errors]
    assert result.program is not None
    return result.program


@dataclass
class Call:
    """One request as a model saw it."""

    assistant: str | None
    step: str | None
    index: int | None
    input: Any


class ScriptedModel:
    """An in-process ModelClient answering with ``answer(request) -> output`` (raise to
    fail). ``gate``, when set, holds every call until it is opened."""

    def __init__(self, answer: Callable[[ModelRequest], Any]) -> None:
        self.answer = answer
        self.calls: list[Call] = []
        self.started: list[Call] = []
        self.cancelled = 0
        self.gate: asyncio.Event | None = None
        #: Which calls wait for ``gate`` (default: all of them).
        self.held: Callable[[Call], bool] | None = None
        #: How many times a call yields to the loop before answering (default 1).
        self.yields: Callable[[Call], int] | None = None
        self.events: list[tuple[str, str | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, request: ModelRequest) -> ModelResponse:
        meta = request.metadata
        index = int(meta.extra["index"]) if "index" in meta.extra else None
        call = Call(meta.assistant, meta.step, index, request.input)
        self.started.append(call)
        self.events.append(("start", call.step))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(self.yields(call) if self.yields is not None else 1):
                await asyncio.sleep(0)
            if self.gate is not None and (self.held is None or self.held(call)):
                await self.gate.wait()
            output = self.answer(request)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        self.calls.append(call)
        self.events.append(("end", call.step))
        return ModelResponse(
            output=output,
            text=json.dumps(output),
            usage=Usage(10, 5),
            request_id=f"req-{len(self.calls)}",
            model="scripted",
            provider="scripted",
            attempts=1,
            latency=0.0,
        )

    def stream(self, request: ModelRequest) -> Any:  # pragma: no cover - not used
        raise NotImplementedError


@dataclass
class ServerCall:
    system: str
    input: Any


@dataclass
class ModelServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1, in its own thread.

    ``answer(system, input)`` returns the output value, or an ``(status, message)`` tuple
    for an error answer. Every request is recorded in ``calls``.
    """

    answer: Callable[[str, Any], Any]
    calls: list[ServerCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)
        assert self._server is not None
        self.port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def count(self, system_prefix: str = "") -> int:
        with self._lock:
            return sum(1 for c in self.calls if c.system.startswith(system_prefix))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def close(self) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while True:
                    raw = await reader.readline()
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = raw.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))))
                messages = body["messages"]
                system = next((m["content"] for m in messages if m["role"] == "system"), "")
                user = json.loads(next(m["content"] for m in messages if m["role"] == "user"))
                with self._lock:
                    self.calls.append(ServerCall(system, user))
                answer = self.answer(system, user)
                if isinstance(answer, tuple):
                    status, message = answer
                    payload = json.dumps({"error": {"message": message}}).encode()
                else:
                    status = 200
                    payload = json.dumps(
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "model": body["model"],
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": json.dumps(answer)},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
                        }
                    ).encode()
                head = (
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(payload)}\r\n\r\n"
                ).encode()
                writer.write(head + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()
