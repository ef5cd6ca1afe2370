"""Fixtures for the runtime tests (the server and clock live in runtime_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from runtime_support import TEST_KEYS, FakeClock, ScriptedServer

from aiwf.runtime.client import Runtime
from aiwf.runtime.http import new_client


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


@pytest.fixture
def runtime(http: httpx.AsyncClient, clock: FakeClock) -> Runtime:
    # random=0 makes backoff exact: min(initial * 2**n, max_delay).
    return Runtime(http=http, clock=clock, random=lambda: 0.0)
