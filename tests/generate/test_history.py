"""The template history: releases recorded once and never changed, dev versions for trees
that differ from their release, the complete history a wheel carries, and the bare
repository copier reads."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiwf._generate.history import (
    HISTORY_DIR,
    History,
    HistoryError,
    build_repository,
    git,
    record_release,
    tree_digest,
    tree_files,
    write_complete,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A template tree: this project's copier.yml and copier-templates, no history."""
    dest = tmp_path / "tree"
    dest.mkdir()
    shutil.copy2(ROOT / "copier.yml", dest / "copier.yml")
    shutil.copytree(
        ROOT / "copier-templates",
        dest / "copier-templates",
        ignore=shutil.ignore_patterns("history"),
    )
    return dest


def tags(repo: Path) -> list[str]:
    return sorted(git(repo, "tag", "--list").split())


def files_at(repo: Path, ref: str) -> list[str]:
    return sorted(git(repo, "ls-tree", "-r", "--name-only", "-z", ref).split("\0")[:-1])


def test_the_history_holds_exactly_the_scaffold_and_migrations(tree: Path) -> None:
    paths = [f.path for f in tree_files(tree)]
    assert "copier.yml" in paths
    assert "copier-templates/python/scaffold/pyproject.toml.jinja" in paths
    assert "copier-templates/go/migrations/README.md" in paths
    assert not [p for p in paths if "/generated/" in p or p.startswith(HISTORY_DIR)]
    # the generated layer does not change the template version; the scaffold does
    before = tree_digest(tree_files(tree))
    (tree / "copier-templates/python/generated/new.py.jinja").write_text("x\n")
    assert tree_digest(tree_files(tree)) == before
    (tree / "copier-templates/python/scaffold/README.md.jinja").write_text("changed\n")
    assert tree_digest(tree_files(tree)) != before


def test_releases_are_recorded_once_and_never_change(tree: Path) -> None:
    first = record_release(tree, "0.1.0")
    assert record_release(tree, "0.1.0") == first  # the same files again: nothing to do
    history = History(tree / HISTORY_DIR)
    assert history.versions == ["0.1.0"]
    assert history.template_version("0.1.0", first.digest) == "0.1.0"
    readme = tree / "copier-templates/python/scaffold/README.md.jinja"
    readme.write_text(readme.read_text() + "\nmore\n")
    with pytest.raises(HistoryError, match="already in the history with other template files"):
        record_release(tree, "0.1.0")
    with pytest.raises(HistoryError, match=r"not newer than the last release 0\.1\.0"):
        record_release(tree, "0.0.9")
    with pytest.raises(HistoryError, match=r"a release version is X\.Y\.Z"):
        record_release(tree, "0.2")
    second = record_release(tree, "0.2.0")
    assert History(tree / HISTORY_DIR).versions == ["0.1.0", "0.2.0"]
    repo, version = build_repository(tree, tree.parent / "repo.git", "0.2.0")
    assert version == "0.2.0"
    assert tags(repo) == ["v0.1.0", "v0.2.0"]
    # each tag holds that release's files, nothing else
    assert "more" not in git(
        repo, "show", "v0.1.0:copier-templates/python/scaffold/README.md.jinja"
    )
    assert "more" in git(repo, "show", "v0.2.0:copier-templates/python/scaffold/README.md.jinja")
    assert files_at(repo, "v0.2.0") == sorted(f.path for f in tree_files(tree))
    assert second.digest != first.digest


def test_a_tree_that_differs_from_its_release_is_a_dev_version(tree: Path) -> None:
    release = record_release(tree, "0.1.0")
    readme = tree / "copier-templates/go/scaffold/README.md.jinja"
    readme.write_text(readme.read_text() + "\nunreleased\n")
    digest = tree_digest(tree_files(tree))
    version = History(tree / HISTORY_DIR).template_version("0.1.0", digest)
    assert version == f"0.1.0+dev.{digest.split(':')[1][:12]}"
    repo, built = build_repository(tree, tree.parent / "repo.git", "0.1.0")
    assert built == version
    assert tags(repo) == sorted(["v0.1.0", f"v{version}"])
    assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", f"v{version}^{{commit}}")
    # the release itself is untouched
    assert release.digest != digest
    assert "unreleased" not in git(
        repo, "show", "v0.1.0:copier-templates/go/scaffold/README.md.jinja"
    )


def test_a_wheel_carries_the_releases_and_its_own_version(tree: Path, tmp_path: Path) -> None:
    record_release(tree, "0.1.0")
    out = tmp_path / "wheel-history"
    assert write_complete(tree, "0.2.0", out) == "0.2.0"
    complete = History(out)
    assert complete.versions == ["0.1.0", "0.2.0"]
    heads = subprocess.run(
        ["git", "bundle", "list-heads", str(out / "templates.bundle")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert sorted(line.split()[1] for line in heads.splitlines()) == [
        "refs/tags/v0.1.0",
        "refs/tags/v0.2.0",
    ]
    # a release build carries the committed history as it is
    release_out = tmp_path / "release-history"
    assert write_complete(tree, "0.1.0", release_out) == "0.1.0"
    assert History(release_out).versions == ["0.1.0"]


def test_a_broken_history_is_a_clear_error(tree: Path) -> None:
    record_release(tree, "0.1.0")
    (tree / HISTORY_DIR / "templates.bundle").unlink()
    with pytest.raises(HistoryError, match=r"templates\.bundle is missing"):
        build_repository(tree, tree.parent / "repo.git", "0.2.0")
    (tree / HISTORY_DIR / "index.json").write_text("{not json")
    with pytest.raises(HistoryError, match="unreadable template history"):
        History(tree / HISTORY_DIR)
    (tree / HISTORY_DIR / "index.json").write_text('{"format": 9, "releases": []}')
    with pytest.raises(HistoryError, match="format 9 is not supported"):
        History(tree / HISTORY_DIR)


def test_commits_are_reproducible(tree: Path, tmp_path: Path) -> None:
    one, _ = build_repository(tree, tmp_path / "one.git", "0.1.0")
    two, _ = build_repository(tree, tmp_path / "two.git", "0.1.0")
    assert git(one, "rev-parse", "v0.1.0") == git(two, "rev-parse", "v0.1.0")


def test_the_history_module_loads_with_the_standard_library_alone(tmp_path: Path) -> None:
    """hatch_build.py loads history.py by path while building the wheel, before aiwf is
    installed: it must not import aiwf (or anything outside the standard library)."""
    path = Path(__file__).resolve().parents[2] / "aiwf" / "_generate" / "history.py"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('_history', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules[spec.name] = module\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(m for m in sys.modules if m.startswith('aiwf')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
