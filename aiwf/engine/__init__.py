"""aiwf.engine: runs workflows from the IR (ordering, scatter, bindings, checkpoints).

::

    from aiwf.engine import DryRunClient, Engine

    engine = Engine(program, DryRunClient(seed=1))
    result = await engine.run("triage", {"tickets": [...]})
    result.output, result.trace.totals()

Names load on first use, so importing the package costs nothing until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiwf._lazy import by_module, exports

if TYPE_CHECKING:
    from aiwf.engine._checkpoints import Checkpoints
    from aiwf.engine._clients import RouterClient
    from aiwf.engine._dryrun import DryRunClient, make_value, sample_contract, sample_input
    from aiwf.engine._engine import Engine, RunObserver, RunResult, new_run_id
    from aiwf.engine._errors import RunFailed, StepFailed
    from aiwf.engine._graph import render_graph, render_plan
    from aiwf.engine._replay import Recorder, ReplayClient, ReplayMiss, fingerprint
    from aiwf.engine._trace import ItemSpan, RunTrace, StepSpan

_LAZY = by_module(
    {
        "aiwf.engine._checkpoints": ("Checkpoints",),
        "aiwf.engine._clients": ("RouterClient",),
        "aiwf.engine._dryrun": ("DryRunClient", "make_value", "sample_contract", "sample_input"),
        "aiwf.engine._engine": ("Engine", "RunObserver", "RunResult", "new_run_id"),
        "aiwf.engine._errors": ("RunFailed", "StepFailed"),
        "aiwf.engine._graph": ("render_graph", "render_plan"),
        "aiwf.engine._replay": ("Recorder", "ReplayClient", "ReplayMiss", "fingerprint"),
        "aiwf.engine._trace": ("ItemSpan", "RunTrace", "StepSpan"),
    }
)


__getattr__ = exports(__name__, _LAZY)


__all__ = [
    "Checkpoints",
    "DryRunClient",
    "Engine",
    "ItemSpan",
    "Recorder",
    "ReplayClient",
    "ReplayMiss",
    "RouterClient",
    "RunFailed",
    "RunObserver",
    "RunResult",
    "RunTrace",
    "StepFailed",
    "StepSpan",
    "fingerprint",
    "make_value",
    "new_run_id",
    "render_graph",
    "render_plan",
    "sample_contract",
    "sample_input",
]
