"""``aiwf validate``: check specs like a compiler; silent and exit 0 when clean.

A plain ``aiwf validate`` (as pre-commit runs it) does not come here: :mod:`aiwf._entry`
runs the same :func:`aiwf._commands._spec.validate` without importing click, and hands any
other command line (``--help``, an unknown option, a bad value) to this command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands._options import diagnostic_format
from aiwf._commands._spec import validate
from aiwf._diagnostics import OutputFormat
from aiwf._errors import EXIT_FAILURE


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@diagnostic_format
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@shared_options
def command(paths: tuple[Path, ...], fmt: OutputFormat, strict: bool) -> None:
    """Check spec files or directories; print every problem as FILE:LINE:COL: error[CODE].

    With no PATHS, the spec paths of the project config are checked; a file inside a spec
    directory of the project config checks that whole spec, once (as pre-commit passes
    files). Exit status: 0 clean (warnings allowed), 1 on errors, 2 on usage errors.
    """
    result = validate(app_context(), paths, fmt, strict)
    if result.report is not None:
        click.echo(result.report)
    if result.note is not None:
        click.echo(result.note, err=True)
    if result.failed:
        sys.exit(EXIT_FAILURE)
