"""Runs survive what production throws: a worker SIGKILLed mid-scatter (another worker
finishes the run and no call that had finished is made again), and the Temporal server
restarted on its SQLite file mid-run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from engine_support import compile_text
from temporal_support import DevServer, FakeProvider, settings, worker

from aiwf.engine._checkpoints import Checkpoints
from aiwf.engine.temporal import TemporalEngine
from aiwf.stores import ArtifactStore

AIWF = str(Path(sys.executable).with_name("aiwf"))

SPEC = """
aiwf: 1
name: failover
models:
  m:
    provider: openai-compatible
    base_url: "{base_url}"
    model: test
    api_key_env: FAKE_KEY
    retry: {{max_attempts: 1, repair_attempts: 0}}
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
assistants:
  inc: {{model: m, instructions: inc, input: Num, output: Num}}
  total: {{model: m, instructions: total, input: {{type: array, items: {{$ref: "#/schemas/Num"}}}}, output: Num}}
workflows:
  wide:
    input: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
    steps:
      - {{id: each, assistant: inc, scatter: "${{input.items}}", input: "${{item}}", concurrency: {concurrency}}}
      - {{id: reduce, assistant: total, input: "${{prev.output}}"}}
    output: {{each: "${{steps.each.output}}", total: "${{steps.reduce.output.n}}"}}
"""


def answer(call: dict[str, Any]) -> Any:
    if call["system"] == "total":
        return {"n": sum(v["n"] for v in call["input"])}
    return {"n": call["input"]["n"] + 1}


def checkpointed(store: ArtifactStore, run_id: str) -> set[int]:
    """The scatter items whose answers are in the store."""
    return set(Checkpoints(store, run_id).load_items("each"))


def calls_per_item(provider: FakeProvider) -> Counter[int]:
    return Counter(
        c["input"]["n"] for c in provider.ended("completed") if isinstance(c["input"], dict)
    )


class WorkerProcess:
    """``aiwf worker`` in its own process, with its own provider key."""

    def __init__(self, address: str, queue: str, store: str, config: Path, key: str) -> None:
        self.ready = threading.Event()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [AIWF, "worker", "--temporal", address, "--task-queue", queue,
             "--artifacts", store, "--config", str(config)],
            env={**os.environ, "FAKE_KEY": key},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "worker polling" in line:
                self.ready.set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_worker_killed_mid_scatter_loses_no_finished_call(
    dev_server: DevServer, queue: str, store: ArtifactStore, tmp_path: Path
) -> None:
    provider = FakeProvider(answer, latency=0.25)
    config_file = tmp_path / "aiwf.toml"
    config_file.write_text("[engine]\nsticky_timeout = 1\n", encoding="utf-8")
    items = [{"n": 100 * i} for i in range(1, 49)]
    program = compile_text(tmp_path, SPEC.format(base_url=provider.base_url, concurrency=6))
    config = settings(dev_server, queue, heartbeat_timeout=1.5)
    engine = TemporalEngine(program, config, store)
    a = WorkerProcess(dev_server.address, queue, store.url, config_file, "worker-a")
    b: WorkerProcess | None = None
    try:
        assert await asyncio.to_thread(a.ready.wait, 60), a.lines
        # Worker a takes the run (its workflow stays cached there) and its first calls,
        # held until worker b polls too.
        provider.hold()
        run_id = await engine.start("wide", {"items": items})
        await until(lambda: provider.in_flight("worker-a") >= 1, 30, "calls on worker a")
        b = WorkerProcess(dev_server.address, queue, store.url, config_file, "worker-b")
        assert await asyncio.to_thread(b.ready.wait, 60), b.lines
        provider.release()

        def midway() -> bool:
            # Some answers checkpointed, and worker a waiting on calls of its own.
            return len(checkpointed(store, run_id)) >= 3 and provider.in_flight("worker-a") >= 1

        await until(midway, 30, "answers in the store and calls in flight on worker a")
        os.kill(a.process.pid, signal.SIGKILL)
        a.process.wait()
        finished_before = checkpointed(store, run_id)
        result = await asyncio.wait_for(engine.follow(run_id), 90)
    finally:
        a.stop()
        if b is not None:
            b.stop()
        provider.close()

    assert result.output["each"] == [{"n": v["n"] + 1} for v in items]
    assert result.output["total"] == sum(v["n"] + 1 for v in items)
    counts = calls_per_item(provider)
    # No call that had finished (its answer checkpointed) before the kill was made again.
    assert finished_before
    assert [i for i in finished_before if counts[items[i]["n"]] != 1] == []
    # The killed worker's calls in flight were cut off, and the other worker made them.
    aborted = [c for c in provider.ended("aborted") if c["key"] == "worker-a"]
    assert aborted
    by_b = {
        c["input"]["n"]
        for c in provider.ended("completed")
        if c["key"] == "worker-b" and isinstance(c["input"], dict)
    }
    assert {c["input"]["n"] for c in aborted} <= by_b
    assert result.trace.totals()["calls"] == len(items) + 1
    assert all(item.status == "ok" for item in result.trace.steps["each"].items)


async def test_the_server_restarted_on_its_database_mid_run(
    queue: str, store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    server = DevServer(tmp_path / "restart.db")
    server.start()
    provider = FakeProvider(answer, latency=0.15)
    items = [{"n": 10 * i} for i in range(1, 31)]
    program = compile_text(tmp_path, SPEC.format(base_url=provider.base_url, concurrency=4))
    config = settings(server, queue)
    engine = TemporalEngine(program, config, store)
    try:
        async with worker(config, store):
            run_id = await engine.start("wide", {"items": items})
            await until(lambda: len(checkpointed(store, run_id)) >= 6, 30, "the first answers")
            await asyncio.to_thread(server.stop)
            finished_before = checkpointed(store, run_id)
            assert len(finished_before) < len(items)
            await asyncio.to_thread(server.start)  # the same port, the same SQLite file
            result = await asyncio.wait_for(engine.follow(run_id), 90)
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        provider.close()
    assert result.output["each"] == [{"n": v["n"] + 1} for v in items]
    assert result.output["total"] == sum(v["n"] + 1 for v in items)
    counts = calls_per_item(provider)
    assert [i for i in finished_before if counts[items[i]["n"]] != 1] == []
    assert store.get_json(f"runs/{run_id}/manifest.json")["status"] == "succeeded"
