"""Contract types to Go, as a view model for ``contracts.go.jinja``: a struct per object (its
fields in schema order, with the exact keys), typed string constants for enums, slices and
maps, ``json.RawMessage`` for values Go cannot type (unions, any, non-string enums), and the
contract type of each contract as data (``contractTypes`` in ``schemas.go``), which the
runtime validates values against (docs/wire.md §6).

Nothing here writes Go statements: each declaration is a small record of names, Go types and
literals, and the template holds the code's shape."""

from __future__ import annotations

import json
from dataclasses import field
from typing import Any

from aiwf._generate.targets.base import contract_names
from aiwf._generate.targets.go_code import (
    GO_RESERVED,
    GoNamespace,
    exported,
    go_comment,
    go_str,
    json_tag,
)
from aiwf._ir._dc import dataclass, to_data
from aiwf._ir.model import Program
from aiwf._ir.names import pascal_case
from aiwf._ir.types import (
    ArrayType,
    ByKindType,
    ConstType,
    EnumType,
    IntersectionType,
    ObjectType,
    RefType,
    StringType,
    Type,
    UnionType,
)

RAW = "json.RawMessage"
#: The Go type of each kind of IR number and of booleans.
_NUMBERS_AND_BOOLEANS = {"integer": "int64", "number": "float64", "boolean": "bool"}

#: Exported names of the SDK package that no contract type may take.
PACKAGE_RESERVED = frozenset(
    {
        "Client", "New", "Option", "WithModelClient", "WithRoute", "WithRoutes", "Routes",
        "WithEnvironment", "WithStream", "WithLogger", "Environments", "RouteOverride", "StreamEvent",
        "Attempt", "ModelClient", "Request", "Response", "Route", "Trace", "TraceEntry", "Usage",
        "ProviderError", "StepError", "RunError", "ValidationError", "Problem", "ErrorCode",
        "Fake", "NewFake", "Replay", "OpenReplay", "Runtime", "NewRuntime", "Value",
        "SpecName", "IRDigest", "AiwfVersion", "Workflows", "RunWorkflow", "Schemas", "Schema",
        "ValidateJSON", "RetrySpec", "Metadata", "Nullable", "Some", "Null",
    }
)  # fmt: skip

FIELD_RESERVED = frozenset(
    {"Validate", "MarshalJSON", "UnmarshalJSON", "AdditionalProperties", "IsSet", "Get"}
)

#: Annotations the validator does not read, left out of the embedded contract types.
_ANNOTATIONS = ("description", "title", "default")


@dataclass
class GoField:
    """A property of a struct."""

    ident: str
    go_type: str
    key: str  # the exact JSON key, as a Go literal
    required: bool
    tag: str  # `json:"..."`, or "" when encoding/json cannot spell the key
    doc: list[str] = field(default_factory=list)


@dataclass
class GoDecl:
    """One generated type. ``kind`` is ``struct``, ``enum``, ``named`` (``type X Y``) or
    ``alias`` (``type X = Y``); ``contract`` is the contract's name as a Go literal for the
    types of named contracts (they get ``Validate``), else empty."""

    kind: str
    name: str
    doc: list[str]
    contract: str = ""
    # struct
    fields: list[GoField] = field(default_factory=list)
    extra: str = ""  # the Go type of AdditionalProperties values ("": closed)
    # enum: (constant, value literal)
    constants: list[tuple[str, str]] = field(default_factory=list)
    # named and alias
    base: str = ""
    #: How a named type writes itself: ``list``, ``map``, ``raw`` or "" (as its base).
    marshal: str = ""


def _plain_object(t: Type) -> bool:
    return isinstance(t, ObjectType) and (bool(t.properties) or t.additional is False)


def _without_annotations(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_annotations(v) for k, v in data.items() if k not in _ANNOTATIONS}
    if isinstance(data, list):
        return [_without_annotations(v) for v in data]
    return data


