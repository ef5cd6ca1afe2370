"""Click options that several commands share (beyond the global shared options)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from aiwf._cli import option_group
from aiwf._diagnostics import OUTPUT_FORMATS

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
    type=click.Choice(list(OUTPUT_FORMATS)),
    default=OUTPUT_FORMATS[0],
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


#: The Temporal connection options: (flags, metavar or None for a flag, key in ``meta``, help).
_TEMPORAL: tuple[tuple[tuple[str, ...], str | None, str, str], ...] = (
    (("--temporal", "--address"), "HOST:PORT", "address",
     "Temporal frontend (default: $TEMPORAL_ADDRESS, [engine] address, localhost:7233)."),
    (("--namespace",), "NAME", "namespace",
     "Temporal namespace (default: $TEMPORAL_NAMESPACE, [engine] namespace, default)."),
    (("--task-queue",), "NAME", "task_queue",
     "Task queue of aiwf's workers (default: [engine] task_queue, aiwf)."),
    (("--tls",), None, "tls", "Connect with TLS (implied by a client certificate or an API key)."),
    (("--tls-cert-path",), "FILE", "tls_cert_path", "Client certificate for mTLS."),
    (("--tls-key-path",), "FILE", "tls_key_path", "Client private key for mTLS."),
    (("--tls-ca-path",), "FILE", "tls_ca_path", "CA certificate to trust for the server."),
    (("--tls-server-name",), "NAME", "tls_server_name",
     "Server name to check the server's certificate against."),
    (("--api-key",), "KEY", "api_key",
     "Temporal API key (prefer $TEMPORAL_API_KEY: a command line is visible to others)."),
)  # fmt: skip


def _temporal_option(
    flags: tuple[str, ...], metavar: str | None, name: str, help: str
) -> Callable[[F], F]:
    kind: dict[str, Any] = {"metavar": metavar} if metavar else {"is_flag": True, "default": None}
    return click.option(*flags, expose_value=False, callback=_remember(name), help=help, **kind)


#: The Temporal connection options, named as Temporal's own tools name them (values are read
#: with :func:`aiwf._commands._engine.temporal_settings`).
temporal = option_group(*(_temporal_option(*row) for row in _TEMPORAL))


#: ``--artifacts URL``: the artifact store.
artifacts = click.option(
    "--artifacts",
    metavar="URL",
    help="Artifact store (default: the config's store, else file://.aiwf/artifacts).",
)

#: ``SPEC``: the spec file; optional (default: the project config's ``spec``).
spec = click.argument("spec", type=click.Path(path_type=Path), required=False)


def workflow(help: str = "The workflow (optional with one).") -> Callable[[F], F]:
    """``-w NAME``: the workflow a command works on."""
    return click.option("-w", "--workflow", metavar="NAME", help=help)


def output_file(*flags: str, help: str) -> Callable[[F], F]:
    """``-o FILE`` (named by ``flags``): a file to write instead of standard output."""
    return click.option(*flags, type=click.Path(dir_okay=False, path_type=Path), help=help)
