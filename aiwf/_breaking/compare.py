"""Comparing two compiled programs: the changes from ``old`` to ``new``, each under a rule of
:mod:`aiwf._breaking.rules`.

The comparison works on the IR, where the compiler has already resolved named and inline
schemas, ``$defs`` and the inferred ``<Workflow>Output`` contracts. It

1. matches named items: schemas, assistants and workflows by name, and a removed and an
   added item with the same structure as one rename;
2. compares each assistant (model route, instructions, temperature, its input and output
   contracts) and each workflow (steps, input, output);
3. compares every contract present on both sides, in the directions it is used: a contract
   reachable from an assistant's or workflow's input is judged as a request (``input-*``
   rules), one reachable from an output as a response (``output-*``), one used both ways by
   both rule sets. A contract nothing uses is judged both ways (the SDKs still export it).

Descriptions, titles and defaults are ignored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from aiwf._breaking.changes import Anchor, Change, Side, Step, Symbol, path_text, value_text
from aiwf._ir.model import Assistant, ObjectBinding, Program, Workflow
from aiwf._ir.names import words
from aiwf._ir.routes import Route
from aiwf._ir.types import (
    AnyType,
    ArrayType,
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
    describe,
    with_nullable,
)

INPUT, OUTPUT = "input", "output"
BOTH = frozenset({INPUT, OUTPUT})
_NAMED_ORIGINS = ("schema", "defs")
#: An assistant or a workflow (what :meth:`Comparison._match_entities` pairs).
_E = TypeVar("_E", Assistant, Workflow)
_IGNORED = ("description", "title", "default")

#: The constraint keywords of integers and numbers.
_NUMERIC_BOUNDS = (
    ("minimum", "minimum", "min"),
    ("exclusive_minimum", "exclusiveMinimum", "min"),
    ("maximum", "maximum", "max"),
    ("exclusive_maximum", "exclusiveMaximum", "max"),
    ("multiple_of", "multipleOf", "multiple"),
)
#: Constraint keywords by kind: (IR field, JSON Schema keyword, how a new value compares).
_BOUNDS = {
    "string": (
        ("min_length", "minLength", "min"),
        ("max_length", "maxLength", "max"),
        ("pattern", "pattern", "changed"),
        ("format", "format", "changed"),
    ),
    "array": (
        ("min_items", "minItems", "min"),
        ("max_items", "maxItems", "max"),
        ("unique_items", "uniqueItems", "flag"),
    ),
    "integer": _NUMERIC_BOUNDS,
    "number": _NUMERIC_BOUNDS,
}


# -- shapes: structure without annotations, for renames and variant matching ------------------


def _plain(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, RefType):
        return {"kind": "ref", "name": mapping.get(value.name, value.name), "n": value.nullable}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name in _IGNORED:
                continue
            item = getattr(value, f.name)
            if f.name == "properties":
                item = sorted(item, key=lambda p: p.name)
            elif f.name == "fields" and isinstance(value, ObjectBinding):
                item = sorted(item, key=lambda kv: kv[0])  # key order is not meaning
            out[f.name] = _plain(item, mapping)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, mapping) for k, v in value.items()}
    return value


def shape(t: Any, mapping: dict[str, str] | None = None) -> str:
    """The structure of a type (or any IR value) as canonical JSON: descriptions, titles,
    defaults and the order of properties and of object-template keys left out; references
    renamed through ``mapping``."""
    data = _plain(t, mapping or {})
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


# -- directions and users ---------------------------------------------------------------------


def usage(program: Program) -> dict[str, dict[str, list[str]]]:
    """contract -> direction -> the assistants and workflows that use it that way
    (``"assistant classify"``), through every reference."""
    out: dict[str, dict[str, list[str]]] = {}

    def mark(root: str, direction: str, who: str) -> None:
        for name in program.closure(root):
            users = out.setdefault(name, {}).setdefault(direction, [])
            if who not in users:
                users.append(who)

    for a in program.assistants.values():
        mark(a.input, INPUT, f"assistant {a.name}")
        mark(a.output, OUTPUT, f"assistant {a.name}")
    for w in program.workflows.values():
        mark(w.input, INPUT, f"workflow {w.name}")
        mark(w.output_contract, OUTPUT, f"workflow {w.name}")
    return out


def _users_text(users: dict[str, list[str]], dirs: Iterable[str]) -> str:
    parts = []
    for direction in (INPUT, OUTPUT):
        if direction not in dirs:
            continue
        who = users.get(direction, [])
        if not who:
            continue
        shown = ", ".join(who[:3]) + (f" and {len(who) - 3} more" if len(who) > 3 else "")
        parts.append(f"{direction} of {shown}")
    return "; ".join(parts) if parts else "not used by any assistant or workflow"


# -- where in a contract a comparison is --------------------------------------------------------


@dataclass(frozen=True)
class At:
    """A position in the comparison of two types: the new contract and path (for subjects),
    the old ones (for removals), the directions, and what is being compared across refs."""

    contract: str
    old_contract: str
    steps: tuple[Step, ...] = ()
    old_steps: tuple[Step, ...] = ()
    dirs: frozenset[str] = BOTH
    #: The contracts whose SDK types own the compared types (differs from ``contract`` once
    #: a reference has been followed).
    owner: str = ""
    old_owner: str = ""
    context: str = ""
    visiting: frozenset[tuple[str, str]] = frozenset()
    #: The generated fields of the nearest enclosing property (old and new), for names.
    fields: tuple[Symbol, ...] = ()
    #: For an assistant's or workflow's contract replaced by another: (kind, name, field),
    #: where a change to the whole contract is written.
    slot: tuple[str, str, str] | None = None

    @property
    def subject(self) -> str:
        return path_text(self.contract, self.steps)

    def down(
        self, step: Step, old_step: Step | None = None, fields: tuple[Symbol, ...] | None = None
    ) -> At:
        return replace(
            self,
            steps=(*self.steps, step),
            old_steps=(*self.old_steps, old_step or step),
            fields=self.fields if fields is None else fields,
        )


class Comparison:
    """The changes from ``old`` to ``new`` (:meth:`run`)."""

    def __init__(self, old: Program, new: Program) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []
        #: Old contract name -> new name, for renamed schemas and the inline contracts of
        #: renamed assistants and workflows.
        self.contracts: dict[str, str] = {}
        self.assistants: dict[str, str] = {}
        self.workflows: dict[str, str] = {}
        self.old_usage = usage(old)
        self.new_usage = usage(new)

    # -- emitting ---------------------------------------------------------------------------

    def emit(
        self,
        rule: str,
        at: At,
        what: str,
        *,
        old: Any = None,
        new: Any = None,
        side: Side = "new",
        keyword: str | None = None,
        symbols: tuple[Symbol, ...] = (),
        dirs: Iterable[str] | None = None,
    ) -> None:
        users = self._users(at, side)
        where = _users_text(users, dirs if dirs is not None else at.dirs)
        context = f"; {at.context}" if at.context else ""
        steps = at.old_steps if side == "old" else at.steps
        contract = at.old_contract if side == "old" else at.contract
        anchor = Anchor(side, "contract", contract, steps, keyword)
        if at.slot is not None and not steps:
            kind, name, field = at.slot
            anchor = Anchor(side, kind, name, (), field)  # type: ignore[arg-type]
        self.changes.append(
            Change(
                rule=rule,
                subject=at.subject,
                message=f"{at.subject}: {what} ({where}{context})",
                detail=what,
                anchor=anchor,
                old=old,
                new=new,
                context=at.context,
                contract=contract,
                symbols=symbols or at.fields,
            )
        )

    def _users(self, at: At, side: Side) -> dict[str, list[str]]:
        if side == "old":
            return self.old_usage.get(at.old_contract, {})
        return self.new_usage.get(at.contract, {}) or self.old_usage.get(at.old_contract, {})

    def per_direction(self, at: At, change: str, what: str, **kwargs: Any) -> None:
        """Emit the rule ``{direction}-{change}`` (``input-type-changed`` ...) for each
        direction of ``at``."""
        for direction in (INPUT, OUTPUT):
            if direction in at.dirs:
                self.emit(f"{direction}-{change}", at, what, dirs=(direction,), **kwargs)

    def entity(
        self,
        rule: str,
        kind: str,
        name: str,
        what: str,
        *,
        side: Side = "new",
        field: str | None = None,
        old: Any = None,
        new: Any = None,
        symbols: tuple[Symbol, ...] = (),
    ) -> None:
        subject = f"{kind} {name}"
        anchor_kind = "contract" if kind == "schema" else kind
        self.changes.append(
            Change(
                rule=rule,
                subject=subject,
                message=f"{subject}: {what}",
                detail=what,
                anchor=Anchor(side, anchor_kind, name, (), field),  # type: ignore[arg-type]
                old=old,
                new=new,
                contract=name if kind == "schema" else None,
                entity=(kind, name) if kind != "schema" else None,
                symbols=symbols,
            )
        )

    # -- the whole comparison -------------------------------------------------------------

    def run(self) -> list[Change]:
        self.match_schemas()
        self.match_assistants()
        self.match_workflows()
        for name, a in sorted(self.old.assistants.items()):
            new_name = self.assistants.get(name)
            if new_name is not None:
                self.compare_assistant(a, self.new.assistants[new_name])
        for name, w in sorted(self.old.workflows.items()):
            new_name = self.workflows.get(name)
            if new_name is not None:
                self.compare_workflow(w, self.new.workflows[new_name])
        for name in sorted(self.old.contracts):
            new_name = self.contracts.get(name, name)
            if new_name in self.new.contracts:
                self.compare_contract(name, new_name)
        seen: set[tuple[str, str, str, str, str]] = set()
        out = []
        for change in self.changes:
            key = (change.rule, change.subject, value_text(change.old), value_text(change.new),
                   change.context)  # fmt: skip
            if key not in seen:
                seen.add(key)
                out.append(change)
        return out

    # -- named items --------------------------------------------------------------------------

    def match_schemas(self) -> None:
        def named(program: Program) -> set[str]:
            return {n for n, c in program.contracts.items() if c.origin in _NAMED_ORIGINS}

        removed = sorted(named(self.old) - set(self.new.contracts))
        added = sorted(named(self.new) - set(self.old.contracts))
        # A rename may refer to another rename: match until nothing changes.
        progress = True
        while progress:
            progress = False
            for old_name in removed:
                if old_name in self.contracts:
                    continue
                old_shape = shape(self.old.contracts[old_name].type, self.contracts)
                for new_name in added:
                    if new_name in self.contracts.values():
                        continue
                    if shape(self.new.contracts[new_name].type) == old_shape:
                        self.contracts[old_name] = new_name
                        progress = True
                        break
        for old_name in removed:
            origin = self.old.contracts[old_name].origin
            noun = "schema" if origin == "schema" else "definition"
            renamed = self.contracts.get(old_name)
            old_sym = Symbol("contract", "old", old_name)
            if renamed is not None:
                new_name = renamed
                self.entity(
                    "schema-renamed", "schema", new_name, f"{noun} {old_name!r} is renamed {new_name!r}",
                    old=old_name, new=new_name,
                    symbols=(old_sym, Symbol("contract", "new", new_name)),
                )  # fmt: skip
            else:
                self.entity("schema-removed", "schema", old_name, f"{noun} is removed",
                            side="old", old=old_name, symbols=(old_sym,))  # fmt: skip
        for new_name in added:
            if new_name not in self.contracts.values():
                self.entity("schema-added", "schema", new_name, "schema is added", new=new_name,
                            symbols=(Symbol("contract", "new", new_name),))  # fmt: skip

    def _slot(self, program: Program, contract: str, mapping: dict[str, str]) -> str:
        """An assistant's or workflow's contract, for rename matching: a named schema by its
        (renamed) name, an inline one by its structure."""
        if program.contracts[contract].origin in _NAMED_ORIGINS:
            return "@" + mapping.get(contract, contract)
        return shape(program.contracts[contract].type, mapping)

    def _assistant_shape(self, program: Program, a: Assistant, mapping: dict[str, str]) -> str:
        return json.dumps(
            [
                a.model, _route_data(program.models.get(a.model)), a.instructions, a.temperature,
                a.max_tokens, a.retry.to_dict(), self._slot(program, a.input, mapping),
                self._slot(program, a.output, mapping),
            ],
            sort_keys=True, default=str,
        )  # fmt: skip

    def _rename_inline(self, old_name: str, new_name: str) -> None:
        if old_name != new_name and self.old.contracts[old_name].origin not in _NAMED_ORIGINS:
            self.contracts[old_name] = new_name

    def match_assistants(self) -> None:
        old, new = self.old.assistants, self.new.assistants
        self._match_entities(
            "assistant", old, new, self.assistants,
            lambda name: self._assistant_shape(self.old, old[name], self.contracts),
            lambda name: self._assistant_shape(self.new, new[name], {}),
            lambda a: (a.input, a.output),
        )  # fmt: skip

    def _workflow_shape(self, program: Program, w: Workflow, mapping: dict[str, str],
                        assistants: dict[str, str]) -> str:  # fmt: skip
        # A step's concurrency changes no result (outputs keep their order): not compared.
        steps = [
            [s.id, assistants.get(s.assistant, s.assistant), shape(s.input),
             shape(replace(s.scatter, concurrency=0) if s.scatter else None), list(s.needs)]
            for s in w.steps
        ]  # fmt: skip
        return json.dumps(
            [self._slot(program, w.input, mapping), steps, shape(w.output)], sort_keys=True
        )

    def match_workflows(self) -> None:
        old, new = self.old.workflows, self.new.workflows
        identity = {n: n for n in self.new.assistants}
        self._match_entities(
            "workflow", old, new, self.workflows,
            lambda name: self._workflow_shape(self.old, old[name], self.contracts, self.assistants),
            lambda name: self._workflow_shape(self.new, new[name], {}, identity),
            lambda w: (w.input, w.output_contract),
        )  # fmt: skip

    def _match_entities(
        self,
        kind: str,
        old: Mapping[str, _E],
        new: Mapping[str, _E],
        matched: dict[str, str],
        old_shape: Callable[[str], str],
        new_shape: Callable[[str], str],
        contracts: Callable[[_E], tuple[str, str]],
    ) -> None:
        """Pair the old and new assistants or workflows (``kind``) into ``matched``: by name,
        then a removed one with an added one of the same shape (a rename, whose inline input
        and output contracts are renamed with it); report what is removed, renamed or added."""
        for name in old:
            if name in new:
                matched[name] = name
        removed = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        for name in removed:
            was = old_shape(name)
            target = next(
                (n for n in added if n not in matched.values() and new_shape(n) == was), None
            )
            sym = Symbol("function", "old", member=(kind, name))
            if target is None:
                self.entity(f"{kind}-removed", kind, name, f"{kind} is removed",
                            side="old", old=name, symbols=(sym,))  # fmt: skip
                continue
            matched[name] = target
            for old_contract, new_contract in zip(
                contracts(old[name]), contracts(new[target]), strict=True
            ):
                self._rename_inline(old_contract, new_contract)
            self.entity(
                f"{kind}-renamed", kind, target, f"{kind} {name!r} is renamed {target!r}",
                old=name, new=target,
                symbols=(sym, Symbol("function", "new", member=(kind, target))),
            )  # fmt: skip
        for name in added:
            if name not in matched.values():
                self.entity(f"{kind}-added", kind, name, f"{kind} is added", new=name,
                            symbols=(Symbol("function", "new", member=(kind, name)),))  # fmt: skip

    def compare_assistant(self, a: Assistant, b: Assistant) -> None:
        old_route = _route_data(self.old.models.get(a.model))
        new_route = _route_data(self.new.models.get(b.model))
        if a.model != b.model or old_route != new_route:
            self.entity(
                "assistant-model-changed", "assistant", b.name,
                f"model route {_route_text(a.model, old_route)} -> {_route_text(b.model, new_route)}",
                field="model", old=[a.model, old_route], new=[b.model, new_route],
            )  # fmt: skip
        if a.instructions != b.instructions:
            self.entity("assistant-instructions-changed", "assistant", b.name,
                        "instructions changed", field="instructions",
                        old=a.instructions, new=b.instructions)  # fmt: skip
        for key, label in (("temperature", "temperature"), ("max_tokens", "max_tokens")):
            before, after = getattr(a, key), getattr(b, key)
            if before != after:
                self.entity(
                    "assistant-temperature-changed", "assistant", b.name,
                    f"{label} {value_text(before)} -> {value_text(after)}",
                    field=key if after is not None else "model", old=before, new=after,
                )  # fmt: skip
        for slot, direction in (("input", INPUT), ("output", OUTPUT)):
            self.compare_slot(
                getattr(a, slot), getattr(b, slot), direction, ("assistant", b.name, slot)
            )

    def compare_workflow(self, a: Workflow, b: Workflow) -> None:
        steps_a = self._workflow_shape(self.old, a, self.contracts, self.assistants)
        steps_b = self._workflow_shape(self.new, b, {}, {n: n for n in self.new.assistants})
        if json.loads(steps_a)[1:] != json.loads(steps_b)[1:]:
            before = [f"{s.id}: {s.assistant}" for s in a.steps]
            after = [f"{s.id}: {s.assistant}" for s in b.steps]
            detail = (
                f"steps [{', '.join(before)}] -> [{', '.join(after)}]"
                if before != after
                else "a step's input, scatter or the output binding changed"
            )
            self.entity("workflow-steps-changed", "workflow", b.name, detail, field="steps",
                        old=json.loads(steps_a)[1:], new=json.loads(steps_b)[1:])  # fmt: skip
        self.compare_slot(a.input, b.input, INPUT, ("workflow", b.name, "input"))

    def compare_slot(
        self, old_name: str, new_name: str, direction: str, slot: tuple[str, str, str]
    ) -> None:
        """An assistant's or workflow's contract replaced by another one."""
        if self.contracts.get(old_name, old_name) == new_name:
            return
        kind, name, field = slot
        label = f"the {field} of {kind} {name}"
        at = At(
            contract=new_name,
            old_contract=old_name,
            dirs=frozenset({direction}),
            owner=new_name,
            old_owner=old_name,
            context=f"{label}: {old_name} -> {new_name}",
            slot=slot,
        )
        self.types(RefType(name=old_name), RefType(name=new_name), at)

    # -- contracts ---------------------------------------------------------------------------

    def directions(self, old_name: str, new_name: str) -> frozenset[str]:
        dirs = set(self.old_usage.get(old_name, {})) | set(self.new_usage.get(new_name, {}))
        return frozenset(dirs) or BOTH

    def compare_contract(self, old_name: str, new_name: str) -> None:
        at = At(
            contract=new_name,
            old_contract=old_name,
            dirs=self.directions(old_name, new_name),
            owner=new_name,
            old_owner=old_name,
        )
        self.types(self.old.contracts[old_name].type, self.new.contracts[new_name].type, at)

    def mapped(self, old_name: str) -> str:
        return self.contracts.get(old_name, old_name)

    def types(self, a: Type, b: Type, at: At) -> None:
        if isinstance(a, RefType) and isinstance(b, RefType) and self.mapped(a.name) == b.name:
            self.nullability(a, b, at)
            return
        if isinstance(a, RefType) or isinstance(b, RefType):
            self.replaced(a, b, at)
            return
        if isinstance(a, AnyType) or isinstance(b, AnyType):
            if not (isinstance(a, AnyType) and isinstance(b, AnyType)):
                self.kind_changed(a, b, at, "narrowed" if isinstance(a, AnyType) else "widened")
            return
        self.nullability(a, b, at)
        if type(a) is not type(b):
            if not _numbers(a, b):
                self.kind_changed(a, b, at, _relation(a, b))
                return
            self.kind_changed(a, b, at, "widened" if isinstance(a, IntegerType) else "narrowed")
        if isinstance(a, ObjectType):
            assert isinstance(b, ObjectType)
            self.objects(a, b, at)
        elif isinstance(a, ArrayType):
            assert isinstance(b, ArrayType)
            self.types(a.items, b.items, at.down(("items", "")))
        elif isinstance(a, EnumType):
            assert isinstance(b, EnumType)
            self.enums(a, b, at)
        elif isinstance(a, ConstType):
            assert isinstance(b, ConstType)
            if _canon(a.value) != _canon(b.value):
                self.per_direction(
                    at, "const-changed",
                    f"const {value_text(a.value)} -> {value_text(b.value)}",
                    old=a.value, new=b.value, keyword="const",
                )  # fmt: skip
        elif isinstance(a, UnionType):
            assert isinstance(b, UnionType)
            self.unions(a, b, at)
        elif isinstance(a, (IntersectionType, ByKindType)) and shape(a, self.contracts) != shape(b):
            self.per_direction(
                at, "type-changed",
                f"the combined schema changed ({describe(a)} -> {describe(b)})",
                old=describe(a), new=describe(b),
            )  # fmt: skip
        bounds = _BOUNDS.get(b.kind)
        if bounds is not None and a.kind in _BOUNDS:
            self.bounds(a, b, at, bounds)

    def replaced(self, a: Type, b: Type, at: At) -> None:
        """A value whose type is another contract (or an inline schema instead of one, or
        the other way round): its generated type changes; the structures are compared."""
        old_text = a.name if isinstance(a, RefType) else describe(a)
        new_text = b.name if isinstance(b, RefType) else describe(b)
        symbols = (
            Symbol("contract", "old", a.name) if isinstance(a, RefType) else
            Symbol("type", "old", at.old_owner, a),
            Symbol("contract", "new", b.name) if isinstance(b, RefType) else
            Symbol("type", "new", at.owner, b),
        )  # fmt: skip
        self.per_direction(
            at, "type-replaced",
            f"type {old_text} -> {new_text}", old=old_text, new=new_text, symbols=symbols,
        )  # fmt: skip
        key = (old_text, new_text)
        if key in at.visiting:
            return
        nested = replace(at, visiting=at.visiting | {key})
        if isinstance(a, RefType):
            target = self.old.contracts[a.name].type
            a = with_nullable(target, True) if a.nullable else target
            nested = replace(nested, old_owner=_name(a, nested.old_owner, self.old, old_text))
        if isinstance(b, RefType):
            target = self.new.contracts[b.name].type
            b = with_nullable(target, True) if b.nullable else target
            nested = replace(nested, owner=_name(b, nested.owner, self.new, new_text))
        self.types(a, b, nested)

    def kind_changed(self, a: Type, b: Type, at: At, relation: str) -> None:
        before, after = describe(with_nullable(a, False)), describe(with_nullable(b, False))
        self.per_direction(
            at, "type-" + relation, f"type {before} -> {after}", old=before, new=after
        )

    def nullability(self, a: Type, b: Type, at: At) -> None:
        before = a.nullable or isinstance(a, NullType)
        after = b.nullable or isinstance(b, NullType)
        if before == after or isinstance(a, (AnyType, NeverType)) or isinstance(b, AnyType):
            return
        if after:
            self.per_direction(
                at, "null-added",
                "may now be null", old=False, new=True,
            )  # fmt: skip
        else:
            self.per_direction(
                at, "null-removed",
                "may no longer be null", old=True, new=False,
            )  # fmt: skip

    # -- objects ------------------------------------------------------------------------------

    def objects(self, a: ObjectType, b: ObjectType, at: At) -> None:
        old_props = {p.name: p for p in a.properties}
        new_props = {p.name: p for p in b.properties}
        removed = [n for n in old_props if n not in new_props]
        added = [n for n in new_props if n not in old_props]
        pairs = [(n, n) for n in new_props if n in old_props]
        for old_key in list(removed):
            match = next(
                (
                    n
                    for n in added
                    if words(n) == words(old_key)
                    and shape(old_props[old_key].type, self.contracts) == shape(new_props[n].type)
                ),
                None,
            )
            if match is None:
                continue
            removed.remove(old_key)
            added.remove(match)
            pairs.append((old_key, match))
            self.per_direction(
                at.down(("prop", match), ("prop", old_key)),
                "json-name-changed",
                f"JSON name {old_key!r} -> {match!r}", old=old_key, new=match,
                symbols=self._fields(a, b, at, old_key, match),
            )  # fmt: skip
        for key in removed:
            symbols = self._fields(a, None, at, key, None)
            here = at.down(("prop", key), fields=symbols)
            required = old_props[key].required
            if INPUT in at.dirs:
                closed = b.additional is False
                self.emit(
                    "input-property-removed-closed" if closed else "input-property-removed",
                    here, f"property is removed{' from a closed object' if closed else ''}",
                    old=key, side="old", symbols=symbols, dirs=(INPUT,),
                )  # fmt: skip
            if OUTPUT in at.dirs:
                self.emit(
                    "output-required-property-removed" if required else "output-property-removed",
                    here, f"{'required' if required else 'optional'} property is removed",
                    old=key, side="old", symbols=symbols, dirs=(OUTPUT,),
                )  # fmt: skip
        for key in added:
            symbols = self._fields(None, b, at, None, key)
            here = at.down(("prop", key), fields=symbols)
            required = new_props[key].required
            if INPUT in at.dirs:
                self.emit(
                    "input-required-property-added" if required else "input-property-added",
                    here, f"{'required' if required else 'optional'} property is added",
                    new=key, symbols=symbols, dirs=(INPUT,),
                )  # fmt: skip
            if OUTPUT in at.dirs:
                closed = a.additional is False
                self.emit(
                    "output-property-added-closed" if closed else "output-property-added",
                    here, f"property is added{' to a closed object' if closed else ''}",
                    new=key, symbols=symbols, dirs=(OUTPUT,),
                )  # fmt: skip
        for old_key, new_key in pairs:
            here = at.down(
                ("prop", new_key), ("prop", old_key), self._fields(a, b, at, old_key, new_key)
            )
            before, after = old_props[old_key], new_props[new_key]
            if before.required != after.required:
                symbols = self._fields(a, b, at, old_key, new_key)
                if after.required:
                    change = "property-made-required"
                    what = "optional property is made required"
                else:
                    change = "property-made-optional"
                    what = "required property is made optional"
                self.per_direction(
                    here, change, what, old=before.required, new=after.required, symbols=symbols
                )
            self.types(before.type, after.type, here)
        self.additional(a, b, at)

    def _fields(
        self, a: ObjectType | None, b: ObjectType | None, at: At, old: str | None, new: str | None
    ) -> tuple[Symbol, ...]:
        out = []
        if a is not None and old is not None:
            out.append(Symbol("field", "old", at.old_owner, a, old))
        if b is not None and new is not None:
            out.append(Symbol("field", "new", at.owner, b, new))
        return tuple(out)

    def additional(self, a: ObjectType, b: ObjectType, at: At) -> None:
        before, after = a.additional, b.additional
        if before is not False and after is False:
            self.per_direction(
                at, "object-closed",
                "the object is closed (additionalProperties: false)", old=True, new=False,
                keyword="additionalProperties",
            )  # fmt: skip
        elif before is False and after is not False:
            self.per_direction(
                at, "object-opened",
                "the object is opened (other keys allowed)", old=False, new=True,
                keyword="additionalProperties",
            )  # fmt: skip
        elif before is not False and after is not False and (before, after) != (True, True):
            self.types(
                AnyType() if before is True else before,
                AnyType() if after is True else after,
                at.down(("values", "")),
            )

    # -- enums, unions, bounds -----------------------------------------------------------------

    def enums(self, a: EnumType, b: EnumType, at: At) -> None:
        before = {_canon(v): v for v in a.values}
        after = {_canon(v): v for v in b.values}
        # Values removed from the old enum, then values added to the new one.
        sides: tuple[tuple[Side, str, dict[str, Any], dict[str, Any], Any, EnumType], ...] = (
            ("old", "removed", before, after, at.old_owner, a),
            ("new", "added", after, before, at.owner, b),
        )
        for side, change, here, there, owner, enum in sides:
            for key, value in here.items():
                if key not in there:
                    self.per_direction(
                        at, "enum-value-" + change,
                        f"enum value {value_text(value)} is {change}", keyword="enum",
                        symbols=(Symbol("constant", side, owner, enum, value),), **{side: value},
                    )  # fmt: skip

    def unions(self, a: UnionType, b: UnionType, at: At) -> None:
        old_shapes = [shape(v, self.contracts) for v in a.variants]
        new_shapes = [shape(v) for v in b.variants]
        pairs: dict[int, int] = {}  # old index -> new index
        for i, s in enumerate(old_shapes):
            j = next((j for j, t in enumerate(new_shapes) if t == s and j not in pairs.values()),
                     None)  # fmt: skip
            if j is not None:
                pairs[i] = j
        # Variants that changed inside: paired by kind, in order.
        for i, v in enumerate(a.variants):
            if i in pairs:
                continue
            j = next(
                (j for j, w in enumerate(b.variants)
                 if j not in pairs.values() and _same_kind(v, w)),
                None,
            )  # fmt: skip
            if j is not None:
                pairs[i] = j
                self.types(v, b.variants[j], at.down(("variant", j + 1), ("variant", i + 1)))
        for i, v in enumerate(a.variants):
            if i not in pairs:
                self.per_direction(
                    at.down(("variant", i + 1)),
                    "variant-removed",
                    f"variant {describe(v)} is removed", old=old_shapes[i], side="old",
                )  # fmt: skip
        for j, w in enumerate(b.variants):
            if j not in pairs.values():
                self.per_direction(
                    at.down(("variant", j + 1)),
                    "variant-added",
                    f"variant {describe(w)} is added", new=new_shapes[j],
                )  # fmt: skip
        moved = [(i, j) for i, j in sorted(pairs.items()) if i != j and _named(a.variants[i])]
        if moved:
            text = ", ".join(f"|{i + 1} -> |{j + 1}" for i, j in moved)
            symbols = tuple(
                sym
                for i, j in moved
                for sym in (
                    Symbol("type", "old", at.old_owner, a.variants[i]),
                    Symbol("type", "new", at.owner, b.variants[j]),
                )
            )
            self.emit(
                "variants-reordered", at,
                f"variants move ({text}): their generated types are renamed",
                old=[i + 1 for i, _ in moved], new=[j + 1 for _, j in moved], symbols=symbols,
                keyword="oneOf" if b.exclusive else "anyOf",
            )  # fmt: skip
        if a.exclusive != b.exclusive:
            before, after = ("anyOf", "oneOf") if b.exclusive else ("oneOf", "anyOf")
            self.bound_change(
                at, after, "tightened" if b.exclusive else "loosened", before, after,
                what=f"{before} -> {after}" + (" (exactly one variant may match)" if b.exclusive
                                               else " (several variants may match)"),
            )  # fmt: skip

    def bounds(self, a: Type, b: Type, at: At, table: tuple[tuple[str, str, str], ...]) -> None:
        for attr, keyword, how in table:
            before, after = getattr(a, attr, None), getattr(b, attr, None)
            if before == after:
                continue
            relation = _bound_relation(how, before, after)
            self.bound_change(at, keyword, relation, before, after)

    def bound_change(
        self, at: At, keyword: str, relation: str, before: Any, after: Any, what: str = ""
    ) -> None:
        if what:
            pass
        elif before is None or before is False:
            what = f"{keyword} {value_text(after)} is added"
        elif after is None or after is False:
            what = f"{keyword} {value_text(before)} is removed"
        else:
            what = f"{keyword} {value_text(before)} -> {value_text(after)}"
        if relation in ("tightened", "both"):
            self.per_direction(
                at, "bounds-tightened",
                what, old=before, new=after, keyword=keyword,
            )  # fmt: skip
        if relation in ("loosened", "both"):
            self.per_direction(
                at, "bounds-loosened",
                what, old=before, new=after, keyword=keyword,
            )  # fmt: skip


# -- small helpers ------------------------------------------------------------------------------


def _route_data(route: Route | None) -> dict[str, Any] | None:
    return None if route is None else route.to_dict()


def _route_text(alias: str, route: dict[str, Any] | None) -> str:
    if not route:
        return alias
    return f"{alias} ({route.get('provider')} {route.get('model')})"


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _numbers(a: Type, b: Type) -> bool:
    return {a.kind, b.kind} <= {"integer", "number"}


def _same_kind(a: Type, b: Type) -> bool:
    if isinstance(a, RefType) or isinstance(b, RefType):
        return False
    return type(a) is type(b) or _numbers(a, b)


def _named(t: Type) -> bool:
    """Whether the SDKs give ``t`` a generated type named after its position."""
    if isinstance(t, ObjectType):
        return bool(t.properties) or t.additional is False
    return isinstance(t, EnumType)


def _name(t: Type, current: str, program: Program, contract: str) -> str:
    return contract if contract in program.contracts else current


def _covers(wide: Type, narrow: Type) -> bool:
    """Whether every value of ``narrow`` (of another kind) is a value of ``wide``."""
    if isinstance(wide, UnionType):
        return any(
            _same_kind(v, narrow) or _covers(v, narrow) for v in wide.variants if v is not narrow
        )
    if isinstance(wide, StringType):
        if isinstance(narrow, EnumType):
            return all(isinstance(v, str) for v in narrow.values)
        return isinstance(narrow, ConstType) and isinstance(narrow.value, str)
    if isinstance(wide, EnumType) and isinstance(narrow, ConstType):
        return _canon(narrow.value) in {_canon(v) for v in wide.values}
    if isinstance(wide, NumberType):
        return isinstance(narrow, IntegerType)
    return False


def _relation(a: Type, b: Type) -> str:
    """How the values of ``b`` relate to those of ``a`` when their kinds differ."""
    if _covers(b, a):
        return "widened"
    if _covers(a, b):
        return "narrowed"
    return "changed"


def _bound_relation(how: str, before: Any, after: Any) -> str:
    if how == "flag":
        return "tightened" if after else "loosened"
    if before is None:
        return "tightened"
    if after is None:
        return "loosened"
    if how == "min":
        return "tightened" if after > before else "loosened"
    if how == "max":
        return "tightened" if after < before else "loosened"
    if how == "multiple":
        if after % before == 0:
            return "tightened"
        if before % after == 0:
            return "loosened"
    return "both"


def compare(old: Program, new: Program) -> list[Change]:
    """The changes from ``old`` to ``new`` (positions not yet resolved; see
    :func:`aiwf._breaking.locate.locate`)."""
    return Comparison(old, new).run()


__all__ = ["Comparison", "compare", "shape", "usage"]
