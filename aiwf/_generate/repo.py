"""The consumer's git repository, as an upgrade needs it.

``copier update`` merges against git: it refuses an SDK with uncommitted changes, and it
snapshots the whole index with ``git write-tree``, which fails while any file is unmerged.
After a conflicting update copier leaves the conflicted files unmerged, so upgrading several
SDKs in one go needs the index put back in order between them (:meth:`Repo.park_unmerged`,
:meth:`Repo.restore_unmerged`), and an SDK whose update failed put back as it was
(:meth:`Repo.restore`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from aiwf._errors import AiwfError


class Repo:
    """A git work tree (its top directory)."""

    def __init__(self, top: Path) -> None:
        self.top = top

    @classmethod
    def containing(cls, path: Path) -> Repo | None:
        """The repository ``path`` is in; None when it is in none (or git is missing)."""
        try:
            proc = subprocess.run(
                ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError:
            return None
        return cls(Path(proc.stdout.strip())) if proc.returncode == 0 else None

    def git(self, *args: str, stdin: str | None = None) -> str:
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
        proc = subprocess.run(
            ["git", "-C", str(self.top), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise AiwfError(
                f"git {args[0]} failed in {self.top}: {proc.stderr.strip() or proc.stdout.strip()}",
                code="G031",
            )
        return proc.stdout

    def rel(self, path: Path) -> str:
        """``path`` relative to the top (POSIX), as git pathspecs want it."""
        return Path(os.path.relpath(path.resolve(), self.top.resolve())).as_posix()

    def changes(self, path: Path) -> list[str]:
        """``git status --porcelain`` lines below ``path`` (untracked files included)."""
        return self.git("status", "--porcelain", "--", self.rel(path)).splitlines()

    def unmerged(self, path: Path | None = None) -> list[str]:
        """The unmerged index entries (``mode sha stage\\tpath``) below ``path`` (or all)."""
        spec = ["--", self.rel(path)] if path is not None else []
        out = self.git("ls-files", "-u", "-z", *spec)
        return [entry for entry in out.split("\0") if entry]

    def park_unmerged(self, path: Path) -> list[str]:
        """Set the unmerged entries below ``path`` back to ``HEAD`` in the index (the files
        keep their conflict markers) and return them for :meth:`restore_unmerged`."""
        entries = self.unmerged(path)
        paths = sorted({entry.split("\t", 1)[1] for entry in entries})
        if paths:
            self.git("reset", "-q", "--", *paths)
        return entries

    def restore_unmerged(self, entries: list[str]) -> None:
        """Mark files unmerged again (as copier left them) from :meth:`park_unmerged`."""
        if not entries:
            return
        paths = sorted({entry.split("\t", 1)[1] for entry in entries})
        lines = [f"0 {'0' * 40}\t{path}" for path in paths] + entries
        self.git("update-index", "-z", "--index-info", stdin="\0".join(lines) + "\0")

    def ignored(self, path: Path) -> set[str]:
        """The ignored files and directories below ``path`` (directories collapsed)."""
        out = self.git(
            "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z", "--",
            self.rel(path),
        )  # fmt: skip
        return {entry for entry in out.split("\0") if entry}

    def restore(self, path: Path, ignored_before: set[str]) -> None:
        """Put ``path`` back as it is in ``HEAD``: tracked files restored, files the failed
        update created removed (untracked ones, and ignored ones that were not there)."""
        rel = self.rel(path)
        self.git("checkout", "-q", "HEAD", "--", rel)
        self.git("clean", "-fdq", "--", rel)
        for entry in sorted(self.ignored(path) - ignored_before, reverse=True):
            target = self.top / entry
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
