"""``aiwf graph``: draw a workflow's DAG as Mermaid or Graphviz DOT."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._spec import program_or_exit, spec_path


@click.command("graph")
@_options.spec
@_options.workflow("Only this workflow (default: every one).")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Mermaid flowchart or Graphviz DOT.",
)
@shared_options
def command(spec: Path | None, workflow: str | None, fmt: str) -> None:
    """Print the DAG of the workflows of the spec at SPEC (default: the project config's
    spec), each in a box of its own, or of the one named with -w (scattered steps drawn as
    such)."""
    from aiwf.engine._graph import render_graph
    from aiwf.engine._program import pick_workflow

    app = app_context()
    program = program_or_exit(app, spec_path(app, spec))
    if workflow is None and len(program.workflows) > 1:
        click.echo(render_graph(list(program.workflows.values()), fmt, name=program.name), nl=False)
        return
    click.echo(render_graph(pick_workflow(program, workflow), fmt), nl=False)
