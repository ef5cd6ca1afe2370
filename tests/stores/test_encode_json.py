"""encode_json (every JSON artifact and journal record) encodes with orjson where it can and
with json where orjson cannot say: either way, the data and the refusals must be json's."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiwf.stores._base import InvalidArtifact, encode_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.integers(-5, 5), children, max_size=4)
    ),
    max_leaves=12,
)


def _json(value: Any) -> bytes | None:
    """What json makes of ``value`` (None: it refuses)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return None


@given(json_values)
def test_encode_json_has_json_s_data_and_refusals(value: Any) -> None:
    expected = _json(value)
    if expected is None:
        with pytest.raises(InvalidArtifact):
            encode_json(value)
        return
    assert json.loads(encode_json(value)) == json.loads(expected)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused_wherever_they_are(bad: float) -> None:
    for value in (bad, [1, bad], {"a": {"b": [bad]}}, {"a": None, "b": bad}):
        with pytest.raises(InvalidArtifact):
            encode_json(value)


def test_what_orjson_refuses_or_encodes_otherwise_is_json_s() -> None:
    class Text(str):
        pass

    assert encode_json(2**70) == b"1180591620717411303424"
    assert json.loads(encode_json({1: "a"})) == {"1": "a"}
    assert encode_json(Text("x")) == b'"x"'
    with pytest.raises(InvalidArtifact):
        encode_json({"when": __import__("datetime").date(2026, 1, 1)})


def test_a_lone_surrogate_is_written_escaped_and_reads_back() -> None:
    value = {"error": "bad \ud800 text", "ok": "é"}
    data = encode_json(value)
    assert json.loads(data) == value
