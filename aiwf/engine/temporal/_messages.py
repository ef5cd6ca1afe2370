"""What the Temporal interpreter's workflows and activities exchange: plain dataclasses of
JSON values (Temporal's JSON converter encodes them; values larger than the payload
threshold travel as references into the artifact store, see :mod:`.codec`).

Nothing here is a secret: the API keys of model providers are read by the activity, on the
worker, and never appear in these messages, in Temporal's history or in a trace.
"""

# No ``from __future__ import annotations``: Temporal's converter reads these type hints for
# every payload it decodes, and real types are much cheaper to read than strings.
from dataclasses import dataclass, field
from typing import Any

#: Workflow and activity type names (stable: changing one breaks running workflows).
RUN_WORKFLOW = "aiwf.run"
SCATTER_WORKFLOW = "aiwf.scatter"
CALL_ACTIVITY = "aiwf.call"
SAVE_ACTIVITY = "aiwf.save"
COLLECT_ACTIVITY = "aiwf.collect"
FINISH_ACTIVITY = "aiwf.finish"
#: Query names.
PROGRESS_QUERY = "progress"
TRACE_QUERY = "trace"


@dataclass
class RunOptions:
    """How a run is sized and how long its calls may take."""

    #: Model calls in flight at once per workflow execution (the run, each scatter child).
    max_concurrency: int = 128
    #: Seconds without a heartbeat before a call counts as lost and is retried elsewhere.
    heartbeat_timeout: float = 30.0
    #: More items to call than this: the scatter runs in a child workflow.
    scatter_inline_items: int = 500
    #: Items one child history holds before it continues as new.
    scatter_batch_items: int = 1000
    #: Seconds the run's checkpoints are kept.
    ttl: float | None = None


@dataclass
class RunParams:
    """The input of the interpreter workflow (``aiwf.run``)."""

    run_id: str
    #: The IR as ``aiwf compile`` writes it (a reference into the store when large).
    ir: str
    digest: str
    workflow: str
    input: Any
    started_at: float
    options: RunOptions
    resumed: bool = False
    #: Outputs of steps finished in an earlier attempt of the run.
    done: dict[str, Any] = field(default_factory=dict)
    #: Items finished in an earlier attempt: step -> [[index, output, skipped], ...].
    done_items: dict[str, list[list[Any]]] = field(default_factory=dict)


@dataclass
class RunOutcome:
    """The result of a succeeded run, and its trace."""

    output: Any
    trace: dict[str, Any]


@dataclass
class ScatterParams:
    """The input of a scatter child (``aiwf.scatter``): the items left to call from
    ``cursor`` on, and what the step's input binding reads."""

    run: RunParams
    step: str
    items: list[Any]
    todo: list[int]
    cursor: int = 0
    #: The outputs of the steps the step's input reads.
    outputs: dict[str, Any] = field(default_factory=dict)
    #: Counts of the items called by earlier runs of this child (calls, tokens ...).
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class CallParams:
    """One model call: the activity rebuilds the request from the program on the worker."""

    run_id: str
    digest: str
    workflow: str
    step: str
    index: int | None
    alias: str
    input: Any
    #: Seconds between heartbeats while the call waits.
    heartbeat: float
    ttl: float | None = None


@dataclass
class CallResult:
    """An answered call: the checked output and what the trace counts of it."""

    output: Any
    call: dict[str, Any]


@dataclass
class SaveParams:
    """A checkpoint the workflow writes itself: a scattered step's output, or a skipped
    item (``index``)."""

    run_id: str
    step: str
    output: Any
    index: int | None = None
    skipped: bool = False
    error: str | None = None
    ttl: float | None = None
    #: A skipped item's attempts (docs/wire.md §9), kept for the run's trace when a scatter
    #: child called it.
    attempt_log: list[dict[str, Any]] | None = None


@dataclass
class CollectParams:
    """The items of a scattered step to read back from their checkpoints."""

    run_id: str
    step: str
    indexes: list[int]


@dataclass
class FinishParams:
    """The end of a run: its status, error, result and trace, for the store."""

    run_id: str
    status: str
    trace: dict[str, Any]
    error: str | None = None
    result: Any = None
    ttl: float | None = None
