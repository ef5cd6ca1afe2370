"""Session fixtures: one SDK (with its venv) per preset."""

from __future__ import annotations

from pathlib import Path

import pytest
from sdkgen_support import BUILT_SPECS, SdkEnv, git, make_sdk_env, run_cli

# The goldens hold generated SDK files (their smoke tests included): not tests of this suite.
collect_ignore_glob = ["golden/*"]


@pytest.fixture(scope="session", params=[p.name for p in BUILT_SPECS])
def preset_sdk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, SdkEnv]:
    """The Python SDK of one preset (or edge spec), created with `aiwf sdk`, installed in a
    fresh venv."""
    spec = next(p for p in BUILT_SPECS if p.name == request.param)
    project = tmp_path_factory.mktemp("project")
    git(project, "init", "-q", "-b", "main")
    result = run_cli(
        ["sdk", str(spec), "--lang", "python", "--out", "sdk", "--package", "preset_sdk"], project
    )
    assert result.exit_code == 0, result.output
    sdk = project / "sdk"
    return sdk, make_sdk_env(project / ".venv", sdk)
