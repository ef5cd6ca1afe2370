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

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiwf.errors import AiwfError
from aiwf.suggest import did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

CONFIG_FILE = "aiwf.toml"
PYPROJECT = "pyproject.toml"

#: Keys of the config table and of an environment table, with their expected kinds.
_TOP_KEYS = {
    "spec": "a path or a list of paths",
    "store": "a store URL",
    "default_env": "a name",
    "environments": "a table",
    "sdk": "a list of SDK targets",
    "templates": "a table (source)",
    "breaking": "a table (against, fail_on, skip, accept, bump_version)",
    "engine": "a table",
}
_BREAKING_KEYS = {
    "against": "a git ref or a path",
    "fail_on": "error, warning or info",
    "skip": "a list of rule ids",
    "accept": "a list of accepted changes",
    "bump_version": "true or false",
}
_ACCEPT_KEYS = {"fingerprint": "a change's fingerprint", "reason": "why it is accepted"}
FAIL_ON_LEVELS = ("error", "warning", "info")
_SDK_KEYS = {"lang": "a target language", "out": "a directory", "package": "a package name",
             "spec": "a spec path"}  # fmt: skip
_TEMPLATES_KEYS = {"source": "a git URL"}
_ENV_KEYS = {"store": "a store URL", "models": "a table of model aliases", "engine": "a table"}
#: Keys of the ``[engine]`` table: name -> (expected type, description).
ENGINE_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "kind": (str, "local or temporal"),
    "address": (str, "the Temporal frontend, HOST:PORT"),
    "namespace": (str, "a Temporal namespace"),
    "task_queue": (str, "a task queue name"),
    "tls": (bool, "true or false"),
    "tls_cert_path": (str, "a client certificate file"),
    "tls_key_path": (str, "a client key file"),
    "tls_ca_path": (str, "a CA certificate file"),
    "tls_server_name": (str, "the TLS server name"),
    "api_key_env": (str, "the environment variable holding the Temporal API key"),
    "heartbeat_timeout": ((int, float), "seconds"),
    "payload_threshold": (int, "bytes"),
    "scatter_inline_items": (int, "a number of items"),
    "scatter_batch_items": (int, "a number of items"),
    "sticky_timeout": ((int, float), "seconds"),
    "max_concurrent_activities": (int, "a number of activities"),
    "sandbox": (bool, "true or false"),
}
#: Engines ``[engine] kind`` can name.
ENGINE_KINDS = ("local", "temporal")


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
    which runs on every commit); its few keys are checked by hand with clear messages.
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


