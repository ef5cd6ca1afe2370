"""One suite and one SDK per target for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from .runners import RUNNERS
from .suite import Outcome, Suite, load


@pytest.fixture(scope="session")
def suite_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jsonschema-suite")


@pytest.fixture(scope="session")
def suite(suite_workdir: Path) -> Suite:
    return load(suite_workdir)


@pytest.fixture(scope="session")
def outcomes(suite: Suite, suite_workdir: Path) -> dict[str, list[Outcome]]:
    """Filled per target on first use (a failing toolchain fails only its own test)."""
    return {}


def run_target(
    target: str, suite: Suite, workdir: Path, cache: dict[str, list[Outcome]]
) -> list[Outcome]:
    if target not in cache:
        cache[target] = RUNNERS[target](suite, workdir)
    return cache[target]
