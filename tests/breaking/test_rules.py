"""A spec pair per rule (tests/breaking/cases.py): the rule fires, at its level, with what
it affects, at the marked position (the new spec, or the old one for removals), and nothing
else fires; wire breaks are shown with a JSON value and the real contract validator."""

from __future__ import annotations

from pathlib import Path

import pytest
from breaking_support import breaking_json, marker, write_pair
from cases import CASES, HEADER, Case

from aiwf._breaking import compare_specs
from aiwf._breaking.rules import RULES
from aiwf._config import ProjectConfig
from aiwf.runtime._structured import validate

REPORTED = [c for c in CASES if c.level != "none"]
SILENT = [c for c in CASES if c.level == "none"]


@pytest.mark.parametrize("case", REPORTED, ids=[c.id for c in REPORTED])
def test_rule_fires_with_its_level_targets_and_position(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old, new = write_pair(tmp_path, case)
    code, findings = breaking_json("--spec", new.name, "--against", old.name, "--fail-on", "info")
    assert code == 1
    expected = {case.rule, *(r for r in case.also if RULES[r].level != "none")}
    assert {f["rule"] for f in findings} == expected, findings
    finding = next(f for f in findings if f["rule"] == case.rule)
    assert finding["severity"] == finding["level"] == case.level
    assert finding["code"] == case.rule
    assert ("wire" in finding["affects"]) == case.wire
    assert set(finding["affects"]) == set(RULES[case.rule].affects)
    side = new if marker(new.read_text()) is not None else old
    assert (finding["file"], finding["line"], finding["column"]) == (
        side.name,
        *marker(side.read_text()),  # type: ignore[misc]
    ), finding
    assert finding["message"].startswith(finding["subject"] + ": ")
    assert finding["hint"]
    assert len(finding["fingerprint"]) == 16


@pytest.mark.parametrize("case", SILENT, ids=[c.id for c in SILENT])
def test_compatible_change_is_recorded_but_not_reported(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old, new = write_pair(tmp_path, case)
    code, findings = breaking_json("--spec", new.name, "--against", old.name, "--fail-on", "info")
    assert (code, findings) == (0, [])
    changes = compare_specs(new, str(old), ProjectConfig()).changes
    assert {c.rule for c in changes} == {case.rule, *case.also}
    change = next(c for c in changes if c.rule == case.rule)
    side = new if marker(new.read_text()) is not None else old
    assert change.position is not None
    assert (change.position.line, change.position.column) == marker(side.read_text())


WIRE = [c for c in CASES if c.wire]


@pytest.mark.parametrize("case", WIRE, ids=[c.id for c in WIRE])
def test_wire_break_is_real(case: Case, tmp_path: Path) -> None:
    """The case's JSON value: an input the old contract takes and the new one refuses, or an
    output the new contract allows and the old one refuses (the SDKs' own validator)."""
    old, new = write_pair(tmp_path, case)
    result = compare_specs(new, str(old), ProjectConfig())
    assert case.contract is not None
    old_schema = result.old.json_schema(case.contract)
    new_schema = result.new.json_schema(case.contract)
    if case.rule.startswith("input-"):
        accepted, refused = old_schema, new_schema
    else:
        accepted, refused = new_schema, old_schema
    assert validate(case.instance, accepted) is None
    assert validate(case.instance, refused) is not None


def test_every_rule_has_a_case_and_every_wire_claim_an_instance() -> None:
    assert {c.rule for c in CASES} == set(RULES)
    for rule in RULES.values():
        cases = [c for c in CASES if c.rule == rule.id]
        assert {c.level for c in cases} == {rule.level}, rule.id
        assert any(c.wire for c in cases) == ("wire" in rule.affects), rule.id
    assert all(c.instance is not None for c in WIRE)


def test_cases_fit_in_one_spec_pair(tmp_path: Path) -> None:
    """All cases at once (the measured SDK pair) report exactly the union of the cases."""
    from cases import spec

    (tmp_path / "old.aiwf.yaml").write_text(spec([c.old for c in CASES]), encoding="utf-8")
    (tmp_path / "new.aiwf.yaml").write_text(spec([c.new for c in CASES]), encoding="utf-8")
    combined = compare_specs(tmp_path / "new.aiwf.yaml", str(tmp_path / "old.aiwf.yaml"),
                             ProjectConfig()).changes  # fmt: skip
    expected = {(c.rule, c.id) for c in CASES} | {(r, c.id) for c in CASES for r in c.also}
    found = {(ch.rule, _case_of(ch.subject)) for ch in combined}
    assert found == expected


def _case_of(subject: str) -> str:
    """The case a subject belongs to (every case's names start with its id)."""
    import re

    lower = subject.lower()
    for case_id in sorted((c.id for c in CASES), key=len, reverse=True):
        if re.search(rf"\b{case_id}", lower):
            return case_id
    raise AssertionError(subject)


def test_header_is_valid() -> None:
    assert HEADER.startswith("aiwf: 1\n")
