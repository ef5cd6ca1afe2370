"""The client side of the Temporal engine: connecting, starting a run, following it with
the local engine's progress display, resuming it, cancelling it, and asking Temporal how a
run is doing (for ``aiwf runs``).

A run's manifest and checkpoints live in the artifact store as for a local run (the same
layout, so ``aiwf runs ls`` shows both engines and a run can be resumed on either); its
execution lives in Temporal under the workflow id = the run id.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf._ir.model import Program
from aiwf._ir.validate import Validator
from aiwf.engine._checkpoints import DEFAULT_TTL, Checkpoints
from aiwf.engine._engine import DEFAULT_MAX_CONCURRENCY, RunResult, new_run_id
from aiwf.engine._errors import RESUME_REFUSED, RunFailed, StepFailed
from aiwf.engine._identity import (
    check_resume,
    new_manifest,
    renew_manifest,
    resumed_run,
    still_running,
)
from aiwf.engine._program import pick_workflow
from aiwf.engine._runs import RunInfo, run_status
from aiwf.engine._steps import check_run_input
from aiwf.engine._trace import RunTrace
from aiwf.engine.temporal._activities import program_key
from aiwf.engine.temporal._messages import (
    PROGRESS_QUERY,
    RUN_WORKFLOW,
    TRACE_QUERY,
    RunOptions,
    RunOutcome,
    RunParams,
)
from aiwf.engine.temporal._settings import TemporalSettings
from aiwf.stores import ArtifactStore

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

#: Error codes: E520 Temporal cannot be reached (or is misconfigured), E521 a payload or
#: program is not in the worker's store, E505 the run was cancelled or terminated.
UNREACHABLE = "E520"
RUN_ENDED = "E505"
#: Seconds between progress queries while a run is followed.
POLL = 0.25
#: Seconds a query may take before the display gives up on it for this round.
QUERY_TIMEOUT = 2.0
#: Seconds without any worker answering before the follower says so.
NO_WORKER_AFTER = 5.0
#: Seconds ``aiwf runs`` gives a Temporal server to answer before it shows what it recorded.
LOOKUP_TIMEOUT = 3.0
#: Seconds the follower waits for a Temporal server that went away before it gives up.
SERVER_AWAY = 120.0
#: Temporal's execution statuses, as aiwf names them.
_STATUSES = {
    "RUNNING": "running",
    "COMPLETED": "succeeded",
    "FAILED": "failed",
    "CANCELED": "cancelled",
    "TERMINATED": "terminated",
    "CONTINUED_AS_NEW": "running",
    "TIMED_OUT": "timed_out",
}


async def connect(
    settings: TemporalSettings,
    store: ArtifactStore,
    *,
    ttl: float | None = DEFAULT_TTL,
    timeout: float = 15.0,
) -> Client:
    """A Temporal client whose payloads above the threshold travel through ``store``
    (:class:`AiwfError` ``E520`` when it cannot connect within ``timeout`` seconds)."""
    from temporalio.client import Client, TLSConfig
    from temporalio.converter import DataConverter

    from aiwf.engine.temporal._codec import ArtifactCodec

    tls: bool | TLSConfig = False
    if settings.uses_tls:
        tls = TLSConfig(
            server_root_ca_cert=_read(settings.tls_ca_path),
            client_cert=_read(settings.tls_cert_path),
            client_private_key=_read(settings.tls_key_path),
            domain=settings.tls_server_name,
        )
    converter = dataclasses.replace(
        DataConverter.default,
        payload_codec=ArtifactCodec(store, threshold=settings.payload_threshold, ttl=ttl),
    )
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.address,
                namespace=settings.namespace,
                tls=tls,
                api_key=settings.api_key,
                data_converter=converter,
            ),
            timeout=timeout,
        )
    except (RuntimeError, OSError, asyncio.TimeoutError) as exc:
        raise AiwfError(
            f"cannot reach Temporal at {settings.address}: {_first_line(exc)}",
            code=UNREACHABLE,
            hint="check --temporal (or [engine] address) and the server; for a local one: "
            "temporal server start-dev",
        ) from None


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AiwfError(
            f"cannot read {path}: {exc.strerror or exc}", code=UNREACHABLE, exit_code=2
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__


class TemporalEngine:
    """Runs workflows of ``program`` on Temporal: the same IR, walked by the same code, with
    every model call an activity on whichever worker takes it.

    Args:
        program: the compiled spec.
        settings: the Temporal connection, task queue and limits.
        store: the artifact store the workers open too (payloads, checkpoints, manifests).
        max_concurrency: model calls in flight at once per workflow execution.
        observer: given the run's trace as it goes (``update(trace)``), for a display.
        notify: told, as one line, what a user should know (a resume with changed route
            settings, no worker polling the task queue yet).
        ttl: seconds the checkpoints and stored payloads are kept.
    """

    def __init__(
        self,
        program: Program,
        settings: TemporalSettings,
        store: ArtifactStore,
        *,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        observer: Any = None,
        notify: Callable[[str], None] | None = None,
        ttl: float | None = DEFAULT_TTL,
    ) -> None:
        self.program = program
        self.settings = settings
        self.store = store
        self.max_concurrency = max_concurrency
        self.observer = observer
        self.notify = notify
        self.ttl = ttl
        self.validator = Validator(program.contract_type)
        self._client: Client | None = None

    async def client(self) -> Client:
        """The connected Temporal client (connected on first use)."""
        if self._client is None:
            self._client = await connect(self.settings, self.store, ttl=self.ttl)
        return self._client

    # -- starting --------------------------------------------------------------------------

    async def start(
        self,
        workflow: str | None,
        input: Any,
        *,
        run_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a run of ``workflow`` on ``input`` and return its id (the run goes on
        without this process)."""
        wf = pick_workflow(self.program, workflow)
        check_run_input(self.validator, wf, input)
        client = await self.client()
        run_id = run_id or new_run_id()
        manifest = new_manifest(
            run_id, self.program, wf.name, input, self._owner(run_id), context, created=time.time()
        )
        await asyncio.to_thread(self._write_start, run_id, manifest)
        await self._start(client, run_id, wf.name, input, resumed=False, done={}, items={})
        return run_id

    async def resume_start(
        self, run_id: str, *, input: Any = None, context: Mapping[str, Any] | None = None
    ) -> str:
        """Start the rest of run ``run_id`` (of either engine) from its checkpoints: finished
        steps and items are not called again."""
        checkpoints = Checkpoints(self.store, run_id, ttl=self.ttl)
        manifest = await asyncio.to_thread(checkpoints.read_manifest)
        changes = check_resume(manifest, self.program, run_id)
        client = await self.client()
        status = run_status(manifest)
        if status == "running" and manifest.get("engine") == "temporal":
            status = await _execution_status(client, run_id) or "unknown"
        if status == "running":
            raise still_running(run_id)
        wf, stored = resumed_run(
            self.program, self.validator, manifest, input, run_id, changes, self.notify
        )

        def load() -> tuple[dict[str, Any], dict[str, list[list[Any]]]]:
            done = checkpoints.load_steps([s.id for s in wf.steps])
            items: dict[str, list[list[Any]]] = {}
            for step in wf.steps:
                if step.scatter is not None and step.id not in done:
                    found = checkpoints.load_items(step.id)
                    items[step.id] = [
                        [i, out, skipped] for i, (out, skipped) in sorted(found.items())
                    ]
            return done, items

        done, items = await asyncio.to_thread(load)
        renew_manifest(manifest, self.program, self._owner(run_id), context)
        await asyncio.to_thread(self._write_start, run_id, manifest)
        await self._start(client, run_id, wf.name, stored, resumed=True, done=done, items=items)
        return run_id

    def _owner(self, run_id: str) -> dict[str, Any]:
        return {"engine": "temporal", "temporal": {**self.settings.public(), "workflow_id": run_id}}

    def _write_start(self, run_id: str, manifest: dict[str, Any]) -> None:
        # Written on every start, which renews its TTL (content-addressed: same bytes).
        key = program_key(self.program.digest())
        self.store.put(
            key, self.program.to_json().encode(), content_type="application/json", ttl=self.ttl
        )
        Checkpoints(self.store, run_id, ttl=self.ttl).write_manifest(manifest)

    async def _start(
        self,
        client: Client,
        run_id: str,
        workflow: str,
        input: Any,
        *,
        resumed: bool,
        done: dict[str, Any],
        items: dict[str, list[list[Any]]],
    ) -> None:
        from temporalio.exceptions import WorkflowAlreadyStartedError

        settings = self.settings
        params = RunParams(
            run_id=run_id,
            ir=self.program.to_json(),
            digest=self.program.digest(),
            workflow=workflow,
            input=input,
            started_at=time.time(),
            options=RunOptions(
                max_concurrency=self.max_concurrency,
                heartbeat_timeout=settings.heartbeat_timeout,
                scatter_inline_items=settings.scatter_inline_items,
                scatter_batch_items=settings.scatter_batch_items,
                ttl=self.ttl,
            ),
            resumed=resumed,
            done=done,
            done_items=items,
        )
        try:
            await client.start_workflow(
                RUN_WORKFLOW, params, id=run_id, task_queue=settings.task_queue
            )
        except WorkflowAlreadyStartedError:
            raise AiwfError(
                f"run {run_id!r} is already running on Temporal", code=RESUME_REFUSED
            ) from None
        except RuntimeError as exc:
            raise AiwfError(
                f"Temporal refused to start run {run_id}: {_first_line(exc)}", code=UNREACHABLE
            ) from None

    # -- following ---------------------------------------------------------------------------

    async def run(
        self,
        workflow: str | None,
        input: Any,
        *,
        run_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Start a run and follow it to its end (:meth:`follow`)."""
        run_id = await self.start(workflow, input, run_id=run_id, context=context)
        return await self.follow(run_id)

    async def resume(
        self, run_id: str, *, input: Any = None, context: Mapping[str, Any] | None = None
    ) -> RunResult:
        """Resume a run and follow it to its end."""
        await self.resume_start(run_id, input=input, context=context)
        return await self.follow(run_id)

    async def follow(self, run_id: str) -> RunResult:
        """Wait for run ``run_id`` to end, showing its progress to the observer.

        Raises:
            RunFailed: a step failed, or the result is invalid (as a local run does).
            AiwfError: (``E505``) the run was cancelled, terminated or timed out.
        """
        return await follow(
            await self.client(),
            self.settings,
            run_id,
            observer=self.observer,
            notify=self.notify,
            store=self.store,
        )


async def follow(
    client: Client,
    settings: TemporalSettings,
    run_id: str,
    *,
    observer: Any = None,
    notify: Callable[[str], None] | None = None,
    store: ArtifactStore | None = None,
) -> RunResult:
    """Wait for run ``run_id`` to end; ``observer.update(trace)`` is given its progress, and
    ``notify`` is told when no worker answers for a while (see :meth:`TemporalEngine.follow`).
    A failed run's :class:`RunFailed` carries its trace, as a local run's does, when
    ``store`` holds it (the workflow writes it there before it fails)."""
    from temporalio.client import WorkflowFailureError

    handle = client.get_workflow_handle(run_id, result_type=RunOutcome)
    waiting = asyncio.ensure_future(_result(handle))
    quiet_since = time.monotonic()
    told = False
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=POLL)
            if done:
                break
            if observer is None and (told or notify is None):
                continue  # nobody to show progress to: no queries
            if await _show(client, handle, observer):
                quiet_since = time.monotonic()
            elif not told and time.monotonic() - quiet_since > NO_WORKER_AFTER:
                told = True
                if notify is not None:
                    notify(
                        f"no worker has answered for run {run_id} yet; start one with: "
                        f"aiwf worker --temporal {settings.address} "
                        f"--task-queue {settings.task_queue}"
                    )
        outcome = waiting.result()
    except WorkflowFailureError as err:
        failure = run_failure(err, run_id)
        if isinstance(failure, RunFailed) and store is not None:
            failure.trace = await asyncio.to_thread(_stored_trace, store, run_id)
        raise failure from None
    finally:
        if not waiting.done():
            waiting.cancel()
            with contextlib.suppress(BaseException):
                await waiting
    trace = RunTrace.from_dict(outcome.trace)
    return RunResult(run_id, trace.workflow, outcome.output, trace)


def _stored_trace(store: ArtifactStore, run_id: str) -> RunTrace | None:
    """The trace the end of run ``run_id`` left in ``store``, if any."""
    try:
        data = store.get_json(f"{Checkpoints(store, run_id).prefix}trace.json")
    except AiwfError:
        return None
    return RunTrace.from_dict(data) if isinstance(data, dict) else None


async def _show(client: Client, handle: WorkflowHandle[Any, Any], observer: Any) -> bool:
    """Give the observer the run's progress; whether a worker answered."""
    try:
        data = await asyncio.wait_for(handle.query(PROGRESS_QUERY), QUERY_TIMEOUT)
    except Exception:
        return False
    if not isinstance(data, dict) or not data:
        return False
    for step, child in dict(data.get("children") or {}).items():
        with contextlib.suppress(Exception):
            counts = await asyncio.wait_for(
                client.get_workflow_handle(child).query(PROGRESS_QUERY), QUERY_TIMEOUT
            )
            for span in data.get("steps", []):
                if span.get("step") == step and isinstance(counts, dict):
                    span.update({k: v for k, v in counts.items() if isinstance(v, int)})
    if observer is not None:
        observer.update(RunTrace.from_dict(data))
    return True


async def _result(handle: WorkflowHandle[Any, RunOutcome]) -> RunOutcome:
    """The run's outcome; waits out a Temporal server that is away for a while (restarted,
    failing over) instead of giving up on a run that goes on."""
    from temporalio.service import RPCError, RPCStatusCode

    away_since: float | None = None
    while True:
        try:
            return await handle.result()
        except RPCError as exc:
            if exc.status not in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                raise
            away_since = away_since or time.monotonic()
            if time.monotonic() - away_since > SERVER_AWAY:
                raise AiwfError(
                    f"lost Temporal for {SERVER_AWAY:g}s while following run {handle.id}: "
                    f"{_first_line(exc)}",
                    code=UNREACHABLE,
                    hint=f"the run goes on on Temporal; aiwf runs show {handle.id}",
                ) from None
            await asyncio.sleep(0.5)


def run_failure(err: Any, run_id: str) -> AiwfError:
    """The error a failed (or cancelled, terminated) workflow stands for."""
    from temporalio.exceptions import (
        ApplicationError,
        CancelledError,
        TerminatedError,
        TimeoutError,
    )

    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == "RunFailed":
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        step, index = details.get("step"), details.get("index")
        failed = StepFailed if isinstance(step, str) else RunFailed
        return failed(
            cause.message,
            run_id=run_id,
            step=step if isinstance(step, str) else None,
            index=index if isinstance(index, int) else None,
            code=str(details.get("code") or "E500"),
            hint=details.get("hint") if isinstance(details.get("hint"), str) else None,
        )
    if isinstance(cause, CancelledError):
        return AiwfError(f"run {run_id} was cancelled", code=RUN_ENDED)
    if isinstance(cause, TerminatedError):
        return AiwfError(f"run {run_id} was terminated on Temporal", code=RUN_ENDED)
    if isinstance(cause, TimeoutError):
        return AiwfError(f"run {run_id} timed out on Temporal", code=RUN_ENDED)
    return AiwfError(f"run {run_id} failed on Temporal: {_first_line(cause or err)}", code="E500")


# -- runs on Temporal, for aiwf runs ---------------------------------------------------------


def settings_for(manifest: Mapping[str, Any], settings: TemporalSettings) -> TemporalSettings:
    """The settings that reach the Temporal a run was started on (its manifest names the
    address and namespace; credentials come from ``settings``)."""
    recorded = manifest.get("temporal")
    if not isinstance(recorded, dict):
        return settings
    return dataclasses.replace(
        settings,
        address=str(recorded.get("address") or settings.address),
        namespace=str(recorded.get("namespace") or settings.namespace),
        task_queue=str(recorded.get("task_queue") or settings.task_queue),
    )


async def _execution_status(client: Client, run_id: str) -> str | None:
    from temporalio.service import RPCError

    try:
        description = await client.get_workflow_handle(run_id).describe()
    except RPCError:
        return None
    status = description.status
    return _STATUSES.get(status.name, status.name.lower()) if status is not None else None


async def refresh(runs: list[RunInfo], settings: TemporalSettings, store: ArtifactStore) -> None:
    """Ask Temporal for the status of the runs the store records as running on it (a run
    terminated from Temporal's own tools never wrote its end); unreachable: left as is."""
    clients: dict[tuple[str, str], Client | None] = {}
    for run in runs:
        if run.engine != "temporal" or run.status != "running":
            continue
        own = settings_for(run.manifest, settings)
        key = (own.address, own.namespace)
        if key not in clients:
            try:
                clients[key] = await connect(own, store, timeout=LOOKUP_TIMEOUT)
            except AiwfError:
                clients[key] = None
        client = clients[key]
        if client is None:
            continue
        status = await _execution_status(client, run.run_id)
        if status is not None:
            run.status = status


async def live_trace(
    manifest: Mapping[str, Any], settings: TemporalSettings, store: ArtifactStore
) -> dict[str, Any] | None:
    """The trace of a running Temporal run, from its workflow; ``None`` when unreachable."""
    try:
        client = await connect(settings_for(manifest, settings), store, timeout=LOOKUP_TIMEOUT)
        handle = client.get_workflow_handle(str(manifest.get("run_id")))
        data = await asyncio.wait_for(handle.query(TRACE_QUERY), QUERY_TIMEOUT * 2)
    except Exception:
        return None
    return data if isinstance(data, dict) and data else None


async def follow_run(
    manifest: Mapping[str, Any],
    settings: TemporalSettings,
    store: ArtifactStore,
    *,
    observer: Any = None,
    notify: Callable[[str], None] | None = None,
) -> RunResult:
    """Follow the Temporal run of ``manifest`` to its end (``aiwf runs show --follow``)."""
    own = settings_for(manifest, settings)
    client = await connect(own, store)
    return await follow(
        client, own, str(manifest.get("run_id")), observer=observer, notify=notify, store=store
    )


async def cancel(
    manifest: Mapping[str, Any], settings: TemporalSettings, store: ArtifactStore, *, wait: float
) -> str:
    """Cancel a Temporal run (its calls in flight are cancelled too) and wait up to
    ``wait`` seconds for it to end; the status it ended with (or ``cancelling``)."""
    from temporalio.service import RPCError

    run_id = str(manifest.get("run_id"))
    client = await connect(settings_for(manifest, settings), store)
    handle = client.get_workflow_handle(run_id)
    try:
        await handle.cancel()
    except RPCError as exc:
        raise AiwfError(
            f"Temporal refused to cancel run {run_id}: {_first_line(exc)}", code=UNREACHABLE
        ) from None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        status = await _execution_status(client, run_id)
        if status not in (None, "running"):
            return status
        await asyncio.sleep(0.2)
    return "cancelling"
