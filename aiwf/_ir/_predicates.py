"""Compiled validity predicates: whether a value fits a type, without saying why.

:class:`~aiwf._ir.validate.Validator` answers :meth:`~aiwf._ir.validate.Validator.problems`
with its one traversal, which builds paths and messages as it goes. Most values an engine
checks are valid (workflow inputs, step outputs, scatter items), so it first asks the
predicate compiled here for the type, once per type: a tree of closures that only says yes
or no. Only a value the predicate refuses goes through the traversal, which then reports
its problems in the canonical order. A predicate is true exactly when the traversal finds
no problem (``tests/ir/test_predicates.py`` holds them to that, by hypothesis and on the
JSON Schema test suite).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from aiwf._ir import types as t
from aiwf._structure import json_equal, json_key, kind_of, regex

Predicate = Callable[[Any], bool]


def is_multiple(value: float, divisor: float) -> bool:
    """Whether ``value`` is a multiple of ``divisor`` (integers exactly, floats within 1e-9
    of a whole quotient)."""
    if isinstance(value, int) and isinstance(divisor, int):
        return value % divisor == 0
    quotient = value / divisor
    if math.isinf(quotient):
        return False
    return abs(quotient - round(quotient)) < 1e-9


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _is_number(value: Any) -> bool:
    cls = value.__class__
    if cls is int or cls is float:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    cls = value.__class__
    if cls is int:
        return True
    if cls is float:
        return value.is_integer()  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or value.is_integer()


class Compiler:
    """Compiles (and keeps) the predicate of each type; ``resolve`` gives a contract's type.

    A reference is resolved when a value first reaches it, so recursive contracts compile,
    and a contract the program lacks fails where the traversal would fail too."""

    def __init__(self, resolve: Callable[[str], t.Type]) -> None:
        self._resolve = resolve
        self._by_name: dict[str, Predicate] = {}
        #: id(type) -> (type, predicate); the type is kept so that its id stays its own.
        self._by_id: dict[int, tuple[t.Type, Predicate]] = {}

    def predicate(self, typ: t.Type) -> Predicate:
        """The predicate of ``typ``: true exactly when a value fits it."""
        if typ.__class__ is t.RefType and not typ.nullable:
            found = self._by_name.get(typ.name)
            if found is None:
                found = self._by_name[typ.name] = self._ref(typ.name)
            return found
        entry = self._by_id.get(id(typ))
        if entry is not None and entry[0] is typ:
            return entry[1]
        if len(self._by_id) >= 4096:  # types made per call would otherwise pile up
            self._by_id.clear()
        made = self._compile(typ)
        self._by_id[id(typ)] = (typ, made)
        return made

    def _ref(self, name: str) -> Predicate:
        target: list[Predicate] = []

        def ref(value: Any) -> bool:
            if not target:
                target.append(self.predicate(self._resolve(name)))
            return target[0](value)

        return ref

    def _compile(self, typ: t.Type) -> Predicate:
        inner = self._compile_kind(typ)
        if not typ.nullable or inner is _always:
            return inner

        def nullable(value: Any) -> bool:
            return value is None or inner(value)

        return nullable

    def _compile_kind(self, typ: t.Type) -> Predicate:
        cls = typ.__class__  # the traversal's dispatch, class for class
        if cls is t.RefType:
            return self._ref(typ.name)  # type: ignore[union-attr]
        if cls is t.AnyType:
            return _always
        if cls is t.ObjectType:
            return self._object(typ)  # type: ignore[arg-type]
        if cls is t.StringType:
            return self._string(typ)  # type: ignore[arg-type]
        if cls is t.IntegerType or cls is t.NumberType:
            return self._number(typ)  # type: ignore[arg-type]
        if cls is t.ArrayType:
            return self._array(typ)  # type: ignore[arg-type]
        if isinstance(typ, t.EnumType):
            values = typ.values
            return lambda value: any(json_equal(value, v) for v in values)
        if isinstance(typ, (t.BooleanType, t.NullType)):
            kind = typ.kind
            return lambda value: kind_of(value) == kind
        if isinstance(typ, t.ConstType):
            const = typ.value
            return lambda value: json_equal(value, const)
        if isinstance(typ, t.UnionType):
            return self._union(typ)
        if isinstance(typ, t.IntersectionType):
            parts = [self.predicate(v) for v in typ.variants]
            return lambda value: all(p(value) for p in parts)
        if isinstance(typ, t.ByKindType):
            return self._by_kind(typ)
        if isinstance(typ, t.NeverType):
            return _never
        return _always  # the traversal reports nothing for a type it has no rule for

    def _object(self, typ: t.ObjectType) -> Predicate:
        props = tuple((p.name, self.predicate(p.type), p.required) for p in typ.properties)
        additional = typ.additional
        extra: Predicate | None = (
            None if isinstance(additional, bool) else self.predicate(additional)
        )
        open_ = additional is True
        declared = frozenset(p.name for p in typ.properties)

        def obj(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            present = 0
            for name, check, required in props:
                if name in value:
                    if not check(value[name]):
                        return False
                    present += 1
                elif required:
                    return False
            if open_ or present == len(value):
                return True
            if extra is None:
                return False
            return all(extra(v) for k, v in value.items() if k not in declared)

        return obj

    def _string(self, typ: t.StringType) -> Predicate:
        lo, hi, pattern, fmt = typ.min_length, typ.max_length, typ.pattern, typ.format
        compiled: list[re.Pattern[str]] = []

        def string(value: Any) -> bool:
            if not isinstance(value, str):
                return False
            if lo is not None and len(value) < lo:
                return False
            if hi is not None and len(value) > hi:
                return False
            if pattern is not None:
                if not compiled:
                    compiled.append(regex(pattern))
                if not compiled[0].search(value):
                    return False
            if fmt is not None:
                from aiwf._ir.formats import check_format

                return check_format(fmt, value)
            return True

        return string

    def _number(self, typ: t.IntegerType | t.NumberType) -> Predicate:
        kind_ok = _is_integer if typ.kind == "integer" else _is_number
        lo, hi = typ.minimum, typ.maximum
        xlo, xhi, step = typ.exclusive_minimum, typ.exclusive_maximum, typ.multiple_of
        if lo is None and hi is None and xlo is None and xhi is None and step is None:
            return kind_ok

        def number(value: Any) -> bool:
            if not kind_ok(value):
                return False
            if lo is not None and value < lo:
                return False
            if hi is not None and value > hi:
                return False
            if xlo is not None and value <= xlo:
                return False
            if xhi is not None and value >= xhi:
                return False
            return step is None or is_multiple(value, step)

        return number

    def _array(self, typ: t.ArrayType) -> Predicate:
        item = self.predicate(typ.items)
        lo, hi, unique = typ.min_items, typ.max_items, typ.unique_items

        def array(value: Any) -> bool:
            if not isinstance(value, list):
                return False
            n = len(value)
            if (lo is not None and n < lo) or (hi is not None and n > hi):
                return False
            if unique and len({json_key(v) for v in value}) != n:
                return False
            if item is _always:
                return True
            for v in value:  # noqa: SIM110 - a loop is quicker than all() over a generator
                if not item(v):
                    return False
            return True

        return array

    def _union(self, typ: t.UnionType) -> Predicate:
        parts = [self.predicate(v) for v in typ.variants]
        if not typ.exclusive:
            return lambda value: any(p(value) for p in parts)

        def one_of(value: Any) -> bool:
            matches = 0
            for p in parts:
                if p(value):
                    matches += 1
                    if matches > 1:
                        return False
            return matches == 1

        return one_of

    def _by_kind(self, typ: t.ByKindType) -> Predicate:
        facets = {
            kind: self.predicate(facet)
            for kind, facet in (
                ("object", typ.object),
                ("array", typ.array),
                ("string", typ.string),
                ("integer", typ.number),
                ("number", typ.number),
            )
            if facet is not None
        }

        def by_kind(value: Any) -> bool:
            check = facets.get(kind_of(value))
            return check is None or check(value)

        return by_kind
