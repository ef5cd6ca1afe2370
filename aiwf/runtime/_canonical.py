"""Canonical JSON and contract order (docs/wire.md §1 and §2): the bytes every runner sends.

:func:`dumps` writes compact JSON with ECMAScript number formatting and a fixed string
escaping; :func:`in_contract_order` puts an input value's object members in the order of its
contract's JSON Schema (declared members first, the rest sorted by code point). The Go and
TypeScript runtimes implement the same two rules, and the conformance vectors compare the
results byte for byte.

This runs for every request, so the common cases take the C paths of the standard library:
strings are escaped by ``json``'s own encoder (whose escapes are the canonical ones, U+2028
and U+2029 aside), and pieces that are the same for every call of an assistant (its output
schema) are serialised once and spliced in as :class:`Raw` text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any

from aiwf._memo import remember

#: Integers up to this magnitude are exact doubles; larger ones go out as the nearest double.
_EXACT = 2**53
_SURROGATE = re.compile("[\ud800-\udfff]")


class Raw(str):
    """Text that is already canonical JSON, written as it is (a cached schema, say)."""

    __slots__ = ()


def quote(text: str) -> str:
    """A JSON string literal for ``text`` (lone surrogates become U+FFFD)."""
    out: str = encode_basestring(text)
    if out.isascii():  # most texts: no separators or surrogates to look for
        return out
    if "\u2028" in out or "\u2029" in out:
        out = out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if _SURROGATE.search(out):
        out = _SURROGATE.sub("\ufffd", out)
    return out


def number(value: int | float) -> str:
    """``value`` as ECMAScript's ``Number::toString`` writes the double nearest to it."""
    if value.__class__ is int:
        if -_EXACT <= value <= _EXACT:
            return str(value)
    elif isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    x = float(value)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{value!r} is not a JSON number")
    if x == 0:
        return "0"
    text = repr(x)
    if "e" not in text:  # 1e-4 <= |x| < 1e16: repr is positional, as ECMAScript writes it
        return text[:-2] if text.endswith(".0") else text
    if x < 0:
        return "-" + number(-x)
    # repr() gives the shortest digits that round-trip; x = 0.DIGITS * 10**n
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    significant = digits.lstrip("0")
    n = len(whole) + int(exponent) - (len(digits) - len(significant))
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


#: Quoted short strings: member names and the values that repeat call after call (model,
#: instructions, modes). Filled up to its size, never evicted.
_QUOTED: dict[str, str] = {}
_QUOTED_MAX = 4096


def _quoted(text: str) -> str:
    found = _QUOTED.get(text)
    if found is None:
        found = quote(text)
        if len(text) <= 64 and len(_QUOTED) < _QUOTED_MAX:
            _QUOTED[text] = found
    return found


def _write(value: Any, out: list[str]) -> None:
    cls = value.__class__
    if cls is str:
        out.append(_quoted(value))
    elif cls is Raw:
        out.append(value)
    elif cls is dict or isinstance(value, Mapping):
        # Strings and Raw members are written here rather than by a call each: they are
        # most of the members of a request body.
        sep = "{"
        for key, item in value.items():
            if key.__class__ is not str and not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            kind = item.__class__
            if kind is str:
                out.append(sep + _quoted(key) + ":" + _quoted(item))
            elif kind is Raw:
                out.append(sep + _quoted(key) + ":" + item)
            else:
                out.append(sep + _quoted(key) + ":")
                _write(item, out)
            sep = ","
        out.append("}" if sep == "," else "{}")
    elif cls is list or cls is tuple:
        sep = "["
        for item in value:
            if item.__class__ is str:
                out.append(sep + _quoted(item))
            else:
                out.append(sep)
                _write(item, out)
            sep = ","
        out.append("]" if sep == "," else "[]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif cls is int or cls is float:
        out.append(number(value))
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, (int, float)):
        out.append(number(value))
    elif isinstance(value, (list, tuple)):
        _write(list(value), out)
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


# -- contract order -------------------------------------------------------------------------


def in_contract_order(value: Any, schema: Any) -> Any:
    """``value`` with every object's members in contract order (docs/wire.md §2) against
    ``schema`` (a JSON Schema whose ``$ref``s point into itself; None: untyped)."""
    if schema is None:
        return _order(value, None, None)
    return _order(value, schema, schema if isinstance(schema, Mapping) else None)


def _resolve(schema: Any, root: Mapping[str, Any] | None) -> Any:
    if schema is None:
        return None
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


