"""Upgrading an SDK as a user lives it: templates at v0.1.0 then v0.2.0 (a migration, a
changed scaffold file, a changed generated template), consumer edits in between."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sdkgen_support import PRESETS, commit_all, git, make_template_repo, run_cli

SPEC = next(p for p in PRESETS if p.name == "ticket-triage.aiwf.yaml")
MIGRATION = """import os
from pathlib import Path

Path("MIGRATED.txt").write_text(f"{os.environ['VERSION_FROM']} -> {os.environ['VERSION_TO']}\\n")
"""
MIGRATIONS_YAML = """_migrations:
  - version: v0.2.0
    when: "{{ _stage == 'after' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/copier-templates/python/migrations/v0_2_0.py"]
"""


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository with tags v0.1.0 and v0.2.0."""
    repo = make_template_repo(tmp_path_factory.mktemp("upgrade") / "templates", "v0.1.0")
    (repo / "copier-templates" / "VERSION").write_text("0.2.0\n", encoding="utf-8")
    copier_yml = repo / "copier.yml"
    copier_yml.write_text(
        copier_yml.read_text().replace("_migrations: []\n", MIGRATIONS_YAML), encoding="utf-8"
    )
    (repo / "copier-templates/python/migrations/v0_2_0.py").write_text(MIGRATION)
    readme = repo / "copier-templates/python/scaffold/README.md.jinja"
    readme.write_text(readme.read_text() + "\nTemplate v0.2.0 adds this line.\n")
    contracts = repo / "copier-templates/python/generated/src/{{ package }}/contracts.py.jinja"
    contracts.write_text(
        contracts.read_text().replace("as pydantic models.", "as pydantic v2 models.")
    )
    commit_all(repo, "v0.2.0", "v0.2.0")
    return repo


def _old_tree(templates: Path, dest: Path) -> Path:
    """The v0.1.0 working tree (what an older aiwf has installed)."""
    git(templates.parent, "clone", "-q", "--branch", "v0.1.0", str(templates), str(dest))
    return dest


@pytest.fixture
def project(templates: Path, tmp_path: Path) -> Path:
    """An SDK made at v0.1.0, then edited by its consumer and committed."""
    old = _old_tree(templates, tmp_path / "old-templates")
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    shutil.copy2(SPEC, project / "support.aiwf.yaml")
    result = run_cli(
        ["sdk", "support.aiwf.yaml", "--out", "sdk", "--package", "support_ai",
         "--template", str(templates)],
        project,
        old,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answers = (project / "sdk/.copier-answers.yml").read_text()
    assert "_commit: v0.1.0" in answers
    readme = project / "sdk/README.md"
    readme.write_text("Consumer notes at the top.\n\n" + readme.read_text(), encoding="utf-8")
    (project / "sdk/src/support_ai/mine.py").write_text("MINE = 1\n", encoding="utf-8")
    commit_all(project, "sdk at v0.1.0 with my edits")
    return project


def _assert_upgraded(sdk: Path) -> None:
    readme = (sdk / "README.md").read_text()
    assert readme.startswith("Consumer notes at the top.\n")
    assert "Template v0.2.0 adds this line." in readme
    assert (sdk / "src/support_ai/mine.py").read_text() == "MINE = 1\n"
    assert (sdk / "MIGRATED.txt").read_text().strip() == "v0.1.0 -> v0.2.0"
    assert "_commit: v0.2.0" in (sdk / ".copier-answers.yml").read_text()


def test_aiwf_upgrade_keeps_edits_runs_migration_regenerates(
    project: Path, templates: Path
) -> None:
    before = run_cli(["check", "sdk"], project, templates)
    assert before.exit_code == 1
    assert "behind" in before.output
    assert "stale" in before.output
    result = run_cli(["upgrade", "sdk"], project, templates)
    assert result.exit_code == 0, result.output
    assert "v0.1.0 -> v0.2.0" in result.output
    _assert_upgraded(project / "sdk")
    assert "as pydantic v2 models." in (project / "sdk/src/support_ai/contracts.py").read_text()
    after = run_cli(["check", "sdk"], project, templates)
    assert after.exit_code == 0, after.output


def test_plain_copier_update_works_too(project: Path, templates: Path) -> None:
    copier = Path(sys.executable).parent / "copier"
    assert copier.exists(), "copier is required by this test"
    proc = subprocess.run(
        [str(copier), "update", "--trust", "--defaults", "--vcs-ref", "v0.2.0", "sdk"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _assert_upgraded(project / "sdk")
    # copier does not touch the generated layer: aiwf check says so, aiwf sdk fixes it
    stale = run_cli(["check", "sdk"], project, templates)
    assert stale.exit_code == 1
    assert "contracts.py: stale" in stale.output
    assert run_cli(["sdk", "support.aiwf.yaml", "--out", "sdk", "--package", "support_ai"],
                   project, templates).exit_code == 0  # fmt: skip
    assert run_cli(["check", "sdk"], project, templates).exit_code == 0


def test_conflicting_edit_fails_upgrade_and_check(project: Path, templates: Path) -> None:
    readme = project / "sdk/README.md"
    text = readme.read_text()
    # the consumer rewrote the last line, which the template also changes
    lines = text.rstrip("\n").split("\n")
    lines[-1] = "Check it my own way."
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    commit_all(project, "my README ending")
    result = run_cli(["upgrade", "sdk"], project, templates)
    assert result.exit_code == 1, result.output
    assert "README.md" in result.output
    assert "conflict" in result.output
    check = run_cli(["check", "sdk"], project, templates)
    assert check.exit_code == 1
    assert "sdk/README.md: conflict:" in check.output
