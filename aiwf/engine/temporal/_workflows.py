"""The Temporal interpreter: one workflow that walks the IR, with the local engine's walk.

``aiwf.run`` (:class:`RunWorkflow`) runs the engine's own :class:`~aiwf.engine._walk.Walk`
over the DAG: parallel branches, scatter with its concurrency bound and input order,
``on_error: skip``, bindings, the result and its check, the trace. What differs is
:class:`TemporalWalk`: every model call is an activity (``aiwf.call``, see
:mod:`.activities`) made through the runtime's router, so fallbacks behave as they do
locally; time comes from the workflow's clock; and a scatter with more items than fit in
one history runs in ``aiwf.scatter`` child workflows (:class:`ScatterWorkflow`), which
continue as new with a cursor and leave their answers in the item checkpoints.

Everything here must stay replay-safe: a change in what the workflow does for a given
history (the commands it issues, their order) breaks the runs in flight. Such a change is
made behind ``workflow.patched("aiwf-...")`` (docs/distributed.md), and
``tests/engine/temporal`` replays a recorded history against the code as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    import aiwf._ir.expressions
    import aiwf._ir.routes
    import aiwf._ir.typecheck  # noqa: F401
    from aiwf._errors import AiwfError
    from aiwf._ir.model import Program, Workflow, load_ir
    from aiwf._ir.validate import Validator
    from aiwf.engine._bindings import reads_input, step_refs
    from aiwf.engine._clients import RouterClient
    from aiwf.engine._errors import StepError
    from aiwf.engine._steps import Planner, StepPlan, response_from_record
    from aiwf.engine._trace import COUNTS, ItemSpan, RunTrace, StepSpan
    from aiwf.engine._walk import Walk, start_trace
    from aiwf.engine.temporal._failures import CallLimits, CheckFailed, from_activity_error
    from aiwf.engine.temporal._messages import (
        CALL_ACTIVITY,
        COLLECT_ACTIVITY,
        FINISH_ACTIVITY,
        PROGRESS_QUERY,
        RUN_WORKFLOW,
        SAVE_ACTIVITY,
        SCATTER_WORKFLOW,
        TRACE_QUERY,
        CallParams,
        CallResult,
        CollectParams,
        FinishParams,
        RunOutcome,
        RunParams,
        SaveParams,
        ScatterParams,
    )
    from aiwf.runtime._client import DEFAULT_TIMEOUT
    from aiwf.runtime._errors import ProviderError
    from aiwf.runtime._retry import DEFAULT_RETRY
    from aiwf.runtime._router import Router
    from aiwf.runtime._types import AttemptRecord, ModelRequest, ModelResponse

#: Temporal hangs a workflow with more than 2,000 activities pending; aiwf keeps each
#: execution (the run, each scatter child) to this many calls in flight.
MAX_IN_FLIGHT = 1000
#: Attempts a call gets beyond the spec's ``max_attempts`` for lost workers (a heartbeat
#: timeout is not the provider's failure, so it does not use up the spec's attempts).
LOST_WORKER_ATTEMPTS = 10
#: Events of the run's own history an inline scatter item may take: its activity's
#: scheduled, started and completed events and a share of workflow tasks.
EVENTS_PER_ITEM = 6
#: Events of the run's own history that inline scatters may take together (Temporal fails
#: a history past 51,200 events; the run cannot continue as new in the middle of its DAG).
INLINE_EVENTS = 20_000
#: ``workflow.patched`` id of calls with a ``retry.deadline``: Temporal's schedule-to-close
#: timeout is the deadline plus the heartbeat timeout plus :data:`DEADLINE_SLACK`, so the
#: activity, which ends the call at its deadline, reports it (before: the deadline itself).
DEADLINE_PATCH = "aiwf-call-deadline-in-activity"
DEADLINE_SLACK = 5.0
#: ``workflow.patched`` id of scatter children that hand the attempt logs of their failed
#: items (skipped, or the one that failed the step) to the run (before: none).
SCATTER_ATTEMPTS_PATCH = "aiwf-scatter-child-attempt-logs"
#: Seconds the bookkeeping activities (save, collect, finish) may take.
BOOKKEEPING_TIMEOUT = timedelta(minutes=10)
#: How the bookkeeping activities are retried (store hiccups).
BOOKKEEPING_RETRY = RetryPolicy(maximum_attempts=20, maximum_interval=timedelta(seconds=30))


class ActivityClient:
    """The model client the workflow's router calls: one ``aiwf.call`` activity per request,
    retried by Temporal with the spec's retry policy."""

    def __init__(self, walk: TemporalWalk) -> None:
        self.walk = walk

    async def complete(self, request: ModelRequest) -> ModelResponse:
        meta = request.metadata
        index = int(meta.extra["index"]) if "index" in meta.extra else None
        step = meta.step or ""
        spec = request.retry or request.route.retry or DEFAULT_RETRY
        run = self.walk.params
        beat = run.options.heartbeat_timeout
        per_attempt = (request.route.timeout or DEFAULT_TIMEOUT) * (spec.repair_attempts + 1)
        params = CallParams(
            run_id=run.run_id,
            digest=run.digest,
            workflow=run.workflow,
            step=step,
            index=index,
            alias=meta.alias or "",
            input=request.input,
            heartbeat=max(beat / 3, 0.05),
            ttl=run.options.ttl,
        )
        deadline = spec.deadline
        if deadline is not None and workflow.patched(DEADLINE_PATCH):
            # The activity ends the call at its deadline itself, with the runtime's error
            # and the attempts made; Temporal's timeout is left for a worker that was lost.
            deadline += beat + DEADLINE_SLACK
        try:
            result = await workflow.execute_activity(
                CALL_ACTIVITY,
                params,
                result_type=CallResult,
                start_to_close_timeout=timedelta(seconds=per_attempt + 60),
                schedule_to_close_timeout=(
                    timedelta(seconds=deadline) if deadline is not None else None
                ),
                heartbeat_timeout=timedelta(seconds=beat),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=spec.initial_delay),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=spec.max_delay),
                    maximum_attempts=spec.max_attempts + LOST_WORKER_ATTEMPTS,
                ),
                # A cancelled run ends once its calls in flight have stopped.
                cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        except ActivityError as err:
            limits = CallLimits(request.route, spec.deadline, per_attempt + 60, beat)
            raise from_activity_error(err, step, index, limits) from None
        return response_from_record(result.call, result.output)

    def stream(self, request: ModelRequest) -> Any:
        raise NotImplementedError("a workflow does not stream")


