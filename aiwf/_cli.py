"""The ``aiwf`` command line: argument parsing and the error boundary, nothing else.

Subcommands live one per module in :mod:`aiwf._commands` and are imported only when invoked,
so ``aiwf validate`` never pays for the imports of ``aiwf run`` or ``aiwf sdk``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from aiwf import __version__
from aiwf._context import AppContext as AppContext  # re-exported: the commands import it here
from aiwf._errors import AiwfError, exit_after

#: Subcommand name -> "module:attribute" of its click command. One line per subcommand.
COMMANDS: dict[str, str] = {
    "validate": "aiwf._commands.validate:command",
    "compile": "aiwf._commands.compile:command",
    "schema": "aiwf._commands.schema:command",
    "artifacts": "aiwf._commands.artifacts:command",
    "sdk": "aiwf._commands.sdk:command",
    "check": "aiwf._commands.check:command",
    "upgrade": "aiwf._commands.upgrade:command",
    "run": "aiwf._commands.run:command",
    "dry-run": "aiwf._commands.dry_run:command",
    "graph": "aiwf._commands.graph:command",
    "breaking": "aiwf._commands.breaking:command",
    "changelog": "aiwf._commands.changelog:command",
    "worker": "aiwf._commands.worker:command",
    "runs": "aiwf._commands.runs:command",
}

F = TypeVar("F", bound=Callable[..., Any])


def _merge_shared(ctx: click.Context, name: str, value: Any) -> Any:
    """Store a shared option given on the group or on a subcommand; the later one wins."""
    ctx.find_root().ensure_object(AppContext).merge_shared(name, value)
    return value


def option_group(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator that adds ``options`` to a command, in the order given (as if each were
    written above the function, top to bottom)."""

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _shared(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    return lambda ctx, _param, value: _merge_shared(ctx, name, value)


#: Add ``--config``, ``--env``, ``-v`` and ``-q`` (the options every command takes).
shared_options = option_group(
    click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_shared("config"),
        help="Project config file (aiwf.toml, or a pyproject.toml with [tool.aiwf]).",
    ),
    click.option(
        "--env",
        metavar="NAME",
        expose_value=False,
        callback=_shared("env"),
        help="Environment section of the project config to apply (default: $AIWF_ENV).",
    ),
    click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_shared("verbose"),
        help="More output; repeat for debug detail.",
    ),
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_shared("quiet"),
        help="Only errors.",
    ),
)


def app_context() -> AppContext:
    """The :class:`AppContext` of the running command."""
    ctx = click.get_current_context()
    app = ctx.find_root().ensure_object(AppContext)
    if app.env is None:
        app.env = os.environ.get("AIWF_ENV") or None
    return app


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        from aiwf._lazy import load

        command: click.Command = load(target)
        return command


def version_text() -> str:
    """What ``aiwf --version`` prints: the versions of the package, the spec format it reads,
    the IR it writes and the SDK templates it generates from (docs/versioning.md)."""
    from aiwf._ir.model import IR_VERSION
    from aiwf._spec import FORMAT_VERSION

    try:
        from aiwf._generate.templates import locate

        templates = locate().tag
    except AiwfError:
        templates = "not installed"
    return (
        f"aiwf {__version__}\n"
        f"spec format: aiwf: {FORMAT_VERSION}\n"
        f"IR version: {IR_VERSION}\n"
        f"SDK templates: {templates}"
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the versions of aiwf, the spec format, the IR and the SDK templates.",
)
@shared_options
def cli() -> None:
    """aiwf: LLM assistants and workflows from one YAML spec.

    Validate specs like a compiler, run or dry-run workflows, and generate typed SDKs.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and turn every failure into one clear line
    (:func:`aiwf._errors.exit_after`)."""

    def work() -> int:
        try:
            cli.main(args=argv, prog_name="aiwf", standalone_mode=False)
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            return 130
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            return 130
        return 0

    exit_after(work)
