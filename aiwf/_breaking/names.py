"""The names a program's items have in each generated SDK, read from the SDK targets'
own type builders (never re-derived), so that findings and the changelog name exactly what
the generated code declares.

Each target's builder is run once per program through a thin subclass that records, as the
builder makes them, the name of every generated object (and Go enum) type, the identifier
and declared type of every field, and Go's enum constants. Function names come from the
target's template context. Types are recorded per contract and by identity: the diff walks
the very type objects the builder walked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiwf._breaking.changes import Symbol
from aiwf._ir.model import Program
from aiwf._ir.types import EnumType, ObjectType, Type

#: The languages whose names are known here, in display order.
LANGUAGES = ("python", "go", "typescript")

TypeKey = tuple[str, int]


@dataclass
class Names:
    """One language's names for one program."""

    lang: str
    #: contract -> its generated type name.
    contracts: dict[str, str] = field(default_factory=dict)
    #: (contract, id(type)) -> name of the generated type (objects; Go enums too).
    types: dict[TypeKey, str] = field(default_factory=dict)
    #: (contract, id(object type)) -> JSON name -> (identifier, declared type).
    fields: dict[TypeKey, dict[str, tuple[str, str]]] = field(default_factory=dict)
    #: (contract, id(enum type)) -> JSON value (as JSON text) -> constant (Go only).
    constants: dict[TypeKey, dict[str, str]] = field(default_factory=dict)
    #: ("assistant" | "workflow", name) -> function or method name.
    functions: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_type(self, contract: str, t: Type, name: str) -> TypeKey:
        """Record that ``t`` (walked for ``contract``) is generated as ``name`` (the first
        name recorded stays); its key for :attr:`fields` and :attr:`constants`."""
        key = (contract, id(t))
        self.types.setdefault(key, name)
        return key

    def type_name(self, contract: str, t: Type) -> str | None:
        return self.types.get((contract, id(t)))

    def field(self, contract: str, owner: Type, key: str) -> tuple[str, str] | None:
        """The identifier and declared type of property ``key`` of the object ``owner``."""
        return self.fields.get((contract, id(owner)), {}).get(key)

    def constant(self, contract: str, enum: Type, value: Any) -> str | None:
        import json

        table = self.constants.get((contract, id(enum)), {})
        return table.get(json.dumps(value, sort_keys=True))


def _finish(
    names: Names, contracts: dict[str, str], target: Any, program: Program, attr: str
) -> Names:
    """``names`` with the contracts' type names (as the builder named them) and the function
    (Go: method) of every assistant and workflow, as the target's template context names
    them."""
    names.contracts = dict(contracts)
    context = target.context(program, target.default_package(program))
    for kind in ("assistant", "workflow"):
        for item in context[kind + "s"]:
            names.functions[(kind, item.name)] = getattr(item, attr)
    return names


# -- Python ---------------------------------------------------------------------------------


def _python(program: Program) -> Names:
    from aiwf._generate.targets.python import TARGET
    from aiwf._generate.targets.python_types import ModelBuilder, PyModel

    names = Names("python")

    class Recorder(ModelBuilder):
        def _object_class(self, cls: str, contract: str | None, t: ObjectType) -> PyModel:
            model = super()._object_class(cls, contract, t)
            key = names.add_type(self.building, t, cls)
            table: dict[str, tuple[str, str]] = {}
            for prop, py_field in zip(t.properties, model.fields, strict=False):
                table[prop.name] = (py_field.name, py_field.annotation)
            names.fields.setdefault(key, table)
            return model

    builder = Recorder(program)
    builder.build()
    return _finish(names, builder.contract_class, TARGET, program, "method")


# -- Go ---------------------------------------------------------------------------------------


