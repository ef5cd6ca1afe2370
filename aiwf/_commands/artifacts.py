"""``aiwf artifacts``: look into the artifact store and clean it (``ls``, ``get``, ``rm``,
``sweep``). The store does the work; this module only parses and prints."""

from __future__ import annotations

import time
from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf.stores import DEFAULT_STORE_URL, ArtifactInfo, ArtifactStore, open_store

store_option = click.option(
    "--store",
    "--artifacts",  # the name `aiwf run` uses for the same URL
    "store_url",
    metavar="URL",
    default=None,
    help=(
        "Artifact store URL: file://PATH or s3://BUCKET/PREFIX "
        f"(default: the project config's `store`, else {DEFAULT_STORE_URL})."
    ),
)


def _open(store_url: str | None) -> ArtifactStore:
    """The store named on the command line, else in the project config, else the default.

    Relative file paths from the config (and the default) are relative to the project root;
    a relative ``--store`` path is relative to the working directory, like any other path
    argument.
    """
    if store_url is not None:
        return open_store(store_url)
    config = app_context().config
    return open_store(config.store or DEFAULT_STORE_URL, base=config.root)


@click.group("artifacts")
def command() -> None:
    """Inspect and clean the artifact store (step outputs, checkpoints, inputs)."""


@command.command("ls")
@click.argument("prefix", default="")
@click.option("-l", "--long", "long_format", is_flag=True, help="Show size, type and expiry.")
@store_option
@shared_options
def ls(prefix: str, long_format: bool, store_url: str | None) -> None:
    """List live artifacts whose key starts with PREFIX (all of them by default)."""
    store = _open(store_url)
    try:
        for info in store.list(prefix):
            click.echo(_describe(info) if long_format else info.key)
    finally:
        store.close()


@command.command("get")
@click.argument("key")
@_options.output_file("-o", "--output", help="Write to FILE instead of standard output.")
@store_option
@shared_options
def get(key: str, output: Path | None, store_url: str | None) -> None:
    """Write the bytes of artifact KEY to standard output (or -o FILE)."""
    store = _open(store_url)
    try:
        data = store.get(key).data
    finally:
        store.close()
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stdout untouched
    else:
        output.write_bytes(data)


@command.command("rm")
@click.argument("key")
@click.option("-f", "--force", is_flag=True, help="No error when KEY does not exist.")
@store_option
@shared_options
def rm(key: str, force: bool, store_url: str | None) -> None:
    """Delete artifact KEY."""
    store = _open(store_url)
    try:
        store.delete(key, missing_ok=force)
    finally:
        store.close()


@command.command("sweep")
@store_option
@shared_options
def sweep(store_url: str | None) -> None:
    """Remove expired artifacts and leftovers of interrupted writes."""
    store = _open(store_url)
    try:
        removed = store.sweep()
    finally:
        store.close()
    if app_context().verbosity >= 0:
        noun = "artifact" if removed == 1 else "artifacts"
        click.echo(f"removed {removed} expired {noun} from {store.url}")


def _describe(info: ArtifactInfo) -> str:
    expires = "-" if info.expires is None else _iso(info.expires)
    return f"{info.key}\t{info.size}\t{info.content_type}\t{_iso(info.created)}\t{expires}"


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
