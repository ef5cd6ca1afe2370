"""A validity check compiled once per output schema, for the schemas model outputs mostly
have (objects of strings, numbers, booleans, arrays and string enums).

The runtime checks every answer against its output schema; jsonschema's validator is
exact and words its errors well, but walking a valid answer through it costs about as much
CPU as the rest of a call. :func:`compile_check` turns a schema that uses only the keywords
below into one Python closure that answers "valid" or "not known to be valid"; the runtime
asks jsonschema only in the second case, so every problem it reports still comes from
jsonschema, word for word. A schema with any other keyword (``$ref``, ``anyOf``,
``multipleOf``, ``patternProperties``, ...) is not compiled: jsonschema checks it as before.

Supported, with Draft 2020-12's meaning: ``type`` (a name or a list), ``properties``,
``required``, ``additionalProperties`` (a boolean or a schema), ``items`` (a schema),
``minItems``, ``maxItems``, ``minLength``, ``maxLength``, ``pattern``, ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``enum`` and ``const`` of strings,
the boolean schema ``true``, and the annotations that assert nothing (``title``,
``description``, ``default``, ``examples``, ``format``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sized
from typing import Any

Check = Callable[[Any], bool]

#: Keywords that assert nothing in Draft 2020-12 (``format`` is an annotation unless a format
#: checker is given, and the runtime's jsonschema validator has none).
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "format",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)

_SUPPORTED = _ANNOTATIONS | {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "const",
}


class _Unsupported(Exception):
    pass


def compile_check(schema: Any) -> Check | None:
    """A closure that returns True only for values valid against ``schema`` (False may also
    mean "ask jsonschema"); None when the schema uses a keyword this module does not know."""
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _never(value: Any) -> bool:
    return False


def _is_integer(value: Any) -> bool:
    cls = value.__class__
    return cls is int or (cls is float and value.is_integer())


def _is_number(value: Any) -> bool:
    cls = value.__class__
    return cls is int or cls is float


_TYPES: dict[str, Check] = {
    "object": lambda v: v.__class__ is dict,
    "array": lambda v: v.__class__ is list,
    "string": lambda v: v.__class__ is str,
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: v is True or v is False,
    "null": lambda v: v is None,
}


def _number(value: Any) -> float | int:
    if value.__class__ not in (int, float):
        raise _Unsupported
    return value


def _count(value: Any) -> int:
    if value.__class__ is not int or value < 0:
        raise _Unsupported
    return int(value)


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda v: True
    if not isinstance(schema, Mapping) or not set(schema) <= _SUPPORTED:
        raise _Unsupported
    checks: list[Check] = []
    kind = schema.get("type")
    if kind is not None:
        names = [kind] if isinstance(kind, str) else kind
        if not isinstance(names, list) or not names or any(n not in _TYPES for n in names):
            raise _Unsupported
        tests = [_TYPES[n] for n in names]
        checks.append(tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests))
    for keyword in ("enum", "const"):
        if keyword in schema:
            allowed = schema[keyword] if keyword == "enum" else [schema[keyword]]
            if not isinstance(allowed, list) or any(a.__class__ is not str for a in allowed):
                raise _Unsupported
            checks.append(_member_of(frozenset(allowed)))
    checks.extend(_object_checks(schema))
    checks.extend(_array_checks(schema))
    checks.extend(_string_checks(schema))
    checks.extend(_number_checks(schema))
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    """One check that holds when every one of ``checks`` holds (no loop for up to three:
    most schema nodes have one to three)."""
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)
    return lambda v: all(check(v) for check in checks)


def _member_of(members: frozenset[str]) -> Check:
    return lambda v: v.__class__ is str and v in members


def _object_checks(schema: Mapping[str, Any]) -> list[Check]:
    props = schema.get("properties", {})
    required = schema.get("required", [])
    additional = schema.get("additionalProperties", True)
    if not isinstance(props, Mapping) or not isinstance(required, list):
        raise _Unsupported
    if any(not isinstance(name, str) for name in [*props, *required]):
        raise _Unsupported
    if not props and not required and additional is True:
        return []
    subs = {name: _compile(sub) for name, sub in props.items()}
    needed = tuple(dict.fromkeys(required))
    extra: Check | None
    if additional is True:
        extra = None
    elif additional is False:
        extra = _never
    else:
        extra = _compile(additional)

    def check(value: Any) -> bool:
        if value.__class__ is not dict:
            return True  # these keywords say nothing about other kinds
        for name in needed:
            if name not in value:
                return False
        for name, item in value.items():
            sub = subs.get(name)
            if sub is not None:
                if not sub(item):
                    return False
            elif extra is not None and not extra(item):
                return False
        return True

    return [check]


def _length_checks(
    schema: Mapping[str, Any], kind: type[Sized], least: str, most: str
) -> list[Check]:
    """``least`` and ``most`` (``minItems``/``maxItems``, ``minLength``/``maxLength``): the
    length bounds of values of class ``kind``, which say nothing about other values."""
    checks: list[Check] = []
    if least in schema:
        low = _count(schema[least])
        checks.append(lambda v: v.__class__ is not kind or len(v) >= low)
    if most in schema:
        high = _count(schema[most])
        checks.append(lambda v: v.__class__ is not kind or len(v) <= high)
    return checks


def _array_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "items" in schema:
        item = _compile(schema["items"])
        checks.append(lambda v: v.__class__ is not list or all(item(x) for x in v))
    return checks + _length_checks(schema, list, "minItems", "maxItems")


def _string_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks = _length_checks(schema, str, "minLength", "maxLength")
    if "pattern" in schema:
        if not isinstance(schema["pattern"], str):
            raise _Unsupported
        try:
            search = re.compile(schema["pattern"]).search
        except re.error:
            raise _Unsupported from None
        checks.append(lambda v: v.__class__ is not str or search(v) is not None)
    return checks


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    bounds = [
        (_number(schema[keyword]) if keyword in schema else None)
        for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    ]
    if bounds == [None, None, None, None]:
        return []
    low, high, above, below = bounds

    def check(v: Any) -> bool:
        cls = v.__class__
        if cls is not int and cls is not float:
            return True  # these keywords say nothing about other kinds
        return (
            (low is None or v >= low)
            and (high is None or v <= high)
            and (above is None or v > above)
            and (below is None or v < below)
        )

    return [check]
