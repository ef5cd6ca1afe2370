"""The two specs of a comparison: the one in the working tree, and the one to compare with,
read from a git ref (``git show REF:path``, no checkout), a directory or a file.

``--against`` is taken as a path when it names an existing file or directory, else as a git
ref (a branch, a tag, ``HEAD~1``, a commit). A directory that holds the spec at the same
path relative to the repository (an old checkout, ``git worktree add``) stands for that
spec; otherwise the directory is the old spec itself (a spec directory).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aiwf._diagnostics import Diagnostic, sort_diagnostics
from aiwf._errors import AiwfError, UsageError
from aiwf._spec import SPEC_SUFFIXES, LoadedSpec, load_spec
from aiwf._spec.loader import LoadError, SourceFile, decode, max_file_bytes, parse

#: Refs tried, in order, for the default ``--against`` (the merge base with the main branch).
MAIN_BRANCHES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


@dataclass
class Side:
    """One spec of a comparison, loaded: its files, and how to name it in messages."""

    label: str
    loaded: LoadedSpec
    #: True when there was no spec there (a spec new since the ref): everything is added.
    missing: bool = False


class Git:
    """The git repository holding a path (``git`` run in its directory)."""

    def __init__(self, path: Path) -> None:
        self.cwd = path if path.is_dir() else path.parent
        top = self.run("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise UsageError(
                f"{path} is not in a git repository, so --against cannot name a git ref",
                hint="pass --against a spec file or directory instead, or run inside the repository",
            )
        self.root = Path(top.stdout.decode().strip())
        self.cwd = self.root  # paths below are relative to the repository root

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=self.cwd, capture_output=True, check=False,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            )  # fmt: skip
        except FileNotFoundError:
            raise AiwfError(
                "git is needed to read the spec at a ref and was not found",
                code="B001",
                hint="install git, or pass --against a spec file or directory",
            ) from None
        if check and proc.returncode != 0:
            raise AiwfError(
                f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}",
                code="B001",
            )
        return proc

    def commit(self, ref: str) -> str:
        """The commit ``ref`` names; a clear error (with the fetch-depth hint in a shallow
        clone) when it names none."""
        proc = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                        check=False)  # fmt: skip
        if proc.returncode == 0:
            return proc.stdout.decode().strip()
        shallow = self.run("rev-parse", "--is-shallow-repository", check=False)
        if shallow.stdout.decode().strip() == "true":
            raise AiwfError(
                f"unknown git ref {ref!r}: this clone is shallow and does not have it",
                code="B002",
                hint="fetch the history: with actions/checkout set fetch-depth: 0, "
                "or run git fetch --unshallow (or git fetch origin BRANCH)",
            )
        raise AiwfError(
            f"unknown git ref {ref!r}",
            code="B002",
            hint="name a branch, a tag, a commit or HEAD~1 (git branch -a, git tag list them)",
        )

    def merge_base(self) -> str:
        """The merge base of HEAD with the main branch (the default ``--against``)."""
        for candidate in MAIN_BRANCHES:
            probe = self.run("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}",
                             check=False)  # fmt: skip
            if probe.returncode != 0:
                continue
            base = self.run("merge-base", "HEAD", candidate, check=False)
            if base.returncode == 0:
                return base.stdout.decode().strip()
        shallow = self.run("rev-parse", "--is-shallow-repository", check=False)
        hint = 'pass --against REF, or set against = "REF" under [breaking] in the project config'
        if shallow.stdout.decode().strip() == "true":
            hint = "this clone is shallow: with actions/checkout set fetch-depth: 0; or " + hint
        raise AiwfError(
            "no main branch to compare with (tried " + ", ".join(MAIN_BRANCHES) + ")",
            code="B002",
            hint=hint,
        )

    def relative(self, path: Path) -> str:
        """``path`` relative to the repository root (POSIX)."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            raise UsageError(f"{path} is not inside the git repository {self.root}") from None


def _load_bytes(raw: bytes, display: str, relpath: str) -> tuple[SourceFile, Diagnostic | None]:
    if len(raw) > max_file_bytes():
        problem = Diagnostic("error", "E003", "spec file is over the size limit", display)
        return SourceFile(display, relpath, None), problem
    try:
        data = parse(decode(raw, display), display)
    except LoadError as exc:
        return SourceFile(display, relpath, None), exc.diagnostic
    return SourceFile(display, relpath, data), None


def load_ref(spec: Path, ref: str, *, label: str | None = None) -> Side:
    """The spec at ``spec`` (a file or a spec directory) as it is in the git ref ``ref``;
    its files are named ``LABEL:path`` (``REF:path`` by default) in messages."""
    git = Git(spec)
    sha = git.commit(ref)
    label = label or ref
    rel = git.relative(spec)
    loaded = LoadedSpec(root=spec)
    if spec.is_dir():
        listing = git.run("ls-tree", "-r", "--name-only", "-z", sha, "--", rel + "/")
        names = sorted(
            n for n in listing.stdout.decode().split("\0")
            if n.endswith(SPEC_SUFFIXES)
            and not any(part.startswith(".") for part in n[len(rel) + 1 :].split("/")[:-1])
        )  # fmt: skip
        prefix = rel + "/"
    else:
        exists = git.run("cat-file", "-e", f"{sha}:{rel}", check=False)
        names = [rel] if exists.returncode == 0 else []
        prefix = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
    if not names:
        return Side(label, loaded, missing=True)
    for name in names:
        raw = git.run("show", f"{sha}:{name}").stdout
        file, problem = _load_bytes(raw, f"{label}:{name}", name[len(prefix) :])
        loaded.files.append(file)
        if problem is not None:
            loaded.diagnostics.append(problem)
    return Side(label, loaded)


def load_path(spec: Path, against: Path) -> Side:
    """The old spec in ``against``: the same spec in an old checkout, or a spec file or
    directory."""
    if against.is_dir():
        try:
            git = Git(spec)
            candidate = against / git.relative(spec)
        except AiwfError:
            candidate = against / spec.name
        if candidate.exists():
            against = candidate
    return Side(str(against), load_spec(against))


def load_against(spec: Path, against: str) -> Side:
    """The side ``--against`` names: a path when one exists, else a git ref."""
    path = Path(against)
    if path.exists():
        return load_path(spec, path)
    return load_ref(spec, against)


def load_merge_base(spec: Path) -> Side:
    """The spec at the merge base of HEAD with the main branch (the default ``--against``);
    its files are named by the short commit."""
    sha = Git(spec).merge_base()
    return load_ref(spec, sha, label=sha[:12])


def problems(side: Side) -> list[Diagnostic]:
    return sort_diagnostics(side.loaded.diagnostics)


__all__ = ["Git", "Side", "load_against", "load_merge_base", "load_path", "load_ref"]