class _Checker:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.prefix = "tool.aiwf." if source.name == PYPROJECT else ""

    def fail(self, key: str, message: str, hint: str | None = None) -> AiwfError:
        return AiwfError(
            f"config key {self.prefix}{key}: {message}",
            code="C004",
            file=str(self.source),
            hint=hint or "see docs/configuration.md for the keys",
        )

    def keys(self, table: dict[str, Any], allowed: dict[str, str], where: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    f"{where}{key}",
                    "unknown key",
                    did_you_mean(key, allowed) or f"known keys: {', '.join(allowed)}",
                )

    def string(self, table: dict[str, Any], key: str, where: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{where}{key}", f"must be a string, not {type(value).__name__}")
        return value


def _parse(table: dict[str, Any], source: Path) -> ProjectConfig:
    check = _Checker(source)
    check.keys(table, _TOP_KEYS, "")
    spec = table.get("spec", [])
    if isinstance(spec, str):
        spec = [spec]
    if not isinstance(spec, list) or not all(isinstance(p, str) for p in spec):
        raise check.fail("spec", "must be a path or a list of paths")
    environments: dict[str, EnvironmentConfig] = {}
    raw_envs = table.get("environments", {})
    if not isinstance(raw_envs, dict):
        raise check.fail("environments", "must be a table of environments")
    for name, env in raw_envs.items():
        where = f"environments.{name}."
        if not isinstance(env, dict):
            raise check.fail(f"environments.{name}", "must be a table")
        check.keys(env, _ENV_KEYS, where)
        models = env.get("models", {})
        if not isinstance(models, dict) or not all(isinstance(v, dict) for v in models.values()):
            raise check.fail(
                f"{where}models", "must be a table of model aliases, each a table of route fields"
            )
        environments[name] = EnvironmentConfig(
            store=check.string(env, "store", where),
            models=models,
            engine=_parse_engine(check, env.get("engine", {}), f"{where}engine"),
        )
    return ProjectConfig(
        spec=tuple(spec),
        sdk=_parse_sdk(check, table.get("sdk", [])),
        template_source=_parse_templates(check, table.get("templates", {})),
        breaking=_parse_breaking(check, table.get("breaking", {})),
        store=check.string(table, "store", ""),
        default_env=check.string(table, "default_env", ""),
        environments=environments,
        source=source,
        engine=_parse_engine(check, table.get("engine", {}), "engine"),
    )


def _parse_engine(check: _Checker, raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise check.fail(where, "must be a table", hint='kind = "temporal"')
    check.keys(raw, {k: v[1] for k, v in ENGINE_KEYS.items()}, f"{where}.")
    for key, value in raw.items():
        expected, what = ENGINE_KEYS[key]
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise check.fail(f"{where}.{key}", f"must be {what}")
    kind = raw.get("kind")
    if kind is not None and kind not in ENGINE_KINDS:
        raise check.fail(f"{where}.kind", f"unknown engine {kind!r}", hint="local or temporal")
    return dict(raw)


def _parse_sdk(check: _Checker, raw: Any) -> tuple[SdkConfig, ...]:
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise check.fail("sdk", "must be a list of tables", hint="write [[sdk]] tables")
    out: list[SdkConfig] = []
    for i, entry in enumerate(raw):
        where = f"sdk[{i}]."
        check.keys(entry, _SDK_KEYS, where)
        lang, directory = check.string(entry, "lang", where), check.string(entry, "out", where)
        if lang is None or directory is None:
            raise check.fail(f"sdk[{i}]", "needs lang and out", hint='lang = "python"')
        out.append(
            SdkConfig(
                lang=lang,
                out=directory,
                package=check.string(entry, "package", where),
                spec=check.string(entry, "spec", where),
            )
        )
    return tuple(out)


def _parse_templates(check: _Checker, raw: Any) -> str | None:
    if not isinstance(raw, dict):
        raise check.fail("templates", "must be a table", hint='[templates] source = "https://..."')
    check.keys(raw, _TEMPLATES_KEYS, "templates.")
    source = check.string(raw, "source", "templates.")
    if source is not None and not ("://" in source or source.startswith(("git@", "gh:", "gl:"))):
        raise check.fail(
            "templates.source",
            f"must be a git URL, not a path ({source!r}): every SDK records it, and a path "
            "only exists on one machine",
            hint='for example source = "https://git.example.com/mirror/aiwf.git"',
        )
    return source


def _parse_breaking(check: _Checker, raw: Any) -> BreakingConfig:
    if not isinstance(raw, dict):
        raise check.fail("breaking", "must be a table", hint="write a [breaking] table")
    check.keys(raw, _BREAKING_KEYS, "breaking.")
    fail_on = check.string(raw, "fail_on", "breaking.") or "error"
    if fail_on not in FAIL_ON_LEVELS:
        raise check.fail(
            "breaking.fail_on", f"must be one of {', '.join(FAIL_ON_LEVELS)}, not {fail_on!r}"
        )
    skip = raw.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(s, str) for s in skip):
        raise check.fail("breaking.skip", "must be a list of rule ids",
                         hint="aiwf breaking --list-rules prints them")  # fmt: skip
    bump = raw.get("bump_version", False)
    if not isinstance(bump, bool):
        raise check.fail("breaking.bump_version", "must be true or false")
    accepts = raw.get("accept", [])
    if not isinstance(accepts, list) or not all(isinstance(a, dict) for a in accepts):
        raise check.fail("breaking.accept", "must be a list of tables",
                         hint="write [[breaking.accept]] tables with fingerprint and reason")  # fmt: skip
    accepted: list[AcceptedChange] = []
    for i, entry in enumerate(accepts):
        where = f"breaking.accept[{i}]."
        check.keys(entry, _ACCEPT_KEYS, where)
        fingerprint = check.string(entry, "fingerprint", where)
        reason = check.string(entry, "reason", where)
        if not fingerprint or not reason or not reason.strip():
            raise check.fail(
                f"breaking.accept[{i}]",
                "needs a fingerprint and a reason",
                hint='fingerprint = "..." (printed with each change), reason = "why it is fine"',
            )
        accepted.append(AcceptedChange(fingerprint.strip().lower(), reason.strip()))
    return BreakingConfig(
        against=check.string(raw, "against", "breaking."),
        fail_on=fail_on,
        skip=tuple(skip),
        accept=tuple(accepted),
        bump_version=bump,
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
            "config file not found", code="C001", file=str(path), hint="check the --config path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AiwfError(f"cannot read config file: {exc}", code="C001", file=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AiwfError(f"invalid TOML: {exc}", code="C002", file=str(path)) from None
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("aiwf")
        if table is None:
            raise AiwfError(
                "no [tool.aiwf] table in this pyproject.toml",
                code="C003",
                file=str(path),
                hint="add a [tool.aiwf] table, or point --config at an aiwf.toml",
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
            code="C005",
            file=str(source) if source is not None else None,
            hint="define [environments.NAME] in the project config, or drop --env / AIWF_ENV",
        )
    return replace(
        config,
        env=selected,
        store=environment.store or config.store,
        model_overrides=environment.models,
        engine={**config.engine, **environment.engine},
    )
