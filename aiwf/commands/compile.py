"""``aiwf compile``: write a spec's IR as deterministic JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aiwf.cli import app_context, shared_options
from aiwf.commands._spec import compile_spec
from aiwf.diagnostics import render
from aiwf.errors import EXIT_FAILURE


@click.command("compile")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the IR to this file (default: stdout).",
)
@shared_options
def command(path: Path, out: Path | None) -> None:
    """Compile the spec at PATH and write its IR (JSON, ir_version 1).

    The IR is what the engine runs and the SDK templates render; the same spec gives
    byte-identical output on any machine.
    """
    app = app_context()
    compiled = compile_spec(app, path)
    program = compiled.result.program
    if compiled.diagnostics and (program is None or app.verbosity >= 0):
        click.echo(render(compiled.diagnostics, "text", color=sys.stderr.isatty()), err=True)
    if program is None:
        sys.exit(EXIT_FAILURE)
    text = program.to_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
