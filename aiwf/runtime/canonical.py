"""Canonical JSON and contract order (docs/wire.md §1 and §2): the bytes every runner sends.

:func:`dumps` writes compact JSON with ECMAScript number formatting and a fixed string
escaping; :func:`in_contract_order` puts an input value's object members in the order of its
contract's JSON Schema (declared members first, the rest sorted by code point). The Go and
TypeScript runtimes implement the same two rules, and the conformance vectors compare the
results byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: Integers up to this magnitude are exact doubles; larger ones go out as the nearest double.
_EXACT = 2**53

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_ESCAPE_TABLE = {
    **{i: f"\\u{i:04x}" for i in range(0x20)},
    **{ord(k): v for k, v in _ESCAPES.items()},
}


def quote(text: str) -> str:
    """A JSON string literal for ``text`` (lone surrogates become U+FFFD)."""
    out = text.translate(_ESCAPE_TABLE)
    if any("\ud800" <= ch <= "\udfff" for ch in out):
        out = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in out)
    return '"' + out + '"'


def number(value: int | float) -> str:
    """``value`` as ECMAScript's ``Number::toString`` writes the double nearest to it."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int) and -_EXACT <= value <= _EXACT:
        return str(value)
    x = float(value)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{value!r} is not a JSON number")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + number(-x)
    # repr() gives the shortest digits that round-trip; x = 0.DIGITS * 10**n
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    significant = digits.lstrip("0")
    n = len(whole) + (int(exponent) if exponent else 0) - (len(digits) - len(significant))
    digits = significant.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    exp = n - 1
    sign = "+" if exp >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{sign}{abs(exp)}"


def dumps(value: Any) -> str:
    """``value`` as canonical JSON: members in their given order, no whitespace."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, (int, float)):
        out.append(number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            if not first:
                out.append(",")
            first = False
            out.append(quote(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


# -- contract order -------------------------------------------------------------------------


def in_contract_order(value: Any, schema: Any) -> Any:
    """``value`` with every object's members in contract order (docs/wire.md §2) against
    ``schema`` (a JSON Schema whose ``$ref``s point into itself; None: untyped)."""
    return _order(value, schema, schema if isinstance(schema, Mapping) else None)


def _resolve(schema: Any, root: Mapping[str, Any] | None) -> Any:
    hops = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and hops < 64:
        ref: str = schema["$ref"]
        if root is None or not ref.startswith("#"):
            return None
        target: Any = root
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                return None
            target = target[part]
        schema = target
        hops += 1
    return schema


def _declared(
    schema: Any, root: Mapping[str, Any] | None, found: dict[str, Any], depth: int = 0
) -> None:
    """The members ``schema`` declares, in order, each with the first schema declaring it."""
    schema = _resolve(schema, root)
    if not isinstance(schema, Mapping) or depth > 64:
        return
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name, sub in props.items():
            found.setdefault(name, sub)
    for keyword in ("allOf", "anyOf", "oneOf"):
        variants = schema.get(keyword)
        if isinstance(variants, list):
            for variant in variants:
                _declared(variant, root, found, depth + 1)


def _order(value: Any, schema: Any, root: Mapping[str, Any] | None) -> Any:
    schema = _resolve(schema, root)
    typed = isinstance(schema, Mapping) and bool(schema)
    if isinstance(value, list):
        items = schema.get("items") if typed else None
        return [_order(item, items, root) for item in value]
    if not isinstance(value, Mapping):
        return value
    declared: dict[str, Any] = {}
    extra = None
    if typed:
        _declared(schema, root, declared)
        additional = schema.get("additionalProperties")
        extra = additional if isinstance(additional, Mapping) else None
    out: dict[str, Any] = {}
    for name, sub in declared.items():
        if name in value:
            out[name] = _order(value[name], sub, root)
    for name in sorted(k for k in value if k not in declared):
        out[name] = _order(value[name], extra, root)
    return out
