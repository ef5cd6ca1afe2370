"""The contract type model: a language-neutral view of the JSON Schema subset aiwf supports.

Every schema in a spec (named in ``schemas:`` or written inline) becomes a :data:`Type`.
Types keep the constraints and descriptions, so the SDK targets can generate models and
validators, and the compiler can check that a step's input fits its assistant. Named
contracts are referenced with :class:`RefType`; recursion goes through refs.

Types are frozen dataclasses so that ``aiwf validate`` (which runs on every commit) does not
pay for importing pydantic; :mod:`aiwf._ir.model` (de)serialises them through pydantic.
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import Annotated, Any, Literal

from aiwf._ir._dc import Discriminated, dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class _TypeBase:
    """What every type carries besides its ``kind``: whether null is also allowed, and the
    schema's annotations."""

    nullable: bool = False
    description: str | None = None
    title: str | None = None
    default: Any = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AnyType(_TypeBase):
    """Any JSON value (the schema ``true`` or ``{}``)."""

    kind: Literal["any"] = "any"


@dataclass(frozen=True, kw_only=True, slots=True)
class NeverType(_TypeBase):
    """No value at all (the schema ``false``)."""

    kind: Literal["never"] = "never"


@dataclass(frozen=True, kw_only=True, slots=True)
class NullType(_TypeBase):
    kind: Literal["null"] = "null"


@dataclass(frozen=True, kw_only=True, slots=True)
class BooleanType(_TypeBase):
    kind: Literal["boolean"] = "boolean"


@dataclass(frozen=True, kw_only=True, slots=True)
class NumericType(_TypeBase):
    """What :class:`IntegerType` and :class:`NumberType` share, their bounds (not a type of
    its own: every numeric type is one of the two)."""

    kind: Literal["integer", "number"]
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class IntegerType(NumericType):
    kind: Literal["integer"] = "integer"


@dataclass(frozen=True, kw_only=True, slots=True)
class NumberType(NumericType):
    kind: Literal["number"] = "number"


@dataclass(frozen=True, kw_only=True, slots=True)
class StringType(_TypeBase):
    """A string; lengths count Unicode code points; ``pattern`` is unanchored (ECMA-262)."""

    kind: Literal["string"] = "string"
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EnumType(_TypeBase):
    """One of a fixed list of JSON values (usually strings)."""

    kind: Literal["enum"] = "enum"
    values: tuple[Any, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ConstType(_TypeBase):
    kind: Literal["const"] = "const"
    value: Any = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ArrayType(_TypeBase):
    kind: Literal["array"] = "array"
    items: Type = field(default_factory=AnyType)
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Property:
    """A property of an object type; ``name`` is the exact JSON key."""

    name: str
    type: Type
    required: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectType(_TypeBase):
    """An object with declared properties. ``additional`` is ``True`` (other keys allowed,
    any value), ``False`` (closed) or a type (a map from other keys to that type)."""

    kind: Literal["object"] = "object"
    properties: tuple[Property, ...] = ()
    additional: bool | Type = True

    def property(self, name: str) -> Property | None:
        for prop in self.properties:
            if prop.name == name:
                return prop
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class UnionType(_TypeBase):
    """``anyOf`` (at least one variant) or ``oneOf`` (``exclusive``: exactly one)."""

    kind: Literal["union"] = "union"
    variants: tuple[Type, ...] = ()
    exclusive: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class IntersectionType(_TypeBase):
    """``allOf``, or a schema that combines its own keywords with ``anyOf``/``oneOf``."""

    kind: Literal["intersection"] = "intersection"
    variants: tuple[Type, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ByKindType(_TypeBase):
    """A value of any kind whose kind-specific constraints apply only to values of that kind:
    a schema with ``minimum``, ``properties``, ``items``, ``pattern`` ... and no ``type``.

    JSON Schema applies such keywords only to instances of their own kind (``{minimum: 1}``
    accepts ``"x"``), so the value is checked against the facet matching its kind (an
    integer against ``number``) and any other kind passes. Each facet is ``None`` when the
    schema has no keyword for that kind; the facet's own ``kind`` is implied, not checked.
    """

    kind: Literal["by_kind"] = "by_kind"
    object: ObjectType | None = None
    array: ArrayType | None = None
    string: StringType | None = None
    number: NumberType | None = None

    def facets(self) -> tuple[ObjectType | ArrayType | StringType | NumberType, ...]:
        """The facets present, in a fixed order (object, array, string, number)."""
        return tuple(f for f in (self.object, self.array, self.string, self.number) if f)

    def facet_for(self, kind: str) -> ObjectType | ArrayType | StringType | NumberType | None:
        """The facet that applies to a value of JSON kind ``kind`` (``integer`` counts as
        ``number``), or None when every value of that kind passes."""
        if kind == "object":
            return self.object
        if kind == "array":
            return self.array
        if kind == "string":
            return self.string
        if kind in ("integer", "number"):
            return self.number
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class RefType(_TypeBase):
    """A reference to a named contract of the program."""

    kind: Literal["ref"] = "ref"
    name: str = ""


Type = Annotated[
    AnyType
    | NeverType
    | NullType
    | BooleanType
    | IntegerType
    | NumberType
    | StringType
    | EnumType
    | ConstType
    | ArrayType
    | ObjectType
    | UnionType
    | IntersectionType
    | ByKindType
    | RefType,
    Discriminated("kind"),
]

#: Every type class, for isinstance checks.
TYPE_CLASSES = (
    AnyType, NeverType, NullType, BooleanType, IntegerType, NumberType, StringType, EnumType,
    ConstType, ArrayType, ObjectType, UnionType, IntersectionType, ByKindType, RefType,
)  # fmt: skip


def with_nullable(t: Type, nullable: bool = True) -> Type:
    """``t`` with its ``nullable`` flag set."""
    return t if t.nullable == nullable else replace(t, nullable=nullable)


def describe(t: Type) -> str:
    """A short human name for a type, for diagnostics: ``string``, ``Ticket``, ``array of Triage``."""
    base: str
    if isinstance(t, RefType):
        base = t.name
    elif isinstance(t, ArrayType):
        base = f"array of {describe(t.items)}"
    elif isinstance(t, EnumType):
        shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in t.values[:6])
        base = f"enum [{shown}{', ...' if len(t.values) > 6 else ''}]"
    elif isinstance(t, ConstType):
        base = f"const {t.value!r}"
    elif isinstance(t, UnionType):
        base = " | ".join(describe(v) for v in t.variants)
    elif isinstance(t, IntersectionType):
        base = " & ".join(describe(v) for v in t.variants)
    elif isinstance(t, ByKindType):
        kinds = ", ".join(f.kind for f in t.facets())
        base = f"any value ({kinds} constraints when it is one)"
    elif isinstance(t, ObjectType) and not t.properties and not isinstance(t.additional, bool):
        base = f"map of {describe(t.additional)}"
    else:
        base = t.kind
    return f"{base} | null" if t.nullable and t.kind not in ("null", "any", "by_kind") else base
