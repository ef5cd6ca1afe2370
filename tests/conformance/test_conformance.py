"""Every conformance vector on every runner: the same result or error, the same trace
outline, and byte-identical requests (docs/wire.md; tests/conformance/README.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conformance import RUNNERS, VECTORS, RunnerReport, load, problems, run, vector_id

#: Runners whose harness is part of this tree (all four once the SDK runtimes are in).
AVAILABLE = [name for name in RUNNERS if importlib.util.find_spec(f"runner_{name}") is not None]


@pytest.fixture(scope="session", params=AVAILABLE)
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RunnerReport:
    """One batch of every vector per runner (the Go and TypeScript harnesses are built once)."""
    return run(request.param, VECTORS, tmp_path_factory.mktemp(f"conformance-{request.param}"))


@pytest.mark.parametrize("vector", VECTORS, ids=[vector_id(v) for v in VECTORS])
def test_vector(vector: Path, report: RunnerReport) -> None:
    found = problems(vector, report)
    assert not found, "\n".join(found)


def test_there_are_enough_vectors_and_each_pins_its_requests() -> None:
    assert len(VECTORS) >= 40
    for path in VECTORS:
        vector = load(path)
        assert vector["description"], path.name
        assert "trace" in vector["expected"], path.name
        assert ("result" in vector["expected"]) != ("error" in vector["expected"]), path.name
        for exchange in vector["exchanges"]:
            assert {"route", "request", "headers", "response"} <= set(exchange), path.name


def test_every_runner_is_here() -> None:
    assert list(RUNNERS) == AVAILABLE, f"runners without a harness: {set(RUNNERS) - set(AVAILABLE)}"
