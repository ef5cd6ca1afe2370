"""The scaffold layer of an SDK, through copier: first copy and 3-way update.

Only this module imports copier (its import alone costs about 0.3 s), and only when an SDK is
created or upgraded; ``aiwf check`` never comes here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from aiwf.errors import AiwfError
from aiwf.generate.templates import TemplateTree

ANSWERS_FILE = ".copier-answers.yml"
#: Environment variable naming the template repository copier reads (a git URL or path).
SOURCE_ENV = "AIWF_TEMPLATE_SOURCE"


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
    raise AiwfError(
        "no template repository to create the SDK scaffold from",
        code="G031",
        hint=f"pass --template GIT-URL (the aiwf repository) or set ${SOURCE_ENV}",
    )


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

    try:
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
