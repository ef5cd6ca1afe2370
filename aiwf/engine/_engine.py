"""The local workflow engine: runs one workflow of a compiled
:class:`~aiwf._ir.model.Program` on this process's event loop (the default engine).

The walk over the DAG (ordering, parallel branches, scatter with its concurrency bound and
input order, ``on_error: skip``, failures and the trace) is :class:`aiwf.engine._walk.Walk`,
which the Temporal interpreter runs too; this module adds what is local: model calls through
the given client, step inputs and model outputs checked with the IR validator, and
checkpoints in the artifact store. With a store, every finished step and item is
checkpointed before anything reads it, the run's manifest holds a lease that the run renews
while it lives (a run that died without a word shows as ``stale``), and
:meth:`Engine.resume` continues from the checkpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiwf._errors import AiwfError
from aiwf._ir.model import Program, Workflow
from aiwf._ir.validate import Validator, summary
from aiwf.engine._checkpoints import DEFAULT_TTL, Checkpoints, GroupCommit
from aiwf.engine._errors import INPUT_INVALID, RESUME_REFUSED, RunFailed, StepError
from aiwf.engine._identity import (
    check_resume,
    new_manifest,
    renew_manifest,
    resumed_run,
    still_running,
)
from aiwf.engine._program import pick_workflow
from aiwf.engine._steps import CallPlan, Planner, StepPlan, check_run_input
from aiwf.engine._trace import ItemSpan, RunTrace, StepSpan
from aiwf.engine._walk import RunObserver, Walk, start_trace
from aiwf.runtime._errors import OutputInvalid, ProviderError
from aiwf.runtime._types import (
    Completed,
    ModelClient,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    expected_concurrency,
)
from aiwf.stores import ArtifactStore

#: Model calls in flight at once across the whole run, unless the caller says otherwise.
DEFAULT_MAX_CONCURRENCY = 128
#: Seconds a local run's lease lasts; the run renews it four times per lease.
DEFAULT_LEASE = 60.0
#: Scatter items up to which a heartbeat writes the trace with its item spans.
BEAT_ITEMS = 10_000

__all__ = ["DEFAULT_MAX_CONCURRENCY", "Engine", "RunObserver", "RunResult", "new_run_id"]


@dataclass(frozen=True, repr=False)
class RunResult:
    """A finished run: its id, the workflow result and the merged trace.

    Its ``repr`` shows the output cut short (``reprlib``) and the trace as a summary: the
    output of a wide scatter is large, and Python 3.11's ``asyncio.run`` formats the
    result of the coroutine it ran, so a whole repr would cost as much as the run's end."""

    run_id: str
    workflow: str
    output: Any
    trace: RunTrace

    def __repr__(self) -> str:
        import reprlib

        steps = len(self.trace.steps)
        return (
            f"RunResult(run_id={self.run_id!r}, workflow={self.workflow!r}, "
            f"output={reprlib.repr(self.output)}, trace=<RunTrace of {steps} "
            f"step{'' if steps == 1 else 's'}, {self.trace.status}>)"
        )


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYmmdd-HHMMSS-xxxxxx``."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class Engine:
    """Runs workflows of ``program`` with ``client`` answering every model call.

    Args:
        program: the compiled spec.
        client: the :class:`~aiwf.runtime.ModelClient` (a :class:`~aiwf.engine._clients.RouterClient`
            over the runtime, a :class:`~aiwf.engine._dryrun.DryRunClient`, a replay ...).
        max_concurrency: model calls in flight at once across the run.
        store: where checkpoints go (none: the run cannot be resumed).
        observer: told about steps and items as they finish (progress display).
        ttl: seconds the checkpoints are kept.
        notify: told, as one line, what a user should know about a run as it starts (a
            resume with changed route settings).
        lease: seconds a run's lease in its manifest lasts before the run counts as
            ``stale``; renewed four times per lease while the run lives.
    """

    def __init__(
        self,
        program: Program,
        client: ModelClient,
        *,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        store: ArtifactStore | None = None,
        observer: RunObserver | None = None,
        ttl: float | None = DEFAULT_TTL,
        notify: Callable[[str], None] | None = None,
        lease: float = DEFAULT_LEASE,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.program = program
        self.client = client
        self.max_concurrency = max_concurrency
        self.store = store
        self.observer = observer
        self.ttl = ttl
        self.notify = notify
        self.lease = lease
        self.validator = Validator(program.contract_type)
        self.planner = Planner(program, self.validator)
        self._digest: str | None = None

    # -- public --------------------------------------------------------------------------

    def workflow(self, name: str | None) -> Workflow:
        """The workflow ``name``; ``None`` picks the only one."""
        return pick_workflow(self.program, name)

    @property
    def digest(self) -> str:
        """The program's IR digest (recorded in checkpoints)."""
        if self._digest is None:
            self._digest = self.program.digest()
        return self._digest

    def check_input(self, workflow: Workflow, value: Any) -> None:
        """Raise :class:`AiwfError` (``E502``) when ``value`` is not a valid input."""
        check_run_input(self.validator, workflow, value)

    async def run(
        self,
        workflow: str | None,
        input: Any,
        *,
        run_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Run ``workflow`` on ``input`` and return its result.

        ``context`` is kept in the run's manifest as it is (the command line records the
        spec path, ``--env`` and ``--artifacts`` there, for ``aiwf runs show``).

        Raises:
            RunFailed: a step failed, or the result is not valid for the output contract.
            AiwfError: the workflow does not exist or the input is invalid.
            asyncio.CancelledError: the run was cancelled (it can be resumed).
        """
        wf = self.workflow(workflow)
        self.check_input(wf, input)
        run_id = run_id or new_run_id()
        checkpoints = self._checkpoints(run_id)
        manifest: dict[str, Any] | None = None
        if checkpoints is not None:
            owner = self._owner()
            manifest = new_manifest(
                run_id, self.program, wf.name, input, owner, context, created=owner["heartbeat"]
            )
            await asyncio.to_thread(checkpoints.write_manifest, manifest)
        return await self._run(wf, input, run_id, checkpoints, {}, manifest, resumed=False)

    async def resume(
        self, run_id: str, *, input: Any = None, context: Mapping[str, Any] | None = None
    ) -> RunResult:
        """Continue the run ``run_id`` from its checkpoints: finished steps and items are
        read back, not called again. Route settings may have changed since (``notify`` is
        told which); the workflow's steps and contracts may not.

        Raises:
            AiwfError: (``E503``) no store, no such run, a changed workflow, another input,
                a run that is still running.
        """
        from aiwf.engine._runs import run_status

        checkpoints = self._checkpoints(run_id)
        if checkpoints is None:
            raise AiwfError("a run can only be resumed from an artifact store", code=RESUME_REFUSED)
        manifest = await asyncio.to_thread(checkpoints.read_manifest)
        changes = check_resume(manifest, self.program, run_id)
        if run_status(manifest) == "running":
            raise still_running(run_id, _where(manifest))
        wf, stored_input = resumed_run(
            self.program, self.validator, manifest, input, run_id, changes, self.notify
        )
        done = await asyncio.to_thread(checkpoints.load_steps, [s.id for s in wf.steps])
        renew_manifest(manifest, self.program, self._owner(), context)
        await asyncio.to_thread(checkpoints.write_manifest, manifest)
        return await self._run(wf, stored_input, run_id, checkpoints, done, manifest, resumed=True)

    # -- single calls (the SDKs' assistant functions) ------------------------------------

    def _assistant_request(self, name: str, value: Any) -> tuple[CallPlan, ModelRequest]:
        if name not in self.program.assistants:
            known = ", ".join(sorted(self.program.assistants)) or "none"
            raise AiwfError(f"unknown assistant {name!r} (known: {known})", code="E504")
        call = self.planner.call(name)
        problems = self.validator.problems(value, call.input_type)
        if problems:
            raise AiwfError(
                f"the input is not valid for assistant {name} ({call.assistant.input}): "
                f"{summary(problems)}",
                code=INPUT_INVALID,
            )
        return call, call.request(value, workflow=None, step=None, extra={})

    async def call_assistant(self, name: str, value: Any) -> ModelResponse:
        """One call of the assistant ``name`` (its route and fallbacks), the output checked
        against its contract.

        Raises:
            ProviderError: the call failed; ``OutputInvalid`` (``R006``) for an output that
                does not fit (also from clients that do not check outputs themselves).
            AiwfError: no such assistant (``E504``), or the input is invalid (``E502``).
        """
        call, request = self._assistant_request(name, value)
        response = await self.client.complete(request)
        _check_output(call, response)
        return response

    async def stream_assistant(self, name: str, value: Any) -> AsyncIterator[StreamEvent]:
        """:meth:`call_assistant` streaming: the client's events, the last a ``Completed``."""
        call, request = self._assistant_request(name, value)
        async for event in self.client.stream(request):
            if isinstance(event, Completed):
                _check_output(call, event.response)
            yield event

    # -- the run -------------------------------------------------------------------------

    def _plan(self, wf: Workflow) -> dict[str, StepPlan]:
        return self.planner.plans(wf)

    def _checkpoints(self, run_id: str) -> Checkpoints | None:
        return None if self.store is None else Checkpoints(self.store, run_id, ttl=self.ttl)

    def _owner(self) -> dict[str, Any]:
        """Who runs a run, and its lease, as the manifest records them."""
        return {
            "engine": "local",
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "lease": self.lease,
            "heartbeat": time.time(),
        }

    async def _run(
        self,
        wf: Workflow,
        input: Any,
        run_id: str,
        checkpoints: Checkpoints | None,
        done: dict[str, Any],
        manifest: dict[str, Any] | None,
        *,
        resumed: bool,
    ) -> RunResult:
        plans = self._plan(wf)
        expected_concurrency.set(self.max_concurrency)  # the shared HTTP client's connections
        trace = start_trace(run_id, wf, self.program.name, self.digest, resumed=resumed, done=done)
        walk = _LocalWalk(self, checkpoints, wf, plans, input, trace, done)
        started = time.perf_counter()
        stop = asyncio.Event()
        beat = None
        if checkpoints is not None and manifest is not None:
            beat = asyncio.ensure_future(self._heartbeat(checkpoints, manifest, trace, stop))
        try:
            await walk.execute()
            result = walk.result(self.validator)
        except RunFailed as exc:
            trace.status, trace.error = "failed", exc.message
            exc.trace = trace
            await _stop(beat, stop)
            await self._finish(checkpoints, trace, started, "failed", error=exc.message)
            raise
        except BaseException:
            trace.status = "interrupted"
            await asyncio.shield(_stop(beat, stop))
            await asyncio.shield(self._finish(checkpoints, trace, started, "interrupted"))
            raise
        trace.status = "succeeded"
        await _stop(beat, stop)
        await self._finish(checkpoints, trace, started, "succeeded", result=result)
        return RunResult(run_id, wf.name, result, trace)

    async def _heartbeat(
        self,
        checkpoints: Checkpoints,
        manifest: dict[str, Any],
        trace: RunTrace,
        stop: asyncio.Event,
    ) -> None:
        """Renew the run's lease, with its totals and trace so far, until ``stop`` is set."""
        every = max(self.lease / 4, 0.05)

        def write() -> None:
            # The trace first, so that it is there when the beat that announces it is; the
            # item spans only while they are few (a beat must stay cheap).
            items = sum(len(span.items) for span in trace.steps.values()) <= BEAT_ITEMS
            checkpoints.save_trace(trace, items=items)
            manifest["heartbeat"] = time.time()
            manifest["totals"] = trace.totals()
            checkpoints.write_manifest(manifest)

        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            with contextlib.suppress(AiwfError, OSError):  # a missed beat is not a failure
                await asyncio.to_thread(write)

    async def _finish(
        self,
        checkpoints: Checkpoints | None,
        trace: RunTrace,
        started: float,
        status: str,
        *,
        error: str | None = None,
        result: Any = None,
    ) -> None:
        trace.latency = time.perf_counter() - started
        if checkpoints is None:
            return

        def write() -> None:
            if status == "succeeded":
                checkpoints.save_result(result)
            checkpoints.save_trace(trace)
            manifest = checkpoints.read_manifest()
            manifest["status"] = status
            manifest["error"] = error
            manifest["totals"] = trace.totals()
            manifest["latency"] = trace.latency
            checkpoints.write_manifest(manifest)

        await asyncio.to_thread(write)


class _LocalWalk(Walk):
    """The walk of a local run: calls through the engine's client, checks with its
    validator, checkpoints in its store."""

    def __init__(
        self,
        engine: Engine,
        checkpoints: Checkpoints | None,
        wf: Workflow,
        plans: Mapping[str, StepPlan],
        input: Any,
        trace: RunTrace,
        done: Mapping[str, Any],
    ) -> None:
        super().__init__(
            wf,
            plans,
            input,
            trace,
            done,
            observer=engine.observer,
            max_concurrency=engine.max_concurrency,
        )
        self.client = engine.client
        self.validator = engine.validator
        self.checkpoints = checkpoints
        self.journals: dict[str, GroupCommit] = {}

    async def call(
        self, plan: StepPlan, value: Any, index: int | None, span: StepSpan, item: ItemSpan | None
    ) -> Any:
        plan.check_input(self.validator, value, index)
        request = plan.request(
            value, run_id=self.trace.run_id, workflow=self.workflow.name, index=index
        )
        try:
            async with self.limit:
                response: ModelResponse = await self.client.complete(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, ProviderError):
                span.add_failure(exc, item)
            raise StepError(plan.step.id, index, exc) from exc
        span.add_response(response, item)
        plan.check_output(response, index)
        return response.output

    async def save_step(self, step: str, output: Any) -> None:
        if self.checkpoints is not None:
            await asyncio.to_thread(self.checkpoints.save_step, step, output)

    @contextlib.asynccontextmanager
    async def items_open(self, step: str) -> AsyncIterator[None]:
        """The step's item journal, open while its items run; it is committed and closed
        when the step ends, however it ends."""
        if self.checkpoints is None:
            yield
            return
        journal = await asyncio.to_thread(self.checkpoints.open_items, step)
        group = self.journals[step] = GroupCommit(journal)
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(group.close())
            raise
        await group.close()

    async def save_item(self, step: str, index: int, output: Any, skipped: bool) -> None:
        group = self.journals.get(step)
        if group is not None:
            group.append(index, output, skipped)

    async def load_items(self, step: str) -> dict[int, tuple[Any, bool]]:
        if self.checkpoints is None:
            return {}
        return await asyncio.to_thread(self.checkpoints.load_items, step)


def _check_output(call: CallPlan, response: ModelResponse) -> None:
    invalid = call.output_problems(response)
    if invalid:
        raise OutputInvalid(
            f"the model's output is not valid for {call.assistant.output}: {summary(invalid)}",
            path=invalid[0].pointer,
            provider=response.provider,
            model=response.model,
        )


async def _stop(beat: asyncio.Future[None] | None, stop: asyncio.Event) -> None:
    """End the heartbeat after the beat it may be writing (so it cannot write over the
    final manifest)."""
    stop.set()
    if beat is not None:
        await asyncio.gather(beat, return_exceptions=True)


def _where(manifest: Mapping[str, Any]) -> str:
    host, pid = manifest.get("host"), manifest.get("pid")
    if manifest.get("engine", "local") != "local":
        return f"on {manifest.get('engine')}"
    return f"pid {pid} on {host}" if host else "elsewhere"
