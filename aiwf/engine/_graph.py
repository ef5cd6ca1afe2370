"""Pictures of a workflow: the plan as text, and the DAG as Mermaid or Graphviz DOT.

A scattered step is drawn as a stacked node (Mermaid) or a double-bordered box (DOT) labelled
with what it scatters over and its concurrency; the workflow's input and result are nodes
too, so every step's sources show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aiwf._ir.model import Step, Workflow
from aiwf.engine._bindings import reads_input, step_refs

FORMATS = ("mermaid", "dot")


def _reads_input(step: Step) -> bool:
    return reads_input(step.input) or (
        step.scatter is not None and step.scatter.over.root == "input"
    )


def _label(step: Step) -> str:
    text = f"{step.id}\n{step.assistant}"
    if step.scatter is not None:
        text += f"\nscatter {step.scatter.over.text} x{step.scatter.concurrency}"
        if step.scatter.on_error == "skip":
            text += " (skip errors)"
    return text


def render_plan(workflow: Workflow) -> str:
    """The execution plan as text: steps in order with what they wait for."""
    lines = [
        f"plan: workflow {workflow.name} ({len(workflow.steps)} steps, input {workflow.input})"
    ]
    width = max(len(s.id) for s in workflow.steps)
    for number, step in enumerate(workflow.steps, 1):
        after = f" after {', '.join(step.depends_on)}" if step.depends_on else " at start"
        scatter = ""
        if step.scatter is not None:
            scatter = (
                f", scatter over {step.scatter.over.text}"
                f" ({step.scatter.concurrency} at once"
                + (", failed items -> null" if step.scatter.on_error == "skip" else "")
                + ")"
            )
        lines.append(f"  {number}. {step.id:<{width}}  {step.assistant}{after}{scatter}")
    sources = sorted(step_refs(workflow.output))
    lines.append(f"  result: {workflow.output_contract} from {', '.join(sources) or 'input'}")
    return "\n".join(lines)


def render_graph(
    workflows: Workflow | Sequence[Workflow], fmt: str, *, name: str = "workflows"
) -> str:
    """The DAG of one workflow in ``fmt`` (``mermaid`` or ``dot``); several workflows are
    drawn side by side, each in a box of its own (a Mermaid subgraph, a DOT cluster; ``name``
    names the DOT graph)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r} (use one of {', '.join(FORMATS)})")
    many = [workflows] if isinstance(workflows, Workflow) else list(workflows)
    if len(many) == 1:
        body = _mermaid(many[0]) if fmt == "mermaid" else _dot(many[0])
        header = ["flowchart TD"] if fmt == "mermaid" else _dot_header(many[0].name)
        return "\n".join([*header, *body, *([] if fmt == "mermaid" else ["}"])]) + "\n"
    if fmt == "mermaid":
        lines = ["flowchart TD"]
        for wf in many:
            prefix = _mermaid_id(wf.name) + "__"
            lines.append(f'  subgraph {prefix}wf["workflow {wf.name}"]')
            lines += ["  " + line for line in _mermaid(wf, prefix)]
            lines.append("  end")
        return "\n".join(lines) + "\n"
    lines = _dot_header(name)
    for wf in many:
        prefix = wf.name + "/"
        lines.append(f"  subgraph {_q('cluster_' + wf.name)} {{")
        lines.append(f"    label={_q('workflow ' + wf.name)};")
        lines += ["  " + line for line in _dot(wf, prefix)]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edges(workflow: Workflow) -> list[tuple[str, str]]:
    edges: list[tuple[str, str]] = []
    for step in workflow.steps:
        if _reads_input(step) or not step.depends_on:
            edges.append(("__input", step.id))
        edges.extend((dep, step.id) for dep in step.depends_on)
    sources = sorted(step_refs(workflow.output)) or ["__input"]
    edges.extend((source, "__output") for source in sources)
    return edges


def _mermaid_id(name: str) -> str:
    return "s_" + "".join(c if c.isalnum() else "_" for c in name)


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _mermaid(workflow: Workflow, prefix: str = "") -> list[str]:
    """The nodes and edges of one workflow (node ids after ``prefix``)."""

    def node(name: str) -> str:
        return prefix + (name if name.startswith("__") else _mermaid_id(name))

    lines = [f'  {node("__input")}(["input: {workflow.input}"])']
    for step in workflow.steps:
        label = _label(step).replace('"', "'").replace("\n", "<br/>")
        if step.scatter is not None:
            lines.append(f'  {node(step.id)}[["{label}"]]')
        else:
            lines.append(f'  {node(step.id)}["{label}"]')
    lines.append(f'  {node("__output")}(["result: {workflow.output_contract}"])')
    for src, dst in _edges(workflow):
        lines.append(f"  {node(src)} --> {node(dst)}")
    scattered = [node(s.id) for s in workflow.steps if s.scatter is not None]
    if scattered:
        lines.append("  classDef scatter stroke-dasharray: 4 2,stroke-width:2px")
        lines.append(f"  class {','.join(scattered)} scatter")
    return lines


def _dot_header(name: str) -> list[str]:
    return [f"digraph {_q(name)} {{", "  rankdir=TB;", "  node [shape=box];"]


def _dot(workflow: Workflow, prefix: str = "") -> list[str]:
    """The nodes and edges of one workflow (node ids after ``prefix``)."""

    def node(name: str) -> str:
        return prefix + name if name.startswith("__") and not prefix else _q(prefix + name)

    lines = [f"  {node('__input')} [shape=oval, label={_q('input: ' + workflow.input)}];"]
    for step in workflow.steps:
        attrs = f"label={_q(_label(step))}"
        if step.scatter is not None:
            attrs += ", peripheries=2, style=dashed"
        lines.append(f"  {node(step.id)} [{attrs}];")
    output = _q("result: " + workflow.output_contract)
    lines.append(f"  {node('__output')} [shape=oval, label={output}];")
    for src, dst in _edges(workflow):
        lines.append(f"  {node(src)} -> {node(dst)};")
    return lines