def _go(program: Program) -> Names:
    import json

    from aiwf._generate.targets.go import TARGET
    from aiwf._generate.targets.go_types import TypeBuilder

    names = Names("go")

    class Recorder(TypeBuilder):
        def _struct(self, name: str, t: ObjectType, contract: str | None) -> None:
            super()._struct(name, t, contract)
            key = names.add_type(self.building, t, name)
            decl = self.decls[-1]
            if decl.kind != "struct":  # a declaration of another shape: no field names
                return
            members = [(f.ident, f.go_type) for f in decl.fields]
            names.fields.setdefault(
                key,
                {prop.name: member for prop, member in zip(t.properties, members, strict=False)},
            )

        def _enum(self, name: str, t: EnumType, contract: str | None) -> None:
            super()._enum(name, t, contract)
            key = names.add_type(self.building, t, name)
            consts = [const for const, _ in self.decls[-1].constants]
            values = [v for v in t.values if isinstance(v, str)]
            names.constants.setdefault(
                key, {json.dumps(v): const for v, const in zip(values, consts, strict=False)}
            )

    builder = Recorder(program)
    builder.build()
    return _finish(names, builder.contract_type, TARGET, program, "method")


# -- TypeScript -------------------------------------------------------------------------------


def _typescript(program: Program) -> Names:
    from aiwf._generate.targets.ts_types import TypeBuilder
    from aiwf._generate.targets.typescript import TARGET

    names = Names("typescript")

    class Recorder(TypeBuilder):
        def _interface(self, type_name: str, contract: str | None, t: ObjectType) -> None:
            super()._interface(type_name, contract, t)
            key = names.add_type(self.building, t, type_name)
            decl = next(d for d in reversed(self.decls) if d.name == type_name)
            table = {
                prop.name: (field.key, field.type)
                for prop, field in zip(t.properties, decl.fields, strict=True)
            }
            names.fields.setdefault(key, table)

    builder = Recorder(program)
    builder.build()
    return _finish(names, builder.contract_type, TARGET, program, "func")


_BUILDERS = {"python": _python, "go": _go, "typescript": _typescript}


def program_names(program: Program) -> dict[str, Names]:
    """Every language's names for ``program`` (the languages of :data:`LANGUAGES`)."""
    return {lang: _BUILDERS[lang](program) for lang in LANGUAGES}


def symbol_text(symbol: Symbol, names: Names, *, typed: bool = False) -> str | None:
    """How ``symbol`` is spelled in ``names``' language: ``Ticket``, ``Ticket.Subject``
    (``Ticket.Subject: *string`` with ``typed``), ``ColorRed``, ``classify``; None when that
    language generates nothing for it."""
    if symbol.kind == "contract":
        return names.contracts.get(symbol.contract)
    if symbol.kind == "function":
        return names.functions.get(symbol.member)
    if symbol.owner is None:
        return None
    if symbol.kind == "type":
        return names.type_name(symbol.contract, symbol.owner)
    if symbol.kind == "constant":
        return names.constant(symbol.contract, symbol.owner, symbol.member)
    owner = names.type_name(symbol.contract, symbol.owner)
    found = names.field(symbol.contract, symbol.owner, symbol.member)
    if owner is None or found is None:
        return None
    return f"{owner}.{found[0]}: {found[1]}" if typed else f"{owner}.{found[0]}"


def spelled(
    symbols: tuple[Symbol, ...], old: dict[str, Names], new: dict[str, Names], lang: str
) -> str | None:
    """The names of ``symbols`` in ``lang``: ``Ticket.Subject``, or ``Old -> New`` when the
    change renames it (old names from ``old``, new ones from ``new``)."""
    before = [t for s in symbols if s.side == "old" if (t := symbol_text(s, old[lang]))]
    after = [t for s in symbols if s.side == "new" if (t := symbol_text(s, new[lang]))]
    if before == after and all(s.kind == "field" for s in symbols):
        # The same field with another declared type: show the types.
        before = [
            t for s in symbols if s.side == "old" if (t := symbol_text(s, old[lang], typed=True))
        ]
        after = [
            t for s in symbols if s.side == "new" if (t := symbol_text(s, new[lang], typed=True))
        ]
        if before == after:
            return ", ".join(dict.fromkeys(before)) or None
        pairs = [f"{b} -> {a.split(': ', 1)[-1]}" for b, a in zip(before, after, strict=False)]
        return ", ".join(dict.fromkeys(pairs))
    if before and after:
        pairs = [f"{b} -> {a}" if b != a else b for b, a in zip(before, after, strict=False)]
        return ", ".join(dict.fromkeys(pairs))
    shown = before or after
    return ", ".join(dict.fromkeys(shown)) if shown else None


__all__ = ["LANGUAGES", "Names", "program_names", "spelled", "symbol_text"]
