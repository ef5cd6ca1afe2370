"""The Temporal engine gives the local engine's answers: failures, the runtime's retry rules
mapped onto Temporal's, and histories that replay (the conformance vectors run on Temporal
through tests/conformance/runner_temporal.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_support import compile_text
from temporal_support import DevServer, FakeProvider, settings, worker

from aiwf.engine import Engine, RouterClient, RunFailed
from aiwf.engine.temporal import TemporalEngine
from aiwf.runtime import Router, Runtime
from aiwf.stores import ArtifactStore

HISTORIES = Path(__file__).parent / "histories"


async def test_recorded_histories_replay() -> None:
    """Histories recorded by earlier versions of the interpreter replay with this one: a
    change that would break runs in flight must go behind workflow.patched()."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from aiwf._ir.model import program_adapter
    from aiwf.engine.temporal._worker import workflow_runner
    from aiwf.engine.temporal._workflows import RunWorkflow, ScatterWorkflow

    program_adapter()  # built outside the sandbox, as a worker does (it imports lazily)
    files = sorted(HISTORIES.glob("*.json"))
    assert files
    for path in files:
        history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        replayed = await Replayer(
            workflows=[RunWorkflow, ScatterWorkflow], workflow_runner=workflow_runner(sandbox=True)
        ).replay_workflow(history, raise_on_replay_failure=False)
        assert replayed.replay_failure is None, (path.name, replayed.replay_failure)


SPEC = """
aiwf: 1
name: t
models:
  m:
    provider: openai-compatible
    base_url: "{base_url}"
    model: main
    api_key_env: FAKE_KEY
    retry: {{max_attempts: 3, initial_delay: 0.05, repair_attempts: 0}}
    fallback: [backup]
  backup:
    provider: openai-compatible
    base_url: "{base_url}"
    model: backup
    api_key_env: FAKE_KEY
    retry: {{max_attempts: 1, repair_attempts: 0}}
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
assistants:
  inc: {{model: m, instructions: inc, input: Num, output: Num}}
workflows:
  each:
    input: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
    steps:
      - {{id: inc, assistant: inc, scatter: "${{input.items}}", input: "${{item}}", concurrency: 2}}
    output: "${{steps.inc.output}}"
"""


class Answers:
    """n=1: a 429 with a short retry-after, then an answer; n=2: a retry-after longer than
    the runtime honours on the main route (so the fallback answers); n=3: a 400."""

    def __init__(self) -> None:
        self.retried = False

    def __call__(self, call: dict[str, Any]) -> Any:
        n = call["input"]["n"]
        if n == 1 and call["model"] == "main" and not self.retried:
            self.retried = True
            return (429, "slow down", {"retry-after-ms": "300"})
        if n == 2 and call["model"] == "main":
            return (429, "come back tomorrow", {"retry-after": "86400"})
        if n == 3:
            return (400, "cannot do 3", {})
        return {"n": n + 1}


