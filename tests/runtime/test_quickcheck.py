"""The compiled validity check agrees with jsonschema (Draft 2020-12) on every schema it
compiles, for any JSON value; schemas outside its subset are left to jsonschema."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from aiwf.runtime._quickcheck import compile_check
from aiwf.runtime._structured import validate

NAMES = ["a", "b", "c"]
TEXT = st.text(alphabet="ab1-", max_size=4)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(-3, 3, allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, 1.0, -2.0, 2.5])
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner),
    max_leaves=8,
)

TYPES = ["object", "array", "string", "integer", "number", "boolean", "null"]
BOUND = st.integers(-2, 2) | st.sampled_from([0.5, -1.5, 1.0])
COUNT = st.integers(0, 3)


def _schema(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keywords = {
        "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=1, max_size=3),
        "properties": st.dictionaries(st.sampled_from(NAMES), inner, max_size=3),
        "required": st.lists(st.sampled_from(NAMES), max_size=3),
        "additionalProperties": st.booleans() | inner,
        "items": inner,
        "minItems": COUNT,
        "maxItems": COUNT,
        "minLength": COUNT,
        "maxLength": COUNT,
        "pattern": st.sampled_from(["a", "^b", "1$", "^[ab]*$"]),
        "minimum": BOUND,
        "maximum": BOUND,
        "exclusiveMinimum": BOUND,
        "exclusiveMaximum": BOUND,
        "enum": st.lists(TEXT, min_size=1, max_size=3),
        "const": TEXT,
        "description": st.just("annotation only"),
        "format": st.sampled_from(["date", "email", "uuid"]),
    }
    # One to three keywords a schema: more are mostly unsatisfiable together, and a check
    # that both sides fail says little.
    chosen = st.lists(st.sampled_from(sorted(keywords)), min_size=1, max_size=3, unique=True)
    return chosen.flatmap(lambda names: st.fixed_dictionaries({k: keywords[k] for k in names}))


schemas = st.recursive(st.just(True) | _schema(st.just(True)), _schema, max_leaves=6)

#: Cases a wrong check would get wrong (each once valid, once not, per jsonschema).
CASES: list[tuple[Any, Any]] = [
    ({"type": "integer"}, 1.0),
    ({"type": "integer"}, 1.5),
    ({"type": "integer"}, True),
    ({"type": "number"}, False),
    ({"type": "boolean"}, 0),
    ({"type": ["string", "null"]}, None),
    ({"minimum": 0}, -1),
    ({"minimum": 0}, "text"),
    ({"exclusiveMaximum": 1}, 1.0),
    ({"maxLength": 2}, "abc"),
    ({"pattern": "^a"}, "ba"),
    ({"enum": ["a", "b"]}, "c"),
    ({"const": "a"}, ["a"]),
    ({"required": ["a"]}, {"b": 1}),
    ({"required": ["a"]}, ["a"]),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1}),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"b": 1}),
    ({"additionalProperties": {"type": "integer"}}, {"b": "x"}),
    ({"items": {"type": "integer"}}, [1, "x"]),
    ({"minItems": 1}, []),
    ({"maxItems": 0}, "not an array"),
]


def test_cases_that_a_wrong_check_gets_wrong() -> None:
    for schema, value in CASES:
        check = compile_check(schema)
        assert check is not None, schema
        assert check(value) == Draft202012Validator(schema).is_valid(value), (schema, value)


@settings(max_examples=400, deadline=None)
@given(schemas, json_values)
def test_the_compiled_check_agrees_with_jsonschema(schema: Any, value: Any) -> None:
    check = compile_check(schema)
    assert check is not None, schema  # every schema drawn here is in the subset
    assert check(value) == Draft202012Validator(schema).is_valid(value), (schema, value)


def test_schemas_outside_the_subset_are_left_to_jsonschema() -> None:
    for schema in (
        {"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"type": "number", "multipleOf": 0.1},
        {"enum": [1, "a"]},
        {"type": "object", "properties": {"a": False}},
        {"type": "array", "items": [{"type": "string"}]},
        {"pattern": "("},
    ):
        assert compile_check(schema) is None, schema


def test_an_invalid_answer_is_still_reported_by_jsonschema() -> None:
    schema = {
        "type": "object",
        "required": ["ticket_id", "urgency"],
        "properties": {"ticket_id": {"type": "string"}, "urgency": {"type": "integer"}},
    }
    assert compile_check(schema) is not None
    assert validate({"ticket_id": "T-1", "urgency": 3}, schema) is None
    problem = validate({"ticket_id": "T-1", "urgency": "high"}, schema)
    assert problem is not None
    assert [(p.path, p.keyword) for p in problem.problems] == [(("urgency",), "type")]
