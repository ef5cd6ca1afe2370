"""examples/: one SDK per preset and registered target, in step on a fresh tagless clone, and
checked by the nox sessions CI runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from integration_support import ROOT, project_files, require, run, tool_env

from aiwf._generate.manifest import Manifest
from aiwf._generate.targets import TARGETS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXAMPLES = ROOT / "examples"
PRESETS = sorted(p.name.split(".")[0] for p in (ROOT / "presets" / "workflows").glob("*.aiwf.yaml"))


def test_every_preset_has_an_sdk_for_every_registered_target() -> None:
    config = tomllib.loads((EXAMPLES / "aiwf.toml").read_text(encoding="utf-8"))
    listed = {(Path(sdk["out"]).parent.name, sdk["lang"]) for sdk in config["sdk"]}
    assert listed == {(preset, lang) for preset in PRESETS for lang in TARGETS}, (
        "run nox -s examples"
    )
    for sdk in config["sdk"]:
        manifest = Manifest.read(EXAMPLES / sdk["out"])
        assert manifest is not None, f"examples/{sdk['out']}: not generated (nox -s examples)"
        assert manifest.lang == sdk["lang"]


def test_examples_carry_no_machine_paths_and_no_build_outputs() -> None:
    files = [f for f in project_files() if f.startswith("examples/")]
    outputs = ("node_modules/", "__pycache__/", "/dist/", ".mypy_cache/", ".egg-info/")
    assert not [f for f in files if any(part in f for part in outputs)]
    for rel in files:
        text = (ROOT / rel).read_text(encoding="utf-8", errors="replace")
        assert str(ROOT) not in text, f"{rel} names this checkout's absolute path"


def test_examples_are_in_step_on_a_fresh_tagless_clone(project_repo: Path) -> None:
    # project_repo is this tree committed anew without tags: what CI's clone looks like.
    result = run(
        [require("aiwf"), "--config", "examples/aiwf.toml", "check"],
        project_repo,
        tool_env(),
    )
    assert result.code == 0, str(result)
    assert result.out.count("is in step") == len(PRESETS) * len(TARGETS), result.out


def test_ci_runs_the_examples_drift_check() -> None:
    assert "nox --no-venv" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    listed = run([require("nox"), "--list", "--json"], ROOT)
    assert listed.code == 0, str(listed)
    selected = [s["name"] for s in json.loads(listed.out.strip().splitlines()[-1])]
    assert "examples-check" in selected
    assert "tests" in selected
