"""The project config: ``[tool.aiwf]`` in ``pyproject.toml``, or an ``aiwf.toml``.

Keys (all optional)::

    spec = "specs/"                       # spec path(s) used when a command gets none
    store = "file://.aiwf/artifacts"      # artifact store URL for runs
    default_env = "dev"                   # environment applied when --env/$AIWF_ENV is unset

    [[sdk]]                               # SDKs written by `aiwf sdk`, checked by `aiwf check`
    lang = "python"                       # a target: python, go or typescript
    out = "sdk/python"                    # the SDK directory
    package = "support_ai"                # package / module name
    spec = "specs/support.aiwf.yaml"      # optional: default the first `spec` path

    [templates]                           # where SDKs say their scaffold template lives
    source = "https://git.example.com/mirror/aiwf.git"   # a fork or mirror of aiwf's repository
    [breaking]                            # `aiwf breaking`, `aiwf changelog` (docs/breaking.md)
    against = "origin/main"               # default --against (else the merge base with main)
    fail_on = "error"                     # default --fail-on: error, warning or info
    skip = ["assistant-instructions-changed"]   # rules not reported
    bump_version = false                  # `aiwf sdk` writes the version the changes call for
    [[breaking.accept]]                   # a deliberate change, accepted in review
    fingerprint = "3f9c0a1d2b4e5f60"
    reason = "v2 drops the legacy field (#123)"
    [engine]                              # which engine runs `aiwf run` (docs/distributed.md)
    kind = "temporal"                     # local (the default) or temporal
    address = "temporal.internal:7233"    # ... and the Temporal connection, queue and limits

    [environments.prod]                   # selected with --env prod (or AIWF_ENV=prod)
    store = "s3://acme-aiwf/prod"
    [environments.prod.models.fast]       # merged over the spec's `models.fast` route
    model = "gpt-5.4"
    [environments.prod.engine]            # merged over [engine], key by key
    namespace = "prod"

In ``pyproject.toml`` every table is under ``tool.aiwf`` (``[tool.aiwf.environments.prod]``).
Relative paths are relative to the directory of the config file.
"""

from __future__ import annotations

import json
import sys
from dataclasses import field, replace
from functools import cache
from pathlib import Path
from typing import Any

from aiwf import _codes as codes
from aiwf._errors import AiwfError
from aiwf._ir._dc import dataclass
from aiwf._paths import shown_path
from aiwf._structure import Checker, Problem, render_path
from aiwf._suggest import did_you_mean


