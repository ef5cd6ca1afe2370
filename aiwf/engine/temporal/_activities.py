"""The activities of aiwf's Temporal interpreter: everything that touches the outside world.

``aiwf.call`` makes one model call of one step (or scatter item). It rebuilds the request
from the program on the worker with the engine's own step plan (:mod:`aiwf.engine._steps`),
checks the step input and the model's output with the IR validator, as the local engine
does, and checkpoints the answer in the artifact store before it returns (a scatter item in
the worker's journal segment of the step, committed in groups: :mod:`.journals`). The API key is
read here, on the worker, by the runtime, and never leaves it. The call heartbeats while it
waits, so a worker that dies is noticed within the heartbeat timeout and the call is
retried on another worker; a call whose answer was already checkpointed by an attempt that
did not get to report it is read back instead of being made again.

Temporal retries a call with the retry policy the workflow sets from the spec's ``retry:``
(:mod:`.failures` maps the runtime's retry rules onto it); each attempt here makes one
request, plus the repairs of an invalid output, which stay inside the attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from temporalio import activity

from aiwf._errors import AiwfError
from aiwf._ir.model import Program, load_ir
from aiwf._ir.validate import Validator
from aiwf.engine._checkpoints import Checkpoints
from aiwf.engine._errors import StepError
from aiwf.engine._steps import Planner, call_record
from aiwf.engine.temporal._failures import (
    CallProgress,
    check_failure,
    deadline_exceeded,
    internal_failure,
    is_attempt_timeout,
    provider_failure,
)
from aiwf.engine.temporal._journals import Journals, Reads
from aiwf.engine.temporal._messages import (
    CALL_ACTIVITY,
    COLLECT_ACTIVITY,
    FINISH_ACTIVITY,
    SAVE_ACTIVITY,
    CallParams,
    CallResult,
    CollectParams,
    FinishParams,
    SaveParams,
)
from aiwf.runtime._client import DEFAULT_TIMEOUT
from aiwf.runtime._clock import SystemClock
from aiwf.runtime._errors import ProviderError
from aiwf.runtime._retry import DEFAULT_RETRY, RetryPolicy
from aiwf.runtime._types import ModelClient
from aiwf.stores import ArtifactNotFound, ArtifactStore

T = TypeVar("T")

#: Programs a worker keeps parsed.
PROGRAMS_KEPT = 16
#: Threads for the artifact store's blocking calls.
IO_THREADS = 32


def program_key(digest: str) -> str:
    """Where a run's IR is kept in the artifact store (content-addressed)."""
    return f"programs/{digest.removeprefix('sha256:')}.json"


