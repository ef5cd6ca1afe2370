"""Leftovers of a merge in an SDK: conflict markers and ``.rej`` files.

``copier update`` can exit 0 with both left behind (copier issues 2386, 1833), so
``aiwf upgrade`` and ``aiwf check`` look for them after the fact.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Directories never scanned (tool caches, environments, VCS data).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache",
     ".ruff_cache", ".pytest_cache", ".tox", ".nox", "build", "dist"}
)  # fmt: skip
_MAX_BYTES = 2_000_000


def _has_markers(data: bytes) -> bool:
    if b"\0" in data[:8000]:
        return False  # binary
    if b"<<<<<<< " not in data or b">>>>>>> " not in data:
        return False  # no line can start with a marker (the case of nearly every file)
    lines = data.split(b"\n")
    return any(line.startswith(b"<<<<<<< ") for line in lines) and any(
        line.startswith(b">>>>>>> ") for line in lines
    )


def find_leftovers(sdk_dir: Path) -> list[str]:
    """Relative POSIX paths of ``.rej`` files and of files with conflict markers, sorted."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(sdk_dir):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        for name in filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(sdk_dir).as_posix()
            if name.endswith(".rej"):
                found.append(rel)
                continue
            try:
                if path.stat().st_size > _MAX_BYTES:
                    continue
                if _has_markers(path.read_bytes()):
                    found.append(rel)
            except OSError:
                continue
    return sorted(found)