def _toml() -> Any:
    """The TOML parser (imported when a config file is read: a command run outside any
    project reads none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    return tomllib


CONFIG_FILE = "aiwf.toml"
PYPROJECT = "pyproject.toml"

#: The JSON Schema of the config table (shipped beside this module; editors that read JSON
#: Schemas for TOML can use it too).
SCHEMA_FILE = "config.schema.json"
FAIL_ON_LEVELS = ("error", "warning", "info")
#: How messages name the kinds of values, in TOML's words.
_TOML_NOUNS = {
    "object": "a table",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


@dataclass(frozen=True)
class EnvironmentConfig:
    """One ``[environments.NAME]`` section."""

    store: str | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SdkConfig:
    """One ``[[sdk]]`` entry: an SDK that ``aiwf sdk`` writes and ``aiwf check`` checks.
    Paths are as written (relative to the config file's directory)."""

    lang: str
    out: str
    package: str | None = None
    spec: str | None = None


@dataclass(frozen=True)
class AcceptedChange:
    """One ``[[breaking.accept]]`` entry: a change accepted by its fingerprint."""

    fingerprint: str
    reason: str


@dataclass(frozen=True)
class BreakingConfig:
    """The ``[breaking]`` table: defaults for ``aiwf breaking`` and ``aiwf changelog``."""

    against: str | None = None
    fail_on: str = "error"
    skip: tuple[str, ...] = ()
    accept: tuple[AcceptedChange, ...] = ()
    bump_version: bool = False


@dataclass(frozen=True)
class ProjectConfig:
    """The project config after the selected environment has been applied.

    The config is read with the standard library only (it is on the ``aiwf validate`` path,
    which runs on every commit): it is checked against its JSON Schema
    (``aiwf/config.schema.json``) by :mod:`aiwf._structure`, the checker of the spec format.
    """

    spec: tuple[str, ...] = ()
    store: str | None = None
    default_env: str | None = None
    environments: dict[str, EnvironmentConfig] = field(default_factory=dict)
    sdk: tuple[SdkConfig, ...] = ()
    #: ``[templates] source``: the template repository new SDKs record (a fork or mirror of
    #: aiwf's); None: the project's public repository.
    template_source: str | None = None
    breaking: BreakingConfig = field(default_factory=BreakingConfig)
    #: Where the config was read from (None: no config file found).
    source: Path | None = None
    #: The environment applied, if any.
    env: str | None = None
    #: Route overrides of the applied environment (alias -> fields).
    model_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The ``[engine]`` table (with the applied environment's ``engine`` merged over it).
    engine: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The directory relative paths in the config are resolved against."""
        return self.source.parent if self.source is not None else Path.cwd()

    def spec_paths(self) -> list[Path]:
        """The configured spec paths, resolved against :attr:`root`."""
        return [self.root / p for p in self.spec]


@cache
def _checker() -> Checker:
    schema = json.loads(Path(__file__).with_name(SCHEMA_FILE).read_text(encoding="utf-8"))
    return Checker(schema, _TOML_NOUNS)


class _Source:
    """Where the config was read from, for its errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.prefix = "tool.aiwf." if path.name == PYPROJECT else ""

    def fail(self, key: str, message: str, hint: str | None = None) -> AiwfError:
        return AiwfError(
            f"config key {self.prefix}{key}: {message}",
            code=codes.C004,
            file=str(shown_path(self.path)),
            hint=hint or codes.C004.hint,
        )

    def problem(self, problem: Problem) -> AiwfError:
        """The error of the first problem the checker found."""
        key = render_path(problem.path)
        if problem.kind == "unknown":
            allowed = problem.allowed
            known = did_you_mean(str(problem.key), allowed) or f"known keys: {', '.join(allowed)}"
            return self.fail(key, "unknown key", known)
        if problem.kind == "missing":
            return self.fail(render_path(problem.parent), problem.text,
                             f'add {problem.key} = "..."')  # fmt: skip
        hint = did_you_mean(str(problem.value), problem.allowed) if problem.allowed else None
        return self.fail(key, problem.text, hint)


def _parse(table: dict[str, Any], path: Path) -> ProjectConfig:
    """The config of ``table``: checked against the config's JSON Schema (the first problem
    is the error), then read."""
    source = _Source(path)
    problems = _checker().check(table, _checker().document)
    if problems:
        raise source.problem(problems[0])
    spec = table.get("spec", [])
    environments = {
        name: EnvironmentConfig(
            store=env.get("store"),
            models=env.get("models", {}),
            engine=_engine(env.get("engine", {})),
        )
        for name, env in table.get("environments", {}).items()
    }
    return ProjectConfig(
        spec=(spec,) if isinstance(spec, str) else tuple(spec),
        sdk=tuple(SdkConfig(**entry) for entry in table.get("sdk", [])),
        template_source=_template_source(source, table.get("templates", {})),
        breaking=_breaking(source, table.get("breaking", {})),
        store=table.get("store"),
        default_env=table.get("default_env"),
        environments=environments,
        source=path,
        engine=_engine(table.get("engine", {})),
    )


def _engine(raw: dict[str, Any]) -> dict[str, Any]:
    """An ``[engine]`` table, checked; TOML's ``8.0`` where a whole number is wanted (JSON
    Schema counts it as one) is given as ``8``."""
    whole = _checker().document["$defs"]["Engine"]["properties"]
    return {
        key: int(value)
        if value.__class__ is float and whole[key].get("type") == "integer"
        else value
        for key, value in raw.items()
    }


def _template_source(source: _Source, raw: dict[str, Any]) -> str | None:
    url: str | None = raw.get("source")
    if url is not None and not ("://" in url or url.startswith(("git@", "gh:", "gl:"))):
        raise source.fail(
            "templates.source",
            f"must be a git URL, not a path ({url!r}): every SDK records it, and a path "
            "only exists on one machine",
            hint='for example source = "https://git.example.com/mirror/aiwf.git"',
        )
    return url


def _breaking(source: _Source, raw: dict[str, Any]) -> BreakingConfig:
    accepted: list[AcceptedChange] = []
    for i, entry in enumerate(raw.get("accept", [])):
        fingerprint, reason = entry.get("fingerprint"), entry.get("reason")
        if not fingerprint or not reason or not reason.strip():
            raise source.fail(
                f"breaking.accept[{i}]",
                "needs a fingerprint and a reason",
                hint='fingerprint = "..." (printed with each change), reason = "why it is fine"',
            )
        accepted.append(AcceptedChange(fingerprint.strip().lower(), reason.strip()))
    return BreakingConfig(
        against=raw.get("against"),
        fail_on=raw.get("fail_on", "error"),
        skip=tuple(raw.get("skip", ())),
        accept=tuple(accepted),
        bump_version=raw.get("bump_version", False),
    )


def find_config(start: Path) -> Path | None:
    """The nearest ``aiwf.toml``, or ``pyproject.toml`` with a ``[tool.aiwf]`` table, at or
    above ``start``."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file():
            tomllib = _toml()
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "aiwf" in data.get("tool", {}):
                return pyproject
    return None


def _read_table(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AiwfError(
            "config file not found", code=codes.C001, file=str(path), hint=codes.C001.hint
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AiwfError(
            f"cannot read config file: {exc}", code=codes.C001, file=str(shown_path(path))
        ) from None
    if text.replace("\r\n", "\n").strip(" \t\n"):
        tomllib = _toml()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AiwfError(
                f"invalid TOML: {exc}", code=codes.C002, file=str(shown_path(path))
            ) from None
    else:  # only TOML whitespace: an empty table, without importing the parser
        data = {}
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("aiwf")
        if table is None:
            raise AiwfError(
                "no [tool.aiwf] table in this pyproject.toml",
                code=codes.C003,
                file=str(shown_path(path)),
                hint=codes.C003.hint,
            )
        return dict(table)
    return dict(data)


def load_config(
    path: Path | None = None, *, env: str | None = None, cwd: Path | None = None
) -> ProjectConfig:
    """Load the project config and apply the environment ``env`` (or ``default_env``).

    With no ``path``, the nearest config at or above ``cwd`` is used; with none found, an
    empty config. An unknown environment name is an error naming the known ones.
    """
    source = path if path is not None else find_config(cwd or Path.cwd())
    config = _parse(_read_table(source), source) if source is not None else ProjectConfig()
    selected = env or config.default_env
    if selected is None:
        return config
    environment = config.environments.get(selected)
    if environment is None:
        known = ", ".join(sorted(config.environments)) or "none defined"
        raise AiwfError(
            f"unknown environment {selected!r} (known: {known})",
            code=codes.C005,
            file=str(shown_path(source)) if source is not None else None,
            hint=codes.C005.hint,
        )
    return replace(
        config,
        env=selected,
        store=environment.store or config.store,
        model_overrides=environment.models,
        engine={**config.engine, **environment.engine},
    )
