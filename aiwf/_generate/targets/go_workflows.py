"""Workflows to Go, as a view model for ``workflows.go.jinja``: each step's input binding,
scatter and dependencies as data (``aiwfrt.Step`` values); the runtime runs them with the
aiwf engine's semantics (``aiwfrt.Run``). Bindings are nested records that the template's
``binding`` macro writes as calls of the runtime's constructors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import field
from typing import Any

from aiwf._generate.targets.bindings import comment_text, fold
from aiwf._generate.targets.go_code import go_str
from aiwf._ir._dc import dataclass
from aiwf._ir.model import Binding, RefBinding, Workflow

#: The runtime constructor for each root of a reference.
_REF_FUNCS = {"input": "Input", "step": "StepOutput", "item": "Item", "index": "Index"}


@dataclass
class GoBinding:
    """A binding as the template writes it. ``kind``: ``ref`` (``func`` and ``args``, Go
    literals), ``literal`` (``literal``: the JSON text as a Go literal), ``template``
    (``parts``: each a text literal or a ref), ``object`` (``fields``: key literal and
    binding) or ``array`` (``items``)."""

    kind: str
    func: str = ""
    args: list[str] = field(default_factory=list)
    literal: str = ""
    parts: list[GoTemplatePart] = field(default_factory=list)
    fields: list[tuple[str, GoBinding]] = field(default_factory=list)
    items: list[GoBinding] = field(default_factory=list)


@dataclass
class GoTemplatePart:
    """A part of a string template: ``text`` (a Go string literal) or ``ref``."""

    text: str | None = None
    ref: GoBinding | None = None


@dataclass
class GoScatter:
    over: GoBinding
    text: str  # the expression, as a Go literal
    concurrency: int
    skip: bool


@dataclass
class GoStep:
    id: str  # Go literal
    assistant: str  # the Go variable of the assistant
    input: GoBinding
    comment: str  # what the step does, for a // line
    depends_on: list[str]  # Go literals
    scatter: GoScatter | None = None


def _ref(ref: RefBinding) -> GoBinding:
    args = [go_str(ref.step or "")] if ref.root == "step" else []
    args += [go_str(p) if isinstance(p, str) else str(p) for p in ref.path]
    return GoBinding("ref", func=_REF_FUNCS[ref.root], args=args)


class _View:
    """Bindings as :class:`GoBinding` records (a :class:`BindingFold`)."""

    def ref(self, ref: RefBinding, *, top: bool) -> GoBinding:
        return _ref(ref)

    def literal(self, value: Any) -> GoBinding:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return GoBinding("literal", literal=go_str(text))

    def template(self, parts: Sequence[str | RefBinding]) -> GoBinding:
        return GoBinding(
            "template",
            parts=[
                GoTemplatePart(text=go_str(p))
                if isinstance(p, str)
                else GoTemplatePart(ref=_ref(p))
                for p in parts
            ],
        )

    def obj(self, fields: list[tuple[str, GoBinding]]) -> GoBinding:
        return GoBinding("object", fields=[(go_str(k), v) for k, v in fields])

    def arr(self, items: list[GoBinding]) -> GoBinding:
        return GoBinding("array", items=items)


def binding(b: Binding) -> GoBinding:
    """The view of a binding."""
    return fold(b, _View())


def _comment(text: str) -> str:
    return go_str(text)[1:-1]


def steps(wf: Workflow, assistant_var: dict[str, str]) -> list[GoStep]:
    """The view of a workflow's steps, in execution order."""
    out: list[GoStep] = []
    for step in wf.steps:
        what = f"step {_comment(step.id)}: assistant {_comment(step.assistant)}"
        scatter = None
        if step.scatter is not None:
            s = step.scatter
            scatter = GoScatter(
                over=binding(s.over),
                text=go_str(s.over.text),
                concurrency=s.concurrency,
                skip=s.on_error == "skip",
            )
            what += (
                f" on each element of {_comment(comment_text(s.over))},"
                f" at most {s.concurrency} at a time"
            )
        what += f", input {_comment(comment_text(step.input))}"
        out.append(
            GoStep(
                id=go_str(step.id),
                assistant=assistant_var[step.assistant],
                input=binding(step.input),
                comment=what,
                depends_on=[go_str(d) for d in step.depends_on],
                scatter=scatter,
            )
        )
    return out


__all__ = ["GoBinding", "GoScatter", "GoStep", "GoTemplatePart", "binding", "steps"]
