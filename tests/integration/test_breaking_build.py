"""``aiwf breaking`` in a consumer's build: the ``aiwf-breaking`` pre-commit hook (run by
the real pre-commit, installed from a git copy of this project) and the ``aiwf-breaking``
nox session (run by the real nox)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from integration_support import Run, git, make_consumer, require, run, tool_env

CONTRACTS = "specs/contracts.aiwf.yaml"
REASON = "      reason:\n        type: string\n        description: One sentence on why.\n"


def hooks(project: Path, rev: str) -> str:
    return f"""\
repos:
  - repo: {project}
    rev: {rev}
    hooks:
      - id: aiwf-breaking
"""


@pytest.fixture
def consumer(tmp_path: Path, project_repo: Path, project_rev: str, pre_commit_home: Path) -> Path:
    repo = make_consumer(tmp_path / "consumer", hooks(project_repo, project_rev))
    installed = run([require("pre-commit"), "install"], repo,
                    tool_env(PRE_COMMIT_HOME=str(pre_commit_home)))  # fmt: skip
    assert installed.code == 0, str(installed)
    return repo


def commit(repo: Path, home: Path) -> Run:
    git(repo, "add", "-A")
    return run(["git", "commit", "-q", "-m", "change"], repo, tool_env(PRE_COMMIT_HOME=str(home)))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_hook_blocks_a_breaking_commit_until_it_is_accepted(
    consumer: Path, pre_commit_home: Path
) -> None:
    base = git(consumer, "rev-parse", "HEAD").strip()
    edit(consumer / CONTRACTS, REASON, "")  # an output property of Triage: an error
    blocked = commit(consumer, pre_commit_home)
    assert blocked.code != 0, str(blocked)
    assert re.search(
        r"aiwf breaking \(spec changes that break SDK consumers\)\.+Failed", blocked.out
    )
    # Against the merge base with main (here HEAD): a removal points into the old spec.
    found = re.search(
        rf"^{base[:12]}:{CONTRACTS}:(\d+):7: error\[output-property-removed\]: Triage\.reason: "
        r"optional property is removed \(output of assistant classify, workflow triage\)",
        blocked.out, re.M,
    )  # fmt: skip
    assert found, blocked.out
    fingerprints = re.findall(r"fingerprint: ([0-9a-f]{16})", blocked.out)
    assert len(fingerprints) == 2, blocked.out
    # Triage is also the input of summarize (closed): removing a key breaks that way too.
    assert "error[input-property-removed-closed]: Triage.reason" in blocked.out
    assert "2 changes: 2 errors" in blocked.out
    assert git(consumer, "rev-list", "--count", "HEAD").strip() == "1"
    # Accepted once, in review, by fingerprint (never by message text): the commit goes in.
    with (consumer / "aiwf.toml").open("a", encoding="utf-8") as config:
        for fingerprint in fingerprints:
            config.write(f'\n[[breaking.accept]]\nfingerprint = "{fingerprint}"\n'
                         'reason = "reason was never filled in"\n')  # fmt: skip
    done = commit(consumer, pre_commit_home)
    assert done.code == 0, str(done)
    assert re.search(r"aiwf breaking \(spec changes that break SDK consumers\)\.+Passed", done.out)


def test_hook_passes_a_compatible_commit(consumer: Path, pre_commit_home: Path) -> None:
    edit(consumer / CONTRACTS, "      body:\n        type: string\n",
         "      body:\n        type: string\n      locale:\n        type: string\n")  # fmt: skip
    result = commit(consumer, pre_commit_home)
    assert result.code == 0, str(result)
    assert re.search(
        r"aiwf breaking \(spec changes that break SDK consumers\)\.+Passed", result.out
    )


NOXFILE = """\
import nox

import aiwf.nox  # noqa: F401  (registers the aiwf-* sessions)
"""


def test_nox_session_reports_with_annotations_under_github_actions(
    tmp_path: Path, project_repo: Path
) -> None:
    repo = make_consumer(tmp_path / "consumer")
    (repo / "noxfile.py").write_text(NOXFILE, encoding="utf-8")
    listed = run([require("nox"), "-l"], repo)
    assert re.search(r"^- aiwf-breaking -> Fail on spec changes", listed.out, re.M), listed.out
    clean = run([require("nox"), "-s", "aiwf-breaking"], repo)
    assert clean.code == 0, str(clean)
    assert "no changes" in clean.out
    edit(repo / CONTRACTS, REASON, "")
    failed = run([require("nox"), "-s", "aiwf-breaking", "--", "--against", "HEAD"], repo,
                 tool_env(GITHUB_ACTIONS="true"))  # fmt: skip
    assert failed.code == 1, str(failed)
    assert re.search(
        r"^::error file=HEAD%3Aspecs/contracts\.aiwf\.yaml,line=\d+,col=7,"
        r"title=aiwf output-property-removed::Triage\.reason: ",
        failed.out,
        re.M,
    ), failed.out
