"""``aiwf graph``: draw a workflow's DAG as Mermaid or Graphviz DOT."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf.cli import app_context, shared_options
from aiwf.commands._spec import program_or_exit


@click.command("graph")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("-w", "--workflow", metavar="NAME", help="The workflow (optional with one).")
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
def command(spec: Path, workflow: str | None, fmt: str) -> None:
    """Print the DAG of a workflow of the spec at SPEC (scattered steps drawn as such)."""
    from aiwf.engine.graph import render_graph
    from aiwf.engine.program import pick_workflow

    app = app_context()
    program = program_or_exit(app, spec)
    click.echo(render_graph(pick_workflow(program, workflow), fmt), nl=False)
