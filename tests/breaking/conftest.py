"""Fixtures for the ``aiwf breaking`` tests: the helpers of tests/generate (template
repository, SDK writers, toolchain runners) are importable here too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generate"))

from sdkgen_support import make_template_repo


@pytest.fixture(scope="session")
def breaking_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of the project's templates, tagged with their version."""
    return make_template_repo(tmp_path_factory.mktemp("breaking-templates") / "aiwf-templates")
