"""A run's identity, and the check that decides whether a run may be resumed.

A run records two digests of the IR it was made from (``Program.digest`` and
``Program.structure_digest``) and the route settings of the spec's model aliases. Resuming
is refused when the *structure* changed (steps, bindings, assistants, instructions,
contracts): the finished outputs would then mix two workflows. It is allowed when only route
settings changed (a fixed ``base_url``, another ``--env``), and the check says which.

A run started by an aiwf that wrote an earlier IR version (:data:`READ_IR_VERSIONS`) recorded
the digests of its program in that version. The program is compared as that version would
hold it (:meth:`Program.written_as`): what a newer IR adds is derived from the spec (IR 2's
``input_checked``), so the same spec still resumes after an upgrade. Manifests record the IR
version (``ir_version``; absent: version 1), so a run made by an aiwf whose IR this one does
not read is refused with that reason rather than as a changed spec.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf._ir.model import READ_IR_VERSIONS, Program, read_versions
from aiwf.engine._errors import RESUME_REFUSED
from aiwf.engine._program import pick_workflow
from aiwf.engine._steps import check_run_input

if TYPE_CHECKING:
    from aiwf._ir.model import Workflow
    from aiwf._ir.validate import Validator


def route_settings(program: Program) -> dict[str, dict[str, Any]]:
    """The route settings of every model alias as a run records them: header values are
    replaced by a short digest (a header may carry a token; the record names it changed)."""
    out: dict[str, dict[str, Any]] = {}
    for alias, fields in sorted(program.models.items()):
        route = fields.to_dict()
        headers = route.get("headers")
        if isinstance(headers, dict) and headers:
            route["headers"] = {
                name: "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:12]
                for name, value in sorted(headers.items())
            }
        out[alias] = route
    return out


def run_identity(program: Program) -> dict[str, Any]:
    """What a run's manifest records of its program."""
    return {
        "ir_version": program.ir_version,
        "digest": program.digest(),
        "structure": program.structure_digest(),
        "routes": route_settings(program),
    }


