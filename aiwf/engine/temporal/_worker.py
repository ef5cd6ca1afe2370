"""An aiwf worker: polls a task queue and runs the interpreter's workflows and activities.

A worker needs no spec: a run brings its IR (the workflow reads it from the run's input,
the activities from the artifact store, by digest). It needs the artifact store the runs
use, and the model providers' API keys in its environment, which only the activities read.
Several workers on several machines share a task queue's work; a worker that dies loses
nothing that finished (its calls in flight are retried elsewhere after the heartbeat
timeout, its cached runs are taken over after the sticky timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from aiwf.engine._checkpoints import DEFAULT_TTL
from aiwf.engine.temporal._settings import TemporalSettings
from aiwf.runtime._types import ModelClient
from aiwf.stores import ArtifactStore

if TYPE_CHECKING:
    from temporalio.worker import WorkflowRunner

#: Seconds a stopping worker gives its calls in flight to finish before it cancels them.
GRACEFUL_SHUTDOWN = 30.0
#: Activity task pollers of a worker: with Temporal's default of 5, a worker receives calls
#: more slowly than a wide scatter issues them (measured: 20 pollers made 1,000 short calls
#: about 1.4 times faster than 5; more did not help).
ACTIVITY_POLLERS = 20
#: Modules the workflow sandbox takes from the worker as they are instead of re-importing
#: them for every run (aiwf's own code is deterministic given its inputs).
PASSTHROUGH = ("aiwf", "pydantic", "pydantic_core", "annotated_types", "typing_inspection")


def workflow_runner(*, sandbox: bool) -> WorkflowRunner:
    """How a worker (or a ``temporalio.worker.Replayer`` checking histories) runs aiwf's
    workflows: in Temporal's sandbox with aiwf and pydantic passed through, or without it.
    The IR's pydantic adapter is built here, outside any sandbox (it is built lazily, and a
    sandbox cannot build it)."""
    from temporalio.worker import UnsandboxedWorkflowRunner
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    from aiwf._ir.model import program_adapter

    program_adapter()
    if not sandbox:
        return UnsandboxedWorkflowRunner()
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)


async def run_worker(
    settings: TemporalSettings,
    store: ArtifactStore,
    *,
    model: ModelClient | None = None,
    identity: str | None = None,
    ready: Callable[[], None] | None = None,
    stop: asyncio.Event | None = None,
    graceful: float = GRACEFUL_SHUTDOWN,
) -> None:
    """Run a worker until ``stop`` is set (or the task is cancelled).

    Args:
        settings: the Temporal connection, task queue and limits.
        store: the artifact store of the runs.
        model: the model client of the activities (default: the runtime, which calls the
            providers of each run's routes; ``aiwf worker --dry-run`` gives the dry-run model).
        identity: the worker's name in Temporal (default: Temporal's ``pid@host``).
        ready: called once the worker polls.
        graceful: seconds calls in flight may take to finish when the worker stops.
    """
    from temporalio.worker import Worker

    from aiwf import __version__
    from aiwf.engine.temporal._activities import Activities
    from aiwf.engine.temporal._client import connect
    from aiwf.engine.temporal._workflows import RunWorkflow, ScatterWorkflow

    if model is None:
        from aiwf.runtime._client import Runtime

        model = Runtime()
    client = await connect(settings, store, ttl=DEFAULT_TTL)
    activities = Activities(store, model)
    runner = workflow_runner(sandbox=settings.sandbox)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[RunWorkflow, ScatterWorkflow],
        activities=activities.all(),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_activity_task_polls=min(
            ACTIVITY_POLLERS, settings.max_concurrent_activities
        ),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_timeout),
        workflow_runner=runner,
        graceful_shutdown_timeout=timedelta(seconds=graceful),
        identity=identity,
        # Named, so that Temporal does not hash every loaded module to make one up.
        build_id=f"aiwf-{__version__}",
    )
    stop = stop or asyncio.Event()
    try:
        async with worker:
            if ready is not None:
                ready()
            await stop.wait()
    finally:
        import sys

        with contextlib.suppress(Exception):
            await activities.aclose()
        activities.close()

        if "aiwf.runtime._http" in sys.modules:
            from aiwf.runtime._http import aclose_shared_client

            with contextlib.suppress(Exception):
                await aclose_shared_client()


def serve(
    settings: TemporalSettings,
    store: ArtifactStore,
    *,
    model: ModelClient | None = None,
    identity: str | None = None,
    announce: Callable[[str], None] | None = None,
    verbosity: int = 0,
) -> None:
    """Run a worker in this process until SIGINT or SIGTERM (``aiwf worker``)."""
    import signal

    _configure_logging(verbosity)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready() -> None:
            if announce is not None:
                announce(
                    f"worker polling task queue {settings.task_queue!r} on {settings.address} "
                    f"(namespace {settings.namespace}), artifacts {store.url}; "
                    "Ctrl-C stops it"
                )

        await run_worker(settings, store, model=model, identity=identity, ready=ready, stop=stop)

    asyncio.run(main())


class _OneLineFailures:
    """A logging filter: a call that failed the way calls fail (a provider's error, a
    refused output) is one line in the worker's log, not a traceback."""

    def filter(self, record: object) -> bool:
        import logging

        from temporalio.exceptions import ApplicationError

        assert isinstance(record, logging.LogRecord)
        info = record.exc_info
        if info and isinstance(info[1], ApplicationError):
            record.msg = f"{record.getMessage()}: {info[1].type}: {info[1].message}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _configure_logging(verbosity: int) -> None:
    import logging

    level = logging.ERROR if verbosity < 0 else logging.INFO if verbosity > 0 else logging.WARNING
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_OneLineFailures())
    logger = logging.getLogger("temporalio")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
