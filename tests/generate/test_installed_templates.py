"""An aiwf installed from a wheel has its templates but no git repository of them: the
scaffold comes from a local repository in aiwf's cache, tagged with the template version."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRESET = ROOT / "presets" / "workflows" / "ticket-triage.aiwf.yaml"


def aiwf(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiwf", *args], capture_output=True, text=True, env=env, check=False
    )


def test_sdk_from_templates_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "installed"
    tree.mkdir()
    shutil.copy2(ROOT / "copier.yml", tree / "copier.yml")
    shutil.copytree(ROOT / "copier-templates", tree / "copier-templates")
    import os

    env = {**os.environ, "AIWF_TEMPLATES": str(tree), "AIWF_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("AIWF_TEMPLATE_SOURCE", None)
    version = (tree / "copier-templates" / "VERSION").read_text().strip()
    for out in ("one", "two"):  # the second run reuses the cached repository
        run = aiwf("sdk", str(PRESET), "--lang", "python", "--out", str(tmp_path / out),
                   "--package", "support_ai", env=env)  # fmt: skip
        assert run.returncode == 0, run.stderr
        answers = (tmp_path / out / ".copier-answers.yml").read_text()
        assert f"_commit: v{version}" in answers
        assert f"_src_path: {tmp_path / 'cache' / 'templates'}" in answers
        check = aiwf("check", str(tmp_path / out), env=env)
        assert check.returncode == 0, check.stdout + check.stderr
    tags = subprocess.run(["git", "-C", str(tmp_path / "cache" / "templates"), "tag"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert tags.stdout.split() == [f"v{version}"]
    mode = (tmp_path / "one" / "src" / "support_ai" / "contracts.py").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044, oct(mode)  # readable by others, like any source file
