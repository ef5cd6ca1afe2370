"""Validating JSON values against the contract type model.

This is the IR's own validator: the engine checks step inputs and workflow results with it,
the compiler checks literals in step inputs, and the dry-run model's outputs must pass it.
Lengths count Unicode code points; patterns are searched (unanchored), as in JSON Schema.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from aiwf.ir import types as t

Resolver = Callable[[str], t.Type]


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _canonical(value: Any) -> str:
    """JSON equality: 1 == 1.0, but true != 1; key order is irrelevant."""

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return float(v) if not (isinstance(v, float) and math.isnan(v)) else "NaN"
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return repr(v)

    return json.dumps(norm(value), sort_keys=True, separators=(",", ":"))


def json_equal(a: Any, b: Any) -> bool:
    """Equality of two JSON values as JSON Schema defines it."""
    return _canonical(a) == _canonical(b)


def _fmt_path(path: tuple[str | int, ...]) -> str:
    from aiwf.ir.expressions import format_path

    return "$" + format_path(path)


class _Where:
    """A value's path, formatted only when a message uses it (most values are valid)."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[str | int, ...]) -> None:
        self.path = path

    def __format__(self, spec: str) -> str:
        return _fmt_path(self.path)

    def __str__(self) -> str:
        return _fmt_path(self.path)