async def test_retry_rules_and_fallbacks_as_on_the_local_engine(
    dev_server: DevServer,
    queue: str,
    store: ArtifactStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "sk-test-0123456789-do-not-leak"
    monkeypatch.setenv("FAKE_KEY", secret)
    answers = Answers()
    provider = FakeProvider(answers)
    try:
        program = compile_text(tmp_path, SPEC.format(base_url=provider.base_url))
        config = settings(dev_server, queue)
        engine = TemporalEngine(program, config, store)
        async with worker(config, store):
            result = await engine.run("each", {"items": [{"n": 1}, {"n": 2}, {"n": 0}]})
            with pytest.raises(RunFailed) as failed:
                await engine.run("each", {"items": [{"n": 3}]})
        local = Engine(program, RouterClient(Router(program.models, Runtime())))
        answers.retried = False
        expected = await local.run("each", {"items": [{"n": 1}, {"n": 2}, {"n": 0}]})
        with pytest.raises(RunFailed) as failed_locally:
            await local.run("each", {"items": [{"n": 3}]})
    finally:
        provider.close()
    assert result.output == expected.output == [{"n": 2}, {"n": 3}, {"n": 1}]
    span, local_span = result.trace.steps["inc"], expected.trace.steps["inc"]
    # The same counts: n=1 retried once; n=2 given up at once on main, answered by backup.
    for key in ("calls", "attempts", "retries", "fallbacks"):
        assert getattr(span, key) == getattr(local_span, key), key
    assert (span.retries, span.fallbacks) == (2, 1)
    # Every request counts (docs/wire.md §9): n=2 made one on main and one on backup.
    assert [i.attempts for i in span.items] == [i.attempts for i in local_span.items] == [2, 2, 1]
    assert result.trace.outline() == expected.trace.outline()
    assert failed.value.trace is not None
    assert failed_locally.value.trace is not None
    assert failed.value.trace.outline() == failed_locally.value.trace.outline()
    # A 400 is not retried: one call, and the same message as a local run.
    assert failed.value.message == failed_locally.value.message
    assert failed.value.code == "E500"
    assert (failed.value.step, failed.value.index) == ("inc", 0)
    calls_for_3 = [c for c in provider.ended() if c["input"] == {"n": 3}]
    assert len(calls_for_3) == 2  # one per engine
    # Temporal waited what the provider asked for (the failure's next retry delay).
    temporal = await engine.client()
    history = await temporal.get_workflow_handle(result.run_id).fetch_history()
    delays = [
        e.activity_task_started_event_attributes.last_failure.application_failure_info.next_retry_delay.ToMilliseconds()
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
        and e.activity_task_started_event_attributes.attempt == 2
    ]
    assert delays == [300]
    # The key was read on the worker and sent to the provider, and went nowhere else: not
    # into a payload, the history, the store (checkpoints, manifests, traces) or a message.
    assert {c["key"] for c in provider.ended()} == {secret}
    for run_id in (result.run_id, failed.value.run_id):
        events = (await temporal.get_workflow_handle(run_id).fetch_history()).events
        raw = b"".join(event.SerializeToString() for event in events)  # payloads as sent
        assert run_id.encode() in raw  # (the payloads are in there, in clear)
        assert secret.encode() not in raw
    stored = [store.get(info.key)[0] for info in store.list("")]
    assert stored
    assert all(secret.encode() not in data for data in stored)
    assert secret not in json.dumps(result.trace.to_dict()) + failed.value.message


CHILDREN = """
aiwf: 1
name: children
models:
  m:
    provider: openai-compatible
    base_url: "{base_url}"
    model: main
    api_key_env: FAKE_KEY
    retry: {{max_attempts: 2, initial_delay: 0.01, max_delay: 0.02, repair_attempts: 0}}
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
  Nums: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
assistants:
  inc: {{model: m, instructions: inc, input: Num, output: Num}}
workflows:
  skip:
    input: Nums
    steps:
      - {{id: inc, assistant: inc, scatter: "${{input.items}}", input: "${{item}}", on_error: skip, concurrency: 2}}
    output: "${{steps.inc.output}}"
  fail:
    input: Nums
    steps:
      - {{id: inc, assistant: inc, scatter: "${{input.items}}", input: "${{item}}", concurrency: 1}}
    output: "${{steps.inc.output}}"
"""


def _failing(call: dict[str, Any]) -> Any:
    """n=2: 503 every time (retried, then skipped or failing the step); n=4: a 400."""
    n = call["input"]["n"]
    if n == 2:
        return (503, "busy", {})
    if n == 4:
        return (400, "cannot do 4", {})
    return {"n": n + 1}


async def test_scatter_children_count_failed_items_as_the_local_engine(
    dev_server: DevServer,
    queue: str,
    store: ArtifactStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scatter too large for the run's history runs in child workflows; the attempts of
    the items they skipped or failed reach the run's trace, as every attempt does locally."""
    monkeypatch.setenv("FAKE_KEY", "sk-children")
    provider = FakeProvider(_failing)
    items = {"items": [{"n": n} for n in range(6)]}
    try:
        program = compile_text(tmp_path, CHILDREN.format(base_url=provider.base_url))
        config = settings(dev_server, queue, scatter_inline_items=2)
        engine = TemporalEngine(program, config, store)
        async with worker(config, store):
            skipped = await engine.run("skip", items)
            with pytest.raises(RunFailed) as failed:
                await engine.run("fail", items)
        local = Engine(program, RouterClient(Router(program.models, Runtime())))
        skipped_locally = await local.run("skip", items)
        with pytest.raises(RunFailed) as failed_locally:
            await local.run("fail", items)
    finally:
        provider.close()
    assert (
        skipped.output
        == skipped_locally.output
        == [{"n": 1}, {"n": 2}, None, {"n": 4}, None, {"n": 6}]
    )
    assert skipped.trace.outline() == skipped_locally.trace.outline()
    assert skipped.trace.outline()[2]["attempts"] == ["m http 503", "m http 503"]
    assert skipped.trace.totals() == skipped_locally.trace.totals()
    assert failed.value.message == failed_locally.value.message
    assert failed.value.trace is not None
    assert failed_locally.value.trace is not None
    assert failed.value.trace.outline() == failed_locally.value.trace.outline()
    assert failed.value.trace.totals() == failed_locally.value.trace.totals()


DEADLINES = """
aiwf: 1
name: deadlines
models:
  fast:
    provider: openai-compatible
    base_url: "{fast}"
    model: fast-model
    api_key_env: FAKE_KEY
  slow:
    provider: openai-compatible
    base_url: "{slow}"
    model: slow-model
    api_key_env: FAKE_KEY
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
  Nums: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
assistants:
  quick:
    {{model: fast, instructions: inc, input: Num, output: Num, retry: {{max_attempts: 3, deadline: 1}}}}
  late:
    {{model: slow, instructions: inc, input: Num, output: Num, retry: {{max_attempts: 3, deadline: 1}}}}
workflows:
  both:
    input: Nums
    steps:
      - {{id: quick, assistant: quick, scatter: "${{input.items}}", input: "${{item}}", on_error: skip}}
      - {{id: late, assistant: late, scatter: "${{input.items}}", input: "${{item}}", on_error: skip}}
    output: {{quick: "${{steps.quick.output}}", late: "${{steps.late.output}}"}}
"""


async def test_a_call_deadline_ends_the_call_as_on_the_local_engine(
    dev_server: DevServer,
    queue: str,
    store: ArtifactStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A retry-after that would end past the deadline ends the retries with the provider's
    error; an answer that does not come before the deadline ends the call with the runtime's
    timeout: the same messages and attempts on both engines."""
    monkeypatch.setenv("FAKE_KEY", "sk-deadlines")
    fast = FakeProvider(lambda call: (429, "later", {"retry-after-ms": "1500"}))
    slow = FakeProvider(lambda call: {"n": 0}, latency=3.0)
    value = {"items": [{"n": 1}]}
    try:
        program = compile_text(tmp_path, DEADLINES.format(fast=fast.base_url, slow=slow.base_url))
        config = settings(dev_server, queue)
        async with worker(config, store):
            result = await TemporalEngine(program, config, store).run("both", value)
        local = Engine(program, RouterClient(Router(program.models, Runtime())))
        expected = await local.run("both", value)
    finally:
        fast.close()
        slow.close()
    assert result.output == expected.output == {"quick": [None], "late": [None]}
    assert result.trace.outline() == expected.trace.outline()
    assert [o["attempts"] for o in result.trace.outline()] == [["fast http 429"], ["slow timeout"]]
    errors = [[i.error for i in s.items] for s in result.trace.steps.values()]
    assert errors == [[i.error for i in s.items] for s in expected.trace.steps.values()]
    assert errors[1] == [
        "[R005] openai-compatible slow-model: no complete answer within the call deadline of 1s"
    ]
