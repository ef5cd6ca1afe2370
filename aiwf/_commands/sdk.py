"""``aiwf sdk``: write typed SDKs from a spec (scaffold through copier, generated files
from the IR)."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands import _options
from aiwf._commands._sdk import bump_version, compile_program, run_sdk, select_jobs

__all__ = ["bump_version", "command", "compile_program", "run_sdk", "select_jobs"]


@click.command("sdk")
@_options.spec
@click.option("--lang", help="Target language (default: python).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="SDK directory (default: sdk/LANG).",
)
@click.option("--package", help="Package name (default: from the spec file name).")
@click.option(
    "--module",
    help="Go module path, e.g. github.com/acme/support-ai (the package of a Go SDK; "
    "the Go package name is its last element).",
)
@click.option(
    "--bump-version",
    "bump_ref",
    metavar="REF",
    help="Write the version the spec's changes since REF call for into each existing SDK's "
    "package metadata (Go: print the tag to make). [breaking] bump_version = true in the "
    "project config does it against [breaking] against (else the merge base with main).",
)
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when a file was written or removed (pre-commit: stage them, commit again).",
)
@shared_options
def command(
    spec: Path | None,
    lang: str | None,
    out: Path | None,
    package: str | None,
    exit_code: bool,
    module: str | None = None,
    bump_ref: str | None = None,
) -> None:
    """Write the SDK of SPEC (or every [[sdk]] of the project config).

    A new SDK gets its scaffold (package metadata, README, extensions module) from the
    copier template, recording the template repository's URL (the project's, or
    `[templates] source` of the project config) and version; the generated files
    (contracts, assistants, workflows, smoke tests, .aiwf/manifest.json) are rewritten from
    the spec on every run. Refuses an SDK that a newer aiwf wrote.
    """
    run_sdk(app_context(), spec, lang, out, package, exit_code, module, bump_ref)
