"""``aiwf run``: run a workflow against the spec's model routes, with checkpoints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from aiwf.cli import app_context, shared_options
from aiwf.commands import _options
from aiwf.commands._spec import program_or_exit
from aiwf.errors import AiwfError


@click.command("run")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("-w", "--workflow", metavar="NAME", help="The workflow (optional with one).")
@click.option(
    "-i", "--input", "input_path", metavar="FILE", help="The input as JSON (- for stdin)."
)
@click.option(
    "--resume",
    "resume_id",
    metavar="RUN_ID",
    help="Continue a failed or interrupted run; finished steps are not called again.",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every model exchange to this replay file (for aiwf dry-run --replay).",
)
@click.option(
    "--artifacts",
    metavar="URL",
    help="Artifact store for checkpoints (default: the config's store, else file://.aiwf/artifacts).",
)
@_options.max_concurrency
@_options.trace
@shared_options
def command(
    spec: Path,
    workflow: str | None,
    input_path: str | None,
    resume_id: str | None,
    record: Path | None,
    artifacts: str | None,
    max_concurrency: int,
    trace_path: Path | None,
) -> None:
    """Run a workflow of the spec at SPEC against its model routes.

    Prints the result as JSON on stdout and a summary on stderr. Step outputs are
    checkpointed in the artifact store; a failed or interrupted run is continued with
    --resume RUN_ID (the command is printed when a run fails).
    """
    from aiwf.engine.clients import RouterClient, check_api_keys, routes
    from aiwf.engine.engine import Engine, RunResult, new_run_id
    from aiwf.engine.errors import RunFailed
    from aiwf.engine.program import pick_workflow
    from aiwf.engine.progress import Progress
    from aiwf.engine.replay import Recorder
    from aiwf.engine.session import dump_json, read_input, resume_command, run_async
    from aiwf.runtime.client import Runtime
    from aiwf.runtime.router import Router
    from aiwf.stores import DEFAULT_STORE_URL, open_store

    app = app_context()
    program = program_or_exit(app, spec)
    if resume_id is None and input_path is None:
        raise AiwfError(
            "aiwf run needs --input FILE (or --resume RUN_ID)",
            hint="aiwf dry-run SPEC prints a valid sample input",
            exit_code=2,
        )
    value: Any = read_input(input_path) if input_path is not None else None
    wf = pick_workflow(program, workflow) if resume_id is None else None
    if wf is not None:
        check_api_keys(program, wf.name)

    config = app.config
    if artifacts is not None:
        store = open_store(artifacts)
    else:
        store = open_store(config.store or DEFAULT_STORE_URL, base=config.root)
    runtime = Runtime()
    client: Any = RouterClient(Router(routes(program), runtime))
    recorder = None
    if record is not None:
        header: dict[str, Any] = {"spec": program.name, "digest": program.digest()}
        if resume_id is None and wf is not None:  # a replay without --input reuses it
            header.update(workflow=wf.name, input=value)
        recorder = Recorder(client, record, header=header)
        client = recorder
    progress = Progress(sys.stderr) if sys.stderr.isatty() and app.verbosity >= 0 else None
    engine = Engine(
        program, client, max_concurrency=max_concurrency, store=store, observer=progress
    )
    run_id = resume_id or new_run_id()

    def again(name: str) -> str:
        return resume_command(
            str(spec), name, run_id, artifacts=artifacts, config=app.config_path, env=app.env
        )

    async def main() -> RunResult:
        if resume_id is not None:
            return await engine.resume(resume_id, input=value)
        assert wf is not None
        return await engine.run(wf.name, value, run_id=run_id)

    try:
        result = run_async(main)
    except RunFailed as exc:
        if progress is not None:
            progress.close()
        if trace_path is not None:
            _copy_trace(store, run_id, trace_path)
        name = wf.name if wf is not None else _workflow_of(store, run_id)
        raise AiwfError(
            f"{exc.message} (run {run_id}); resume with: {again(name)}", code=exc.code
        ) from None
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        name = wf.name if wf is not None else _workflow_of(store, run_id)
        raise AiwfError(
            f"interrupted: run {run_id} stopped; resume with: {again(name)}", exit_code=130
        ) from None
    finally:
        if recorder is not None:
            recorder.close()
        store.close()
    if progress is not None:
        progress.close()
    if trace_path is not None:
        trace_path.parent.mkdir(parents=True, exist_ok=True)
        trace_path.write_text(dump_json(result.trace.to_dict()) + "\n", encoding="utf-8")
    if app.verbosity >= 0:
        click.echo(result.trace.render(), err=True)
    click.echo(dump_json(result.output))


def _copy_trace(store: Any, run_id: str, path: Path) -> None:
    """Write the trace a failed run left in the store to ``--trace FILE``."""
    from aiwf.engine.session import dump_json

    try:
        trace = store.get_json(f"runs/{run_id}/trace.json")
    except AiwfError:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_json(trace) + "\n", encoding="utf-8")


def _workflow_of(store: Any, run_id: str) -> str:
    """The workflow a stored run belongs to (for the resume command line)."""
    try:
        manifest = store.get_json(f"runs/{run_id}/manifest.json")
        return str(manifest.get("workflow"))
    except Exception:
        return "WORKFLOW"
