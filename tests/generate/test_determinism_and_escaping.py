"""Same IR + template version -> byte-identical files; any spec string carried exactly."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from sdkgen_support import PRESETS, ROOT, SPECS, compile_path, golden_files

from aiwf._generate.templates import locate
from aiwf._ir.types import EnumType, ObjectType

HOSTILE = SPECS / "hostile.aiwf.yaml"


@pytest.mark.parametrize("spec", [*PRESETS, HOSTILE], ids=lambda p: p.name)
def test_two_renders_in_different_directories_are_identical(spec: Path, tmp_path: Path) -> None:
    a = golden_files(spec, "pkg", locate(), tmp_path / "one")
    b = golden_files(spec, "pkg", locate(), tmp_path / "elsewhere" / "two")
    assert a == b
    assert all(str(tmp_path) not in text for text in a.values())


def test_renders_in_separate_processes_are_identical(tmp_path: Path) -> None:
    script = (
        "import sys, json; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from sdkgen_support import golden_files; from aiwf._generate.templates import locate;"
        "print(json.dumps(golden_files(Path(sys.argv[2]), 'pkg', locate(), Path(sys.argv[3]))))"
    )
    outs = []
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-c", script, str(Path(__file__).parent), str(HOSTILE),
             str(tmp_path / f"run{seed}")],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, typing.Any]:
    """The hostile spec's SDK written out and imported."""
    root = tmp_path_factory.mktemp("hostile")
    files = golden_files(HOSTILE, "hostile_sdk", locate(), root)
    sdk = root / "sdk" / "python"
    for rel, text in files.items():
        (sdk / rel).parent.mkdir(parents=True, exist_ok=True)
        (sdk / rel).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(sdk / "src"))
    try:
        return sdk, importlib.import_module("hostile_sdk")
    finally:
        sys.path.remove(str(sdk / "src"))


def test_hostile_spec_strings_arrive_exactly(hostile: tuple[Path, typing.Any]) -> None:
    _, module = hostile
    program = compile_path(HOSTILE)
    embedded = module.client.Client().program  # what the SDK runs, read back from its IR
    instructions = embedded.assistants["import"].instructions
    assert instructions == program.assistants["import"].instructions
    assert "\u2028" in instructions
    assert "😀" in instructions
    assert embedded.digest() == program.digest()
    contract = program.contracts["class"].type
    assert isinstance(contract, ObjectType)
    model = module.contracts.Class
    aliases = {f.alias or name for name, f in model.model_fields.items()}
    assert aliases == {p.name for p in contract.properties}
    assert model.__doc__ == contract.description
    emoji = contract.property("emoji 😀")
    assert emoji is not None
    assert isinstance(emoji.type, EnumType)
    field = next(f for f in model.model_fields.values() if f.alias == "emoji 😀")
    literal = next(a for a in typing.get_args(field.annotation) if typing.get_args(a))
    assert typing.get_args(literal) == emoji.type.values
    # the exact keys round-trip through the model
    data = {p.name: None for p in contract.properties if p.required}
    data.update({"def": "d", "2fa": 2, "first-name": "a", "First_Name": "b", "model_config": True})
    data["emoji 😀"] = "\u2028"
    dumped = model.model_validate(data).model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == data
    assert module.SPEC_NAME == "hostile"


def test_hostile_sdk_passes_mypy_strict(hostile: tuple[Path, typing.Any]) -> None:
    sdk, _ = hostile
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-untyped-imports",
         "src"],
        cwd=sdk, capture_output=True, text=True, check=False,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
