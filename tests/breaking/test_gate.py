"""The gate around the rules: changes that must not trigger anything, the project config
(rules to skip, changes accepted by fingerprint with a reason, fail_on), --list-rules, and
errors as one clear line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from breaking_support import breaking, breaking_json

from aiwf._breaking.rules import RULES

BASE = """\
aiwf: 1
name: quiet
models:
  fast: {provider: openai, model: gpt-x}
  slow: {provider: anthropic, model: claude-x, max_tokens: 100}
schemas:
  Ticket:
    type: object
    description: A support ticket.
    required: [id]
    properties:
      id: {type: string, description: The ticket id.}
      tags: {type: array, items: {type: string}}
      tier: {enum: [free, pro]}
  Answer:
    type: object
    required: [text]
    properties:
      text: {type: string, title: Text}
      score: {type: number}
assistants:
  answer:
    model: fast
    description: Answers a ticket.
    instructions: Answer the ticket.
    input: Ticket
    output: Answer
workflows:
  reply:
    description: Reply to a ticket.
    input: Ticket
    steps:
      - {id: a, assistant: answer, input: "${input}"}
    output: {answer: "${steps.a.output}", text: "${steps.a.output.text}"}
"""

#: Edits that change nothing an old caller sees: descriptions and titles, the order of map
#: keys (sections, schemas, properties, enum values, output keys), an optional input
#: property, an output property of an open object, the YAML style.
QUIET = {
    "descriptions only": [
        ("description: A support ticket.", "description: An incoming support ticket."),
        ("description: The ticket id.", "description: The id of the ticket."),
        ("title: Text", "title: Answer text"),
        ("description: Answers a ticket.", "description: Answers one ticket."),
        ("description: Reply to a ticket.", "description: Replies to a ticket."),
    ],
    "reordered map keys": [
        ("  fast: {provider: openai, model: gpt-x}\n  slow: {provider: anthropic, model: claude-x, max_tokens: 100}\n",
         "  slow: {max_tokens: 100, model: claude-x, provider: anthropic}\n  fast: {model: gpt-x, provider: openai}\n"),
        ("      id: {type: string, description: The ticket id.}\n      tags: {type: array, items: {type: string}}\n",
         "      tags: {items: {type: string}, type: array}\n      id: {description: The ticket id., type: string}\n"),
        ("      text: {type: string, title: Text}\n      score: {type: number}\n",
         "      score: {type: number}\n      text: {title: Text, type: string}\n"),
        ("tier: {enum: [free, pro]}", "tier: {enum: [pro, free]}"),
        ('output: {answer: "${steps.a.output}", text: "${steps.a.output.text}"}',
         'output: {text: "${steps.a.output.text}", answer: "${steps.a.output}"}'),
    ],
    "an added optional input property": [
        ("      tier: {enum: [free, pro]}\n", "      tier: {enum: [free, pro]}\n      locale: {type: string}\n"),
    ],
    "an added output property on an open object": [
        ("      score: {type: number}\n", "      score: {type: number}\n      sources: {type: array, items: {type: string}}\n"),
    ],
}  # fmt: skip


def _spec(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("edits", list(QUIET.values()), ids=list(QUIET))
def test_changes_that_must_not_trigger_anything(
    edits: list[tuple[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    _spec(tmp_path, "old.aiwf.yaml", BASE)
    _spec(tmp_path, "new.aiwf.yaml", text)
    code, findings = breaking_json("--spec", "new.aiwf.yaml", "--against", "old.aiwf.yaml",
                                   "--fail-on", "info")  # fmt: skip
    assert (code, findings) == (0, [])


def _pair(tmp: Path) -> None:
    """A change with one error (a removed output property), one warning (a removed input
    property) and one info (the instructions)."""
    _spec(tmp, "old.aiwf.yaml", BASE)
    new = (
        BASE.replace("      score: {type: number}\n", "")
        .replace("      tier: {enum: [free, pro]}\n", "")
        .replace("Answer the ticket.", "Answer the ticket politely.")
    )
    _spec(tmp, "new.aiwf.yaml", new)


def _config(tmp: Path, text: str) -> None:
    _spec(tmp, "aiwf.toml", 'spec = "new.aiwf.yaml"\n' + text)


def test_skip_and_fail_on_from_the_project_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _pair(tmp_path)
    _config(tmp_path, '[breaking]\nagainst = "old.aiwf.yaml"\n')
    code, findings = breaking_json()
    assert code == 1
    assert len(findings) == 3
    _config(tmp_path, '[breaking]\nagainst = "old.aiwf.yaml"\nskip = ["output-property-removed"]\n')
    code, findings = breaking_json()
    assert code == 0
    assert len(findings) == 2
    _config(tmp_path, '[breaking]\nagainst = "old.aiwf.yaml"\nskip = ["output-property-removed"]\n'
                      'fail_on = "warning"\n')  # fmt: skip
    assert breaking().code == 1
    assert breaking("--fail-on", "error").code == 0


def test_accepted_by_fingerprint_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _pair(tmp_path)
    _config(tmp_path, '[breaking]\nagainst = "old.aiwf.yaml"\n')
    _, findings = breaking_json()
    error = next(f for f in findings if f["level"] == "error")
    _config(
        tmp_path,
        '[breaking]\nagainst = "old.aiwf.yaml"\n\n[[breaking.accept]]\n'
        f'fingerprint = "{error["fingerprint"]}"\nreason = "score moves to v2 (#42)"\n\n'
        '[[breaking.accept]]\nfingerprint = "0000000000000000"\nreason = "stale"\n',
    )
    run = breaking()
    assert run.code == 0, run.out
    assert "output-property-removed" not in run.out
    assert (
        run.out.splitlines()[-1]
        == "2 changes: 1 warning, 1 info (1 accepted) (against old.aiwf.yaml)"
    )
    assert "accepted fingerprint 0000000000000000 matches no change (stale)" in run.err
    verbose = breaking("-v")
    assert "  accepted: score moves to v2 (#42)" in verbose.out
    _code, findings = breaking_json()
    accepted = next(f for f in findings if f["rule"] == "output-property-removed")
    assert accepted["accepted"] == "score moves to v2 (#42)"
    # The message text plays no part: rewording the change's subject does not accept it.
    assert "fingerprint" in accepted
    assert error["fingerprint"] == accepted["fingerprint"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[breaking]\nskip = ["output-propety-removed"]\n',
            "unknown rule 'output-propety-removed'",
        ),
        (
            '[breaking]\n[[breaking.accept]]\nfingerprint = "abc"\n',
            "needs a fingerprint and a reason",
        ),
        ('[breaking]\nfail_on = "fatal"\n', "must be one of error, warning, info"),
        ('[breaking]\nagaints = "main"\n', "unknown key"),
    ],
)
def test_config_mistakes_are_one_clear_line(
    toml: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _pair(tmp_path)
    _config(tmp_path, toml)
    run = breaking("--against", "old.aiwf.yaml")
    assert run.code == 1
    assert message in run.err
    assert "error[C004]" in run.err
    assert "Traceback" not in run.err


def test_old_spec_with_errors_is_reported_not_compared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _spec(tmp_path, "old.aiwf.yaml", BASE.replace("assistant: answer", "assistant: answr"))
    _spec(tmp_path, "new.aiwf.yaml", BASE)
    run = breaking("--spec", "new.aiwf.yaml", "--against", "old.aiwf.yaml")
    assert run.code == 1
    assert re.match(r"old\.aiwf\.yaml:\d+:\d+: error\[B003\]: the spec at old\.aiwf\.yaml does not compile: "
                    r"unknown assistant 'answr'", run.err), run.err  # fmt: skip


def test_list_rules_text_and_json() -> None:
    text = breaking("--list-rules")
    assert text.code == 0
    for rule in RULES.values():
        assert re.search(rf"^{re.escape(rule.id)} +{rule.level} ", text.out, re.M), rule.id
    data = json.loads(breaking("--list-rules", "--format", "json").out)
    assert [r["id"] for r in data] == list(RULES)
    assert {r["level"] for r in data} == {"error", "warning", "info", "none"}
    assert all(set(r) == {"id", "level", "category", "summary", "affects", "hint"} for r in data)


def test_every_rule_is_documented_with_an_example() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "breaking.md").read_text()
    for rule in RULES.values():
        section = re.search(rf"^### `{re.escape(rule.id)}`\n(.*?)(?=^### |\Z)", docs, re.M | re.S)
        assert section, f"docs/breaking.md has no section for {rule.id}"
        body = section.group(1)
        assert f"**{rule.level}**" in body, rule.id
        assert "```yaml" in body, f"{rule.id}: no example"
        affects = ", ".join(rule.affects) or "nothing"
        assert f"affects: {affects}" in body, rule.id
