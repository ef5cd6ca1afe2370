"""Scatter items go to a per-step journal committed in groups: a SIGKILLed run loses no
finished item, a torn journal line is ignored, runs made with one file per item still
resume, and the number of files or objects grows with items / batch size, not items."""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_support import ModelServer, ScriptedModel, compile_text

from aiwf.engine import Checkpoints, Engine, RouterClient, RunFailed
from aiwf.runtime import Router, Runtime
from aiwf.stores import ArtifactStore, open_store
from aiwf.stores._base import BatchJournal, encode_record

HERE = Path(__file__).parent

SPEC = """
aiwf: 1
name: t
models:
  m:
    provider: openai-compatible
    base_url: "{base_url}"
    model: test
    retry: {{max_attempts: 1, repair_attempts: 0}}
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
  Nums: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
assistants:
  inc: {{model: m, instructions: inc, input: Num, output: Num}}
  total: {{model: m, instructions: total, input: {{type: array, items: {{$ref: "#/schemas/Num"}}}}, output: Num}}
workflows:
  wide:
    input: Nums
    steps:
      - id: each
        assistant: inc
        scatter: ${{input.items}}
        input: ${{item}}
        concurrency: {concurrency}
      - {{id: reduce, assistant: total, input: "${{prev.output}}"}}
    output: {{each: "${{steps.each.output}}", total: "${{steps.reduce.output.n}}"}}
"""

Start = Callable[[Callable[[str, Any], Any]], ModelServer]


def answer_with(
    delay: list[float] | None = None, broken: set[int] | None = None
) -> Callable[[str, Any], Any]:
    def answer(system: str, value: Any) -> Any:
        if system == "total":
            return {"n": sum(v["n"] for v in value)}
        if broken and value["n"] in broken:
            return (400, f"cannot do {value['n']}")
        if delay and delay[0]:
            time.sleep(delay[0])  # the server answers one request at a time: a steady pace
        return {"n": value["n"] + 1}

    return answer


def engine_for(program: Any, store: ArtifactStore) -> Engine:
    return Engine(program, RouterClient(Router(program.models, Runtime())), store=store)


def inc_calls(server: ModelServer, start: int = 0) -> list[int]:
    return [c.input["n"] for c in server.calls[start:] if isinstance(c.input, dict)]


def finished_items(store: ArtifactStore, run_id: str) -> set[int]:
    return {out["n"] - 1 for out, _ in Checkpoints(store, run_id).load_items("each").values()}


async def test_a_sigkilled_run_loses_no_finished_item(tmp_path: Path, model_server: Start) -> None:
    delay = [0.002]
    server = model_server(answer_with(delay=delay))
    spec = tmp_path / "spec.aiwf.yaml"
    spec.write_text(SPEC.format(base_url=server.base_url, concurrency=8), encoding="utf-8")
    store_dir = tmp_path / "store"
    items = [{"n": i} for i in range(1000)]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "run_proc.py"), str(spec), str(store_dir), "k1", "wide",
         json.dumps({"items": items})],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    reported: set[int] = set()
    for line in proc.stdout:
        assert line.startswith("done "), line
        reported.add(int(line.split()[1]))
        if len(reported) >= 150:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    store = open_store(str(store_dir))
    manifest = store.get_json("runs/k1/manifest.json")
    assert manifest["status"] == "running"  # it never got to say otherwise
    survived = finished_items(store, "k1")
    # Every item the run reported finished is in the journal, committed or not.
    assert reported <= survived
    assert len(survived) < len(items)

    program = compile_text(tmp_path, spec.read_text(encoding="utf-8"), "again.aiwf.yaml")
    # Requests the killed process had sent may still sit in the server's sockets: let the
    # server answer them before counting the calls of the resume.
    before = -1
    while before != len(server.calls):
        before = len(server.calls)
        time.sleep(0.3)
    delay[0] = 0.0
    result = await engine_for(program, store).resume("k1")
    assert result.output["each"] == [{"n": i + 1} for i in range(len(items))]
    again = inc_calls(server, before)
    assert not set(again) & survived  # nothing checkpointed is called again
    assert sorted(again) == sorted(set(range(len(items))) - survived)
    assert result.trace.totals()["items_resumed"] == len(survived)
    assert store.get_json("runs/k1/manifest.json")["status"] == "succeeded"
    # The two processes wrote one journal segment each, and no file per item.
    assert len(list(store.list("runs/k1/steps/each/journal/"))) == 2
    assert list(store.list("runs/k1/steps/each/items/")) == []


