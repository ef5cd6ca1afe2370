"""Where the SDK templates are and which version they are.

A *template tree* is a directory laid out like this repository: a root ``copier.yml`` whose
templated ``_subdirectory`` picks ``copier-templates/<lang>/scaffold``, the generated-layer
templates in ``copier-templates/<lang>/generated``, and ``copier-templates/VERSION`` (the
template version, the same as the aiwf release that ships it). aiwf renders the generated
layer from its own tree with plain Jinja2; copier reads the scaffold from a git repository of
the same tree (its release tags are the template versions).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from aiwf.errors import AiwfError

#: Environment variable naming a template tree to use instead of the installed one.
TEMPLATES_ENV = "AIWF_TEMPLATES"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` from ``v1.2.3``, ``1.2.3`` or ``v1.2.3-4-gabc``; None when
    ``text`` does not start with a version."""
    match = _VERSION.match(text or "")
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return (major, minor, patch)


@dataclass(frozen=True)
class TemplateTree:
    """A template tree on disk (see the module docstring)."""

    root: Path

    @cached_property
    def version(self) -> str:
        """The template version, e.g. ``0.1.0``."""
        path = self.root / "copier-templates" / "VERSION"
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AiwfError(f"cannot read the template version: {exc}", code="G001") from None
        if parse_version(text) is None:
            raise AiwfError(f"{path}: not a version: {text!r}", code="G001")
        return text

    @property
    def tag(self) -> str:
        """The git tag of this version (``v0.1.0``)."""
        return "v" + self.version

    def generated_dir(self, lang: str) -> Path:
        return self.root / "copier-templates" / lang / "generated"

    def scaffold_dir(self, lang: str) -> Path:
        return self.root / "copier-templates" / lang / "scaffold"

    @property
    def is_git_repo(self) -> bool:
        return (self.root / ".git").exists()


def _is_tree(path: Path) -> bool:
    return (path / "copier.yml").is_file() and (path / "copier-templates").is_dir()


def locate() -> TemplateTree:
    """The template tree in use: ``$AIWF_TEMPLATES``, else the one installed with aiwf (a
    bundled ``aiwf/_templates``, or the source checkout aiwf runs from)."""
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        path = Path(override)
        if not _is_tree(path):
            raise AiwfError(
                f"${TEMPLATES_ENV}={override} is not a template tree",
                code="G002",
                hint="it must hold copier.yml and copier-templates/ (a checkout of aiwf)",
            )
        return TemplateTree(path.resolve())
    package_dir = Path(__file__).resolve().parents[1]
    for candidate in (package_dir / "_templates", package_dir.parent):
        if _is_tree(candidate):
            return TemplateTree(candidate)
    raise AiwfError(
        "the SDK templates are not installed with this aiwf",
        code="G002",
        hint=f"set {TEMPLATES_ENV} to a checkout of the aiwf repository",
    )
