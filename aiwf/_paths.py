"""Paths as messages show them.

Diagnostics name files relative to the *repository root*, the same from any working
directory and in every output format (GitHub annotations need paths relative to the
checkout). The repository root is the top of the git work tree that holds the working
directory (the nearest directory at or above it with a ``.git`` entry; git itself is not
run); outside git, the directory of the project config; with no config either, the working
directory. A file outside the root is named as it was given.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


def as_typed(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (messages then name
    files as the user would type them), else as it is."""
    resolved, cwd = path.resolve(), Path.cwd().resolve()
    return resolved.relative_to(cwd) if resolved.is_relative_to(cwd) else path


@cache
def git_top(start: Path) -> Path | None:
    """The top of the git work tree that holds ``start`` (a resolved directory), if any."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def repository_root(config_dir: Path | None = None, cwd: Path | None = None) -> Path:
    """The directory diagnostics name files relative to (see the module docstring)."""
    here = (cwd or Path.cwd()).resolve()
    top = git_top(here)
    if top is not None:
        return top
    return config_dir.resolve() if config_dir is not None else here


def shown_path(path: Path, root: Path | None = None) -> Path:
    """``path`` relative to ``root`` (default: :func:`repository_root`) when it is below it,
    else as given."""
    base = root if root is not None else repository_root(path.parent)
    resolved = path.resolve()
    return resolved.relative_to(base) if resolved.is_relative_to(base) else path
