"""Validating JSON values against the contract type model.

This is the IR's own validator: the engine checks step inputs and workflow results with it,
the compiler checks literals in step inputs, and the dry-run model's outputs must pass it.
Lengths count Unicode code points; patterns are searched (unanchored), as in JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aiwf._ir import types as t
from aiwf._ir._dc import dataclass
from aiwf._ir._predicates import Compiler, is_multiple
from aiwf._structure import json_equal, json_key, kind_of, regex

__all__ = ["Problem", "Validator", "json_equal", "pointer", "shown", "shown_all", "summary"]

Resolver = Callable[[str], t.Type]


def _fmt_path(path: tuple[str | int, ...]) -> str:
    from aiwf._ir.expressions import format_path

    return "$" + format_path(path)


def pointer(path: tuple[str | int, ...]) -> str:
    """The RFC 6901 JSON Pointer of ``path`` (``/tickets/0/id``); ``(root)`` for ``()``."""
    if not path:
        return "(root)"
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


#: Values shown in a problem are cut to this many code points.
_SHOWN = 60


def shown(value: Any) -> str:
    """A value as a problem shows it: canonical JSON, cut to 60 code points."""
    from aiwf.runtime._canonical import dumps

    try:
        text = dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _num(value: float) -> str:
    from aiwf.runtime._canonical import number

    return number(value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value does not fit its type, in the language-neutral form every runtime reports
    (docs/wire.md §6): where (a path), which keyword, what was expected and what was found.
    ``legacy`` is the older ``$.path: message`` wording, which compiler diagnostics use."""

    path: tuple[str | int, ...]
    keyword: str
    expected: str
    actual: str
    legacy: str

    @property
    def pointer(self) -> str:
        return pointer(self.path)

    def render(self) -> str:
        """``POINTER: KEYWORD: expected EXPECTED, got ACTUAL``."""
        return f"{self.pointer}: {self.keyword}: expected {self.expected}, got {self.actual}"


def summary(problems: list[Problem], limit: int = 3) -> str:
    """At most ``limit`` rendered problems joined by ``; ``, then `` (and N more)``."""
    text = "; ".join(p.render() for p in problems[:limit])
    more = len(problems) - limit
    return text + (f" (and {more} more)" if more > 0 else "")


