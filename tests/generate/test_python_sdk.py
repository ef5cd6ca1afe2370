"""The Python SDK of every preset: goldens, headers, install, mypy --strict, ruff, its tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sdkgen_support import GOLDEN, PRESETS, SdkEnv, golden_files, read_tree, readme_example

from aiwf._generate.render import HEADER
from aiwf._generate.templates import locate


@pytest.mark.parametrize("spec", PRESETS, ids=[p.name for p in PRESETS])
def test_golden_snapshot(spec: Path, tmp_path: Path) -> None:
    """Refresh with: AIWF_UPDATE_GOLDEN=1 pytest tests/generate -k golden

    Goldens are stored with a ``.golden`` suffix so that linters, formatters and pytest
    leave them alone."""
    stem = spec.name.split(".")[0]
    rendered = golden_files(spec, stem.replace("-", "_"), locate(), tmp_path)
    files = {f"{rel}.golden": text for rel, text in rendered.items()}
    golden = GOLDEN / stem
    if os.environ.get("AIWF_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, text in files.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8")
    assert golden.is_dir(), f"no golden for {stem}: run AIWF_UPDATE_GOLDEN=1 pytest tests/generate"
    assert read_tree(golden) == files


def test_generated_files_carry_the_header(preset_sdk: tuple[Path, SdkEnv]) -> None:
    sdk, _ = preset_sdk
    manifest = (sdk / ".aiwf" / "manifest.json").read_text(encoding="utf-8")
    generated = [p for p in sdk.rglob("*.py") if f'"{p.relative_to(sdk).as_posix()}"' in manifest]
    assert len(generated) == 7
    for path in generated:
        assert path.read_text(encoding="utf-8").startswith(f"# {HEADER}\n"), path
    assert HEADER not in (sdk / "src" / "preset_sdk" / "extensions.py").read_text()


def test_sdk_passes_mypy_strict(preset_sdk: tuple[Path, SdkEnv]) -> None:
    sdk, env = preset_sdk
    proc = env.run("-m", "mypy", "--strict", "--no-incremental", cwd=sdk)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_sdk_passes_ruff(preset_sdk: tuple[Path, SdkEnv]) -> None:
    sdk, env = preset_sdk
    lint = env.run("-m", "ruff", "check", "--no-cache", ".", cwd=sdk)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = env.run("-m", "ruff", "format", "--check", "--no-cache", ".", cwd=sdk)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_sdk_installs_and_its_smoke_tests_pass(preset_sdk: tuple[Path, SdkEnv]) -> None:
    sdk, env = preset_sdk
    where = env.run("-c", "import preset_sdk; print(preset_sdk.__file__)", cwd=sdk.parent)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(sdk / "src")
    proc = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=sdk)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout
    assert "failed" not in proc.stdout


@pytest.mark.parametrize("preset_sdk", ["contracts-only.aiwf.yaml"], indirect=True)
def test_readme_example_typechecks_for_a_spec_without_workflows(
    preset_sdk: tuple[Path, SdkEnv],
) -> None:
    """The README's example names nothing a spec may lack: it passes mypy --strict in a
    consumer's module even for a spec with no assistant and no workflow."""
    sdk, env = preset_sdk
    consumer = sdk.parent / "consumer"
    consumer.mkdir(exist_ok=True)
    (consumer / "example.py").write_text(readme_example(sdk, "python"), encoding="utf-8")
    proc = env.run("-m", "mypy", "--strict", "--no-incremental", "example.py", cwd=consumer)
    assert proc.returncode == 0, proc.stdout + proc.stderr
