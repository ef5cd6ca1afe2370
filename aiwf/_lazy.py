"""Names that load on first use: aiwf's packages export classes whose modules import heavy
dependencies (httpx, boto3, temporalio), and ``aiwf validate`` must not pay for them.

A registry maps a name to ``"module:attribute"``; :func:`load` imports it, and
:func:`exports` makes a package's ``__getattr__`` (PEP 562) from a name -> module table.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def load(target: str) -> Any:
    """The attribute named by ``"module:attribute"``, importing its module."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def by_module(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """The name -> module table :func:`exports` takes, from module -> the names it exports
    (written like the package's ``TYPE_CHECKING`` imports, one line a module)."""
    return {name: module for module, names in table.items() for name in names}


def exports(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``table[name]`` (a module name)
    on first use and keeps the value in the package's namespace."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