class TemporalWalk(Walk):
    """The engine's walk, run inside a workflow (see the module docstring)."""

    def __init__(
        self,
        params: RunParams,
        program: Program,
        wf: Workflow,
        plans: Mapping[str, StepPlan],
        trace: RunTrace,
        done: Mapping[str, Any],
        *,
        children: bool = True,
    ) -> None:
        super().__init__(
            wf,
            plans,
            params.input,
            trace,
            done,
            max_concurrency=min(params.options.max_concurrency, MAX_IN_FLIGHT),
        )
        self.params = params
        self.program = program
        self.client = RouterClient(Router(program.models, ActivityClient(self)))
        #: Scatter children in flight, step id -> workflow id (for progress queries).
        self.children: dict[str, str] = {}
        self._children_allowed = children
        self._reserved = 0

    # -- the engine's hooks --------------------------------------------------------------

    def now(self) -> float:
        return workflow.time()

    def wall(self) -> float:
        return workflow.now().timestamp()

    async def wait_first_failure(
        self, tasks: Sequence[asyncio.Future[None]]
    ) -> list[asyncio.Future[None]]:
        _, pending = await workflow.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        return list(pending)

    async def call(
        self, plan: StepPlan, value: Any, index: int | None, span: StepSpan, item: ItemSpan | None
    ) -> Any:
        request = plan.request(
            value, run_id=self.trace.run_id, workflow=self.workflow.name, index=index
        )
        try:
            async with self.limit:
                response = await self.client.complete(request)
        except asyncio.CancelledError:
            raise
        except CheckFailed as exc:  # checked in the activity, counted here, as locally
            if exc.response is not None:
                span.add_response(exc.response, item)
            raise
        except StepError:
            raise
        except Exception as exc:
            if isinstance(exc, ProviderError):  # its attempts reached a server: counted
                span.add_failure(exc, item)
            raise StepError(plan.step.id, index, exc) from exc
        span.add_response(response, item)
        return response.output

    async def save_step(self, step: str, output: Any) -> None:
        if self.plans[step].step.scatter is not None:  # an unscattered step's call saved it
            await self._save(
                SaveParams(self.params.run_id, step, output, ttl=self.params.options.ttl)
            )

    async def save_item(self, step: str, index: int, output: Any, skipped: bool) -> None:
        if skipped:  # an answered item's call saved it
            item = self.trace.steps[step].items[index]
            attempts = None
            if not self._children_allowed and workflow.patched(SCATTER_ATTEMPTS_PATCH):
                attempts = [asdict(a) for a in item.attempt_log]  # for the run's trace
            await self._save(
                SaveParams(
                    self.params.run_id,
                    step,
                    None,
                    index=index,
                    skipped=True,
                    error=item.error,
                    ttl=self.params.options.ttl,
                    attempt_log=attempts,
                )
            )

    async def load_items(self, step: str) -> dict[int, tuple[Any, bool]]:
        return {
            int(index): (output, bool(skipped))
            for index, output, skipped in self.params.done_items.get(step, [])
        }

    async def _save(self, params: SaveParams) -> None:
        await workflow.execute_activity(
            SAVE_ACTIVITY,
            params,
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
        )

    # -- large scatters ------------------------------------------------------------------

    async def run_items(
        self,
        plan: StepPlan,
        span: StepSpan,
        items: list[Any],
        todo: Sequence[int],
        results: list[Any],
    ) -> None:
        if not self._children_allowed:
            await super().run_items(plan, span, items, todo, results)
            return
        options = self.params.options
        need = EVENTS_PER_ITEM * len(todo)
        room = INLINE_EVENTS - workflow.info().get_current_history_length() - self._reserved
        if len(todo) <= options.scatter_inline_items and need <= room:
            self._reserved += need
            try:
                await super().run_items(plan, span, items, todo, results)
            finally:
                self._reserved -= need
            return
        step = plan.step
        run = replace(
            self.params,
            input=self.params.input if reads_input(step.input) else None,
            done={},
            done_items={},
        )
        outputs = {ref: self.outputs.get(ref) for ref in sorted(step_refs(step.input))}
        child = ScatterParams(run, step.id, items, list(todo), outputs=outputs)
        child_id = f"{self.params.run_id}.{step.id}"
        failure: StepError | None = None
        handle = await workflow.start_child_workflow(
            SCATTER_WORKFLOW,
            child,
            id=child_id,
            task_queue=workflow.info().task_queue,
            result_type=dict,
        )
        self.children[step.id] = child_id
        try:
            await handle
        except ChildWorkflowError as err:
            failure = _child_failure(err, step.id)
        finally:
            self.children.pop(step.id, None)
        checkpoints = await workflow.execute_activity(
            COLLECT_ACTIVITY,
            CollectParams(self.params.run_id, step.id, list(todo)),
            result_type=list,
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            heartbeat_timeout=timedelta(seconds=max(options.heartbeat_timeout, 60)),
            retry_policy=BOOKKEEPING_RETRY,
        )
        for index, record in zip(todo, checkpoints, strict=True):
            if not isinstance(record, dict):
                continue
            item = span.items[index]
            if record.get("skipped"):
                error = str(record.get("error") or "skipped")
                failed = record.get("call") if isinstance(record.get("call"), dict) else {}
                assert isinstance(failed, dict)
                _count_failed(span, item, error, failed.get("attempt_log"))
                span.item_skipped(item, error, 0.0)
            else:
                call = record.get("call") if isinstance(record.get("call"), dict) else {}
                assert isinstance(call, dict)
                results[index] = record.get("output")
                span.add_response(response_from_record(call, results[index]), item)
                span.item_ok(item, float(call.get("latency", 0.0)))
            span.items_done += 1
        if failure is not None:
            if failure.index is not None:
                item = span.items[failure.index]
                _count_failed(span, item, failure.text, getattr(failure, "attempt_log", None))
                span.item_failed(item, failure.text, 0.0)
            raise failure


