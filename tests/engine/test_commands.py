"""``aiwf dry-run``, ``aiwf run`` and ``aiwf graph`` through click's runner and as processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_support import ModelServer, compile_text

from aiwf._cli import cli
from aiwf._errors import AiwfError
from aiwf._ir.types import RefType
from aiwf._ir.validate import Validator

REPO = Path(__file__).resolve().parents[2]
PRESETS = sorted((REPO / "presets" / "workflows").glob("*.aiwf.yaml"))
AIWF = str(Path(sys.executable).with_name("aiwf"))

Start = Callable[[Callable[[str, Any], Any]], ModelServer]


@pytest.mark.parametrize("preset", PRESETS, ids=[p.name for p in PRESETS])
def test_dry_run_every_preset(preset: Path, tmp_path: Path) -> None:
    program = compile_text(tmp_path, preset.read_text(encoding="utf-8"), preset.name)
    validator = Validator(program.contract_type)
    for name, workflow in program.workflows.items():
        result = CliRunner().invoke(cli, ["dry-run", str(preset), "-w", name, "--seed", "5"])
        assert result.exit_code == 0, (result.output, result.exception)
        output = json.loads(result.stdout)
        assert validator.errors(output, RefType(name=workflow.output_contract)) == []
        assert "plan: workflow" in result.stderr
        assert "input (made up, seed 5)" in result.stderr
        assert "succeeded" in result.stderr


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
assistants:
  inc: {{model: m, instructions: inc, input: Num, output: Num}}
  total: {{model: m, instructions: total, input: {{type: array, items: {{$ref: "#/schemas/Num"}}}}, output: Num}}
workflows:
  wide:
    input: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
    steps:
      - id: each
        assistant: inc
        scatter: ${{input.items}}
        input: ${{item}}
        concurrency: 2
      - {{id: reduce, assistant: total, input: "${{prev.output}}"}}
    output: {{each: "${{steps.each.output}}", total: "${{steps.reduce.output.n}}"}}
  other:
    input: Num
    steps:
      - {{id: one, assistant: inc, input: "${{input}}"}}
    output: "${{steps.one.output}}"
"""


def answer_with(broken: set[int]) -> Callable[[str, Any], Any]:
    def answer(system: str, value: Any) -> Any:
        if system == "total":
            return {"n": sum(v["n"] for v in value)}
        if value["n"] in broken:
            return (400, f"cannot do {value['n']}")
        return {"n": value["n"] + 1}

    return answer


@pytest.fixture
def project(tmp_path: Path, model_server: Start) -> tuple[Path, Path, ModelServer, set[int]]:
    broken = {3}
    server = model_server(answer_with(broken))
    spec = tmp_path / "spec.aiwf.yaml"
    spec.write_text(SPEC.format(base_url=server.base_url))
    data = tmp_path / "input.json"
    data.write_text(json.dumps({"items": [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]}))
    return spec, data, server, broken


