"""``aiwf runs``: list, show and cancel the runs of an artifact store, on both engines
(``ls``, ``show``, ``cancel``). :mod:`aiwf.engine._runs` does the work."""

from __future__ import annotations

import time
from typing import Any

import click

from aiwf._cli import AppContext, app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._engine import open_run_store, temporal_settings
from aiwf.engine._runs import STATUSES, RunInfo


@click.group("runs")
def command() -> None:
    """List, show and cancel runs (local and Temporal)."""


@command.command("ls")
@_options.artifacts
@_options.workflow("Only runs of this workflow.")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only runs in it."
)
@click.option("--engine", type=click.Choice(["local", "temporal"]), help="Only runs on it.")
@click.option("--since", metavar="DURATION", help="Only runs started in the last 30m, 2h, 7d ...")
@click.option(
    "-n", "--limit", type=click.IntRange(0), default=20, show_default=True, help="0: all."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_options.temporal
@shared_options
def ls(
    artifacts: str | None,
    workflow: str | None,
    statuses: tuple[str, ...],
    engine: str | None,
    since: str | None,
    limit: int,
    fmt: str,
) -> None:
    """List runs, newest first: id, workflow, engine, status, start, duration, calls, tokens.

    A local run whose process died without a word shows as stale (aiwf run --resume
    continues it); the status of a Temporal run is asked of Temporal.
    """
    from aiwf.engine._runs import dumps, list_runs, parse_duration, render_runs

    app = app_context()
    store = open_run_store(app, artifacts)
    try:
        start = time.time() - parse_duration(since) if since else None
        runs = list_runs(store, workflow=workflow, engine=engine, since=start)
        _refresh(app, runs, store)
        if statuses:
            runs = [run for run in runs if run.status in statuses]
        runs = runs[:limit] if limit else runs
    finally:
        store.close()
    if fmt == "json":
        click.echo(dumps([run.to_dict() for run in runs]))
    elif runs:
        click.echo(render_runs(runs))
    elif app.verbosity >= 0:
        click.echo(f"no runs in {store.url}", err=True)


@command.command("show")
@click.argument("run_id")
@_options.artifacts
@click.option("--all-items", is_flag=True, help="List every scatter item, not only failed ones.")
@click.option(
    "-f", "--follow", is_flag=True, help="Wait for a running run to end (with its progress)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_options.temporal
@shared_options
def show(run_id: str, artifacts: str | None, all_items: bool, follow: bool, fmt: str) -> None:
    """Show a run: status, error, steps, items, attempts, tokens, and the exact command that
    resumes it. With --follow, wait for a running run to end first (exit 1 unless it
    succeeded)."""
    from aiwf.engine._runs import dumps, load_run, render_run

    app = app_context()
    store = open_run_store(app, artifacts)
    try:
        details = load_run(store, run_id)
        info = details.info
        _refresh(app, [info], store)
        if follow and info.status == "running":
            _follow(app, info, store)
            details = load_run(store, run_id)
            info = details.info
            _refresh(app, [info], store)
        if info.engine == "temporal" and info.status == "running":
            live = _temporal(app, "live_trace", info.manifest, store)
            if live is not None:
                details.trace = live
    finally:
        store.close()
    if fmt == "json":
        click.echo(dumps({**info.to_dict(), "manifest": _public(info), "trace": details.trace}))
    else:
        click.echo(render_run(details, all_items=all_items))
    if follow and info.status != "succeeded":
        import sys

        from aiwf._errors import EXIT_FAILURE

        sys.exit(EXIT_FAILURE)


@command.command("cancel")
@click.argument("run_id")
@_options.artifacts
@click.option(
    "--wait", type=float, default=30.0, show_default=True, help="Seconds to wait for the end."
)
@_options.temporal
@shared_options
def cancel(run_id: str, artifacts: str | None, wait: float) -> None:
    """Cancel a running run: its calls in flight are cancelled and it ends as cancelled (a
    Temporal run) or interrupted (a local run, stopped as Ctrl-C would); either can be
    resumed."""
    from aiwf._errors import AiwfError
    from aiwf.engine._runs import cancel_local, load_run

    app = app_context()
    store = open_run_store(app, artifacts)
    try:
        info = load_run(store, run_id).info
        _refresh(app, [info], store)
        if info.status != "running":
            raise AiwfError(f"run {run_id} is not running (it is {info.status})", code="E503")
        if info.engine == "temporal":
            status = _temporal(app, "cancel", info.manifest, store, wait=wait)
        else:
            status = cancel_local(store, info, wait=wait)
    finally:
        store.close()
    click.echo(f"run {run_id}: {status}")


def _follow(app: AppContext, info: RunInfo, store: Any) -> None:
    """Wait for a running run to end; a Temporal run with its progress on a terminal."""
    import sys

    from aiwf._errors import AiwfError
    from aiwf.engine._runs import wait_local

    if info.engine != "temporal":
        wait_local(store, info.run_id)
        return
    from aiwf.engine._progress import Progress

    progress = Progress(sys.stderr) if sys.stderr.isatty() and app.verbosity >= 0 else None
    try:
        _temporal(app, "follow_run", info.manifest, store, observer=progress)
    except AiwfError:
        pass  # the run failed or was cancelled: shown below, from the store
    finally:
        if progress is not None:
            progress.close()


def _refresh(app: AppContext, runs: list[RunInfo], store: Any) -> None:
    """Ask Temporal about the runs recorded as running on it (without temporalio
    installed, they are shown as recorded)."""
    from aiwf._errors import AiwfError
    from aiwf.engine.temporal import require

    if any(run.engine == "temporal" and run.status == "running" for run in runs):
        try:
            require()
            _temporal(app, "refresh", runs, store)
        except AiwfError:
            return  # no temporalio, or settings that cannot connect: shown as recorded


def _temporal(app: AppContext, name: str, subject: Any, store: Any, **kwargs: Any) -> Any:
    """``aiwf.engine.temporal._client.NAME(subject, settings, store)`` on an event loop."""
    from aiwf.engine._session import run_async
    from aiwf.engine.temporal import _client as client

    settings = temporal_settings(app)
    function = getattr(client, name)
    return run_async(lambda: function(subject, settings, store, **kwargs))


def _public(info: RunInfo) -> dict[str, Any]:
    return {k: v for k, v in info.manifest.items() if k != "input"}
