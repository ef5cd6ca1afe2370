"""``aiwf dry-run``: run a workflow with a built-in model, no key and no network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._spec import program_or_exit, spec_path

_NONE = object()


@click.command("dry-run")
@_options.spec
@_options.workflow()
@click.option(
    "-i",
    "--input",
    "input_path",
    metavar="FILE",
    help="The input as JSON (- for stdin); default: a made-up valid input, printed.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Picks the made-up values.")
@click.option(
    "--replay",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Answer from a file written by aiwf run --record instead of making values up.",
)
@_options.max_concurrency
@_options.trace
@shared_options
def command(
    spec: Path | None,
    workflow: str | None,
    input_path: str | None,
    seed: int,
    replay: Path | None,
    max_concurrency: int,
    trace_path: Path | None,
) -> None:
    """Run a workflow of the spec at SPEC with a built-in model that answers schema-valid
    values (deterministic for --seed), or with recorded answers (--replay).

    Prints the plan, the input when it was made up, and the trace on stderr, and the
    result (checked against the workflow's output contract) as JSON on stdout.
    """
    from aiwf.engine._dryrun import DryRunClient, sample_input
    from aiwf.engine._engine import Engine
    from aiwf.engine._graph import render_plan
    from aiwf.engine._replay import ReplayClient
    from aiwf.engine._session import dump_json, read_input, run_async

    app = app_context()
    program = program_or_exit(app, spec_path(app, spec))
    client: Any = ReplayClient(replay) if replay is not None else DryRunClient(seed)
    engine = Engine(program, client, max_concurrency=max_concurrency)
    wf = engine.workflow(workflow)
    loud = app.verbosity >= 0
    if loud:
        click.echo(render_plan(wf), err=True)
    recorded = client.header.get("input", _NONE) if isinstance(client, ReplayClient) else _NONE
    if input_path is None and recorded is not _NONE and client.header.get("workflow") == wf.name:
        value = recorded  # a replay answers the recorded run's requests, so use its input
        if app.verbosity >= 0:
            click.echo(f"input (recorded):\n{dump_json(value)}", err=True)
    elif input_path is None:
        value = sample_input(program, wf.name, seed=seed)
        if loud:
            click.echo(f"input (made up, seed {seed}):\n{dump_json(value)}", err=True)
    else:
        value = read_input(input_path)
    from aiwf.engine._errors import RunFailed

    def write_trace(trace: Any) -> None:
        if trace_path is not None and trace is not None:
            trace_path.parent.mkdir(parents=True, exist_ok=True)
            trace_path.write_text(dump_json(trace.to_dict()) + "\n", encoding="utf-8")

    try:
        result = run_async(lambda: engine.run(wf.name, value))
    except RunFailed as exc:
        write_trace(exc.trace)  # a failed replay's trace too, as aiwf run writes it
        raise
    write_trace(result.trace)
    if loud:
        click.echo(result.trace.render(), err=True)
    click.echo(dump_json(result.output))