def test_failed_run_prints_the_resume_command_and_resume_works(
    project: tuple[Path, Path, ModelServer, set[int]], tmp_path: Path
) -> None:
    spec, data, server, broken = project
    store = f"file://{tmp_path / 'store'}"
    runner = CliRunner()
    trace = tmp_path / "trace.json"
    failed = runner.invoke(
        cli,
        ["run", str(spec), "-w", "wide", "--input", str(data), "--artifacts", store,
         "--trace", str(trace)],
    )  # fmt: skip
    assert failed.exit_code != 0
    assert isinstance(failed.exception, AiwfError)
    assert json.loads(trace.read_text())["status"] == "failed"  # --trace, failed run too
    line = failed.exception.render()
    assert "\n" not in line
    assert line.startswith("error[E500]: step each item 2 failed: [R003]")
    assert "cannot do 3" in line
    assert "(run " in line
    command = line.split("resume with: ", 1)[1]
    words = shlex.split(command)
    assert words[:5] == ["aiwf", "run", str(spec), "-w", "wide"]
    assert words[words.index("--artifacts") + 1] == store
    calls_before = len(server.calls)
    from aiwf.engine import Checkpoints
    from aiwf.stores import open_store

    run_id = words[words.index("--resume") + 1]
    items = Checkpoints(open_store(store), run_id).load_items("each")
    finished = {output["n"] - 1 for output, _ in items.values()}
    assert finished
    assert 3 not in finished

    broken.clear()
    resumed = runner.invoke(cli, words[1:])
    assert resumed.exit_code == 0, (resumed.output, resumed.exception)
    assert json.loads(resumed.stdout) == {
        "each": [{"n": 2}, {"n": 3}, {"n": 4}, {"n": 5}],
        "total": 14,
    }
    again = [c.input for c in server.calls[calls_before:]]
    # Nothing that had finished is called again; the rest is, once, then the reducer.
    assert sorted(v["n"] for v in again if isinstance(v, dict)) == sorted({1, 2, 3, 4} - finished)
    assert "succeeded" in resumed.stderr


def test_run_records_and_dry_run_replays(
    project: tuple[Path, Path, ModelServer, set[int]], tmp_path: Path
) -> None:
    spec, data, server, broken = project
    broken.clear()
    record = tmp_path / "run.replay.jsonl"
    store = f"file://{tmp_path / 'store'}"
    runner = CliRunner()
    ran = runner.invoke(
        cli,
        [
            "run",
            str(spec),
            "-w",
            "wide",
            "-i",
            str(data),
            "--artifacts",
            store,
            "--record",
            str(record),
        ],
    )
    assert ran.exit_code == 0, (ran.output, ran.exception)
    assert len(record.read_text().splitlines()) == 1 + 5
    calls = len(server.calls)
    replayed = runner.invoke(
        cli, ["dry-run", str(spec), "-w", "wide", "-i", str(data), "--replay", str(record)]
    )
    assert replayed.exit_code == 0, (replayed.output, replayed.exception)
    assert json.loads(replayed.stdout) == json.loads(ran.stdout)
    # Without --input, a replay runs on the recorded input (a made-up one would miss).
    again = runner.invoke(cli, ["dry-run", str(spec), "-w", "wide", "--replay", str(record)])
    assert again.exit_code == 0, (again.output, again.exception)
    assert json.loads(again.stdout) == json.loads(ran.stdout)
    assert len(server.calls) == calls


def test_a_recorded_failed_run_replays_to_the_same_failure(
    project: tuple[Path, Path, ModelServer, set[int]], tmp_path: Path
) -> None:
    """--record keeps the failed exchange too, so a replay fails the same way (same code,
    same message, same attempts in the trace), with no server."""
    spec, data, server, _ = project
    record = tmp_path / "failed.replay.jsonl"
    runner = CliRunner()
    trace = tmp_path / "trace.json"
    failed = runner.invoke(
        cli,
        ["run", str(spec), "-w", "wide", "-i", str(data), "--artifacts",
         f"file://{tmp_path / 'store'}", "--record", str(record), "--trace", str(trace)],
    )  # fmt: skip
    assert isinstance(failed.exception, AiwfError)
    lines = [json.loads(line) for line in record.read_text().splitlines()[1:]]
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 1
    assert errors[0]["error"]["code"] == "R003"
    assert errors[0]["index"] == 2
    calls = len(server.calls)
    replay_trace = tmp_path / "replay-trace.json"
    replayed = runner.invoke(
        cli,
        ["dry-run", str(spec), "-w", "wide", "-i", str(data), "--replay", str(record),
         "--trace", str(replay_trace)],
    )  # fmt: skip
    assert isinstance(replayed.exception, AiwfError)
    assert replayed.exception.code == failed.exception.code == "E500"
    original = failed.exception.message.split(" (run ")[0]
    assert replayed.exception.message.split(" (run ")[0] == original
    assert original.startswith("step each item 2 failed: [R003]")
    assert len(server.calls) == calls  # the replay needed no server
    outline = {
        (c["step"], c["index"]): c["attempts"] for c in json.loads(trace.read_text())["outline"]
    }
    replayed_outline = {
        (c["step"], c["index"]): c["attempts"]
        for c in json.loads(replay_trace.read_text())["outline"]
    }
    assert replayed_outline[("each", 2)] == outline[("each", 2)]


