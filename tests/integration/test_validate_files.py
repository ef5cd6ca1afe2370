"""``aiwf validate FILE...`` as pre-commit calls it: a file of a configured spec directory
stands for the whole spec, validated once; other files are validated as given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from integration_support import AIWF_TOML, PRESET, split_preset


def validate(cwd: Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "aiwf", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    split_preset(tmp_path / "specs")
    (tmp_path / "aiwf.toml").write_text(AIWF_TOML, encoding="utf-8")
    return tmp_path


def test_a_file_of_a_configured_spec_directory_validates_the_directory(project: Path) -> None:
    assert validate(project, "specs/support.aiwf.yaml") == (0, "")
    # Alone (no project config), the same file does not compile: its schemas are elsewhere.
    code, out = validate(project, "--config", os.devnull, "specs/support.aiwf.yaml")
    assert code == 1
    assert "specs/support.aiwf.yaml:" in out
    assert "error[E032]: unknown schema 'Ticket'" in out


def test_each_spec_is_validated_once_and_paths_stay_as_typed(project: Path) -> None:
    contracts = project / "specs" / "contracts.aiwf.yaml"
    contracts.write_text(
        contracts.read_text(encoding="utf-8").replace("type: integer", "type: intger"),
        encoding="utf-8",
    )
    code, out = validate(project, "specs/support.aiwf.yaml", "specs/contracts.aiwf.yaml")
    assert code == 1
    assert out.count("error[E051]") == 1, out
    assert out.startswith("specs/contracts.aiwf.yaml:"), out


def test_files_outside_configured_directories_are_validated_as_given(project: Path) -> None:
    (project / "other.aiwf.yaml").write_text(PRESET.read_text(encoding="utf-8"), encoding="utf-8")
    assert validate(project, "other.aiwf.yaml", "specs/support.aiwf.yaml") == (0, "")
    code, out = validate(project, "--config", os.devnull, "other.aiwf.yaml")
    assert (code, out) == (0, "")


def test_a_configured_single_file_spec_is_unchanged(tmp_path: Path) -> None:
    (tmp_path / "support.aiwf.yaml").write_text(
        PRESET.read_text(encoding="utf-8").replace("assistant: classify", "assistant: nope"),
        encoding="utf-8",
    )
    (tmp_path / "aiwf.toml").write_text('spec = "support.aiwf.yaml"\n', encoding="utf-8")
    code, out = validate(tmp_path, "support.aiwf.yaml")
    assert code == 1
    assert out.startswith("support.aiwf.yaml:"), out


def test_validate_stays_import_light(project: Path) -> None:
    code = (
        "import sys\n"
        "from aiwf._cli import main\n"
        "try:\n    main(['validate', 'specs/support.aiwf.yaml'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('pydantic', 'httpx', 'aiohttp', 'copier', 'jsonschema') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok"
