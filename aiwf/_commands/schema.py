"""``aiwf schema``: print the JSON Schema of the spec format."""

from __future__ import annotations

import click

from aiwf._cli import shared_options
from aiwf._spec.format_schema import read_schema_text


@click.command("schema")
@shared_options
def command() -> None:
    """Print the JSON Schema (draft 2020-12) of spec format v1.

    Point editors at it, e.g. for yaml-language-server:
    ``# yaml-language-server: $schema=./aiwf.schema.json``.
    """
    click.echo(read_schema_text(), nl=False)