def test_run_needs_an_input_and_a_workflow(
    project: tuple[Path, Path, ModelServer, set[int]],
) -> None:
    spec, _data, _, _ = project
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(spec), "-w", "wide"])
    assert isinstance(result.exception, AiwfError)
    assert "--input" in result.exception.message
    result = runner.invoke(cli, ["dry-run", str(spec)])
    assert isinstance(result.exception, AiwfError)
    assert "2 workflows" in result.exception.message
    assert "other, wide" in str(result.exception.hint)


def test_graph_mermaid_and_dot(project: tuple[Path, Path, ModelServer, set[int]]) -> None:
    spec, _, _, _ = project
    runner = CliRunner()
    mermaid = runner.invoke(cli, ["graph", str(spec), "-w", "wide"])
    assert mermaid.exit_code == 0
    assert mermaid.stdout.splitlines() == [
        "flowchart TD",
        '  __input(["input: WideInput"])',
        '  s_each[["each<br/>inc<br/>scatter input.items x2"]]',
        '  s_reduce["reduce<br/>total"]',
        '  __output(["result: WideOutput"])',
        "  __input --> s_each",
        "  s_each --> s_reduce",
        "  s_each --> __output",
        "  s_reduce --> __output",
        "  classDef scatter stroke-dasharray: 4 2,stroke-width:2px",
        "  class s_each scatter",
    ]
    dot = runner.invoke(cli, ["graph", str(spec), "-w", "wide", "--format", "dot"])
    assert dot.exit_code == 0
    assert (
        '"each" [label="each\\ninc\\nscatter input.items x2", peripheries=2, style=dashed];'
        in dot.stdout
    )
    assert '"each" -> "reduce";' in dot.stdout
    assert dot.stdout.startswith('digraph "wide" {')
    assert dot.stdout.endswith("}\n")


