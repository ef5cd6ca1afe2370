"""aiwf's Python API for a spec in a repository: compile it as ``aiwf compile`` does.

::

    import aiwf

    program = aiwf.compile("specs/", env="staging")   # an aiwf.Program
    program.models["fast"]                              # an aiwf.Route
    program.workflows["triage"].steps

A spec with errors raises :class:`CompileFailed` (an :class:`~aiwf._errors.AiwfError`) naming
the first error by file, line and column, with every diagnostic in ``.diagnostics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiwf._errors import AiwfError

if TYPE_CHECKING:
    from aiwf._config import ProjectConfig
    from aiwf._diagnostics import Diagnostic
    from aiwf._ir.compiler import CompileResult
    from aiwf._ir.model import Program


class CompileFailed(AiwfError):
    """A spec that does not compile: the first error, and every diagnostic (``diagnostics``,
    errors first, warnings after)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        first = next((d for d in diagnostics if d.is_error), diagnostics[0])
        errors = sum(1 for d in diagnostics if d.is_error)
        more = f" (and {errors - 1} more error(s))" if errors > 1 else ""
        super().__init__(
            first.message + more,
            code=first.code,
            hint=first.hint,
            file=first.file,
            line=first.line,
            column=first.column,
        )
        self.diagnostics = tuple(diagnostics)


def compile_with(
    path: Path, config: ProjectConfig, env: str | None, *, shown_from: Path | None = None
) -> tuple[CompileResult, list[Diagnostic]]:
    """Load and compile the spec at ``path`` with the model overrides of the config's
    environment ``env`` (none when None), naming files relative to ``shown_from``: the result
    (no program when a file could not be loaded) and every diagnostic, sorted. What
    :func:`compile` and the CLI's spec-reading commands share."""
    from aiwf._diagnostics import sort_diagnostics
    from aiwf._ir.compiler import CompileResult, compile_files
    from aiwf._paths import shown_path
    from aiwf._spec import load_spec

    overrides = config.environments[env].models if env is not None else {}
    loaded = load_spec(path, shown_from=shown_from)
    result = compile_files(
        loaded.files,
        model_overrides=overrides,
        overrides_source=str(shown_path(config.source, shown_from)) if config.source else None,
        env=env,
    )
    diagnostics = sort_diagnostics([*loaded.diagnostics, *result.diagnostics])
    if loaded.diagnostics:
        result = CompileResult(None, diagnostics)
    return result, diagnostics


def compile(
    path: str | Path,
    *,
    env: str | None = None,
    config: str | Path | None = None,
) -> Program:
    """Compile the spec at ``path`` (a file or a directory of ``*.aiwf.yaml``) to its IR.

    Args:
        path: the spec, as ``aiwf validate`` takes it.
        env: an environment of the project config whose model overrides apply (default:
            the config's ``default_env``, if any; ``$AIWF_ENV`` is not read here).
        config: the project config file (default: the nearest ``aiwf.toml`` or
            ``pyproject.toml`` with ``[tool.aiwf]`` at or above ``path``).

    Raises:
        CompileFailed: the spec has errors (warnings alone do not raise).
        AiwfError: the config cannot be read, or ``env`` is not one of its environments.
    """
    from aiwf._config import load_config
    from aiwf._paths import repository_root

    spec = Path(path)
    start = spec if spec.is_dir() else spec.parent
    settings = load_config(Path(config) if config is not None else None, env=env, cwd=start)
    root = repository_root(settings.source.parent if settings.source else None, cwd=start)
    result, diagnostics = compile_with(spec, settings, settings.env, shown_from=root)
    if result.program is None:
        raise CompileFailed(diagnostics)
    return result.program
