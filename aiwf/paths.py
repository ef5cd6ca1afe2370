"""Paths as messages show them."""

from __future__ import annotations

from pathlib import Path


def as_typed(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (messages then name
    files as the user would type them), else as it is."""
    resolved, cwd = path.resolve(), Path.cwd().resolve()
    return resolved.relative_to(cwd) if resolved.is_relative_to(cwd) else path
