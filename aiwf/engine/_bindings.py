"""Evaluating the IR's bindings against the values of a run.

A reference reads ``input``, a step's output, the scatter ``item`` or ``index`` and then walks
its path (object keys, array indexes). A path that runs into a missing key or an index past
the end gives *missing*: an object template leaves that key out, a template string renders
it as an empty string, anywhere else it is ``null``. Template strings keep string values
as they are and JSON-encode every other value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aiwf._ir.model import (
    ArrayBinding,
    Binding,
    LiteralBinding,
    ObjectBinding,
    RefBinding,
    TemplateBinding,
)
from aiwf.runtime._canonical import dumps, in_contract_order


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: The value of a path that leads nowhere.
MISSING: Final = _Missing()


class Scope:
    """What bindings can read: the workflow input, finished step outputs, item and index."""

    __slots__ = ("index", "input", "item", "outputs")

    def __init__(
        self,
        input: Any,
        outputs: Mapping[str, Any],
        item: Any = MISSING,
        index: int | None = None,
    ) -> None:
        self.input = input
        self.outputs = outputs
        self.item = item
        self.index = index

    def with_item(self, item: Any, index: int) -> Scope:
        return Scope(self.input, self.outputs, item, index)


def walk(value: Any, path: tuple[str | int, ...]) -> Any:
    """Follow ``path`` into ``value``; :data:`MISSING` when it leads nowhere."""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            if isinstance(value, list) and -len(value) <= part < len(value):
                value = value[part]
            elif isinstance(value, dict) and str(part) in value:
                value = value[str(part)]
            else:
                return MISSING
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def resolve(ref: RefBinding, scope: Scope) -> Any:
    """The value a reference reads (:data:`MISSING` when its path leads nowhere)."""
    root = ref.root
    if root == "input":
        base = scope.input
    elif root == "step":
        assert ref.step is not None
        base = scope.outputs.get(ref.step, MISSING)
    elif root == "item":
        base = scope.item
    else:
        base = MISSING if scope.index is None else scope.index
    if base is MISSING or not ref.path:
        return base
    return walk(base, ref.path)


def evaluate(binding: Binding, scope: Scope) -> Any:
    """The JSON value of ``binding`` in ``scope`` (missing becomes ``null`` at the top)."""
    value = _eval(binding, scope)
    return None if value is MISSING else value


def _eval(binding: Binding, scope: Scope) -> Any:
    if isinstance(binding, RefBinding):
        return resolve(binding, scope)
    if isinstance(binding, LiteralBinding):
        return binding.value
    if isinstance(binding, ObjectBinding):
        out: dict[str, Any] = {}
        for key, field in binding.fields:
            value = _eval(field, scope)
            if value is not MISSING:
                out[key] = value
        return out
    if isinstance(binding, ArrayBinding):
        return [None if (v := _eval(item, scope)) is MISSING else v for item in binding.items]
    if isinstance(binding, TemplateBinding):
        return "".join(
            part if isinstance(part, str) else interpolate(resolve(part, scope))
            for part in binding.parts
        )
    raise TypeError(f"unknown binding {binding!r}")


def interpolate(value: Any) -> str:
    """How a value appears inside a template string: a string as it is, nothing for a path
    that leads nowhere, any other value as canonical JSON with every object's members
    sorted (docs/wire.md §3)."""
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    return dumps(in_contract_order(value, None))


def step_refs(binding: Binding) -> set[str]:
    """The steps a binding reads."""
    out: set[str] = set()
    if isinstance(binding, RefBinding):
        if binding.root == "step" and binding.step is not None:
            out.add(binding.step)
    elif isinstance(binding, ObjectBinding):
        for _, field in binding.fields:
            out |= step_refs(field)
    elif isinstance(binding, ArrayBinding):
        for item in binding.items:
            out |= step_refs(item)
    elif isinstance(binding, TemplateBinding):
        for part in binding.parts:
            if isinstance(part, RefBinding):
                out |= step_refs(part)
    return out


def reads_input(binding: Binding) -> bool:
    """Whether a binding reads the workflow input."""
    if isinstance(binding, RefBinding):
        return binding.root == "input"
    if isinstance(binding, ObjectBinding):
        return any(reads_input(field) for _, field in binding.fields)
    if isinstance(binding, ArrayBinding):
        return any(reads_input(item) for item in binding.items)
    if isinstance(binding, TemplateBinding):
        return any(isinstance(part, RefBinding) and part.root == "input" for part in binding.parts)
    return False
