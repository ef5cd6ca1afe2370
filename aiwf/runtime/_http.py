"""The runtime's HTTP: the shared client of each event loop, and the httpx clients callers
may bring instead.

A runtime given an ``httpx.AsyncClient`` or a transport (``httpx.MockTransport`` in tests)
sends every request through it. A runtime without one uses :func:`shared`, one
:class:`SharedClient` per event loop: a :class:`aiwf.runtime._h1.Pool`, a lean HTTP/1.1
keep-alive client on asyncio protocols and the httptools parser, with as many connections as
the engine runs calls at once (:data:`aiwf.runtime._types.expected_concurrency`, at least
:data:`MAX_CONNECTIONS`). Plain calls read the whole answer (:meth:`SharedClient.send`);
streams read it as it arrives (:meth:`SharedClient.stream`).

Why (docs/architecture.md has the figures): httpcore's pool polls every pooled connection on
each request, so one httpx pool of 100 connections spends milliseconds of CPU per request
under a wide scatter (the runtime used to spread requests over 32 pools of 4 connections to
dodge that, then moved to aiohttp). aiohttp hands out a connection in constant time, but its
request machinery costs about three times the CPU of the whole call's own work; the pool
does only what a model call needs. Neither httpx nor aiohttp is imported for it, and the TLS
context is built on the first https connection (never on ``aiwf validate``'s path).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING

from aiwf.runtime._net import (
    CONNECT_TIMEOUT,
    KEEPALIVE,
    MAX_CONNECTIONS,
    MAX_HEADER,
    ssl_context,
)
from aiwf.runtime._types import expected_concurrency

__all__ = [
    "CONNECT_TIMEOUT",
    "KEEPALIVE",
    "MAX_CONNECTIONS",
    "MAX_HEADER",
    "SharedClient",
    "aclose_shared_client",
    "new_client",
    "shared",
    "ssl_context",
]

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    import httpx

    from aiwf.runtime._h1 import Stream


def new_client(
    transport: httpx.AsyncBaseTransport | None = None,
    limits: httpx.Limits | None = None,
    *,
    connections: int = MAX_CONNECTIONS,
) -> httpx.AsyncClient:
    """A client configured like the shared one: over ``transport`` when given (an
    ``httpx.MockTransport`` in tests), else over httpx's own transport with ``connections``
    connections (or ``limits``). HTTP/1.1, the shared TLS context, no proxies from the
    environment, no cookie jar."""
    from aiwf.runtime import _httpx

    return _httpx.new_client(transport, limits, connections=connections)


class SharedClient:
    """The shared HTTP of one loop: its :attr:`pool`, and the shared clients it replaced
    when more connections were asked for (they finish their calls and are closed with
    it)."""

    def __init__(self, connections: int) -> None:
        from aiwf.runtime._h1 import Pool

        self.connections = connections
        self.pool = Pool(connections, KEEPALIVE, ssl_context, MAX_HEADER)
        self.retired: list[SharedClient] = []
        self._closer: AsyncGenerator[None, None] | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self.pool.closed

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], content: bytes, budget: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One plain request (no httpx request and response models: they cost more CPU than
        the whole request): ``(status, headers, body)``, the headers case-insensitive;
        failures raise ``httpx.TimeoutException`` or ``httpx.TransportError`` as the httpx
        client would."""
        return await self.pool.send(method, url, headers, content, min(budget, CONNECT_TIMEOUT))

    def stream(
        self, method: str, url: str, headers: Mapping[str, str], content: bytes, budget: float
    ) -> AbstractAsyncContextManager[Stream]:
        """One request whose answer is read as it arrives (``async with``): its
        ``status_code``, ``headers``, ``aiter_lines()`` and ``aread()`` as httpx's
        streamed response has them; failures as :meth:`send`'s."""
        return self.pool.stream(method, url, headers, content, min(budget, CONNECT_TIMEOUT))

    async def watch_loop(self) -> None:
        """Close the clients when the running loop shuts down (``asyncio.run`` finalises
        live async generators first), so that a program that never calls
        :func:`aclose_shared_client` is not warned about unclosed transports."""

        async def closer() -> AsyncGenerator[None, None]:
            try:
                yield
            finally:
                await self.aclose()

        self._closer = closer()
        await self._closer.__anext__()

    async def aclose(self) -> None:
        retired, self.retired = self.retired, []
        for old in retired:
            await old.aclose()
        await self.pool.aclose()


_shared: dict[asyncio.AbstractEventLoop, SharedClient] = {}


def shared() -> SharedClient:
    """The shared HTTP of the running event loop, created on first use, with at least as
    many connections as the caller expects calls in flight
    (:data:`aiwf.runtime._types.expected_concurrency`, which the engine sets for a run); a
    larger one replaces it when a later run expects more."""
    loop = asyncio.get_running_loop()
    found = _shared.get(loop)
    wanted = expected_concurrency.get()
    if found is not None and not found.pool.closed and wanted <= found.connections:
        return found
    for other in [lp for lp in _shared if lp.is_closed()]:
        del _shared[other]
    made = SharedClient(max(wanted, MAX_CONNECTIONS))
    if found is not None and not found.closed:
        made.retired.append(found)  # its calls finish; it is closed with the new one
    _shared[loop] = made
    made._watcher = loop.create_task(made.watch_loop())
    return made


async def aclose_shared_client() -> None:
    """Close the running loop's shared client (call before the loop ends; ``asyncio.run``
    also closes it as the loop shuts down)."""
    found = _shared.pop(asyncio.get_running_loop(), None)
    if found is not None:
        if found._closer is not None:
            closer, found._closer = found._closer, None
            await closer.aclose()
        else:
            await found.aclose()
