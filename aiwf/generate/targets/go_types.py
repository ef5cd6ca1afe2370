"""Contract types to Go: a struct per object (exact keys through generated MarshalJSON and
UnmarshalJSON), typed string constants for enums, slices and maps, ``json.RawMessage`` for
values Go cannot type (unions, any, non-string enums), and a ``Validate`` per type that
checks what the schema says and reports the failing JSON path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aiwf.generate.targets.go_code import (
    GO_RESERVED,
    GoNamespace,
    exported,
    go_comment,
    go_number,
    go_str,
    json_path_step,
    json_tag,
    json_text,
)
from aiwf.ir.model import Program
from aiwf.ir.names import pascal_case
from aiwf.ir.types import (
    ArrayType,
    BooleanType,
    ByKindType,
    ConstType,
    EnumType,
    IntegerType,
    IntersectionType,
    NeverType,
    NullType,
    NumberType,
    ObjectType,
    RefType,
    StringType,
    Type,
    UnionType,
)

RAW = "json.RawMessage"

#: Exported names of the SDK package that no contract type may take.
PACKAGE_RESERVED = frozenset(
    {
        "Client", "New", "Option", "WithModelClient", "WithRoute", "WithRoutes", "Routes",
        "ModelClient", "Request", "Response", "Route", "Trace", "TraceEntry", "Usage",
        "ProviderError", "StepError", "ValidationError", "Fake", "NewFake", "Playback",
        "NewPlayback", "PlaybackCall", "Replay", "OpenReplay", "Runtime", "NewRuntime",
        "Value", "SpecName", "IRDigest", "Workflows", "RunWorkflow", "Schemas", "Schema",
        "RetrySpec", "Metadata", "Nullable", "Some", "Null",
    }
)  # fmt: skip

FIELD_RESERVED = frozenset({"Validate", "MarshalJSON", "UnmarshalJSON", "AdditionalProperties"})


@dataclass
class GoDecl:
    """One generated type: its declaration and methods, as lines of Go."""

    name: str
    lines: list[str] = field(default_factory=list)


def _plain_object(t: Type) -> bool:
    return isinstance(t, ObjectType) and (bool(t.properties) or t.additional is False)


class TypeBuilder:
    """Builds the Go declarations of every contract of a program."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.names = GoNamespace(GO_RESERVED | PACKAGE_RESERVED)
        self.contract_type: dict[str, str] = {
            name: self.names.claim(exported(name, "Contract")) for name in sorted(program.contracts)
        }
        self.decls: list[GoDecl] = []
        self._depth = 0

    def build(self) -> list[GoDecl]:
        for name in sorted(self.program.contracts):
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
        if isinstance(t, EnumType) and t.values and all(isinstance(v, str) for v in t.values):
            name = self.names.claim(hint)
            self._enum(name, t, None)
            return name
        if isinstance(t, IntegerType):
            return "int64"
        if isinstance(t, NumberType):
            return "float64"
        if isinstance(t, BooleanType):
            return "bool"
        return RAW

    def elem(self, t: Type, hint: str) -> str:
        """The Go type of an element (of a slice, a map, a union): a pointer when null is
        allowed and the base type cannot hold it."""
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
                return not _plain_object(t) and self.base_kind(t) == "raw"
        return False

    def base_kind(self, t: Type) -> str:
        if isinstance(t, ObjectType):
            return "struct" if _plain_object(t) else "map"
        if isinstance(t, ArrayType):
            return "slice"
        if isinstance(t, (StringType, IntegerType, NumberType, BooleanType)):
            return "scalar"
        if isinstance(t, ConstType) and isinstance(t.value, str):
            return "scalar"
        if isinstance(t, EnumType) and t.values and all(isinstance(v, str) for v in t.values):
            return "enum"
        if isinstance(t, RefType):
            return "ref"
        return "raw"

    # -- declarations --------------------------------------------------------------------

    def _doc(self, t: Type, fallback: str) -> list[str]:
        return go_comment(t.description or t.title or fallback)

    def _contract(self, contract: str) -> None:
        name = self.contract_type[contract]
        t = self.program.contracts[contract].type
        if _plain_object(t):
            assert isinstance(t, ObjectType)
            self._struct(name, t, contract)
            return
        if isinstance(t, RefType):
            decl = GoDecl(name, self._doc(t, f"{name} is the {contract} contract."))
            decl.lines.append(f"type {name} = {self.contract_type[t.name]}")
            self.decls.append(decl)
            return
        if self.base_kind(t) == "enum":
            assert isinstance(t, EnumType)
            self._enum(name, t, contract)
            return
        base = self.base(t, name + "Item" if isinstance(t, ArrayType) else name + "Value")
        if base == RAW:
            base = RAW
        decl = GoDecl(name, self._doc(t, f"{name} is the {contract} contract."))
        decl.lines.append(f"type {name} {base}")
        kind = self.base_kind(t)
        if kind == "slice":
            decl.lines += [
                "",
                "// MarshalJSON writes a nil list as [].",
                f"func (x {name}) MarshalJSON() ([]byte, error) {{ return aiwfrt.MarshalList({base}(x)) }}",
            ]
        elif kind == "map":
            decl.lines += [
                "",
                "// MarshalJSON writes a nil map as {}.",
                f"func (x {name}) MarshalJSON() ([]byte, error) {{ return aiwfrt.MarshalMap({base}(x)) }}",
            ]
        elif base == RAW:
            decl.lines += [
                "",
                "// MarshalJSON writes the JSON value as it is (nil as null).",
                f"func (x {name}) MarshalJSON() ([]byte, error) {{ return aiwfrt.MarshalRaw(x) }}",
                "",
                "// UnmarshalJSON keeps the JSON value as it is.",
                f"func (x *{name}) UnmarshalJSON(data []byte) error {{",
                "\t*x = append((*x)[:0], data...)",
                "\treturn nil",
                "}",
            ]
        self._depth = 0
        if base == RAW:
            # null is a value (refused unless the contract allows it); an empty RawMessage
            # is an absent optional member, checked where it is required.
            checks = self.checks(t, f"{base}(x)", "path", name, nullable_ok=t.nullable)
            if checks:
                checks = ["if len(x) == 0 {", "\treturn nil", "}", *checks]
        else:
            checks = self.checks(t, f"{base}(x)", "path", name, nullable_ok=True)
        decl.lines += self._validate(name, checks)
        self.decls.append(decl)

    def _validate(self, name: str, checks: list[str]) -> list[str]:
        return [
            "",
            "// Validate reports the first way x breaks its contract, with the JSON path.",
            f'func (x {name}) Validate() error {{ return x.validate("") }}',
            "",
            f"func (x {name}) validate(path string) error {{",
            *(f"\t{line}" for line in checks),
            "\treturn nil",
            "}",
        ]

    def _enum(self, name: str, t: EnumType, contract: str | None) -> None:
        decl = GoDecl(name, self._doc(t, f"{name} is one of a fixed set of strings."))
        decl.lines.append(f"type {name} string")
        decl.lines += ["", f"// The values of {name}.", "const ("]
        for i, value in enumerate(t.values):
            assert isinstance(value, str)
            const = self.names.claim(name + (pascal_case(value) or f"Value{i + 1}"))
            decl.lines.append(f"\t{const} {name} = {go_str(value)}")
        decl.lines.append(")")
        cases = ", ".join(go_str(v) for v in t.values if isinstance(v, str))
        decl.lines += [
            "",
            "// Valid reports whether v is one of the values.",
            f"func (v {name}) Valid() bool {{",
            "\tswitch v {",
            f"\tcase {cases}:",
            "\t\treturn true",
            "\t}",
            "\treturn false",
            "}",
        ]
        if contract is not None:
            self._depth = 0
            decl.lines += self._validate(name, self.checks(t, "x", "path", name, nullable_ok=True))
        self.decls.append(decl)

    def _struct(self, name: str, t: ObjectType, contract: str | None) -> None:
        decl = GoDecl(name)
        fallback = f"{name} is the {contract} contract." if contract else f"{name} is an object."
        decl.lines += self._doc(t, fallback)
        fields = GoNamespace(FIELD_RESERVED)
        members: list[tuple[str, str, str, bool, Type]] = []  # key, field, go type, pointer-ish
        for prop in t.properties:
            ident = fields.claim(exported(prop.name, "Field"))
            base = self.base(prop.type, name + exported(prop.name, "Field"))
            pointer = self._can_point(base) and (prop.type.nullable or not prop.required)
            if pointer and prop.type.nullable and not prop.required:
                go = f"Nullable[{base}]"  # absent, null and a value are three states
            else:
                go = "*" + base if pointer else base
            members.append((prop.name, ident, go, not prop.required, prop.type))
        extra: str | None = None
        if t.additional is not False:
            extra = RAW if t.additional is True else self.elem(t.additional, name + "Additional")
        decl.lines.append(f"type {name} struct {{")
        for key, ident, go, optional, ptype in members:
            if ptype.description:
                decl.lines += go_comment(ptype.description, "\t")
            tag = json_tag(key, optional)
            if not tag:
                decl.lines.append(f"\t// Wire name: {go_str(key)}.")
            decl.lines.append(f"\t{ident} {go} {tag}".rstrip())
        if extra is not None:
            decl.lines += [
                "\t// AdditionalProperties holds the members the schema does not name (it allows",
                "\t// them); they are written after the named ones, sorted by key.",
                f'\tAdditionalProperties map[string]{extra} `json:"-"`',
            ]
        decl.lines.append("}")
        # MarshalJSON
        decl.lines += [
            "",
            "// MarshalJSON writes the properties in schema order (optional ones only when set).",
            f"func (x {name}) MarshalJSON() ([]byte, error) {{",
            "\tvar w aiwfrt.ObjectWriter",
        ]
        for key, ident, go, optional, _ in members:
            if go.startswith("Nullable["):
                decl.lines += [
                    f"\tif x.{ident}.Set {{",
                    f"\t\tw.Field({go_str(key)}, x.{ident})",
                    "\t}",
                ]
            elif optional:
                decl.lines += [
                    f"\tif x.{ident} != nil {{",
                    f"\t\tw.Field({go_str(key)}, x.{ident})",
                    "\t}",
                ]
            else:
                decl.lines.append(f"\tw.Field({go_str(key)}, x.{ident})")
        if extra is not None:
            decl.lines += [
                "\tfor _, key := range aiwfrt.SortedKeys(x.AdditionalProperties) {",
                "\t\tw.Field(key, x.AdditionalProperties[key])",
                "\t}",
            ]
        decl.lines += ["\treturn w.Bytes()", "}"]
        # UnmarshalJSON
        closed = "refuses unknown keys" if extra is None else "keeps unknown keys"
        decl.lines += [
            "",
            f"// UnmarshalJSON reads the object strictly: it {closed}, requires the required",
            "// ones and reports the failing JSON path.",
            f"func (x *{name}) UnmarshalJSON(data []byte) error {{",
            "\tfields, err := aiwfrt.ReadFields(data)",
            "\tif err != nil {",
            "\t\treturn err",
            "\t}",
            f"\t*x = {name}{{}}",
            "\tfor _, key := range fields.Keys {",
            "\t\traw := fields.Raw[key]",
            "\t\tswitch key {",
        ]
        for key, ident, _go, _opt, _ in members:
            decl.lines += [
                f"\t\tcase {go_str(key)}:",
                f"\t\t\terr = aiwfrt.Decode(raw, &x.{ident})",
            ]
        decl.lines.append("\t\tdefault:")
        if extra is None:
            decl.lines.append("\t\t\terr = aiwfrt.Unknown(key)")
        else:
            decl.lines += [
                "\t\t\tif x.AdditionalProperties == nil {",
                f"\t\t\t\tx.AdditionalProperties = map[string]{extra}{{}}",
                "\t\t\t}",
                f"\t\t\tvar value {extra}",
                "\t\t\terr = aiwfrt.Decode(raw, &value)",
                "\t\t\tx.AdditionalProperties[key] = value",
            ]
        decl.lines += [
            "\t\t}",
            "\t\tif err != nil {",
            "\t\t\treturn aiwfrt.Under(aiwfrt.Key(key), err)",
            "\t\t}",
            "\t}",
        ]
        required = ", ".join(go_str(p.name) for p in t.properties if p.required)
        decl.lines += [f"\treturn fields.Require({required})", "}"]
        # Validate
        self._depth = 0
        checks: list[str] = []
        for key, ident, go, _opt, ptype in members:
            step = f"path + {go_str(json_path_step(key))}"
            expr = f"x.{ident}"
            phint = name + exported(key, "Field")
            if go.startswith("Nullable["):
                inner = self.checks(ptype, f"{expr}.Value", step, phint, nullable_ok=True)
                if inner:
                    cond = f"{expr}.Set && !{expr}.Null"
                    checks += [f"if {cond} {{", *(f"\t{line}" for line in inner), "}"]
            elif go.startswith("*"):
                inner = self.checks(ptype, f"(*{expr})", step, phint, nullable_ok=True)
                if inner:
                    checks += [f"if {expr} != nil {{", *(f"\t{line}" for line in inner), "}"]
            elif go == RAW and _opt:  # an absent optional member is an empty RawMessage
                inner = self.checks(ptype, expr, step, phint, nullable_ok=ptype.nullable)
                if inner:
                    checks += [f"if len({expr}) > 0 {{", *(f"\t{line}" for line in inner), "}"]
            else:
                checks += self.checks(ptype, expr, step, phint, nullable_ok=ptype.nullable)
        if extra is not None and not isinstance(t.additional, bool):
            inner = self._elem_checks(
                t.additional, "value", "path + aiwfrt.Key(key)", name + "Additional"
            )
            if inner:
                checks += [
                    "for _, key := range aiwfrt.SortedKeys(x.AdditionalProperties) {",
                    "\tvalue := x.AdditionalProperties[key]",
                    *(f"\t{line}" for line in inner),
                    "}",
                ]
        decl.lines += self._validate(name, checks)
        self.decls.append(decl)

    # -- checks --------------------------------------------------------------------------

    def _elem_checks(self, t: Type, expr: str, path: str, hint: str) -> list[str]:
        kind = self.base_kind(t)
        pointer = t.nullable and kind not in ("raw", "slice", "map") and not self._ref_raw(t)
        if pointer:
            inner = self.checks(t, f"(*{expr})", path, hint, nullable_ok=True)
            return [f"if {expr} != nil {{", *(f"\t{line}" for line in inner), "}"] if inner else []
        return self.checks(t, expr, path, hint, nullable_ok=t.nullable)

    def _ref_raw(self, t: Type) -> bool:
        return isinstance(t, RefType) and self._is_raw_name(self.contract_type[t.name])

    def _as(self, t: Type, hint: str) -> str:
        """``aiwfrt.As(func(v T, p string) error {...})``: decodes a raw value into ``t``'s Go
        type and checks it (a union variant, an allOf part, a facet of a typeless schema)."""
        go = self.elem(t, hint)
        self._depth += 1
        p, v = f"p{self._depth}", f"v{self._depth}"
        inner = self._elem_checks(t, v, p, hint)
        self._depth -= 1
        if not inner:
            return f"aiwfrt.As(func({v} {go}, {p} string) error {{ return nil }})"
        return (
            f"aiwfrt.As(func({v} {go}, {p} string) error {{\n"
            + "\n".join(f"\t{x}" for x in inner)
            + "\n\treturn nil\n})"
        )

    def checks(self, t: Type, expr: str, path: str, hint: str, *, nullable_ok: bool) -> list[str]:
        """Go statements that return the first problem of ``expr`` (of ``t``'s Go type)."""
        fail = "\treturn err"

        def call(code: str) -> list[str]:
            return [f"if err := {code}; err != nil {{", fail, "}"]

        out: list[str] = []
        if isinstance(t, RefType) or _plain_object(t):
            return call(f"{expr}.validate({path})")
        kind = self.base_kind(t)
        if kind == "enum":
            assert isinstance(t, EnumType)
            allowed = ", ".join(json_text(v) for v in t.values)
            return [
                f"if !{expr}.Valid() {{",
                f"\treturn aiwfrt.NotOneOf({path}, string({expr}), {go_str(allowed)})",
                "}",
            ]
        if isinstance(t, StringType):
            if t.min_length is not None or t.max_length is not None:
                lo = t.min_length if t.min_length is not None else -1
                hi = t.max_length if t.max_length is not None else -1
                out += call(f"aiwfrt.CheckLength({path}, string({expr}), {lo}, {hi})")
            if t.pattern is not None:
                out += call(f"aiwfrt.CheckPattern({path}, string({expr}), {go_str(t.pattern)})")
            if t.format is not None:
                out += call(f"aiwfrt.CheckFormat({path}, string({expr}), {go_str(t.format)})")
            return out
        if isinstance(t, ConstType) and isinstance(t.value, str):
            return [
                f"if {expr} != {go_str(t.value)} {{",
                f'\treturn aiwfrt.Invalid({path}, "%s was expected", {go_str(json_text(t.value))})',
                "}",
            ]
        if isinstance(t, (IntegerType, NumberType)):
            v = f"float64({expr})"
            if t.minimum is not None:
                out += call(f"aiwfrt.CheckMinimum({path}, {v}, {go_number(t.minimum)}, false)")
            if t.exclusive_minimum is not None:
                out += call(
                    f"aiwfrt.CheckMinimum({path}, {v}, {go_number(t.exclusive_minimum)}, true)"
                )
            if t.maximum is not None:
                out += call(f"aiwfrt.CheckMaximum({path}, {v}, {go_number(t.maximum)}, false)")
            if t.exclusive_maximum is not None:
                out += call(
                    f"aiwfrt.CheckMaximum({path}, {v}, {go_number(t.exclusive_maximum)}, true)"
                )
            if t.multiple_of is not None:
                out += call(f"aiwfrt.CheckMultipleOf({path}, {v}, {go_number(t.multiple_of)})")
            return out
        if isinstance(t, ArrayType):
            if t.min_items is not None or t.max_items is not None:
                lo = t.min_items if t.min_items is not None else -1
                hi = t.max_items if t.max_items is not None else -1
                out += call(f"aiwfrt.CheckItems({path}, len({expr}), {lo}, {hi})")
            if t.unique_items:
                out += call(f"aiwfrt.CheckUnique({path}, {expr})")
            self._depth += 1
            i, item = f"i{self._depth}", f"item{self._depth}"
            inner = self._elem_checks(t.items, item, f"{path} + aiwfrt.Index({i})", hint + "Item")
            self._depth -= 1
            if inner:
                used = any(re.search(rf"\b{item}\b", x) for x in inner)
                head = (
                    f"for {i}, {item} := range {expr} {{" if used else f"for {i} := range {expr} {{"
                )
                out += [head, *(f"\t{x}" for x in inner), "}"]
            return out
        if isinstance(t, ObjectType):  # a map
            if isinstance(t.additional, bool):
                return out
            self._depth += 1
            k, val = f"k{self._depth}", f"v{self._depth}"
            inner = self._elem_checks(
                t.additional, val, f"{path} + aiwfrt.Key({k})", hint + "Value"
            )
            self._depth -= 1
            if inner:
                used = any(re.search(rf"\b{val}\b", x) for x in inner)
                out += [
                    f"for _, {k} := range aiwfrt.SortedKeys({expr}) {{",
                    f"\t{val} := {expr}[{k}]" if used else f"\t_ = {expr}[{k}]",
                    *(f"\t{x}" for x in inner),
                    "}",
                ]
            return out
        if kind != "raw":
            return out
        # Raw JSON values.
        if isinstance(t, NullType):
            return call(f"aiwfrt.CheckNull({path}, {expr})")
        if isinstance(t, NeverType):
            out = [f"return aiwfrt.Never({path})"]
        elif isinstance(t, EnumType):
            out = call(
                f"aiwfrt.CheckOneOfJSON({path}, {expr}, {go_str(json_text(list(t.values)))})"
            )
        elif isinstance(t, ConstType):
            out = call(f"aiwfrt.CheckConst({path}, {expr}, {go_str(json_text(t.value))})")
        elif isinstance(t, ByKindType):
            facets: list[str] = []
            for label, facet in (
                ("Object", t.object), ("Array", t.array), ("String", t.string),
                ("Number", t.number),
            ):  # fmt: skip
                if facet is None:
                    facets.append("nil")
                    continue
                facets.append(self._as(facet, f"{hint}{label}"))
            joined = ",\n".join(facets) + ","
            out = [
                f"if err := aiwfrt.CheckByKind({path}, {expr},",
                *joined.split("\n"),
                "); err != nil {",
                fail,
                "}",
            ]
        elif isinstance(t, (UnionType, IntersectionType)):
            mode = "all" if isinstance(t, IntersectionType) else ("one" if t.exclusive else "any")
            variants = [
                self._as(variant, f"{hint}Variant{n}") for n, variant in enumerate(t.variants, 1)
            ]
            if not variants:
                return out
            joined = ",\n".join(variants) + ","
            out = [
                f"if err := aiwfrt.CheckVariants({path}, {expr}, {go_str(mode)},",
                *joined.split("\n"),
                "); err != nil {",
                fail,
                "}",
            ]
        if out and nullable_ok:
            return [f"if !aiwfrt.IsNull({expr}) {{", *(f"\t{x}" for x in out), "}"]
        return out


__all__ = ["GoDecl", "TypeBuilder"]
