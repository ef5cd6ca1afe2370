"""The scaffold layer of an SDK, through copier: first copy and 3-way update.

Only this module imports copier (its import alone costs about 0.3 s), and only when an SDK is
created or upgraded; ``aiwf check`` never comes here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from aiwf.errors import AiwfError
from aiwf.generate.templates import TemplateTree

ANSWERS_FILE = ".copier-answers.yml"
#: Environment variable naming the template repository copier reads (a git URL or path).
SOURCE_ENV = "AIWF_TEMPLATE_SOURCE"
#: Environment variable naming aiwf's cache directory.
CACHE_ENV = "AIWF_CACHE_DIR"


def read_answers(sdk_dir: Path) -> dict[str, Any] | None:
    """The copier answers of the SDK in ``sdk_dir``; None when it has none."""
    path = sdk_dir / ANSWERS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, yaml.YAMLError) as exc:
        raise AiwfError(f"unreadable copier answers: {exc}", code="G030", file=str(path)) from None
    return data if isinstance(data, dict) else {}


def template_source(tree: TemplateTree, explicit: str | None = None) -> str:
    """The template repository for copier: ``explicit`` (``--template``), else
    ``$AIWF_TEMPLATE_SOURCE``, else the template tree itself when it is a git repository."""
    source = explicit or os.environ.get(SOURCE_ENV)
    if source:
        return source
    if tree.is_git_repo:
        return str(tree.root)
    return str(local_repository(tree))


def cache_dir() -> Path:
    """aiwf's cache directory: ``$AIWF_CACHE_DIR``, else ``$XDG_CACHE_HOME/aiwf``, else
    ``~/.cache/aiwf``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aiwf"


def local_repository(tree: TemplateTree) -> Path:
    """A git repository of the templates installed with aiwf (a wheel holds no git history),
    with one commit and tag per aiwf version that has used it.

    copier updates only from a git repository with version tags, so an SDK made by a
    pip-installed aiwf records this repository as its template source; a newer aiwf adds its
    own tag to the same repository, and ``aiwf upgrade`` / ``copier update`` find it there.
    """
    repo = cache_dir() / "templates"
    repo.mkdir(parents=True, exist_ok=True)
    with _locked(repo.parent / "templates.lock"):
        if not (repo / ".git").exists():
            _git(repo, "init", "-q")
        if _git(repo, "tag", "--list", tree.tag).strip():
            return repo
        for entry in repo.iterdir():
            if entry.name == ".git":
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        shutil.copy2(tree.root / "copier.yml", repo / "copier.yml")
        shutil.copytree(tree.root / "copier-templates", repo / "copier-templates")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--allow-empty", "-m", f"aiwf SDK templates {tree.tag}")
        _git(repo, "tag", tree.tag)
    return repo


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "aiwf",
        "GIT_AUTHOR_EMAIL": "aiwf@localhost",
        "GIT_COMMITTER_NAME": "aiwf",
        "GIT_COMMITTER_EMAIL": "aiwf@localhost",
    }
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False
        )
    except FileNotFoundError:
        raise AiwfError(
            "git is not installed",
            code="G031",
            hint="SDK scaffolds are managed with copier, which needs git",
        ) from None
    if proc.returncode != 0:
        raise AiwfError(
            f"git {args[0]} failed in {repo}: {proc.stderr.strip() or proc.stdout.strip()}",
            code="G031",
        )
    return proc.stdout


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (two aiwf processes filling the cache at once)."""
    with path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, the race is harmless there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def version_ref(source: str, tag: str) -> str:
    """``tag`` when the source has it; for a local repository without it (a development
    checkout), ``HEAD``."""
    path = Path(source)
    if not path.is_dir():
        return tag
    proc = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "-q", "--verify", f"refs/tags/{tag}"],
        capture_output=True,
        check=False,
    )
    return tag if proc.returncode == 0 else "HEAD"


def _copier_error(exc: Exception, action: str, sdk_dir: Path) -> AiwfError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    hint = None
    if "dirty" in message:
        hint = "commit (or stash) your changes in the SDK first: copier merges against git"
    elif "git-tracked" in message:
        hint = "the SDK must be in a git repository, and the template source a git repository"
    return AiwfError(
        f"copier {action} failed: {message}", code="G032", file=str(sdk_dir), hint=hint
    )


def copy(sdk_dir: Path, *, source: str, ref: str, data: dict[str, Any]) -> None:
    """Create the scaffold in ``sdk_dir`` with ``copier copy``."""
    import copier
    from copier.errors import DirtyLocalWarning

    try:
        with warnings.catch_warnings():
            # A development checkout with local edits: copier warns; the edits are wanted.
            warnings.simplefilter("ignore", category=DirtyLocalWarning)
            copier.run_copy(
                source,
                sdk_dir,
                data=data,
                vcs_ref=ref,
                defaults=True,
                unsafe=True,
                quiet=True,
                overwrite=True,
            )
    except Exception as exc:  # copier, git (plumbum) and OS errors alike: one clear line
        raise _copier_error(exc, "copy", sdk_dir) from None


def update(sdk_dir: Path, *, ref: str) -> None:
    """Move the scaffold in ``sdk_dir`` to ``ref`` of the template repository its answers
    name, with copier's 3-way update (inline conflict markers where the merge fails; see
    :mod:`aiwf.generate.leftovers`)."""
    import copier

    try:
        copier.run_update(
            sdk_dir,
            vcs_ref=ref,
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
            conflict="inline",
        )
    except Exception as exc:  # copier, git (plumbum) and OS errors alike: one clear line
        raise _copier_error(exc, "update", sdk_dir) from None
