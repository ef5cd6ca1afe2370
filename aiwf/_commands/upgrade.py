"""``aiwf upgrade``: move SDK scaffolds to the installed template version and regenerate."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf._cli import app_context, shared_options
from aiwf._commands._spec import as_typed
from aiwf._commands.sdk import compile_program
from aiwf._errors import AiwfError
from aiwf._generate.jobs import SdkJob, from_dirs_or_config
from aiwf._generate.targets.base import Environments
from aiwf._ir.model import Program


@click.command("upgrade")
@click.argument("sdk_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@shared_options
def command(sdk_dirs: tuple[Path, ...]) -> None:
    """Upgrade the SDKs in SDK_DIRS (default: every [[sdk]] of the project config).

    Runs `copier update` to the template version of this aiwf (your edits to the scaffold
    are kept, the template's migrations run), then rewrites the generated files. Works
    offline: the old template versions come with aiwf. Each SDK must be committed in git
    first. Every SDK is tried; each ends upgraded or untouched. Exits 1 naming every file
    left with conflict markers (resolve them, then `aiwf check`) and every SDK that failed.
    """
    from aiwf._generate.templates import locate
    from aiwf._generate.upgrade import SdkUpgrade, upgrade_all

    app = app_context()
    jobs = from_dirs_or_config(sdk_dirs, app.config)
    tree = locate()
    cache: dict[Path, tuple[Program, Environments]] = {}
    # Every spec compiles before any SDK is touched.
    work = [(job, *compile_program(app, job.spec, cache)) for job in jobs]

    def report(result: SdkUpgrade) -> None:
        out = as_typed(result.job.out)
        if result.status == "failed":
            assert result.error is not None
            click.echo(f"{out}: not upgraded, left as it was", err=True)
            click.echo("  " + result.error.render().replace("\n", "\n  "), err=True)
            return
        if app.verbosity < 0 and result.status != "conflicts":
            return
        written = len(result.generated.written) if result.generated else 0
        move = (
            f"already at {result.from_version}"
            if result.status == "current"
            else f"{result.from_version} -> {result.to_version}"
        )
        tail = f", {len(result.conflicts)} conflict(s)" if result.conflicts else ""
        click.echo(f"{out}: scaffold {move}, {written} generated file(s) rewritten{tail}")

    results = upgrade_all(
        work, tree, configured_source=app.config.template_source, on_result=report
    )
    conflicts = [as_typed(r.job.out / rel) for r in results for rel in r.conflicts]
    failed = [as_typed(r.job.out) for r in results if r.status == "failed"]
    for path in conflicts:
        click.echo(f"{path}: conflict left by the update", err=True)
    if app.verbosity >= 0 and any(r.status in ("upgraded", "conflicts") for r in results):
        _pre_commit_note(tree.version, jobs)
    if conflicts or failed:
        parts = []
        if conflicts:
            parts.append(
                f"{len(conflicts)} file(s) with conflicts: {', '.join(map(str, conflicts))}"
            )
        if failed:
            parts.append(f"{len(failed)} SDK(s) not upgraded: {', '.join(map(str, failed))}")
        hint = (
            "resolve the markers (and delete .rej files), git add the files, run aiwf check, "
            "then commit"
            if conflicts
            else "fix what each SDK's error says, then run aiwf upgrade again"
        )
        raise AiwfError("; ".join(parts), code="G061", hint=hint)


def _pre_commit_note(version: str, jobs: list[SdkJob]) -> None:
    """Say so when the repository's pre-commit config pins aiwf's hooks at an older rev: at
    that rev, `aiwf-check` and `aiwf-sdk` would refuse the upgraded SDKs."""
    from aiwf._generate.hooks import stale_hook_revs

    for path, rev in stale_hook_revs([job.out for job in jobs], version):
        click.echo(
            f"{as_typed(path)}: note: aiwf's hooks are pinned at rev {rev}; bump it to "
            f"v{version} in the same commit (the hooks run the aiwf that `rev` names)",
            err=True,
        )
