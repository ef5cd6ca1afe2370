"""``aiwf upgrade``: move SDK scaffolds to the installed template version and regenerate."""

from __future__ import annotations

from pathlib import Path

import click

from aiwf.cli import app_context, shared_options
from aiwf.commands.sdk import compile_program
from aiwf.errors import AiwfError
from aiwf.generate.jobs import SdkJob, from_config, from_manifest
from aiwf.ir.model import Program


@click.command("upgrade")
@click.argument("sdk_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@shared_options
def command(sdk_dirs: tuple[Path, ...]) -> None:
    """Upgrade the SDKs in SDK_DIRS (default: every [[sdk]] of the project config).

    Runs `copier update` to the template version of this aiwf (your edits to the scaffold
    are kept, the template's migrations run), then rewrites the generated files. The SDK
    must be committed in git first. Fails, naming the files, when the merge left conflicts.
    """
    from aiwf.generate.templates import locate
    from aiwf.generate.upgrade import upgrade

    app = app_context()
    jobs: list[SdkJob] = (
        [from_manifest(d) for d in sdk_dirs] if sdk_dirs else from_config(app.config)
    )
    tree = locate()
    cache: dict[Path, Program] = {}
    conflicts: list[str] = []
    for job in jobs:
        program = compile_program(app, job.spec, cache)
        report = upgrade(job, program, tree)
        if app.verbosity >= 0:
            move = (
                f"{report.from_version or '?'} -> {report.to_version or '?'}"
                if report.updated
                else f"already at {report.from_version}"
            )
            click.echo(
                f"{job.out}: scaffold {move}, {len(report.generated.written)} generated file(s) "
                "rewritten"
            )
        for rel in report.conflicts:
            click.echo(f"{job.out / rel}: conflict left by the update", err=True)
            conflicts.append(str(job.out / rel))
    if conflicts:
        raise AiwfError(
            f"the update left conflicts in {len(conflicts)} file(s): {', '.join(conflicts)}",
            code="G061",
            hint="resolve the markers (and delete .rej files), then commit; aiwf check verifies",
        )
