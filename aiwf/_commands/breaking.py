"""``aiwf breaking``: fail when a spec change breaks the consumers of the generated SDKs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands._options import diagnostic_format
from aiwf._errors import EXIT_FAILURE

#: ``--against`` and ``--spec``, shared with ``aiwf changelog``.
against_option = click.option(
    "--against",
    metavar="REF|PATH",
    help="The old spec: a git ref (branch, tag, HEAD~1, commit; read with git show, no "
    "checkout), a spec file or a directory. Default: [breaking] against in the project "
    "config, else the merge base of HEAD with the main branch.",
)
spec_option = click.option(
    "--spec",
    "specs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="The new spec (file or spec directory; repeatable). Default: the configured specs.",
)


@click.command("breaking")
@against_option
@spec_option
@diagnostic_format
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Exit 1 when a finding at or above this level remains (default: [breaking] "
    "fail_on, else error).",
)
@click.option("--skip", "skip", multiple=True, metavar="RULE", help="Do not report RULE.")
@click.option("--list-rules", is_flag=True, help="Print the rules (text or --format json).")
@shared_options
def command(
    against: str | None,
    specs: tuple[Path, ...],
    fmt: str,
    fail_on: str | None,
    skip: tuple[str, ...],
    list_rules: bool,
) -> None:
    """Compare the spec with its version at a git ref (or a file or directory) and report
    every change that breaks the SDKs' consumers: on the wire, or in the source of Python,
    Go or TypeScript code written against the old SDK.

    Each finding has a rule id, a level (error, warning, info), what it affects, a position,
    a hint and a fingerprint, which accepts it in the project config ([[breaking.accept]]).
    Exit status: 0 clean, 1 when a finding at or above --fail-on remains, 2 on usage errors.
    """
    if list_rules:
        click.echo(_rules(fmt))
        return
    from aiwf._breaking.findings import check_rules, gate, summary, to_diagnostic
    from aiwf._diagnostics import render

    app = app_context()
    config = app.config.breaking
    check_rules([*config.skip, *skip], app.config.source)
    comparisons = compare_all(specs, against)
    result = gate(comparisons, config, skip)
    shown = result.findings if fmt == "json" or app.verbosity > 0 else result.open
    if app.verbosity < 0:
        shown = [f for f in shown if f.level == "error"]
    diagnostics = [to_diagnostic(f) for f in shown]
    if fmt == "json":
        click.echo(render(diagnostics, "json"))
    elif diagnostics:
        color = fmt == "text" and sys.stdout.isatty()
        click.echo(render(diagnostics, fmt, color=color))  # type: ignore[arg-type]
    for entry in result.unused:
        click.echo(
            f"warning: accepted fingerprint {entry.fingerprint} matches no change "
            f"({entry.reason}); remove it from [[breaking.accept]]",
            err=True,
        )
    if app.verbosity >= 0:
        against_text = ", ".join(dict.fromkeys(c.against for c in comparisons))
        click.echo(f"{summary(result)} (against {against_text})", err=fmt != "text")
    if result.fails(fail_on or config.fail_on):
        sys.exit(EXIT_FAILURE)


def compare_all(specs: tuple[Path, ...], against: str | None) -> list:  # type: ignore[type-arg]
    """Every spec (given, else configured) compared with ``against`` (else the config's
    ``[breaking] against``, else the merge base with the main branch)."""
    from aiwf._breaking import compare_specs
    from aiwf._commands._spec import as_typed, spec_paths

    app = app_context()
    ref = against
    if ref is None and app.config.breaking.against is not None:
        ref = app.config.breaking.against
        # A path in the config is relative to the config file, like every path there.
        if (app.config.root / ref).exists():
            ref = str(as_typed(app.config.root / ref))
    return [compare_specs(as_typed(p), ref, app.config) for p in spec_paths(app, specs)]


def _rules(fmt: str) -> str:
    from aiwf._breaking.rules import RULES

    if fmt == "json":
        return json.dumps([r.to_dict() for r in RULES.values()], indent=2)
    width = max(len(r.id) for r in RULES.values())
    lines = [f"{'rule':<{width}}  {'level':<7}  {'affects':<33}  summary"]
    for r in RULES.values():
        lines.append(
            f"{r.id:<{width}}  {r.level:<7}  {', '.join(r.affects) or '-':<33}  {r.summary}"
        )
    return "\n".join(lines)