class _Where:
    """A value's path, formatted only when a message uses it (most values are valid)."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[str | int, ...]) -> None:
        self.path = path

    def __format__(self, spec: str) -> str:
        return _fmt_path(self.path)

    def __str__(self) -> str:
        return _fmt_path(self.path)


def _kind_name(typ: t.Type) -> str:
    return "integer" if typ.kind == "integer" else typ.kind


class Validator:
    """Validates values against types; ``contracts`` resolves :class:`~aiwf._ir.types.RefType`.

    :meth:`problems` is the one traversal (docs/wire.md §6 fixes its order, so the Go and
    TypeScript validators report the same problems); :meth:`errors` renders them the way
    compiler diagnostics word them."""

    def __init__(self, contracts: Mapping[str, t.Type] | Resolver) -> None:
        if callable(contracts):
            self._resolve: Resolver = contracts
        else:
            table = contracts
            self._resolve = lambda name: table[name]
        self._predicates = Compiler(self._resolve)

    def problems(self, value: Any, typ: t.Type, path: tuple[str | int, ...] = ()) -> list[Problem]:
        """Every problem of ``value`` against ``typ``, in the canonical order."""
        if self._predicates.predicate(typ)(value):
            return []  # the common case, answered by the compiled predicate
        out: list[Problem] = []
        self._check(value, typ, path, out)
        return out

    def errors(self, value: Any, typ: t.Type, path: tuple[str | int, ...] = ()) -> list[str]:
        """Every problem of ``value`` against ``typ``, as ``$.path: message`` strings."""
        return [p.legacy for p in self.problems(value, typ, path)]

    def is_valid(self, value: Any, typ: t.Type) -> bool:
        """Whether ``value`` fits ``typ`` (a compiled predicate; no problem is built)."""
        return self._predicates.predicate(typ)(value)

    def traversed_valid(self, value: Any, typ: t.Type) -> bool:
        """:meth:`is_valid` by the full traversal (what the predicates are tested against)."""
        out: list[Problem] = []
        self._check(value, typ, (), out)
        return not out

    def _check(
        self, value: Any, typ: t.Type, path: tuple[str | int, ...], out: list[Problem]
    ) -> None:
        if value is None and typ.nullable:
            return
        cls = typ.__class__  # exact classes, most frequent first: this runs for every value
        if cls is t.RefType:
            self._check(value, self._resolve(typ.name), path, out)  # type: ignore[union-attr]
            return
        if cls is t.AnyType:
            return
        where = _Where(path)
        kind = kind_of(value)
        if cls is t.ObjectType:
            self._object(value, typ, path, where, kind, out)  # type: ignore[arg-type]
        elif cls is t.StringType:
            self._string(value, typ, path, where, kind, out)  # type: ignore[arg-type]
        elif cls is t.IntegerType or cls is t.NumberType:
            self._number(value, typ, path, where, kind, out)  # type: ignore[arg-type]
        elif cls is t.ArrayType:
            self._array(value, typ, path, where, kind, out)  # type: ignore[arg-type]
        elif isinstance(typ, t.EnumType):
            if not any(json_equal(value, v) for v in typ.values):
                listed = ", ".join(json.dumps(v, ensure_ascii=False) for v in typ.values[:10])
                out.append(
                    Problem(
                        path,
                        "enum",
                        "one of " + shown_all(list(typ.values)),
                        shown(value),
                        f"{where}: {json.dumps(value, ensure_ascii=False)[:60]} is not one of "
                        f"[{listed}]",
                    )
                )
        elif isinstance(typ, (t.BooleanType, t.NullType)):
            if kind != typ.kind:
                out.append(self._type(path, typ, kind, f"{where}: expected "
                           f"{'a boolean' if typ.kind == 'boolean' else 'null'}, got {kind}"))  # fmt: skip
        elif isinstance(typ, t.ConstType):
            if not json_equal(value, typ.value):
                out.append(
                    Problem(
                        path,
                        "const",
                        shown_all(typ.value),
                        shown(value),
                        f"{where}: expected {json.dumps(typ.value, ensure_ascii=False)[:60]}",
                    )
                )
        elif isinstance(typ, t.UnionType):
            matches = sum(1 for v in typ.variants if self.is_valid(value, v))
            n = len(typ.variants)
            if matches == 0 and not typ.exclusive:
                out.append(
                    Problem(
                        path,
                        "anyOf",
                        f"a match for one of {n} variants",
                        "none",
                        f"{where}: matches none of {t.describe(t.with_nullable(typ, False))}",
                    )
                )
            elif typ.exclusive and matches != 1:
                legacy = (
                    f"{where}: matches none of {t.describe(t.with_nullable(typ, False))}"
                    if matches == 0
                    else f"{where}: matches {matches} variants of a oneOf, exactly one is allowed"
                )
                got = "none" if matches == 0 else f"{matches} matches"
                out.append(Problem(path, "oneOf", f"exactly one of {n} variants", got, legacy))
        elif isinstance(typ, t.IntersectionType):
            for variant in typ.variants:
                self._check(value, variant, path, out)
        elif isinstance(typ, t.ByKindType):
            facet = typ.facet_for(kind)
            if facet is not None:
                self._check(value, facet, path, out)
        elif isinstance(typ, t.NeverType):
            out.append(
                Problem(
                    path, "not", "no value here", shown(value), f"{where}: no value is allowed here"
                )
            )

    @staticmethod
    def _type(path: tuple[str | int, ...], typ: t.Type, kind: str, legacy: str) -> Problem:
        expected = _kind_name(typ) + (" or null" if typ.nullable and typ.kind != "null" else "")
        return Problem(path, "type", expected, kind, legacy)

    def _number(
        self,
        value: Any,
        typ: t.IntegerType | t.NumberType,
        path: tuple[str | int, ...],
        where: _Where,
        kind: str,
        out: list[Problem],
    ) -> None:
        if kind not in ("integer", "number"):
            out.append(self._type(path, typ, kind, f"{where}: expected "
                       f"{'an integer' if typ.kind == 'integer' else 'a number'}, got {kind}"))  # fmt: skip
            return
        if typ.kind == "integer" and kind != "integer":
            out.append(self._type(path, typ, kind, f"{where}: expected an integer, got {value}"))
            return
        bounds: tuple[tuple[float | None, bool, str, str, str], ...] = (
            (typ.minimum, typ.minimum is not None and value < typ.minimum, "minimum",
             "at least", "is less than the minimum"),
            (typ.maximum, typ.maximum is not None and value > typ.maximum, "maximum",
             "at most", "is more than the maximum"),
            (typ.exclusive_minimum,
             typ.exclusive_minimum is not None and value <= typ.exclusive_minimum,
             "exclusiveMinimum", "more than", "must be more than"),
            (typ.exclusive_maximum,
             typ.exclusive_maximum is not None and value >= typ.exclusive_maximum,
             "exclusiveMaximum", "less than", "must be less than"),
        )  # fmt: skip
        for bound, fails, keyword, phrase, legacy in bounds:
            if fails and bound is not None:
                out.append(
                    Problem(
                        path,
                        keyword,
                        f"{phrase} {_num(bound)}",
                        shown(value),
                        f"{where}: {value} {legacy} {bound:g}",
                    )
                )
        if typ.multiple_of is not None and not is_multiple(value, typ.multiple_of):
            out.append(
                Problem(
                    path,
                    "multipleOf",
                    f"a multiple of {_num(typ.multiple_of)}",
                    shown(value),
                    f"{where}: {value} is not a multiple of {typ.multiple_of:g}",
                )
            )

    def _string(
        self,
        value: Any,
        typ: t.StringType,
        path: tuple[str | int, ...],
        where: _Where,
        kind: str,
        out: list[Problem],
    ) -> None:
        if kind != "string":
            out.append(self._type(path, typ, kind, f"{where}: expected a string, got {kind}"))
            return
        length = len(value)  # Python counts code points, as JSON Schema does
        if typ.min_length is not None and length < typ.min_length:
            out.append(
                Problem(
                    path,
                    "minLength",
                    f"at least {_count(typ.min_length, 'character')}",
                    _count(length, "character"),
                    f"{where}: shorter than {typ.min_length} characters",
                )
            )
        if typ.max_length is not None and length > typ.max_length:
            out.append(
                Problem(
                    path,
                    "maxLength",
                    f"at most {_count(typ.max_length, 'character')}",
                    _count(length, "character"),
                    f"{where}: longer than {typ.max_length} characters",
                )
            )
        if typ.pattern is not None and not regex(typ.pattern).search(value):
            out.append(
                Problem(
                    path,
                    "pattern",
                    f"a match for {typ.pattern}",
                    shown(value),
                    f"{where}: does not match the pattern {typ.pattern!r}",
                )
            )
        if typ.format is not None:
            from aiwf._ir.formats import check_format

            if not check_format(typ.format, value):
                out.append(
                    Problem(
                        path,
                        "format",
                        f"a valid {typ.format}",
                        shown(value),
                        f"{where}: not a valid {typ.format}",
                    )
                )

    def _array(
        self,
        value: Any,
        typ: t.ArrayType,
        path: tuple[str | int, ...],
        where: _Where,
        kind: str,
        out: list[Problem],
    ) -> None:
        if kind != "array":
            out.append(self._type(path, typ, kind, f"{where}: expected an array, got {kind}"))
            return
        if typ.min_items is not None and len(value) < typ.min_items:
            out.append(
                Problem(
                    path,
                    "minItems",
                    f"at least {_count(typ.min_items, 'item')}",
                    _count(len(value), "item"),
                    f"{where}: fewer than {typ.min_items} items",
                )
            )
        if typ.max_items is not None and len(value) > typ.max_items:
            out.append(
                Problem(
                    path,
                    "maxItems",
                    f"at most {_count(typ.max_items, 'item')}",
                    _count(len(value), "item"),
                    f"{where}: more than {typ.max_items} items",
                )
            )
        if typ.unique_items:
            seen: set[str] = set()
            for index, item in enumerate(value):
                key = json_key(item)
                if key in seen:
                    out.append(
                        Problem(
                            path,
                            "uniqueItems",
                            "unique items",
                            f"a repeated item at index {index}",
                            f"{where}: items are not unique",
                        )
                    )
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
        out: list[Problem],
    ) -> None:
        if kind != "object":
            out.append(self._type(path, typ, kind, f"{where}: expected an object, got {kind}"))
            return
        declared = set()
        for prop in typ.properties:
            declared.add(prop.name)
            if prop.name in value:
                self._check(value[prop.name], prop.type, (*path, prop.name), out)
            elif prop.required:
                out.append(
                    Problem(
                        path,
                        "required",
                        f"property {shown_all(prop.name)}",
                        "nothing",
                        f"{where}: missing required property {prop.name!r}",
                    )
                )
        if typ.additional is True or len(value) == len(declared & value.keys()):
            return
        for key in sorted(k for k in value if k not in declared):
            if typ.additional is False:
                name = shown_all(key)
                out.append(
                    Problem(
                        path,
                        "additionalProperties",
                        f"no property {name}",
                        f"property {name}",
                        f"{where}: unexpected property {key!r}",
                    )
                )
            else:
                self._check(value[key], typ.additional, (*path, key), out)


def shown_all(value: Any) -> str:
    """A value as expected text shows it: its whole canonical JSON."""
    from aiwf.runtime._canonical import dumps

    return dumps(value)
