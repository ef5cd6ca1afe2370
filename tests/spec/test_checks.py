"""Every diagnostic code: a spec that triggers it, and the exact position reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from spec_support import BASE, position, run_cli, write


@dataclass
class Case:
    code: str
    edits: list[tuple[str, str]]
    at: str
    occurrence: int = 1
    message: str = ""
    hint: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # more files: name -> text

    def text(self) -> str:
        text = BASE
        for old, new in self.edits:
            assert old in text, old
            text = text.replace(old, new, 1)
        return text


CASES = {
    "E001-syntax": Case("E001", [("tier: {enum: [free, pro]}", "tier: {enum: [free, pro}")], "}\n  Triage", message="YAML syntax error"),
    "E004-duplicate-key": Case("E004", [("      body: {type: string}\n", "      body: {type: string}\n      body: {type: string}\n")], "body: {type: string}", 2, message="duplicate key 'body'"),
    "E006-tag": Case("E006", [("instructions: Classify the ticket.", "instructions: !!binary aGVsbG8=")], "!!binary", message="unsupported YAML tag"),
    "E010-version": Case("E010", [("aiwf: 1", "aiwf: 2")], "2\nname", message="unsupported format version 2"),
    "E011-unknown-key": Case("E011", [("model: fast\n    instructions: Classify", "model: fast\n    instruction: x\n    instructions: Classify")], "instruction: x", message="unknown key 'instruction'", hint="did you mean 'instructions'?"),
    "E011-unknown-route-key": Case("E011", [("model: gpt-5.4-mini}", "model: gpt-5.4-mini, temprature: 0}")], "temprature", hint="did you mean 'temperature'?"),
    "E012-missing-key": Case("E012", [("    instructions: Summarise.\n", "")], "model: fast\n    input: {type: array", message="missing required key 'instructions'"),
    "E013-wrong-type": Case("E013", [("instructions: Summarise.", "instructions: [a, b]")], "[a, b]", message="instructions must be a string, not a list"),
    "E014-invalid-value": Case("E014", [("provider: openai,", "provider: openai-ish,")], "openai-ish", message="must be one of", hint="did you mean 'openai'?"),
    "E014-range": Case("E014", [("input: ${prev.output}", "input: ${prev.output}\n        concurrency: 0")], "0\n    output:", message="must be at least 1"),
    "E020-invalid-name": Case("E020", [("  summarize:\n", "  2summarize:\n"), ("assistant: summarize", "assistant: classify")], "2summarize", message="invalid assistant name"),
    "E022-collision": Case("E022", [("  Triage:\n    type: object\n    required: [ticket_id", "  Triage:\n    type: object\n    required: [ticket_id"), ("assistants:\n", "  tic_ket: {type: string}\n  TicKet: {type: string}\nassistants:\n")], "TicKet", message="collides with schema 'tic_ket'"),
    "E022-derived-contract": Case("E022", [("assistants:\n", "  SummarizeOutput: {type: string}\nassistants:\n")], "{type: object, required: [headline]", message="already a schema name"),
    "E024-duplicate-step": Case("E024", [("      - id: digest", "      - id: classify")], "classify\n        assistant: summarize", message="step id 'classify' is used twice"),
    "E030-unknown-model": Case("E030", [("model: fast\n    instructions: Summarise", "model: fats\n    instructions: Summarise")], "fats", hint="did you mean 'fast'?"),
    "E031-unknown-assistant": Case("E031", [("assistant: summarize", "assistant: summarise")], "summarise", hint="did you mean 'summarize'?"),
    "E032-unknown-schema": Case("E032", [("input: Ticket", "input: Tickets")], "Tickets", hint="did you mean 'Ticket'?"),
    "E032-unknown-ref": Case("E032", [('items: {$ref: "#/schemas/Triage"}', 'items: {$ref: "#/schemas/Triag"}')], '"#/schemas/Triag"', message="unknown schema 'Triag'"),
    "E033-unknown-step": Case("E033", [("input: ${prev.output}", "input: ${steps.clasify.output}")], "${steps.clasify.output}", hint="did you mean 'classify'?"),
    "E033-unknown-needs": Case("E033", [("input: ${prev.output}", "input: ${prev.output}\n        needs: [nope]")], "nope", message="unknown step 'nope' in the needs"),
    "E040-expression": Case("E040", [("input: ${prev.output}", "input: ${prev.output")], "${prev.output", message="unterminated"),
    "E040-root": Case("E040", [("input: ${prev.output}", "input: ${inptu.tickets}")], "${inptu.tickets}", hint="did you mean 'input'?"),
    "E041-prev-first": Case("E041", [("input: ${item}", "input: ${prev.output}")], "${prev.output}", message="first step"),
    "E042-item-outside-scatter": Case("E042", [("input: ${prev.output}", "input: ${item}")], "${item}", 2, message="without scatter"),
    "E042-index-in-output": Case("E042", [("triaged: ${steps.classify.output}", "triaged: ${index}")], "${index}", message="workflow output"),
    "E043-scatter-not-array": Case("E043", [("scatter: ${input.tickets}", "scatter: ${input.tickets[0]}")], "${input.tickets[0]}", message="not an array"),
    "E044-cycle": Case("E044", [("input: ${item}", "input: ${item}\n        needs: [digest]")], "classify\n        assistant: classify", message="dependency cycle: classify -> digest -> classify"),
    "E045-type-mismatch": Case("E045", [("input: ${prev.output}", "input: ${input.tickets}")], "${input.tickets}", 2, message="does not fit SummarizeInput: missing required property 'ticket_id' in items; missing required property 'category' in items"),
    "E045-missing-property": Case("E045", [("input: ${item}", "input: {id: '${item.id}'}")], "{id:", message="missing required property 'body'"),
    "E045-enum-mismatch": Case("E045", [("input: ${prev.output}", "input: [{ticket_id: '${input.tickets[0].id}', category: '${input.tickets[0].tier}'}]")], "'${input.tickets[0].tier}'", message="is not in enum"),
    "E046-bad-path": Case("E046", [("input: ${item}", "input: ${item.bdy}")], "${item.bdy}", hint="did you mean 'body'?"),
    "E047-output-unknown-step": Case("E047", [("digest: ${steps.digest.output}", "digest: ${steps.digets.output}")], "${steps.digets.output}", message="the output of workflow"),
    "E050-unsupported-keyword": Case("E050", [("id: {type: string}", "id: {type: string, contentEncoding: base64}")], "contentEncoding", message="unsupported JSON Schema keyword"),
    "E050-nullable": Case("E050", [("id: {type: string}", "id: {type: string, nullable: true}")], "nullable", hint="type: [X, 'null']"),
    "E051-invalid-schema": Case("E051", [("id: {type: string}", "id: {type: strng}")], "strng", hint="did you mean 'string'?"),
    "E051-bad-pattern": Case("E051", [("id: {type: string}", "id: {type: string, pattern: '(['}")], "'(['", message="invalid pattern"),
    "E052-route": Case("E052", [("fast: {provider: openai, model: gpt-5.4-mini}", "fast: {provider: openai-compatible, model: llama3.1}")], "fast:", message="needs a base_url"),
    "E052-mode": Case("E052", [("model: gpt-5.4-mini}", "model: gpt-5.4-mini, structured_output: tool}")], "tool}", message="not available for provider openai"),
    "E053-literal": Case("E053", [("input: ${item}", "input: {id: x, body: 3}")], "3}", message="the input of step 'classify': literal body: expected string, got 3 (integer)"),
    "E054-fallback-cycle": Case("E054", [("fast: {provider: openai, model: gpt-5.4-mini}", "fast: {provider: openai, model: gpt-5.4-mini, fallback: [slow]}\n  slow: {provider: openai, model: gpt-5.4, fallback: [fast]}")], "fast:", message="fast -> slow -> fast"),
    "W001-unused-schema": Case("W001", [("assistants:\n", "  Orphan: {type: string}\nassistants:\n")], "Orphan", message="not used"),
    "W002-unused-assistant": Case("W002", [("workflows:\n", "  spare: {model: fast, instructions: x, input: Ticket, output: Triage}\nworkflows:\n")], "spare", message="not used by any workflow"),
    "W004-typeless-keywords": Case("W004", [("id: {type: string}", "id: {minLength: 1}")], "minLength", message="without 'type'", hint="add type: string"),
    "W004-typeless-object": Case("W004", [("body: {type: string}", "body: {required: [text], properties: {text: {type: string}}}")], "required: [text]", message="apply only to object values", hint="add type: object"),
    "W003-unused-model": Case("W003", [("fast: {provider: openai, model: gpt-5.4-mini}", "fast: {provider: openai, model: gpt-5.4-mini}\n  idle: {provider: openai, model: gpt-5.4}")], "idle", message="not used by any assistant"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_code_and_position(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    text = case.text()
    path = write(tmp_path, text)
    run = run_cli("validate", "--format", "json", str(path))
    found = [d for d in run.json() if d["code"] == case.code]
    assert found, f"{case.code} not reported; got {run.out}"
    line, column = position(text, case.at, case.occurrence)
    hit = [d for d in found if (d["line"], d["column"]) == (line, column)]
    assert hit, (
        f"{case.code} expected at {line}:{column}, got {[(d['line'], d['column'], d['message']) for d in found]}"
    )
    assert case.message in str(hit[0]["message"])
    assert case.hint in str(hit[0]["hint"] or "")
    assert hit[0]["file"] == str(path)
    expected_exit = 0 if case.code.startswith("W") else 1
    assert run.code == expected_exit


def test_base_spec_is_clean(tmp_path: Path) -> None:
    run = run_cli("validate", str(write(tmp_path, BASE)))
    assert (run.code, run.out, run.err) == (0, "", "")


def test_all_problems_reported_in_one_run(tmp_path: Path) -> None:
    text = BASE.replace("input: Ticket", "input: Tickets").replace(
        "assistant: summarize", "assistant: sumarize"
    )
    text = text.replace("id: {type: string}", "id: {type: strng}", 1)
    run = run_cli("validate", "--format", "json", str(write(tmp_path, text)))
    codes = sorted(str(d["code"]) for d in run.json() if d["severity"] == "error")
    assert codes == ["E031", "E032", "E051"]


def test_text_format_is_one_line_per_problem_with_hint(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("assistant: summarize", "assistant: sumarize"))
    run = run_cli("validate", str(path))
    line, column = position(BASE.replace("assistant: summarize", "assistant: sumarize"), "sumarize")
    assert run.code == 1
    lines = run.out.splitlines()
    # one mistake, one diagnostic: the assistant the typo meant is not also "not used"
    assert lines == [
        f"{path}:{line}:{column}: error[E031]: unknown assistant 'sumarize' in step 'digest'",
        "  hint: did you mean 'summarize'?",
    ]


def test_github_format_lists_errors_before_warnings(tmp_path: Path) -> None:
    text = BASE.replace("assistant: summarize", "assistant: sumarize").replace(
        "assistants:\n", "  Orphan: {type: string}\nassistants:\n"
    )
    path = write(tmp_path, text)
    run = run_cli("validate", "--format", "github", str(path))
    assert run.code == 1
    error, warning = run.out.splitlines()
    assert error.startswith(f"::error file={path},line=")
    assert error.endswith(
        "title=aiwf E031::unknown assistant 'sumarize' in step 'digest'%0Ahint: did you mean 'summarize'?"
    )
    # the warning is earlier in the file, and listed after the error
    line, _ = position(text, "Orphan")
    assert warning.startswith(f"::warning file={path},line={line},")
    assert "W001" in warning


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("assistants:\n", "  Orphan: {type: string}\nassistants:\n"))
    assert run_cli("validate", str(path)).code == 0
    assert run_cli("validate", "--strict", str(path)).code == 1
    quiet = run_cli("validate", "-q", str(path))
    assert (quiet.code, quiet.out) == (0, "")


def test_e021_duplicate_across_files(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.aiwf.yaml")
    other = "aiwf: 1\nassistants:\n  classify: {model: fast, instructions: x, input: Ticket, output: Triage}\n"
    write(tmp_path, other, "b.aiwf.yaml")
    run = run_cli("validate", "--format", "json", str(tmp_path))
    hits = [d for d in run.json() if d["code"] == "E021"]
    assert [(h["file"], h["line"], h["column"]) for h in hits] == [
        (str(tmp_path / "b.aiwf.yaml"), 3, 3)
    ]
    assert "a.aiwf.yaml:" in str(hits[0]["hint"])


def test_e023_name_mismatch_across_files(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.aiwf.yaml")
    write(tmp_path, "aiwf: 1\nname: other\n", "b.aiwf.yaml")
    run = run_cli("validate", "--format", "json", str(tmp_path))
    hits = [d for d in run.json() if d["code"] == "E023"]
    assert [(h["line"], h["column"]) for h in hits] == [(2, 7)]


def test_multi_file_spec_merges_sections(tmp_path: Path) -> None:
    head, tail = BASE.split("workflows:\n")
    write(tmp_path, head, "a/base.aiwf.yaml")
    write(tmp_path, "aiwf: 1\nworkflows:\n" + tail, "b/flows.aiwf.yml")
    write(tmp_path, "not: [a spec", "ignored.yaml")
    run = run_cli("validate", str(tmp_path))
    assert (run.code, run.out) == (0, "")


def test_missing_name_is_reported(tmp_path: Path) -> None:
    run = run_cli(
        "validate", "--format", "json", str(write(tmp_path, BASE.replace("name: support\n", "")))
    )
    assert [(d["code"], d["line"], d["column"]) for d in run.json()] == [("E012", 1, 1)]


@pytest.mark.parametrize(
    ("raw", "code", "line", "column"),
    [
        (b"aiwf: 1\nname: x\x00y\n", "E002", 2, 8),
        (b"aiwf: 1\nname: caf\xe9\n", "E002", 2, 10),
        (b"a: &a [*a]\n", "E005", 1, 4),
        (b"aiwf: 1\n{[1]: 2}: 3\n", "E006", 2, 1),
        (b"aiwf: 1\nname: x\n---\naiwf: 1\n", "E001", 3, 1),
        (b"aiwf: 1\nname: .inf\n", "E006", 2, 7),
    ],
)
def test_loader_errors(tmp_path: Path, raw: bytes, code: str, line: int, column: int) -> None:
    path = tmp_path / "spec.aiwf.yaml"
    path.write_bytes(raw)
    run = run_cli("validate", "--format", "json", str(path))
    assert run.code == 1
    assert [(d["code"], d["line"], d["column"]) for d in run.json()] == [(code, line, column)]


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    run = run_cli("validate", "--format", "json", str(path))
    assert run.code == 1
    (diag,) = run.json()
    assert diag["code"] == "E005"
    assert "expands to more than" in str(diag["message"])


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIWF_MAX_SPEC_BYTES", "100")
    run = run_cli("validate", "--format", "json", str(write(tmp_path, BASE)))
    assert run.code == 1
    (diag,) = run.json()
    assert diag["code"] == "E003"
    assert "over the 100-byte limit" in str(diag["message"])


def test_yaml_12_booleans_stay_strings(tmp_path: Path) -> None:
    text = BASE.replace("tier: {enum: [free, pro]}", "tier: {enum: [yes, no, on, off]}")
    assert run_cli("validate", str(write(tmp_path, text))).code == 0


def test_keywords_and_any_strings_are_legal_names(tmp_path: Path) -> None:
    text = BASE.replace(
        "  Triage:\n",
        "  class:\n    type: object\n    properties:\n      import: {type: string}\n      'weird key \"x\"': {enum: ['a b', '*/', '${{x}}']}\n  Triage:\n",
    )
    text = text.replace("output: Triage", "output: Triage", 1).replace(
        "assistants:\n",
        "assistants:\n  package:\n    model: fast\n    instructions: x\n    input: Ticket\n    output: class\n",
        1,
    )
    run = run_cli("validate", "--format", "json", str(write(tmp_path, text)))
    assert [d["code"] for d in run.json() if d["severity"] == "error"] == []


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run_cli("validate", str(tmp_path / "nope.aiwf.yaml"))
    assert missing.code == 2
    assert "no such file or directory" in missing.err
    empty = run_cli("validate", str(tmp_path))
    assert empty.code == 2
    assert "no spec files" in empty.err
    assert run_cli("validate", "--format", "xml", str(tmp_path)).code == 2


def test_optional_value_may_feed_an_optional_property(tmp_path: Path) -> None:
    # `tier` is optional in Ticket; an object template leaves the key out when it is missing.
    text = BASE.replace(
        "input: ${item}", "input: {id: '${item.id}', body: '${item.body}', tier: '${item.tier}'}"
    )
    assert run_cli("validate", str(write(tmp_path, text))).code == 0
    # ... but not a required one: the value may be missing.
    text = BASE.replace("input: ${item}", "input: {id: '${item.tier}', body: '${item.body}'}")
    run = run_cli("validate", "--format", "json", str(write(tmp_path, text)))
    assert [d["code"] for d in run.json() if d["severity"] == "error"] == ["E045"]
    assert "may be missing" in str(run.json()[-1]["message"])


def test_empty_spec_file_is_an_error(tmp_path: Path) -> None:
    run = run_cli("validate", "--format", "json", str(write(tmp_path, "# only a comment\n")))
    assert run.code == 1
    assert [(d["code"], d["line"], d["column"]) for d in run.json()] == [("E012", 1, 1)]


def test_numbers_beyond_a_double_are_refused(tmp_path: Path) -> None:
    text = BASE.replace(
        "urgency: {type: integer, minimum: 1, maximum: 5}",
        "urgency: {type: integer, minimum: 1, maximum: 1e309}",
    )
    run = run_cli("validate", "--format", "json", str(write(tmp_path, text)))
    assert run.code == 1
    (diag,) = run.json()
    assert diag["code"] == "E006"
    assert "too large for a JSON number" in str(diag["message"])


def test_bad_version_is_reported_once(tmp_path: Path) -> None:
    run = run_cli(
        "validate", "--format", "json", str(write(tmp_path, BASE.replace("aiwf: 1", "aiwf: 2")))
    )
    assert [d["code"] for d in run.json()] == ["E010"]


@pytest.mark.parametrize(
    ("edits", "code"),
    [
        # the assistant is broken: its users are not reported again
        (
            [
                (
                    "model: fast\n    instructions: Summarise.",
                    "model: fast\n    instruction: Summarise.",
                )
            ],
            "E011",
        ),
        ([("assistant: summarize", "assistant: sumarize")], "E031"),
        # the scatter is broken: ${item} in its input is not reported again
        ([("scatter: ${input.tickets}", "scatter: ${input.tickets[0].id}")], "E043"),
    ],
)
def test_one_mistake_is_reported_once(
    tmp_path: Path, edits: list[tuple[str, str]], code: str
) -> None:
    text = BASE
    for old, new in edits:
        text = text.replace(old, new, 1)
    run = run_cli("validate", "--format", "json", str(write(tmp_path, text)))
    assert [d["code"] for d in run.json() if d["severity"] == "error"] == [code]
