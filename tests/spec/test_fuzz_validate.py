"""Fuzzing ``aiwf validate``: random and mutated YAML never crashes it.

Whatever the input, ``aiwf validate`` answers with diagnostics and exit 0 (clean, warnings
allowed) or 1 (errors): never a traceback, never ``error[internal]`` (exit 3). Most runs
call the CLI in-process for speed; a few go through ``python -m aiwf`` for the real process
boundary. The expression parser and the YAML loader get their own property tests.

Crashes the fuzzer found once are pinned as regression cases at the end of the file
(``test_found_crash_stays_fixed``).
"""

from __future__ import annotations

import copy
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from fuzz_support import (
    PRESET,
    PRESET_DATA,
    PRESET_TEXT,
    dump,
    empty_config,
    expressions,
    mutated_specs,
    path_parts,
    preset_with_fragment,
    raw_bytes,
    run_validate,
    run_validate_subprocess,
    show,
    split_specs,
    validate_bytes,
    validate_files,
    yaml_text,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aiwf._ir.expressions import (
    Expr,
    ExpressionError,
    Interpolation,
    format_path,
    parse_expression,
    split_template,
)
from aiwf._spec.loader import LoadError, YMap, YSeq, parse

T = TypeVar("T")

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- sanity: the harness sees the preset as clean ----------------------------------------------


def test_preset_is_clean_in_process(tmp_path: Path) -> None:
    outcome = run_validate([PRESET], empty_config(tmp_path))
    outcome.check("the preset")
    assert outcome.code == 0, outcome.output


def test_preset_round_trips_through_safe_dump() -> None:
    outcome = validate_bytes(dump(copy.deepcopy(PRESET_DATA)))
    outcome.check("the dumped preset")
    assert outcome.code == 0, outcome.output


# -- (a) random bytes and text -----------------------------------------------------------------


@FUZZ
@given(raw=raw_bytes())
@example(raw=b"")
@example(raw=b"\x00")
@example(raw=b"\xef\xbb\xbf")
@example(raw=b"\xef\xbb\xbf" + PRESET_TEXT.encode())
@example(raw=b"\xff\xfe" + "aiwf: 1".encode("utf-16-le"))
@example(raw=b"aiwf: 1\nname: \xc3\n")
@example(raw=b"a: !!python/object/apply:os.system [echo pwned]\n")
@example(raw=b"a: !!binary aGVsbG8=\n")
@example(raw=b"a: &a [*a]\n")
@example(raw=b"---\na: 1\n---\nb: 2\n")
@example(raw=b"[" * 100_000)
def test_random_bytes(raw: bytes) -> None:
    validate_bytes(raw).check(show(raw))


@FUZZ
@given(text=yaml_text)
@example(text="<<: *nope\n")
@example(text="a: &x {b: 1}\n<<: *x\n<<: *x\n")
@example(text="? [a, b]\n: c\n")
@example(text="1: a\n1.0: b\nnull: c\ntrue: d\n")
@example(text="a: !!set {x, y}\n")
@example(text="a: 1e400\n")
@example(text="aiwf: 1\nname: x\n" + "x: " + "[" * 200 + "]" * 200 + "\n")
def test_random_yaml_text(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    validate_bytes(raw).check(show(raw))


@FUZZ
@given(text=preset_with_fragment())
def test_preset_with_inserted_fragment(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    validate_bytes(raw).check(show(raw))


# -- (b) structure-aware mutations of the preset -----------------------------------------------


@FUZZ
@given(data=mutated_specs())
def test_mutated_preset(data: object) -> None:
    raw = dump(data)
    validate_bytes(raw).check(show(raw))


@settings(FUZZ, max_examples=120)
@given(files=split_specs(), as_directory=st.booleans())
def test_mutated_preset_as_directory(files: dict[str, bytes], as_directory: bool) -> None:
    validate_files(files, as_directory=as_directory).check(show(repr(files)))


@settings(FUZZ, max_examples=150)
@given(data=mutated_specs(), text=expressions())
def test_mutated_step_inputs(data: object, text: str) -> None:
    """Every step input of a mutated preset replaced by a random expression or template."""
    if isinstance(data, dict) and isinstance(data.get("workflows"), dict):
        for workflow in data["workflows"].values():
            if isinstance(workflow, dict) and isinstance(workflow.get("steps"), list):
                for step in workflow["steps"]:
                    if isinstance(step, dict):
                        step["input"] = {"a": text, "b": [text, 1, None]}
                workflow["output"] = text
    raw = dump(data)
    validate_bytes(raw).check(show(raw))


# -- the real process boundary -----------------------------------------------------------------

SUBPROCESS_CASES = [
    pytest.param(PRESET_TEXT.encode(), id="preset"),
    pytest.param(b"\x00\xff\xfe garbage", id="binary"),
    pytest.param(b"[" * 50_000, id="deep-brackets"),
    pytest.param(
        b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        + b"".join(
            b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 10) + b"]\n"
            for i in range(1, 9)
        ),
        id="billion-laughs",
    ),
    pytest.param(b"a: !!python/object/apply:os.system [echo pwned]\n", id="python-tag"),
    pytest.param(
        PRESET_TEXT.replace("${prev.output}", "${steps.digest.output}").encode(), id="self-ref"
    ),
]


@pytest.mark.parametrize("raw", SUBPROCESS_CASES)
def test_subprocess_boundary(raw: bytes, tmp_path: Path) -> None:
    spec = tmp_path / "spec.aiwf.yaml"
    spec.write_bytes(raw)
    outcome = run_validate_subprocess([spec], empty_config(tmp_path))
    outcome.check(show(raw))
    if raw == PRESET_TEXT.encode():
        assert outcome.code == 0, outcome.output
    else:
        assert outcome.code == 1, outcome.output
        assert "error[" in outcome.output


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=mutated_specs())
def test_subprocess_mutated_preset(data: object) -> None:
    raw = dump(data)
    with tempfile.TemporaryDirectory(prefix="aiwf-fuzz-") as tmp:
        spec = Path(tmp) / "spec.aiwf.yaml"
        spec.write_bytes(raw)
        run_validate_subprocess([spec], empty_config(Path(tmp))).check(show(raw))


# -- the expression parser ---------------------------------------------------------------------


def _attempt(func: Callable[[str], T], text: str) -> T | ExpressionError:
    """``func(text)``, or the ExpressionError it raised (any other exception escapes)."""
    try:
        return func(text)
    except ExpressionError as exc:
        return exc


expression_text = st.one_of(
    st.text(max_size=40),
    expressions(),
    st.lists(
        st.sampled_from(["${", "}", "$${", "$", "{", "[", "]", ".", "'", '"', "\\", "input"])
        | st.text(max_size=3),
        max_size=15,
    ).map("".join),
)


@FAST
@given(text=expression_text)
@example(text="${input['\\u12']}")
@example(text='${input["\\ud800"]}')
@example(text="${input[" + "9" * 5000 + "]}")
def test_split_template_raises_only_expression_error(text: str) -> None:
    result = _attempt(split_template, text)
    if isinstance(result, ExpressionError):
        assert 0 <= result.offset <= len(text), (text, result.offset)
        return
    assert isinstance(result, (str, Expr, Interpolation))
    if "${" not in text.replace("$${", ""):
        assert result == text.replace("$${", "${")


@FAST
@given(inner=st.one_of(st.text(max_size=30), expressions().map(lambda s: s[2:-1])))
def test_parse_expression_raises_only_expression_error(inner: str) -> None:
    expr = _attempt(parse_expression, inner)
    if isinstance(expr, ExpressionError):
        assert 0 <= expr.offset <= len(inner), (inner, expr.offset)
        return
    assert expr.root in ("input", "steps", "prev", "item", "index")


roots = st.sampled_from(["input", "prev.output", "item"]) | st.from_regex(
    r"steps\.[A-Za-z][A-Za-z0-9_]{0,8}\.output", fullmatch=True
)


@FAST
@given(root=roots, path=path_parts)
@example(root="input", path=("a\\b",))
@example(root="input", path=("'",))
@example(root="input", path=("\x00\n\u2028",))
@example(root="input", path=("}",))
def test_format_path_round_trips(root: str, path: tuple[str | int, ...]) -> None:
    text = root + format_path(path)
    expr = parse_expression(text)
    assert expr.path == path, (text, expr.path)
    if "}" not in text:  # a '}' outside quotes would end the ${...}; inside quotes it is fine
        parsed = split_template("${" + text + "}")
        assert isinstance(parsed, Expr)
        assert parsed.path == path


# -- the loader --------------------------------------------------------------------------------


def _positions(value: object) -> Iterator[Any]:
    if isinstance(value, YMap):
        yield value.pos
        yield from value.key_pos.values()
        yield from value.val_pos.values()
        for child in value.values():
            yield from _positions(child)
    elif isinstance(value, YSeq):
        yield value.pos
        yield from value.item_pos
        for child in value:
            yield from _positions(child)


#: Line breaks: libyaml counts NEL, LS and PS as breaks inside the document, but not
#: everywhere (e.g. not before the first token), so a position must fit one of the two.
_BREAKS = (re.compile("\r\n|[\n\r]"), re.compile("\r\n|[\n\r\x85\u2028\u2029]"))


def _lines(text: str) -> list[list[str]]:
    return [b.split(text) for b in _BREAKS]


def _fits(lines: list[str], line: int, column: int) -> bool:
    if (line, column) == (len(lines) + 1, 1):  # libyaml's end of stream, after the last line
        return True
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def _check_pos(lines: list[list[str]], line: int | None, column: int | None, what: str) -> None:
    """A position is 1-based and inside the text; the end of the text (one past the last
    character, or the start of the line after a final break) also counts."""
    assert line is None or line >= 1, (what, line)
    assert column is None or column >= 1, (what, column)
    if line is not None and column is not None:
        assert any(_fits(split, line, column) for split in lines), (what, line, column)


def _parse_or_error(text: str) -> Any:
    try:
        return parse(text, "spec.aiwf.yaml")
    except LoadError as exc:
        return exc


@FAST
@given(text=st.one_of(yaml_text, preset_with_fragment()))
@example(text="a: [")
@example(text="a:\n  - b\n - c\n")
@example(text="a: 1\r\nb: [\r\n")
@example(text="\u2028a: [")
def test_loader_parse_raises_only_load_error(text: str) -> None:
    """Only LoadError escapes parse(); every position it gives is 1-based and in the text."""
    lines = _lines(text.removeprefix("\ufeff"))
    value = _parse_or_error(text)
    if isinstance(value, LoadError):
        d = value.diagnostic
        assert d.severity == "error"
        assert d.code.startswith("E")
        _check_pos(lines, d.line, d.column, d.message)
        return
    for pos in _positions(value):
        _check_pos(lines, pos.line, pos.column, "node")


@FAST
@given(data=mutated_specs())
def test_loader_agrees_with_safe_load(data: object) -> None:
    """For what safe_dump writes, the loader's values equal yaml.safe_load's (unless it
    refuses the document, e.g. for .inf / .nan), and node positions are in the text."""
    raw = dump(data).decode()
    value = _parse_or_error(raw)
    if isinstance(value, LoadError):
        return
    assert _plain(value) == _plain(yaml.safe_load(raw))
    lines = _lines(raw)
    for pos in _positions(value):
        _check_pos(lines, pos.line, pos.column, "node")


def _plain(value: Any) -> Any:
    """JSON-comparable form: keys as strings (the loader keeps keys as written)."""
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


# -- crashes the fuzzer found once: regression tests ----------------------------------------

MINIMAL_MODEL = "models: {fast: {provider: openai, model: m}}\n"
MINIMAL_ASSISTANT = (
    "assistants:\n"
    "  a: {model: fast, instructions: hi, input: {type: object}, output: {type: object}}\n"
)

#: Minimal reproducers of crashes the fuzzer found (all fixed; each must stay fixed).
FOUND_CRASH_CASES = [
    # A C0/C1 control character (or DEL) anywhere in the file: the pure-Python yaml.Reader
    # raises ReaderError from _Composer.__init__, which aiwf._spec.loader.parse calls outside
    # its try block -> exit 3 "error[internal]: ReaderError: unacceptable character #x0001".
    pytest.param("control-character", b"\x01", id="control-character"),
    pytest.param("control-character", b"name: a\x7f\n", id="control-character-del"),
    # A non-string `format` on a string schema: SchemaCompiler._of_kind (aiwf/_ir/schemas.py)
    # does `fmt in KNOWN_FORMATS` with an unhashable YSeq/YMap -> TypeError.
    pytest.param(
        "non-string-format",
        b"aiwf: 1\nname: x\nschemas:\n  S: {type: string, format: []}\n",
        id="non-string-format-list",
    ),
    pytest.param(
        "non-string-format",
        b"aiwf: 1\nname: x\nschemas:\n  S: {type: string, format: {}}\n",
        id="non-string-format-map",
    ),
    # A step whose id is the empty string: WorkflowCompiler.order (aiwf/_ir/workflows.py)
    # builds `dependents` only for truthy ids, then indexes it with '' -> KeyError: ''.
    pytest.param(
        "empty-step-id",
        (
            "aiwf: 1\nname: x\n" + MINIMAL_MODEL + MINIMAL_ASSISTANT + "workflows:\n"
            "  w:\n"
            "    input: {type: object}\n"
            "    steps:\n"
            '      - {id: "", assistant: a, input: {}}\n'
            "    output: {}\n"
        ).encode(),
        id="empty-step-id",
    ),
    # An index of more than 4,300 digits: parse_expression (aiwf/_ir/expressions.py,
    # _parse_path) calls int() on it, which raises a plain ValueError (Python's int-string
    # limit), not ExpressionError -> exit 3 "error[internal]: ValueError: Exceeds the limit".
    pytest.param(
        "huge-index",
        PRESET_TEXT.replace("${input.tickets}", "${input.tickets[" + "9" * 4301 + "]}").encode(),
        id="huge-index",
    ),
    # A schema whose allOf refers to itself, flowing into a destination of any kind with
    # per-kind facets: _assign_by_kind (aiwf/_ir/typecheck.py) split the intersection
    # without the depth bound _assign has -> RecursionError.
    pytest.param(
        "self-referring-allof",
        PRESET_TEXT.replace(
            "  Triage:\n    type: object\n",
            "  Triage:\n    type: null\n    allOf:\n    - {type: string, $ref: '#/schemas/Triage'}\n",
        )
        .replace(
            'input: {type: array, items: {$ref: "#/schemas/Triage"}}',
            'input: {type: array, items: {$ref: "#/schemas/Triage", properties: {type: string}}}',
        )
        .encode(),
        id="self-referring-allof",
    ),
]


@pytest.mark.parametrize("name", ['"', 'a"b', '\\"'])
def test_format_path_double_quote_round_trips(name: str) -> None:
    """format_path writes ["\""] for a name holding '"'; parse_expression reads it back."""
    text = "input" + format_path((name,))
    assert parse_expression(text).path == (name,)


@pytest.mark.parametrize(("name", "raw"), FOUND_CRASH_CASES)
def test_found_crash_stays_fixed(name: str, raw: bytes) -> None:
    outcome = validate_bytes(raw)
    outcome.check(f"{name}: {show(raw)}")
    assert outcome.code == 1, outcome.output
