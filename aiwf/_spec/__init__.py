"""The spec: loading YAML files with positions, the format's models and its JSON Schema."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

from aiwf import _codes as codes
from aiwf._diagnostics import Diagnostic
from aiwf._errors import UsageError
from aiwf._ir._dc import dataclass
from aiwf._paths import shown_path
from aiwf._spec.loader import LoadError, SourceFile, load_file

#: The spec format version this aiwf reads (``aiwf: 1``); docs/versioning.md says how it
#: evolves.
FORMAT_VERSION = 1
#: File name suffixes of spec files inside a spec directory.
SPEC_SUFFIXES = (".aiwf.yaml", ".aiwf.yml")


@dataclass
class LoadedSpec:
    """The files of one spec, loaded, and the problems met while loading them."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def is_spec_file(path: Path) -> bool:
    return path.name.endswith(SPEC_SUFFIXES)


def spec_files(directory: Path) -> list[Path]:
    """The spec files under ``directory`` (recursively, hidden directories skipped), sorted."""
    found = []
    for suffix in SPEC_SUFFIXES:
        for path in directory.rglob("*" + suffix):
            relative = path.relative_to(directory)
            if any(part.startswith(".") for part in relative.parts[:-1]):
                continue
            if path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def load_spec(path: Path, *, shown_from: Path | None = None) -> LoadedSpec:
    """Load a spec: one file, or every ``*.aiwf.yaml`` / ``*.aiwf.yml`` under a directory.

    Files are named in diagnostics relative to ``shown_from`` (the repository root, see
    :mod:`aiwf._paths`) when they are below it, else as ``path`` gives them.

    Raises :class:`~aiwf._errors.UsageError` when the path does not exist or a directory holds
    no spec file; problems inside files are returned as diagnostics.
    """
    if not path.exists():
        raise UsageError(
            f"no such file or directory: {path}",
            hint="pass a spec file or a directory of *.aiwf.yaml files",
        )
    if path.is_dir():
        files = spec_files(path)
        if not files:
            raise UsageError(
                f"no spec files (*.aiwf.yaml, *.aiwf.yml) in {path}",
                hint="name spec files NAME.aiwf.yaml, or pass a file path",
            )
        root = path
    else:
        files = [path]
        root = path.parent
    loaded = LoadedSpec(root=root)
    for file in files:
        display = str(shown_path(file, shown_from) if shown_from is not None else file)
        relpath = file.relative_to(root).as_posix()
        try:
            data = load_file(file, display)
        except LoadError as exc:
            loaded.diagnostics.append(exc.diagnostic)
            data = None
            loaded.files.append(SourceFile(display, relpath, None))
            continue
        if data is None:  # an empty or comment-only document
            loaded.diagnostics.append(
                Diagnostic.of(
                    codes.E012,
                    "empty spec file: missing 'aiwf: 1'",
                    display,
                    (1, 1),
                    "start the file with 'aiwf: 1' (and 'name: ...' in one file of the spec)",
                )
            )
        loaded.files.append(SourceFile(display, relpath, data))
    return loaded
