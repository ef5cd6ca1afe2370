"""Click options that several commands share (beyond the global shared options)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: ``--max-concurrency N``: model calls in flight at once across a run.
max_concurrency = click.option(
    "--max-concurrency",
    type=click.IntRange(1, 10000),
    default=128,
    show_default=True,
    help="Model calls in flight at once across the run.",
)

#: ``--trace FILE``: the run trace as JSON.
trace = click.option(
    "--trace",
    "trace_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run trace (JSON) to this file.",
)


#: ``--format text|json|github``: how diagnostics are printed.
diagnostic_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How diagnostics are printed (github: workflow-command annotations).",
)


#: Where the Temporal connection options are kept in the click context's ``meta``.
TEMPORAL_META = "aiwf.temporal"


def _remember(name: str) -> Callable[[click.Context, click.Parameter, object], object]:
    def callback(ctx: click.Context, _param: click.Parameter, value: object) -> object:
        if value is not None and value != ():
            ctx.find_root().meta.setdefault(TEMPORAL_META, {})[name] = value
        return value

    return callback


def temporal(func: F) -> F:
    """The Temporal connection options, named as Temporal's own tools name them (values are
    read with :func:`aiwf.commands._engine.temporal_settings`)."""
    options = [
        click.option(
            "--temporal",
            "--address",
            metavar="HOST:PORT",
            expose_value=False,
            callback=_remember("address"),
            help="Temporal frontend (default: $TEMPORAL_ADDRESS, [engine] address, localhost:7233).",
        ),
        click.option(
            "--namespace",
            metavar="NAME",
            expose_value=False,
            callback=_remember("namespace"),
            help="Temporal namespace (default: $TEMPORAL_NAMESPACE, [engine] namespace, default).",
        ),
        click.option(
            "--task-queue",
            metavar="NAME",
            expose_value=False,
            callback=_remember("task_queue"),
            help="Task queue of aiwf's workers (default: [engine] task_queue, aiwf).",
        ),
        click.option(
            "--tls",
            is_flag=True,
            default=None,
            expose_value=False,
            callback=_remember("tls"),
            help="Connect with TLS (implied by a client certificate or an API key).",
        ),
        click.option(
            "--tls-cert-path",
            metavar="FILE",
            expose_value=False,
            callback=_remember("tls_cert_path"),
            help="Client certificate for mTLS.",
        ),
        click.option(
            "--tls-key-path",
            metavar="FILE",
            expose_value=False,
            callback=_remember("tls_key_path"),
            help="Client private key for mTLS.",
        ),
        click.option(
            "--tls-ca-path",
            metavar="FILE",
            expose_value=False,
            callback=_remember("tls_ca_path"),
            help="CA certificate to trust for the server.",
        ),
        click.option(
            "--tls-server-name",
            metavar="NAME",
            expose_value=False,
            callback=_remember("tls_server_name"),
            help="Server name to check the server's certificate against.",
        ),
        click.option(
            "--api-key",
            metavar="KEY",
            expose_value=False,
            callback=_remember("api_key"),
            help="Temporal API key (prefer $TEMPORAL_API_KEY: a command line is visible to others).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


#: ``--artifacts URL``: the artifact store.
artifacts = click.option(
    "--artifacts",
    metavar="URL",
    help="Artifact store (default: the config's store, else file://.aiwf/artifacts).",
)