def changed_settings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The route settings that differ, one ``alias.field (old -> new)`` entry each."""
    changes: list[str] = []
    for alias in sorted(set(old) | set(new)):
        before, after = old.get(alias), new.get(alias)
        if before is None:
            changes.append(f"{alias} (added)")
            continue
        if after is None:
            changes.append(f"{alias} (removed)")
            continue
        for key in sorted(set(before) | set(after)):
            a, b = before.get(key), after.get(key)
            if a == b:
                continue
            if key == "headers":
                changes.append(f"{alias}.headers")
            else:
                changes.append(f"{alias}.{key} ({_show(a)} -> {_show(b)})")
    return changes


def check_resume(manifest: Mapping[str, Any], program: Program, run_id: str) -> list[str]:
    """Whether the run of ``manifest`` may be resumed with ``program``: the route settings
    that changed (empty when none did).

    Raises:
        AiwfError: (``E503``) the workflow's structure changed, or the run already succeeded.
    """
    recorded = manifest.get("digest")
    structure = manifest.get("structure")
    # The program as each IR version this aiwf reads holds it, the version it writes first.
    versions = (program.ir_version, *(v for v in READ_IR_VERSIONS if v != program.ir_version))
    same: Program | None = None
    for version in versions:
        candidate = program.written_as(version)
        # A run recorded before the structure digest existed: the whole IR must match.
        if (
            (recorded == candidate.digest())
            if structure is None
            else (structure == candidate.structure_digest())
        ):
            same = candidate
            break
    digest = program.digest()
    if same is None:
        made_with = manifest.get("ir_version")
        if made_with not in (None, *READ_IR_VERSIONS):
            raise AiwfError(
                f"run {run_id!r} was made by an aiwf that writes IR version {made_with!r}; "
                f"this aiwf reads {read_versions()}, so it cannot tell whether the run's "
                "program is this spec's",
                code=RESUME_REFUSED,
                hint="resume it with the aiwf release that started it (aiwf --version shows "
                "its IR version), or start a new run without --resume",
            )
        raise AiwfError(
            f"run {run_id!r} was made from another version of the spec "
            f"(IR {str(recorded)[:19]}..., now {digest[:19]}...); "
            "resuming it would mix outputs of two specs",
            code=RESUME_REFUSED,
            hint="restore the spec the run was made with, or start a new run without --resume",
        )
    if manifest.get("status") == "succeeded":
        raise AiwfError(
            f"run {run_id!r} already succeeded; there is nothing to resume",
            code=RESUME_REFUSED,
            hint=f"its result is in the store: runs/{run_id}/result.json",
        )
    if recorded == same.digest():
        return []
    routes = manifest.get("routes")
    if not isinstance(routes, dict):
        return ["model routes"]  # a run recorded without its routes: they may have changed
    # The same structure and the same routes: only source positions moved (a comment, a
    # renamed or reordered file), which no output depends on and nobody needs telling.
    return changed_settings(routes, route_settings(program))


def new_manifest(
    run_id: str,
    program: Program,
    workflow: str,
    input: Any,
    owner: Mapping[str, Any],
    context: Mapping[str, Any] | None,
    *,
    created: float,
) -> dict[str, Any]:
    """The manifest a run starts with (either engine; ``owner`` says which, and where)."""
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "spec": program.name,
        "workflow": workflow,
        **run_identity(program),
        "input": input,
        "status": "running",
        "created": created,
        **owner,
    }
    if context:
        manifest["context"] = dict(context)
    return manifest


def renew_manifest(
    manifest: dict[str, Any],
    program: Program,
    owner: Mapping[str, Any],
    context: Mapping[str, Any] | None,
) -> None:
    """Update a resumed run's manifest: the program it now runs with, who runs it."""
    for key in ("host", "pid", "lease", "heartbeat", "temporal"):
        manifest.pop(key, None)
    manifest.update(run_identity(program))
    manifest.update(owner)
    manifest.update(status="running", error=None, resumed=int(manifest.get("resumed", 0)) + 1)
    if context:
        manifest["context"] = dict(context)


def resume_input(manifest: Mapping[str, Any], input: Any, run_id: str) -> Any:
    """The input a resumed run runs on: its own; :class:`AiwfError` (``E503``) when
    ``input`` is given and differs."""
    stored = manifest.get("input")
    if input is not None and input != stored:
        raise AiwfError(
            f"the input differs from the input of run {run_id!r}",
            code=RESUME_REFUSED,
            hint="resume without --input (the run's own input is used)",
        )
    return stored


def resumed_run(
    program: Program,
    validator: Validator,
    manifest: Mapping[str, Any],
    input: Any,
    run_id: str,
    changes: list[str],
    notify: Callable[[str], None] | None,
) -> tuple[Workflow, Any]:
    """What a resume of run ``run_id`` runs: the workflow its manifest names, on the run's
    own input (:func:`resume_input`, checked against the workflow); ``notify`` is told of
    the route settings that changed (``changes``, from :func:`check_resume`)."""
    wf = pick_workflow(program, str(manifest.get("workflow")))
    stored = resume_input(manifest, input, run_id)
    check_run_input(validator, wf, stored)
    if changes and notify is not None:
        notify(f"resuming run {run_id} with changed route settings: {', '.join(changes)}")
    return wf, stored


def still_running(run_id: str, where: str | None = None) -> AiwfError:
    """The refusal to resume run ``run_id``, which is still running (``where``, if known)."""
    return AiwfError(
        f"run {run_id!r} is still running" + (f" ({where})" if where else ""),
        code=RESUME_REFUSED,
        hint="wait for it to end, or stop it with: aiwf runs cancel " + run_id,
    )


def _show(value: Any) -> str:
    text = "unset" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
