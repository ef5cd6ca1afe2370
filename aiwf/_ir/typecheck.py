"""Static checks on types: the type at a path, and whether one type fits another.

The compiler uses these to give every ``${...}`` expression a type and to check a step's
input against what its assistant accepts. The rules are conservative where a value *might*
not fit (an optional property feeding a required one is an error): nothing that validates
should fail later for a reason the spec shows.
"""

from __future__ import annotations

from collections.abc import Callable

from aiwf._ir import types as t
from aiwf._ir._dc import dataclass
from aiwf._ir.expressions import PathPart, format_path

Resolver = Callable[[str], t.Type]


@dataclass(frozen=True)
class Typed:
    """The type of an expression; ``optional`` when the value may be absent."""

    type: t.Type
    optional: bool = False


class PathError(Exception):
    """A path that cannot be followed on a type (no such property, not an array ...)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def resolve(typ: t.Type, lookup: Resolver, *, keep_nullable: bool = True) -> t.Type:
    """Follow refs to a non-ref type (nullability of the ref is kept)."""
    seen = 0
    nullable = typ.nullable
    while isinstance(typ, t.RefType) and seen < 64:
        typ = lookup(typ.name)
        nullable = nullable or typ.nullable
        seen += 1
    if keep_nullable and nullable and not typ.nullable:
        typ = t.with_nullable(typ)
    return typ


def follow(typ: t.Type, path: tuple[PathPart, ...], lookup: Resolver, root: str) -> Typed:
    """The type found at ``path`` inside a value of type ``typ``."""
    current = Typed(typ)
    walked: list[PathPart] = []
    for part in path:
        resolved = resolve(current.type, lookup)
        shown = root + format_path(tuple(walked))
        if isinstance(resolved, (t.AnyType, t.ByKindType)):  # maybe not an object/array
            return Typed(t.AnyType(), True)
        if resolved.nullable and not isinstance(resolved, t.NullType):
            raise PathError(
                f"{shown} may be null, so {shown}{format_path((part,))} may not exist",
                "make it non-nullable, or read a value that is always present",
            )
        nxt = _step(resolved, part, lookup, shown)
        current = Typed(nxt.type, current.optional or nxt.optional)
        walked.append(part)
    return current


def _step(typ: t.Type, part: PathPart, lookup: Resolver, shown: str) -> Typed:
    if isinstance(typ, t.IntersectionType):
        errors = []
        for variant in typ.variants:
            try:
                return _step(resolve(variant, lookup), part, lookup, shown)
            except PathError as exc:
                errors.append(exc)
        raise errors[0]
    if isinstance(typ, t.UnionType):
        results = [_step(resolve(v, lookup), part, lookup, shown) for v in typ.variants]
        if len({repr(r.type) for r in results}) == 1:
            return Typed(results[0].type, any(r.optional for r in results))
        return Typed(
            t.UnionType(variants=tuple(r.type for r in results)), any(r.optional for r in results)
        )
    if isinstance(part, int):
        if not isinstance(typ, t.ArrayType):
            raise PathError(f"{shown} is {t.describe(typ)}, not an array; [{part}] cannot apply")
        optional = typ.min_items is None or typ.min_items <= part
        return Typed(typ.items, optional)
    if isinstance(typ, t.ArrayType):
        raise PathError(f"{shown} is an array; use an index such as {shown}[0]")
    if not isinstance(typ, t.ObjectType):
        raise PathError(f"{shown} is {t.describe(typ)}, which has no property {part!r}")
    prop = typ.property(part)
    if prop is not None:
        return Typed(prop.type, not prop.required)
    if isinstance(typ.additional, bool):
        from aiwf._suggest import did_you_mean

        names = [p.name for p in typ.properties]
        raise PathError(
            f"{shown} has no property {part!r}",
            did_you_mean(part, names)
            or (f"its properties: {', '.join(names)}" if names else "it declares no properties"),
        )
    return Typed(typ.additional, True)


def check_assignable(src: Typed, dst: t.Type, lookup: Resolver, where: str = "") -> list[str]:
    """Why a value of type ``src`` may not fit ``dst`` (an empty list when it always fits)."""
    problems: list[str] = []
    _assign(src.type, dst, lookup, where, problems, depth=0)
    resolved = resolve(dst, lookup)
    accepts_null = resolved.nullable or isinstance(resolved, (t.AnyType, t.NullType, t.ByKindType))
    if src.optional and not problems and not accepts_null:  # a missing value arrives as null
        problems.append(_at(where, "it may be missing (it is optional where it is read)"))
    return problems


def _label(where: str) -> str:
    return where or "the value"


def _at(where: str, message: str) -> str:
    """``message`` prefixed with the path it is about (nothing for the value itself)."""
    return f"{where}: {message}" if where else message


def _assign(
    src: t.Type, dst: t.Type, lookup: Resolver, where: str, out: list[str], depth: int
) -> None:
    if depth > 32:
        return  # recursive types: deeper levels repeat what was checked
    if isinstance(src, t.RefType) and isinstance(dst, t.RefType) and src.name == dst.name:
        if src.nullable and not dst.nullable:
            out.append(f"{_label(where)} may be null, but {dst.name} is required")
        return
    s = resolve(src, lookup)
    d = resolve(dst, lookup)
    if isinstance(d, t.AnyType) or isinstance(s, (t.AnyType, t.ByKindType)):
        return  # an unknown (or any-kind) source is checked at run time, as Any always was
    if isinstance(d, t.ByKindType):
        _assign_by_kind(s, d, lookup, where, out, depth)
        return
    if s.nullable and not d.nullable and not isinstance(d, t.NullType):
        out.append(f"{_label(where)} may be null, but {t.describe(dst)} does not accept null")
        return
    if s.nullable and d.nullable:  # null fits; what is left to check is the non-null part
        s, d = t.with_nullable(s, False), t.with_nullable(d, False)
    if isinstance(d, t.IntersectionType):
        for variant in d.variants:
            _assign(s, variant, lookup, where, out, depth + 1)
        return
    if isinstance(s, t.UnionType):
        for variant in s.variants:
            _assign(
                t.with_nullable(variant, variant.nullable or s.nullable),
                d,
                lookup,
                where,
                out,
                depth + 1,
            )
        return
    if isinstance(s, t.IntersectionType):
        attempts = []
        for variant in s.variants:
            trial: list[str] = []
            _assign(variant, d, lookup, where, trial, depth + 1)
            if not trial:
                return
            attempts.append(trial)
        out.extend(attempts[0])
        return
    if isinstance(d, t.UnionType):
        attempts = []
        for variant in d.variants:
            trial = []
            _assign(s, variant, lookup, where, trial, depth + 1)
            if not trial:
                return
            attempts.append(trial)
        out.append(_at(where, f"{t.describe(src)} fits none of {t.describe(dst)}"))
        return
    _assign_simple(s, d, src, dst, lookup, where, out, depth)


def _assign_by_kind(
    s: t.Type, d: t.ByKindType, lookup: Resolver, where: str, out: list[str], depth: int
) -> None:
    """A destination of any kind with per-kind constraints: a source of one kind must fit the
    facet of that kind (if any); unions and intersections are split as usual."""
    if depth > 32:
        return  # recursive types (an allOf that refers to itself): as in _assign
    if isinstance(s, t.UnionType):
        for variant in s.variants:
            _assign_by_kind(resolve(variant, lookup), d, lookup, where, out, depth + 1)
        return
    if isinstance(s, t.IntersectionType):
        attempts = []
        for variant in s.variants:
            trial: list[str] = []
            _assign_by_kind(resolve(variant, lookup), d, lookup, where, trial, depth + 1)
            if not trial:
                return
            attempts.append(trial)
        out.extend(attempts[0])
        return
    if isinstance(s, (t.EnumType, t.ConstType)):
        from aiwf._ir.validate import Validator

        values = s.values if isinstance(s, t.EnumType) else (s.value,)
        validator = Validator(lookup)
        for value in values:
            if validator.errors(value, d):
                out.append(_at(where, f"value {value!r} does not fit {t.describe(d)}"))
                return
        return
    kind = {"integer": "number"}.get(s.kind, s.kind)
    facet = d.facet_for(kind)
    if facet is not None:
        _assign(t.with_nullable(s, False), facet, lookup, where, out, depth + 1)


def _assign_simple(
    s: t.Type,
    d: t.Type,
    src: t.Type,
    dst: t.Type,
    lookup: Resolver,
    where: str,
    out: list[str],
    depth: int,
) -> None:
    mismatch = _at(where, f"{t.describe(src)} does not fit {t.describe(dst)}")
    if isinstance(s, t.NeverType):
        return
    if isinstance(d, t.NeverType):
        out.append(mismatch)
        return
    if isinstance(d, t.EnumType):
        if isinstance(s, t.EnumType):
            missing = [v for v in s.values if v not in d.values]
            if missing:
                out.append(
                    _at(
                        where,
                        f"value {missing[0]!r} of {t.describe(src)} is not in {t.describe(dst)}",
                    )
                )
        elif isinstance(s, t.ConstType):
            if s.value not in d.values:
                out.append(mismatch)
        else:
            out.append(f"{mismatch} (any {s.kind} may not be one of the enum values)")
        return
    if isinstance(d, t.ConstType):
        if not (isinstance(s, t.ConstType) and s.value == d.value) and not (
            isinstance(s, t.EnumType) and list(s.values) == [d.value]
        ):
            out.append(mismatch)
        return
    if isinstance(s, (t.EnumType, t.ConstType)):
        from aiwf._ir.validate import Validator

        values = s.values if isinstance(s, t.EnumType) else [s.value]
        validator = Validator(lookup)
        for value in values:
            errors = validator.errors(value, d)
            if errors:
                out.append(
                    _at(
                        where,
                        f"value {value!r} of {t.describe(src)} does not fit {t.describe(dst)}",
                    )
                )
                return
        return
    if isinstance(d, t.NumberType):
        if not isinstance(s, (t.NumberType, t.IntegerType)):
            out.append(mismatch)
        return
    if type(s) is not type(d):
        out.append(mismatch)
        return
    if isinstance(s, t.ArrayType) and isinstance(d, t.ArrayType):
        _assign(s.items, d.items, lookup, f"{where}[*]" if where else "items", out, depth + 1)
        return
    if isinstance(s, t.ObjectType) and isinstance(d, t.ObjectType):
        _assign_object(s, d, lookup, where, out, depth)


def _assign_object(
    s: t.ObjectType, d: t.ObjectType, lookup: Resolver, where: str, out: list[str], depth: int
) -> None:
    src_props = {p.name: p for p in s.properties}
    for prop in d.properties:
        sub = f"{where}.{prop.name}" if where else prop.name
        have = src_props.get(prop.name)
        if have is None:
            if prop.required:
                if isinstance(s.additional, bool):
                    out.append(
                        f"missing required property {prop.name!r}"
                        + (f" in {where}" if where else "")
                    )
                else:
                    out.append(f"{sub} may be missing, but it is required")
            continue
        if prop.required and not have.required:
            out.append(f"{sub} is optional in the value, but required by the assistant")
            continue
        _assign(have.type, prop.type, lookup, sub, out, depth + 1)
    if d.additional is False:
        declared = {p.name for p in d.properties}
        for name in src_props:
            if name not in declared:
                out.append(
                    f"unexpected property {name!r}"
                    + (f" in {where}" if where else "")
                    + " (additionalProperties is false)"
                )
    elif not isinstance(d.additional, bool):
        declared = {p.name for p in d.properties}
        for name, prop in src_props.items():
            if name not in declared:
                _assign(
                    prop.type,
                    d.additional,
                    lookup,
                    f"{where}.{name}" if where else name,
                    out,
                    depth + 1,
                )
