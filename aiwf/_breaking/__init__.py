"""``aiwf breaking`` and ``aiwf changelog``: what a spec change does to the consumers of the
generated SDKs.

:func:`compare_specs` compiles the spec in the working tree and the same spec at a git ref
(or in a directory or file), compares the two programs (:mod:`aiwf._breaking.compare`) and
places every change in the spec files (:mod:`aiwf._breaking.locate`). Each change is under a
rule of :data:`~aiwf._breaking.rules.RULES`; :mod:`aiwf._breaking.findings` turns them into
diagnostics for the gate, :mod:`aiwf._breaking.changelog` into a Markdown section and a
SemVer bump, and :mod:`aiwf._breaking.version` writes that version into an SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiwf._breaking.changes import Change
from aiwf._breaking.rules import RULES, Rule
from aiwf._config import ProjectConfig
from aiwf._diagnostics import Diagnostic
from aiwf._errors import AiwfError
from aiwf._ir.model import Program

if TYPE_CHECKING:
    from aiwf._breaking.names import Names


@dataclass
class SpecComparison:
    """The comparison of one spec with its old version."""

    spec: Path
    #: How the old side is named: the ref (or the short commit of the merge base) or path.
    against: str
    old: Program
    new: Program
    changes: list[Change]
    #: True when the old side had no such spec (everything in the new one is an addition).
    missing: bool = False
    #: Warnings met while compiling either side.
    warnings: list[Diagnostic] = field(default_factory=list)
    _names: tuple[dict[str, Names], dict[str, Names]] | None = field(
        default=None, init=False, repr=False
    )

    def names(self) -> tuple[dict[str, Names], dict[str, Names]]:
        """The per-language names of the old and the new program (made on first use: only
        changes that are reported need them)."""
        if self._names is None:
            from aiwf._breaking.names import program_names

            self._names = (program_names(self.old), program_names(self.new))
        return self._names


def _compile(files: list, config: ProjectConfig, what: str) -> tuple[Program, list[Diagnostic]]:  # type: ignore[type-arg]
    from aiwf._ir.compiler import compile_files

    result = compile_files(
        files,
        model_overrides=config.model_overrides,
        overrides_source=str(config.source) if config.source else None,
        env=config.env,
    )
    if result.program is None:
        first = result.errors[0]
        raise AiwfError(
            f"{what} does not compile: {first.message}",
            code="B003",
            file=first.file,
            line=first.line,
            column=first.column,
            hint=f"{len(result.errors)} error(s); run aiwf validate on it",
        )
    return result.program, result.warnings


def _empty(like: Program) -> Program:
    return Program(name=like.name, sources=(), models={}, contracts={}, assistants={},
                   workflows={})  # fmt: skip


def compare_specs(spec: Path, against: str | None, config: ProjectConfig) -> SpecComparison:
    """Compare the spec at ``spec`` (a file or a spec directory) with ``against``: a git ref,
    a directory or a file; ``None`` means the merge base of HEAD with the main branch."""
    from aiwf._breaking.compare import compare
    from aiwf._breaking.locate import Locator, locate
    from aiwf._breaking.source import load_against, load_merge_base
    from aiwf._spec import load_spec

    loaded_new = load_spec(spec)
    if loaded_new.diagnostics:
        first = loaded_new.diagnostics[0]
        raise AiwfError(f"the spec does not load: {first.message}", code="B003", file=first.file,
                        line=first.line, column=first.column, hint=first.hint)  # fmt: skip
    new, warnings = _compile(loaded_new.files, config, f"the spec {spec}")
    side = load_merge_base(spec) if against is None else load_against(spec, against)
    if side.missing:
        old = _empty(new)
        changes = compare(old, new)
        new_locator = Locator(loaded_new.files, new)
        return SpecComparison(spec, side.label, old, new,
                              locate(changes, Locator([], old), new_locator), True, warnings)  # fmt: skip
    if side.loaded.diagnostics:
        first = side.loaded.diagnostics[0]
        raise AiwfError(f"the spec at {side.label} does not load: {first.message}", code="B003",
                        file=first.file, line=first.line, column=first.column)  # fmt: skip
    old, _ = _compile(side.loaded.files, config, f"the spec at {side.label}")
    changes = compare(old, new)
    placed = locate(changes, Locator(side.loaded.files, old), Locator(loaded_new.files, new))
    return SpecComparison(spec, side.label, old, new, placed, False, warnings)


__all__ = ["RULES", "Change", "Rule", "SpecComparison", "compare_specs"]