def test_a_sigkilled_aiwf_run_resumes_with_resume(tmp_path: Path, model_server: Start) -> None:
    """The same as a user runs it: `aiwf run` killed with SIGKILL mid-scatter, then
    `aiwf run --resume`: what the journal held before the kill is not called again."""
    from click.testing import CliRunner

    from aiwf._cli import cli

    delay = [0.002]
    server = model_server(answer_with(delay=delay))
    spec = tmp_path / "spec.aiwf.yaml"
    spec.write_text(SPEC.format(base_url=server.base_url, concurrency=8), encoding="utf-8")
    data = tmp_path / "input.json"
    items = [{"n": i} for i in range(1000)]
    data.write_text(json.dumps({"items": items}), encoding="utf-8")
    store_url = (tmp_path / "store").as_uri()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiwf", "run", str(spec), "-w", "wide", "--input", str(data),
         "--artifacts", store_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )  # fmt: skip
    store = open_store(store_url)
    seen: set[int] = set()
    run_id = ""
    try:
        for _ in range(3000):  # a minute at most on a busy machine
            time.sleep(0.02)
            runs = [info.key for info in store.list("index/runs/")]
            if runs:
                run_id = runs[0].rsplit("/", 1)[1].removesuffix(".json")
                seen = finished_items(store, run_id)
                if len(seen) >= 100:
                    break
            assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(seen) >= 100
    survived = finished_items(store, run_id)
    assert seen <= survived < set(range(len(items)))
    before = -1
    while before != len(server.calls):  # answer what the killed run had sent
        before = len(server.calls)
        time.sleep(0.3)
    delay[0] = 0.0
    resumed = CliRunner().invoke(
        cli, ["run", str(spec), "-w", "wide", "--artifacts", store_url, "--resume", run_id]
    )
    assert resumed.exit_code == 0, (resumed.output, resumed.exception)
    output = json.loads(resumed.stdout)
    assert output["each"] == [{"n": i + 1} for i in range(len(items))]
    again = inc_calls(server, before)
    assert sorted(again) == sorted(set(range(len(items))) - survived)


async def failed_run(
    tmp_path: Path, model_server: Start, store: ArtifactStore, n: int = 12
) -> tuple[Any, ModelServer, set[int], list[dict[str, int]]]:
    """A run of ``n`` items that fails at item 5 (concurrency 1: items 0-4 finished)."""
    broken = {5}
    server = model_server(answer_with(broken=broken))
    program = compile_text(tmp_path, SPEC.format(base_url=server.base_url, concurrency=1))
    items = [{"n": i} for i in range(n)]
    with pytest.raises(RunFailed):
        await engine_for(program, store).run("wide", {"items": items}, run_id="r")
    broken.clear()
    return program, server, broken, items


async def test_a_run_with_one_file_per_item_still_resumes(
    tmp_path: Path, model_server: Start
) -> None:
    store = open_store(str(tmp_path / "store"))
    program, server, _, items = await failed_run(tmp_path, model_server, store)
    checkpoints = Checkpoints(store, "r")
    done = checkpoints.load_items("each")
    assert sorted(done) == [0, 1, 2, 3, 4]
    # Rewrite the run as aiwf wrote it before journals: one file per item, no journal.
    for info in list(store.list("runs/r/steps/each/journal/")):
        store.delete(info.key)
    for index, (output, skipped) in done.items():
        store.put_json(
            f"runs/r/steps/each/items/{index}.json",
            {"output": output, "skipped": skipped},
            ttl=3600,
            metadata={"run_id": "r"},
        )
    assert checkpoints.load_items("each") == done
    before = len(server.calls)
    result = await engine_for(program, store).resume("r")
    assert result.output["each"] == [{"n": i + 1} for i in range(len(items))]
    assert sorted(inc_calls(server, before)) == list(range(5, len(items)))


