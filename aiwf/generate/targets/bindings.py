"""The engine's binding semantics, spelt in each target language.

Every target turns a step's input binding (and a workflow's output) into an expression of
its language that calls the SDK runtime's helpers (``at``, ``value``, ``template``, ``obj``,
``arr``). The walk over the binding is the same everywhere; a :class:`BindingSyntax` holds
how one language writes each piece.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiwf.ir._dc import dataclass
from aiwf.ir.model import (
    ArrayBinding,
    Binding,
    LiteralBinding,
    ObjectBinding,
    RefBinding,
    TemplateBinding,
)


@dataclass(frozen=True)
class BindingSyntax:
    """How a target language writes bindings (each field returns source text)."""

    #: The variable holding each root's value (``step`` is handled by :attr:`step_output`).
    roots: Mapping[str, str]
    #: The variable holding a step's output, from the step's local name.
    step_output: Callable[[str], str]
    #: A path part (a property name or an index) as a literal.
    path_part: Callable[[str | int], str]
    #: ``at(base, parts)``: the value at a path (missing when it leads nowhere).
    at: Callable[[str, str], str]
    #: ``value(code)``: a possibly missing value as a whole value (missing becomes null).
    whole: Callable[[str], str]
    #: A JSON literal.
    literal: Callable[[Any], str]
    #: A string literal.
    string: Callable[[str], str]
    #: ``template(parts)``: string interpolation.
    template: Callable[[str], str]
    #: One field of an object template, and the object itself.
    field: Callable[[str, str], str]
    obj: Callable[[str], str]
    #: ``arr(items)``: an array template.
    arr: Callable[[str], str]


def ref_code(ref: RefBinding, locals_: Mapping[str, str], syntax: BindingSyntax) -> str:
    """The expression reading ``ref``."""
    if ref.root == "step":
        assert ref.step is not None
        base = syntax.step_output(locals_[ref.step])
    else:
        base = syntax.roots[ref.root]
    if not ref.path:
        return base
    return syntax.at(base, ", ".join(syntax.path_part(p) for p in ref.path))


def binding_code(
    binding: Binding, locals_: Mapping[str, str], syntax: BindingSyntax, *, top: bool = False
) -> str:
    """The expression of a binding's JSON value (missing paths: dropped from objects, null in
    arrays and at the top, empty in templates, as the engine does)."""
    if isinstance(binding, RefBinding):
        code = ref_code(binding, locals_, syntax)
        return syntax.whole(code) if top and binding.path else code
    if isinstance(binding, LiteralBinding):
        return syntax.literal(binding.value)
    if isinstance(binding, TemplateBinding):
        parts = [
            syntax.string(p) if isinstance(p, str) else ref_code(p, locals_, syntax)
            for p in binding.parts
        ]
        return syntax.template(", ".join(parts))
    if isinstance(binding, ObjectBinding):
        return syntax.obj(
            ", ".join(
                syntax.field(syntax.string(k), binding_code(v, locals_, syntax))
                for k, v in binding.fields
            )
        )
    if isinstance(binding, ArrayBinding):
        return syntax.arr(", ".join(binding_code(v, locals_, syntax) for v in binding.items))
    raise TypeError(f"unknown binding {binding!r}")


def comment_text(binding: Binding) -> str:
    """A one-line description of a binding (unescaped): ``${steps.a.output}``, or the kind of
    template."""
    text = binding.text if isinstance(binding, RefBinding) else f"an {binding.kind} template"
    return "${" + text + "}"
