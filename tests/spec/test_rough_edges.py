"""What users hit when they tried aiwf validate as new users (issue 18), with the exact
output they now get: paths relative to the repository root, one diagnostic per mistake,
messages that say what was found, what was expected and where."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from spec_support import BASE, position, run_cli, write

from aiwf._config import load_config
from aiwf._errors import AiwfError
from aiwf._paths import repository_root


def edited(*edits: tuple[str, str]) -> str:
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def validate(tmp_path: Path, text: str) -> list[dict[str, object]]:
    path = write(tmp_path, text)
    return run_cli("validate", "--format", "json", str(path)).json()


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    return position(text, needle, occurrence)


# -- paths relative to the repository root ------------------------------------------------------


def _repo(tmp_path: Path, *, git: bool) -> Path:
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    (root / "sub").mkdir()
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "specs" / "support.aiwf.yaml").write_text(
        BASE.replace("assistant: summarize", "assistant: sumarize"), encoding="utf-8"
    )
    (root / "pyproject.toml").write_text('[tool.aiwf]\nspec = "specs/"\n', encoding="utf-8")
    return root


def _aiwf(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiwf", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
@pytest.mark.parametrize("where", [".", "sub"])
def test_validate_from_the_config_names_files_relative_to_the_repository_root(
    tmp_path: Path, git: bool, where: str
) -> None:
    root = _repo(tmp_path, git=git)
    line, column = at(BASE.replace("assistant: summarize", "assistant: sumarize"), "sumarize")
    cwd = root / where  # outside git, the root is the config's directory
    text = _aiwf(cwd, "validate")
    assert text.returncode == 1
    assert text.stdout.splitlines() == [
        f"specs/support.aiwf.yaml:{line}:{column}: error[E031]: unknown assistant 'sumarize' in step 'digest'",
        "  hint: did you mean 'summarize'?",
    ]
    (diagnostic,) = json.loads(_aiwf(cwd, "validate", "--format", "json").stdout)
    assert (diagnostic["file"], diagnostic["line"]) == ("specs/support.aiwf.yaml", line)
    github = _aiwf(cwd, "validate", "--format", "github").stdout
    assert github.startswith(f"::error file=specs/support.aiwf.yaml,line={line},col={column},")
    # a path given on the command line is named the same way
    given = _aiwf(cwd, "validate", str(Path("..") / "specs") if where == "sub" else "specs")
    assert given.stdout == text.stdout


def test_config_errors_name_the_config_relative_to_the_repository_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "tools").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "tools" / "aiwf.toml").write_text("stor = 'x'\n", encoding="utf-8")
    run = _aiwf(root / "tools", "validate")
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "tools/aiwf.toml: error[C004]: config key stor: unknown key",
        "  hint: did you mean 'store'?",
    ]


def test_the_repository_root(tmp_path: Path) -> None:
    top = tmp_path / "top"
    (top / "a" / "b").mkdir(parents=True)
    (top / ".git").mkdir()
    assert repository_root(tmp_path / "elsewhere", cwd=top / "a" / "b") == top.resolve()
    plain = tmp_path / "plain" / "x"
    plain.mkdir(parents=True)
    assert repository_root(tmp_path / "plain", cwd=plain) == (tmp_path / "plain").resolve()
    assert repository_root(None, cwd=plain) == plain.resolve()


# -- one mistake, one diagnostic ----------------------------------------------------------------


def test_an_unknown_key_in_an_assistant_does_not_hide_the_steps_that_use_it(tmp_path: Path) -> None:
    text = edited(
        ("model: fast\n    instructions: Summarise.", "model: fast\n    instruction: Summarise."),
        ("digest: ${steps.digest.output}", "digest: ${steps.digest.output.headlin}"),
    )
    found = [(d["code"], d["message"], d["hint"]) for d in validate(tmp_path, text)]
    assert found == [
        (
            "E011",
            "unknown key 'instruction' in assistant 'summarize'",
            "did you mean 'instructions'?",
        ),
        (
            "E046",
            "${steps.digest.output.headlin}: steps.digest.output has no property 'headlin'",
            "did you mean 'headline'?",
        ),
    ]


def test_a_misspelt_assistant_is_one_error_and_no_unused_warning(tmp_path: Path) -> None:
    text = edited(("assistant: summarize", "assistant: sumarize"))
    found = [(d["code"], d["message"], d["hint"]) for d in validate(tmp_path, text)]
    assert found == [
        ("E031", "unknown assistant 'sumarize' in step 'digest'", "did you mean 'summarize'?")
    ]


@pytest.mark.parametrize(
    ("model", "schema"),
    [("fats", "Ticket"), ("fast", "Tickt")],
)
def test_a_misspelt_model_or_schema_is_one_error(tmp_path: Path, model: str, schema: str) -> None:
    text = edited(
        ("model: fast\n    instructions: Classify", f"model: {model}\n    instructions: Classify"),
        ("input: Ticket", f"input: {schema}"),
    )
    codes = [d["code"] for d in validate(tmp_path, text)]
    assert codes == (["E030"] if model != "fast" else ["E032"])


@pytest.mark.parametrize(
    ("scatter", "code", "message", "hint"),
    [
        (
            "${item}",
            "E042",
            "${item} is used in the scatter expression itself",
            "${item} and ${index} exist only in the input of a step with scatter:",
        ),
        (
            "hello",
            "E040",
            "scatter takes exactly one ${...} expression, not 'hello'",
            "e.g. scatter: ${input.tickets} (an array); the step runs once per item",
        ),
        (
            "${input.tickets[0].id}",
            "E043",
            "scatter over ${input.tickets[0].id}, which is a string, not an array",
            "scatter needs an expression of array type",
        ),
    ],
)
def test_a_broken_scatter_is_one_error_and_no_concurrency_error(
    tmp_path: Path, scatter: str, code: str, message: str, hint: str
) -> None:
    text = edited(
        (
            "scatter: ${input.tickets}\n        input: ${item}",
            f"scatter: {scatter}\n        input: ${{item}}\n        concurrency: 4",
        )
    )
    found = [(d["code"], d["message"], d["hint"], d["line"]) for d in validate(tmp_path, text)]
    assert found == [(code, message, hint, at(text, f"scatter: {scatter}")[0])]


def test_errors_are_listed_before_warnings(tmp_path: Path) -> None:
    text = edited(
        ("assistants:\n", "  Orphan: {type: string}\nassistants:\n"),
        ("input: ${prev.output}", "input: ${steps.clasify.output}"),
    )
    assert [d["code"] for d in validate(tmp_path, text)] == ["E033", "W001"]


# -- messages that say what was found, what was expected, and where ----------------------------

SHOP = textwrap.dedent(
    """\
    aiwf: 1
    name: shop
    models:
      fast: {provider: openai, model: gpt-5.4-mini}
    schemas:
      Product:
        type: object
        required: [sku, name]
        properties:
          sku: {type: string}
          name: {type: string}
    assistants:
      write:
        model: fast
        instructions: Write.
        input:
          type: object
          required: [tone, count, product]
          properties:
            tone: {enum: [formal, casual]}
            count: {type: integer}
            product: {$ref: "#/schemas/Product"}
        output: {type: string}
    workflows:
      go:
        input:
          type: object
          required: [price, items]
          properties:
            price: {type: number}
            items: {type: array, items: {type: object, required: [sku], properties: {sku: {type: string}}}}
        steps:
          - id: w
            assistant: write
            scatter: ${input.items}
            input:
              tone: loud
              count: ${input.price}
              product: ${item.sku}
        output:
          r: ${steps.w.output}
    """
)


def test_step_input_messages_name_the_property_the_value_and_the_reason(tmp_path: Path) -> None:
    found = [(d["code"], d["line"], d["column"], d["message"]) for d in validate(tmp_path, SHOP)]
    assert found == [
        (
            "E053",
            *at(SHOP, "loud"),
            """the input of step 'w': literal tone: expected one of ["formal","casual"], got "loud\"""",
        ),
        (
            "E045",
            *at(SHOP, "${input.price}"),
            "the input of step 'w': count: ${input.price} does not fit integer: it is a number",
        ),
        (
            "E045",
            *at(SHOP, "${item.sku}"),
            "the input of step 'w': product: ${item.sku} does not fit Product: it is a string, "
            "and Product is an object",
        ),
    ]


