"""``aiwf changelog``: the Markdown section (breaking / removed / changed / added, per
workflow and assistant, names per language) and the SemVer bump."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spec_support import run_cli
from test_gate import BASE

from aiwf._breaking import compare_specs
from aiwf._breaking.changelog import bump_for, next_version, parse_version
from aiwf._config import ProjectConfig
from aiwf._errors import UsageError


def _changelog(tmp: Path, new: str, *args: str) -> str:
    (tmp / "old.aiwf.yaml").write_text(BASE, encoding="utf-8")
    (tmp / "new.aiwf.yaml").write_text(new, encoding="utf-8")
    run = run_cli("changelog", "--spec", str(tmp / "new.aiwf.yaml"), "--against",
                  str(tmp / "old.aiwf.yaml"), *args)  # fmt: skip
    assert run.code == 0, run.err
    return run.out


def _sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("### "):
            current = line[4:]
            out[current] = ""
        elif current:
            out[current] += line + "\n"
    return out


def test_sections_per_workflow_and_assistant_with_names_per_language(tmp_path: Path) -> None:
    new = (
        BASE.replace("      score: {type: number}\n", "")  # breaking (output)
        .replace("      tier: {enum: [free, pro]}\n", "")  # removed (input, a warning)
        .replace("Answer the ticket.", "Answer the ticket politely.")  # changed (info)
        .replace("      text: {type: string, title: Text}\n",
                 "      text: {type: string, title: Text}\n      lang: {type: string}\n")  # added
    )  # fmt: skip
    text = _changelog(tmp_path, new, "--current", "1.4.2")
    assert text.startswith(
        "## quiet 2.0.0\n\nSemVer: **major** (1.4.2 -> 2.0.0): 1 breaking change."
    )
    sections = _sections(text)
    assert list(sections) == ["Breaking", "Removed", "Changed", "Added"]
    breaking = sections["Breaking"]
    # Answer is the output of the assistant and (through a step) of the workflow.
    assert "#### workflow `reply`" in breaking
    assert "#### assistant `answer`" in breaking
    assert breaking.count("- `Answer.score`: optional property is removed — Python "
                          "`Answer.score`; Go `Answer.Score`; TypeScript `Answer.score`") == 2  # fmt: skip
    assert (
        "`Ticket.tier`: property is removed — Python `Ticket.tier`; Go `Ticket.Tier`"
        in sections["Removed"]
    )
    assert "- instructions changed" in sections["Changed"]
    assert "#### assistant `answer`" in sections["Changed"]
    assert (
        "`Answer.lang`: property is added — Python `Answer.lang`; Go `Answer.Lang`"
        in sections["Added"]
    )


def test_renamed_and_retyped_items_show_both_names(tmp_path: Path) -> None:
    new = BASE.replace("  Answer:\n", "  Reply:\n").replace("output: Answer", "output: Reply")
    new = new.replace("      id: {type: string, description: The ticket id.}",
                      "      id: {type: integer}")  # fmt: skip
    text = _changelog(tmp_path, new)
    assert text.startswith("## quiet: unreleased\n\nSemVer: **major**: ")
    assert "`schema Reply`: schema 'Answer' is renamed 'Reply' — Python `Answer -> Reply`; Go " \
           "`Answer -> Reply`; TypeScript `Answer -> Reply`" in text  # fmt: skip
    # `id` is a Python builtin: the generated field is `id_`, and the changelog says so.
    assert (
        "`Ticket.id`: type string -> integer — Python `Ticket.id_: str -> int`; Go "
        "`Ticket.Id: string -> int64`; TypeScript `Ticket.id: string -> number`"
    ) in text


@pytest.mark.parametrize(
    ("edit", "bump", "version"),
    [
        (("      score: {type: number}\n", ""), "major", "1.0.0"),
        (("      score: {type: number}\n", "      score: {type: number}\n      n: {type: integer}\n"),
         "minor", "0.4.0"),
        (("Answer the ticket.", "Answer the ticket, briefly."), "patch", "0.3.2"),
        (("maxLength", "maxLength"), None, "0.3.1"),
    ],
)  # fmt: skip
def test_bump_from_the_changes(
    edit: tuple[str, str], bump: str | None, version: str, tmp_path: Path
) -> None:
    (tmp_path / "old.aiwf.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "new.aiwf.yaml").write_text(BASE.replace(*edit), encoding="utf-8")
    result = compare_specs(tmp_path / "new.aiwf.yaml", str(tmp_path / "old.aiwf.yaml"),
                           ProjectConfig())  # fmt: skip
    assert bump_for(result.changes) == bump
    # Below 1.0.0 a breaking change is a minor bump; from 0.9.x it does not reach 1.0.0.
    assert next_version("0.3.1", bump) == ("0.4.0" if bump == "major" else version)
    if bump == "major":
        assert next_version("0.9.9", bump) == "0.10.0"
        assert next_version("1.4.2", bump) == "2.0.0"


def test_no_changes(tmp_path: Path) -> None:
    text = _changelog(tmp_path, BASE, "--current", "1.0.0")
    assert text == f"## quiet 1.0.0\n\nNo changes to the SDKs since {tmp_path / 'old.aiwf.yaml'}.\n"


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6),
       st.sampled_from(["major", "minor", "patch"]), st.sampled_from(["", "v"]),
       st.sampled_from(["", "-rc.1", "+build.7"]))  # fmt: skip
def test_versions_parse_and_only_grow(
    major: int, minor: int, patch: int, bump: str, prefix: str, suffix: str
) -> None:
    text = f"{prefix}{major}.{minor}.{patch}{suffix}"
    assert parse_version(text) == (major, minor, patch)
    after = parse_version(next_version(text, bump))
    assert after > (major, minor, patch)
    if bump == "major" and major > 0:
        assert after == (major + 1, 0, 0)


@pytest.mark.parametrize("text", ["1.2", "one.two.three", "1.2.3.4", "", "v-1.0.0"])
def test_bad_versions_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="not a SemVer version"):
        parse_version(text)
