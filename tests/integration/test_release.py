"""The release procedure (``nox -s release -- X.Y.Z``), run in a temporary clone: the version
written once, the CHANGELOG section from the fragments, an sdist and a wheel that pass
``twine check`` and carry the template history, the wheel working from a fresh venv, and the
commit and tag."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from integration_support import BIN, commit_all, git, require, run, tool_env

from aiwf import __version__
from aiwf._generate.history import HISTORY_DIR, History

FRAGMENT = "Releases are cut with one command, and every wheel carries its templates' history."


def released(root: Path) -> list[str]:
    return History(root / HISTORY_DIR).versions


def next_release(root: Path) -> str:
    versions = released(root)
    if not versions:
        return __version__
    major, minor, patch = (int(p) for p in versions[-1].split(".")[:3])
    return f"{major}.{minor}.{patch + 1}"


@pytest.fixture
def clone(project_repo: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "aiwf"
    git(tmp_path, "clone", "-q", "--branch", "main", str(project_repo), str(dest))
    return dest


def nox_release(clone: Path, *args: str) -> str:
    result = run([require("nox"), "--no-venv", "-s", "release", "--", *args], clone, tool_env())
    return f"exit {result.code}\n{result.out}"


def test_release_procedure_in_a_temporary_clone(clone: Path) -> None:
    version = next_release(clone)
    before = released(clone)
    (clone / "changelog.d" / "+release-test.added.md").write_text(FRAGMENT + "\n", "utf-8")
    commit_all(clone, "a change worth a release note")
    out = nox_release(clone, version)
    assert out.startswith("exit 0"), out
    # the commit and the annotated tag
    assert git(clone, "log", "-1", "--format=%s").strip() == f"Release {version}"
    assert git(clone, "rev-parse", f"v{version}^{{commit}}") == git(clone, "rev-parse", "HEAD")
    tag_message = git(clone, "tag", "-l", "--format=%(contents)", f"v{version}")
    assert f"aiwf {version}" in tag_message
    assert "### Added" in tag_message
    assert FRAGMENT in tag_message
    # the version lives in one place; the release commit touches only what a release owns
    assert f'__version__ = "{version}"' in (clone / "aiwf/_version.py").read_text()
    assert not re.search(r"^version\s*=", (clone / "pyproject.toml").read_text(), re.M)
    changed = set(git(clone, "show", "--name-only", "--format=", "HEAD").split())
    fragments = {c for c in changed if c.startswith("changelog.d/")}
    assert "changelog.d/+release-test.added.md" in fragments
    assert changed - fragments <= {
        "aiwf/_version.py",
        "CHANGELOG.md",
        f"{HISTORY_DIR}/index.json",
        f"{HISTORY_DIR}/templates.bundle",
    }, changed
    assert [p.name for p in (clone / "changelog.d").iterdir()] == ["README.md"]
    # the CHANGELOG section, from the fragment
    changelog = (clone / "CHANGELOG.md").read_text()
    section = changelog.split(f"## {version} (", 1)[1].split("\n## ", 1)[0]
    assert f"- {FRAGMENT}\n" in section
    notes = run(
        [require("nox"), "--no-venv", "-s", "release-notes", "--", version], clone, tool_env()
    )
    assert notes.code == 0, str(notes)
    assert FRAGMENT in notes.out
    # the history gained this release; the wheel carries all of it
    assert released(clone) == [*before, version]
    wheel = clone / "dist" / f"aiwf-{version}-py3-none-any.whl"
    assert (clone / "dist" / f"aiwf-{version}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as zf:
        index = json.loads(zf.read("aiwf/_templates/copier-templates/history/index.json"))
    assert [r["version"] for r in index["releases"]] == [*before, version]
    # twine check and the fresh-venv smoke test ran (the session fails otherwise)
    assert "twine check --strict" in out
    assert "PASSED" in out
    assert "support-sdk: python SDK support_ai created" in out
    # a version never ships twice
    again = nox_release(clone, version)
    assert f"tag v{version} exists already" in again, again


def test_release_refuses_a_dirty_tree_and_no_release_notes(clone: Path) -> None:
    version = next_release(clone)
    (clone / "README.md").write_text("changed\n", encoding="utf-8")
    out = nox_release(clone, version)
    assert "the work tree has uncommitted changes" in out, out
    git(clone, "checkout", "-q", "--", "README.md")
    fragments = [f for f in (clone / "changelog.d").iterdir() if f.name != "README.md"]
    for fragment in fragments:
        fragment.unlink()
    if fragments:
        commit_all(clone, "no fragments")
    out = nox_release(clone, version)
    assert "changelog.d/ has no fragments" in out, out
    out = nox_release(clone, "1.0")
    assert "usage: nox -s release -- X.Y.Z" in out, out
    assert (BIN / "towncrier").exists(), "towncrier is needed by the release procedure"
