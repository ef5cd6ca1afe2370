"""Looking things up in a compiled program the way the commands need them."""

from __future__ import annotations

from aiwf._errors import AiwfError
from aiwf._ir.model import Program, Workflow
from aiwf.engine._errors import UNKNOWN_WORKFLOW


def pick_workflow(program: Program, name: str | None) -> Workflow:
    """The workflow ``name``; ``None`` picks the only one (an error when there are several)."""
    workflows = program.workflows
    if name is None:
        if len(workflows) == 1:
            return next(iter(workflows.values()))
        raise AiwfError(
            f"the spec has {len(workflows)} workflows; name one",
            code=UNKNOWN_WORKFLOW,
            hint=f"pass -w with one of: {', '.join(sorted(workflows)) or 'none'}",
            exit_code=2,
        )
    found = workflows.get(name)
    if found is None:
        raise AiwfError(
            f"no workflow named {name!r}",
            code=UNKNOWN_WORKFLOW,
            hint=f"workflows in this spec: {', '.join(sorted(workflows)) or 'none'}",
            exit_code=2,
        )
    return found
