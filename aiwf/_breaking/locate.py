"""Positions of changes in the spec files: where a contract path, an assistant's field or a
workflow's steps are written (in the new spec, or in the old one for removals).

A contract path is followed through the YAML of its schema (``properties``, ``items``,
``additionalProperties``, ``anyOf``/``oneOf``/``allOf``) or, for the inferred output of a
workflow, through its ``output:`` template; the position is that of the deepest node found
(a ``$ref`` ends the walk: what it names is written elsewhere).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiwf._breaking.changes import Anchor, Change, Position, Step
from aiwf._ir.model import Program
from aiwf._spec.loader import Pos, SourceFile, YMap, YSeq


class Locator:
    """Finds positions in one side's loaded files."""

    def __init__(self, files: list[SourceFile], program: Program) -> None:
        self.program = program
        self.tables: dict[str, dict[str, tuple[SourceFile, YMap]]] = {
            "schemas": {}, "assistants": {}, "workflows": {}, "models": {}
        }  # fmt: skip
        for file in files:
            if not isinstance(file.data, YMap):
                continue
            for section, table in self.tables.items():
                entries = file.data.get(section)
                if isinstance(entries, YMap):
                    for name in entries:
                        table.setdefault(name, (file, entries))

    def _entry(self, section: str, name: str, key: str | None = None) -> Position | None:
        found = self.tables[section].get(name)
        if found is None:
            return None
        file, table = found
        pos = table.key_pos.get(name)
        value = table.get(name)
        if key is not None and isinstance(value, YMap) and key in value:
            pos = value.key_pos.get(key, pos)
        return _position(file, pos)

    def entity(self, kind: str, name: str, field: str | None) -> Position | None:
        section = "assistants" if kind == "assistant" else "workflows"
        return self._entry(section, name, field)

    def root(self, contract: str) -> tuple[SourceFile, Any, Pos | None, bool] | None:
        """The file, YAML node and position of a contract's schema (``True`` last for a
        workflow's output template, which is walked by keys, not ``properties``)."""
        origin = (
            self.program.contracts[contract].origin if contract in self.program.contracts else None
        )
        if origin == "schema":
            found = self.tables["schemas"].get(contract)
            if found is not None:
                file, table = found
                return file, table[contract], table.key_pos.get(contract), False
        if origin in ("assistant_input", "assistant_output"):
            key = "input" if origin == "assistant_input" else "output"
            for a in self.program.assistants.values():
                if getattr(a, key) == contract:
                    return self._slot("assistants", a.name, key, False)
        if origin in ("workflow_input", "workflow_output"):
            for w in self.program.workflows.values():
                if origin == "workflow_input" and w.input == contract:
                    return self._slot("workflows", w.name, "input", False)
                if origin == "workflow_output" and w.output_contract == contract:
                    return self._slot("workflows", w.name, "output", True)
        if origin == "defs":
            return self._definition(contract)
        return None

    def _slot(self, section: str, name: str, key: str, template: bool) -> tuple[SourceFile, Any, Pos | None, bool] | None:  # fmt: skip
        found = self.tables[section].get(name)
        if found is None:
            return None
        file, table = found
        value = table.get(name)
        if not isinstance(value, YMap) or key not in value:
            return None
        return file, value[key], value.key_pos.get(key), template

    def _definition(self, contract: str) -> tuple[SourceFile, Any, Pos | None, bool] | None:
        """A ``$defs`` entry: found by the line the compiler recorded for it."""
        source = self.program.contracts[contract].source
        if source is None:
            return None
        for owner in self.program.contracts:
            if self.program.contracts[owner].origin == "defs":
                continue
            found = self.root(owner)
            if found is None:
                continue
            file, node, _, _ = found
            defs = node.get("$defs") if isinstance(node, YMap) else None
            if file.relpath != source.file or not isinstance(defs, YMap):
                continue
            for name in defs:
                if defs.val_pos[name].line == source.line:
                    return file, defs[name], defs.key_pos.get(name), False
        return None

    def contract(self, name: str, steps: tuple[Step, ...], keyword: str | None) -> Position | None:
        found = self.root(name)
        if found is None:
            return None
        file, node, pos, template = found
        for kind, key in steps:
            step = _step(node, kind, key, template)
            if step is None:
                return _position(file, pos)
            node, pos = step
        if keyword is not None and isinstance(node, YMap) and keyword in node:
            pos = node.key_pos.get(keyword, pos)
        return _position(file, pos)

    def anchor(self, anchor: Anchor) -> Position | None:
        if anchor.kind == "contract":
            return self.contract(anchor.name, anchor.steps, anchor.keyword)
        return self.entity(anchor.kind, anchor.name, anchor.keyword)


def _step(node: Any, kind: str, key: str | int, template: bool) -> tuple[Any, Pos | None] | None:
    if not isinstance(node, YMap):
        return None
    if kind == "prop":
        name = str(key)
        if template:  # a workflow's output: an object template of bindings
            return (node[name], node.key_pos.get(name)) if name in node else None
        props = node.get("properties")
        if isinstance(props, YMap) and name in props:
            return props[name], props.key_pos.get(name)
        return None
    if template:
        return None
    keywords = {"items": ("items",), "values": ("additionalProperties",),
                "variant": ("anyOf", "oneOf"), "part": ("allOf",)}[kind]  # fmt: skip
    for keyword in keywords:
        if keyword not in node:
            continue
        value = node[keyword]
        if isinstance(key, int) and isinstance(value, YSeq):
            if 0 < key <= len(value):
                return value[key - 1], value.item_pos[key - 1]
            return None
        return value, node.key_pos.get(keyword)
    return None


def _position(file: SourceFile, pos: Pos | None) -> Position:
    if pos is None:
        return Position(file.path)
    return Position(file.path, pos.line, pos.column)


def locate(changes: list[Change], old: Locator, new: Locator) -> list[Change]:
    """``changes`` with their positions: in the new spec, or the old one for removals (and
    in the other one when a side has no place for it)."""
    out = []
    for change in changes:
        first, second = (old, new) if change.anchor.side == "old" else (new, old)
        pos = first.anchor(change.anchor)
        if pos is None:
            pos = second.anchor(change.anchor)
        out.append(replace(change, position=pos))
    return out


__all__ = ["Locator", "locate"]
