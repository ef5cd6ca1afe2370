"""Contract types to pydantic v2 models: one class per named contract, plus one per inline
object type (named after where it appears), emitted so that every runtime reference is
defined before use."""

from __future__ import annotations

from dataclasses import field

from aiwf._generate.targets.base import contract_names
from aiwf._generate.targets.pycode import (
    PY_RESERVED,
    PYDANTIC_RESERVED,
    Namespace,
    pascal_identifier,
    py_doc,
    py_literal,
    py_str,
    snake_identifier,
)
from aiwf._ir._dc import dataclass
from aiwf._ir.model import Program
from aiwf._ir.types import (
    ArrayType,
    BooleanType,
    ConstType,
    EnumType,
    NullType,
    NumericType,
    ObjectType,
    RefType,
    StringType,
    Type,
    UnionType,
)

#: Class names the generated modules use for their own imports.
CLASS_RESERVED = frozenset({"None", "True", "False", "ModelClient", "Trace", "Any"})

ANY = "typing.Any"


def _union_members(annotation: str) -> list[str]:
    """The top-level members of an annotation (``list[int | None] | str`` gives two);
    brackets and " | " inside string literals do not count."""
    members: list[str] = []
    depth, start, quote, i = 0, 0, "", 0
    while i < len(annotation):
        ch = annotation[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and annotation.startswith(" | ", i):
            members.append(annotation[start:i])
            start = i + 3
            i += 2
        i += 1
    members.append(annotation[start:])
    return members


@dataclass(frozen=True)
class PyField:
    """One field of a generated class: ``name: annotation = value`` (no value: required)."""

    name: str
    annotation: str
    value: str | None = None


@dataclass
class PyModel:
    """One generated class, as the template lays it out: a ``pydantic.BaseModel``
    (``fields``) or a ``RootModel`` (``root``). A class for a named contract also checks the
    value against the whole contract first (``contract_literal``): what the annotations
    cannot say (patterns, unions, typeless keywords ...)."""

    name: str
    contract: str | None
    doc: str
    fields: list[PyField] = field(default_factory=list)
    extra: str = "allow"
    root: str | None = None
    #: Classes that must be defined before this one (a RootModel's type argument).
    needs: set[str] = field(default_factory=set)

    @property
    def contract_literal(self) -> str | None:
        return py_str(self.contract) if self.contract is not None else None


def _literal_ok(value: object) -> bool:
    return value is None or (isinstance(value, (str, bool, int)) and not isinstance(value, float))


def _field_args(**kwargs: object) -> str:
    return ", ".join(f"{k}={py_literal(v)}" for k, v in kwargs.items() if v is not None)


class ModelBuilder:
    """Builds :class:`PyModel` for every contract of a program."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.classes = Namespace(CLASS_RESERVED)
        self.contract_class = contract_names(program, self.classes.claim, pascal_identifier)
        self.models: dict[str, PyModel] = {}
        #: The contract being built (names are recorded under it: aiwf._breaking.names).
        self.building = ""

    def build(self) -> list[PyModel]:
        """Every class, in an order where runtime references come first."""
        for name in sorted(self.program.contracts):
            self.building = name
            self._contract(self.contract_class[name], name, self.program.contracts[name].type)
        return self._ordered()

    # -- classes -----------------------------------------------------------------------

    def _doc(self, t: Type, fallback: str) -> str:
        text = t.description or t.title or fallback
        return py_doc(text, "    ")

    def _contract(self, cls: str, contract: str, t: Type) -> None:
        if isinstance(t, ObjectType) and t.properties and not t.nullable:
            self._object_class(cls, contract, t)
            return
        model = PyModel(cls, contract, self._doc(t, f"The {contract} contract."))
        self.models[cls] = model
        model.root = self.annotation(t, cls, model.needs)

    def _object_class(self, cls: str, contract: str | None, t: ObjectType) -> PyModel:
        model = PyModel(
            cls, contract, self._doc(t, f"The {contract or cls} object."), extra="allow"
        )
        self.models[cls] = model
        if t.additional is False:
            model.extra = "forbid"
        names = Namespace(PY_RESERVED | PYDANTIC_RESERVED)
        for prop in t.properties:
            ident = names.claim(snake_identifier(prop.name))
            annotation = self.annotation(prop.type, cls + pascal_identifier(prop.name), set())
            args = {
                "alias": prop.name if ident != prop.name else None,
                "description": prop.type.description,
            }
            default: str | None = None
            if not prop.required:
                if annotation not in (ANY, "None") and not annotation.endswith("| None"):
                    annotation += " | None"
                default = "None"
            rendered = _field_args(**args)
            value: str | None = default
            if rendered:
                value = f"pydantic.Field({'default=None, ' if default else ''}{rendered})"
            model.fields.append(PyField(ident, annotation, value))
        return model

    def _inline_class(self, t: ObjectType, hint: str) -> str:
        cls = self.classes.claim(hint)
        self._object_class(cls, None, t)
        return cls

    # -- annotations -------------------------------------------------------------------

    def annotation(self, t: Type, hint: str, needs: set[str]) -> str:
        """The annotation for ``t``; inline objects become classes named from ``hint``;
        classes the annotation names are added to ``needs``."""
        base = self._base(t, hint, needs)
        if t.nullable and base != ANY and "None" not in _union_members(base):
            return f"{base} | None"
        return base

    def _constrained(self, base: str, **kwargs: object) -> str:
        args = _field_args(**kwargs)
        return f"typing.Annotated[{base}, pydantic.Field({args})]" if args else base

    def _base(self, t: Type, hint: str, needs: set[str]) -> str:
        if isinstance(t, NullType):
            return "None"
        if isinstance(t, BooleanType):
            return "bool"
        if isinstance(t, NumericType):
            integer = t.kind == "integer"
            multiple = t.multiple_of
            if integer and not isinstance(multiple, int):
                multiple = None  # pydantic needs an integer; the contract check enforces it
            return self._constrained(
                "int" if integer else "float",
                ge=t.minimum,
                le=t.maximum,
                gt=t.exclusive_minimum,
                lt=t.exclusive_maximum,
                multiple_of=multiple,
            )
        if isinstance(t, StringType):
            return self._constrained("str", min_length=t.min_length, max_length=t.max_length)
        if isinstance(t, EnumType):
            if t.values and all(_literal_ok(v) for v in t.values):
                return "typing.Literal[" + ", ".join(py_literal(v) for v in t.values) + "]"
            return ANY
        if isinstance(t, ConstType):
            return f"typing.Literal[{py_literal(t.value)}]" if _literal_ok(t.value) else ANY
        if isinstance(t, ArrayType):
            item = self.annotation(t.items, hint + "Item", needs)
            return self._constrained(
                f"list[{item}]", min_length=t.min_items, max_length=t.max_items
            )
        if isinstance(t, ObjectType):
            if t.properties or t.additional is False:
                cls = self._inline_class(t, hint)
                needs.add(cls)
                return cls
            if isinstance(t.additional, bool):
                return f"dict[str, {ANY}]"
            return f"dict[str, {self.annotation(t.additional, hint + 'Value', needs)}]"
        if isinstance(t, UnionType):
            parts: list[str] = []
            for i, variant in enumerate(t.variants, 1):
                part = self.annotation(variant, f"{hint}Variant{i}", needs)
                for piece in _union_members(part):
                    if piece not in parts:
                        parts.append(piece)
            if not parts or ANY in parts:
                return ANY
            if "None" in parts:  # None last in a union (ruff RUF036)
                parts = [part for part in parts if part != "None"] + ["None"]
            return " | ".join(parts)
        if isinstance(t, RefType):
            cls = self.contract_class[t.name]
            needs.add(cls)
            return cls
        return ANY  # any, never, intersection: checked by the JSON Schema at run time

    # -- order -------------------------------------------------------------------------

    def _ordered(self) -> list[PyModel]:
        order: list[PyModel] = []
        state: dict[str, int] = {}

        def visit(name: str) -> None:
            if state.get(name):
                return  # done, or a cycle (closed by pydantic's deferred references)
            state[name] = 1
            model = self.models[name]
            for dep in sorted(model.needs):
                if dep in self.models:
                    visit(dep)
            state[name] = 2
            order.append(model)

        for name in self.models:
            visit(name)
        return order


def class_names(models: list[PyModel]) -> list[str]:
    """Sorted names of the classes, for ``__all__``."""
    return sorted(m.name for m in models)


__all__ = ["ModelBuilder", "PyField", "PyModel", "class_names", "py_str"]