def _plan(
    schema: Mapping[str, Any], root: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
    """The members ``schema`` declares and the schema of the others, made once per schema
    object (every call of an assistant orders its input against the same contract)."""
    key = (id(schema), id(root))
    found = _PLANS.get(key)
    if found is not None and found[0] is schema and found[1] is root:
        return found[2], found[3]
    declared: dict[str, Any] = {}
    _declared(schema, root, declared)
    additional = schema.get("additionalProperties")
    extra = additional if isinstance(additional, Mapping) else None
    remember(_PLANS, key, (schema, root, declared, extra), 1024)
    return declared, extra


#: (id(schema), id(root)) -> (schema, root, declared members, schema of the others); the
#: schemas are kept so that their ids are not reused. Read only: callers never mutate it.
_PLANS: dict[
    tuple[int, int],
    tuple[Mapping[str, Any], Any, Mapping[str, Any], Mapping[str, Any] | None],
] = {}


def ordered_dumps(value: Any, schema: Any = None) -> str:
    """``dumps(in_contract_order(value, schema))`` in one walk (no reordered copy): the
    user text of every call. A value either step refuses takes the two steps, so that the
    error is theirs."""
    out: list[str] = []
    root: Mapping[str, Any] | None
    if schema is None or schema.__class__ is dict:
        root = schema
    else:
        root = schema if isinstance(schema, Mapping) else None
    try:
        _write_ordered(value, schema, root, out)
    except Exception:
        return dumps(in_contract_order(value, schema))
    return "".join(out)


def _write_ordered(value: Any, schema: Any, root: Mapping[str, Any] | None, out: list[str]) -> None:
    cls = value.__class__
    if cls is not dict and cls is not list and not isinstance(value, (Mapping, list)):
        _write(value, out)  # strings, numbers, booleans, null (and tuples, as _order has it)
        return
    # (The type tests below look at the class first: an ABC's isinstance costs more than
    # the rest of writing a small object.)
    if schema is None:
        typed = False
    else:
        if schema.__class__ is not dict or "$ref" in schema:
            schema = _resolve(schema, root)
        typed = bool(schema) and (schema.__class__ is dict or isinstance(schema, Mapping))
    if cls is list or (cls is not dict and isinstance(value, list)):
        items = schema.get("items") if typed else None
        sep = "["
        for item in value:
            if item.__class__ is str:
                out.append(sep + (_QUOTED.get(item) or _quoted(item)))
            else:
                out.append(sep)
                _write_ordered(item, items, root, out)
            sep = ","
        out.append("]" if sep == "," else "[]")
        return
    declared: Mapping[str, Any] = {}
    extra = None
    if typed:
        declared, extra = _plan(schema, root)
    sep = "{"
    # String members (most of them) are written here rather than by a call each.
    quoted = _QUOTED
    for name, sub in declared.items():
        if name in value:
            item = value[name]
            if item.__class__ is str and name.__class__ is str:
                out.append(
                    sep
                    + (quoted.get(name) or _quoted(name))
                    + ":"
                    + (quoted.get(item) or _quoted(item))
                )
            else:
                _member(name, item, sub, root, sep, out)
            sep = ","
    for name in sorted(k for k in value if k not in declared) if declared else sorted(value):
        item = value[name]
        if item.__class__ is str and name.__class__ is str:
            out.append(
                sep
                + (quoted.get(name) or _quoted(name))
                + ":"
                + (quoted.get(item) or _quoted(item))
            )
        else:
            _member(name, item, extra, root, sep, out)
        sep = ","
    out.append("}" if sep == "," else "{}")


def _member(
    name: Any, item: Any, schema: Any, root: Mapping[str, Any] | None, sep: str, out: list[str]
) -> None:
    if name.__class__ is not str and not isinstance(name, str):
        raise TypeError(f"object keys must be strings, not {type(name).__name__}")
    if item.__class__ is str:  # most members: written here rather than by a call each
        out.append(sep + _quoted(name) + ":" + _quoted(item))
    else:
        out.append(sep + _quoted(name) + ":")
        _write_ordered(item, schema, root, out)


def _order(value: Any, schema: Any, root: Mapping[str, Any] | None) -> Any:
    cls = value.__class__
    if cls is not dict and cls is not list and not isinstance(value, (Mapping, list)):
        return value  # strings, numbers, booleans, null
    schema = _resolve(schema, root)
    typed = schema is not None and isinstance(schema, Mapping) and bool(schema)
    if isinstance(value, list):
        items = schema.get("items") if typed else None
        return [_order(item, items, root) for item in value]
    declared: Mapping[str, Any] = {}
    extra = None
    if typed:
        declared, extra = _plan(schema, root)
    out: dict[str, Any] = {}
    for name, sub in declared.items():
        if name in value:
            out[name] = _order(value[name], sub, root)
    for name in sorted(k for k in value if k not in declared):
        out[name] = _order(value[name], extra, root)
    return out
