"""``aiwf worker``: run a worker of the Temporal engine on this machine."""

from __future__ import annotations

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._engine import open_run_store, temporal_settings


@click.command("worker")
@_options.artifacts
@click.option(
    "--max-concurrent-activities",
    type=click.IntRange(1, 100000),
    help="Model calls this worker makes at once (default: [engine] setting, else 200).",
)
@click.option(
    "--identity", metavar="NAME", help="The worker's name in Temporal (default pid@host)."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Answer every call with the dry-run model (no key, no network).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --dry-run.")
@click.option(
    "--sandbox",
    is_flag=True,
    default=None,
    help="Run the interpreter in Temporal's workflow sandbox (checks determinism; slower).",
)
@_options.temporal
@shared_options
def command(
    artifacts: str | None,
    max_concurrent_activities: int | None,
    identity: str | None,
    dry_run: bool,
    seed: int,
    sandbox: bool | None,
) -> None:
    """Run an aiwf worker: poll the task queue and run the workflows started with
    aiwf run --engine temporal, until Ctrl-C (or SIGTERM).

    The worker needs no spec (each run brings its IR), the artifact store the runs use
    (the same for the client and every worker: S3, or a shared filesystem) and the model
    providers' API keys in its environment; keys never leave it.
    """
    from aiwf.engine.temporal._worker import serve

    app = app_context()
    settings = temporal_settings(
        app, max_concurrent_activities=max_concurrent_activities, sandbox=sandbox
    )
    store = open_run_store(app, artifacts)
    model = None
    if dry_run:
        from aiwf.engine._dryrun import DryRunClient

        model = DryRunClient(seed)

    def announce(line: str) -> None:
        if app.verbosity >= 0:
            click.echo(line, err=True)

    try:
        serve(
            settings,
            store,
            model=model,
            identity=identity,
            announce=announce,
            verbosity=app.verbosity,
        )
    finally:
        store.close()
