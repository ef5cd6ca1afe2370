"""What the spec-reading commands share: resolving spec paths and compiling them."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiwf._api import compile_with
from aiwf._context import AppContext
from aiwf._diagnostics import Diagnostic, OutputFormat, render
from aiwf._errors import EXIT_FAILURE, UsageError
from aiwf._ir._dc import dataclass
from aiwf._ir.compiler import CompileResult
from aiwf._ir.model import Program
from aiwf._paths import as_typed, repository_root

__all__ = [
    "Compiled",
    "Validation",
    "as_typed",
    "compile_spec",
    "program_or_exit",
    "spec_path",
    "spec_paths",
    "validate",
]


@dataclass
class Compiled:
    """A compiled spec and every diagnostic found while loading and compiling it."""

    path: Path
    result: CompileResult
    diagnostics: list[Diagnostic]


def spec_paths(app: AppContext, paths: tuple[Path, ...]) -> list[Path]:
    """The spec paths given on the command line, else those of the project config.

    A given file that lies inside a spec *directory* of the project config stands for that
    directory (each spec once): one file of a multi-file spec does not compile without its
    siblings, and pre-commit passes the changed files one by one.
    """
    if paths:
        return _owning_specs(app, paths)
    configured = app.config.spec_paths()
    if not configured:
        raise UsageError(
            "no spec path given and none configured",
            hint='pass a spec file or directory, or set spec = "..." under [tool.aiwf]',
        )
    return configured


def spec_path(app: AppContext, given: Path | None) -> Path:
    """The one spec a command runs or draws: SPEC when given, else the project config's
    ``spec`` (when it names exactly one)."""
    if given is not None:
        return given
    configured = app.config.spec_paths()
    if len(configured) == 1:
        return as_typed(configured[0])
    if not configured:
        raise UsageError(
            "no spec given and none configured",
            hint='pass SPEC, or set spec = "..." in aiwf.toml ([tool.aiwf] in pyproject.toml)',
        )
    names = ", ".join(str(as_typed(p)) for p in configured)
    raise UsageError(
        f"the project config names {len(configured)} specs ({names})",
        hint="pass the one to use as SPEC",
    )


def _owning_specs(app: AppContext, paths: tuple[Path, ...]) -> list[Path]:
    # Deepest directory first, so a nested configured spec wins over one that holds it.
    directories = sorted(
        (d for d in app.config.spec_paths() if d.is_dir()),
        key=lambda d: len(d.resolve().parts),
        reverse=True,
    )
    chosen: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        spec = path
        if directories and path.is_file():
            resolved = path.resolve()
            owner = next((d for d in directories if resolved.is_relative_to(d.resolve())), None)
            if owner is not None:
                spec = as_typed(owner)
        key = spec.resolve()
        if key not in seen:
            seen.add(key)
            chosen.append(spec)
    return chosen


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


_SELECTED = "<selected>"


def compile_spec(app: AppContext, path: Path, *, env: str | None = _SELECTED) -> Compiled:
    """Load and compile one spec with an environment's model overrides: the selected one
    (``--env``, ``$AIWF_ENV``, ``default_env``) unless ``env`` names another, or none when
    ``env`` is None. Diagnostics name files relative to the repository root
    (:func:`aiwf._paths.repository_root`)."""
    config = app.config
    name = config.env if env == _SELECTED else env
    root = repository_root(config.source.parent if config.source else None)
    with _without_gc():
        result, diagnostics = compile_with(path, config, name, shown_from=root)
    return Compiled(path, result, diagnostics)


def program_or_exit(app: AppContext, path: Path) -> Program:
    """Compile the spec at ``path`` for a command that needs its program: diagnostics go to
    stderr (warnings too, unless ``-q``), and errors end the command with exit 1."""
    import click

    compiled = compile_spec(app, path)
    program = compiled.result.program
    if compiled.diagnostics and (program is None or app.verbosity >= 0):
        click.echo(render(compiled.diagnostics, "text", color=sys.stderr.isatty()), err=True)
    if program is None:
        sys.exit(EXIT_FAILURE)
    return program


@dataclass(frozen=True)
class Validation:
    """What ``aiwf validate`` prints and how it ends: ``report`` for stdout (None: nothing),
    ``note`` for stderr (None: nothing) and whether the command fails (exit 1)."""

    report: str | None
    note: str | None
    failed: bool


def validate(
    app: AppContext, paths: tuple[Path, ...], fmt: OutputFormat, strict: bool
) -> Validation:
    """``aiwf validate PATHS --format FMT [--strict]``: every spec compiled, its diagnostics
    rendered (only errors under ``-q``; colour when stdout is a terminal), and whether an
    error (or, with ``strict``, any diagnostic) fails the command. Click-free: the command
    and :mod:`aiwf._entry`'s fast path both print what this returns."""
    diagnostics: list[Diagnostic] = []
    for path in spec_paths(app, paths):
        diagnostics.extend(compile_spec(app, path).diagnostics)
    failed = any(d.is_error or strict for d in diagnostics)
    shown = [d for d in diagnostics if d.is_error] if app.verbosity < 0 else diagnostics
    report = None
    if fmt == "json":
        report = render(shown, "json")
    elif shown:
        report = render(shown, fmt, color=fmt == "text" and sys.stdout.isatty())
    note = "ok" if fmt == "text" and app.verbosity > 0 and not failed else None
    return Validation(report, note, failed)
