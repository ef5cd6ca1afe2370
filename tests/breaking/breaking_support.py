"""Helpers for the ``aiwf breaking`` tests: spec pairs on disk, the ``# <-`` markers, git
repositories with history."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cases import Case, case_spec
from sdkgen_support import commit_all as commit
from sdkgen_support import git
from spec_support import Run, run_cli

__all__ = ["breaking", "breaking_json", "commit", "git", "marker", "write_pair"]

_MARKER = re.compile(r"#\s*<-\s*(\S+)?\s*$")


def write_pair(tmp: Path, case: Case) -> tuple[Path, Path]:
    """The old and the new spec of ``case`` as files in ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    old, new = tmp / "old.aiwf.yaml", tmp / "new.aiwf.yaml"
    old.write_text(case_spec(case, "old"), encoding="utf-8")
    new.write_text(case_spec(case, "new"), encoding="utf-8")
    return old, new


def marker(text: str) -> tuple[int, int] | None:
    """The (line, column) a ``# <-`` comment marks: its line's first token (after ``- ``
    for a list item), or the token named after the arrow (``# <- model``)."""
    for number, line in enumerate(text.splitlines(), 1):
        found = _MARKER.search(line)
        if found is None:
            continue
        token = found.group(1)
        if token:
            return number, line.index(token) + 1
        stripped = line.lstrip()
        column = len(line) - len(stripped) + 1
        if stripped.startswith("- "):
            column += 2
        return number, column
    return None


def breaking(*args: str) -> Run:
    return run_cli("breaking", *args)


def breaking_json(*args: str) -> tuple[int, list[dict[str, Any]]]:
    run = breaking("--format", "json", *args)
    assert run.code in (0, 1), run.out + run.err
    return run.code, json.loads(run.out)
