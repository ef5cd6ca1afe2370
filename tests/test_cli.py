"""The CLI's shared behaviour: version, help, python -m, exit codes, the error boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from spec_support import BASE, run_cli, write

import aiwf


def test_version() -> None:
    """One line per versioned artefact (docs/versioning.md), the package's first."""
    run = run_cli("--version")
    assert run.code == 0
    assert run.out.splitlines() == [
        f"aiwf {aiwf.__version__}",
        "spec format: aiwf: 1",
        "IR version: 2",
        f"SDK templates: v{aiwf.__version__}",
    ]


def test_the_version_is_written_in_one_place() -> None:
    """pyproject.toml reads it from aiwf/_version.py; nothing else spells it out."""
    root = Path(__file__).resolve().parents[1]
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'path = "aiwf/_version.py"' in pyproject
    assert not (root / "copier-templates" / "VERSION").exists()
    assert f'"{aiwf.__version__}"' not in (root / "aiwf" / "__init__.py").read_text()


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    bad = write(tmp_path, BASE.replace("assistant: summarize", "assistant: nope"))
    proc = subprocess.run(
        [sys.executable, "-m", "aiwf", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "error[E031]: unknown assistant 'nope'" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_help_lists_commands() -> None:
    run = run_cli("--help")
    assert run.code == 0
    for name in ("validate", "compile", "schema"):
        assert name in run.out


def test_unknown_command_is_a_usage_error() -> None:
    assert run_cli("valdiate").code == 2


def test_shared_options_on_group_and_subcommand(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    assert run_cli("-q", "validate", str(path)).code == 0
    assert run_cli("validate", "-v", str(path)).err.strip() == "ok"


def test_schema_prints_the_format_schema() -> None:
    run = run_cli("schema")
    data = json.loads(run.out)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(data["properties"]) == {
        "aiwf",
        "name",
        "description",
        "models",
        "schemas",
        "assistants",
        "workflows",
    }


def test_internal_errors_are_one_line(tmp_path: Path, monkeypatch: object) -> None:
    import aiwf._commands._spec as spec  # what aiwf validate compiles with

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaput")

    mp = monkeypatch
    mp.setattr(spec, "compile_spec", boom)  # type: ignore[attr-defined]
    run = run_cli("validate", str(write(tmp_path, BASE)))
    assert run.code == 3
    assert run.err.startswith("error[internal]: RuntimeError: kaput")
    assert "Traceback" not in run.err
