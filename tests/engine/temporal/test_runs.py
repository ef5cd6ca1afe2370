"""``aiwf runs ls|show`` on both engines, and the ``stale`` state of a local run that died
without a word."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_support import compile_text
from temporal_support import DevServer, FakeProvider, settings, worker

from aiwf._cli import cli
from aiwf.engine import RunFailed
from aiwf.engine._checkpoints import Checkpoints
from aiwf.engine.temporal import TemporalEngine
from aiwf.stores import ArtifactStore

AIWF = str(Path(sys.executable).with_name("aiwf"))

SPEC = """
aiwf: 1
name: seen
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
workflows:
  wide:
    input: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
    steps:
      - {{id: each, assistant: inc, scatter: "${{input.items}}", input: "${{item}}", concurrency: 2}}
    output: "${{steps.each.output}}"
"""


def answer(call: dict[str, Any]) -> Any:
    n = call["input"]["n"]
    return (400, f"cannot do {n}", {}) if n == 13 else {"n": n + 1}


async def invoke(*args: str) -> Any:
    """The CLI, in a thread (it runs an event loop of its own)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def runs(*args: str) -> Any:
    result = await invoke("runs", *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


async def test_runs_ls_and_show_on_both_engines_and_a_stale_run(
    dev_server: DevServer,
    queue: str,
    store: ArtifactStore,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    monkeypatch.chdir(tmp_path)
    provider = FakeProvider(answer)
    spec = tmp_path / "spec.aiwf.yaml"
    spec.write_text(SPEC.format(base_url=provider.base_url), encoding="utf-8")
    program = compile_text(tmp_path, SPEC.format(base_url=provider.base_url))
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"items": [{"n": 1}, {"n": 2}]}), encoding="utf-8")
    bad.write_text(json.dumps({"items": [{"n": 1}, {"n": 13}]}), encoding="utf-8")
    url = store.url
    try:
        # A local run that succeeds, one that fails, and one on Temporal.
        ok = await invoke("run", str(spec), "-i", str(good), "--artifacts", url)
        assert ok.exit_code == 0, ok.output
        failed = await invoke("run", str(spec), "-i", str(bad), "--artifacts", url)
        assert failed.exit_code == 1
        config = settings(dev_server, queue)
        async with worker(config, store):
            remote = await TemporalEngine(program, config, store).run("wide", {"items": [{"n": 5}]})
        # A local run SIGKILLed while its calls wait: it never says it ended.
        provider.hold()
        process = subprocess.Popen(
            [AIWF, "run", str(spec), "-i", str(good), "--artifacts", url, "-v"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert process.stderr is not None
        first = process.stderr.readline()  # with -v the run id comes first, before any call
        assert first.startswith("run "), first
        assert ": started" in first, first
        killed_id = first.split()[1].rstrip(":")
        deadline = time.monotonic() + 30
        while provider.in_flight() < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        provider.release()

        listed = json.loads((await runs("ls", "--artifacts", url, "--format", "json")).stdout)
        by_id = {r["run_id"]: r for r in listed}
        assert by_id[killed_id]["status"] == "stale"
        assert by_id[remote.run_id]["status"] == "succeeded"
        assert by_id[remote.run_id]["engine"] == "temporal"
        assert sorted((r["engine"], r["status"]) for r in listed) == [
            ("local", "failed"), ("local", "stale"), ("local", "succeeded"),
            ("temporal", "succeeded"),
        ]  # fmt: skip
        started = [r["created"] for r in listed]
        assert started == sorted(started, reverse=True)  # newest first
        succeeded = next(r for r in listed if r["engine"] == "local" and r["status"] == "succeeded")
        assert (succeeded["calls"], succeeded["tokens"]) == (2, 20)
        table = (await runs("ls", "--artifacts", url)).stdout.splitlines()
        assert table[0].split() == [
            "RUN", "WORKFLOW", "ENGINE", "STATUS", "STARTED", "DURATION", "CALLS", "TOKENS",
        ]  # fmt: skip
        assert len(table) == 5
        only = json.loads(
            (await runs("ls", "--artifacts", url, "--status", "stale", "--format", "json")).stdout
        )
        assert [r["run_id"] for r in only] == [killed_id]
        only = json.loads(
            (
                await runs("ls", "--artifacts", url, "--engine", "temporal", "--format", "json")
            ).stdout
        )
        assert [r["run_id"] for r in only] == [remote.run_id]

        shown = (await runs("show", killed_id, "--artifacts", url)).stdout
        assert "status    stale" in shown
        line = next(x for x in shown.splitlines() if x.strip().startswith("resume"))
        command = shlex.split(line.split("resume", 1)[1])
        assert command[:5] == ["aiwf", "run", str(spec), "-w", "wide"]
        assert command[command.index("--artifacts") + 1] == url
        assert command[command.index("--resume") + 1] == killed_id
        failed_id = next(r["run_id"] for r in listed if r["status"] == "failed")
        shown = (await runs("show", failed_id, "--artifacts", url)).stdout
        assert "error     step each item 1 failed: [R003]" in shown
        assert "item 1: failed" in shown
        assert "cannot do 13" in shown
        shown = (await runs("show", remote.run_id, "--artifacts", url)).stdout
        assert f"engine    temporal ({dev_server.address}, namespace default" in shown
        assert "resume" not in shown  # nothing to resume

        # The stale run resumes with the command shown; its calls are all made again
        # (none had answered), once.
        before = len(provider.ended("completed"))
        resumed = await invoke(*command[1:])
        assert resumed.exit_code == 0, resumed.output
        assert json.loads(resumed.stdout) == [{"n": 2}, {"n": 3}]
        assert len(provider.ended("completed")) == before + 2
        again = json.loads((await runs("ls", "--artifacts", url, "--format", "json")).stdout)
        assert {r["run_id"]: r["status"] for r in again}[killed_id] == "succeeded"
    finally:
        provider.close()


async def test_a_temporal_run_resumes_after_its_route_is_fixed(
    dev_server: DevServer, queue: str, store: ArtifactStore, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    provider = FakeProvider(answer)
    broken = compile_text(tmp_path, SPEC.format(base_url="http://127.0.0.1:9/v1"), "a.aiwf.yaml")
    fixed = compile_text(tmp_path, SPEC.format(base_url=provider.base_url), "b.aiwf.yaml")
    config = settings(dev_server, queue)
    notes: list[str] = []
    try:
        async with worker(config, store):
            engine = TemporalEngine(broken, config, store)
            run_id = await engine.start("wide", {"items": [{"n": 1}, {"n": 2}]})
            with pytest.raises(RunFailed, match="connection failed"):
                await engine.follow(run_id)
            again = TemporalEngine(fixed, config, store, notify=notes.append)
            result = await again.resume(run_id)
    finally:
        provider.close()
    assert result.output == [{"n": 2}, {"n": 3}]
    assert notes == [
        f"resuming run {run_id} with changed route settings: "
        f"m.base_url (http://127.0.0.1:9/v1 -> {provider.base_url})"
    ]
    assert store.get_json(f"runs/{run_id}/manifest.json")["status"] == "succeeded"


async def test_aiwf_run_on_temporal_follows_detaches_fails_and_resumes(
    dev_server: DevServer, queue: str, store: ArtifactStore, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    monkeypatch.chdir(tmp_path)
    provider = FakeProvider(answer)
    spec = tmp_path / "spec.aiwf.yaml"
    spec.write_text(SPEC.format(base_url=provider.base_url), encoding="utf-8")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"items": [{"n": 1}, {"n": 2}]}), encoding="utf-8")
    bad.write_text(json.dumps({"items": [{"n": 1}, {"n": 13}]}), encoding="utf-8")
    where = ["--temporal", dev_server.address, "--task-queue", queue]
    common = ["--engine", "temporal", *where, "--artifacts", store.url]
    try:
        async with worker(settings(dev_server, queue), store):
            ran = await invoke("run", str(spec), "-i", str(good), *common)
            assert ran.exit_code == 0, (ran.output, ran.exception)
            assert json.loads(ran.stdout) == [{"n": 2}, {"n": 3}]
            assert "succeeded" in ran.stderr
            assert "each                 ok" in ran.stderr  # the same trace as a local run

            detached = await invoke("run", str(spec), "-i", str(good), *common, "--detach")
            assert detached.exit_code == 0, detached.output
            run_id = detached.stdout.strip()
            assert f"follow it with: aiwf runs show -f {run_id}" in detached.stderr
            shown = await runs("show", run_id, "--follow", "--artifacts", store.url, *where)
            assert "status    succeeded" in shown.stdout

            failed = await invoke("run", str(spec), "-i", str(bad), *common)
            assert failed.exit_code == 1
            line = failed.exception.message  # type: ignore[union-attr]
            assert line.startswith("step each item 1 failed: [R003]")
            assert "cannot do 13" in line
            command = shlex.split(line.split("resume with: ", 1)[1])
            assert command[command.index("--engine") + 1] == "temporal"
            assert command[command.index("--temporal") + 1] == dev_server.address
            assert command[command.index("--task-queue") + 1] == queue
            provider.answer = lambda call: {"n": call["input"]["n"] + 1}
            failed_id = command[command.index("--resume") + 1]
            found = Checkpoints(store, failed_id).load_items("each")
            answered = {output["n"] - 1 for output, skipped in found.values() if not skipped}
            before = [c["input"] for c in provider.ended("completed")]
            resumed = await invoke(*command[1:])
            assert resumed.exit_code == 0, (resumed.output, resumed.exception)
            assert json.loads(resumed.stdout) == [{"n": 2}, {"n": 14}]
            after = [c["input"] for c in provider.ended("completed")][len(before) :]
            # What had answered is not asked again; the rest is, once.
            assert sorted(v["n"] for v in after) == sorted({1, 13} - answered)
    finally:
        provider.close()
