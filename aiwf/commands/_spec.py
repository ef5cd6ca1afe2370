"""What the spec-reading commands share: resolving spec paths and compiling them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiwf.cli import AppContext
from aiwf.diagnostics import Diagnostic, sort_diagnostics
from aiwf.errors import UsageError
from aiwf.ir.compiler import CompileResult, compile_files
from aiwf.spec import load_spec


@dataclass
class Compiled:
    """A compiled spec and every diagnostic found while loading and compiling it."""

    path: Path
    result: CompileResult
    diagnostics: list[Diagnostic]


def spec_paths(app: AppContext, paths: tuple[Path, ...]) -> list[Path]:
    """The spec paths given on the command line, else those of the project config."""
    if paths:
        return list(paths)
    configured = app.config.spec_paths()
    if not configured:
        raise UsageError(
            "no spec path given and none configured",
            hint='pass a spec file or directory, or set spec = "..." under [tool.aiwf]',
        )
    return configured


@contextmanager
def _without_gc() -> Iterator[None]:
    """Loading and compiling allocate many long-lived objects and make no garbage cycles
    worth collecting; the cyclic collector would only rescan them (a third of the time on
    large specs)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compile_spec(app: AppContext, path: Path) -> Compiled:
    """Load and compile one spec with the selected environment's model overrides."""
    config = app.config
    with _without_gc():
        loaded = load_spec(path)
        result = compile_files(
            loaded.files,
            model_overrides=config.model_overrides,
            overrides_source=str(config.source) if config.source else None,
            env=config.env,
        )
    diagnostics = sort_diagnostics([*loaded.diagnostics, *result.diagnostics])
    if loaded.diagnostics:
        result = CompileResult(None, diagnostics)
    return Compiled(path, result, diagnostics)
