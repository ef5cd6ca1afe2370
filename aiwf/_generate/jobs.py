"""Which SDKs a command works on: from the command line, the project config or the manifest
of an existing SDK."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from aiwf._config import ProjectConfig
from aiwf._errors import UsageError
from aiwf._generate.manifest import Manifest
from aiwf._generate.targets import get_target
from aiwf._ir._dc import dataclass
from aiwf._paths import as_typed


@dataclass(frozen=True)
class SdkJob:
    """One SDK: its language, directory, package name and spec, and the project config whose
    environments it embeds (None: no config file)."""

    lang: str
    out: Path
    package: str
    spec: Path
    config: Path | None = None

    @property
    def spec_from_out(self) -> str:
        """The spec path relative to the SDK directory (POSIX), as the manifest records it."""
        rel = os.path.relpath(self.spec.resolve(), self.out.resolve())
        return Path(rel).as_posix()


def _package(lang: str, package: str | None, fallback: str) -> str:
    target = get_target(lang)
    name = package or fallback
    problem = target.check_package(name)
    if problem:
        raise UsageError(f"package name {name!r} for {lang}: {problem}")
    return name


def from_options(
    spec: Path, lang: str, out: Path | None, package: str | None, config: Path | None = None
) -> SdkJob:
    """The SDK named on the command line (``--out`` defaults to ``sdk/<lang>``)."""
    from aiwf._ir.names import snake_case

    fallback = snake_case(spec.name.split(".")[0]) or "sdk"
    return SdkJob(
        lang=lang,
        out=out or Path("sdk") / lang,
        package=_package(lang, package, fallback),
        spec=spec,
        config=config,
    )


def from_config(config: ProjectConfig) -> list[SdkJob]:
    """The ``[[sdk]]`` entries of the project config."""
    if not config.sdk:
        raise UsageError(
            "no SDK configured",
            hint="add an [[sdk]] table (lang, out, package) to the project config, "
            "or pass SPEC --lang LANG --out DIR",
        )
    jobs: list[SdkJob] = []
    for entry in config.sdk:
        if entry.spec is not None:
            spec = config.root / entry.spec
        elif config.spec:
            spec = config.spec_paths()[0]
        else:
            raise UsageError(
                f"no spec for the {entry.lang} SDK in {entry.out}",
                hint='set spec = "..." in the [[sdk]] table or at the top of the config',
            )
        out = as_typed(config.root / entry.out)
        from aiwf._ir.names import snake_case

        fallback = snake_case(spec.name.split(".")[0]) or "sdk"
        package = _package(entry.lang, entry.package, fallback)
        jobs.append(SdkJob(entry.lang, out, package, spec, config.source))
    return jobs


def from_manifest(sdk_dir: Path, config: Path | None = None) -> SdkJob:
    """The SDK in ``sdk_dir``, as its manifest describes it."""
    manifest = Manifest.read(sdk_dir)
    if manifest is None:
        raise UsageError(
            f"{sdk_dir} has no .aiwf/manifest.json",
            hint="is this an SDK written by aiwf sdk? (or configure it under [[sdk]])",
        )
    return SdkJob(manifest.lang, sdk_dir, manifest.package, sdk_dir / manifest.spec, config)


def from_dirs_or_config(sdk_dirs: Sequence[Path], config: ProjectConfig) -> list[SdkJob]:
    """The SDKs a command that takes ``[SDK_DIR]...`` works on: those directories (each
    read from its manifest), or every ``[[sdk]]`` entry of the config when none is given."""
    if sdk_dirs:
        return [from_manifest(d, config.source) for d in sdk_dirs]
    return from_config(config)
