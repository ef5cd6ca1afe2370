"""Build hook: every aiwf wheel carries its SDK templates and their whole history.

The wheel gets ``aiwf/_templates/`` with ``copier.yml``, ``copier-templates/`` (the scaffold
and generated-layer templates), ``runtimes/`` (the Go and TypeScript runtime sources that SDKs
carry a copy of) and ``copier-templates/history/``: a git bundle with one tag
per released template version, this build's own version included (added here when it is not
a release yet; see aiwf/_generate/history.py). That is what lets ``aiwf upgrade`` re-render the
template of any earlier release on a machine that has never seen it, with no network.

Editable installs need none of it: aiwf finds the templates in the checkout it runs from.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _history_module(root: Path) -> Any:
    path = root / "aiwf" / "_generate" / "history.py"
    spec = importlib.util.spec_from_file_location("_aiwf_build_history", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _version(root: Path) -> str:
    text = (root / "aiwf" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("aiwf/_version.py has no __version__")
    return match.group(1)


#: Directories of a runtime source tree that are build output or tooling, not source.
_NOT_SOURCE = {"node_modules", "dist", "build", "coverage", "__pycache__"}


def _runtime_sources(runtimes: Path) -> list[Path]:
    """The files of the runtime source trees (``runtimes/<lang>``) that SDKs copy from."""
    if not runtimes.is_dir():
        return []
    found = []
    for path in sorted(runtimes.rglob("*")):
        parts = path.relative_to(runtimes).parts
        if path.is_file() and not any(p in _NOT_SOURCE or p.startswith(".") for p in parts):
            found.append(path)
    return found


class TemplatesHook(BuildHookInterface):  # type: ignore[type-arg]  # generic in newer hatchling
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        self._tmp = tempfile.mkdtemp(prefix="aiwf-build-")
        history = _history_module(root)
        out = Path(self._tmp) / "history"
        try:
            template_version = history.write_complete(root, _version(root), out)
        except history.HistoryError as exc:
            raise RuntimeError(f"cannot build the template history: {exc}") from None
        include = build_data["force_include"]
        include[str(root / "copier.yml")] = "aiwf/_templates/copier.yml"
        for entry in sorted((root / "copier-templates").iterdir()):
            if entry.name != "history":
                include[str(entry)] = f"aiwf/_templates/copier-templates/{entry.name}"
        include[str(out)] = "aiwf/_templates/copier-templates/history"
        for path in _runtime_sources(root / "runtimes"):
            include[str(path)] = f"aiwf/_templates/{path.relative_to(root).as_posix()}"
        self.app.display_info(f"SDK templates v{template_version} with their history")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
