"""The public Python API: aiwf.compile and the typed IR it returns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import aiwf

REPO = Path(__file__).resolve().parents[1]
TRIAGE = REPO / "presets" / "workflows" / "ticket-triage.aiwf.yaml"


def test_compile_gives_the_program_aiwf_compile_prints() -> None:
    program = aiwf.compile(TRIAGE)
    assert isinstance(program, aiwf.Program)
    assert all(isinstance(route, aiwf.Route) for route in program.models.values())
    printed = subprocess.run(
        [sys.executable, "-m", "aiwf", "compile", str(TRIAGE)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    assert program.to_json() == printed


def test_compile_applies_an_environment_of_the_project_config(tmp_path: Path) -> None:
    spec = tmp_path / "triage.aiwf.yaml"
    spec.write_text(TRIAGE.read_text(encoding="utf-8"), encoding="utf-8")
    alias = next(iter(aiwf.compile(spec).models))
    (tmp_path / "aiwf.toml").write_text(
        f'[environments.local.models.{alias}]\nprovider = "openai-compatible"\n'
        'model = "llama"\nbase_url = "http://127.0.0.1:11434/v1"\n',
        encoding="utf-8",
    )
    route = aiwf.compile(spec, env="local").models[alias]
    assert (route.provider, route.model, route.base_url) == (
        "openai-compatible",
        "llama",
        "http://127.0.0.1:11434/v1",
    )
    with pytest.raises(aiwf.AiwfError, match="unknown environment 'nope'"):
        aiwf.compile(spec, env="nope")


def test_a_spec_with_errors_raises_with_the_first_one_located(tmp_path: Path) -> None:
    spec = tmp_path / "bad.aiwf.yaml"
    text = TRIAGE.read_text(encoding="utf-8")
    spec.write_text(text.replace("aiwf: 1", "aiwf: 1\nbogus: true", 1), encoding="utf-8")
    with pytest.raises(aiwf.CompileFailed) as caught:
        aiwf.compile(spec)
    error = caught.value
    assert isinstance(error, aiwf.AiwfError)
    line = text.splitlines().index("aiwf: 1") + 2
    assert (error.code, error.line, error.column) == ("E011", line, 1)
    assert error.file is not None
    assert error.file.endswith("bad.aiwf.yaml")
    assert error.message == "unknown key 'bogus' in the spec file"
    assert [d.code for d in error.diagnostics] == ["E011"]


def test_importing_aiwf_stays_light() -> None:
    code = "import sys, aiwf; print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'httpx', 'yaml'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