class _ChildFailure(StepError):
    """An item that failed a scatter child, with the attempt log of its call."""

    def __init__(self, step: str, index: int | None, text: str, attempt_log: Any) -> None:
        super().__init__(step, index, text)
        self.attempt_log = attempt_log


def _child_failure(err: ChildWorkflowError, step: str) -> StepError:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        index = details.get("index")
        return _ChildFailure(
            step,
            index if isinstance(index, int) else None,
            cause.message,
            details.get("attempt_log"),
        )
    return StepError(step, None, str(cause or err))


def _count_failed(span: StepSpan, item: ItemSpan, error: str, attempt_log: Any) -> None:
    """Count the failed call of an item that a scatter child made (its attempts, as the
    child recorded them: none when its input was refused before any call, or when the
    child ran an earlier aiwf, which did not record them)."""
    if isinstance(attempt_log, list) and attempt_log:
        failed = ProviderError(error)
        failed.attempt_log = tuple(AttemptRecord(**a) for a in attempt_log)
        span.add_failure(failed, item)


def _prepare(params: RunParams) -> tuple[Program, Workflow, dict[str, StepPlan]]:
    program = load_ir(params.ir)
    wf = program.workflows[params.workflow]
    return program, wf, Planner(program).plans(wf)


def _failure(exc: AiwfError) -> ApplicationError:
    """What fails the workflow for a failed run (any other exception would only fail the
    workflow task, which Temporal retries until the code is fixed)."""
    details = {
        "code": exc.code,
        "step": getattr(exc, "step", None),
        "index": getattr(exc, "index", None),
        "hint": exc.hint,
    }
    return ApplicationError(exc.message, details, type="RunFailed", non_retryable=True)


