"""The shared HTTP client: one ``httpx.AsyncClient`` per event loop, HTTP/1.1 keep-alive,
bounded connections. Tests and embedders may pass their own client or transport instead."""

from __future__ import annotations

import asyncio

import httpx

#: Connection limits of the shared client (concurrent calls beyond them queue).
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)
#: Transport-level timeouts of the shared client; per-attempt budgets are applied on top.
TIMEOUT = httpx.Timeout(600.0, connect=10.0)

_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def new_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """A client configured like the shared one, optionally over ``transport``
    (an ``httpx.MockTransport`` in tests)."""
    return httpx.AsyncClient(
        http1=True,
        http2=False,
        limits=LIMITS,
        timeout=TIMEOUT,
        transport=transport,
        trust_env=False,
    )


def shared_client() -> httpx.AsyncClient:
    """The client of the running event loop, created on first use."""
    loop = asyncio.get_running_loop()
    for other in [lp for lp in _clients if lp.is_closed()]:
        del _clients[other]
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = _clients[loop] = new_client()
    return client


async def aclose_shared_client() -> None:
    """Close the running loop's shared client (call before the loop ends)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
