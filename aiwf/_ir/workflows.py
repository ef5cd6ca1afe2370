"""Compiling one workflow: steps, bindings, scatter, dependencies and the output.

Every ``${...}`` gets a type from the contracts; a step's input is checked against its
assistant's input contract where it is written (leaf by leaf for templates). Dependencies
come from references, ``prev`` and ``needs``; the steps are put in a valid execution order,
and a cycle is reported with its members.
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiwf import _codes as codes
from aiwf._ir import model as ir
from aiwf._ir import types as t
from aiwf._ir.expressions import Expr, ExpressionError, Interpolation, format_path, split_template
from aiwf._ir.index import Contracts, Entry, Reporter, Signature, SpecIndex, Use, lookup_in
from aiwf._ir.names import pascal_case
from aiwf._ir.schemas import ContractDraft
from aiwf._ir.to_schema import type_to_schema
from aiwf._ir.typecheck import PathError, Typed, check_assignable, follow, resolve
from aiwf._ir.validate import Problem, Validator, shown
from aiwf._spec.loader import Pos, YMap, YSeq, position_of
from aiwf._spec.names import NAME_PATTERN
from aiwf._structure import plain
from aiwf._suggest import did_you_mean

_NAME = re.compile(NAME_PATTERN)

#: Scatter calls in flight when a step does not say.
DEFAULT_CONCURRENCY = 8

#: The type of a value whose definition already failed (an unknown assistant, a broken
#: contract, a bad scatter): anything goes, so one mistake is reported once, not again at
#: every place that reads the value.
UNKNOWN: t.Type = t.AnyType(description="unknown after an earlier error")


class At:
    """Where a value was written, looked up only when a diagnostic needs it (positions are
    read lazily from the YAML nodes, and most values are never reported on)."""

    __slots__ = ("key", "parent")

    def __init__(self, parent: Any, key: str | int) -> None:
        self.parent = parent
        self.key = key

    def resolve(self) -> Pos:
        return position_of(self.parent, self.key) or getattr(self.parent, "pos", None) or Pos(1, 1)


@dataclass
class StepInfo:
    index: int
    raw: YMap
    id: str | None
    spec: dict[str, Any] | None
    pos: Pos
    output: t.Type = UNKNOWN
    deps: set[str] = field(default_factory=set)
    needs: list[str] = field(default_factory=list)
    #: The type of the items of a scatter over an array typed as such (an element of a
    #: value that was checked as a whole is checked against it); None otherwise.
    checked_items: t.Type | None = None


@dataclass
class Scope:
    """What expressions can see where they are written."""

    kind: str  # "step", "scatter" or "output"
    step: StepInfo | None = None
    item: t.Type | None = None
    deps: set[str] = field(default_factory=set)


class CompiledWorkflow(NamedTuple):
    """What compiling one workflow gives: the workflow (None after an error), the contracts
    it derives (its inline input contract, with its ``$defs``, and its output contract) and
    the entries of the spec it uses."""

    workflow: ir.Workflow | None
    contracts: dict[str, ContractDraft]
    uses: set[Use]


class WorkflowCompiler:
    """Compiles one workflow over a read-only index of the spec; problems go to the
    reporter, and :meth:`compile` returns all the rest."""

    def __init__(self, index: SpecIndex, entry: Entry, reporter: Reporter) -> None:
        self.index = index
        self.entry = entry
        self.reporter = reporter
        self.file = entry.file
        self.name = entry.name
        self.steps: list[StepInfo] = []
        self.by_id: dict[str, StepInfo] = {}
        self.ok = True
        self.contracts = Contracts(index.entries["schemas"], reporter)
        self.uses: set[Use] = set()
        self.lookup = lookup_in(self.contracts.drafts, index.contracts)
        self.validator = Validator(self.lookup)

    def error(
        self, code: codes.Code, message: str, pos: Pos | At | None, hint: str | None = None
    ) -> None:
        self.ok = False
        self.reporter.report(
            code, message, self.file, pos.resolve() if isinstance(pos, At) else pos, hint
        )

    # -- the workflow ---------------------------------------------------------------------------

    def compile(self) -> CompiledWorkflow:
        workflow = self._compile()
        return CompiledWorkflow(workflow, self.contracts.drafts, self.uses | self.contracts.uses)

    def _compile(self) -> ir.Workflow | None:
        what = f"workflow {self.name!r}"
        value = self.reporter.expect_map(self.entry, "input, steps, output")
        if value is None:
            return None
        if not self.reporter.check_structure(
            value, "WorkflowSpec", self.file, what, shallow=("steps",)
        ):
            self.ok = False
        input_contract = None
        if "input" in value:
            input_contract = self.contracts.contract_for(
                value["input"],
                value,
                "input",
                pascal_case(self.name) + "Input",
                "workflow_input",
                self.file,
            )
        self.input_type: t.Type = t.RefType(name=input_contract) if input_contract else UNKNOWN
        if input_contract is None:
            self.ok = False
        raw_steps = value.get("steps")
        if isinstance(raw_steps, YSeq):
            self.read_steps(raw_steps)
        compiled_steps = [self.compile_step(step) for step in self.steps]
        order = self.order()
        output_binding = None
        output_typed = Typed(t.AnyType())
        if "output" in value:
            scope = Scope("output")
            output_binding, output_typed = self.bind(value["output"], value, "output", None, scope)
        if not self.ok or output_binding is None or order is None or input_contract is None:
            return None
        output_name = pascal_case(self.name) + "Output"
        out_type = output_typed.type
        self.contracts.drafts[output_name] = _draft(
            output_name, out_type, self.file.path, value.key_pos["output"]
        )
        position = {s.id: i for i, s in enumerate(order)}
        steps = []
        for info in order:
            compiled = compiled_steps[info.index]
            if compiled is None:
                return None
            steps.append(
                dataclasses.replace(
                    compiled, depends_on=tuple(sorted(info.deps, key=lambda d: position[d]))
                )
            )
        edges = sorted(
            ((dep, s.id) for s in order if s.id for dep in s.deps),
            key=lambda e: (position[e[1]], position[e[0]]),
        )
        return ir.Workflow(
            name=self.name,
            description=value.get("description"),
            input=input_contract,
            output=output_binding,
            output_contract=output_name,
            steps=tuple(steps),
            edges=tuple(edges),
            source=ir.Source(file=self.file.relpath, line=self.entry.key_pos.line),
        )

    def read_steps(self, raw_steps: YSeq) -> None:
        for index, raw in enumerate(raw_steps):
            pos = raw_steps.item_pos[index]
            if not isinstance(raw, YMap):
                self.error(
                    codes.E013,
                    f"step {index + 1} of workflow {self.name!r} must be a map (id, assistant, input)",
                    pos,
                )
                continue
            raw_id = raw.get("id")
            step_id = raw_id if isinstance(raw_id, str) and _NAME.match(raw_id) else None
            what = (
                f"step {step_id!r} of workflow {self.name!r}"
                if step_id
                else f"step {index + 1} of workflow {self.name!r}"
            )
            spec = None
            # The scatter expression is checked by compile_scatter, with a better message.
            if self.reporter.check_structure(raw, "StepSpec", self.file, what, own=("scatter",)):
                spec = self.reporter.structure.with_defaults(raw, "StepSpec")
            else:
                self.ok = False
            info = StepInfo(index=len(self.steps), raw=raw, id=step_id, spec=spec, pos=pos)
            if step_id is not None:
                if step_id in self.by_id:
                    first = self.by_id[step_id]
                    self.error(codes.E024, f"step id {step_id!r} is used twice in workflow {self.name!r}",
                               raw.val_pos["id"], f"first used at line {first.raw.val_pos['id'].line}; step ids are unique in a workflow")  # fmt: skip
                else:
                    self.by_id[step_id] = info
            self.steps.append(info)
        for info in self.steps:
            self.set_output_type(info)

    def set_output_type(self, info: StepInfo) -> None:
        assistant_name = info.raw.get("assistant")
        if not isinstance(assistant_name, str):
            return
        assistant = self.index.assistants.get(assistant_name)
        if assistant_name in self.index.entries["assistants"]:
            self.uses.add(("assistants", assistant_name))
        if assistant is None or assistant.output is None:
            return
        out: t.Type = t.RefType(name=assistant.output)
        if "scatter" in info.raw:
            skip = info.raw.get("on_error") == "skip"
            out = t.ArrayType(items=t.with_nullable(out, skip))
        info.output = out

    # -- one step ------------------------------------------------------------------------------

    def compile_step(self, info: StepInfo) -> ir.Step | None:
        raw = info.raw
        what = f"step {info.id!r}" if info.id else f"step {info.index + 1}"
        assistant: Signature | None = None
        name = raw.get("assistant")
        if isinstance(name, str):
            assistant = self.index.assistants.get(name)
            known = self.index.entries["assistants"]
            if name not in known:
                self.ok = False
                self.reporter.unknown(codes.E031, f"unknown assistant {name!r} in {what}", self.file,
                                      raw.val_pos["assistant"], name, known, "assistants", self.uses)  # fmt: skip
        scatter_binding = None
        item_type: t.Type | None = None
        if isinstance(raw.get("scatter"), str):
            scope = Scope("scatter", info)
            scatter_binding, item_type = self.compile_scatter(raw, scope)
            info.deps |= scope.deps
        needs = raw.get("needs")
        if isinstance(needs, YSeq):
            for i, dep in enumerate(needs):
                if not isinstance(dep, str):
                    continue
                if dep not in self.by_id:
                    self.error(codes.E033, f"unknown step {dep!r} in the needs of {what}", needs.item_pos[i],
                               did_you_mean(dep, self.by_id) or f"steps of {self.name!r}: {', '.join(self.by_id)}")  # fmt: skip
                elif dep == info.id:
                    self.error(
                        codes.E044,
                        f"{what} needs itself",
                        needs.item_pos[i],
                        "remove it from needs",
                    )
                else:
                    info.deps.add(dep)
                    info.needs.append(dep)
        binding = None
        input_typed = Typed(UNKNOWN)
        if "input" in raw:
            scope = Scope("step", info, item_type)
            dst = t.RefType(name=assistant.input) if assistant and assistant.input else None
            binding, input_typed = self.bind(
                raw["input"], raw, "input", dst, scope, what=f"the input of {what}"
            )
            info.deps |= scope.deps
        if info.spec is None or assistant is None or binding is None or info.id is None:
            return None
        scatter = None
        concurrency = info.spec.get("concurrency")
        on_error = info.spec.get("on_error", "fail")
        if scatter_binding is not None:
            scatter = ir.Scatter(
                over=scatter_binding,
                concurrency=concurrency or DEFAULT_CONCURRENCY,
                on_error=on_error,
            )
        elif "scatter" in raw:  # a broken scatter, reported where it is written
            return None
        elif concurrency is not None or on_error != "fail":
            key = "concurrency" if concurrency is not None else "on_error"
            self.error(codes.E042, f"{key} applies only to a scattered step ({what} has no scatter)",
                       raw.key_pos[key], "add scatter: ${...}, or remove it")  # fmt: skip
            return None
        return ir.Step(
            id=info.id,
            assistant=assistant.name,
            input=binding,
            input_checked=_input_checked(info, binding, input_typed, assistant.input),
            scatter=scatter,
            needs=tuple(info.needs),
            output_type=info.output,
            source=ir.Source(file=self.file.relpath, line=info.pos.line),
        )

    def compile_scatter(
        self, raw: YMap, scope: Scope
    ) -> tuple[ir.RefBinding | None, t.Type | None]:
        pos = raw.val_pos["scatter"]
        try:
            parsed = split_template(raw["scatter"])
        except ExpressionError as exc:
            self.error(codes.E040, f"invalid expression: {exc}", pos, exc.hint)
            return None, UNKNOWN
        if not isinstance(parsed, Expr):
            self.error(codes.E040, f"scatter takes exactly one ${{...}} expression, not {raw['scatter']!r}",
                       pos, "e.g. scatter: ${input.tickets} (an array); the step runs once per item")  # fmt: skip
            return None, UNKNOWN
        ref, typed = self.reference(parsed, pos, scope)
        if ref is None:
            return None, UNKNOWN
        resolved = resolve(typed.type, self.lookup)
        if isinstance(resolved, t.AnyType):
            return ref, t.AnyType()
        if isinstance(resolved, t.ByKindType):  # an array at run time, or scatter fails then
            return ref, resolved.array.items if resolved.array else t.AnyType()
        if not isinstance(resolved, t.ArrayType):
            self.error(codes.E043, f"scatter over {parsed.describe()}, which is {_a_type(typed.type, self.lookup)}, not an array",
                       pos)  # fmt: skip
            return None, UNKNOWN
        if resolved.nullable or typed.optional:
            self.error(codes.E043, f"scatter over {parsed.describe()}, which may be {'null' if resolved.nullable else 'missing'}",
                       pos, "make it required and non-nullable in its schema")  # fmt: skip
            return None, UNKNOWN
        if scope.step is not None:
            scope.step.checked_items = resolved.items
        return ref, resolved.items

    # -- references and bindings --------------------------------------------------------------

    def reference(
        self, expr: Expr, pos: Pos | At, scope: Scope
    ) -> tuple[ir.RefBinding | None, Typed]:
        """Resolve an expression in a scope: its binding and type (None after an error)."""
        unknown = Typed(t.AnyType())
        base: t.Type
        if expr.root == "input":
            base = self.input_type
            binding = ir.RefBinding(root="input", path=expr.path, text=expr.text)
        elif expr.root in ("steps", "prev"):
            if expr.root == "prev":
                target = self.prev_of(scope, pos)
                if target is None:
                    return None, unknown
            else:
                target = self.by_id.get(expr.step or "")
                if target is None:
                    code = codes.E047 if scope.kind == "output" else codes.E033
                    where = "the output of workflow" if scope.kind == "output" else "workflow"
                    self.error(code, f"unknown step {expr.step!r} in {expr.describe()} ({where} {self.name!r})", pos,
                               did_you_mean(expr.step or "", self.by_id) or f"steps: {', '.join(self.by_id) or 'none'}")  # fmt: skip
                    return None, unknown
            if scope.step is not None and target is scope.step:
                self.error(codes.E044, f"step {target.id!r} reads its own output in {expr.describe()}", pos,
                           "a step can read only the outputs of other steps")  # fmt: skip
                return None, unknown
            if target.id is None:
                return None, unknown
            scope.deps.add(target.id)
            base = target.output
            binding = ir.RefBinding(root="step", step=target.id, path=expr.path, text=expr.text)
        else:
            if scope.kind != "step" or scope.item is None:
                where = {
                    "scatter": "the scatter expression itself",
                    "output": "a workflow output",
                }.get(scope.kind, "a step without scatter")
                self.error(codes.E042, f"{expr.describe()} is used in {where}", pos,
                           "${item} and ${index} exist only in the input of a step with scatter:")  # fmt: skip
                return None, unknown
            base = scope.item if expr.root == "item" else t.IntegerType(minimum=0)
            binding = ir.RefBinding(
                root="item" if expr.root == "item" else "index", path=expr.path, text=expr.text
            )
        if base is UNKNOWN:  # already reported where it failed
            return binding, Typed(UNKNOWN)
        try:
            typed = follow(
                base,
                expr.path,
                self.lookup,
                expr.root if expr.root != "steps" else f"steps.{expr.step}.output",
            )
        except PathError as exc:
            self.error(codes.E046, f"{expr.describe()}: {exc}", pos, exc.hint)
            return None, unknown
        return binding, typed

    def prev_of(self, scope: Scope, pos: Pos | At) -> StepInfo | None:
        if scope.kind == "output":
            if not self.steps:
                return None
            return self.steps[-1]
        assert scope.step is not None
        if scope.step.index == 0:
            self.error(codes.E041, "${prev.output} in the first step of the workflow", pos,
                       "prev is the step listed just before; use ${input...} here")  # fmt: skip
            return None
        return self.steps[scope.step.index - 1]

    def bind(
        self,
        value: Any,
        parent: Any,
        key: str | int,
        dst: t.Type | None,
        scope: Scope,
        what: str = "",
        absent_ok: bool = False,
        path: tuple[str | int, ...] = (),
    ) -> tuple[ir.Binding | None, Typed]:
        """Compile a template (with positions) to a binding and its type; check it against
        ``dst`` when given. ``absent_ok``: a value that may be missing is fine here (an
        optional property of an object template, whose key is then left out). ``what`` is
        the template and ``path`` the place of ``value`` in it, for messages."""
        pos = At(parent, key)
        if isinstance(value, str):
            try:
                parsed = split_template(value)
            except ExpressionError as exc:
                self.error(codes.E040, f"invalid expression in {value!r}: {exc}", pos, exc.hint)
                return None, Typed(t.AnyType())
            if isinstance(parsed, Expr):
                ref, typed = self.reference(parsed, pos, scope)
                if ref is not None and dst is not None:
                    self.fit(typed, dst, pos, what, parsed.describe(), absent_ok, path)
                return ref, typed
            if isinstance(parsed, Interpolation):
                parts: list[str | ir.RefBinding] = []
                for part in parsed.parts:
                    if isinstance(part, str):
                        parts.append(part)
                        continue
                    ref, _ = self.reference(part, pos, scope)
                    if ref is None:
                        return None, Typed(t.AnyType())
                    parts.append(ref)
                typed = Typed(t.StringType())
                if dst is not None:
                    self.fit(typed, dst, pos, what, repr(value), path=path)
                return ir.TemplateBinding(parts=tuple(parts)), typed
            value = parsed  # a plain string, with $${ unescaped
        if isinstance(value, YMap):
            return self.bind_object(value, dst, scope, what, path)
        if isinstance(value, YSeq):
            return self.bind_array(value, dst, scope, what, path)
        literal = plain(value)
        if dst is not None:
            for problem in self.validator.problems(literal, dst):
                self.error(codes.E053, f"{what}: {_literal_problem(literal, path, problem)}", pos)
        return ir.LiteralBinding(value=literal), Typed(_literal_type(literal))

    def bind_object(
        self, value: YMap, dst: t.Type | None, scope: Scope, what: str, path: tuple[str | int, ...]
    ) -> tuple[ir.Binding | None, Typed]:
        target = resolve(dst, self.lookup) if dst is not None else None
        direct = target if isinstance(target, t.ObjectType) else None
        fields: list[tuple[str, ir.Binding]] = []
        props: list[t.Property] = []
        failed = False
        for name, item in value.items():
            child_dst: t.Type | None = None
            absent_ok = False
            if direct is not None:
                prop = direct.property(name)
                if prop is not None:
                    child_dst = prop.type
                    absent_ok = not prop.required
                elif direct.additional is False:
                    self.error(codes.E045, f"{_where(what, path)}: unexpected property {name!r} for {t.describe(dst) if dst else 'the input'}",
                               value.key_pos[name], did_you_mean(name, [p.name for p in direct.properties]) or "its properties: " + ", ".join(p.name for p in direct.properties))  # fmt: skip
                elif not isinstance(direct.additional, bool):
                    child_dst = direct.additional
                    absent_ok = True
            binding, typed = self.bind(
                item, value, name, child_dst, scope, what, absent_ok, (*path, name)
            )
            if binding is None:
                failed = True
                continue
            fields.append((name, binding))
            props.append(t.Property(name=name, type=typed.type, required=not typed.optional))
        inferred = Typed(t.ObjectType(properties=tuple(props), additional=False))
        if dst is not None and target is not None and not isinstance(target, t.AnyType):
            if direct is not None:
                for prop in direct.properties:
                    if prop.required and prop.name not in value:
                        self.error(codes.E045, f"{_where(what, path)}: missing required property {prop.name!r} of {t.describe(dst)}",
                                   value.pos, f"add {prop.name}: ${{...}} to the input")  # fmt: skip
            elif not failed:
                self.fit(inferred, dst, value.pos, what, "this object", path=path)
        if failed:
            return None, inferred
        return ir.ObjectBinding(fields=tuple(fields)), inferred

    def bind_array(
        self, value: YSeq, dst: t.Type | None, scope: Scope, what: str, path: tuple[str | int, ...]
    ) -> tuple[ir.Binding | None, Typed]:
        target = resolve(dst, self.lookup) if dst is not None else None
        item_dst = target.items if isinstance(target, t.ArrayType) else None
        items: list[ir.Binding] = []
        types: list[t.Type] = []
        failed = False
        for i, item in enumerate(value):
            binding, typed = self.bind(item, value, i, item_dst, scope, what, False, (*path, i))
            if binding is None:
                failed = True
                continue
            items.append(binding)
            types.append(typed.type)
        distinct = {repr(ty): ty for ty in types}
        if len(distinct) == 1:
            item_type: t.Type = types[0]
        elif distinct:
            item_type = t.UnionType(variants=tuple(distinct.values()))
        else:
            item_type = t.AnyType()
        inferred = Typed(t.ArrayType(items=item_type, min_items=len(value), max_items=len(value)))
        if dst is not None and target is not None and not isinstance(target, t.AnyType):
            if isinstance(target, t.ArrayType):
                if target.min_items is not None and len(value) < target.min_items:
                    self.error(
                        codes.E045,
                        f"{_where(what, path)}: {len(value)} items, fewer than the {target.min_items} required",
                        value.pos,
                    )
                if target.max_items is not None and len(value) > target.max_items:
                    self.error(
                        codes.E045,
                        f"{_where(what, path)}: {len(value)} items, more than the {target.max_items} allowed",
                        value.pos,
                    )
            elif not failed:
                self.fit(inferred, dst, value.pos, what, "this list", path=path)
        if failed:
            return None, inferred
        return ir.ArrayBinding(items=tuple(items)), inferred

    def fit(
        self,
        typed: Typed,
        dst: t.Type,
        pos: Pos | At,
        what: str,
        shown: str,
        absent_ok: bool = False,
        path: tuple[str | int, ...] = (),
    ) -> None:
        """Report where ``typed`` (written ``shown`` at ``path`` of the template ``what``)
        may not fit ``dst``."""
        if absent_ok:  # a missing value leaves the key out, which the contract allows
            typed = Typed(typed.type)
        problems = check_assignable(typed, dst, self.lookup)
        if not problems:
            return
        head = f"{_where(what, path)}: {shown} does not fit {t.describe(dst)}"
        details = [p for p in problems if not p.endswith(f"does not fit {t.describe(dst)}")]
        if details:  # one diagnostic per place, with the first few reasons
            head += ": " + "; ".join(details[:3])
            if len(details) > 3:
                head += f" (and {len(details) - 3} more)"
        else:  # the value is of another kind altogether: say which, and what was expected
            head += ": " + self.mismatch(typed.type, dst)
        self.error(codes.E045, head, pos)

    def mismatch(self, src: t.Type, dst: t.Type) -> str:
        """``it is a number``; ``it is a string, and Product is an object``."""
        reason = f"it is {_a_type(src, self.lookup)}"
        if isinstance(dst, t.RefType):
            reason += f", and {dst.name} is {_a_type(resolve(dst, self.lookup), self.lookup)}"
        return reason

    # -- order ------------------------------------------------------------------------------------

    def order(self) -> list[StepInfo] | None:
        """Steps in execution order: a topological order that keeps the written order where
        it can. Reports a cycle (and returns None) when there is one."""
        valid = [s for s in self.steps if s.id is not None and self.by_id.get(s.id) is s]
        indegree = {s.id: 0 for s in valid}
        dependents: dict[str, list[StepInfo]] = {s.id: [] for s in valid if s.id}
        for s in valid:
            for dep in s.deps:
                if dep in indegree and s.id is not None:
                    indegree[s.id] += 1
                    dependents[dep].append(s)
        ready = [(s.index, s.id) for s in valid if indegree[s.id] == 0]
        heapq.heapify(ready)
        out: list[StepInfo] = []
        while ready:
            _, step_id = heapq.heappop(ready)
            assert step_id is not None
            info = self.by_id[step_id]
            out.append(info)
            for nxt in dependents[step_id]:
                assert nxt.id is not None
                indegree[nxt.id] -= 1
                if indegree[nxt.id] == 0:
                    heapq.heappush(ready, (nxt.index, nxt.id))
        if len(out) < len(valid):
            remaining = {s.id for s in valid if s.id not in {o.id for o in out}}
            cycle = self.find_cycle(remaining)
            first = self.by_id[cycle[0]]
            self.error(
                codes.E044,
                f"steps form a dependency cycle: {' -> '.join([*cycle, cycle[0]])} (each reads or needs the next)",
                first.raw.val_pos.get("id", first.pos),
                "a step can only read outputs of steps that do not (indirectly) read its own",
            )
            return None
        return out if len(out) == len(self.steps) else None

    def find_cycle(self, remaining: set[str | None]) -> list[str]:
        start = min((self.by_id[s] for s in remaining if s), key=lambda s: s.index)
        path: list[str] = []
        current = start
        while current.id not in path:
            assert current.id is not None
            path.append(current.id)
            nxt = min(
                (self.by_id[d] for d in current.deps if d in remaining), key=lambda s: s.index
            )
            current = nxt
        cycle = path[path.index(current.id) :]
        pivot = min(range(len(cycle)), key=lambda i: self.by_id[cycle[i]].index)
        return cycle[pivot:] + cycle[:pivot]


def _input_checked(info: StepInfo, binding: ir.Binding, typed: Typed, contract: str | None) -> bool:
    """Whether the step's input (each item of a scattered step) is, as a whole, a value an
    engine has already validated against ``contract``, the assistant's input contract: what
    :attr:`aiwf._ir.model.Step.input_checked` promises.

    Every value read by a whole reference has been checked against its type when that type
    is a contract: the workflow input (checked when the run starts or resumes), the output of
    an unscattered step (every model output is checked against its contract) and the items
    of a scatter over an array of a contract (elements of one of those). A path into a value,
    a nullable type or an ``${item}`` of anything else promises nothing."""
    if contract is None or not isinstance(binding, ir.RefBinding) or binding.path:
        return False
    if "scatter" in info.raw:
        seen = info.checked_items if binding.root == "item" else None
    elif binding.root in ("input", "step") and not typed.optional:
        seen = typed.type
    else:
        seen = None
    return isinstance(seen, t.RefType) and seen.name == contract and not seen.nullable


def _draft(name: str, typ: t.Type, file: str, pos: Pos) -> ContractDraft:
    refs: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, t.RefType):
            refs.add(node.name)
        elif dataclasses.is_dataclass(node):
            for value in (getattr(node, f.name) for f in dataclasses.fields(node)):
                if isinstance(value, (list, tuple)):
                    for v in value:
                        collect(v)
                else:
                    collect(value)

    collect(typ)
    return ContractDraft(name, typ, type_to_schema(typ), refs, "workflow_output", file, pos)


def _where(what: str, path: tuple[str | int, ...]) -> str:
    """``the input of step 'w'``, or ``the input of step 'w': product.sku`` inside it."""
    return f"{what}: {format_path(path).removeprefix('.')}" if path else what


def _literal_problem(literal: Any, path: tuple[str | int, ...], problem: Problem) -> str:
    """A literal's validation problem: where in the template, what was expected, what was
    found (``literal tone: expected one of ["formal","casual"], got "loud"``)."""
    full = (*path, *problem.path)
    label = f"literal {format_path(full).removeprefix('.')}" if full else "the literal"
    found = problem.actual
    if problem.keyword == "type":
        value = literal
        for part in problem.path:
            value = value[part]
        found = f"{shown(value)} ({problem.actual})"
    return f"{label}: expected {problem.expected}, got {found}"


_ARTICLE = {
    "object": "an object",
    "array": "an array",
    "integer": "an integer",
    "enum": "an enum",
    "any": "any value",
}


def _a_type(typ: t.Type, lookup: Callable[[str], t.Type]) -> str:
    """A type with its article, for a sentence: ``a number``, ``an array of Ticket``,
    ``Ticket (an object)``."""
    if isinstance(typ, t.RefType):
        return f"{typ.name} ({_a_type(resolve(typ, lookup), lookup)})"
    text = t.describe(typ)
    first = text.split(" ", 1)[0]
    if first in _ARTICLE:
        return _ARTICLE[first] + text[len(first) :]
    return ("an " if text[:1] in "aeiou" else "a ") + text


def _literal_type(value: Any) -> t.Type:
    if isinstance(value, bool):
        return t.BooleanType()
    if value is None:
        return t.NullType()
    if isinstance(value, (int, float, str)):
        return t.ConstType(value=value)
    if isinstance(value, list):
        return t.ArrayType(items=t.AnyType(), min_items=len(value), max_items=len(value))
    return t.ObjectType(additional=True)
