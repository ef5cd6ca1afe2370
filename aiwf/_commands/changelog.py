"""``aiwf changelog``: the spec's changes as a Markdown section for the SDKs' consumers."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands.breaking import against_option, compare_all, spec_option


@click.command("changelog")
@against_option
@spec_option
@click.option(
    "--current",
    metavar="VERSION",
    help="The version released at --against (e.g. 1.4.2): the heading then names the next one.",
)
@click.option("--title", help="The heading's name (default: the spec's name).")
@_options.output_file("--output", "-o", help="Write the section to this file instead of stdout.")
@shared_options
def command(
    against: str | None,
    specs: tuple[Path, ...],
    current: str | None,
    title: str | None,
    output: Path | None,
) -> None:
    """Print the changes since --against as Markdown: breaking, removed, changed and added,
    per workflow and assistant, with the names in each SDK language, and the SemVer bump
    they call for (major for a breaking change, minor below 1.0.0; minor for additions;
    patch for the rest)."""
    from aiwf._breaking.changelog import parse_version, render

    app = app_context()
    if current is not None:
        parse_version(current)
    comparisons = compare_all(specs, against)
    text = render(comparisons, skip=app.config.breaking.skip, current=current, title=title)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
