"""Structured logging through loguru, redacted.

The runtime logs under the ``aiwf.runtime`` name and is disabled by default, as a library
should be; an application turns it on with ``loguru.logger.enable("aiwf.runtime")``.
Every message and every field passes :func:`aiwf.runtime._redact.redact` first.

loguru is not imported for this (it took longer to import than the rest of the runtime,
and a run whose calls succeed logs nothing). Until something imports it, nobody can have enabled the
name, so a message is dropped as loguru would drop it. When something does, the name is
disabled the moment loguru's module has run, before the importer gets it back: an
application's own ``enable`` afterwards wins, as it did when the runtime imported loguru.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from aiwf.runtime._redact import redact, redact_value

if TYPE_CHECKING:  # importlib.abc alone takes longer to import than this whole module
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec

NAME = "aiwf.runtime"

#: The loguru logger whose NAME this module disabled (loguru makes a new one on a reload).
_quieted: Any = None
_lock = threading.Lock()


def log(level: str, message: str, **fields: Any) -> None:
    """Log ``message`` at ``level`` with ``fields`` bound as structured extras."""
    loguru = sys.modules.get("loguru")
    if loguru is None:
        return  # nobody can have enabled NAME: loguru would drop it
    logger = loguru.logger
    if logger is not _quieted:  # loguru came back (a reload) or around the import system
        _disable(loguru)
    logger.bind(**redact_value(fields)).log(level, redact(message))


def _disable(loguru: ModuleType) -> None:
    global _quieted
    with _lock:
        if loguru.logger is not _quieted:
            loguru.logger.disable(NAME)
            _quieted = loguru.logger


class _DisableOnImport:
    """A meta path finder (:class:`importlib.abc.MetaPathFinder`) that finds nothing of
    its own: for loguru it hands on the spec the finders after it give, with a loader that
    has NAME disabled right after the module ran, and leaves the import system once one
    has (a probe such as ``importlib.util.find_spec("loguru")`` loads nothing)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != "loguru":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = cast("Loader", _ThenDisable(spec.loader))
                return spec
        return None


class _ThenDisable:
    """loguru's own loader, then :func:`_disable` (an :class:`importlib.abc.Loader`)."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        try:
            self.loader.exec_module(module)
        finally:
            if module.__spec__ is not None:
                module.__spec__.loader = self.loader
            module.__loader__ = self.loader
        _disable(module)
        _unhook()


_HOOK = _DisableOnImport()


def _unhook() -> None:
    # A new list: another thread may be walking the old one for an import of its own.
    sys.meta_path = [finder for finder in sys.meta_path if finder is not _HOOK]


if "loguru" in sys.modules:
    _disable(sys.modules["loguru"])
else:
    sys.meta_path.insert(0, _HOOK)
