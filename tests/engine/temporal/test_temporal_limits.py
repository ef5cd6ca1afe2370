"""Temporal's limits, and how aiwf stays inside them: payloads above 2 MB travel through
the artifact store, a 5,000-item scatter runs in a child that continues as new, and a
cancelled run stops its calls in flight."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from engine_support import compile_text
from temporal_support import WIDE, Count, DevServer, FakeProvider, settings, worker

from aiwf._cli import cli
from aiwf.engine import Engine
from aiwf.engine.temporal import TemporalEngine
from aiwf.runtime import ModelRequest, ModelResponse, Usage
from aiwf.stores import ArtifactStore

BIG = """
aiwf: 1
name: big
models: {m: {provider: openai, model: x}}
schemas:
  Text: {type: object, required: [text], properties: {text: {type: string}}}
assistants:
  echo: {model: m, instructions: echo, input: Text, output: Text}
workflows:
  big:
    input: Text
    steps:
      - {id: grow, assistant: echo, input: "${input}"}
      - {id: again, assistant: echo, input: "${prev.output}"}
    output: {first: "${steps.grow.output.text}", second: "${steps.again.output.text}"}
"""


class Grow:
    """Answers with the input text doubled (megabytes of it)."""

    async def complete(self, request: ModelRequest) -> ModelResponse:
        text = request.input["text"] * 2
        return ModelResponse(
            output={"text": text}, text="", usage=Usage(1, 1), request_id=None,
            model="grow", provider="grow", attempts=1, latency=0.0,
        )  # fmt: skip

    def stream(self, request: ModelRequest) -> Any:
        raise NotImplementedError


async def test_payloads_above_two_megabytes_go_through_the_artifact_store(
    dev_server: DevServer, queue: str, store: ArtifactStore, tmp_path: Path
) -> None:
    program = compile_text(tmp_path, BIG)
    text = "aiwf " * 500_000  # 2.5 MB in, 5 MB and 10 MB out
    config = settings(dev_server, queue)
    engine = TemporalEngine(program, config, store)
    async with worker(config, store, Grow()):
        result = await engine.run("big", {"text": text})
    assert result.output == {"first": text * 2, "second": text * 4}
    client = await engine.client()
    history = await client.get_workflow_handle(result.run_id).fetch_history()
    # Every payload in the history is a reference: the history stays small.
    assert len(history.to_json()) < 300_000
    stored = list(store.list("payloads/"))
    assert max(info.size for info in stored) > 10_000_000
    assert store.get_json(f"runs/{result.run_id}/result.json") == result.output


async def test_a_5000_item_scatter_continues_as_new(
    dev_server: DevServer, queue: str, store: ArtifactStore, tmp_path: Path
) -> None:
    program = compile_text(tmp_path, WIDE)
    items = {"items": [{"n": i} for i in range(5000)]}
    config = settings(dev_server, queue, scatter_batch_items=1250, max_concurrent_activities=400)
    engine = TemporalEngine(program, config, store, max_concurrency=200)
    async with worker(config, store, Count()):
        result = await engine.run("fan", items)
    expected = await Engine(program, Count()).run("fan", items)
    assert result.output == expected.output  # the same answers, in input order
    assert result.output["last"] == {"n": sum(range(1, 5001))}
    span = result.trace.steps["each"]
    assert (span.calls, span.items_done, len(span.items)) == (5000, 5000, 5000)
    assert {item.status for item in span.items} == {"ok"}
    # The child went through at least four histories (5,000 / 1,250; more when Temporal
    # suggested continuing as new sooner), each but the last continued as new.
    client = await engine.client()
    runs = [w async for w in client.list_workflows(f"WorkflowId = '{result.run_id}.each'")]
    statuses = sorted(w.status.name for w in runs if w.status is not None)
    assert statuses[0] == "COMPLETED"
    assert statuses[1:] == ["CONTINUED_AS_NEW"] * (len(runs) - 1)
    assert len(runs) >= 4


async def test_cancel_stops_the_calls_in_flight(
    dev_server: DevServer,
    queue: str,
    store: ArtifactStore,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k")
    provider = FakeProvider(lambda call: {"n": call["input"]["n"] + 1})
    provider.hold()
    spec = WIDE.replace(
        "provider: openai, model: x",
        f"provider: openai-compatible, model: x, base_url: '{provider.base_url}', api_key_env: FAKE_KEY",
    )
    program = compile_text(tmp_path, spec.replace("concurrency: 200", "concurrency: 4"))
    config = settings(dev_server, queue)
    engine = TemporalEngine(program, config, store)
    try:
        async with worker(config, store):
            run_id = await engine.start("fan", {"items": [{"n": i} for i in range(10)]})
            deadline = time.monotonic() + 30
            while provider.in_flight() < 4:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            cancelled = await asyncio.to_thread(
                CliRunner().invoke,
                cli,
                ["runs", "cancel", run_id, "--artifacts", store.url,
                 "--temporal", dev_server.address],
            )  # fmt: skip
            assert cancelled.exit_code == 0, (cancelled.output, cancelled.exception)
            assert cancelled.stdout.strip() == f"run {run_id}: cancelled"
            # The run ended after its calls in flight stopped: none is left, none answered.
            assert provider.in_flight() == 0
            assert [c["status"] for c in provider.ended()] == ["aborted"] * 4
    finally:
        provider.close()
    manifest = store.get_json(f"runs/{run_id}/manifest.json")
    assert manifest["status"] == "cancelled"
    listed = CliRunner().invoke(
        cli, ["runs", "ls", "--artifacts", store.url, "--format", "json",
              "--temporal", dev_server.address],
    )  # fmt: skip
    assert [(r["run_id"], r["status"]) for r in json.loads(listed.stdout)] == [
        (run_id, "cancelled")
    ]
