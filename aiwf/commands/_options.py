"""Click options that several commands share (beyond the global shared options)."""

from __future__ import annotations

from pathlib import Path

import click

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
