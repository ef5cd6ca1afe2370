"""IR versions: this aiwf writes IR 2 and still reads IR 1, so what aiwf 0.1.0 made keeps
working: its IR loads (and writes back byte for byte, with the digest 0.1.0 recorded), its
workflows run, and a Python SDK it generated passes its own smoke tests.

``made_by_0_1_0/`` holds, as aiwf 0.1.0 wrote them (``git show v0.1.0:...``), the spec of the
ticket-triage preset and the Python SDK generated from it (the golden files of that
release; ``.golden`` keeps them out of lint and test collection).
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aiwf._cli import version_text
from aiwf._errors import AiwfError
from aiwf._ir.compiler import compile_files
from aiwf._ir.model import IR_VERSION, READ_IR_VERSIONS, Program, load_ir
from aiwf._spec import load_spec
from aiwf.engine import Engine
from aiwf.engine._dryrun import DryRunClient, make_value
from aiwf.engine._errors import StepError
from aiwf.engine._steps import Planner
from aiwf.sdk import load_program

MADE = Path(__file__).parent / "made_by_0_1_0"
SDK_PROGRAM = MADE / "src" / "ticket_triage" / "_program.py.golden"


def ir1_data() -> dict[str, Any]:
    """The IR that the 0.1.0 SDK embeds, as data."""
    data: dict[str, Any] = runpy.run_path(str(SDK_PROGRAM))["PROGRAM"]
    return data


def compile_0_1_0_spec(tmp_path: Path) -> Program:
    """The spec that SDK was generated from, compiled by this aiwf."""
    spec = tmp_path / "ticket-triage.aiwf.yaml"
    shutil.copyfile(MADE / "ticket-triage.aiwf.yaml.golden", spec)
    result = compile_files(load_spec(spec).files)
    assert result.program is not None, result.diagnostics
    return result.program


def test_this_aiwf_writes_ir_2_and_says_so() -> None:
    assert (IR_VERSION, READ_IR_VERSIONS) == (2, (1, 2))
    assert "IR version: 2" in version_text().splitlines()


def test_an_ir_1_document_reads_as_it_was_written() -> None:
    data = ir1_data()
    assert data["ir_version"] == 1
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    program = load_ir(text)
    assert program.ir_version == 1
    steps = [s for wf in program.workflows.values() for s in wf.steps]
    assert len(steps) == 2
    assert not any(s.input_checked for s in steps)  # IR 1 promises nothing
    assert program.to_json() == text
    recorded = json.loads((MADE / ".aiwf" / "manifest.json.golden").read_text())["ir_digest"]
    assert program.digest() == recorded  # the digest aiwf 0.1.0 recorded with it
    # An IR-1 document that claims a checked input is not believed.
    data["workflows"]["triage"]["steps"][0]["input_checked"] = True
    again = load_ir(json.dumps(data))
    assert not again.workflows["triage"].steps[0].input_checked
    assert again.digest() == recorded


def test_the_ir_of_the_same_spec_differs_only_by_the_bump(tmp_path: Path) -> None:
    program = compile_0_1_0_spec(tmp_path)
    assert program.ir_version == 2
    data = program.to_dict()
    steps = data["workflows"]["triage"]["steps"]
    assert {s["id"]: s["input_checked"] for s in steps} == {"classify": True, "digest": False}
    # Without the new field and with the old number, it is what aiwf 0.1.0 wrote.
    for step in steps:
        del step["input_checked"]
    assert {**data, "ir_version": 1} == ir1_data()
    assert program.written_as(1).to_dict() == ir1_data()
    assert program.written_as(1).digest() == load_ir(json.dumps(ir1_data())).digest()


def test_other_ir_versions_are_refused_with_the_versions_this_aiwf_reads() -> None:
    data = ir1_data()
    for version in (0, 3, True, 1.0, "1", None):
        with pytest.raises(AiwfError, match=r"reads versions 1 and 2") as info:
            load_ir(json.dumps({**data, "ir_version": version}))
        assert info.value.code == "E090"
        with pytest.raises(AiwfError, match=r"the installed aiwf reads versions 1 and 2"):
            load_program({**data, "ir_version": version})


def test_the_engines_skip_only_the_input_checks_the_ir_says_were_made(tmp_path: Path) -> None:
    wrong = {"id": 7}  # not a Ticket; never reaches a step that is checked already
    current = compile_0_1_0_spec(tmp_path)
    planner = Planner(current)
    plan = planner.plans(current.workflows["triage"])["classify"]
    assert plan.step.input_checked
    plan.check_input(planner.validator, wrong, 0)  # checked where it was made: not again
    old = load_ir(json.dumps(ir1_data()))
    planner = Planner(old)
    plan = planner.plans(old.workflows["triage"])["classify"]
    with pytest.raises(StepError, match="its input is not valid for Ticket"):
        plan.check_input(planner.validator, wrong, 0)


def test_an_ir_1_program_runs() -> None:
    program = load_program(ir1_data())
    assert program.ir_version == 1
    engine = Engine(program, DryRunClient(seed=0))
    value = make_value(program.json_schema("TriageInput"), seed=1)
    result = asyncio.run(engine.run("triage", value))
    assert set(result.output) == {"digest", "triaged"}
    assert len(result.output["triaged"]) == len(value["tickets"])
    # Its trace names the program it ran: the IR-1 digest, as recorded by aiwf 0.1.0.
    assert result.trace.digest == program.digest()


def test_a_python_sdk_generated_by_aiwf_0_1_0_passes_its_smoke_tests(tmp_path: Path) -> None:
    sdk = tmp_path / "sdk"
    for golden in MADE.rglob("*.py.golden"):
        target = sdk / golden.relative_to(MADE).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(golden, target)
    env = {**os.environ, "PYTHONPATH": str(sdk / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=sdk,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
