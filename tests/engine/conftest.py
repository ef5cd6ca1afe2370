"""Fixtures for the engine tests (helpers live in engine_support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from engine_support import ModelServer


@pytest.fixture
def model_server() -> Iterator[Callable[[Callable[[str, Any], Any]], ModelServer]]:
    """Start OpenAI-compatible servers on 127.0.0.1; all are closed after the test."""
    started: list[ModelServer] = []

    def start(answer: Callable[[str, Any], Any]) -> ModelServer:
        server = ModelServer(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "AIWF_ENV"):
        monkeypatch.delenv(name, raising=False)
