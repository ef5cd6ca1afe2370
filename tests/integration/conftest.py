"""Session fixtures: one git repository of this project (the hooks' source) and one
pre-commit cache, so pre-commit installs the hooks' environment once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest
from integration_support import git, make_project_repo


@pytest.fixture(scope="session")
def project_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's files (the working tree, uncommitted work included) committed in a
    fresh git repository without tags."""
    return make_project_repo(tmp_path_factory.mktemp("aiwf") / "aiwf")


@pytest.fixture(scope="session")
def project_rev(project_repo: Path) -> str:
    return git(project_repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")
