"""Every supported case of the JSON-Schema-Test-Suite gets the suite's verdict in every
target: the IR validator, the Python SDK's models, the Go SDK's decode + Validate and the
TypeScript SDK's parseX. Unsupported groups are listed by the report, never hidden."""

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


def test_unsupported_groups_are_reported_with_a_reason(suite: Suite) -> None:
    from .report import unsupported

    text = unsupported(suite)
    assert "prefixItems" in text
    assert "E050" in text
    assert text.count("\n- ") == len(suite.unsupported)
