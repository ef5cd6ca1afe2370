"""What ``aiwf sdk`` does, without click: :mod:`aiwf._commands.sdk` is its click command, and
:mod:`aiwf._entry` runs :func:`run_sdk` directly for a plain command line (click's import is
a tenth of a run)."""

from __future__ import annotations

import sys
from pathlib import Path

from aiwf._commands._spec import as_typed, compile_spec
from aiwf._context import AppContext
from aiwf._diagnostics import render
from aiwf._echo import echo
from aiwf._errors import AiwfError, UsageError
from aiwf._generate.jobs import SdkJob, from_config, from_options
from aiwf._generate.targets.base import Environments
from aiwf._ir.model import Program


def compile_program(
    app: AppContext, path: Path, cache: dict[Path, tuple[Program, Environments]]
) -> tuple[Program, Environments]:
    """The IR of the spec at ``path`` as an SDK is generated from it (compiled once per
    command): the spec's own routes, and each environment of the project config as the
    routes it overrides (an SDK picks one at run time, so ``--env`` changes nothing here).
    Diagnostics are printed and errors end the command."""
    key = path.resolve()
    if key in cache:
        return cache[key]
    path = as_typed(path)  # diagnostics name files as the user would type them
    program = _compiled(app, path, None)
    environments: Environments = {}
    for name, environment in sorted(app.config.environments.items()):
        if environment.models:
            routes = _compiled(app, path, name).models
            environments[name] = {
                alias: routes[alias].to_dict() for alias in sorted(environment.models)
            }
    cache[key] = (program, environments)
    return cache[key]


def _compiled(app: AppContext, path: Path, env: str | None) -> Program:
    compiled = compile_spec(app, path, env=env)
    program = compiled.result.program
    if compiled.diagnostics and (program is None or app.verbosity >= 0):
        echo(render(compiled.diagnostics, "text", color=sys.stderr.isatty()), err=True)
    if program is None:
        where = f" with environment {env!r}" if env else ""
        raise AiwfError(f"spec {path} has errors{where} (run aiwf validate {path})", code="G050")
    return program


def select_jobs(
    app: AppContext, spec: Path | None, lang: str | None, out: Path | None, package: str | None
) -> list[SdkJob]:
    """The SDK named by the options, else those of the project config."""
    if spec is not None:
        return [from_options(spec, lang or "python", out, package, app.config.source)]
    if lang or out or package:
        raise UsageError(
            "--lang, --out and --package need a SPEC", hint="aiwf sdk SPEC --lang python --out DIR"
        )
    return from_config(app.config)


def bump_version(app: AppContext, job: SdkJob, ref: str | None) -> bool:
    """Write the version the changes of the job's spec since ``ref`` call for into its SDK
    (``aiwf._breaking.version``); True when a file was written."""
    from aiwf._breaking import compare_specs
    from aiwf._breaking.changelog import bump_for, counted
    from aiwf._breaking.source import Git
    from aiwf._breaking.version import bump_sdk

    ref = ref or app.config.breaking.against or Git(job.out).merge_base()
    comparison = compare_specs(as_typed(job.spec), ref, app.config)
    bump = bump_for(counted([comparison], app.config.breaking.skip))
    result = bump_sdk(job.out, job.lang, ref, bump)
    where = as_typed(job.out)
    if result.tag is not None:
        echo(f"{where}: {bump} change since {ref}: tag the Go module: git tag {result.tag}")
    elif result.written:
        echo(f"{where}: version {result.previous} -> {result.version} ({bump} change since {ref})")
    elif app.verbosity > 0:
        echo(f"{where}: version kept ({bump or 'no'} change since {ref})", err=True)
    if result.note and app.verbosity >= 0:
        echo(f"  {result.note}", err=True)
    return bool(result.written)


def run_sdk(
    app: AppContext,
    spec: Path | None,
    lang: str | None,
    out: Path | None,
    package: str | None,
    exit_code: bool,
    module: str | None = None,
    bump_ref: str | None = None,
) -> None:
    """``aiwf sdk`` with its options (see the command's help), printing as the command does."""
    from aiwf._generate.drift import quick_check
    from aiwf._generate.templates import locate
    from aiwf._generate.writer import WriteReport, generate

    if module is not None:
        if package is not None and package != module:
            raise UsageError("--module and --package name different packages", hint="pass one")
        package = module
    jobs = select_jobs(app, spec, lang, out, package)
    tree = locate()
    cache: dict[Path, tuple[Program, Environments]] = {}
    touched: list[str] = []
    for job in jobs:
        if quick_check(job, tree) is not None:
            report = WriteReport()  # made from exactly these inputs: nothing to render
        else:
            program, environments = compile_program(app, job.spec, cache)
            report = generate(
                job, program, tree, environments=environments, source=app.config.template_source
            )
        changed = len(report.written) + len(report.removed)
        if changed or report.scaffolded:
            touched.append(str(as_typed(job.out)))
        if app.verbosity >= 0:
            if report.scaffolded:
                written = len(report.scaffold) + len(report.written)
                state = (
                    f"created, {written} file(s) written ({len(report.scaffold)} scaffold, "
                    f"{len(report.written)} generated)"
                )
            else:
                state = f"updated, {changed} file(s) changed" if changed else "is up to date"
            echo(f"{as_typed(job.out)}: {job.lang} SDK {job.package} {state}")
            for rel in report.kept:
                echo(f"  kept {rel}: no longer generated, but edited by hand", err=True)
        bump = (bump_ref or app.config.breaking.bump_version) and not report.scaffolded
        if bump and bump_version(app, job, bump_ref) and str(as_typed(job.out)) not in touched:
            touched.append(str(as_typed(job.out)))
    if exit_code and touched:
        raise AiwfError(
            f"regenerated {len(touched)} SDK(s) ({', '.join(touched)})",
            code="G062",
            hint=f"review and stage the changes (git add {' '.join(touched)}), then commit again",
        )
