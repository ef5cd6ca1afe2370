"""The history of the SDK scaffold templates: one git tag per released template version.

``copier update`` re-renders the template at the version an SDK was made with, so every aiwf
must carry every earlier released version of the scaffold, not just its own. The released
versions live in the repository at ``copier-templates/history/``:

- ``templates.bundle``: a git bundle with one commit and one tag (``vX.Y.Z``) per release,
  each commit holding the template files of that release (:data:`TEMPLATE_PATHS`);
- ``index.json``: the released versions with the digest of their template files, so the
  version of a tree is known without running git.

The release procedure adds the new version to both (:func:`record_release`); a wheel build
writes the complete history, the tree's own version included, into the wheel
(:func:`write_complete`); at run time :func:`build_repository` turns a history into a bare git
repository that copier reads as if it were the project's public repository.

A tree whose template files differ from the release of the same version (a development
checkout after a release) is its own version, ``X.Y.Z+dev.<digest>``: it never passes for the
release, and an SDK it made says so.

This module uses the standard library only: the build hook (``hatch_build.py``) loads it by
path, before aiwf is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass  # stdlib only: hatch_build.py loads this module on its own
from pathlib import Path

#: Where the history lives, relative to a template tree's root.
HISTORY_DIR = "copier-templates/history"
BUNDLE = "templates.bundle"
INDEX = "index.json"
INDEX_FORMAT = 1

#: The files of a tree that make up a template version (what copier reads): the root
#: ``copier.yml`` and each target's scaffold and migrations. The generated layer is rendered
#: by aiwf from its own installed tree, never from the history.
TEMPLATE_PATHS = ("copier.yml", "copier-templates/*/scaffold", "copier-templates/*/migrations")
_SKIP = {"__pycache__", ".DS_Store"}
_SKIP_SUFFIXES = (".pyc", ".pyo")

#: Commits in the history are reproducible: same files and version, same commit id.
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "aiwf",
    "GIT_AUTHOR_EMAIL": "aiwf@localhost",
    "GIT_COMMITTER_NAME": "aiwf",
    "GIT_COMMITTER_EMAIL": "aiwf@localhost",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}
_DEV = re.compile(r"\+dev\.[0-9a-f]+$")


class HistoryError(Exception):
    """The history is unusable (git missing or failing, a broken index, a conflict)."""


@dataclass(frozen=True)
class TreeFile:
    """One template file: its path relative to the tree root, bytes and executable bit."""

    path: str
    data: bytes
    executable: bool


@dataclass(frozen=True)
class Release:
    """A released template version and the digest of its template files."""

    version: str
    digest: str

    @property
    def tag(self) -> str:
        return "v" + self.version


def tree_files(root: Path) -> list[TreeFile]:
    """The template files of the tree at ``root`` (:data:`TEMPLATE_PATHS`), sorted by path."""
    found: dict[str, TreeFile] = {}
    for pattern in TEMPLATE_PATHS:
        for base in sorted(root.glob(pattern)):
            candidates = [base] if base.is_file() else sorted(base.rglob("*"))
            for path in candidates:
                rel = path.relative_to(root)
                if not path.is_file() or _SKIP & set(rel.parts):
                    continue
                if path.name.endswith(_SKIP_SUFFIXES):
                    continue
                found[rel.as_posix()] = TreeFile(
                    rel.as_posix(), path.read_bytes(), os.access(path, os.X_OK)
                )
    return [found[key] for key in sorted(found)]


def tree_digest(files: Iterable[TreeFile]) -> str:
    """A digest of template files: paths, executable bits and contents."""
    h = hashlib.sha256()
    for f in files:
        mode = "x" if f.executable else "-"
        h.update(f"{f.path}\0{mode}\0{hashlib.sha256(f.data).hexdigest()}\n".encode())
    return "sha256:" + h.hexdigest()


def dev_version(version: str, digest: str) -> str:
    """The version of a tree whose templates differ from the release ``version``."""
    return f"{version}+dev.{digest.split(':', 1)[-1][:12]}"


def is_dev_version(version: str) -> bool:
    return bool(_DEV.search(version))


class History:
    """The released template versions in a history directory (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.releases = self._read_index()

    @property
    def bundle(self) -> Path:
        return self.directory / BUNDLE

    @property
    def index(self) -> Path:
        return self.directory / INDEX

    def find(self, version: str) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)

    @property
    def versions(self) -> list[str]:
        return [r.version for r in self.releases]

    def template_version(self, version: str, digest: str) -> str:
        """The template version of a tree of aiwf ``version`` whose files have ``digest``."""
        release = self.find(version)
        if release is None or release.digest == digest:
            return version
        return dev_version(version, digest)

    def _read_index(self) -> list[Release]:
        try:
            data = json.loads(self.index.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise HistoryError(f"{self.index}: unreadable template history: {exc}") from None
        try:
            if data["format"] != INDEX_FORMAT:
                raise HistoryError(
                    f"{self.index}: template history format {data['format']!r} is not "
                    f"supported (this aiwf reads format {INDEX_FORMAT})"
                )
            return [Release(str(r["version"]), str(r["digest"])) for r in data["releases"]]
        except (KeyError, TypeError) as exc:
            raise HistoryError(f"{self.index}: malformed template history ({exc})") from None

    def write_index(self, releases: list[Release]) -> None:
        data = {
            "format": INDEX_FORMAT,
            "comment": "Released SDK template versions, written by the release procedure "
            "(docs/releasing.md); the commits are in templates.bundle.",
            "releases": [{"version": r.version, "digest": r.digest} for r in releases],
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        self.index.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        self.releases = list(releases)


# -- git ------------------------------------------------------------------------------------


def git(
    repo: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    """``git --git-dir=REPO ARGS`` (a bare repository), its stdout."""
    import subprocess  # not on aiwf check's path, which reads no history

    full_env = {**os.environ, **_GIT_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    try:
        proc = subprocess.run(
            ["git", f"--git-dir={repo}", *args],
            input=stdin,
            capture_output=True,
            env=full_env,
            check=False,
        )
    except FileNotFoundError:
        raise HistoryError("git is not installed (copier needs it for SDK scaffolds)") from None
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip() or f"exit {proc.returncode}"
        raise HistoryError(f"git {args[0]} failed: {message}")
    return proc.stdout.decode()


def _commit_tree(repo: Path, files: list[TreeFile], message: str, parent: str | None) -> str:
    """A commit in ``repo`` holding exactly ``files``; its id."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="aiwf-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        lines = []
        for f in files:
            blob = git(repo, "hash-object", "-w", "--stdin", stdin=f.data).strip()
            mode = "100755" if f.executable else "100644"
            lines.append(f"{mode} {blob}\t{f.path}")
        git(repo, "update-index", "--index-info", stdin=("\n".join(lines) + "\n").encode(), env=env)
        tree = git(repo, "write-tree", env=env).strip()
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    return git(repo, *args).strip()


def _init(repo: Path, history: History) -> str | None:
    """A bare repository at ``repo`` with the releases of ``history``; the newest release's
    commit (None when there are none)."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "--bare")
    if not history.releases:
        return None
    if not history.bundle.is_file():
        raise HistoryError(f"{history.bundle} is missing (the index lists releases)")
    git(repo, "fetch", "-q", str(history.bundle), "refs/tags/*:refs/tags/*")
    tags = set(git(repo, "tag", "--list").split())
    missing = [r.tag for r in history.releases if r.tag not in tags]
    if missing:
        raise HistoryError(f"{history.bundle} lacks the release tag(s) {', '.join(missing)}")
    return git(repo, "rev-parse", history.releases[-1].tag + "^{commit}").strip()


def build_repository(root: Path, dest: Path, version: str) -> tuple[Path, str]:
    """A bare git repository at ``dest`` with one tag per released template version of the
    tree at ``root`` and one for the tree itself when it is not a release; returns the
    repository and the tree's template version."""
    history = History(root / HISTORY_DIR)
    files = tree_files(root)
    template_version = history.template_version(version, tree_digest(files))
    head = _init(dest, history)
    if history.find(template_version) is None:
        head = _commit_tree(dest, files, f"aiwf SDK templates v{template_version}", head)
        git(dest, "tag", "v" + template_version, head)
    if head is not None:
        git(dest, "update-ref", "refs/heads/main", head)
        git(dest, "symbolic-ref", "HEAD", "refs/heads/main")
    return dest, template_version


def _check_order(history: History, version: str) -> None:
    newest = history.releases[-1].version if history.releases else None
    if newest is not None and _key(version) <= _key(newest):
        raise HistoryError(
            f"version {version} is not newer than the last release {newest} in the history"
        )


def _key(version: str) -> tuple[int, ...]:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise HistoryError(f"not a release version: {version!r}")
    return tuple(int(g) for g in match.groups())


def record_release(root: Path, version: str) -> Release:
    """Add the templates of the tree at ``root`` to its history as release ``version`` (the
    release procedure); already there with the same files: nothing to do."""
    import tempfile

    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise HistoryError(f"a release version is X.Y.Z, not {version!r}")
    history = History(root / HISTORY_DIR)
    files = tree_files(root)
    digest = tree_digest(files)
    known = history.find(version)
    if known is not None:
        if known.digest != digest:
            raise HistoryError(
                f"release {version} is already in the history with other template files; "
                "a released version never changes: release a new version"
            )
        return known
    _check_order(history, version)
    release = Release(version, digest)
    with tempfile.TemporaryDirectory(prefix="aiwf-history-") as tmp:
        repo = Path(tmp) / "history.git"
        head = _init(repo, history)
        commit = _commit_tree(repo, files, f"aiwf SDK templates {release.tag}", head)
        git(repo, "tag", release.tag, commit)
        history.directory.mkdir(parents=True, exist_ok=True)
        partial = history.bundle.with_suffix(".partial")
        git(repo, "bundle", "create", "-q", str(partial), "--tags")
        os.replace(partial, history.bundle)
    history.write_index([*history.releases, release])
    return release


def write_complete(root: Path, version: str, out: Path) -> str:
    """Write the complete history of the tree at ``root`` (its releases and, when it is not a
    release, the tree itself as ``version`` or its dev version) to the directory ``out``: what
    a wheel carries. Returns the tree's template version."""
    import shutil
    import tempfile

    history = History(root / HISTORY_DIR)
    files = tree_files(root)
    digest = tree_digest(files)
    template_version = history.template_version(version, digest)
    if history.find(template_version) is not None:
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(history.bundle, out / BUNDLE)
        shutil.copy2(history.index, out / INDEX)
        return template_version
    if not is_dev_version(template_version):
        _check_order(history, template_version)
    with tempfile.TemporaryDirectory(prefix="aiwf-history-") as tmp:
        repo, _ = build_repository(root, Path(tmp) / "history.git", version)
        out.mkdir(parents=True, exist_ok=True)
        git(repo, "bundle", "create", "-q", str(out / BUNDLE), "--tags")
    complete = History(out)
    complete.write_index([*history.releases, Release(template_version, digest)])
    return template_version


def main(argv: list[str] | None = None) -> int:
    """``python -m aiwf._generate.history``: the release procedure's entry point."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m aiwf._generate.history", description="The SDK template history."
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the template tree")
    sub = parser.add_subparsers(dest="action", required=True)
    record = sub.add_parser("record", help="add the tree's templates as release VERSION")
    record.add_argument("version")
    sub.add_parser("list", help="the released versions and their digests")
    args = parser.parse_args(argv)
    try:
        if args.action == "record":
            release = record_release(args.root, args.version)
            print(f"{release.tag} {release.digest}")
        else:
            for release in History(args.root / HISTORY_DIR).releases:
                print(f"{release.tag} {release.digest}")
    except HistoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
