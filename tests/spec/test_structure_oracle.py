"""The structure checker (aiwf/_structure.py) against jsonschema as an oracle.

Values are drawn from the schemas themselves (mostly valid, then bent: a wrong kind, a value
out of range, a missing or an extra key, an item repeated) so that the checker's verdict on
each keyword is exercised both ways; jsonschema (draft 2020-12, with format assertion) must
give the same verdict on every one. A checker that ignored a keyword would accept what the
oracle rejects.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fuzz_support import mutated_specs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwf._spec.structure import format_schema
from aiwf._structure import IMPLEMENTED, Checker, SchemaError

REPO = Path(__file__).resolve().parents[2]
CONFIG_SCHEMA = json.loads((REPO / "aiwf" / "config.schema.json").read_text(encoding="utf-8"))
DOCUMENTS = {"format": format_schema(), "config": CONFIG_SCHEMA}
CHECKERS = {name: Checker(document) for name, document in DOCUMENTS.items()}
ORACLE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

_finite = st.floats(allow_nan=False, allow_infinity=False, width=32)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20),
    _finite,
    st.integers(0, 3).map(float),  # integral floats: integers to JSON Schema
    st.text(max_size=8),
)
json_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def _resolve(document: dict[str, Any], schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        schema = document if ref == "#" else document["$defs"][ref.rsplit("/", 1)[1]]
    return schema


def fitting(document: dict[str, Any], schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that fit ``schema`` (what the checker must accept)."""
    schema = _resolve(document, schema)
    if schema is True or schema == {}:
        return json_values
    if not isinstance(schema, dict):
        return st.nothing()
    if "anyOf" in schema:
        branches = schema["anyOf"]
        if depth > 3:  # recursive schemas (contracts): end in a leaf
            leaves = [b for b in branches if _resolve(document, b).get("type") == "boolean"]
            branches = leaves or branches
        return st.one_of([fitting(document, b, depth + 1) for b in branches])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            text = st.from_regex(schema["pattern"], fullmatch=True).filter(lambda t: len(t) < 60)
        elif schema.get("format") == "regex":
            text = st.sampled_from(["^a+$", "[a-z]", "(?P<x>a)", ""])
        else:
            text = st.text(max_size=6)
        return text.filter(lambda t: len(t) >= schema.get("minLength", 0))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1e6) + 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", 1e6) - 1)
        ints = st.integers(int(low) if low == int(low) else int(low) + 1, int(high))
        return ints if kind == "integer" else st.one_of(ints, st.floats(low, high))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = fitting(document, schema.get("items", True), depth + 1)
        unique = json.dumps if schema.get("uniqueItems") else None
        size = {"min_size": schema.get("minItems", 0), "max_size": 2 if depth > 2 else 3}
        if unique is None:
            return st.lists(items, **size)
        return st.lists(items, unique_by=lambda v: json.dumps(v, sort_keys=True), **size)
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        base = st.fixed_dictionaries(
            {k: fitting(document, v, depth + 1) for k, v in props.items() if k in required},
            optional={
                k: fitting(document, v, depth + 1) for k, v in props.items() if k not in required
            },
        )
        extra = schema.get("additionalProperties", True)
        if extra is False or depth > 2:
            return base
        names = schema.get("propertyNames")
        key = st.from_regex(names["pattern"], fullmatch=True) if names else st.text(max_size=5)
        more = st.dictionaries(
            key.filter(lambda k: k not in props), fitting(document, extra, depth + 1), max_size=2
        )
        return st.builds(lambda a, b: {**b, **a}, base, more)
    return json_values


_JUNK = st.one_of(_scalars, st.just([]), st.just({}), st.just([1, 1]))
#: Strings that break patterns, lengths and formats (an unclosed group is not a regex).
_BAD_STRINGS = st.sampled_from(["(", "[a-", "", " ", "x" * 70, "2x", "${x", "a b", "#/nope/x"])


