"""Canonical JSON (docs/wire.md §1) checked against an oracle: ECMAScript's own
``JSON.stringify`` (Node), which writes numbers the way the rule says; and contract order
(§2) on schemas with refs, unions and maps."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aiwf.runtime._canonical import Raw, dumps, in_contract_order, number, quote

NODE = shutil.which("node")

finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
#: Object keys JavaScript keeps in insertion order (it moves integer-like keys to the front,
#: which is why the TypeScript runtime writes members in an order it computes itself).
keys = text.filter(lambda k: not k.isdigit())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | finite | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def node_stringify(values: list[Any]) -> list[str]:
    """``JSON.stringify`` of each value, in one Node process (U+2028/U+2029 escaped after,
    which the canonical form does and JavaScript does not)."""
    assert NODE, "node is required by these tests and was not found on PATH"
    script = (
        "const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);"
        "for (const line of lines) { process.stdout.write(JSON.stringify(JSON.stringify("
        "JSON.parse(line))) + '\\n'); }"
    )
    payload = "\n".join(json.dumps(v) for v in values) + "\n"
    out = subprocess.run(
        [NODE, "-e", script], input=payload, capture_output=True, text=True, check=True
    ).stdout
    return [
        json.loads(line).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        for line in out.split("\n")
        if line
    ]


@settings(max_examples=15, deadline=None)
@given(st.lists(json_values, min_size=100, max_size=100))
def test_dumps_is_what_ecmascript_writes(values: list[Any]) -> None:
    # JSON.parse keeps a number as a double and an object's members in their order, so the
    # oracle sees exactly what the rule defines
    assert [dumps(v) for v in values] == node_stringify(values)


def test_fixed_cases() -> None:
    assert dumps({"a": "x\u2028<>&\x01\b\f\u00e9\U0001f600", "b": [1, 2.0, None, True]}) == (
        '{"a":"x\\u2028<>&\\u0001\\b\\fé😀","b":[1,2,null,true]}'
    )
    assert [number(x) for x in (0.1, 1e21, 1e-7, -0.0, 3.0, 12345678901234567891, 1e-6)] == [
        "0.1", "1e+21", "1e-7", "0", "3", "12345678901234567000", "0.000001",
    ]  # fmt: skip
    assert quote("\ud800x") == '"\ufffdx"'
    assert dumps({"schema": Raw('{"type":"object"}')}) == '{"schema":{"type":"object"}}'


def test_contract_order() -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "item": {"$ref": "#/$defs/Item"}},
        "anyOf": [{"properties": {"kind": {}}}, {"properties": {"id": {}, "alt": {}}}],
        "additionalProperties": {"type": "object", "properties": {"z": {}, "a": {}}},
        "$defs": {"Item": {"type": "object", "properties": {"sku": {}, "qty": {}}}},
    }
    value = {"zeta": {"a": 1, "z": 2, "m": 3}, "alt": 1, "item": {"qty": 2, "sku": "A"},
             "kind": "k", "id": "1", "beta": {"y": 1, "x": 2}}  # fmt: skip
    ordered = in_contract_order(value, schema)
    assert dumps(ordered) == (
        '{"id":"1","item":{"sku":"A","qty":2},"kind":"k","alt":1,'
        '"beta":{"x":2,"y":1},"zeta":{"z":2,"a":1,"m":3}}'
    )
    # untyped: every object's members sorted by code point (not by UTF-16 units)
    assert list(in_contract_order({"\ufb01": 1, "\U0001f600": 2, "a": 3}, None)) == [
        "a", "\ufb01", "\U0001f600",
    ]  # fmt: skip


CONTRACT = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "item": {"$ref": "#/$defs/Item"}},
    "anyOf": [{"properties": {"kind": {}}}, {"properties": {"id": {}, "alt": {}}}],
    "additionalProperties": {"type": "object", "properties": {"z": {}, "a": {}}},
    "$defs": {
        "Item": {"type": "object", "properties": {"sku": {}, "qty": {}}},
        "List": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
    },
}
member_keys = st.sampled_from(["id", "item", "kind", "alt", "z", "a", "sku", "qty", "m"]) | keys
contract_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | finite | text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(member_keys, inner, max_size=4)
    ),
    max_leaves=12,
)
odd_values = st.sampled_from(
    [float("nan"), {1: "x"}, {"a": {2: 1}}, [float("inf")], {"a": object()}, Raw('{"r":1}')]
)


@settings(max_examples=300, deadline=None)
@given(
    value=contract_values | odd_values | st.dictionaries(member_keys, odd_values, max_size=2),
    schema=st.sampled_from(
        [None, CONTRACT, CONTRACT["$defs"]["Item"], {"type": "array", "items": CONTRACT}, {}]
    ),
)
def test_ordered_dumps_is_dumps_of_contract_order(value: Any, schema: Any) -> None:
    """The one-walk writer of the user text gives the two steps' text, or their error."""
    from aiwf.runtime._canonical import ordered_dumps

    try:
        want: Any = dumps(in_contract_order(value, schema))
    except Exception as exc:  # the same error, whichever it is
        want = (type(exc), str(exc))
    try:
        got: Any = ordered_dumps(value, schema)
    except Exception as exc:
        got = (type(exc), str(exc))
    assert got == want


number_texts = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?(0|[1-9][0-9]{0,22})(\.[0-9]{1,22})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
)
json_texts = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    number_texts,
    st.lists(number_texts, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
    st.text(
        alphabet='0123456789.eE+-"\\u{}[],: ntrufalseNI\x00\x1f\u2028\ud800\ufeff', max_size=14
    ),
    st.sampled_from(['{"a":1,"a":2}', "NaN", "-Infinity", '"\\ud800"', "1e400", " [1] ", "[1]x"]),
)


def decoded(decode: Any, data: Any) -> Any:
    try:
        value = decode(data)
    except ValueError as exc:
        return ("error", type(exc), str(exc))
    return ("value", repr(value), json.dumps(value, default=repr, sort_keys=False))


@settings(max_examples=2000, deadline=None)
@given(json_texts, st.booleans())
def test_loads_is_json_loads(text: str, as_bytes: bool) -> None:
    """The runtime's decoder (orjson where it agrees) gives json.loads' values (with their
    types: an integer past 64 bits stays an integer) and json.loads' errors."""
    from aiwf.runtime._structured import loads

    data: Any = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert decoded(loads, data) == decoded(json.loads, data)
