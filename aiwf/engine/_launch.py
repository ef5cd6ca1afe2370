"""Opening a run: the one place that wires an engine for a run the way ``aiwf run`` makes
it, on the local engine or on Temporal.

:func:`open_run` takes the compiled program and the artifact store and returns an
:class:`OpenedRun`: the local engine over the runtime's router (the real providers, API
keys checked before the run starts, ``record`` writing a replay file), or the Temporal
client engine (workers hold the keys and make the calls). The caller decides what to run
(a new run, a resume, a detached start) and shows the outcome; the run's stored state
(manifest, trace) is read through :class:`~aiwf.engine._checkpoints.Checkpoints`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf.engine._checkpoints import Checkpoints

if TYPE_CHECKING:
    from aiwf._ir.model import Program
    from aiwf.engine._engine import Engine, RunObserver, RunResult
    from aiwf.engine._replay import Recorder
    from aiwf.engine.temporal._client import TemporalEngine
    from aiwf.engine.temporal._settings import TemporalSettings
    from aiwf.stores import ArtifactStore

#: The engines a run can run on.
ENGINES = ("local", "temporal")


@dataclass
class OpenedRun:
    """One run (new or resumed) wired to its engine; :meth:`close` when done."""

    #: ``local`` or ``temporal``.
    engine: str
    run_id: str
    store: ArtifactStore
    runner: Engine | TemporalEngine
    recorder: Recorder | None = None
    #: The Temporal address, namespace and task queue (for the resume command line).
    temporal: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoints(self) -> Checkpoints:
        """The run's state in the artifact store."""
        return Checkpoints(self.store, self.run_id)

    async def run(
        self, workflow: str, input: Any, *, context: Mapping[str, Any] | None = None
    ) -> RunResult:
        """Run ``workflow`` on ``input`` under this run's id, following it to its end."""
        return await self.runner.run(workflow, input, run_id=self.run_id, context=context)

    async def resume(
        self, *, input: Any = None, context: Mapping[str, Any] | None = None
    ) -> RunResult:
        """Continue this run from its checkpoints, following it to its end."""
        return await self.runner.resume(self.run_id, input=input, context=context)

    async def start(
        self, workflow: str, input: Any, *, context: Mapping[str, Any] | None = None
    ) -> str:
        """Temporal: start the run and return at once (the workers go on without us)."""
        return await self._temporal().start(workflow, input, run_id=self.run_id, context=context)

    async def resume_start(
        self, *, input: Any = None, context: Mapping[str, Any] | None = None
    ) -> str:
        """Temporal: continue the run from its checkpoints and return at once."""
        return await self._temporal().resume_start(self.run_id, input=input, context=context)

    def _temporal(self) -> TemporalEngine:
        from aiwf.engine.temporal._client import TemporalEngine

        if not isinstance(self.runner, TemporalEngine):
            raise AiwfError(
                "only a run on Temporal can be started without following it",
                hint="add --engine temporal",
                exit_code=2,
            )
        return self.runner

    def close(self) -> None:
        """Close the replay file and the store."""
        if self.recorder is not None:
            self.recorder.close()
        self.store.close()


def stored_engine(store: ArtifactStore, run_id: str) -> str | None:
    """The engine a stored run ran on (a resume continues there unless told otherwise)."""
    engine = Checkpoints(store, run_id).peek_manifest().get("engine")
    return engine if engine in ENGINES else None


def open_run(
    program: Program,
    store: ArtifactStore,
    *,
    engine: str = "local",
    run_id: str | None = None,
    workflow: str | None = None,
    record: Path | None = None,
    record_input: Any = None,
    max_concurrency: int | None = None,
    observer: RunObserver | None = None,
    notify: Callable[[str], None] | None = None,
    temporal: TemporalSettings | None = None,
) -> OpenedRun:
    """Wire a run of ``program`` with checkpoints in ``store``.

    Args:
        engine: ``local`` (this process makes the calls) or ``temporal`` (``temporal``
            names the connection; aiwf workers make the calls).
        run_id: the run's id (a resumed run's, or a new one when None).
        workflow: the workflow a new run runs; its routes' API keys are checked now on the
            local engine, so a run that cannot succeed does not start.
        record: local engine: also write every model exchange to this replay file (its
            header names ``workflow`` and ``record_input`` for ``aiwf dry-run --replay``).
        max_concurrency: model calls in flight at once across the run.
        observer: told about steps and items as they finish (a progress display).
        notify: told, as one line, what a user should know as the run starts.

    Raises:
        AiwfError: an unknown engine, ``record`` on Temporal, a missing API key (``R008``).
    """
    from aiwf.engine._engine import DEFAULT_MAX_CONCURRENCY, new_run_id

    if engine not in ENGINES:
        raise AiwfError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})", exit_code=2)
    run_id = run_id or new_run_id()
    limit = max_concurrency or DEFAULT_MAX_CONCURRENCY
    if engine == "temporal":
        from aiwf.engine.temporal import TemporalEngine

        if record is not None:
            raise AiwfError("--record works with the local engine only", exit_code=2)
        if temporal is None:
            raise AiwfError("a run on Temporal needs its connection settings", exit_code=2)
        runner = TemporalEngine(
            program, temporal, store, max_concurrency=limit, observer=observer, notify=notify
        )
        return OpenedRun("temporal", run_id, store, runner, temporal=temporal.public())

    from aiwf.engine._clients import RouterClient, check_api_keys
    from aiwf.engine._engine import Engine
    from aiwf.runtime._client import Runtime
    from aiwf.runtime._router import Router

    if workflow is not None:
        check_api_keys(program, workflow)
    client: Any = RouterClient(Router(program.models, Runtime()))
    recorder = None
    if record is not None:
        from aiwf.engine._replay import Recorder

        header: dict[str, Any] = {"spec": program.name, "digest": program.digest()}
        if workflow is not None:  # a replay without --input reuses the recorded one
            header.update(workflow=workflow, input=record_input)
        recorder = client = Recorder(client, record, header=header)
    local = Engine(
        program, client, max_concurrency=limit, store=store, observer=observer, notify=notify
    )
    return OpenedRun("local", run_id, store, local, recorder)


__all__ = ["ENGINES", "OpenedRun", "open_run", "stored_engine"]
