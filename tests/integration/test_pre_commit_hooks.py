"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit in consumer repositories.

The hooks are ``language: python``: pre-commit pip-installs this project (a tagless git copy
of the working tree) into a virtualenv of its own, once per test run (one PRE_COMMIT_HOME),
exactly as it does for a consumer that pins a release.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from integration_support import Run, git, make_consumer, require, run, tool_env

SPEC = "specs/support.aiwf.yaml"


def config(project: Path, rev: str) -> str:
    """The consumer's .pre-commit-config.yaml: the issue's snippet, plus aiwf-sdk on demand."""
    return f"""\
repos:
  - repo: {project}
    rev: {rev}
    hooks:
      - id: aiwf-validate
      - id: aiwf-check
      - id: aiwf-sdk
        stages: [manual]
"""


@pytest.fixture
def consumer(tmp_path: Path, project_repo: Path, project_rev: str, pre_commit_home: Path) -> Path:
    repo = make_consumer(tmp_path / "consumer", config(project_repo, project_rev))
    assert pre_commit(repo, pre_commit_home, "install").code == 0
    return repo


def pre_commit(repo: Path, home: Path, *args: str) -> Run:
    return run([require("pre-commit"), *args], repo, tool_env(PRE_COMMIT_HOME=str(home)))


def commit(repo: Path, home: Path) -> Run:
    """``git commit`` of everything: the installed pre-commit hook runs."""
    git(repo, "add", "-A")
    return run(["git", "commit", "-q", "-m", "change"], repo, tool_env(PRE_COMMIT_HOME=str(home)))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_try_repo_validate_passes_on_one_file_of_a_multi_file_spec(
    consumer: Path, project_repo: Path
) -> None:
    # specs/support.aiwf.yaml uses models and schemas of specs/contracts.aiwf.yaml: it only
    # validates as part of the configured spec directory.
    result = run(
        [require("pre-commit"), "try-repo", str(project_repo), "aiwf-validate", "--files", SPEC],
        consumer,
    )
    assert result.code == 0, str(result)
    assert re.search(r"aiwf validate\.+Passed", result.out), result.out


def test_broken_spec_fails_the_commit_with_its_position(
    consumer: Path, pre_commit_home: Path
) -> None:
    edit(consumer / SPEC, "assistant: classify", "assistant: clasify")
    result = commit(consumer, pre_commit_home)
    assert result.code != 0, str(result)
    assert re.search(r"aiwf validate\.+Failed", result.out), result.out
    assert re.search(
        rf"^{re.escape(SPEC)}:\d+:\d+: error\[E031\]: unknown assistant 'clasify'", result.out, re.M
    ), result.out
    assert "hint: did you mean 'classify'?" in result.out
    assert git(consumer, "rev-list", "--count", "HEAD").strip() == "1"


def test_files_of_one_spec_directory_are_validated_once(
    consumer: Path, pre_commit_home: Path
) -> None:
    edit(consumer / "specs/contracts.aiwf.yaml", "type: integer", "type: intger")
    result = pre_commit(
        consumer,
        pre_commit_home,
        "run",
        "aiwf-validate",
        "--files",
        SPEC,
        "specs/contracts.aiwf.yaml",
    )
    assert result.code == 1, str(result)
    errors = re.findall(r"^specs/contracts\.aiwf\.yaml:\d+:\d+: error\[E051\]", result.out, re.M)
    assert len(errors) == 1, result.out


def test_stale_sdk_fails_aiwf_check_and_aiwf_sdk_fixes_it(
    consumer: Path, pre_commit_home: Path
) -> None:
    edit(consumer / SPEC, "most urgent first", "most urgent first, in plain words")

    blocked = commit(consumer, pre_commit_home)
    assert blocked.code != 0, str(blocked)
    assert re.search(r"aiwf validate\.+Passed", blocked.out), blocked.out
    assert re.search(r"aiwf check \(generated SDKs in step\)\.+Failed", blocked.out), blocked.out
    assert "sdk/python/.aiwf/manifest.json: stale: records the files above" in blocked.out
    assert "hint: run aiwf sdk, then stage it (git add sdk/python)" in blocked.out
    assert "@@" not in blocked.out, "the hook output stays short: no diff"

    regenerated = pre_commit(consumer, pre_commit_home, "run", "--hook-stage", "manual", "aiwf-sdk")
    assert regenerated.code == 1, str(regenerated)
    assert "error[G062]: regenerated 1 SDK(s)" in regenerated.out
    assert "hint: review and stage the changes (git add sdk/python), then commit again" in (
        regenerated.out
    )

    git(consumer, "add", "-A")  # as after a formatter hook: stage what it changed

    again = pre_commit(consumer, pre_commit_home, "run", "--hook-stage", "manual", "aiwf-sdk")
    assert again.code == 0, str(again)
    assert re.search(r"aiwf sdk \(regenerate SDKs\)\.+Passed", again.out), again.out

    done = commit(consumer, pre_commit_home)
    assert done.code == 0, str(done)
    assert re.search(r"aiwf check \(generated SDKs in step\)\.+Passed", done.out), done.out
    assert git(consumer, "status", "--porcelain") == ""


def test_an_sdk_regenerated_but_not_staged_gets_the_git_add_hint(
    consumer: Path, pre_commit_home: Path
) -> None:
    edit(consumer / SPEC, "most urgent first", "most urgent first, in plain words")
    regenerated = pre_commit(
        consumer, pre_commit_home, "run", "--hook-stage", "manual", "aiwf-sdk", "--all-files"
    )
    assert regenerated.code == 1, str(regenerated)
    assert "regenerated 1 SDK(s)" in regenerated.out
    git(consumer, "add", SPEC)  # the spec staged, the regenerated SDK not
    env = tool_env(PRE_COMMIT_HOME=str(pre_commit_home))
    blocked = run(["git", "commit", "-q", "-m", "change"], consumer, env)
    assert blocked.code != 0, str(blocked)
    assert re.search(r"aiwf check \(generated SDKs in step\)\.+Failed", blocked.out), blocked.out
    assert (
        "hint: run aiwf sdk, then stage it (git add sdk/python): pre-commit checks the staged "
        "files, so an SDK regenerated but not staged is still out of step here"
    ) in blocked.out, blocked.out
    # The hint's fix works: stage the SDK, commit again.
    git(consumer, "add", "sdk/python")
    done = run(["git", "commit", "-q", "-m", "change"], consumer, env)
    assert done.code == 0, str(done)


def test_a_clean_repository_passes_every_hook(consumer: Path, pre_commit_home: Path) -> None:
    result = pre_commit(consumer, pre_commit_home, "run", "--all-files")
    assert result.code == 0, str(result)
    assert re.search(r"aiwf validate\.+Passed", result.out), result.out
    assert re.search(r"aiwf check \(generated SDKs in step\)\.+Passed", result.out), result.out


def test_this_projects_own_hooks_pass_on_its_tree(project_repo: Path, tmp_path: Path) -> None:
    # .pre-commit-config.yaml: the aiwf hooks (repo: local) on presets and examples, and ruff.
    result = run(
        [require("pre-commit"), "run", "--all-files"],
        project_repo,
        tool_env(PRE_COMMIT_HOME=str(tmp_path / "home")),
    )
    assert result.code == 0, str(result)
    for name in ("aiwf validate (presets)", "aiwf check (examples in step)", "ruff check"):
        assert re.search(rf"{re.escape(name)}\.+Passed", result.out), result.out
