"""``import aiwf.nox`` in a consumer's noxfile, run by the real nox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from integration_support import make_consumer, require, run

NOXFILE = """\
import nox

import aiwf.nox  # noqa: F401  (registers the aiwf-* sessions)

nox.options.sessions = ["tests"]


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    session.log("the consumer's own tests")
"""


@pytest.fixture
def consumer(tmp_path: Path, project_repo: Path) -> Path:
    repo = make_consumer(tmp_path / "consumer")
    (repo / "noxfile.py").write_text(NOXFILE, encoding="utf-8")
    return repo


def test_sessions_are_listed_with_their_tags(consumer: Path) -> None:
    listed = run([require("nox"), "-l"], consumer)
    assert listed.code == 0, str(listed)
    assert re.search(r"^- aiwf-validate \[aiwf\] -> Validate", listed.out, re.M), listed.out
    assert re.search(r"^- aiwf-check \[aiwf\] -> ", listed.out, re.M), listed.out
    assert re.search(r"^- aiwf-generate -> Regenerate", listed.out, re.M), listed.out
    assert re.search(r"^- aiwf-test-python \[aiwf,aiwf-test\] -> ", listed.out, re.M)
    assert "aiwf-test-go" not in listed.out, "only the configured SDK languages get a session"
    assert re.search(r"^\* tests", listed.out, re.M), listed.out


def test_the_aiwf_tag_runs_validate_check_and_the_sdk_tests(consumer: Path) -> None:
    result = run([require("nox"), "-t", "aiwf"], consumer)
    assert result.code == 0, str(result)
    for name in ("aiwf-validate", "aiwf-check", "aiwf-test-python"):
        assert f"* {name}: success" in result.out, result.out
    assert "aiwf-generate" not in result.out, "the tag selects the gates only"
    assert "sdk/python: python SDK support_ai is in step" in result.out
    assert re.search(r"\d+ passed", result.out), "the SDK's own smoke tests ran"


def test_check_session_fails_on_a_stale_sdk_and_generate_fixes_it(consumer: Path) -> None:
    spec = consumer / "specs" / "support.aiwf.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("most urgent first", "most urgent on top"),
        encoding="utf-8",
    )
    failed = run([require("nox"), "-s", "aiwf-validate", "aiwf-check"], consumer)
    assert failed.code == 1, str(failed)
    assert "* aiwf-validate: success" in failed.out
    assert "* aiwf-check: failed" in failed.out
    assert "hint: run aiwf sdk" in failed.out

    fixed = run([require("nox"), "-s", "aiwf-generate", "aiwf-check"], consumer)
    assert fixed.code == 0, str(fixed)
    assert "* aiwf-check: success" in fixed.out
