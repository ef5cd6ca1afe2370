"""``aiwf run``: run a workflow against the spec's model routes, with checkpoints, on the
local engine or on Temporal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._engine import engine_kind, open_run_store, temporal_settings
from aiwf._commands._spec import program_or_exit, spec_path
from aiwf._errors import AiwfError, UsageError


@click.command("run")
@_options.spec
@_options.workflow()
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
@click.option(
    "--engine",
    type=click.Choice(["local", "temporal"]),
    help="Where the run runs (default: [engine] kind of the config, else local; "
    "a resumed run: the engine it ran on).",
)
@click.option(
    "--detach",
    is_flag=True,
    help="Temporal: start the run, print its id and return (aiwf runs show -f ID follows it).",
)
@_options.max_concurrency
@_options.trace
@_options.temporal
@shared_options
def command(
    spec: Path | None,
    workflow: str | None,
    input_path: str | None,
    resume_id: str | None,
    record: Path | None,
    artifacts: str | None,
    engine: str | None,
    detach: bool,
    max_concurrency: int,
    trace_path: Path | None,
) -> None:
    """Run a workflow of the spec at SPEC (default: the project config's spec) against its
    model routes.

    Prints the result as JSON on stdout and a summary on stderr. Step outputs are
    checkpointed in the artifact store; a failed or interrupted run is continued with
    --resume RUN_ID (the command is printed when a run fails). With --engine temporal the
    run runs on aiwf workers (aiwf worker) through Temporal.
    """
    from aiwf.engine._engine import RunResult
    from aiwf.engine._errors import RunFailed
    from aiwf.engine._launch import open_run, stored_engine
    from aiwf.engine._program import pick_workflow
    from aiwf.engine._progress import Progress
    from aiwf.engine._session import dump_json, read_input, resume_command, run_async

    app = app_context()
    spec = spec_path(app, spec)
    program = program_or_exit(app, spec)
    if resume_id is None and input_path is None:
        raise AiwfError(
            "aiwf run needs --input FILE (or --resume RUN_ID)",
            hint="aiwf dry-run SPEC prints a valid sample input",
            exit_code=2,
        )
    value: Any = read_input(input_path) if input_path is not None else None
    wf = pick_workflow(program, workflow) if resume_id is None else None
    store = open_run_store(app, artifacts)
    kind = engine_kind(app, engine or (stored_engine(store, resume_id) if resume_id else None))
    temporal = kind == "temporal"
    if detach and not temporal:
        store.close()
        raise UsageError("--detach needs --engine temporal (a local run lives in this process)")

    loud = app.verbosity >= 0
    progress = Progress(sys.stderr) if sys.stderr.isatty() and loud else None

    def notify(line: str) -> None:
        if progress is not None:
            progress.close()
        if loud:
            click.echo(line, err=True)

    try:
        opened = open_run(
            program,
            store,
            engine=kind,
            run_id=resume_id,
            workflow=wf.name if wf is not None else None,
            record=record,
            record_input=value,
            max_concurrency=max_concurrency,
            observer=progress,
            notify=notify,
            temporal=temporal_settings(app) if temporal else None,
        )
    except BaseException:
        store.close()
        raise
    run_id = opened.run_id
    context = {"spec": str(spec), "env": app.env, "artifacts": artifacts}
    if app.config_path is not None:
        context["config"] = str(app.config_path)

    def again() -> str:
        name = wf.name if wf is not None else opened.checkpoints.peek_manifest().get("workflow")
        return resume_command(
            str(spec),
            str(name or "WORKFLOW"),
            run_id,
            artifacts=artifacts,
            config=app.config_path,
            env=app.env,
            engine="temporal" if temporal else None,
            temporal=opened.temporal,
        )

    async def main() -> Any:
        # On a terminal (or with -v) the run id shows before anything can go wrong.
        if loud and (sys.stderr.isatty() or app.verbosity > 0):
            what = "resuming" if resume_id else "started"
            where = " on Temporal" if temporal else ""
            click.echo(f"run {run_id}: {what}{where} (aiwf runs show {run_id})", err=True)
        if resume_id is not None:
            if detach:
                return await opened.resume_start(input=value, context=context)
            return await opened.resume(input=value, context=context)
        assert wf is not None
        if detach:
            return await opened.start(wf.name, value, context=context)
        return await opened.run(wf.name, value, context=context)

    try:
        result = run_async(main)
    except RunFailed as exc:
        if progress is not None:
            progress.close()
        if trace_path is not None:
            trace = (
                exc.trace.to_dict() if exc.trace is not None else opened.checkpoints.read_trace()
            )
            if trace is not None:
                _write_json(trace_path, trace)
        raise AiwfError(
            f"{exc.message} (run {run_id}); resume with: {again()}", code=exc.code
        ) from None
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        if temporal:
            raise AiwfError(
                f"stopped following run {run_id}; it goes on on Temporal: "
                f"aiwf runs show {run_id} (aiwf runs cancel {run_id} stops it)",
                exit_code=130,
            ) from None
        raise AiwfError(
            f"interrupted: run {run_id} stopped; resume with: {again()}", exit_code=130
        ) from None
    finally:
        opened.close()
    if progress is not None:
        progress.close()
    if detach:
        if loud:
            click.echo(
                f"run {run_id} started on Temporal; follow it with: aiwf runs show -f {run_id}",
                err=True,
            )
        click.echo(run_id)
        return
    assert isinstance(result, RunResult)
    if trace_path is not None:
        _write_json(trace_path, result.trace.to_dict())
    if loud:
        click.echo(result.trace.render(), err=True)
    click.echo(dump_json(result.output))


def _write_json(path: Path, data: Any) -> None:
    """``--trace FILE``."""
    from aiwf.engine._session import dump_json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_json(data) + "\n", encoding="utf-8")
