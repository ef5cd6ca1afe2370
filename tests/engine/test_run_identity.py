"""A run's identity and liveness on the local engine: resuming with fixed route settings
(another --env) is allowed and says what changed, a changed workflow is refused, the lease
in the manifest makes a run that died show as stale, and the run id shows at the start."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_support import ModelServer, ScriptedModel, compile_text

from aiwf._cli import cli
from aiwf._errors import AiwfError
from aiwf.engine import Engine
from aiwf.engine._identity import changed_settings, check_resume, route_settings
from aiwf.engine._runs import run_status
from aiwf.stores import open_store

Start = Callable[[Callable[[str, Any], Any]], ModelServer]

SPEC = """
aiwf: 1
name: t
models:
  m:
    provider: openai-compatible
    base_url: "http://127.0.0.1:9/v1"
    model: test
    retry: {max_attempts: 1, repair_attempts: 0}
schemas:
  Num: {type: object, required: [n], properties: {n: {type: integer}}}
assistants:
  inc: {model: m, instructions: inc, input: Num, output: Num}
workflows:
  wide:
    input: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/schemas/Num"}}}}
    steps:
      - {id: first, assistant: inc, input: {n: 0}}
      - {id: each, assistant: inc, scatter: "${input.items}", input: "${item}", needs: [first]}
    output: "${steps.each.output}"
