"""The inputs digest a manifest records: what an SDK is made from, and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiwf._generate.inputs import inputs_digest
from aiwf._generate.jobs import SdkJob
from aiwf._generate.targets import get_target
from aiwf._generate.templates import TemplateTree

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "tests" / "generate" / "specs" / "review-chain.aiwf.yaml"
_BUILD = shutil.ignore_patterns("node_modules", "dist", "__pycache__")


@pytest.fixture
def tree(tmp_path: Path) -> TemplateTree:
    root = tmp_path / "tree"
    shutil.copytree(REPO / "copier-templates", root / "copier-templates", ignore=_BUILD)
    shutil.copytree(REPO / "runtimes", root / "runtimes", ignore=_BUILD)
    shutil.copy(REPO / "copier.yml", root / "copier.yml")
    return TemplateTree(root)


@pytest.mark.parametrize("lang", ["typescript", "go"])
def test_a_runtime_trees_build_output_is_not_an_input(tree: TemplateTree, lang: str) -> None:
    # A checkout that built or installed the runtime (dist/, node_modules/) and a fresh clone
    # that did not must record the same digest, or every golden differs between them.
    target = get_target(lang)
    job = SdkJob(lang, tree.root / "out", "review_chain", SPEC)
    before = inputs_digest(job, tree, target)
    runtime = tree.root / "runtimes" / lang
    for stray in ("dist/index.js", "node_modules/x/index.js", "coverage.out"):
        (runtime / stray).parent.mkdir(parents=True, exist_ok=True)
        (runtime / stray).write_text("built\n")
    assert inputs_digest(job, tree, target) == before

    assert target.runtime is not None
    copied = sorted(target.runtime.files(runtime).values())
    source = runtime / copied[0]
    source.write_text(source.read_text() + "\n")
    assert inputs_digest(job, tree, target) != before