class Activities:
    """The activities of one worker, sharing its artifact store, its model client (the
    runtime, or the dry-run model) and the programs it has loaded."""

    def __init__(self, store: ArtifactStore, client: ModelClient) -> None:
        self.store = store
        self.client = client
        self._programs: OrderedDict[str, tuple[Program, Planner, Validator]] = OrderedDict()
        # The store's writes wait on the disk (fsync) or the network, not the CPU: a wide
        # scatter needs more of them at once than asyncio's default pool of cpu+4 threads.
        self._io = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="aiwf-store")
        #: The scatter items' journal segments of this worker, and reads of them.
        self.journals = Journals(self._blocking)
        self.reads = Reads(self._blocking)

    async def _blocking(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io, functools.partial(func, *args, **kwargs))

    async def aclose(self) -> None:
        """Commit and close the journal segments still open (the worker stops)."""
        await self.journals.close()

    def close(self) -> None:
        """Let the store's threads go."""
        self._io.shutdown(wait=False)

    def all(self) -> list[Any]:
        """The activity functions, for the worker."""
        return [self.call, self.save, self.collect, self.finish]

    async def _program(self, digest: str) -> tuple[Program, Planner, Validator]:
        found = self._programs.get(digest)
        if found is None:
            found = await self._blocking(self._load, digest)
            self._programs[digest] = found
            while len(self._programs) > PROGRAMS_KEPT:
                self._programs.popitem(last=False)
        return found

    def _load(self, digest: str) -> tuple[Program, Planner, Validator]:
        key = program_key(digest)
        try:
            data, _ = self.store.get(key)
        except ArtifactNotFound:
            raise AiwfError(
                f"the run's program {key} is not in this worker's artifact store {self.store.url}",
                code="E521",
                hint="the client and every worker must open the same artifact store",
            ) from None
        program = load_ir(data.decode("utf-8"))
        if program.digest() != digest:
            raise AiwfError(f"the program {key} does not match its digest", code="E521")
        return program, Planner(program), Validator(program.contract_type)

    @activity.defn(name=CALL_ACTIVITY)
    async def call(self, params: CallParams) -> CallResult:
        """Make one model call of a step (see the module docstring)."""
        if params.index is None:
            return await self._call(params)
        with self.journals.calling(params.run_id, params.step):
            return await self._call(params)

    async def _call(self, params: CallParams) -> CallResult:
        try:
            program, planner, validator = await self._program(params.digest)
            plan = planner.plans(program.workflows[params.workflow])[params.step]
        except AiwfError as exc:
            raise internal_failure(exc) from None
        checkpoints = Checkpoints(self.store, params.run_id, ttl=params.ttl)
        if activity.info().attempt > 1:  # an earlier attempt may have answered, then died
            if params.index is None:
                found = await self._blocking(checkpoints.load_checkpoint, params.step, None)
            else:
                found = (await self.reads.records(checkpoints, params.step)).get(params.index)
            if found and not found.get("skipped") and isinstance(found.get("call"), dict):
                return CallResult(found.get("output"), found["call"])
        try:
            plan.check_input(validator, params.input, params.index)
        except StepError as exc:
            raise check_failure(exc, None) from None
        request = plan.request(
            params.input, run_id=params.run_id, workflow=params.workflow, index=params.index
        )
        route = planner.route(params.alias)
        spec = request.retry or route.retry or DEFAULT_RETRY
        info = activity.info()
        earlier = CallProgress.of(info.heartbeat_details)
        # The call's deadline runs from its first attempt's schedule, as Temporal's
        # schedule-to-close timeout does; this attempt ends at it with the local message.
        began = info.scheduled_time.timestamp()
        per_attempt = request.timeout or route.timeout or DEFAULT_TIMEOUT
        remaining = None if spec.deadline is None else spec.deadline - (time.time() - began)
        bound = remaining is not None and remaining <= per_attempt
        request = replace(
            request,
            route=route,
            metadata=replace(request.metadata, alias=params.alias),
            retry=replace(spec, max_attempts=1, deadline=None),
            timeout=max(remaining, 0.0) if bound and remaining is not None else request.timeout,
        )
        try:
            if remaining is not None and remaining <= 0:
                raise deadline_exceeded(route, spec)
            response = await _heartbeating(
                self.client.complete(request), params.heartbeat, earlier.details()
            )
        except ProviderError as exc:
            if bound and is_attempt_timeout(exc):
                exc = deadline_exceeded(route, spec, exc)
            now = earlier.then(exc.attempt_log, requests=exc.attempts, failed=True)
            activity.heartbeat(now.details())  # the next attempt reads it back
            exc.attempts, exc.attempt_log = now.requests, now.log
            delay = RetryPolicy(spec, SystemClock()).delay_for(exc, now.failures - 1)
            final = (
                delay is None
                or now.failures >= spec.max_attempts
                or (spec.deadline is not None and time.time() + delay >= began + spec.deadline)
            )
            raise provider_failure(exc, None if final else delay) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise internal_failure(exc) from None
        now = earlier.then(response.attempt_log, requests=response.attempts, failed=False)
        response = replace(response, attempts=now.requests, attempt_log=now.log)
        record = call_record(response)
        try:
            plan.check_output(response, params.index)
        except StepError as exc:
            raise check_failure(exc, record) from None
        if params.index is None:
            await self._blocking(checkpoints.save_call, params.step, response.output, record)
        else:  # durable before the call reports (see the module docstring)
            await self.journals.add(
                checkpoints, params.step, params.index, response.output, False, call=record
            )
        return CallResult(response.output, record)

    @activity.defn(name=SAVE_ACTIVITY)
    async def save(self, params: SaveParams) -> None:
        """Checkpoint a scattered step's output, or a skipped item."""
        checkpoints = Checkpoints(self.store, params.run_id, ttl=params.ttl)
        if params.index is None:
            await self._blocking(checkpoints.save_step, params.step, params.output)
            return
        with self.journals.calling(params.run_id, params.step):
            await self.journals.add(
                checkpoints,
                params.step,
                params.index,
                params.output,
                params.skipped,
                error=params.error,
                call=None if params.attempt_log is None else {"attempt_log": params.attempt_log},
            )

    @activity.defn(name=COLLECT_ACTIVITY)
    async def collect(self, params: CollectParams) -> list[Any]:
        """The checkpoints of items of a scattered step (``None`` for one not written)."""
        checkpoints = Checkpoints(self.store, params.run_id)
        # Every segment and item file of the step read once (not once per index).
        found = await _heartbeating(self.reads.records(checkpoints, params.step), 10.0, 0)
        return [found.get(index) for index in params.indexes]

    @activity.defn(name=FINISH_ACTIVITY)
    async def finish(self, params: FinishParams) -> None:
        """Record the end of a run: result, trace and the manifest's status; this worker's
        journal segments of the run are closed."""
        await self.journals.close_run(params.run_id)
        checkpoints = Checkpoints(self.store, params.run_id, ttl=params.ttl)

        def write() -> None:
            if params.status == "succeeded":
                checkpoints.save_result(params.result)
            checkpoints.save_trace(params.trace)
            manifest = checkpoints.read_manifest()
            manifest["status"] = params.status
            manifest["error"] = params.error
            manifest["totals"] = params.trace.get("totals")
            manifest["latency"] = params.trace.get("latency")
            checkpoints.write_manifest(manifest)

        await self._blocking(write)


async def _heartbeating(work: Awaitable[T], every: float, details: Any) -> T:
    """``await work``, heartbeating every ``every`` seconds; cancelling the activity (its
    workflow was cancelled) cancels the call."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            activity.heartbeat(details)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
