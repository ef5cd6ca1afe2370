"""The workflow engine: runs one workflow of a compiled :class:`~aiwf.ir.model.Program`.

Every step becomes a task that waits for the steps it depends on and then runs, so
independent branches run in parallel and a step starts as soon as its inputs exist. A
scattered step runs a pool of ``Scatter.concurrency`` workers over its items; every model
call also takes a slot of the engine-wide ``max_concurrency``. Step inputs, step outputs and
the final result are checked with the IR validator.

A failure fails the run (:class:`RunFailed` names the step, the item and the cause) after
the steps still running are cancelled, unless the step scatters with ``on_error: skip``,
where the failed item becomes ``null``. With a store, every finished step and item is
checkpointed before anything reads it, and :meth:`Engine.resume` continues from there.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiwf.engine.bindings import Scope, evaluate
from aiwf.engine.checkpoints import DEFAULT_TTL, Checkpoints
from aiwf.engine.errors import (
    INPUT_INVALID,
    RESULT_INVALID,
    RESUME_REFUSED,
    RunFailed,
    StepError,
    describe_cause,
)
from aiwf.engine.program import pick_workflow
from aiwf.engine.trace import ItemSpan, RunTrace, StepSpan
from aiwf.errors import AiwfError
from aiwf.ir.model import Assistant, Program, RefBinding, Step, Workflow
from aiwf.ir.types import RefType
from aiwf.ir.validate import Problem, Validator, summary
from aiwf.runtime.errors import OutputInvalid, ProviderError
from aiwf.runtime.types import (
    CallMetadata,
    Completed,
    ModelClient,
    ModelRequest,
    ModelResponse,
    OutputCheck,
    StreamEvent,
)
from aiwf.spec.models import ModelRoute, RetrySpec
from aiwf.stores import ArtifactStore

#: Model calls in flight at once across the whole run, unless the caller says otherwise.
DEFAULT_MAX_CONCURRENCY = 128


class RunObserver(Protocol):
    """Follows a run as it goes (progress displays); called on the event loop, must not block."""

    def step_started(self, trace: RunTrace, span: StepSpan) -> None: ...

    def item_finished(self, trace: RunTrace, span: StepSpan, item: ItemSpan) -> None: ...

    def step_finished(self, trace: RunTrace, span: StepSpan) -> None: ...


@dataclass(frozen=True)
class RunResult:
    """A finished run: its id, the workflow result and the merged trace."""

    run_id: str
    workflow: str
    output: Any
    trace: RunTrace


def new_run_id() -> str:
    """A sortable, unique run id: ``YYYYmmdd-HHMMSS-xxxxxx``."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class _CallPlan:
    """What a call of an assistant needs at run time, prepared once."""

    assistant: Assistant
    route: ModelRoute
    retry: RetrySpec | None
    output_schema: Mapping[str, Any]
    input_schema: Mapping[str, Any]
    input_type: RefType
    output_type: RefType
    #: The output's contract check, handed to the client with every request.
    check: OutputCheck


@dataclass(frozen=True)
class _StepPlan:
    """What a step needs at run time, prepared once."""

    step: Step
    call: _CallPlan
    #: The input is a value already checked against the same contract (``${prev.output}``
    #: of a step with that output contract, or ``${input}`` of that input contract): the
    #: engine does not check it again.
    input_checked: bool = False


class _Run:
    """The state of one run."""

    def __init__(
        self,
        workflow: Workflow,
        input: Any,
        trace: RunTrace,
        checkpoints: Checkpoints | None,
        outputs: dict[str, Any],
    ) -> None:
        self.workflow = workflow
        self.input = input
        self.trace = trace
        self.checkpoints = checkpoints
        self.outputs = outputs
        self.scope = Scope(input, outputs)
        self.finished: dict[str, asyncio.Future[None]] = {}


