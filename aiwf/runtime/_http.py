"""The runtime's HTTP: the shared client of each event loop, and the httpx clients callers
may bring instead.

A runtime given an ``httpx.AsyncClient`` or a transport (``httpx.MockTransport`` in tests)
sends every request through it. A runtime without one uses :func:`shared`, one
:class:`SharedClient` per event loop: an aiohttp session (HTTP/1.1 keep-alive, as many
connections as the engine runs calls at once: :data:`aiwf.runtime._types.expected_concurrency`,
at least :data:`MAX_CONNECTIONS`), whose plain calls go straight to aiohttp
(:meth:`SharedClient.send`), and an ``httpx.AsyncClient`` over the same session
(httpx-aiohttp's transport) for streams and for :func:`shared_client`.

Why (docs/architecture.md has the figures): httpcore's pool polls every pooled connection on
each request, so one httpx pool of 100 connections spends milliseconds of CPU per request
under a wide scatter; the runtime used to spread requests over 32 pools of 4 connections to
dodge that. aiohttp's connector hands out an idle connection in constant time, and skipping
httpx's request and response models saves more CPU per call than aiohttp's whole request
costs.

aiohttp is imported when the first shared client is made (never on ``aiwf validate``'s path).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from aiwf.runtime._types import expected_concurrency

if TYPE_CHECKING:
    import aiohttp

#: Connections of a shared client unless more concurrency was announced (the engine's
#: default ``max_concurrency``).
MAX_CONNECTIONS = 128
#: Seconds an idle keep-alive connection is kept.
KEEPALIVE = 30.0
#: Seconds to establish a connection (per-attempt budgets are applied on top).
CONNECT_TIMEOUT = 10.0
#: Transport-level timeouts of a client; per-attempt budgets are applied on top.
TIMEOUT = httpx.Timeout(600.0, connect=CONNECT_TIMEOUT)
#: The longest response header line (and header field) accepted, in bytes (aiohttp allows
#: 8 KiB by default; httpx, which the runtime used before, about 100 KiB for a whole head).
MAX_HEADER = 65_536


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every client (loading the CA bundle costs ~15 ms per context)."""
    return httpx.create_ssl_context()


def _limits(connections: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE,
    )


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
    return _Client(
        http1=True,
        http2=False,
        verify=_ssl_context(),
        limits=limits or _limits(connections),
        timeout=TIMEOUT,
        transport=transport,
        trust_env=False,
    )


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        return None


class _Client(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that keeps no cookies: model APIs are stateless, a shared
    client's jar would carry one caller's cookies into another's calls, and reading every
    answer for cookies is a tenth of a call's CPU."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


_NO_COOKIES = _NoCookies()


class SharedClient:
    """The shared HTTP of one loop: an aiohttp session, the ``httpx.AsyncClient`` over it
    (:attr:`client`), and the ones it replaced when more connections were asked for (they
    finish their calls and are closed with it)."""

    def __init__(self, connections: int) -> None:
        from aiwf.runtime import _aiohttp

        self.connections = connections
        self._aiohttp = _aiohttp
        self.session: aiohttp.ClientSession = _aiohttp.session(
            connections, KEEPALIVE, _ssl_context(), MAX_HEADER
        )
        limits = _limits(connections)
        self.client = new_client(_aiohttp.Transport(self.session, limits, _ssl_context()), limits)
        self.retired: list[SharedClient] = []
        self._closer: AsyncGenerator[None, None] | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self.session.closed or self.client.is_closed

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], content: bytes, budget: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One plain request straight on aiohttp (no httpx request and response models: they
        cost more CPU than aiohttp's whole request): ``(status, headers, body)``, the headers
        case-insensitive; failures raise ``httpx.TimeoutException`` or
        ``httpx.TransportError`` as the httpx client would."""
        return await self._aiohttp.send(
            self.session, method, url, headers, content, min(budget, CONNECT_TIMEOUT)
        )

    async def watch_loop(self) -> None:
        """Close the clients when the running loop shuts down (``asyncio.run`` finalises
        live async generators first), so that a program that never calls
        :func:`aclose_shared_client` is not warned about an unclosed aiohttp session."""

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
        await self.client.aclose()
        await self.session.close()


_shared: dict[asyncio.AbstractEventLoop, SharedClient] = {}


def shared() -> SharedClient:
    """The shared HTTP of the running event loop, created on first use, with at least as
    many connections as the caller expects calls in flight
    (:data:`aiwf.runtime._types.expected_concurrency`, which the engine sets for a run); a
    larger one replaces it when a later run expects more."""
    loop = asyncio.get_running_loop()
    found = _shared.get(loop)
    wanted = expected_concurrency.get()
    if found is not None and not found.closed and wanted <= found.connections:
        return found
    for other in [lp for lp in _shared if lp.is_closed()]:
        del _shared[other]
    made = SharedClient(max(wanted, MAX_CONNECTIONS))
    if found is not None and not found.closed:
        made.retired.append(found)  # its calls finish; it is closed with the new one
    _shared[loop] = made
    made._watcher = loop.create_task(made.watch_loop())
    return made


def shared_client() -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` of the running loop's shared HTTP (its I/O on aiohttp)."""
    return shared().client


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
