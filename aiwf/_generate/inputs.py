"""What an SDK's generated layer is made from, as one digest the manifest records.

The generated files are a function of the spec files, the project config (its environments
are embedded), the aiwf version and the templates (the generated layer's and the runtime's
sources). When all of them are byte-identical to what the manifest recorded and every file
still has its recorded hash, the SDK is in step without compiling or rendering anything:
``aiwf check`` answers at once, and ``aiwf sdk`` has nothing to write.

The aiwf version stands for aiwf's own code, which holds for an installed aiwf. In a source
checkout the code changes under one version, so there the shortcut is not taken
(:func:`trusted`) and every check renders.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiwf import __version__

if TYPE_CHECKING:
    from aiwf._generate.jobs import SdkJob
    from aiwf._generate.targets.base import Target
    from aiwf._generate.templates import TemplateTree

#: File name suffixes of spec files (as aiwf._spec has them; not imported: this is the cheap
#: path of aiwf check).
_SPEC_SUFFIXES = (".aiwf.yaml", ".aiwf.yml")
_SKIP = {"__pycache__", "node_modules", ".git"}


def _files(root: Path, suffixes: tuple[str, ...] = ()) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if _SKIP & set(parts) or any(p.startswith(".") for p in parts[:-1]):
            continue
        if path.is_file() and (not suffixes or path.name.endswith(suffixes)):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _feed(h: Any, label: str, root: Path, files: list[Path]) -> None:
    for path in files:
        rel = path.relative_to(root).as_posix() if path != root else path.name
        data = path.read_bytes()
        h.update(f"{label}\0{rel}\0{len(data)}\0".encode())
        h.update(data)


def inputs_digest(job: SdkJob, tree: TemplateTree, target: Target) -> str:
    """The digest of everything the job's generated files are made from."""
    h = hashlib.sha256()
    h.update(f"aiwf {__version__}\0templates {tree.version}\0{job.lang}\0{job.package}\0".encode())
    spec = job.spec
    _feed(h, "spec", spec if spec.is_dir() else spec.parent, _files(spec, _SPEC_SUFFIXES))
    if job.config is not None and job.config.is_file():
        _feed(h, "config", job.config.parent, [job.config])
    generated = tree.generated_dir(job.lang)
    _feed(h, "generated", generated, _files(generated))
    if target.runtime is not None:
        # Only the files the SDK carries a copy of: a runtime tree's build output and
        # installed packages (dist/, node_modules/) are not inputs, and a fresh clone has none.
        runtime = tree.runtime_dir(target.runtime.source)
        copied = [runtime / rel for rel in target.runtime.files(runtime).values()]
        _feed(
            h, "runtime", runtime, sorted(copied, key=lambda p: p.relative_to(runtime).as_posix())
        )
    return "sha256:" + h.hexdigest()


def trusted(tree: TemplateTree) -> bool:
    """Whether the aiwf version identifies the code that generates (an installed aiwf, not a
    source checkout whose code changes under one version)."""
    return tree.root != Path(__file__).resolve().parents[2]