class Engine:
    """Runs workflows of ``program`` with ``client`` answering every model call.

    Args:
        program: the compiled spec.
        client: the :class:`~aiwf.runtime.ModelClient` (a :class:`~aiwf.engine.clients.RouterClient`
            over the runtime, a :class:`~aiwf.engine.dryrun.DryRunClient`, a replay ...).
        max_concurrency: model calls in flight at once across the run.
        store: where checkpoints go (none: the run cannot be resumed).
        observer: told about steps and items as they finish (progress display).
        ttl: seconds the checkpoints are kept.
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
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.program = program
        self.client = client
        self.max_concurrency = max_concurrency
        self.store = store
        self.observer = observer
        self.ttl = ttl
        self.validator = Validator(program.contract_type)
        self._routes: dict[str, ModelRoute] = {}
        self._schemas: dict[str, Mapping[str, Any]] = {}
        self._plans: dict[str, dict[str, _StepPlan]] = {}
        self._calls: dict[str, _CallPlan] = {}
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
        problems = self.validator.problems(value, RefType(name=workflow.input))
        if problems:
            raise AiwfError(
                f"the input is not valid for workflow {workflow.name} "
                f"({workflow.input}): {summary(problems)}",
                code=INPUT_INVALID,
                hint="aiwf dry-run without --input prints a valid sample input",
            )

    async def run(
        self, workflow: str | None, input: Any, *, run_id: str | None = None
    ) -> RunResult:
        """Run ``workflow`` on ``input`` and return its result.

        Raises:
            RunFailed: a step failed, or the result is not valid for the output contract.
            AiwfError: the workflow does not exist or the input is invalid.
            asyncio.CancelledError: the run was cancelled (it can be resumed).
        """
        wf = self.workflow(workflow)
        self.check_input(wf, input)
        run_id = run_id or new_run_id()
        checkpoints = self._checkpoints(run_id)
        if checkpoints is not None:
            manifest = {
                "run_id": run_id,
                "spec": self.program.name,
                "workflow": wf.name,
                "digest": self.digest,
                "input": input,
                "status": "running",
                "created": time.time(),
            }
            await asyncio.to_thread(checkpoints.write_manifest, manifest)
        return await self._run(wf, input, run_id, checkpoints, {}, resumed=False)

    async def resume(self, run_id: str, *, input: Any = None) -> RunResult:
        """Continue the run ``run_id`` from its checkpoints: finished steps and items are
        read back, not called again.

        Raises:
            AiwfError: (``E503``) no store, no such run, another IR digest, another input.
        """
        checkpoints = self._checkpoints(run_id)
        if checkpoints is None:
            raise AiwfError("a run can only be resumed from an artifact store", code=RESUME_REFUSED)
        manifest = await asyncio.to_thread(checkpoints.read_manifest)
        if manifest.get("digest") != self.digest:
            raise AiwfError(
                f"run {run_id!r} was made from another version of the spec "
                f"(IR {str(manifest.get('digest'))[:19]}..., now {self.digest[:19]}...); "
                "resuming it would mix outputs of two specs",
                code=RESUME_REFUSED,
                hint="restore the spec the run was made with, or start a new run without --resume",
            )
        if manifest.get("status") == "succeeded":
            raise AiwfError(
                f"run {run_id!r} already succeeded; there is nothing to resume",
                code=RESUME_REFUSED,
                hint=f"its result is in the store: runs/{run_id}/result.json",
            )
        wf = self.workflow(str(manifest.get("workflow")))
        stored_input = manifest.get("input")
        if input is not None and input != stored_input:
            raise AiwfError(
                f"the input differs from the input of run {run_id!r}",
                code=RESUME_REFUSED,
                hint="resume without --input (the run's own input is used)",
            )
        self.check_input(wf, stored_input)
        done = await asyncio.to_thread(checkpoints.load_steps, [s.id for s in wf.steps])
        manifest["status"] = "running"
        await asyncio.to_thread(checkpoints.write_manifest, manifest)
        return await self._run(wf, stored_input, run_id, checkpoints, done, resumed=True)

    # -- the run -------------------------------------------------------------------------

    def _checkpoints(self, run_id: str) -> Checkpoints | None:
        return None if self.store is None else Checkpoints(self.store, run_id, ttl=self.ttl)

    async def _run(
        self,
        wf: Workflow,
        input: Any,
        run_id: str,
        checkpoints: Checkpoints | None,
        done: dict[str, Any],
        *,
        resumed: bool,
    ) -> RunResult:
        plans = self._plan(wf)
        trace = RunTrace(run_id, wf.name, self.program.name, self.digest, resumed=resumed)
        for step in wf.steps:
            span = StepSpan(step.id, step.assistant, scatter=step.scatter is not None)
            if step.id in done:
                span.status = "resumed"
                if step.scatter is not None and isinstance(done[step.id], list):
                    span.items_total = span.items_done = span.items_resumed = len(done[step.id])
            trace.steps[step.id] = span
        run = _Run(wf, input, trace, checkpoints, dict(done))
        started = time.perf_counter()
        try:
            await self._execute(run, plans)
            result = evaluate(wf.output, run.scope)
            problems = self.validator.problems(result, RefType(name=wf.output_contract))
            if problems:
                raise RunFailed(
                    f"the result of workflow {wf.name} is not valid for "
                    f"{wf.output_contract}: {summary(problems)}",
                    run_id=run_id,
                    code=RESULT_INVALID,
                )
        except RunFailed as exc:
            trace.status, trace.error = "failed", exc.message
            exc.trace = trace
            await self._finish(run, started, "failed", error=exc.message)
            raise
        except BaseException:
            trace.status = "interrupted"
            await asyncio.shield(self._finish(run, started, "interrupted"))
            raise
        trace.status = "succeeded"
        await self._finish(run, started, "succeeded", result=result)
        return RunResult(run_id, wf.name, result, trace)

    async def _finish(
        self,
        run: _Run,
        started: float,
        status: str,
        *,
        error: str | None = None,
        result: Any = None,
    ) -> None:
        run.trace.latency = time.perf_counter() - started
        checkpoints = run.checkpoints
        if checkpoints is None:
            return

        def write() -> None:
            if status == "succeeded":
                checkpoints.save_result(result)
            checkpoints.save_trace(run.trace.to_dict())
            manifest = checkpoints.read_manifest()
            manifest["status"] = status
            manifest["error"] = error
            checkpoints.write_manifest(manifest)

        await asyncio.to_thread(write)

    async def _execute(self, run: _Run, plans: dict[str, _StepPlan]) -> None:
        loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(self.max_concurrency)
        for step in run.workflow.steps:
            future: asyncio.Future[None] = loop.create_future()
            if step.id in run.outputs:
                future.set_result(None)
            run.finished[step.id] = future
        tasks = [
            asyncio.ensure_future(self._step_task(run, plans[step.id], limit))
            for step in run.workflow.steps
            if step.id not in run.outputs
        ]
        if not tasks:
            return
        try:
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        except BaseException:
            await _cancel(tasks)
            for span in run.trace.steps.values():
                if span.status in ("running", "pending"):
                    span.status = "cancelled"
            raise
        failures = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        if not failures:
            return
        await _cancel(list(pending))
        for span in run.trace.steps.values():
            if span.status in ("running", "pending"):
                span.status = "cancelled"
        error = failures[0].exception()
        assert error is not None
        if not isinstance(error, StepError):
            raise error
        raise RunFailed(
            str(error),
            run_id=run.trace.run_id,
            step=error.step,
            index=error.index,
            cause=error.cause if isinstance(error.cause, BaseException) else None,
        )

    async def _step_task(self, run: _Run, plan: _StepPlan, limit: asyncio.Semaphore) -> None:
        step = plan.step
        for dep in step.depends_on:
            future = run.finished[dep]
            if not future.done():
                await future
        span = run.trace.steps[step.id]
        span.status = "running"
        span.started_at = time.time()
        began = time.perf_counter()
        if self.observer is not None:
            self.observer.step_started(run.trace, span)
        try:
            if step.scatter is None:
                value = evaluate(step.input, run.scope)
                output = await self._call(run, plan, value, None, span, None, limit)
            else:
                output = await self._scatter(run, plan, span, limit)
        except StepError as exc:
            span.status, span.error = "failed", exc.text
            span.latency = time.perf_counter() - began
            raise
        except asyncio.CancelledError:
            span.status = "cancelled"
            span.latency = time.perf_counter() - began
            raise
        except Exception as exc:
            span.status, span.error = "failed", describe_cause(exc)
            span.latency = time.perf_counter() - began
            raise StepError(step.id, None, exc) from exc
        run.outputs[step.id] = output
        if run.checkpoints is not None:
            await asyncio.to_thread(run.checkpoints.save_step, step.id, output)
        span.status = "ok"
        span.latency = time.perf_counter() - began
        if self.observer is not None:
            self.observer.step_finished(run.trace, span)
        run.finished[step.id].set_result(None)

    async def _scatter(
        self, run: _Run, plan: _StepPlan, span: StepSpan, limit: asyncio.Semaphore
    ) -> list[Any]:
        step = plan.step
        scatter = step.scatter
        assert scatter is not None
        items = evaluate(scatter.over, run.scope)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise StepError(
                step.id, None, f"scatter over {scatter.over.text} is not an array ({_kind(items)})"
            )
        results: list[Any] = [None] * len(items)
        span.items_total = len(items)
        span.items = [ItemSpan(i) for i in range(len(items))]
        done: dict[int, tuple[Any, bool]] = {}
        if run.checkpoints is not None and run.trace.resumed:
            done = await asyncio.to_thread(run.checkpoints.load_items, step.id)
        todo: list[int] = []
        for index in range(len(items)):
            if index in done:
                output, skipped = done[index]
                results[index] = output
                item_span = span.items[index]
                item_span.status = "resumed"
                span.items_done += 1
                span.items_resumed += 1
                if skipped:
                    item_span.error = "skipped in an earlier attempt"
            else:
                todo.append(index)
        if not todo:
            return results
        queue = iter(todo)
        skip = scatter.on_error == "skip"

        async def worker() -> None:
            for index in queue:
                item_span = span.items[index]
                began = time.perf_counter()
                scope = run.scope.with_item(items[index], index)
                skipped = False
                try:
                    value = evaluate(step.input, scope)
                    output = await self._call(run, plan, value, index, span, item_span, limit)
                except StepError as exc:
                    item_span.latency = time.perf_counter() - began
                    item_span.error = exc.text
                    if not skip:
                        item_span.status = "failed"
                        raise
                    output, skipped = None, True
                    item_span.status = "skipped"
                    span.items_skipped += 1
                else:
                    item_span.status = "ok"
                    item_span.latency = time.perf_counter() - began
                results[index] = output
                if run.checkpoints is not None:
                    await asyncio.to_thread(
                        run.checkpoints.save_item, step.id, index, output, skipped
                    )
                span.items_done += 1
                if self.observer is not None:
                    self.observer.item_finished(run.trace, span, item_span)

        workers = [
            asyncio.ensure_future(worker()) for _ in range(min(scatter.concurrency, len(todo)))
        ]
        try:
            _, pending = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        except BaseException:
            await _cancel(workers)
            raise
        if pending:
            await _cancel(list(pending))
        errors = [t.exception() for t in workers if not t.cancelled()]
        for error in errors:
            if error is not None:
                raise error
        return results

    async def _call(
        self,
        run: _Run,
        plan: _StepPlan,
        value: Any,
        index: int | None,
        span: StepSpan,
        item: ItemSpan | None,
        limit: asyncio.Semaphore,
    ) -> Any:
        step_id, call = plan.step.id, plan.call
        problems = [] if plan.input_checked else self.validator.problems(value, call.input_type)
        if problems:
            raise StepError(
                step_id,
                index,
                f"its input is not valid for {call.assistant.input}: {summary(problems)}",
            )
        extra = {"run_id": run.trace.run_id}
        if index is not None:
            extra["index"] = str(index)
        request = self._request(call, value, run.workflow.name, step_id, extra)
        try:
            async with limit:
                response: ModelResponse = await self.client.complete(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, ProviderError):
                span.add_failure(exc, item)
            raise StepError(step_id, index, exc) from exc
        span.add_response(response, item)
        invalid = [] if response.checked else list(call.check(response.output))
        if invalid:
            raise StepError(
                step_id,
                index,
                f"the model's output is not valid for {call.assistant.output}: {summary(invalid)}",
            )
        return response.output

    def _request(
        self,
        call: _CallPlan,
        value: Any,
        workflow: str | None,
        step: str | None,
        extra: dict[str, str],
    ) -> ModelRequest:
        assistant = call.assistant
        return ModelRequest(
            route=call.route,
            instructions=assistant.instructions,
            input=value,
            input_schema=call.input_schema,
            output_schema=call.output_schema,
            schema_name=assistant.output,
            check=call.check,
            temperature=assistant.temperature,
            max_tokens=assistant.max_tokens,
            retry=call.retry,
            metadata=CallMetadata(
                assistant=assistant.name,
                workflow=workflow,
                step=step,
                alias=assistant.model,
                extra=extra,
            ),
        )

    # -- single calls (the SDKs' assistant functions) ------------------------------------

    def _assistant_request(self, name: str, value: Any) -> tuple[_CallPlan, ModelRequest]:
        if name not in self.program.assistants:
            known = ", ".join(sorted(self.program.assistants)) or "none"
            raise AiwfError(f"unknown assistant {name!r} (known: {known})", code="E504")
        call = self._call_plan(name)
        problems = self.validator.problems(value, call.input_type)
        if problems:
            raise AiwfError(
                f"the input is not valid for assistant {name} ({call.assistant.input}): "
                f"{summary(problems)}",
                code=INPUT_INVALID,
            )
        return call, self._request(call, value, None, None, {})

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
        self._check_output(call, response)
        return response

    async def stream_assistant(self, name: str, value: Any) -> AsyncIterator[StreamEvent]:
        """:meth:`call_assistant` streaming: the client's events, the last a ``Completed``."""
        call, request = self._assistant_request(name, value)
        async for event in self.client.stream(request):
            if isinstance(event, Completed):
                self._check_output(call, event.response)
            yield event

    @staticmethod
    def _check_output(call: _CallPlan, response: ModelResponse) -> None:
        invalid = [] if response.checked else list(call.check(response.output))
        if invalid:
            raise OutputInvalid(
                f"the model's output is not valid for {call.assistant.output}: {summary(invalid)}",
                path=invalid[0].pointer,
                provider=response.provider,
                model=response.model,
            )

    # -- preparation ---------------------------------------------------------------------

    def _plan(self, wf: Workflow) -> dict[str, _StepPlan]:
        found = self._plans.get(wf.name)
        if found is not None:
            return found
        plans = {
            step.id: _StepPlan(
                step=step,
                call=self._call_plan(step.assistant),
                input_checked=_checked_already(
                    wf, step, self.program.assistants[step.assistant].input, self.program
                ),
            )
            for step in wf.steps
        }
        self._plans[wf.name] = plans
        return plans

    def _call_plan(self, name: str) -> _CallPlan:
        found = self._calls.get(name)
        if found is None:
            assistant = self.program.assistants[name]
            output_type = RefType(name=assistant.output)
            found = self._calls[name] = _CallPlan(
                assistant=assistant,
                route=self._route(assistant.model),
                retry=RetrySpec.model_validate(assistant.retry) if assistant.retry else None,
                output_schema=self._schema(assistant.output),
                input_schema=self._schema(assistant.input),
                input_type=RefType(name=assistant.input),
                output_type=output_type,
                check=self._check(output_type),
            )
        return found

    def _route(self, alias: str) -> ModelRoute:
        route = self._routes.get(alias)
        if route is None:
            fields = self.program.models.get(alias)
            if fields is None:
                raise AiwfError(f"the IR has no model route {alias!r}", code="E090")
            route = self._routes[alias] = ModelRoute.model_validate(fields)
        return route

    def _check(self, typ: RefType) -> OutputCheck:
        validator = self.validator

        def check(value: Any) -> list[Problem]:
            return validator.problems(value, typ)

        return check

    def _schema(self, contract: str) -> Mapping[str, Any]:
        schema = self._schemas.get(contract)
        if schema is None:
            schema = self._schemas[contract] = self.program.json_schema(contract)
        return schema


