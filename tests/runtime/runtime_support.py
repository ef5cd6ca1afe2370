"""Test support for the runtime: a scripted HTTP server on 127.0.0.1 and a fake clock.

:class:`ScriptedServer` runs an asyncio HTTP/1.1 server in its own thread (so the official
SDKs' sync and async clients and aiwf's runtime can all talk to it). Each request is
recorded and answered by the next :class:`Reply` of the script: a JSON body, an SSE stream
(sent chunked, optionally with pauses), a delay, a hang, or a connection reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

TEST_KEYS = {
    "OPENAI_API_KEY": "sk-test-openai-0123456789abcdef",
    "ANTHROPIC_API_KEY": "sk-ant-test-0123456789abcdef",
    "LOCAL_KEY": "local-secret-key-42",
}


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: SSE events as ``(event name or None, data)``; sent chunked, one chunk per event.
    sse: list[tuple[str | None, Any]] | None = None
    #: Seconds to wait before the status line.
    delay: float = 0.0
    #: Seconds to wait after the headers, before the first SSE event.
    stall: float = 0.0
    #: Seconds to wait after the last SSE event, before the chunked body's end.
    linger: float = 0.0
    #: Close the connection with a TCP reset instead of answering.
    reset: bool = False
    #: Seconds to wait after the headers and the first half of a plain body, before the
    #: rest (an answer that stops mid-body).
    cut: float = 0.0


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def sse_bytes(event: str | None, data: Any) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


class ScriptedServer:
    """An HTTP server on 127.0.0.1 answering from a script and recording requests."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        #: Connections accepted so far.
        self.accepted = 0
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)
        assert self._server is not None
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

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
        self.accepted += 1
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    raw = await reader.readline()
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = raw.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                with self._lock:
                    self.requests.append(Recorded(method, path, headers, body))
                    reply = self._script.pop(0) if self._script else None
                if reply is None:
                    reply = Reply(500, {"error": {"message": "script exhausted"}})
                if not await self._answer(reply, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, reply: Reply, writer: asyncio.StreamWriter) -> bool:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.reset:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        headers = {"content-type": "application/json", **reply.headers}
        if reply.sse is not None:
            headers["content-type"] = "text/event-stream"
            headers["transfer-encoding"] = "chunked"
            writer.write(self._head(reply.status, headers))
            await writer.drain()
            if reply.stall:
                await asyncio.sleep(reply.stall)
            for event, data in reply.sse:
                chunk = sse_bytes(event, data)
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            if reply.linger:
                await asyncio.sleep(reply.linger)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        if isinstance(reply.body, bytes):
            payload = reply.body
        elif isinstance(reply.body, str):
            payload = reply.body.encode()
        else:
            payload = json.dumps(reply.body).encode()
        headers["content-length"] = str(len(payload))
        if reply.cut:
            half = len(payload) // 2
            writer.write(self._head(reply.status, headers) + payload[:half])
            await writer.drain()
            await asyncio.sleep(reply.cut)
            payload = payload[half:]
        else:
            payload = self._head(reply.status, headers) + payload
        writer.write(payload)
        await writer.drain()
        return True

    @staticmethod
    def _head(status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


class FakeClock:
    """Real monotonic time plus the sleeps it skipped: deadlines see attempt durations,
    backoff never waits. ``sleeps`` lists every requested sleep."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds
        await asyncio.sleep(0)
