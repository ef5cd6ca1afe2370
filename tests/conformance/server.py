"""The scripted provider server of the conformance vectors (see README.md).

Every vector is served at once under its own path: ``/ID/ALIAS/...`` is route ``ALIAS`` of
vector ``ID``. A request is answered by the first unused exchange of that vector and route
whose request body is byte-identical to the one received; anything else gets 599 and is
kept with the closest expected body, so a test can show the difference. In ``record`` mode
(``record.py``) the exchanges have no request yet: each route's responses are served in
order and the bodies received are kept.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiwf.runtime._canonical import dumps


@dataclass
class Received:
    """One request the server got."""

    vector: str
    route: str
    path: str
    headers: dict[str, str]
    body: bytes
    #: The index of the exchange that answered it (None: no exchange matched).
    exchange: int | None


@dataclass
class _Vector:
    exchanges: list[dict[str, Any]]
    used: list[bool] = field(default_factory=list)
    expected: list[bytes | None] = field(default_factory=list)


class ScriptedServer:
    """A threaded HTTP server on 127.0.0.1 serving the exchanges of many vectors."""

    def __init__(self, vectors: dict[str, list[dict[str, Any]]], *, record: bool = False) -> None:
        self.record = record
        self.vectors = {
            vid: _Vector(
                exchanges,
                [False] * len(exchanges),
                [dumps(e["request"]).encode() if "request" in e else None for e in exchanges],
            )
            for vid, exchanges in vectors.items()
        }
        self.received: list[Received] = []
        self._lock = threading.Lock()
        handler = _handler(self)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, vector: str, route: str, provider: str) -> str:
        """The base URL a runner gives route ``route`` of vector ``vector``."""
        suffix = "/v1" if provider == "openai-compatible" else ""
        return f"{self.url}/{vector}/{route}{suffix}"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def unused(self, vector: str) -> list[int]:
        """The exchanges of ``vector`` that no request used."""
        state = self.vectors[vector]
        return [i for i, used in enumerate(state.used) if not used]

    def take(self, vector: str, route: str, body: bytes) -> int | None:
        """The exchange that answers ``body`` (marked used), or None."""
        state = self.vectors.get(vector)
        if state is None:
            return None
        with self._lock:
            for i, exchange in enumerate(state.exchanges):
                if state.used[i] or exchange["route"] != route:
                    continue
                if self.record or state.expected[i] == body:
                    state.used[i] = True
                    return i
        return None


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            parts = self.path.strip("/").split("/")
            vector, route = ([*parts, "", ""])[:2]
            index = server.take(vector, route, body)
            with server._lock:
                server.received.append(
                    Received(
                        vector,
                        route,
                        "/" + "/".join(parts[2:]),
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        index,
                    )
                )
            if index is None:
                self._send(599, {"content-type": "text/plain"}, b"no exchange matches this body")
                return
            response = server.vectors[vector].exchanges[index]["response"]
            if response.get("reset"):
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
            if "text" in response:
                payload = str(response["text"]).encode()
                headers.setdefault("content-type", "text/plain")
            else:
                payload = json.dumps(response.get("body", {}), ensure_ascii=False).encode()
                headers.setdefault("content-type", "application/json")
            self._send(int(response.get("status", 200)), headers, payload)

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
