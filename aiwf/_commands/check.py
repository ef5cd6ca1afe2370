"""``aiwf check``: exit 1, with a unified diff, when a generated SDK is out of step."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aiwf._cli import app_context, shared_options
from aiwf._errors import AiwfError
from aiwf._generate.jobs import from_dirs_or_config
from aiwf._paths import as_typed

if TYPE_CHECKING:
    from aiwf._generate.targets.base import Environments
    from aiwf._ir.model import Program


@click.command("check")
@click.argument("sdk_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-diff", is_flag=True, help="Name the files only.")
@shared_options
def command(sdk_dirs: tuple[Path, ...], no_diff: bool) -> None:
    """Check that the SDKs in SDK_DIRS (default: every [[sdk]] of the project config) are in
    step: generated files current (not stale, missing, extra or edited), the scaffold at the
    installed template version, and no conflict leftovers from an update.

    Renders afresh in memory and writes nothing; for CI and pre-commit.
    """
    from aiwf._generate.drift import FIXES, check, quick_check
    from aiwf._generate.targets import get_target
    from aiwf._generate.templates import locate

    app = app_context()
    jobs = from_dirs_or_config(sdk_dirs, app.config)
    tree = locate()
    cache: dict[Path, tuple[Program, Environments]] = {}
    count = 0
    # Under pre-commit the working tree is what is staged (it stashes the rest).
    staged_only = os.environ.get("PRE_COMMIT") == "1"
    # Each fix is named once, after the first problem it fixes: a changed spec makes most
    # generated files stale, and pre-commit shows all of this output.
    fixes: list[str] = []
    for job in jobs:
        # An SDK whose inputs and files are what its manifest recorded needs no render.
        problems = quick_check(job, tree)
        if problems is None:
            from aiwf._commands.sdk import compile_program

            program, environments = compile_program(app, job.spec, cache)
            problems = check(job, program, tree, environments)
        count += len(problems)
        out = as_typed(job.out)
        extensions = get_target(job.lang).extensions.format(package=job.package)
        for problem in problems:
            if problem.diff and not no_diff:
                click.echo(_labelled(problem.diff, problem.path, out), nl=False)
        for problem in problems:
            line = f"{out / problem.path}: {problem.kind}: {problem.message}"
            fix = FIXES[problem.kind].format(extensions=extensions)
            if staged_only and problem.kind in _REGENERATE:
                fix += (
                    f", then stage it (git add {out}): pre-commit checks the staged files, so "
                    "an SDK regenerated but not staged is still out of step here"
                )
            if fix not in fixes:
                fixes.append(fix)
                line += f"\n  hint: {fix}"
            click.echo(line, err=True)
        if not problems and app.verbosity >= 0:
            click.echo(f"{as_typed(job.out)}: {job.lang} SDK {job.package} is in step", err=True)
    if count:
        raise AiwfError(
            f"{count} problem(s) in {len(jobs)} SDK(s)", code="G060", hint="; ".join(fixes)
        )


#: The kinds of drift that regenerating (or upgrading) fixes.
_REGENERATE = frozenset({"stale", "missing", "extra", "behind"})


def _labelled(diff: str, rel: str, out: Path) -> str:
    """``diff`` with its file names under the SDK directory (``a/sdk/go/contracts.go``), so
    the diffs of several SDKs say which one each belongs to."""
    head = f"--- a/{rel}\n+++ b/{rel}\n"
    if not diff.startswith(head):
        return diff
    where = out.as_posix()
    old, new = (
        (f"{where}/{rel}",) * 2 if out.is_absolute() else (f"a/{where}/{rel}", f"b/{where}/{rel}")
    )
    return f"--- {old}\n+++ {new}\n" + diff[len(head) :]
