"""aiwf: describe LLM assistants and workflows once, in YAML, and get validation, a runner,
a dry-run and typed SDKs from the same spec.

The public Python API::

    import aiwf

    program = aiwf.compile("specs/", env="staging")   # aiwf.Program, the IR
    route = program.models["fast"]                      # aiwf.Route (route.retry: aiwf.Retry)

:func:`compile` raises :class:`CompileFailed` (an :class:`AiwfError`) for a spec with errors.
Running workflows: :mod:`aiwf.engine`; generated SDKs build on :mod:`aiwf.sdk`.

The package root stays import-light on purpose: ``aiwf validate`` runs on every commit, so
everything but the version and the error type loads on first use, and heavy modules (httpx,
copier, boto3) only with the commands that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiwf._errors import AiwfError
from aiwf._lazy import exports
from aiwf._version import __version__

if TYPE_CHECKING:
    from aiwf._api import CompileFailed, compile
    from aiwf._ir.model import Program
    from aiwf._ir.routes import Retry, Route

__all__ = ["AiwfError", "CompileFailed", "Program", "Retry", "Route", "__version__", "compile"]

__getattr__ = exports(
    __name__,
    {
        "compile": "aiwf._api",
        "CompileFailed": "aiwf._api",
        "Program": "aiwf._ir.model",
        "Retry": "aiwf._ir.routes",
        "Route": "aiwf._ir.routes",
    },
)
