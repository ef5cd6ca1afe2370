"""``aiwf graph``: draw a workflow's DAG as Mermaid or Graphviz DOT."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aiwf.cli import app_context, shared_options
from aiwf.commands._spec import compile_spec
from aiwf.diagnostics import render
from aiwf.errors import EXIT_FAILURE


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
    compiled = compile_spec(app, spec)
    program = compiled.result.program
    if compiled.diagnostics and (program is None or app.verbosity >= 0):
        click.echo(render(compiled.diagnostics, "text", color=sys.stderr.isatty()), err=True)
    if program is None:
        sys.exit(EXIT_FAILURE)
    click.echo(render_graph(pick_workflow(program, workflow), fmt), nl=False)
