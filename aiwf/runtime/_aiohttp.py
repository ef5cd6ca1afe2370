"""The aiohttp side of :mod:`aiwf.runtime._http` (imported on the first shared client, never
on ``aiwf validate``'s path): the session, a direct send for the runtime's plain calls, and
the httpx transport (``httpx-aiohttp``'s, with its exception mapping corrected) for streams
and for anyone who asks for an ``httpx.AsyncClient``.

Both report failures as the httpx exceptions the runtime handles: ``httpx.TimeoutException``
for a transport timeout, ``httpx.TransportError`` (connect, read, protocol) for the rest.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Mapping

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

_TIMEOUTS = (asyncio.TimeoutError, aiohttp.ServerTimeoutError)


def session(
    connections: int, keepalive: float, context: ssl.SSLContext, max_header: int
) -> aiohttp.ClientSession:
    """A session as the shared client uses it: ``connections`` connections kept alive for
    ``keepalive`` seconds, no cookie jar, no proxies from the environment."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=keepalive, ssl=context),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        max_line_size=max_header,
        max_field_size=max_header,
    )


def mapped(exc: BaseException) -> BaseException:
    """``exc`` as the httpx exception the runtime handles. httpx-aiohttp reports every
    ``ClientConnectionError`` (a reset, a server that hung up) as ``httpx.ConnectTimeout``
    and lets other aiohttp errors (an answer that is not HTTP) through."""
    cause = exc.__cause__ if isinstance(exc, httpx.TimeoutException) else exc
    if isinstance(exc, httpx.TimeoutException) and isinstance(cause, _TIMEOUTS):
        return exc
    if isinstance(cause, _TIMEOUTS):
        return httpx.ReadTimeout(str(cause) or type(cause).__name__)
    if isinstance(cause, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(cause) or type(cause).__name__)
    if isinstance(cause, (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError)):
        return httpx.ReadError(str(cause) or type(cause).__name__)
    if isinstance(cause, aiohttp.ClientError):
        return httpx.RemoteProtocolError(str(cause) or type(cause).__name__)
    return exc


_CLIENT_TIMEOUTS: dict[float, aiohttp.ClientTimeout] = {}


def _timeout(connect: float) -> aiohttp.ClientTimeout:
    found = _CLIENT_TIMEOUTS.get(connect)
    if found is None:
        # The attempt as a whole is bounded by the runtime (asyncio.timeout); only the
        # connection's own wait is set here.
        found = aiohttp.ClientTimeout(total=None, sock_connect=connect)
        if len(_CLIENT_TIMEOUTS) >= 64:
            _CLIENT_TIMEOUTS.pop(next(iter(_CLIENT_TIMEOUTS)))
        _CLIENT_TIMEOUTS[connect] = found
    return found


async def send(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Mapping[str, str],
    content: bytes,
    connect_timeout: float,
) -> tuple[int, Mapping[str, str], bytes]:
    """Send one request and read the whole answer: ``(status, headers, body)``; the headers
    are case-insensitive."""
    try:
        async with http.request(
            method,
            url,
            headers=headers,
            data=content,
            allow_redirects=False,
            timeout=_timeout(connect_timeout),
        ) as response:
            return response.status, response.headers, await response.read()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise mapped(exc) from exc


class _Stream(httpx.AsyncByteStream):
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
    """httpx-aiohttp's transport over a given session, its failures :func:`mapped`."""

    def __init__(
        self, http: aiohttp.ClientSession, limits: httpx.Limits, context: ssl.SSLContext
    ) -> None:
        super().__init__(verify=context, trust_env=False, limits=limits, client=http)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except (httpx.TimeoutException, aiohttp.ClientError) as exc:
            raise mapped(exc) from exc
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Stream(response.stream)
        return response
