"""The engine's binding semantics, spelt in each target language.

Every target turns a step's input binding (and a workflow's output) into an expression of
its language that calls the SDK runtime's helpers (``at``, ``value``, ``template``, ``obj``,
``arr``), or (Go) into records its template writes. The walk over the binding is the same
everywhere (:func:`fold`); a :class:`BindingSyntax` holds how one language writes each piece
as code, and Go's view (:mod:`aiwf._generate.targets.go_workflows`) is a fold of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from aiwf._ir._dc import dataclass
from aiwf._ir.model import (
    ArrayBinding,
    Binding,
    LiteralBinding,
    ObjectBinding,
    RefBinding,
    TemplateBinding,
)

T = TypeVar("T")


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


class BindingFold(Protocol[T]):
    """What a target makes of each kind of binding; :func:`fold` walks the binding and
    hands each piece, its parts already made, to these."""

    def ref(self, ref: RefBinding, *, top: bool) -> T:
        """A reference (``top``: the whole binding is this reference)."""
        ...

    def literal(self, value: Any) -> T: ...

    def template(self, parts: Sequence[str | RefBinding]) -> T: ...

    def obj(self, fields: list[tuple[str, T]]) -> T: ...

    def arr(self, items: list[T]) -> T: ...


def fold(binding: Binding, f: BindingFold[T], *, top: bool = False) -> T:
    """What ``f`` makes of ``binding`` (object fields and array items in their order)."""
    if isinstance(binding, RefBinding):
        return f.ref(binding, top=top)
    if isinstance(binding, LiteralBinding):
        return f.literal(binding.value)
    if isinstance(binding, TemplateBinding):
        return f.template(binding.parts)
    if isinstance(binding, ObjectBinding):
        return f.obj([(k, fold(v, f)) for k, v in binding.fields])
    if isinstance(binding, ArrayBinding):
        return f.arr([fold(v, f) for v in binding.items])
    raise TypeError(f"unknown binding {binding!r}")


@dataclass(frozen=True)
class _Code:
    """Bindings as expressions of a language (:func:`binding_code`)."""

    locals_: Mapping[str, str]
    syntax: BindingSyntax

    def ref(self, ref: RefBinding, *, top: bool) -> str:
        code = ref_code(ref, self.locals_, self.syntax)
        return self.syntax.whole(code) if top and ref.path else code

    def literal(self, value: Any) -> str:
        return self.syntax.literal(value)

    def template(self, parts: Sequence[str | RefBinding]) -> str:
        syntax = self.syntax
        return syntax.template(
            ", ".join(
                syntax.string(p) if isinstance(p, str) else ref_code(p, self.locals_, syntax)
                for p in parts
            )
        )

    def obj(self, fields: list[tuple[str, str]]) -> str:
        return self.syntax.obj(
            ", ".join(self.syntax.field(self.syntax.string(k), v) for k, v in fields)
        )

    def arr(self, items: list[str]) -> str:
        return self.syntax.arr(", ".join(items))


def binding_code(
    binding: Binding, locals_: Mapping[str, str], syntax: BindingSyntax, *, top: bool = False
) -> str:
    """The expression of a binding's JSON value (missing paths: dropped from objects, null in
    arrays and at the top, empty in templates, as the engine does)."""
    return fold(binding, _Code(locals_, syntax), top=top)


def comment_text(binding: Binding) -> str:
    """A one-line description of a binding (unescaped): ``${steps.a.output}``, or the kind of
    template."""
    text = binding.text if isinstance(binding, RefBinding) else f"an {binding.kind} template"
    return "${" + text + "}"
