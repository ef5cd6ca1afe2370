"""Helpers for the ``aiwf validate`` fuzz tests: running the CLI in-process and in a
subprocess, and hypothesis strategies that build random and mutated specs."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from aiwf._cli import main

REPO = Path(__file__).resolve().parents[2]
PRESET = REPO / "presets" / "workflows" / "ticket-triage.aiwf.yaml"
PRESET_TEXT = PRESET.read_text(encoding="utf-8")
PRESET_DATA: dict[str, Any] = yaml.safe_load(PRESET_TEXT)

ALLOWED_EXIT_CODES = frozenset({0, 1})
CRASH_MARKERS = ("Traceback (most recent call last)", "error[internal]")


# -- running the CLI ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def check(self, what: str = "") -> None:
        """Fail on an exit code other than 0/1 or on a traceback / internal error."""
        crashed = [m for m in CRASH_MARKERS if m in self.output]
        message = (
            f"aiwf validate crashed (exit {self.code}) on {what}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )
        assert self.code in ALLOWED_EXIT_CODES, message
        assert not crashed, message


@contextlib.contextmanager
def _clean_env() -> Iterator[None]:
    """No $AIWF_ENV / $AIWF_TRACEBACK leaking in from the caller's shell."""
    saved = {k: os.environ.pop(k) for k in ("AIWF_ENV", "AIWF_TRACEBACK") if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def empty_config(directory: Path) -> Path:
    """An empty aiwf.toml, so that no project config found upwards changes the result."""
    config = directory / "aiwf.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    return config


def run_validate(paths: list[Path], config: Path) -> Outcome:
    """``aiwf validate PATHS`` in this process, through the real entry point."""
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = None
    with _clean_env(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["validate", "--config", str(config), *map(str, paths)])
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:  # escaped the error boundary: a crash
            import traceback

            err.write("Traceback (most recent call last):\n" + traceback.format_exc())
            code = f"raised {type(exc).__name__}"
    if code is None:
        code = 0
    return Outcome(code if isinstance(code, int) else -1, out.getvalue(), err.getvalue())


def run_validate_subprocess(paths: list[Path], config: Path, timeout: float = 60) -> Outcome:
    """``python -m aiwf validate PATHS`` in a new process."""
    env = {k: v for k, v in os.environ.items() if k not in ("AIWF_ENV", "AIWF_TRACEBACK")}
    proc = subprocess.run(
        [sys.executable, "-m", "aiwf", "validate", "--config", str(config), *map(str, paths)],
        capture_output=True,
        timeout=timeout,
        env=env,
        cwd=config.parent,
        check=False,
    )
    return Outcome(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def validate_bytes(raw: bytes, *, suffix: str = ".aiwf.yaml") -> Outcome:
    """Write ``raw`` to a fresh spec file and validate it in-process."""
    with tempfile.TemporaryDirectory(prefix="aiwf-fuzz-") as tmp:
        directory = Path(tmp)
        spec = directory / ("spec" + suffix)
        spec.write_bytes(raw)
        return run_validate([spec], empty_config(directory))


def validate_files(files: dict[str, bytes], *, as_directory: bool = True) -> Outcome:
    """Write several spec files to a directory; validate the directory (or each file)."""
    with tempfile.TemporaryDirectory(prefix="aiwf-fuzz-") as tmp:
        directory = Path(tmp)
        spec_dir = directory / "spec"
        spec_dir.mkdir()
        paths = []
        for name, raw in files.items():
            path = spec_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw)
            paths.append(path)
        targets = [spec_dir] if as_directory else paths
        return run_validate(targets, empty_config(directory))


def dump(data: Any) -> bytes:
    """YAML text of ``data`` (keys in insertion order, unicode kept)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000).encode("utf-8")


def show(raw: bytes | str) -> str:
    """A compact repr of a failing input, for assertion messages."""
    return repr(raw if len(raw) < 4000 else raw[:4000])


# -- random text -------------------------------------------------------------------------------

#: Fragments that exercise YAML features and the spec's own syntax.
YAML_FRAGMENTS = [
    "aiwf: 1\n",
    "aiwf: 2\n",
    "name: support\n",
    "models:\n",
    "schemas:\n",
    "assistants:\n",
    "workflows:\n",
    "  fast: {provider: openai, model: gpt-5.4-mini}\n",
    "  x:\n",
    "    steps:\n",
    "      - id: a\n",
    "        assistant: classify\n",
    "        input: ${input}\n",
    "        scatter: ${input.tickets}\n",
    "        needs: [a]\n",
    "    input: Ticket\n",
    "    output: {type: object}\n",
    "- ",
    ": ",
    "? ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "%TAG ! tag:example.com,2000:\n",
    "&a ",
    "*a",
    "&anchor [1, 2]",
    "*anchor",
    "<<: *a\n",
    "<<: [*a, *a]\n",
    "<<: ",
    "!!python/object:os.system ",
    "!!python/object/apply:os.system [echo hi]",
    "!!python/name:os.system ",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!timestamp 2001-12-14",
    "!!int ",
    "!!float ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!custom ",
    "!<tag:yaml.org,2002:str> ",
    "2001-12-14t21:59:43.10-05:00",
    "0x1F",
    "0o17",
    "1e400",
    "-1e400",
    ".inf",
    "-.inf",
    ".nan",
    "99999999999999999999999999999999",
    "~",
    "null",
    "yes",
    "on",
    "True",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    '"\\u0000"',
    '"\\x00\\ud800"',
    "|\n",
    ">-\n",
    "|+2\n",
    "#",
    "${",
    "}",
    "${input}",
    "$${input}",
    "${steps.a.output}",
    "${prev.output}",
    "${item}",
    "${index}",
    '${input["a b"]}',
    "${input.a[0]}",
    "\ufeff",
    "\u2028",
    "\u0085",
    "\x7f",
    "\x1b",
    "\U0001f600",
    "名前",
]

NESTED_BRACKETS = st.integers(min_value=1, max_value=2000).map(lambda n: "[" * n + "]" * n)
NESTED_BRACES = st.integers(min_value=1, max_value=2000).map(lambda n: "{a: " * n + "1" + "}" * n)
NESTED_UNBALANCED = st.integers(min_value=1, max_value=5000).map(lambda n: "[" * n)
NESTED_BLOCK = st.integers(min_value=1, max_value=300).map(
    lambda n: "".join(" " * i + f"k{i}:\n" for i in range(n)) + " " * n + "v\n"
)


@st.composite
def billion_laughs(draw: st.DrawFn) -> str:
    """Aliases that multiply content (a small 'billion laughs'), or that recurse."""
    width = draw(st.integers(2, 10))
    depth = draw(st.integers(1, 9))
    lines = ["a0: &a0 [x, y]"]
    for i in range(1, depth + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    if draw(st.booleans()):
        lines.append("rec: &r [*r]")  # an alias to an unfinished node: a YAML error
    if draw(st.booleans()):
        lines.append(f"<<: {{k: *a{depth}}}")
    return "\n".join(lines) + "\n"


yaml_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(YAML_FRAGMENTS), st.text(max_size=8)), max_size=40).map(
        "".join
    ),
    NESTED_BRACKETS,
    NESTED_BRACES,
    NESTED_UNBALANCED,
    NESTED_BLOCK,
    billion_laughs(),
    st.text(max_size=200),
)


@st.composite
def preset_with_fragment(draw: st.DrawFn) -> str:
    """The preset's text with a YAML fragment inserted at a random line and column."""
    lines = PRESET_TEXT.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    j = draw(st.integers(0, len(line)))
    fragment = draw(st.one_of(st.sampled_from(YAML_FRAGMENTS), st.text(max_size=6)))
    if draw(st.booleans()):
        lines[i] = line[:j] + fragment + line[j:]
    else:  # replace the rest of the line
        lines[i] = line[:j] + fragment + "\n"
    return "".join(lines)


@st.composite
def raw_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes: pure noise, or YAML-ish text spoiled with invalid UTF-8, NUL or a BOM."""
    kind = draw(st.sampled_from(["binary", "spoiled", "bom", "encoding"]))
    if kind == "binary":
        return draw(st.binary(max_size=300))
    text = draw(st.one_of(yaml_text, preset_with_fragment()))
    raw = text.encode("utf-8", "surrogatepass")
    if kind == "bom":
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"])) + raw
    if kind == "encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "latin-1", "cp1252"]))
        return text.encode(encoding, "replace")
    junk = draw(
        st.sampled_from(
            [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xfe\xff"]
        )
    )
    at = draw(st.integers(0, len(raw)))
    return raw[:at] + junk + raw[at:]


# -- structure-aware mutations of the preset ---------------------------------------------------

SPECIAL_NAMES = [
    "input",
    "steps",
    "prev",
    "item",
    "index",
    "output",
    "class",
    "def",
    "None",
    "True",
    "import",
    "async",
    "await",
    "self",
    "type",
    "__init__",
    "_",
    "__",
    "a-b",
    "a.b",
    "a b",
    "1abc",
    "A",
    "Ticket",
    "Triage",
    "classify",
    "summarize",
    "digest",
    "triage",
    "fast",
    "careful",
    "ticket",
    "TICKET",
    "Über",
    "名前",
    "ǅ",
    "\U0001d400",
    "x" * 200,
    "",
    " ",
    "$ref",
    "<<",
    "${input}",
]

names = st.one_of(
    st.sampled_from(SPECIAL_NAMES),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
    st.text(max_size=10),
)

path_parts = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(["tickets", "id", "category", "urgency", "headline", "x", "0"]),
        st.text(max_size=6),
    ),
    max_size=5,
).map(tuple)

ROOTS = ["input", "steps.classify.output", "steps.digest.output", "prev.output", "item", "index"]


@st.composite
def expressions(draw: st.DrawFn) -> str:
    """A ``${...}`` string: valid-looking roots and paths, or near misses."""
    from aiwf._ir.expressions import format_path

    kind = draw(st.sampled_from(["valid", "steps", "garbage", "interp", "escaped"]))
    if kind == "valid":
        root = draw(st.sampled_from(ROOTS))
        return "${" + root + format_path(draw(path_parts)) + "}"
    if kind == "steps":
        step = draw(names)
        tail = draw(st.sampled_from([".output", ".out", "", ".output.x", ".input"]))
        return "${steps." + step + tail + format_path(draw(path_parts)) + "}"
    if kind == "garbage":
        return draw(
            st.sampled_from(
                [
                    "${",
                    "${}",
                    "${ }",
                    "${input",
                    "${input.}",
                    "${input[}",
                    "${input[0}",
                    '${input["a}',
                    "${input['\\q']}",
                    "${inptu}",
                    "${prev}",
                    "${prev.outputx}",
                    "${steps}",
                    "${steps.}",
                    "${steps.1.output}",
                    "${index.x}",
                    "${item[-1]}",
                    "${input[99999999999999999999999]}",
                    "${input}}",
                    "${${input}}",
                    "$${input}",
                    "$$${input}",
                    "${'}",
                    '${"\\"}',
                ]
            )
        )
    if kind == "escaped":
        return "$${" + draw(st.text(max_size=8)) + "}"
    parts = draw(st.lists(st.one_of(st.text(max_size=5), expressions()), min_size=1, max_size=4))
    return "".join(parts)


SCHEMA_KEYWORDS = [
    "type",
    "properties",
    "required",
    "items",
    "prefixItems",
    "additionalItems",
    "enum",
    "const",
    "$ref",
    "$defs",
    "definitions",
    "$id",
    "$schema",
    "$anchor",
    "$dynamicRef",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "minProperties",
    "nullable",
    "default",
    "examples",
    "title",
    "description",
    "readOnly",
    "x-custom",
]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(),  # safe_dump writes .inf / .nan, which the loader must refuse cleanly
    st.text(max_size=12),
    st.sampled_from(SPECIAL_NAMES),
)


def _json_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=6), children, max_size=3),
    )


_JSON_VALUES = {n: st.recursive(json_scalars, _json_containers, max_leaves=n) for n in (4, 8)}


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    return _JSON_VALUES[max_leaves]


SCHEMA_VALUES = {
    "type": st.one_of(
        st.sampled_from(["string", "integer", "number", "boolean", "null", "object", "array"]),
        st.sampled_from(["bogus", "", "Ticket", "int"]),
        st.lists(
            st.sampled_from(["string", "integer", "null", "object", "array", "x"]), max_size=4
        ),
    ),
    "$ref": st.sampled_from(
        [
            "#/schemas/Ticket",
            "#/schemas/Triage",
            "#/schemas/Nope",
            "#/schemas/Triage/properties/category",
            "#/schemas/",
            "#/schemas",
            "#",
            "",
            "#/$defs/x",
            "#/definitions/x",
            "Ticket",
            "other.json#/x",
            "http://example.com/s.json",
            "#/schemas/Ticket/properties/~1x",
            "#/schemas/%zz",
        ]
    ),
    "pattern": st.sampled_from(["[", "(?P<", "^a+$", "\\", "a{99999999}", "(?<=a+)b", ""]),
    "format": st.sampled_from(["date-time", "email", "uuid", "bogus", ""]),
    "required": st.one_of(
        st.lists(st.sampled_from(["id", "subject", "x", "ticket_id", ""]), max_size=4),
        json_scalars,
    ),
    "enum": st.one_of(st.lists(json_values(4), max_size=4), json_scalars),
}


def schema_value(keyword: str) -> st.SearchStrategy[Any]:
    specific = SCHEMA_VALUES.get(keyword)
    schemaish = st.fixed_dictionaries(
        {"type": SCHEMA_VALUES["type"]}, optional={"$ref": SCHEMA_VALUES["$ref"]}
    )
    general = st.one_of(json_values(), schemaish, st.lists(schemaish, max_size=3))
    return st.one_of(specific, general) if specific is not None else general


def _locations(data: Any, depth: int = 0) -> list[tuple[Any, Any, int]]:
    """Every (container, key, depth) in ``data``."""
    found: list[tuple[Any, Any, int]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append((data, key, depth))
            found.extend(_locations(value, depth + 1))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.append((data, index, depth))
            found.extend(_locations(value, depth + 1))
    return found


def _containers(data: Any) -> list[Any]:
    found = [data] if isinstance(data, (dict, list)) else []
    if isinstance(data, dict):
        for value in data.values():
            found.extend(_containers(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(_containers(value))
    return found


def _steps_lists(data: Any) -> list[list[Any]]:
    workflows = data.get("workflows") if isinstance(data, dict) else None
    if not isinstance(workflows, dict):
        return []
    return [
        wf["steps"]
        for wf in workflows.values()
        if isinstance(wf, dict) and isinstance(wf.get("steps"), list)
    ]


def _rename(container: dict[Any, Any], old: Any, new: Any) -> None:
    items = [(new if k == old else k, v) for k, v in container.items()]
    container.clear()
    container.update(items)


MUTATIONS = [
    "drop",
    "rename",
    "retype",
    "swap",
    "expression",
    "schema_keyword",
    "duplicate_step",
    "needs",
    "empty_section",
    "add_entry",
    "insert_key",
    "scatter",
]


def mutate_once(draw: st.DrawFn, data: Any) -> Any:
    """Apply one random mutation to ``data`` (in place when possible); return the result."""
    op = draw(st.sampled_from(MUTATIONS))
    locations = _locations(data)
    if op == "drop" and locations:
        container, key, _ = draw(st.sampled_from(locations))
        del container[key]
    elif op == "rename":
        maps = [(c, k) for c, k, _ in locations if isinstance(c, dict)]
        if maps:
            container, key = draw(st.sampled_from(maps))
            new = draw(st.one_of(names, st.integers(-5, 5), st.none(), st.booleans()))
            if new not in container:
                _rename(container, key, new)
    elif op == "retype" and locations:
        container, key, _ = draw(st.sampled_from(locations))
        container[key] = draw(json_values())
    elif op == "swap" and len(locations) >= 2:
        c1, k1, _ = draw(st.sampled_from(locations))
        c2, k2, _ = draw(st.sampled_from(locations))
        v1, v2 = copy.deepcopy(c1[k1]), copy.deepcopy(c2[k2])
        c1[k1] = v2
        with contextlib.suppress(KeyError, IndexError):  # c2 may be gone now
            c2[k2] = v1
    elif op == "expression" and locations:
        container, key, _ = draw(st.sampled_from(locations))
        value = draw(expressions())
        if draw(st.booleans()) or not isinstance(container[key], dict):
            container[key] = value
        else:
            container[key] = {draw(names): value, "nested": [value, draw(expressions())]}
    elif op == "schema_keyword":
        maps = [c for c in _containers(data) if isinstance(c, dict)]
        schemas = data.get("schemas") if isinstance(data, dict) else None
        if isinstance(schemas, dict):
            maps += [v for v in schemas.values() if isinstance(v, dict)] * 3
        if maps:
            target = draw(st.sampled_from(maps))
            keyword = draw(st.sampled_from(SCHEMA_KEYWORDS))
            target[keyword] = draw(schema_value(keyword))
    elif op == "duplicate_step":
        lists = _steps_lists(data)
        if lists:
            steps = draw(st.sampled_from(lists))
            if steps:
                step = copy.deepcopy(draw(st.sampled_from(steps)))
                if isinstance(step, dict) and draw(st.booleans()):
                    step["id"] = draw(names)
                steps.insert(draw(st.integers(0, len(steps))), step)
    elif op == "needs":
        lists = _steps_lists(data)
        if lists:
            steps = draw(st.sampled_from(lists))
            ids = [s.get("id") for s in steps if isinstance(s, dict)] + ["nope"]
            for step in steps:
                if isinstance(step, dict) and draw(st.booleans()):
                    step["needs"] = draw(
                        st.one_of(
                            st.lists(st.sampled_from(ids), max_size=3),
                            st.sampled_from(ids),
                            json_scalars,
                        )
                    )
    elif op == "empty_section" and isinstance(data, dict):
        section = draw(
            st.sampled_from(["models", "schemas", "assistants", "workflows", "aiwf", "name"])
        )
        data[section] = draw(st.sampled_from([{}, [], None, "", 0, [{}], {"x": None}]))
    elif op == "add_entry" and isinstance(data, dict):
        section = draw(st.sampled_from(["models", "schemas", "assistants", "workflows"]))
        table = data.get(section)
        if isinstance(table, dict) and table:
            source = draw(st.sampled_from(sorted(table, key=repr)))
            new = draw(names)
            if new not in table:
                table[new] = copy.deepcopy(table[source])
    elif op == "insert_key":
        maps = [c for c in _containers(data) if isinstance(c, dict)]
        if maps:
            target = draw(st.sampled_from(maps))
            key = draw(
                st.one_of(
                    names,
                    st.sampled_from(
                        ["scatter", "needs", "concurrency", "retry", "timeout", "when", "id"]
                    ),
                )
            )
            target[key] = draw(st.one_of(json_values(), expressions()))
    elif op == "scatter":
        lists = _steps_lists(data)
        if lists:
            steps = draw(st.sampled_from(lists))
            dicts = [s for s in steps if isinstance(s, dict)]
            if dicts:
                step = draw(st.sampled_from(dicts))
                step["scatter"] = draw(st.one_of(expressions(), json_scalars))
                if draw(st.booleans()):
                    step["input"] = draw(
                        st.sampled_from(["${item}", "${index}", {"i": "${index}", "x": "${item}"}])
                    )
                if draw(st.booleans()):
                    step["concurrency"] = draw(json_scalars)
    if op == "retype" and not locations:
        data = draw(json_values())
    return data


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    """The preset's data after one to six random mutations."""
    data = copy.deepcopy(PRESET_DATA)
    for _ in range(draw(st.integers(1, 6))):
        data = mutate_once(draw, data)
    return data


@st.composite
def split_specs(draw: st.DrawFn) -> dict[str, bytes]:
    """A (possibly mutated) spec split over several *.aiwf.yaml files of one directory."""
    data = draw(mutated_specs()) if draw(st.booleans()) else copy.deepcopy(PRESET_DATA)
    if not isinstance(data, dict):
        return {"a.aiwf.yaml": dump(data)}
    keys = list(data)
    count = draw(st.integers(1, 4))
    files: list[dict[Any, Any]] = [{} for _ in range(count)]
    for key in keys:
        # a key usually goes to one file; sometimes it is repeated in several
        chosen = draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=2, unique=True))
        for i in chosen:
            files[i][key] = copy.deepcopy(data[key])
    for section in ("schemas", "assistants", "workflows"):  # entries split across files
        table = data.get(section)
        if isinstance(table, dict) and count > 1 and draw(st.booleans()):
            for f in files:
                f.pop(section, None)
            for name, value in table.items():
                files[draw(st.integers(0, count - 1))].setdefault(section, {})[name] = value
    result: dict[str, bytes] = {}
    for i, content in enumerate(files):
        name = draw(
            st.sampled_from(
                [
                    f"part{i}.aiwf.yaml",
                    f"part{i}.aiwf.yml",
                    f"sub/part{i}.aiwf.yaml",
                    f"{i}.aiwf.yaml",
                ]
            )
        )
        result[name] = dump(content) if content or draw(st.booleans()) else b""
    if draw(st.booleans()):  # a stray file that is not a spec, or a broken one
        extra = draw(st.sampled_from([("notes.yaml", b"x: [\n"), ("zz.aiwf.yaml", b"a: [\n")]))
        result[extra[0]] = extra[1]
    return result


def dumps_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
