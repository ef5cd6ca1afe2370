"""Where the SDK templates are and which version they are.

A *template tree* is a directory laid out like this repository: a root ``copier.yml`` whose
templated ``_subdirectory`` picks ``copier-templates/<lang>/scaffold``, the generated-layer
templates in ``copier-templates/<lang>/generated``, and the history of the released scaffold
templates in ``copier-templates/history`` (:mod:`aiwf._generate.history`). The installed tree
is the one aiwf was installed with: ``aiwf/_templates`` in a wheel, or the source checkout aiwf
runs from. aiwf renders the generated layer from it with plain Jinja2; copier reads the
scaffold from a git repository built from its history.

The template version is the aiwf version (one source of truth, ``aiwf/_version.py``), except
in a checkout whose scaffold templates differ from the release of that version: then it is
``X.Y.Z+dev.<digest>`` (see :mod:`aiwf._generate.history`).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from aiwf import __version__
from aiwf._errors import AiwfError
from aiwf._ir._dc import dataclass

if TYPE_CHECKING:
    from packaging.version import Version

    from aiwf._generate.history import History


_VERSION = re.compile(r"^[vV]?\d+\.\d+\.\d+")


def parse_version(text: str | None) -> Version | None:
    """The version in ``v1.2.3``, ``1.2.3`` or ``v1.2.3+dev.abc``; None when ``text`` is not a
    version (a commit hash recorded by a development checkout, say)."""
    from packaging.version import InvalidVersion, Version

    if not text or not _VERSION.match(text):
        return None  # not even a commit hash such as 979515b ("979515 beta" to PEP 440)
    try:
        return Version(text[1:] if text[:1] in ("v", "V") else text)
    except InvalidVersion:
        return None


#: A plain release version (``1.2.3`` or ``v1.2.3``): ordered as its three numbers, as
#: PEP 440 orders it, so comparing two of them needs no ``packaging``.
_RELEASE = re.compile(r"[vV]?([0-9]+)\.([0-9]+)\.([0-9]+)")


def is_version(text: str | None) -> bool:
    """Whether :func:`parse_version` reads ``text`` as a version."""
    if text and _RELEASE.fullmatch(text):
        return True
    return parse_version(text) is not None


def version_less(older: str, newer: str) -> bool:
    """``parse_version(older) < parse_version(newer)`` for two versions (:func:`is_version`),
    without importing ``packaging`` when both are plain releases (``aiwf check``'s case)."""
    a, b = _RELEASE.fullmatch(older), _RELEASE.fullmatch(newer)
    if a and b:
        return tuple(map(int, a.groups())) < tuple(map(int, b.groups()))
    have, want = parse_version(older), parse_version(newer)
    assert have is not None, older
    assert want is not None, newer
    return have < want


@dataclass(frozen=True)
class TemplateTree:
    """A template tree on disk (see the module docstring)."""

    root: Path

    @cached_property
    def history(self) -> History:
        """The released template versions this tree carries."""
        from aiwf._generate.history import HISTORY_DIR, History, HistoryError

        try:
            return History(self.root / HISTORY_DIR)
        except HistoryError as exc:
            raise AiwfError(str(exc), code="G001") from None

    @cached_property
    def version(self) -> str:
        """The template version, e.g. ``0.1.0`` (see the module docstring)."""
        from aiwf._generate.history import tree_digest, tree_files

        return self.history.template_version(__version__, tree_digest(tree_files(self.root)))

    @property
    def tag(self) -> str:
        """The git tag of this version (``v0.1.0``), as copier records it in ``_commit``."""
        return "v" + self.version

    def generated_dir(self, lang: str) -> Path:
        return self.root / "copier-templates" / lang / "generated"

    def scaffold_dir(self, lang: str) -> Path:
        return self.root / "copier-templates" / lang / "scaffold"

    def runtime_dir(self, name: str) -> Path:
        """A runtime source tree (``runtimes/<name>``) that SDKs carry a copy of."""
        return self.root / "runtimes" / name


def _is_tree(path: Path) -> bool:
    return (path / "copier.yml").is_file() and (path / "copier-templates").is_dir()


def locate() -> TemplateTree:
    """The template tree installed with aiwf: ``aiwf/_templates`` in a wheel, else the source
    checkout aiwf runs from."""
    package_dir = Path(__file__).resolve().parents[1]
    for candidate in (package_dir / "_templates", package_dir.parent):
        if _is_tree(candidate):
            return TemplateTree(candidate)
    raise AiwfError(
        "the SDK templates are not installed with this aiwf",
        code="G002",
        hint="reinstall aiwf from a wheel or a source checkout (pip install aiwf)",
    )
