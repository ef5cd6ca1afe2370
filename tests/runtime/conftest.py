"""Fixtures for the runtime tests (the server and clock live in runtime_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from runtime_support import TEST_KEYS, FakeClock, ScriptedServer

from aiwf.runtime._client import Runtime
from aiwf.runtime._http import aclose_shared_client, new_client


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in TEST_KEYS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = new_client()
    yield client
    await client.aclose()


@pytest.fixture(params=["httpx", "shared"])
async def runtime(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, clock: FakeClock
) -> AsyncIterator[Runtime]:
    """The runtime over a given httpx client, and over the shared client (its own HTTP/1.1
    pool, aiwf/runtime/_h1.py): every runtime test runs on both."""
    # random=0 makes backoff exact: min(initial * 2**n, max_delay).
    if request.param == "httpx":
        yield Runtime(http=http, clock=clock, random=lambda: 0.0)
        return
    yield Runtime(clock=clock, random=lambda: 0.0)
    await aclose_shared_client()
