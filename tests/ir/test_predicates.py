"""The compiled predicates say yes exactly when the validator's traversal finds no problem."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aiwf._ir import types as t
from aiwf._ir.validate import Validator

KEYS = ["a", "b", "c"]


def _json(numbers: list[float]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-5, 5)
        | st.sampled_from(numbers)
        | st.sampled_from(["", "a", "ab", "abc", "2024-01-02", "x@y.z", "1"]),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(st.sampled_from([0, 1, 1.0, "a", [0]]), max_size=4)  # repeats, for unique
            | st.dictionaries(st.sampled_from([*KEYS, "d"]), inner, max_size=4)
        ),
        max_leaves=12,
    )


#: Values checked (an infinity is not JSON, but a value handed to a check may hold one).
json_values = _json([0.0, 1.0, 2.5, -1.5, 3.0, 1e300, float("inf")])
#: Literals inside types (enum and const values are JSON).
literals = _json([0.0, 1.0, 2.5, -1.5, 3.0, 1e300])

_opt_int = st.none() | st.integers(0, 3)
_opt_num = st.none() | st.sampled_from([-1, 0, 1, 2, 0.5, 2.5])
_common = {"nullable": st.booleans()}


def _numeric(cls: type[t.IntegerType] | type[t.NumberType]) -> st.SearchStrategy[t.Type]:
    return st.builds(
        cls,
        minimum=_opt_num,
        maximum=_opt_num,
        exclusive_minimum=_opt_num,
        exclusive_maximum=_opt_num,
        multiple_of=st.none() | st.sampled_from([1, 2, 0.5]),
        **_common,
    )


scalar_types = st.one_of(
    st.builds(t.AnyType, **_common),
    st.builds(t.NeverType, **_common),
    st.builds(t.NullType, **_common),
    st.builds(t.BooleanType, **_common),
    _numeric(t.IntegerType),
    _numeric(t.NumberType),
    st.builds(
        t.StringType,
        min_length=_opt_int,
        max_length=_opt_int,
        pattern=st.none() | st.sampled_from(["^a", "b", "^[0-9]+$"]),
        format=st.none() | st.sampled_from(["date", "email", "regex", "unknown-format"]),
        **_common,
    ),
    st.builds(t.EnumType, values=st.lists(literals, max_size=3).map(tuple), **_common),
    st.builds(t.ConstType, value=literals, **_common),
    st.builds(t.RefType, name=st.sampled_from(["Leaf", "Tree"]), **_common),
)


def _compound(inner: st.SearchStrategy[t.Type]) -> st.SearchStrategy[t.Type]:
    props = st.lists(
        st.builds(t.Property, name=st.sampled_from(KEYS), type=inner, required=st.booleans()),
        max_size=3,
        unique_by=lambda p: p.name,
    ).map(tuple)
    objects = st.builds(t.ObjectType, properties=props, additional=st.booleans() | inner, **_common)
    arrays = st.builds(
        t.ArrayType,
        items=inner,
        min_items=_opt_int,
        max_items=_opt_int,
        unique_items=st.booleans(),
        **_common,
    )
    variants = st.lists(inner, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        objects,
        arrays,
        st.builds(t.UnionType, variants=variants, exclusive=st.booleans(), **_common),
        st.builds(t.IntersectionType, variants=variants, **_common),
        st.builds(
            t.ByKindType,
            object=st.none() | objects,
            array=st.none() | arrays,
            string=st.none() | st.builds(t.StringType, min_length=_opt_int, max_length=_opt_int),
            number=st.none() | st.builds(t.NumberType, minimum=_opt_num, maximum=_opt_num),
            **_common,
        ),
    )


types = st.recursive(scalar_types, _compound, max_leaves=8)

#: Two contracts, one recursive, for the references.
CONTRACTS: dict[str, t.Type] = {
    "Leaf": t.StringType(min_length=1),
    "Tree": t.ObjectType(
        properties=(
            t.Property(name="a", type=t.IntegerType(), required=True),
            t.Property(name="b", type=t.ArrayType(items=t.RefType(name="Tree")), required=False),
        ),
        additional=False,
    ),
}


def _agree(validator: Validator, value: Any, typ: t.Type) -> None:
    expected = validator.traversed_valid(value, typ)
    assert validator.is_valid(value, typ) is expected
    assert (validator.problems(value, typ) == []) is expected


@settings(max_examples=1500, deadline=None)
@given(typ=types, value=json_values)
def test_a_predicate_agrees_with_the_traversal(typ: t.Type, value: Any) -> None:
    _agree(Validator(CONTRACTS), value, typ)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_a_recursive_contract_compiles_and_agrees(value: Any) -> None:
    validator = Validator(CONTRACTS)
    for name in ("Tree", "Leaf"):
        _agree(validator, value, t.RefType(name=name))
        _agree(validator, {"a": 1, "b": [value, {"a": 2}]}, t.RefType(name=name))


def test_predicates_are_kept_per_type_and_per_contract() -> None:
    validator = Validator(CONTRACTS)
    typ = t.ArrayType(items=t.IntegerType(minimum=0))
    assert validator.is_valid([1, 2], typ)
    assert not validator.is_valid([1, -1], typ)
    compiler = validator._predicates
    assert compiler.predicate(typ) is compiler.predicate(typ)
    assert compiler.predicate(t.RefType(name="Tree")) is compiler.predicate(t.RefType(name="Tree"))
    problems = validator.problems([1, -1, "x"], typ)
    assert [p.render() for p in problems] == [
        "/1: minimum: expected at least 0, got -1",
        "/2: type: expected integer, got string",
    ]


def test_an_unknown_contract_fails_when_a_value_reaches_it() -> None:
    validator = Validator(CONTRACTS)
    typ = t.ArrayType(items=t.RefType(name="Missing"))
    assert validator.is_valid([], typ)  # no value reaches the reference
    try:
        validator.is_valid([1], typ)
    except KeyError:
        pass
    else:  # pragma: no cover - the assertion's message
        raise AssertionError("an unknown contract passed")