def test_failed_run_as_a_process(
    project: tuple[Path, Path, ModelServer, set[int]], tmp_path: Path
) -> None:
    spec, data, _, _ = project
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("AIWF_TRACEBACK", None)
    proc = subprocess.run(
        [AIWF, "run", str(spec), "-w", "wide", "--input", str(data)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error[E500]: step each item 2 failed")
    run_id = lines[0].split("(run ", 1)[1].split(")", 1)[0]
    assert lines[0].endswith(f"resume with: aiwf run {spec} -w wide --resume {run_id}")
    assert (tmp_path / ".aiwf" / "artifacts" / "runs" / run_id).is_dir()


def test_a_missing_api_key_is_refused_before_the_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    spec = Path(__file__).resolve().parents[2] / "presets" / "workflows" / "ticket-triage.aiwf.yaml"
    data = tmp_path / "in.json"
    data.write_text('{"tickets": [{"id": "T-1", "subject": "s", "body": "b"}]}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(spec), "-w", "triage", "--input", str(data)])
    assert isinstance(result.exception, AiwfError)
    assert result.exception.code == "R008"
    assert "no API key: set $OPENAI_API_KEY" in result.exception.message
    assert not (tmp_path / ".aiwf").exists()  # no run was started


def test_graph_draws_every_workflow_without_w(
    project: tuple[Path, Path, ModelServer, set[int]],
) -> None:
    spec, _, _, _ = project
    runner = CliRunner()
    mermaid = runner.invoke(cli, ["graph", str(spec)])
    assert mermaid.exit_code == 0, mermaid.output
    lines = mermaid.stdout.splitlines()
    assert lines[0] == "flowchart TD"
    assert '  subgraph s_wide__wf["workflow wide"]' in lines
    assert '  subgraph s_other__wf["workflow other"]' in lines
    assert "    s_wide__s_each --> s_wide__s_reduce" in lines
    assert "    s_other____input --> s_other__s_one" in lines
    assert lines.count("  end") == 2
    dot = runner.invoke(cli, ["graph", str(spec), "--format", "dot"])
    assert dot.exit_code == 0, dot.output
    assert dot.stdout.startswith('digraph "t" {')
    assert '  subgraph "cluster_wide" {' in dot.stdout
    assert '    "wide/each" -> "wide/reduce";' in dot.stdout
    assert '    "other/one" -> "other/__output";' in dot.stdout


def test_run_dry_run_and_graph_take_the_configured_spec(
    project: tuple[Path, Path, ModelServer, set[int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec, _, _, _ = project
    (tmp_path / "aiwf.toml").write_text(f'spec = "{spec.name}"\n', encoding="utf-8")
    (tmp_path / "one.json").write_text('{"n": 1}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    graph = runner.invoke(cli, ["graph", "-w", "other"])
    assert graph.exit_code == 0, graph.output
    assert '  s_one["one<br/>inc"]' in graph.stdout
    dry = runner.invoke(cli, ["dry-run", "-w", "other"])
    assert dry.exit_code == 0, dry.output
    ran = runner.invoke(cli, ["run", "-w", "other", "-i", "one.json"])
    assert ran.exit_code == 0, (ran.output, ran.exception)
    assert json.loads(ran.stdout) == {"n": 2}
    # With two specs configured, a command that needs one says so.
    (tmp_path / "aiwf.toml").write_text(f'spec = ["{spec.name}", "x.aiwf.yaml"]\n', "utf-8")
    result = runner.invoke(cli, ["graph"])
    assert isinstance(result.exception, AiwfError)
    assert result.exception.render() == (
        f"error: the project config names 2 specs ({spec.name}, x.aiwf.yaml)\n"
        "  hint: pass the one to use as SPEC"
    )


ORDERED = """
aiwf: 1
name: ordered
models:
  m:
    provider: openai-compatible
    base_url: "{base_url}"
    model: test
    retry: {{max_attempts: 1, repair_attempts: 0}}
schemas:
  In: {{type: object, required: [q], properties: {{q: {{type: string}}}}}}
  Out:
    type: object
    required: [zeta, alpha, mid]
    properties: {{zeta: {{type: integer}}, alpha: {{type: string}}, mid: {{type: boolean}}}}
assistants:
  answer: {{model: m, instructions: answer, input: In, output: Out}}
workflows:
  ask:
    input: In
    steps:
      - {{id: one, assistant: answer, input: "${{input}}"}}
    output: "${{steps.one.output}}"
"""


def test_a_replay_prints_the_result_byte_for_byte_as_the_run(
    tmp_path: Path, model_server: Start
) -> None:
    server = model_server(lambda system, value: {"zeta": 1, "alpha": "a", "mid": True})
    spec = tmp_path / "ordered.aiwf.yaml"
    spec.write_text(ORDERED.format(base_url=server.base_url), encoding="utf-8")
    data = tmp_path / "in.json"
    data.write_text('{"q": "?"}', encoding="utf-8")
    record = tmp_path / "run.jsonl"
    runner = CliRunner()
    ran = runner.invoke(
        cli,
        ["run", str(spec), "-i", str(data), "--artifacts", f"file://{tmp_path / 's'}",
         "--record", str(record)],
    )  # fmt: skip
    assert ran.exit_code == 0, (ran.output, ran.exception)
    assert ran.stdout == '{\n  "zeta": 1,\n  "alpha": "a",\n  "mid": true\n}\n'
    replayed = runner.invoke(cli, ["dry-run", str(spec), "--replay", str(record)])
    assert replayed.exit_code == 0, (replayed.output, replayed.exception)
    assert replayed.stdout == ran.stdout
