"""``aiwf compile``: write a spec's IR as deterministic JSON."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._spec import program_or_exit


@click.command("compile")
@click.argument("path", type=click.Path(path_type=Path))
@_options.output_file("-o", "--out", help="Write the IR to this file (default: stdout).")
@shared_options
def command(path: Path, out: Path | None) -> None:
    """Compile the spec at PATH and write its IR (JSON; aiwf --version shows its IR version).

    The IR is what the engine runs and the SDK templates render; the same spec gives
    byte-identical output on any machine.
    """
    text = program_or_exit(app_context(), path).to_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