@st.composite
def near(draw: st.DrawFn, document: dict[str, Any], schema: Any) -> Any:
    """A fitting value, then (two times in three) one change at one place in it: a value
    replaced by junk or by its neighbour, a key removed or added, an item repeated."""
    value = draw(fitting(document, schema))
    if draw(st.integers(0, 2)) == 0:
        return value
    places: list[tuple[Any, Any]] = [(None, None)]

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                places.append((node, k))
                collect(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                places.append((node, i))
                collect(v)

    collect(value)
    parent, key = draw(st.sampled_from(places))
    target = value if parent is None else parent[key]
    if isinstance(target, str):
        change = draw(st.sampled_from(["string", "string", "junk", "drop"]))
    elif isinstance(target, bool) or not isinstance(target, (int, float)):
        change = draw(st.sampled_from(["junk", "drop", "add", "repeat"]))
    else:
        change = draw(st.sampled_from(["junk", "plus", "minus", "fraction"]))
    if change in ("junk", "string") or (change in ("drop", "add", "repeat") and parent is None):
        new = draw(_BAD_STRINGS if change == "string" else _JUNK)
        if parent is None:
            return new
        parent[key] = new
    elif change in ("plus", "minus", "fraction"):
        new = {"plus": target + 1, "minus": target - 1, "fraction": target + 0.5}[change]
        if parent is None:
            return new
        parent[key] = new
    elif change == "drop" and isinstance(parent, dict):
        del parent[key]
    elif change == "add" and isinstance(target, dict):
        target[draw(st.sampled_from(["extra", "idd", "2x", "model"]))] = draw(_scalars)
    elif change == "repeat" and isinstance(target, list) and target:
        target.append(copy.deepcopy(target[0]))
    else:
        parent[key] = draw(_JUNK)
    return value


def _oracle(document: dict[str, Any], ref: str | None) -> jsonschema.protocols.Validator:
    schema = document
    if ref is not None:
        schema = {"$schema": document.get("$schema"), "$defs": document["$defs"], "$ref": ref}
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


CASES = [
    (name, ref)
    for name, document in DOCUMENTS.items()
    for ref in [None, *(f"#/$defs/{d}" for d in document.get("$defs", {}))]
]


@pytest.mark.parametrize(("document_name", "ref"), CASES)
@given(data=st.data())
@ORACLE
def test_verdicts_agree_with_jsonschema(
    document_name: str, ref: str | None, data: st.DataObject
) -> None:
    document = DOCUMENTS[document_name]
    checker = CHECKERS[document_name]
    schema: Any = document if ref is None else {"$ref": ref}
    value = data.draw(near(document, schema), label="value")
    expected = _oracle(document, ref).is_valid(value)
    problems = checker.check(value, schema)
    assert (not problems) == expected, (value, [p.text for p in problems])


@given(data=mutated_specs())
@ORACLE
def test_whole_mutated_spec_files_agree_with_jsonschema(data: Any) -> None:
    document = format_schema()
    value = json.loads(json.dumps(data))  # the plain JSON a spec file loads as
    problems = CHECKERS["format"].check(value, document)
    assert (not problems) == _oracle(document, None).is_valid(value), [p.text for p in problems]


def test_the_schemas_use_only_what_the_checker_implements() -> None:
    used: set[str] = set()

    def walk(node: Any, is_schema: bool = True) -> None:
        if isinstance(node, dict):
            if is_schema:
                used.update(node)
            for key, value in node.items():
                if key in ("properties", "$defs"):
                    for sub in value.values():
                        walk(sub)
                elif key in ("items", "additionalProperties", "propertyNames"):
                    walk(value)
                elif key == "anyOf":
                    for sub in value:
                        walk(sub)

    for document in DOCUMENTS.values():
        walk(document)
    # uniqueItems and format are used by the format schema and must be checked, not skipped
    assert {"uniqueItems", "format", "pattern", "anyOf", "propertyNames"} <= used
    assert used & IMPLEMENTED >= {"uniqueItems", "format"}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "string", "multipleOf": 2}, "keywords not implemented: multipleOf"),
        (
            {"properties": {"a": {"oneOf": [True]}}},
            "#/properties/a: keywords not implemented: oneOf",
        ),
        ({"type": "string", "format": "email"}, "format 'email' is not checked"),
        ({"$ref": "other.json#/x"}, "cannot follow $ref"),
        ({"type": "strng"}, "unknown type 'strng'"),
    ],
)
def test_a_keyword_it_does_not_implement_is_refused(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message.replace("$", r"\$")):
        Checker(schema)


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "array", "uniqueItems": True}, [1, "1", True], [1, 1.0]),
        ({"type": "array", "uniqueItems": True}, [{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 1.0}]),
        ({"type": "string", "format": "regex"}, "^a+$", "(unclosed"),
        ({"type": "integer"}, 8.0, 8.5),
        ({"enum": [1]}, 1.0, True),
        ({"const": False}, False, 0),
    ],
)
def test_keywords_the_format_uses_are_applied(schema: dict[str, Any], good: Any, bad: Any) -> None:
    checker = Checker(copy.deepcopy(schema))
    assert checker.is_valid(good, schema)
    assert not checker.is_valid(bad, schema)
