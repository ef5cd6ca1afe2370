"""The walk over one workflow's DAG: the semantics every engine shares.

Every step becomes a task that waits for the steps it depends on and then runs, so
independent branches run in parallel and a step starts as soon as its inputs exist. A
scattered step runs a pool of ``Scatter.concurrency`` workers over its items in input order;
every model call also takes a slot of the run-wide ``max_concurrency``. A failure fails the
run (:class:`RunFailed` names the step, the item and the cause) after the steps still
running are cancelled, unless the step scatters with ``on_error: skip``, where the failed
item becomes ``null``. The trace (:mod:`aiwf.engine._trace`) is kept here as the walk goes.

An engine subclasses :class:`Walk` for what differs between engines: how a model call is
made (:meth:`Walk.call`), where checkpoints go (:meth:`Walk.save_step`,
:meth:`Walk.save_item`, :meth:`Walk.load_items`), the clocks, how tasks are awaited, and
where the items of a scattered step run (:meth:`Walk.run_items`). The local engine
(:mod:`aiwf.engine._engine`) and the Temporal interpreter (:mod:`aiwf.engine.temporal`)
both run this code, so that they cannot drift apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from aiwf._ir.model import Workflow
from aiwf._ir.types import RefType
from aiwf._ir.validate import Validator, summary
from aiwf._structure import kind_of
from aiwf.engine._bindings import Scope, evaluate
from aiwf.engine._errors import RESULT_INVALID, RunFailed, StepError, StepFailed, describe_cause
from aiwf.engine._steps import StepPlan
from aiwf.engine._trace import ItemSpan, RunTrace, StepSpan


class RunObserver(Protocol):
    """Follows a run as it goes (progress displays); called on the event loop, must not block."""

    def step_started(self, trace: RunTrace, span: StepSpan) -> None: ...

    def item_finished(self, trace: RunTrace, span: StepSpan, item: ItemSpan) -> None: ...

    def step_finished(self, trace: RunTrace, span: StepSpan) -> None: ...


def start_trace(
    run_id: str,
    wf: Workflow,
    spec: str,
    digest: str,
    *,
    resumed: bool,
    done: Mapping[str, Any],
    started_at: float | None = None,
) -> RunTrace:
    """The trace of a run as it starts: a pending span per step, ``resumed`` for the steps
    read back from checkpoints (``done``)."""
    trace = RunTrace(run_id, wf.name, spec, digest, resumed=resumed)
    if started_at is not None:
        trace.started_at = started_at
    for step in wf.steps:
        span = StepSpan(step.id, step.assistant, scatter=step.scatter is not None)
        if step.id in done:
            span.status = "resumed"
            if step.scatter is not None and isinstance(done[step.id], list):
                span.items_total = span.items_done = span.items_resumed = len(done[step.id])
        trace.steps[step.id] = span
    return trace


class Walk:
    """One run of ``workflow`` over its DAG, from the outputs already ``done``.

    Args:
        workflow: the workflow of the IR.
        plans: the :class:`StepPlan` of every step, by step id.
        input: the workflow input (already checked).
        trace: the run's trace (:func:`start_trace`), updated as steps and items finish.
        done: outputs of steps finished before (a resumed run), by step id.
        observer: told about steps and items as they go.
        max_concurrency: model calls in flight at once across the walk.
    """

    def __init__(
        self,
        workflow: Workflow,
        plans: Mapping[str, StepPlan],
        input: Any,
        trace: RunTrace,
        done: Mapping[str, Any],
        *,
        observer: RunObserver | None = None,
        max_concurrency: int,
    ) -> None:
        self.workflow = workflow
        self.plans = plans
        self.input = input
        self.trace = trace
        self.outputs: dict[str, Any] = dict(done)
        self.scope = Scope(input, self.outputs)
        self.observer = observer
        self.max_concurrency = max_concurrency
        self.finished: dict[str, asyncio.Future[None]] = {}
        self._limit: asyncio.Semaphore | None = None

    # -- what an engine provides ---------------------------------------------------------

    def now(self) -> float:
        """Seconds on a monotonic clock (latencies)."""
        return time.perf_counter()

    def wall(self) -> float:
        """Seconds since the epoch (start times)."""
        return time.time()

    async def wait_first_failure(
        self, tasks: Sequence[asyncio.Future[None]]
    ) -> list[asyncio.Future[None]]:
        """Wait until every task is done or one failed; the pending ones, in ``tasks`` order."""
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        return [task for task in tasks if task in pending] if pending else []

    async def call(
        self, plan: StepPlan, value: Any, index: int | None, span: StepSpan, item: ItemSpan | None
    ) -> Any:
        """Make the model call of ``plan`` on ``value`` and return the checked output; count
        it in ``span`` (and ``item``). Raises :class:`StepError` for a step's own failure."""
        raise NotImplementedError

    async def save_step(self, step: str, output: Any) -> None:
        """Checkpoint a finished step (before any step that reads it starts)."""

    async def save_item(self, step: str, index: int, output: Any, skipped: bool) -> None:
        """Checkpoint a finished (or skipped) scatter item."""

    async def load_items(self, step: str) -> dict[int, tuple[Any, bool]]:
        """Items of ``step`` finished before (a resumed run): index -> (output, skipped)."""
        return {}

    def items_open(self, step: str) -> contextlib.AbstractAsyncContextManager[object]:
        """Entered while the items of ``step`` run, and left when they end, however they end
        (the local engine keeps the step's item journal open)."""
        return contextlib.nullcontext()

    def item_queue(self, todo: Sequence[int]) -> Iterator[int]:
        """The order the workers take the items to do in (input order)."""
        return iter(todo)

    # -- the walk ------------------------------------------------------------------------

    @property
    def limit(self) -> asyncio.Semaphore:
        """The run-wide slot every model call takes."""
        if self._limit is None:
            self._limit = asyncio.Semaphore(self.max_concurrency)
        return self._limit

    async def execute(self) -> None:
        """Run every step not yet done; raise :class:`RunFailed` when one fails."""
        loop = asyncio.get_running_loop()
        for step in self.workflow.steps:
            future: asyncio.Future[None] = loop.create_future()
            if step.id in self.outputs:
                future.set_result(None)
            self.finished[step.id] = future
        tasks = [
            asyncio.ensure_future(self.step_task(self.plans[step.id]))
            for step in self.workflow.steps
            if step.id not in self.outputs
        ]
        if not tasks:
            return
        try:
            pending = await self.wait_first_failure(tasks)
        except GeneratorExit:  # the coroutine is being closed (a workflow evicted): no awaits
            raise
        except BaseException:
            await cancel(tasks)
            self._cancel_spans()
            raise
        failures = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        if not failures:
            return
        await cancel(pending)
        self._cancel_spans()
        error = failures[0].exception()
        assert error is not None
        if not isinstance(error, StepError):
            raise error
        raise StepFailed(
            str(error),
            run_id=self.trace.run_id,
            step=error.step,
            index=error.index,
            cause=error.cause if isinstance(error.cause, BaseException) else None,
        )

    def result(self, validator: Validator) -> Any:
        """The workflow's result from the finished steps, checked against its contract."""
        wf = self.workflow
        result = evaluate(wf.output, self.scope)
        problems = validator.problems(result, RefType(name=wf.output_contract))
        if problems:
            raise RunFailed(
                f"the result of workflow {wf.name} is not valid for "
                f"{wf.output_contract}: {summary(problems)}",
                run_id=self.trace.run_id,
                code=RESULT_INVALID,
            )
        return result

    def _cancel_spans(self) -> None:
        for span in self.trace.steps.values():
            if span.status in ("running", "pending"):
                span.status = "cancelled"

    async def step_task(self, plan: StepPlan) -> None:
        """Run one step once the steps it depends on are done."""
        step = plan.step
        for dep in step.depends_on:
            future = self.finished[dep]
            if not future.done():
                await future
        span = self.trace.steps[step.id]
        span.status = "running"
        span.started_at = self.wall()
        began = self.now()
        if self.observer is not None:
            self.observer.step_started(self.trace, span)
        try:
            if step.scatter is None:
                value = evaluate(step.input, self.scope)
                output = await self.call(plan, value, None, span, None)
            else:
                output = await self.scatter(plan, span)
        except StepError as exc:
            span.status, span.error = "failed", exc.text
            span.latency = self.now() - began
            raise
        except asyncio.CancelledError:
            span.status = "cancelled"
            span.latency = self.now() - began
            raise
        except Exception as exc:
            span.status, span.error = "failed", describe_cause(exc)
            span.latency = self.now() - began
            raise StepError(step.id, None, exc) from exc
        self.outputs[step.id] = output
        await self.save_step(step.id, output)
        span.status = "ok"
        span.latency = self.now() - began
        if self.observer is not None:
            self.observer.step_finished(self.trace, span)
        self.finished[step.id].set_result(None)

    async def scatter(self, plan: StepPlan, span: StepSpan) -> list[Any]:
        """The outputs of a scattered step, in input order."""
        step = plan.step
        scatter = step.scatter
        assert scatter is not None
        items = evaluate(scatter.over, self.scope)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise StepError(
                step.id,
                None,
                f"scatter over {scatter.over.text} is not an array ({kind_of(items)})",
            )
        results: list[Any] = [None] * len(items)
        span.items_total = len(items)
        span.items = [ItemSpan(i) for i in range(len(items))]
        done: dict[int, tuple[Any, bool]] = {}
        if self.trace.resumed:
            done = await self.load_items(step.id)
        todo: list[int] = []
        for index in range(len(items)):
            if index in done:
                output, skipped = done[index]
                results[index] = output
                span.item_resumed(span.items[index], skipped)
            else:
                todo.append(index)
        if todo:
            async with self.items_open(step.id):
                await self.run_items(plan, span, items, todo, results)
        return results

    async def run_items(
        self,
        plan: StepPlan,
        span: StepSpan,
        items: list[Any],
        todo: Sequence[int],
        results: list[Any],
    ) -> None:
        """Call the items ``todo`` of a scattered step, at most ``concurrency`` at once, and
        put each output at its index in ``results``."""
        step = plan.step
        scatter = step.scatter
        assert scatter is not None
        queue = self.item_queue(todo)
        skip = scatter.on_error == "skip"

        async def worker() -> None:
            for index in queue:
                item_span = span.items[index]
                began = self.now()
                scope = self.scope.with_item(items[index], index)
                skipped = False
                try:
                    value = evaluate(step.input, scope)
                    output = await self.call(plan, value, index, span, item_span)
                except StepError as exc:
                    if not skip:
                        span.item_failed(item_span, exc.text, self.now() - began)
                        raise
                    output, skipped = None, True
                    span.item_skipped(item_span, exc.text, self.now() - began)
                else:
                    span.item_ok(item_span, self.now() - began)
                results[index] = output
                await self.save_item(step.id, index, output, skipped)
                span.items_done += 1
                if self.observer is not None:
                    self.observer.item_finished(self.trace, span, item_span)

        workers = [
            asyncio.ensure_future(worker()) for _ in range(min(scatter.concurrency, len(todo)))
        ]
        try:
            pending = await self.wait_first_failure(workers)
        except GeneratorExit:
            raise
        except BaseException:
            await cancel(workers)
            raise
        if pending:
            await cancel(pending)
        errors = [t.exception() for t in workers if not t.cancelled()]
        for error in errors:
            if error is not None:
                raise error


async def cancel(tasks: Sequence[asyncio.Future[None]]) -> None:
    """Cancel ``tasks`` and wait until every one has ended."""
    for task in tasks:
        if not task.done():
            task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
