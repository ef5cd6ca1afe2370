"""Contract types to TypeScript declarations: an interface per object contract (and per
inline object, named after where it appears), a type alias for every other contract.

Optional properties are ``name?: T``, nullable ones ``T | null``; maps are
``Record<string, T>``; enums and consts are literal unions where every value is a literal.
"""

from __future__ import annotations

from dataclasses import field

from aiwf._generate.targets.base import contract_names
from aiwf._generate.targets.pycode import Namespace
from aiwf._generate.targets.ts_code import (
    TS_RESERVED,
    pascal_identifier,
    ts_doc,
    ts_key,
    ts_scalar,
)
from aiwf._ir._dc import dataclass
from aiwf._ir.model import Program
from aiwf._ir.types import (
    ArrayType,
    ConstType,
    EnumType,
    IntersectionType,
    ObjectType,
    RefType,
    Type,
    UnionType,
)


@dataclass
class TsField:
    """One property of an interface: its key (already a valid key), whether it is optional,
    its type and its documentation lines."""

    key: str
    optional: bool
    type: str
    doc: list[str] = field(default_factory=list)


@dataclass
class TsDecl:
    """One exported declaration: an ``interface`` with ``fields``, or a ``type`` alias of
    ``type``; ``doc`` is its JSDoc block."""

    name: str
    contract: str | None
    kind: str
    doc: list[str] = field(default_factory=list)
    fields: list[TsField] = field(default_factory=list)
    type: str = ""


#: The TypeScript type of each kind of IR type that has no parts.
_SCALARS = {
    "any": "unknown",
    "never": "never",
    "null": "null",
    "boolean": "boolean",
    "integer": "number",
    "number": "number",
    "string": "string",
}


def _wrap(text: str) -> str:
    """``text`` parenthesised when it is a union or intersection (for ``[]`` / ``&``)."""
    return f"({text})" if (" | " in text or " & " in text) else text


class TypeBuilder:
    """Builds :class:`TsDecl` for every contract of a program."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.types = Namespace(TS_RESERVED)
        self.contract_type = contract_names(program, self.types.claim, pascal_identifier)
        self.decls: list[TsDecl] = []
        #: The contract being built (names are recorded under it: aiwf._breaking.names).
        self.building = ""

    def build(self) -> list[TsDecl]:
        for name in sorted(self.program.contracts):
            self.building = name
            self._contract(self.contract_type[name], name, self.program.contracts[name].type)
        return self.decls

    def _doc(self, t: Type, fallback: str, indent: str = "") -> list[str]:
        return ts_doc(t.description or t.title or fallback, indent)

    def _contract(self, type_name: str, contract: str, t: Type) -> None:
        if isinstance(t, ObjectType) and (t.properties or t.additional is False) and not t.nullable:
            self._interface(type_name, contract, t)
            return
        decl = TsDecl(type_name, contract, "alias", self._doc(t, f"The {contract} contract."))
        self.decls.append(decl)
        decl.type = self.annotation(t, type_name + "Value")

    def _interface(self, type_name: str, contract: str | None, t: ObjectType) -> None:
        doc = self._doc(t, f"The {contract or type_name} object.")
        decl = TsDecl(type_name, contract, "interface", doc)
        self.decls.append(decl)
        for prop in t.properties:
            text = self.annotation(prop.type, type_name + pascal_identifier(prop.name))
            decl.fields.append(
                TsField(ts_key(prop.name), not prop.required, text, ts_doc(prop.type.description))
            )

    def annotation(self, t: Type, hint: str) -> str:
        """The TypeScript type of ``t``; inline objects become interfaces named from ``hint``."""
        base = self._base(t, hint)
        if t.nullable and base not in ("unknown", "null", "never") and not base.endswith("| null"):
            return f"{_wrap(base) if ' & ' in base else base} | null"
        if t.nullable and base == "never":
            return "null"
        return base

    def _base(self, t: Type, hint: str) -> str:
        scalar = _SCALARS.get(t.kind)
        if scalar is not None:
            return scalar
        if isinstance(t, (EnumType, ConstType)):
            values = t.values if isinstance(t, EnumType) else (t.value,)
            literals = [ts_scalar(v) for v in values]
            if not literals or any(lit is None for lit in literals):
                return "unknown"
            return " | ".join(dict.fromkeys(lit for lit in literals if lit is not None))
        if isinstance(t, ArrayType):
            item = self.annotation(t.items, hint + "Item")
            return f"Array<{item}>" if (" " in item) else f"{item}[]"
        if isinstance(t, ObjectType):
            if t.properties or t.additional is False:
                name = self.types.claim(hint)
                self._interface(name, None, t)
                return name
            if isinstance(t.additional, bool):
                return "Record<string, unknown>"
            return f"Record<string, {self.annotation(t.additional, hint + 'Value')}>"
        if isinstance(t, UnionType):
            parts: list[str] = []
            for i, variant in enumerate(t.variants, 1):
                part = self.annotation(variant, f"{hint}Variant{i}")
                if part not in parts:
                    parts.append(part)
            if not parts or "unknown" in parts:
                return "unknown"
            return " | ".join(parts)
        if isinstance(t, IntersectionType):
            pieces: list[str] = []
            for i, variant in enumerate(t.variants, 1):
                part = self.annotation(variant, f"{hint}Part{i}")
                if part != "unknown" and part not in pieces:
                    pieces.append(part)
            if "never" in pieces:
                return "never"
            if not pieces:
                return "unknown"
            if len(pieces) == 1:
                return pieces[0]
            return " & ".join(_wrap(p) for p in pieces)
        if isinstance(t, RefType):
            return self.contract_type[t.name]
        return "unknown"


__all__ = ["TsDecl", "TsField", "TypeBuilder"]