"""


def test_resume_with_another_env_is_allowed_and_says_what_changed(
    tmp_path: Path, model_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = model_server(lambda system, value: {"n": value["n"] + 1})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.aiwf.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "aiwf.toml").write_text(
        f'[environments.broken]\n[environments.fake.models.m]\nbase_url = "{server.base_url}"\n',
        encoding="utf-8",
    )
    (tmp_path / "in.json").write_text(json.dumps({"items": [{"n": 1}, {"n": 2}]}))
    runner = CliRunner()
    failed = runner.invoke(cli, ["run", "spec.aiwf.yaml", "-i", "in.json", "--env", "broken"])
    assert isinstance(failed.exception, AiwfError)
    assert "connection failed" in failed.exception.message
    command = failed.exception.message.split("resume with: ", 1)[1].split()
    assert command[-2:] == ["--env", "broken"]
    resumed = runner.invoke(cli, [*command[1:-2], "--env", "fake"])
    assert resumed.exit_code == 0, (resumed.output, resumed.exception)
    assert json.loads(resumed.stdout) == [{"n": 2}, {"n": 3}]
    run_id = command[command.index("--resume") + 1]
    assert (
        f"resuming run {run_id} with changed route settings: "
        f"m.base_url (http://127.0.0.1:9/v1 -> {server.base_url})"
    ) in resumed.stderr
    assert len(server.calls) == 3


def test_the_resume_check_separates_structure_from_route_settings(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SPEC)
    manifest = {
        "digest": program.digest(),
        "structure": program.structure_digest(),
        "routes": route_settings(program),
        "status": "failed",
    }
    assert check_resume(manifest, program, "r") == []
    moved = compile_text(tmp_path, SPEC.replace("model: test", "model: other"), "b.aiwf.yaml")
    assert moved.digest() != program.digest()
    assert check_resume(manifest, moved, "r") == ["m.model (test -> other)"]
    # Comments and blank lines move source positions, not the structure.
    commented = compile_text(tmp_path, "# a comment\n\n" + SPEC, "c.aiwf.yaml")
    assert commented.structure_digest() == program.structure_digest()
    assert commented.digest() != program.digest()
    assert check_resume(manifest, commented, "r") == []  # nothing to tell the user
    changed = compile_text(
        tmp_path, SPEC.replace("instructions: inc", "instructions: dec"), "d.aiwf.yaml"
    )
    with pytest.raises(AiwfError, match="another version of the spec"):
        check_resume(manifest, changed, "r")
    # A run recorded before structure digests: the whole IR must match, as before.
    old = {"digest": program.digest(), "status": "failed"}
    with pytest.raises(AiwfError, match="another version of the spec"):
        check_resume(old, moved, "r")
    headers = {"a": {"headers": {"x-token": "sha256:1"}}}
    assert changed_settings(headers, {"a": {"headers": {"x-token": "sha256:2"}}}) == ["a.headers"]
    with_header = SPEC.replace(
        "    model: test\n", "    model: test\n    headers: {x-token: secret}\n"
    )
    recorded = route_settings(compile_text(tmp_path, with_header, "e.aiwf.yaml"))
    assert recorded["m"]["headers"]["x-token"].startswith("sha256:")
    assert "secret" not in json.dumps(recorded)


def test_a_run_whose_lease_ran_out_or_whose_process_is_gone_is_stale() -> None:
    now = time.time()
    here = socket.gethostname()
    alive = {"status": "running", "engine": "local", "host": here, "pid": os.getpid(),
             "lease": 60.0, "heartbeat": now}  # fmt: skip
    assert run_status(alive, now=now) == "running"
    assert run_status({**alive, "heartbeat": now - 61}, now=now) == "stale"
    elsewhere = {**alive, "host": "another-machine", "pid": 1}
    assert run_status(elsewhere, now=now) == "running"  # its process cannot be seen here
    assert run_status({**elsewhere, "heartbeat": now - 61}, now=now) == "stale"
    gone = {**alive, "pid": _dead_pid()}
    assert run_status(gone, now=now) == "stale"
    assert run_status({**gone, "status": "failed"}, now=now) == "failed"
    assert run_status({"status": "running", "engine": "temporal"}, now=now) == "running"


def _dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_a_live_run_renews_its_lease_and_cannot_be_resumed(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SPEC)
    store = open_store(str(tmp_path / "store"))
    model = ScriptedModel(lambda request: {"n": request.input["n"] + 1})
    model.gate = asyncio.Event()
    model.held = lambda call: call.step == "each"
    engine = Engine(program, model, store=store, lease=0.2)
    task = asyncio.ensure_future(engine.run("wide", {"items": [{"n": 1}]}, run_id="live"))
    while len(model.started) < 2:
        await asyncio.sleep(0.01)
    first = store.get_json("runs/live/manifest.json")
    while store.get_json("runs/live/manifest.json")["heartbeat"] == first["heartbeat"]:
        await asyncio.sleep(0.01)
    beat = store.get_json("runs/live/manifest.json")
    assert beat["totals"]["calls"] == 1  # the lease carries the run's progress
    assert store.get_json("runs/live/trace.json")["steps"][0]["status"] == "ok"
    with pytest.raises(AiwfError, match="is still running"):
        await Engine(program, model, store=store).resume("live")
    model.gate.set()
    result = await task
    assert result.output == [{"n": 2}]
    final = store.get_json("runs/live/manifest.json")
    assert final["status"] == "succeeded"
    assert run_status(final) == "succeeded"
    assert store.get_json("index/runs/live.json")["status"] == "succeeded"
    assert "input" not in store.get_json("index/runs/live.json")


MADE_BY_0_1_0 = Path(__file__).parents[1] / "ir" / "made_by_0_1_0"


def _ir1_program() -> Any:
    """The ticket-triage program as aiwf 0.1.0 compiled it (IR 1, from its generated SDK)."""
    import runpy

    from aiwf._ir.model import load_ir

    path = MADE_BY_0_1_0 / "src" / "ticket_triage" / "_program.py.golden"
    return load_ir(json.dumps(runpy.run_path(str(path))["PROGRAM"]))


def _triage(broken: set[str]) -> ScriptedModel:
    def answer(request: Any) -> Any:
        if request.metadata.step == "digest":
            return {"headline": f"{len(request.input)} tickets", "urgent_count": 0}
        if request.input["id"] in broken:
            raise RuntimeError(f"cannot triage {request.input['id']}")
        return {"ticket_id": request.input["id"], "category": "bug", "urgency": 2}

    return ScriptedModel(answer)


async def test_a_run_started_under_ir_1_resumes_with_the_ir_2_program(tmp_path: Path) -> None:
    from aiwf.engine import RunFailed

    old = _ir1_program()
    assert old.ir_version == 1
    spec = tmp_path / "ticket-triage.aiwf.yaml"
    spec.write_bytes((MADE_BY_0_1_0 / "ticket-triage.aiwf.yaml.golden").read_bytes())
    new = compile_text(tmp_path, spec.read_text(), spec.name)
    assert new.ir_version == 2
    assert new.digest() != old.digest()
    store = open_store(str(tmp_path / "store"))
    tickets = [{"id": f"t{i}", "subject": "s", "body": "b"} for i in range(5)]
    with pytest.raises(RunFailed):
        await Engine(old, _triage({"t3"}), store=store, max_concurrency=1).run(
            "triage", {"tickets": tickets}, run_id="r"
        )
    manifest = store.get_json("runs/r/manifest.json")
    assert manifest["digest"] == old.digest()
    del manifest["ir_version"]  # aiwf 0.1.0 did not record it
    store.put_json("runs/r/manifest.json", manifest)

    assert check_resume(manifest, new, "r") == []  # the same spec: nothing changed
    model = _triage(set())
    result = await Engine(new, model, store=store).resume("r")
    assert [t["ticket_id"] for t in result.output["triaged"]] == [t["id"] for t in tickets]
    again = [c.input["id"] for c in model.calls if c.step == "classify"]
    assert "t0" not in again  # what was done is not called again
    assert "t3" in again
    renewed = store.get_json("runs/r/manifest.json")
    assert (renewed["ir_version"], renewed["digest"]) == (2, new.digest())
    assert renewed["status"] == "succeeded"


def test_resuming_a_run_of_an_ir_this_aiwf_does_not_read_is_refused_saying_why(
    tmp_path: Path,
) -> None:
    program = compile_text(tmp_path, SPEC)
    newer = {"ir_version": 3, "digest": "sha256:0", "structure": "sha256:1", "status": "failed"}
    with pytest.raises(AiwfError) as info:
        check_resume(newer, program, "r")
    assert info.value.code == "E503"
    assert info.value.message == (
        "run 'r' was made by an aiwf that writes IR version 3; this aiwf reads versions 1 "
        "and 2, so it cannot tell whether the run's program is this spec's"
    )
    assert info.value.hint == (
        "resume it with the aiwf release that started it (aiwf --version shows its IR "
        "version), or start a new run without --resume"
    )
    # A run of IR 1 whose spec changed since is refused as a changed spec, as before.
    old = program.written_as(1)
    manifest = {"digest": old.digest(), "structure": old.structure_digest(), "status": "failed"}
    assert check_resume(manifest, program, "r") == []
    changed = compile_text(
        tmp_path, SPEC.replace("instructions: inc", "instructions: dec"), "d.aiwf.yaml"
    )
    with pytest.raises(AiwfError, match="another version of the spec"):
        check_resume(manifest, changed, "r")
