"""``aiwf run``: run a workflow against the spec's model routes, with checkpoints, on the
local engine or on Temporal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from aiwf.cli import app_context, shared_options
from aiwf.commands import _options
from aiwf.commands._engine import engine_kind, open_run_store, temporal_settings
from aiwf.commands._spec import program_or_exit
from aiwf.errors import AiwfError, UsageError


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
    spec: Path,
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
    """Run a workflow of the spec at SPEC against its model routes.

    Prints the result as JSON on stdout and a summary on stderr. Step outputs are
    checkpointed in the artifact store; a failed or interrupted run is continued with
    --resume RUN_ID (the command is printed when a run fails). With --engine temporal the
    run runs on aiwf workers (aiwf worker) through Temporal.
    """
    from aiwf.engine.clients import RouterClient, check_api_keys, routes
    from aiwf.engine.engine import Engine, RunResult, new_run_id
    from aiwf.engine.errors import RunFailed
    from aiwf.engine.program import pick_workflow
    from aiwf.engine.progress import Progress
    from aiwf.engine.replay import Recorder
    from aiwf.engine.session import dump_json, read_input, resume_command, run_async

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
    store = open_run_store(app, artifacts)
    kind = engine_kind(app, engine or (_engine_of(store, resume_id) if resume_id else None))
    temporal = kind == "temporal"
    if detach and not temporal:
        raise UsageError("--detach needs --engine temporal (a local run lives in this process)")
    if record is not None and temporal:
        raise UsageError("--record works with the local engine only")
    if wf is not None and not temporal:  # on Temporal the workers hold the keys
        check_api_keys(program, wf.name)

    loud = app.verbosity >= 0
    progress = Progress(sys.stderr) if sys.stderr.isatty() and loud else None
    run_id = resume_id or new_run_id()
    context = {"spec": str(spec), "env": app.env, "artifacts": artifacts}
    if app.config_path is not None:
        context["config"] = str(app.config_path)

    def notify(line: str) -> None:
        if progress is not None:
            progress.close()
        if loud:
            click.echo(line, err=True)

    def again(name: str) -> str:
        return resume_command(
            str(spec),
            name,
            run_id,
            artifacts=artifacts,
            config=app.config_path,
            env=app.env,
            engine="temporal" if temporal else None,
            temporal=recorded,
        )

    recorder = None
    runner: Any
    recorded: dict[str, Any] | None = None
    if temporal:
        from aiwf.engine.temporal import TemporalEngine

        settings = temporal_settings(app)
        recorded = settings.public()
        runner = TemporalEngine(
            program,
            settings,
            store,
            max_concurrency=max_concurrency,
            observer=progress,
            notify=notify,
        )
    else:
        from aiwf.runtime.client import Runtime
        from aiwf.runtime.router import Router

        client: Any = RouterClient(Router(routes(program), Runtime()))
        if record is not None:
            header: dict[str, Any] = {"spec": program.name, "digest": program.digest()}
            if resume_id is None and wf is not None:  # a replay without --input reuses it
                header.update(workflow=wf.name, input=value)
            recorder = Recorder(client, record, header=header)
            client = recorder
        runner = Engine(
            program,
            client,
            max_concurrency=max_concurrency,
            store=store,
            observer=progress,
            notify=notify,
        )

    def started() -> None:
        # On a terminal (or with -v) the run id shows before anything can go wrong.
        if loud and (sys.stderr.isatty() or app.verbosity > 0):
            what = "resuming" if resume_id else "started"
            where = " on Temporal" if temporal else ""
            click.echo(f"run {run_id}: {what}{where} (aiwf runs show {run_id})", err=True)

    async def main() -> Any:
        started()
        if detach:
            if resume_id is not None:
                return await runner.resume_start(resume_id, input=value, context=context)
            assert wf is not None
            return await runner.start(wf.name, value, run_id=run_id, context=context)
        if resume_id is not None:
            return await runner.resume(resume_id, input=value, context=context)
        assert wf is not None
        return await runner.run(wf.name, value, run_id=run_id, context=context)

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
        if temporal:
            raise AiwfError(
                f"stopped following run {run_id}; it goes on on Temporal: "
                f"aiwf runs show {run_id} (aiwf runs cancel {run_id} stops it)",
                exit_code=130,
            ) from None
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
        trace_path.parent.mkdir(parents=True, exist_ok=True)
        trace_path.write_text(dump_json(result.trace.to_dict()) + "\n", encoding="utf-8")
    if loud:
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


def _manifest(store: Any, run_id: str) -> dict[str, Any]:
    try:
        manifest = store.get_json(f"runs/{run_id}/manifest.json")
    except Exception:
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _workflow_of(store: Any, run_id: str) -> str:
    """The workflow a stored run belongs to (for the resume command line)."""
    return str(_manifest(store, run_id).get("workflow") or "WORKFLOW")


def _engine_of(store: Any, run_id: str) -> str | None:
    """The engine a stored run ran on (a resume continues there unless told otherwise)."""
    engine = _manifest(store, run_id).get("engine")
    return engine if isinstance(engine, str) else None
