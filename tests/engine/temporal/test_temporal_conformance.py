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

    from aiwf.engine.temporal.worker import workflow_runner
    from aiwf.engine.temporal.workflows import RunWorkflow, ScatterWorkflow

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
    assert [i.attempts for i in span.items] == [i.attempts for i in local_span.items] == [2, 1, 1]
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
