"""Formatting generated code with the formatter of each language, found robustly.

Python files go through ``ruff format`` with fixed settings (``--isolated``: the consumer's
own ruff config never changes what aiwf writes), so the output is the same everywhere; what
ruff made of a file is kept in the format cache (:mod:`aiwf._generate.cache`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from aiwf._errors import AiwfError

if TYPE_CHECKING:
    from aiwf._generate.cache import FormatCache

RUFF_SETTINGS = ("--config", "line-length=100", "--config", 'target-version="py310"')


@cache
def find_ruff() -> list[str]:
    """The command that runs ruff: the binary next to this Python, the one the ``ruff``
    package ships, one on PATH, else ``python -m ruff``."""
    exe_dir = Path(sys.executable).parent
    for name in ("ruff", "ruff.exe"):
        candidate = exe_dir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped, unused-ignore]

        return [str(find_ruff_bin())]
    except (ImportError, FileNotFoundError):
        pass
    import shutil

    found = shutil.which("ruff")
    if found:
        return [found]
    raise AiwfError(
        "ruff is needed to format the generated Python code and was not found",
        code="G010",
        hint="pip install ruff (in the environment aiwf runs from)",
    )


def format_files(
    files: dict[str, str],
    suffix: str,
    tool: str,
    commands: Callable[[], list[list[str]]],
    *,
    cached: bool = False,
) -> dict[str, str]:
    """``files`` (relative path -> text) with every file ending in ``suffix`` as the
    formatter ``tool`` leaves it: those files are written to a temporary directory and
    ``commands()`` (asked for only when there is such a file) run there one after the
    other; a command that fails is a bug in aiwf's templates (``G011``).

    With ``cached``, files found in the format cache (:mod:`aiwf._generate.cache`) are not
    formatted again, and when all are found no command runs. The others are formatted in
    the same layout (a file found in the cache is written as an empty file, so the
    formatter sees the same paths, and its output for it is not used)."""
    chosen = {path: text for path, text in files.items() if path.endswith(suffix)}
    if not chosen:
        return dict(files)
    run = commands()
    cache = _cache(run, list(chosen)) if cached else None
    out = dict(files)
    missed = dict(chosen)
    if cache is not None:
        for path, text in chosen.items():
            hit = cache.get(path, text)
            if hit is not None:
                out[path] = hit
                del missed[path]
    if not missed:
        return out
    formatted = _run(chosen, missed, tool, run)
    out.update(formatted)
    if cache is not None:
        cache.put({(path, text): formatted[path] for path, text in missed.items()})
    return out


def _cache(run: list[list[str]], paths: list[str]) -> FormatCache | None:
    from aiwf._generate.cache import FormatCache, tool_identity

    binaries = [tool_identity(binary) for binary in sorted({command[0] for command in run})]
    if not all(binaries):
        return None
    return FormatCache.default(repr((binaries, run)), paths)


def _run(
    chosen: dict[str, str], missed: dict[str, str], tool: str, run: list[list[str]]
) -> dict[str, str]:
    """The files of ``missed`` formatted by ``run`` in the layout of ``chosen``."""
    import subprocess  # aiwf check of an SDK in step formats nothing
    import tempfile

    with tempfile.TemporaryDirectory(prefix="aiwf-fmt-") as tmp:
        root = Path(tmp)
        for path in chosen:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(missed[path].encode("utf-8") if path in missed else b"")
        for command in run:
            proc = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise AiwfError(
                    f"{tool} could not format the generated code: {proc.stderr.strip()}",
                    code="G011",
                    hint="this is a bug in aiwf's templates; please report it with the spec",
                )
        return {path: (root / path).read_bytes().decode("utf-8") for path in missed}


def _ruff_commands() -> list[list[str]]:
    # Imports sorted and unused ones dropped (templates import generously), then format.
    fix = [*find_ruff(), "check", "--isolated", "--quiet", *RUFF_SETTINGS, "--no-cache"]
    fix += ["--select", "I,F401,RUF022,RUF036", "--fix-only", "--exit-zero", "."]
    fmt = [*find_ruff(), "format", "--isolated", "--quiet", *RUFF_SETTINGS, "--no-cache", "."]
    return [fix, fmt]


def ruff_format(files: dict[str, str]) -> dict[str, str]:
    """``files`` (relative path -> text) with every ``.py`` file formatted by ruff (through
    the format cache)."""
    return format_files(files, ".py", "ruff", _ruff_commands, cached=True)