class Validator:
    """Validates values against types; ``contracts`` resolves :class:`~aiwf.ir.types.RefType`."""

    def __init__(self, contracts: Mapping[str, t.Type] | Resolver) -> None:
        if callable(contracts):
            self._resolve: Resolver = contracts
        else:
            table = contracts
            self._resolve = lambda name: table[name]

    def errors(self, value: Any, typ: t.Type, path: tuple[str | int, ...] = ()) -> list[str]:
        """Every problem of ``value`` against ``typ``, as ``$.path: message`` strings."""
        out: list[str] = []
        self._check(value, typ, path, out)
        return out

    def is_valid(self, value: Any, typ: t.Type) -> bool:
        return not self.errors(value, typ)

    def _check(self, value: Any, typ: t.Type, path: tuple[str | int, ...], out: list[str]) -> None:
        if value is None and typ.nullable:
            return
        cls = typ.__class__  # exact classes, most frequent first: this runs for every value
        if cls is t.RefType:
            self._check(value, self._resolve(typ.name), path, out)  # type: ignore[union-attr]
            return
        if cls is t.AnyType:
            return
        where = _Where(path)
        kind = _kind_of(value)
        if cls is t.ObjectType:
            self._object(value, typ, path, where, kind, out)  # type: ignore[arg-type]
        elif cls is t.StringType:
            self._string(value, typ, where, kind, out)  # type: ignore[arg-type]
        elif cls is t.IntegerType or cls is t.NumberType:
            self._number(value, typ, where, kind, out)  # type: ignore[arg-type]
        elif cls is t.ArrayType:
            self._array(value, typ, path, where, kind, out)  # type: ignore[arg-type]
        elif isinstance(typ, t.EnumType):
            if not any(json_equal(value, v) for v in typ.values):
                shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in typ.values[:10])
                out.append(
                    f"{where}: {json.dumps(value, ensure_ascii=False)[:60]} is not one of [{shown}]"
                )
        elif isinstance(typ, t.BooleanType):
            if kind != "boolean":
                out.append(f"{where}: expected a boolean, got {kind}")
        elif isinstance(typ, t.NullType):
            if value is not None:
                out.append(f"{where}: expected null, got {kind}")
        elif isinstance(typ, t.ConstType):
            if not json_equal(value, typ.value):
                out.append(f"{where}: expected {json.dumps(typ.value, ensure_ascii=False)[:60]}")
        elif isinstance(typ, t.UnionType):
            matches = sum(1 for v in typ.variants if not self.errors(value, v, path))
            if matches == 0:
                out.append(f"{where}: matches none of {t.describe(t.with_nullable(typ, False))}")
            elif typ.exclusive and matches > 1:
                out.append(
                    f"{where}: matches {matches} variants of a oneOf, exactly one is allowed"
                )
        elif isinstance(typ, t.IntersectionType):
            for variant in typ.variants:
                self._check(value, variant, path, out)
        elif isinstance(typ, t.ByKindType):
            facet = typ.facet_for(kind)
            if facet is not None:
                self._check(value, facet, path, out)
        elif isinstance(typ, t.NeverType):
            out.append(f"{where}: no value is allowed here")

    def _number(
        self,
        value: Any,
        typ: t.IntegerType | t.NumberType,
        where: _Where,
        kind: str,
        out: list[str],
    ) -> None:
        if kind not in ("integer", "number"):
            out.append(
                f"{where}: expected {'an integer' if typ.kind == 'integer' else 'a number'}, got {kind}"
            )
            return
        if typ.kind == "integer" and kind != "integer":
            out.append(f"{where}: expected an integer, got {value}")
            return
        if typ.minimum is not None and value < typ.minimum:
            out.append(f"{where}: {value} is less than the minimum {typ.minimum:g}")
        if typ.maximum is not None and value > typ.maximum:
            out.append(f"{where}: {value} is more than the maximum {typ.maximum:g}")
        if typ.exclusive_minimum is not None and value <= typ.exclusive_minimum:
            out.append(f"{where}: {value} must be more than {typ.exclusive_minimum:g}")
        if typ.exclusive_maximum is not None and value >= typ.exclusive_maximum:
            out.append(f"{where}: {value} must be less than {typ.exclusive_maximum:g}")
        if typ.multiple_of is not None and not _is_multiple(value, typ.multiple_of):
            out.append(f"{where}: {value} is not a multiple of {typ.multiple_of:g}")

    def _string(
        self, value: Any, typ: t.StringType, where: _Where, kind: str, out: list[str]
    ) -> None:
        if kind != "string":
            out.append(f"{where}: expected a string, got {kind}")
            return
        length = len(value)  # Python counts code points, as JSON Schema does
        if typ.min_length is not None and length < typ.min_length:
            out.append(f"{where}: shorter than {typ.min_length} characters")
        if typ.max_length is not None and length > typ.max_length:
            out.append(f"{where}: longer than {typ.max_length} characters")
        if typ.pattern is not None and not _regex(typ.pattern).search(value):
            out.append(f"{where}: does not match the pattern {typ.pattern!r}")
        if typ.format is not None:
            from aiwf.ir.formats import check_format

            if not check_format(typ.format, value):
                out.append(f"{where}: not a valid {typ.format}")

    def _array(
        self,
        value: Any,
        typ: t.ArrayType,
        path: tuple[str | int, ...],
        where: _Where,
        kind: str,
        out: list[str],
    ) -> None:
        if kind != "array":
            out.append(f"{where}: expected an array, got {kind}")
            return
        if typ.min_items is not None and len(value) < typ.min_items:
            out.append(f"{where}: fewer than {typ.min_items} items")
        if typ.max_items is not None and len(value) > typ.max_items:
            out.append(f"{where}: more than {typ.max_items} items")
        if typ.unique_items:
            seen: set[str] = set()
            for item in value:
                key = _canonical(item)
                if key in seen:
                    out.append(f"{where}: items are not unique")
                    break
                seen.add(key)
        for i, item in enumerate(value):
            self._check(item, typ.items, (*path, i), out)

    def _object(
        self,
        value: Any,
        typ: t.ObjectType,
        path: tuple[str | int, ...],
        where: _Where,
        kind: str,
        out: list[str],
    ) -> None:
        if kind != "object":
            out.append(f"{where}: expected an object, got {kind}")
            return
        declared = {p.name: p for p in typ.properties}
        for prop in typ.properties:
            if prop.name in value:
                self._check(value[prop.name], prop.type, (*path, prop.name), out)
            elif prop.required:
                out.append(f"{where}: missing required property {prop.name!r}")
        if typ.additional is True:
            return
        for key, item in value.items():
            if key in declared:
                continue
            if typ.additional is False:
                out.append(f"{where}: unexpected property {key!r}")
            else:
                self._check(item, typ.additional, (*path, key), out)


def _is_multiple(value: float, divisor: float) -> bool:
    if isinstance(value, int) and isinstance(divisor, int):
        return value % divisor == 0
    quotient = value / divisor
    if math.isinf(quotient):
        return False
    return abs(quotient - round(quotient)) < 1e-9
