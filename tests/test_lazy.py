"""aiwf._lazy: the tables behind the packages' names that load on first use."""

from __future__ import annotations

import importlib

import pytest

from aiwf._lazy import by_module


def test_by_module_gives_each_name_its_module() -> None:
    table = by_module({"pkg.a": ("A", "make_a"), "pkg.b": ("B",)})
    assert table == {"A": "pkg.a", "make_a": "pkg.a", "B": "pkg.b"}


@pytest.mark.parametrize("package", ["aiwf", "aiwf.engine", "aiwf.runtime"])
def test_every_exported_name_loads(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
