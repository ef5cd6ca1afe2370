"""Every supported case of the JSON-Schema-Test-Suite gets the suite's verdict in every
target: the IR validator, the Python SDK's models, the Go SDK's decode + Validate and the
TypeScript SDK's parseX; the Go and TypeScript runtimes also report the engine's problems,
word for word. Unsupported groups are listed by the report, never hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_target
from .suite import TARGETS, Outcome, Suite, disagreements


def test_the_suite_is_found_and_mostly_supported(suite: Suite) -> None:
    assert len(suite.files) >= 28, suite.files
    assert len(suite.cases) >= 461, len(suite.cases)
    for group in suite.unsupported:
        assert group.reason, group
    # The keywords the contract promises are all exercised by supported groups.
    supported_files = {g.file for g in suite.supported}
    for keyword in (
        "type", "enum", "const", "required", "properties", "additionalProperties", "items",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "anyOf",
        "oneOf", "allOf", "ref",
    ):  # fmt: skip
        assert keyword in supported_files, keyword


@pytest.mark.parametrize("target", TARGETS)
def test_every_supported_case_agrees_with_the_suite(
    target: str, suite: Suite, suite_workdir: Path, outcomes: dict[str, list[Outcome]]
) -> None:
    results = run_target(target, suite, suite_workdir, outcomes)
    assert len(results) == len(suite.cases)
    problems = disagreements(results)
    assert not problems, (
        f"{target}: {len(problems)} of {len(results)} cases disagree:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("target", ["go", "typescript"])
def test_every_runtime_reports_the_engines_problems(
    target: str, suite: Suite, suite_workdir: Path, outcomes: dict[str, list[Outcome]]
) -> None:
    """docs/wire.md §6: every runner reports the same problems, in the same order, in the
    same words, as the engine (the IR validator) does, for every case of the suite."""
    engine = run_target("ir", suite, suite_workdir, outcomes)
    theirs = run_target(target, suite, suite_workdir, outcomes)
    differ = []
    for mine, other in zip(engine, theirs, strict=True):
        assert other.problems is not None, f"{target} reports no problems for {other.case.label}"
        if other.problems != mine.problems:
            differ.append(f"{mine.case.label}: engine {list(mine.problems or ())}, "
                          f"{target} {list(other.problems)}")  # fmt: skip
    assert not differ, f"{len(differ)} of {len(engine)} cases differ:\n" + "\n".join(differ[:20])


def test_unsupported_groups_are_reported_with_a_reason(suite: Suite) -> None:
    from .report import unsupported

    text = unsupported(suite)
    assert "prefixItems" in text
    assert "E050" in text
    assert text.count("\n- ") == len(suite.unsupported)


def test_the_engines_predicates_agree_with_its_traversal(suite: Suite) -> None:
    """The compiled predicates the engine checks valid values with say yes exactly where the
    validator's full traversal finds no problem, on every case of the suite."""
    from aiwf._ir.validate import Validator

    validator = Validator(suite.program.contract_type)
    differ = []
    for case in suite.cases:
        typ = suite.program.contract_type(case.contract)
        try:
            fast = validator.is_valid(case.data, typ)
        except Exception as exc:  # a crash is a disagreement, shown with its reason
            differ.append(f"{case.label}: {type(exc).__name__}: {exc}")
            continue
        if fast is not validator.traversed_valid(case.data, typ):
            differ.append(f"{case.label}: predicate {fast}")
    assert len(suite.cases) > 400
    assert not differ, f"{len(differ)} cases differ:\n" + "\n".join(differ[:20])
