"""The shared HTTP client of each event loop: one ``httpx.AsyncClient`` whose I/O runs on
aiohttp (the ``AiohttpTransport`` of ``httpx-aiohttp``), HTTP/1.1 keep-alive, a connection
limit that follows the concurrency the engine expects
(:data:`aiwf.runtime.types.expected_concurrency`).

The runtime's API stays httpx: tests and embedders may pass their own ``httpx.AsyncClient``
or transport (``httpx.MockTransport``) instead, and everything the runtime reads is an
``httpx.Response``.

Why aiohttp underneath (docs/architecture.md has the figures): httpcore's connection pool
checks every pooled connection on each request, so one httpx pool of 100 connections spends
milliseconds of CPU per request under a wide scatter (5,000 calls at 100 in flight, 20 ms
server: 18.9 s over one pool against an ideal of 1.0 s). The runtime used to spread requests
over 32 pools of 4 connections to dodge that; aiohttp's connector hands out an idle
connection in constant time, so one client with one pool does better than the 32 did.

aiohttp is imported when the first shared client is made (never on ``aiwf validate``'s path).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx

from aiwf.runtime.types import expected_concurrency

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
#: The longest response header line (and header field) accepted, in bytes.
MAX_HEADER = 16_384


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
    ``httpx.MockTransport`` in tests), else over aiohttp with ``connections`` connections
    (or ``limits``). Must be called from a running event loop when no transport is given
    (the aiohttp session is made on the first request, on that loop)."""
    limits = limits or _limits(connections)
    return _Client(
        http1=True,
        http2=False,
        verify=_ssl_context(),
        limits=limits,
        timeout=TIMEOUT,
        transport=transport if transport is not None else aiohttp_transport(limits),
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


def aiohttp_transport(limits: httpx.Limits | None = None) -> httpx.AsyncBaseTransport:
    """An httpx transport over one aiohttp session (made on the first request): no cookie
    jar, no proxies from the environment, no redirects, the shared TLS context, and
    failures mapped to the httpx exceptions the runtime handles (see :class:`_Transport`)."""
    return _transport_class()(limits or _limits(MAX_CONNECTIONS))


@functools.cache
def _transport_class() -> Callable[[httpx.Limits], httpx.AsyncBaseTransport]:
    """The transport class, defined on first use so that aiohttp loads only then."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    timeouts = (asyncio.TimeoutError, aiohttp.ServerTimeoutError)

    def mapped(exc: BaseException) -> BaseException:
        """httpx-aiohttp reports every ``ClientConnectionError`` (a reset, a server that
        hung up) as ``httpx.ConnectTimeout`` and lets other aiohttp errors (an answer that is
        not HTTP) through: the runtime needs a timeout to be a timeout and everything else
        to be an ``httpx.TransportError``."""
        cause = exc.__cause__ if isinstance(exc, httpx.TimeoutException) else exc
        if isinstance(exc, httpx.TimeoutException) and isinstance(cause, timeouts):
            return exc
        if isinstance(cause, aiohttp.ClientConnectorError):
            return httpx.ConnectError(str(cause) or type(cause).__name__)
        if isinstance(cause, (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError)):
            return httpx.ReadError(str(cause) or type(cause).__name__)
        if isinstance(cause, aiohttp.ClientError):
            return httpx.RemoteProtocolError(str(cause) or type(cause).__name__)
        return exc

    class Stream(httpx.AsyncByteStream):
        def __init__(self, inner: httpx.AsyncByteStream) -> None:
            self._inner = inner

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                async for chunk in self._inner:
                    yield chunk
            except (httpx.TimeoutException, aiohttp.ClientError) as exc:
                raise mapped(exc) from exc

        async def aclose(self) -> None:
            await self._inner.aclose()

    class Transport(AiohttpTransport):
        def __init__(self, limits: httpx.Limits) -> None:
            super().__init__(verify=_ssl_context(), trust_env=False, limits=limits)
            self.client = self._session

        def _session(self) -> aiohttp.ClientSession:
            return aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.limits.max_connections or 0,
                    keepalive_timeout=self.limits.keepalive_expiry,
                    ssl=self.ssl_context,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=False,
                max_line_size=MAX_HEADER,
                max_field_size=MAX_HEADER,
            )

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                response: httpx.Response = await super().handle_async_request(request)
            except (httpx.TimeoutException, aiohttp.ClientError) as exc:
                raise mapped(exc) from exc
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = Stream(response.stream)
            return response

    return Transport


class SharedClient:
    """The shared client of one loop, and the clients it replaced when more connections were
    announced (they finish their calls and are closed with it)."""

    def __init__(self, connections: int) -> None:
        self.connections = connections
        self.client = new_client(connections=connections)
        self.retired: list[httpx.AsyncClient] = []
        self._closer: AsyncGenerator[None, None] | None = None
        self._watcher: asyncio.Task[None] | None = None

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

    def grow(self, connections: int) -> None:
        self.retired.append(self.client)
        self.connections = connections
        self.client = new_client(connections=connections)

    async def aclose(self) -> None:
        clients, self.retired = [*self.retired, self.client], []
        for client in clients:
            await client.aclose()


_shared: dict[asyncio.AbstractEventLoop, SharedClient] = {}


def shared_client() -> httpx.AsyncClient:
    """The client of the running event loop, created on first use, with at least as many
    connections as the caller expects calls in flight
    (:data:`aiwf.runtime.types.expected_concurrency`, which the engine sets for a run); a
    larger one replaces it when a later run expects more."""
    loop = asyncio.get_running_loop()
    shared = _shared.get(loop)
    wanted = expected_concurrency.get()
    if shared is None or shared.client.is_closed:
        for other in [lp for lp in _shared if lp.is_closed()]:
            del _shared[other]
        shared = _shared[loop] = SharedClient(max(wanted, MAX_CONNECTIONS))
        shared._watcher = loop.create_task(shared.watch_loop())
    elif wanted > shared.connections:
        shared.grow(wanted)
    return shared.client


async def aclose_shared_client() -> None:
    """Close the running loop's shared client (call before the loop ends; ``asyncio.run``
    also closes it as the loop shuts down)."""
    loop = asyncio.get_running_loop()
    shared = _shared.pop(loop, None)
    if shared is not None:
        if shared._closer is not None:
            closer, shared._closer = shared._closer, None
            await closer.aclose()
        else:
            await shared.aclose()
