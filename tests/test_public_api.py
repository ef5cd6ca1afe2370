"""What is public in aiwf is exactly what a user may import: everything else is ``_``-named.

A module is public when no part of its dotted name starts with ``_``. The public modules are
the ones below, each with an ``__all__`` whose names resolve and are documented; generated
SDKs (tests/generate/test_python_public_api.py) and the docs (tests/test_docs.py) use only
these.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aiwf"

PUBLIC = {
    "aiwf",
    "aiwf.__main__",
    "aiwf.engine",
    "aiwf.engine.temporal",
    "aiwf.nox",
    "aiwf.runtime",
    "aiwf.sdk",
    "aiwf.stores",
}
#: The public modules that are a namespace of names (``python -m aiwf`` is a program).
WITH_ALL = sorted(PUBLIC - {"aiwf.__main__"})


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _public(name: str) -> bool:
    return not any(part.startswith("_") and part != "__main__" for part in name.split("."))


def test_every_module_is_public_by_intent_or_underscore_named() -> None:
    public = {name for name in _modules() if _public(name)}
    assert public == PUBLIC


@pytest.mark.parametrize("module", WITH_ALL)
def test_a_public_module_exports_documented_names(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__doc__, f"{module} has no docstring"
    exported = getattr(mod, "__all__", None)
    assert exported, f"{module} has no __all__"
    undocumented = []
    for name in exported:
        value = getattr(mod, name)  # resolves lazy names too
        ours = getattr(value, "__module__", "").startswith("aiwf")  # not a typing alias
        defined = inspect.isclass(value) or inspect.isfunction(value)
        if ours and defined and not inspect.getdoc(value):
            undocumented.append(name)
    assert not undocumented, f"{module}: no docstring on {undocumented}"