async def test_a_torn_journal_line_is_ignored_on_resume(
    tmp_path: Path, model_server: Start
) -> None:
    store = open_store(str(tmp_path / "store"))
    program, server, _, items = await failed_run(tmp_path, model_server, store)
    (segment,) = store.list("runs/r/steps/each/journal/")
    path = store._path(segment.key)  # type: ignore[attr-defined]
    with open(path, "ab") as fh:
        # A record with a damaged CRC, then one cut short by a kill mid-write.
        fh.write(b"00000000 " + json.dumps({"i": 6, "output": {"n": 7}}).encode() + b"\n")
        fh.write(encode_record(json.dumps({"i": 7, "output": {"n": 8}}).encode())[:20])
    assert sorted(Checkpoints(store, "r").load_items("each")) == [0, 1, 2, 3, 4]
    before = len(server.calls)
    result = await engine_for(program, store).resume("r")
    assert result.output["each"] == [{"n": i + 1} for i in range(len(items))]
    assert sorted(inc_calls(server, before)) == list(range(5, len(items)))


def run_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


async def test_file_count_does_not_grow_with_items(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SPEC.format(base_url="http://127.0.0.1:9/v1", concurrency=16))
    counts = []
    for n in (3, 400):
        model = ScriptedModel(
            lambda r: {"n": r.input["n"] + 1} if isinstance(r.input, dict) else {"n": 0}
        )
        store = open_store(str(tmp_path / f"s{n}"))
        result = await Engine(program, model, store=store).run(
            "wide", {"items": [{"n": i} for i in range(n)]}, run_id="c"
        )
        assert len(result.output["each"]) == n
        assert len(Checkpoints(store, "c").load_items("each")) == n
        counts.append(run_files(tmp_path / f"s{n}"))
    assert counts[0] == counts[1]


def plus_one(request: Any) -> Any:
    return {"n": request.input["n"] + 1} if isinstance(request.input, dict) else {"n": 0}


async def test_s3_objects_grow_with_items_over_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_store: ArtifactStore
) -> None:
    monkeypatch.setattr(BatchJournal, "commit_records", 25)
    monkeypatch.setattr(BatchJournal, "commit_seconds", 60.0)
    program = compile_text(tmp_path, SPEC.format(base_url="http://127.0.0.1:9/v1", concurrency=16))
    n = 400
    result = await Engine(program, ScriptedModel(plus_one), store=s3_store).run(
        "wide", {"items": [{"n": i} for i in range(n)]}, run_id="s"
    )
    assert len(result.output["each"]) == n
    assert len(Checkpoints(s3_store, "s").load_items("each")) == n
    objects = len(list(s3_store.list("runs/s/steps/each/journal/")))
    # One object per commit of up to ~25 items (a commit that waited for the one before it
    # takes more): never one per item.
    assert 1 <= objects <= math.ceil(n / 25)


async def test_items_are_committed_after_the_interval_while_the_step_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_store: ArtifactStore
) -> None:
    monkeypatch.setattr(BatchJournal, "commit_records", 1000)
    monkeypatch.setattr(BatchJournal, "commit_seconds", 0.05)
    program = compile_text(tmp_path, SPEC.format(base_url="http://127.0.0.1:9/v1", concurrency=4))
    model = ScriptedModel(plus_one)
    model.gate = asyncio.Event()
    model.held = lambda call: call.index is not None and call.index >= 3
    task = asyncio.ensure_future(
        Engine(program, model, store=s3_store).run(
            "wide", {"items": [{"n": i} for i in range(8)]}, run_id="t"
        )
    )
    checkpoints = Checkpoints(s3_store, "t")
    committed: dict[int, Any] = {}
    for _ in range(400):  # up to 20 s on a busy machine; usually a few tenths
        await asyncio.sleep(0.05)
        committed = await asyncio.to_thread(checkpoints.load_items, "each")
        if len(committed) == 3:
            break
    # Items 0-2 reached the store while items 3-6 were still held: the interval did it.
    assert sorted(committed) == [0, 1, 2]
    assert not task.done()
    model.gate.set()
    result = await task
    assert len(result.output["each"]) == 8
    assert sorted(checkpoints.load_items("each")) == list(range(8))
