"""Go statements for a workflow method: each step's input from its bindings, scattered
steps on goroutines bounded by a semaphore, the final result assembled (the aiwf engine's
binding semantics, through the ``aiwfrt`` helpers)."""

from __future__ import annotations

from aiwf.generate.targets.bindings import BindingSyntax, binding_code, comment_text
from aiwf.generate.targets.go_code import go_str, json_text, unexported
from aiwf.ir.model import (
    ArrayBinding,
    Binding,
    ObjectBinding,
    RefBinding,
    Step,
    TemplateBinding,
    Workflow,
)


def _refs(binding: Binding) -> list[RefBinding]:
    if isinstance(binding, RefBinding):
        return [binding]
    if isinstance(binding, TemplateBinding):
        return [p for p in binding.parts if isinstance(p, RefBinding)]
    if isinstance(binding, ObjectBinding):
        return [r for _, v in binding.fields for r in _refs(v)]
    if isinstance(binding, ArrayBinding):
        return [r for v in binding.items for r in _refs(v)]
    return []


def _comment(binding: Binding) -> str:
    return go_str(comment_text(binding))[1:-1]


def _literal(value: object) -> str:
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return go_str(value)
    return f"aiwfrt.MustParse({go_str(json_text(value))})"


#: How Go writes the engine's bindings (the SDK runtime package is ``aiwfrt``).
SYNTAX = BindingSyntax(
    roots={"input": "input", "item": "item", "index": "aiwfrt.Int(index)"},
    step_output=lambda local: local,
    path_part=lambda p: go_str(p) if isinstance(p, str) else str(p),
    at=lambda base, parts: f"aiwfrt.At({base}, {parts})",
    whole=lambda code: f"aiwfrt.Whole({code})",
    literal=_literal,
    string=go_str,
    template=lambda parts: f"aiwfrt.Template({parts})",
    field=lambda key, value: f"{key}, {value}",
    obj=lambda fields: f"aiwfrt.Obj({fields})",
    arr=lambda items: f"aiwfrt.Arr({items})",
)


def expr(binding: Binding, locals_: dict[str, str], *, top: bool = False) -> str:
    """The Go expression of a binding's value (see :func:`binding_code`)."""
    return binding_code(binding, locals_, SYNTAX, top=top)


def workflow_body(wf: Workflow, assistant_var: dict[str, str], output_type: str) -> list[str]:
    """The statements of the workflow's method (one tab of indentation)."""
    locals_ = {step.id: unexported(step.id, "step") + "Output" for step in wf.steps}
    read_steps = {r.step for b in (wf.output, *(s.input for s in wf.steps)) for r in _refs(b)}
    read_steps |= {s.scatter.over.step for s in wf.steps if s.scatter is not None}
    all_refs = [r for b in (wf.output, *(s.input for s in wf.steps)) for r in _refs(b)]
    all_refs += [s.scatter.over for s in wf.steps if s.scatter is not None]
    uses_input = any(r.root == "input" for r in all_refs)
    steps = ", ".join(go_str(s.id) for s in wf.steps)
    fail = ["\treturn out, run.Trace(), err", "}"]
    body = [
        f"run := aiwfrt.NewRun(c.router, {go_str(wf.name)}, []string{{{steps}}})",
        "var out " + output_type,
        "err := in.Validate()",
        "if err != nil {",
        f'\treturn out, run.Trace(), fmt.Errorf("%s input: %w", {go_str(wf.name)}, err)',
        "}",
    ]
    if uses_input:
        body += ["input, err := aiwfrt.ToValue(in)", "if err != nil {", *fail]
    for step in wf.steps:
        body.append("")
        body += _step(step, locals_, assistant_var, step.id in read_steps, fail)
    body += [
        "",
        f"out, err = aiwfrt.Convert[{output_type}]({expr(wf.output, locals_, top=True)})",
        "return out, run.Trace(), err",
    ]
    return body


def _step(
    step: Step,
    locals_: dict[str, str],
    assistant_var: dict[str, str],
    read: bool,
    fail: list[str],
) -> list[str]:
    var = locals_[step.id]
    spec = assistant_var[step.assistant]
    sid = go_str(step.id)
    if step.scatter is None:
        value = expr(step.input, locals_, top=True)
        target = f"{var}, err :=" if read else "_, err ="
        return [
            f"// step {_comment_id(step)}: assistant {_comment_text(step.assistant)}, "
            f"input {_comment(step.input)}",
            f"{target} run.Call(ctx, {spec}, {value}, {sid}, -1, false)",
            "if err != nil {",
            *fail,
        ]
    scatter = step.scatter
    base = var.removesuffix("Output")
    items, results = base + "Items", base + "Results"
    over = expr(scatter.over, locals_, top=True)
    value = expr(step.input, locals_, top=True)
    uses_item = any(r.root == "item" for r in _refs(step.input))
    skip = "true" if scatter.on_error == "skip" else "false"
    lines = [
        f"// step {_comment_id(step)}: assistant {_comment_text(step.assistant)} on each "
        f"element of {_comment(scatter.over)}, at most {scatter.concurrency} at a time",
        f"{items}, err := aiwfrt.Items({over}, {sid}, {go_str(scatter.over.text)})",
        "if err != nil {",
        *fail,
        f"{results} := make([]aiwfrt.Value, len({items}))",
        "err = func() error {",
        "\tctx, cancel := context.WithCancelCause(ctx)",
        "\tdefer cancel(nil)",
        f"\tlimit := make(chan struct{{}}, {scatter.concurrency})",
        "\tvar wg sync.WaitGroup",
        f"\tfor index, {'item' if uses_item else '_'} := range {items} {{",
        "\t\twg.Add(1)",
        "\t\tgo func() {",
        "\t\t\tdefer wg.Done()",
        "\t\t\tselect {",
        "\t\t\tcase limit <- struct{}{}:",
        "\t\t\tcase <-ctx.Done():",
        "\t\t\t\treturn",
        "\t\t\t}",
        "\t\t\tdefer func() { <-limit }()",
        "\t\t\tif ctx.Err() != nil {",
        "\t\t\t\treturn",
        "\t\t\t}",
        f"\t\t\tresult, err := run.Call(ctx, {spec}, {value}, {sid}, index, {skip})",
        "\t\t\tif err != nil {",
        "\t\t\t\tcancel(err)",
        "\t\t\t\treturn",
        "\t\t\t}",
        f"\t\t\t{results}[index] = result",
        "\t\t}()",
        "\t}",
        "\twg.Wait()",
        "\treturn context.Cause(ctx)",
        "}()",
        "if err != nil {",
        *fail,
    ]
    if read:
        lines.append(f"var {var} aiwfrt.Value = {results}")
    return lines


def _comment_id(step: Step) -> str:
    return _comment_text(step.id)


def _comment_text(text: str) -> str:
    return go_str(text)[1:-1]


__all__ = ["expr", "workflow_body"]