@workflow.defn(name=RUN_WORKFLOW)
class RunWorkflow:
    """One run of one workflow of an IR (see the module docstring)."""

    def __init__(self) -> None:
        self._walk: TemporalWalk | None = None

    @workflow.run
    async def run(self, params: RunParams) -> RunOutcome:
        began = workflow.time()
        try:
            program, wf, plans = _prepare(params)
        except AiwfError as exc:  # an IR this worker cannot run (another aiwf version ...)
            trace = RunTrace(
                params.run_id, params.workflow, "", params.digest, started_at=params.started_at
            )
            trace.status, trace.error = "failed", exc.message
            await self._finish(params, trace, "failed", error=exc.message)
            raise _failure(exc) from None
        trace = start_trace(
            params.run_id,
            wf,
            program.name,
            params.digest,
            resumed=params.resumed,
            done=params.done,
            started_at=params.started_at,
        )
        walk = self._walk = TemporalWalk(params, program, wf, plans, trace, params.done)
        try:
            await walk.execute()
            result = walk.result(Validator(program.contract_type))
        except AiwfError as exc:  # RunFailed, or the IR refers to what it lacks
            trace.status, trace.error = "failed", exc.message
            trace.latency = workflow.time() - began
            await self._finish(params, trace, "failed", error=exc.message)
            raise _failure(exc) from None
        except asyncio.CancelledError:
            trace.status, trace.error = "cancelled", "cancelled"
            trace.latency = workflow.time() - began
            await self._finish(params, trace, "cancelled", error="cancelled")
            raise
        trace.status = "succeeded"
        trace.latency = workflow.time() - began
        await self._finish(params, trace, "succeeded", result=result)
        return RunOutcome(result, trace.to_dict())

    async def _finish(
        self,
        params: RunParams,
        trace: RunTrace,
        status: str,
        *,
        error: str | None = None,
        result: Any = None,
    ) -> None:
        await workflow.execute_activity(
            FINISH_ACTIVITY,
            FinishParams(
                params.run_id,
                status,
                trace.to_dict(),
                error=error,
                result=result,
                ttl=params.options.ttl,
            ),
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
        )

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> dict[str, Any]:
        """The trace without item spans, and the scatter children in flight."""
        if self._walk is None:
            return {}
        data = self._walk.trace.to_dict(items=False)
        data["children"] = dict(self._walk.children)
        return data

    @workflow.query(name=TRACE_QUERY)
    def trace(self) -> dict[str, Any]:
        """The whole trace as it is now."""
        return {} if self._walk is None else self._walk.trace.to_dict()


@workflow.defn(name=SCATTER_WORKFLOW)
class ScatterWorkflow:
    """The items of one large scatter, a batch per history (see the module docstring)."""

    def __init__(self) -> None:
        self._span: StepSpan | None = None
        self._counts: dict[str, int] = {}

    @workflow.run
    async def run(self, params: ScatterParams) -> dict[str, int]:
        run = params.run
        try:
            program, wf, plans = _prepare(run)
        except AiwfError as exc:
            raise _failure(exc) from None
        plan = plans[params.step]
        trace = RunTrace(run.run_id, wf.name, program.name, run.digest, started_at=run.started_at)
        span = StepSpan(params.step, plan.step.assistant, scatter=True, status="running")
        span.items_total = len(params.items)
        span.items = [ItemSpan(i) for i in range(len(params.items))]
        trace.steps[params.step] = span
        self._span, self._counts = span, dict(params.counts)
        walk = TemporalWalk(run, program, wf, plans, trace, params.outputs, children=False)
        batch = params.todo[params.cursor : params.cursor + run.options.scatter_batch_items]
        taken = [0]

        def queue(todo: Sequence[int]) -> Iterator[int]:
            for index in todo:
                if taken[0] and workflow.info().is_continue_as_new_suggested():
                    return
                taken[0] += 1
                yield index

        walk.item_queue = queue  # type: ignore[method-assign]
        try:
            await walk.run_items(plan, span, params.items, batch, [None] * len(params.items))
        except StepError as exc:
            details: dict[str, Any] = {"index": exc.index}
            if exc.index is not None and workflow.patched(SCATTER_ATTEMPTS_PATCH):
                details["attempt_log"] = [asdict(a) for a in span.items[exc.index].attempt_log]
            raise ApplicationError(
                exc.text, details, type="StepError", non_retryable=True
            ) from None
        counts = self._current()
        cursor = params.cursor + taken[0]
        if cursor < len(params.todo):
            workflow.continue_as_new(replace(params, cursor=cursor, counts=counts))
        return counts

    def _current(self) -> dict[str, int]:
        span = self._span
        if span is None:
            return dict(self._counts)
        return {key: self._counts.get(key, 0) + int(getattr(span, key)) for key in COUNTS}

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> dict[str, int]:
        """Counts of the items called so far, over every run of this child."""
        return self._current()