def test_a_tab_in_yaml_is_named(tmp_path: Path) -> None:
    text = edited(
        ("    model: fast\n    instructions: Classify", "    model: fast\n\tinstructions: Classify")
    )
    (diagnostic,) = validate(tmp_path, text)
    assert (diagnostic["code"], diagnostic["line"], diagnostic["column"]) == (
        "E001",
        *at(text, "\t"),
    )
    assert (
        diagnostic["message"] == "YAML syntax error: a tab character; YAML indents with spaces only"
    )
    assert (
        diagnostic["hint"]
        == "replace the tab with spaces (most editors can convert indentation to spaces)"
    )


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        (
            "yes",
            "concurrency must be an integer, not the string 'yes' (in step 'classify' of workflow 'triage')",
            "concurrency takes a whole number from 1 to 10000, written without quotes",
        ),
        (
            "'8'",
            "concurrency must be an integer, not the string '8' (in step 'classify' of workflow 'triage')",
            "write the number without quotes: concurrency: 8",
        ),
        (
            "[1, 2]",
            "concurrency must be an integer, not a list (in step 'classify' of workflow 'triage')",
            "docs/spec.md gives the kind of value each key takes",
        ),
    ],
)
def test_kind_hints_speak_of_the_kind_expected(
    tmp_path: Path, value: str, message: str, hint: str
) -> None:
    text = edited(("input: ${item}", f"input: ${{item}}\n        concurrency: {value}"))
    (diagnostic,) = validate(tmp_path, text)
    assert (diagnostic["code"], diagnostic["message"], diagnostic["hint"]) == (
        "E013",
        message,
        hint,
    )


@pytest.mark.parametrize(
    ("edit", "message", "hint"),
    [
        (
            ("instructions: Summarise.", "instructions: [a, b]"),
            "instructions must be a string, not a list (in assistant 'summarize')",
            "quote text that starts with [ or { or contains ': ', or write it on the next lines after |",
        ),
        (
            ("model: gpt-5.4-mini}", "model: 5}"),
            "model must be a string, not the number 5 (in model 'fast')",
            'quote it to make it a string: model: "5"',
        ),
        (
            ("    input: Ticket\n", "    input: Ticket\n    retry: 3\n"),
            "retry must be a map, not the number 3 (in assistant 'classify')",
            "a map is `key: value` lines indented below 'retry:', or {key: value}",
        ),
    ],
)
def test_more_kind_messages(
    tmp_path: Path, edit: tuple[str, str], message: str, hint: str | None
) -> None:
    found = [d for d in validate(tmp_path, edited(edit)) if d["code"] == "E013"]
    assert [d["message"] for d in found] == [message]
    if hint is not None:
        assert found[0]["hint"] == hint


def test_config_errors_still_load(tmp_path: Path) -> None:
    (tmp_path / "aiwf.toml").write_text("[environments.prod]\nstore = 1\n", encoding="utf-8")
    with pytest.raises(AiwfError) as caught:
        load_config(tmp_path / "aiwf.toml")
    assert (
        caught.value.message
        == "config key environments.prod.store: must be a string, not the number 1"
    )