def _checked_already(wf: Workflow, step: Step, contract: str, program: Program) -> bool:
    """Whether ``step``'s input is, as a whole, a value the engine has already checked
    against ``contract``: the workflow input, or the output of an unscattered step."""
    binding = step.input
    if not isinstance(binding, RefBinding) or binding.path:
        return False
    if step.scatter is not None:
        return binding.root == "item" and _items_are(wf, step, contract, program)
    if binding.root == "input":
        return wf.input == contract
    if binding.root != "step" or binding.step is None:
        return False
    source = next((s for s in wf.steps if s.id == binding.step), None)
    return (
        source is not None
        and source.scatter is None
        and program.assistants[source.assistant].output == contract
    )


def _items_are(wf: Workflow, step: Step, contract: str, program: Program) -> bool:
    """Whether the items a step scatters over are, each, a value already checked against
    ``contract`` (elements of the checked workflow input, or of a checked step output)."""
    from aiwf.ir import types as t
    from aiwf.ir.typecheck import PathError, follow, resolve

    assert step.scatter is not None
    over = step.scatter.over
    base: t.Type
    if over.root == "input":
        base = RefType(name=wf.input)
    elif over.root == "step" and over.step is not None:
        source = next((s for s in wf.steps if s.id == over.step), None)
        if source is None:
            return False
        base = source.output_type
    else:
        return False
    try:
        typed = follow(base, tuple(over.path), program.contract_type, over.root)
    except PathError:
        return False
    array = resolve(typed.type, program.contract_type)
    items = array.items if isinstance(array, t.ArrayType) else None
    return isinstance(items, RefType) and items.name == contract and not items.nullable


async def _cancel(tasks: Sequence[asyncio.Future[None]]) -> None:
    """Cancel ``tasks`` and wait until every one has ended."""
    for task in tasks:
        if not task.done():
            task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object"}.get(
        type(value), type(value).__name__
    )
