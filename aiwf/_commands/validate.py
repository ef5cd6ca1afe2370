"""``aiwf validate``: check specs like a compiler; silent and exit 0 when clean."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands._options import diagnostic_format
from aiwf._commands._spec import compile_spec, spec_paths
from aiwf._diagnostics import Diagnostic, render
from aiwf._errors import EXIT_FAILURE


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@diagnostic_format
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@shared_options
def command(paths: tuple[Path, ...], fmt: str, strict: bool) -> None:
    """Check spec files or directories; print every problem as FILE:LINE:COL: error[CODE].

    With no PATHS, the spec paths of the project config are checked; a file inside a spec
    directory of the project config checks that whole spec, once (as pre-commit passes
    files). Exit status: 0 clean (warnings allowed), 1 on errors, 2 on usage errors.
    """
    app = app_context()
    diagnostics: list[Diagnostic] = []
    for path in spec_paths(app, paths):
        diagnostics.extend(compile_spec(app, path).diagnostics)
    failed = any(d.is_error or strict for d in diagnostics)
    shown = [d for d in diagnostics if d.is_error] if app.verbosity < 0 else diagnostics
    if fmt == "json":
        click.echo(render(shown, "json"))
    elif shown:
        color = fmt == "text" and sys.stdout.isatty()
        click.echo(render(shown, fmt, color=color))  # type: ignore[arg-type]
    if fmt == "text" and app.verbosity > 0 and not failed:
        click.echo("ok", err=True)
    if failed:
        sys.exit(EXIT_FAILURE)
