"""The ``httpx.AsyncClient`` the runtime makes for a runtime given a transport
(:func:`aiwf.runtime._http.new_client`), and the per-attempt timeouts and parsed URLs of
calls over a caller's httpx client. Imported only on those paths: the shared client never
imports httpx."""

from __future__ import annotations

from typing import Any

import httpx

from aiwf._memo import remember
from aiwf.runtime._net import CONNECT_TIMEOUT, KEEPALIVE, MAX_CONNECTIONS, ssl_context

#: Transport-level timeouts of a client; per-attempt budgets are applied on top.
TIMEOUT = httpx.Timeout(600.0, connect=CONNECT_TIMEOUT)


def limits(connections: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE,
    )


def new_client(
    transport: httpx.AsyncBaseTransport | None = None,
    limits_: httpx.Limits | None = None,
    *,
    connections: int = MAX_CONNECTIONS,
) -> httpx.AsyncClient:
    """See :func:`aiwf.runtime._http.new_client`."""
    return _Client(
        http1=True,
        http2=False,
        verify=ssl_context(),
        limits=limits_ or limits(connections),
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


def timeout(budget: float) -> httpx.Timeout:
    """The transport timeouts of an attempt with ``budget`` seconds (made once per budget:
    a route's attempts mostly share one)."""
    found = _TIMEOUTS.get(budget)
    if found is None:
        found = httpx.Timeout(budget, connect=min(budget, CONNECT_TIMEOUT))
        remember(_TIMEOUTS, budget, found, 64)
    return found


def url(text: str) -> httpx.URL:
    """``text`` parsed once (a route's calls all go to one URL)."""
    found = _URLS.get(text)
    if found is None:
        found = httpx.URL(text)
        remember(_URLS, text, found, 256)
    return found


_TIMEOUTS: dict[float, httpx.Timeout] = {}
_URLS: dict[str, httpx.URL] = {}
