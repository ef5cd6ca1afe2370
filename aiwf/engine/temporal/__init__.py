"""aiwf.engine.temporal: the same IR, run on Temporal (``pip install 'aiwf[temporal]'``).

The local engine stays the default; this one is for runs that outgrow one machine: workers
on many machines share a task queue, a run survives the loss of any of them, and its
history is durable. The workflow walks the IR with the local engine's own walk
(:mod:`aiwf.engine._walk`), every model call is an activity, large values travel through the
artifact store, and the run's manifest and checkpoints are the local engine's, so
``aiwf runs`` shows both and a run can be resumed on either (docs/distributed.md).

::

    from aiwf.engine.temporal import TemporalEngine, TemporalSettings, run_worker

    settings = TemporalSettings(address="127.0.0.1:7233", task_queue="aiwf")
    result = await TemporalEngine(program, settings, store).run("triage", batch)

Names load on first use; importing this package does not import temporalio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from aiwf._lazy import exports

if TYPE_CHECKING:
    from aiwf.engine.temporal._client import TemporalEngine, connect
    from aiwf.engine.temporal._settings import TemporalSettings
    from aiwf.engine.temporal._worker import run_worker

_LAZY = {
    "TemporalEngine": "aiwf.engine.temporal._client",
    "connect": "aiwf.engine.temporal._client",
    "TemporalSettings": "aiwf.engine.temporal._settings",
    "run_worker": "aiwf.engine.temporal._worker",
}


def require() -> None:
    """Raise a clear :class:`~aiwf._errors.AiwfError` when temporalio is not installed."""
    from aiwf._errors import AiwfError

    try:
        importlib.import_module("temporalio")
    except ModuleNotFoundError:
        raise AiwfError(
            "the Temporal engine needs the temporalio package, which is not installed",
            code="E520",
            hint="pip install 'aiwf[temporal]'",
        ) from None


__getattr__ = exports(__name__, _LAZY)


__all__ = ["TemporalEngine", "TemporalSettings", "connect", "require", "run_worker"]
