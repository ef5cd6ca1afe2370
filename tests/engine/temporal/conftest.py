"""Fixtures for the Temporal engine's tests: one dev server for the whole session (each
test has its own task queue and artifact store), started from the ``temporal`` binary."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # engine_support

from temporal_support import DevServer

from aiwf.stores import ArtifactStore, open_store

_queues = itertools.count(1)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A Temporal dev server on 127.0.0.1 shared by the session's tests."""
    server = DevServer(tmp_path_factory.mktemp("temporal") / "temporal.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queue(request: pytest.FixtureRequest) -> str:
    """A task queue of the test's own (workers of other tests never take its work)."""
    return f"t{next(_queues)}-{request.node.name[:40]}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ArtifactStore]:
    opened = open_store(str(tmp_path / "store"))
    yield opened
    opened.close()