def type_descriptor(t: Type) -> str:
    """``t`` as the runtime reads it (``aiwfrt.Types``): the IR's JSON of the type without
    its annotations. Numbers keep Python's spelling (``5`` and ``5.0`` differ for
    ``multipleOf``, as in the Python validator)."""
    data = _without_annotations(to_data(t))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class TypeBuilder:
    """Builds the Go declarations of every contract of a program."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.names = GoNamespace(GO_RESERVED | PACKAGE_RESERVED)
        self.contract_type = contract_names(
            program, self.names.claim, lambda name: exported(name, "Contract")
        )
        self.decls: list[GoDecl] = []
        #: The contract being built (names are recorded under it: aiwf._breaking.names).
        self.building = ""

    def build(self) -> list[GoDecl]:
        for name in sorted(self.program.contracts):
            self.building = name
            self._contract(name)
        return self.decls

    # -- Go types ------------------------------------------------------------------------

    def base(self, t: Type, hint: str) -> str:
        """The Go type of ``t`` without its nullability."""
        if isinstance(t, RefType):
            return self.contract_type[t.name]
        if _plain_object(t):
            assert isinstance(t, ObjectType)
            name = self.names.claim(hint)
            self._struct(name, t, None)
            return name
        if isinstance(t, ObjectType):
            if t.additional is True or t.additional is False:
                return f"map[string]{RAW}"
            return f"map[string]{self.elem(t.additional, hint + 'Value')}"
        if isinstance(t, ArrayType):
            return "[]" + self.elem(t.items, hint + "Item")
        if isinstance(t, StringType) or (isinstance(t, ConstType) and isinstance(t.value, str)):
            return "string"
        if _string_enum(t):
            assert isinstance(t, EnumType)
            name = self.names.claim(hint)
            self._enum(name, t, None)
            return name
        return _NUMBERS_AND_BOOLEANS.get(t.kind, RAW)

    def elem(self, t: Type, hint: str) -> str:
        """The Go type of an element (of a slice, a map): a pointer when null is allowed and
        the base type cannot hold it."""
        base = self.base(t, hint)
        return "*" + base if t.nullable and self._can_point(base) else base

    def _can_point(self, go: str) -> bool:
        return go != RAW and not go.startswith(("[]", "map[")) and not self._is_raw_name(go)

    def _is_raw_name(self, go: str) -> bool:
        for name, contract in self.program.contracts.items():
            if self.contract_type[name] == go:
                t = contract.type
                while isinstance(t, RefType):
                    t = self.program.contracts[t.name].type
                return not _plain_object(t) and self._kind(t) == "raw"
        return False

    def _kind(self, t: Type) -> str:
        if isinstance(t, ObjectType):
            return "struct" if _plain_object(t) else "map"
        if isinstance(t, ArrayType):
            return "slice"
        if isinstance(t, StringType) or t.kind in _NUMBERS_AND_BOOLEANS:
            return "scalar"
        if isinstance(t, ConstType) and isinstance(t.value, str):
            return "scalar"
        if _string_enum(t):
            return "enum"
        if isinstance(t, RefType):
            return "ref"
        return "raw"

    # -- declarations --------------------------------------------------------------------

    def _doc(self, t: Type, fallback: str) -> list[str]:
        return go_comment(t.description or t.title or fallback)

    def _contract(self, contract: str) -> None:
        name = self.contract_type[contract]
        literal = go_str(contract)
        t = self.program.contracts[contract].type
        if _plain_object(t):
            assert isinstance(t, ObjectType)
            self._struct(name, t, contract)
            return
        doc = self._doc(t, f"{name} is the {contract} contract.")
        if isinstance(t, RefType):
            self.decls.append(GoDecl("alias", name, doc, base=self.contract_type[t.name]))
            return
        if _string_enum(t):
            assert isinstance(t, EnumType)
            self._enum(name, t, contract)
            return
        base = self.base(t, name + "Item" if isinstance(t, ArrayType) else name + "Value")
        self._variants(t, name)
        marshal = {"slice": "list", "map": "map"}.get(self._kind(t), "raw" if base == RAW else "")
        self.decls.append(GoDecl("named", name, doc, contract=literal, base=base, marshal=marshal))

    def _enum(self, name: str, t: EnumType, contract: str | None) -> None:
        doc = self._doc(t, f"{name} is one of a fixed set of strings.")
        constants = []
        for i, value in enumerate(t.values):
            assert isinstance(value, str)
            const = self.names.claim(name + (pascal_case(value) or f"Value{i + 1}"))
            constants.append((const, go_str(value)))
        literal = go_str(contract) if contract is not None else ""
        self.decls.append(GoDecl("enum", name, doc, contract=literal, constants=constants))

    def _struct(self, name: str, t: ObjectType, contract: str | None) -> None:
        fallback = f"{name} is the {contract} contract." if contract else f"{name} is an object."
        decl = GoDecl(
            "struct", name, self._doc(t, fallback), contract=go_str(contract) if contract else ""
        )
        idents = GoNamespace(FIELD_RESERVED)
        for prop in t.properties:
            ident = idents.claim(exported(prop.name, "Field"))
            base = self.base(prop.type, name + exported(prop.name, "Field"))
            pointer = self._can_point(base) and (prop.type.nullable or not prop.required)
            if pointer and prop.type.nullable and not prop.required:
                go = f"Nullable[{base}]"  # absent, null and a value are three states
            else:
                go = "*" + base if pointer else base
            tag = json_tag(prop.name, not prop.required)
            decl.fields.append(
                GoField(
                    ident=ident,
                    go_type=go,
                    key=go_str(prop.name),
                    required=prop.required,
                    tag=tag,
                    doc=go_comment(prop.type.description, "\t") if prop.type.description else [],
                )
            )
        if t.additional is not False:
            decl.extra = (
                RAW if t.additional is True else self.elem(t.additional, name + "Additional")
            )
        for prop in t.properties:
            self._variants(prop.type, name + exported(prop.name, "Field"))
        if not isinstance(t.additional, bool):
            self._variants(t.additional, name + "Additional")
        self.decls.append(decl)

    def _variants(self, t: Type, hint: str) -> None:
        """Name Go types for the variants of unions and intersections and the facets of
        typeless schemas inside ``t`` (``TicketOwnerVariant2``, ``ValueObject``): their
        values are ``json.RawMessage`` in the SDK, and these types let callers build them."""
        if isinstance(t, RefType) or _plain_object(t) or _string_enum(t):
            return
        if isinstance(t, ArrayType):
            self._variants(t.items, hint + "Item")
        elif isinstance(t, ObjectType):
            if not isinstance(t.additional, bool):
                self._variants(t.additional, hint + "Value")
        elif isinstance(t, ByKindType):
            facets = (("Object", t.object), ("Array", t.array), ("String", t.string),
                      ("Number", t.number))  # fmt: skip
            for label, facet in facets:
                if facet is not None:
                    self.elem(facet, hint + label)
                    self._variants(facet, hint + label)
        elif isinstance(t, (UnionType, IntersectionType)):
            for n, variant in enumerate(t.variants, 1):
                self.elem(variant, f"{hint}Variant{n}")
                self._variants(variant, f"{hint}Variant{n}")


def _string_enum(t: Type) -> bool:
    return isinstance(t, EnumType) and bool(t.values) and all(isinstance(v, str) for v in t.values)


__all__ = ["GoDecl", "GoField", "TypeBuilder", "type_descriptor"]
