"""Runs you can see: listing and showing the runs an artifact store holds, on every engine.

Each run keeps a manifest (:mod:`aiwf.engine._checkpoints`) and an index copy of it under
``index/runs/``, which is what :func:`list_runs` reads (one small file per run, never the
checkpoints). A run's status is the manifest's, except that a local run whose manifest says
``running`` but whose process is gone (same host) or whose lease ran out is ``stale``: it
died without a word (SIGKILL, a lost machine) and can be resumed.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiwf._errors import AiwfError
from aiwf.engine._checkpoints import INDEX_PREFIX, Checkpoints
from aiwf.engine._errors import RESUME_REFUSED
from aiwf.stores import ArtifactNotFound, ArtifactStore

#: Statuses a run can be shown with.
STATUSES = (
    "running",
    "stale",
    "succeeded",
    "failed",
    "interrupted",
    "cancelled",
    "terminated",
    "timed_out",
)
#: Statuses of runs that ``--resume`` can continue.
RESUMABLE = ("failed", "interrupted", "stale", "cancelled", "terminated", "timed_out")
#: Items listed by :func:`render_run` unless told otherwise.
SHOWN_ITEMS = 20


def run_status(manifest: Mapping[str, Any], *, now: float | None = None) -> str:
    """The status of the run of ``manifest``: the recorded one, or ``stale`` for a local run
    recorded as running whose process is gone or whose lease ran out."""
    status = str(manifest.get("status") or "unknown")
    if status != "running" or manifest.get("engine", "local") != "local":
        return status
    pid, host = manifest.get("pid"), manifest.get("host")
    if isinstance(pid, int) and host == socket.gethostname() and not _alive(pid):
        return "stale"
    lease, beat = manifest.get("lease"), manifest.get("heartbeat")
    expired = (
        isinstance(lease, (int, float))
        and isinstance(beat, (int, float))
        and (time.time() if now is None else now) > beat + lease
    )
    if expired:
        return "stale"
    return status


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this host is alive (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass
class RunInfo:
    """One run as :func:`list_runs` sees it (from its index entry)."""

    run_id: str
    workflow: str
    spec: str
    engine: str
    status: str
    created: float | None
    updated: float | None
    latency: float | None
    totals: dict[str, int]
    error: str | None
    manifest: dict[str, Any] = field(repr=False)

    @property
    def duration(self) -> float | None:
        """Seconds the run took, or has been running; for a stale run, up to its last sign
        of life (its last heartbeat), ``None`` when it died before its first one."""
        if self.latency is not None and self.status not in ("running", "stale"):
            return self.latency
        if self.created is None:
            return None
        if self.status == "running":
            return max(0.0, time.time() - self.created)
        beat = _number(self.manifest.get("heartbeat"))
        return None if beat is None or beat <= self.created else beat - self.created

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON data (``aiwf runs ls --format json``)."""
        return {
            "run_id": self.run_id,
            "workflow": self.workflow,
            "spec": self.spec,
            "engine": self.engine,
            "status": self.status,
            "created": self.created,
            "duration": self.duration,
            "calls": self.totals.get("calls"),
            "tokens": _tokens(self.totals),
            "error": self.error,
        }


def info_of(manifest: dict[str, Any], *, now: float | None = None) -> RunInfo:
    """The :class:`RunInfo` of a manifest (or of its index copy)."""
    totals = manifest.get("totals")
    return RunInfo(
        run_id=str(manifest.get("run_id")),
        workflow=str(manifest.get("workflow", "")),
        spec=str(manifest.get("spec", "")),
        engine=str(manifest.get("engine", "local")),
        status=run_status(manifest, now=now),
        created=_number(manifest.get("created")),
        updated=_number(manifest.get("updated")),
        latency=_number(manifest.get("latency")),
        totals=dict(totals) if isinstance(totals, dict) else {},
        error=manifest.get("error") if isinstance(manifest.get("error"), str) else None,
        manifest=manifest,
    )


def list_runs(
    store: ArtifactStore,
    *,
    workflow: str | None = None,
    statuses: Iterable[str] = (),
    engine: str | None = None,
    since: float | None = None,
    limit: int | None = None,
) -> list[RunInfo]:
    """The runs in ``store``, newest first, filtered by workflow, status, engine and start
    time (epoch seconds); at most ``limit``."""
    wanted = set(statuses)
    runs: list[RunInfo] = []
    now = time.time()
    for entry in store.list(INDEX_PREFIX):
        try:
            manifest = store.get_json(entry.key)
        except ArtifactNotFound:
            continue  # expired or deleted since it was listed
        if not isinstance(manifest, dict):
            continue
        info = info_of(manifest, now=now)
        if workflow is not None and info.workflow != workflow:
            continue
        if engine is not None and info.engine != engine:
            continue
        if since is not None and (info.created or 0) < since:
            continue
        if wanted and info.status not in wanted:
            continue
        runs.append(info)
    runs.sort(key=lambda r: (r.created or 0, r.run_id), reverse=True)
    return runs[:limit] if limit is not None else runs


@dataclass
class RunDetails:
    """One run as :func:`load_run` sees it: its manifest, status and trace (the last one
    written: at the end of a run, and at every heartbeat of a local run)."""

    info: RunInfo
    trace: dict[str, Any] | None


def load_run(store: ArtifactStore, run_id: str) -> RunDetails:
    """The run ``run_id`` of ``store``; :class:`AiwfError` when there is none."""
    checkpoints = Checkpoints(store, run_id)
    try:
        manifest = checkpoints.read_manifest()
    except AiwfError as exc:
        raise AiwfError(
            f"no run {run_id!r} in the artifact store {store.url}",
            code=RESUME_REFUSED,
            hint="aiwf runs ls lists the runs of a store (--artifacts URL picks the store)",
        ) from exc
    try:
        trace = store.get_json(f"runs/{run_id}/trace.json")
    except ArtifactNotFound:
        trace = None
    return RunDetails(info_of(manifest), trace if isinstance(trace, dict) else None)


def resume_line(info: RunInfo) -> str | None:
    """The exact command that resumes the run, for a run that can be resumed."""
    from aiwf.engine._session import resume_command

    if info.status not in RESUMABLE:
        return None
    context = info.manifest.get("context")
    context = context if isinstance(context, dict) else {}
    spec = context.get("spec") or "SPEC"
    config = context.get("config")
    recorded = info.manifest.get("temporal")
    return resume_command(
        str(spec),
        info.workflow,
        info.run_id,
        artifacts=context.get("artifacts"),
        config=config,
        env=context.get("env"),
        engine=None if info.engine == "local" else info.engine,
        temporal=recorded if isinstance(recorded, dict) else None,
    )


# -- rendering -----------------------------------------------------------------------------


def render_runs(runs: list[RunInfo]) -> str:
    """A table of runs: id, workflow, status, started, duration, calls, tokens."""
    header = ("RUN", "WORKFLOW", "ENGINE", "STATUS", "STARTED", "DURATION", "CALLS", "TOKENS")
    rows = [header]
    for run in runs:
        rows.append(
            (
                run.run_id,
                run.workflow,
                run.engine,
                run.status,
                _when(run.created),
                _seconds(run.duration),
                str(run.totals.get("calls", "-")),
                str(_tokens(run.totals) if run.totals else "-"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {5, 6, 7}
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def render_run(details: RunDetails, *, all_items: bool = False) -> str:
    """Everything about one run: status, error, steps, items that did not succeed (or all
    of them), attempts, tokens, and the command that resumes it."""
    info = details.info
    lines = [
        f"run {info.run_id}",
        f"  workflow  {info.workflow} (spec {info.spec})",
        f"  engine    {info.engine}" + _owner(info.manifest),
        f"  status    {info.status}",
        f"  started   {_when(info.created)}   duration {_seconds(info.duration)}",
    ]
    if info.status == "stale":
        lines.append(
            f"  stale     its process is gone or its lease ran out; last heard of at "
            f"{_when(_number(info.manifest.get('heartbeat')) or info.updated)}"
        )
    if info.error:
        lines.append(f"  error     {info.error}")
    trace = details.trace
    totals = (trace or {}).get("totals") or info.totals
    if totals:
        lines.append(
            f"  calls     {totals.get('calls', 0)}   attempts {totals.get('attempts', 0)}"
            f"   retries {totals.get('retries', 0)}   tokens {totals.get('input_tokens', 0)}"
            f"+{totals.get('output_tokens', 0)}"
        )
    if trace is not None:
        lines.append("  steps")
        for span in trace.get("steps", []):
            lines.extend(_render_step(span, all_items=all_items))
        if info.status in ("running", "stale"):
            lines.append(f"  (trace as of {_when(info.updated)})")
    command = resume_line(info)
    if command:
        lines.append(f"  resume    {command}")
    return "\n".join(lines)


def _render_step(span: Mapping[str, Any], *, all_items: bool) -> list[str]:
    items = ""
    if span.get("scatter"):
        items = f"  items {span.get('items_done', 0)}/{span.get('items_total', 0)}"
        if span.get("items_skipped"):
            items += f" ({span['items_skipped']} skipped)"
        if span.get("items_resumed"):
            items += f" ({span['items_resumed']} resumed)"
    lines = [
        f"    {span.get('step', '?'):<20} {span.get('status', '?'):<9}"
        f" {float(span.get('latency') or 0):7.3f}s  calls {span.get('calls', 0)}"
        f"  attempts {span.get('attempts', 0)}  retries {span.get('retries', 0)}"
        f"  tokens {span.get('input_tokens', 0)}+{span.get('output_tokens', 0)}{items}"
    ]
    if span.get("error") and not span.get("scatter"):
        lines.append(f"      error: {span['error']}")
    shown = [
        item
        for item in span.get("items", [])
        if all_items or item.get("status") not in ("ok", "resumed")
    ]
    for item in shown[: None if all_items else SHOWN_ITEMS]:
        error = f"  error: {item['error']}" if item.get("error") else ""
        lines.append(
            f"      item {item.get('index')}: {item.get('status')}"
            f"  attempts {item.get('attempts', 0)}"
            f"  {float(item.get('latency') or 0):.3f}s{error}"
        )
    if not all_items and len(shown) > SHOWN_ITEMS:
        lines.append(f"      ... {len(shown) - SHOWN_ITEMS} more (--all-items lists them)")
    return lines


def _owner(manifest: Mapping[str, Any]) -> str:
    if manifest.get("engine", "local") == "local":
        host, pid = manifest.get("host"), manifest.get("pid")
        return f" (pid {pid} on {host})" if host else ""
    temporal = manifest.get("temporal")
    if isinstance(temporal, dict):
        return (
            f" ({temporal.get('address')}, namespace {temporal.get('namespace')}, "
            f"task queue {temporal.get('task_queue')})"
        )
    return ""


def _tokens(totals: Mapping[str, Any]) -> int:
    return int(totals.get("input_tokens", 0)) + int(totals.get("output_tokens", 0))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _when(epoch: float | None) -> str:
    """A time in UTC, as runs are listed."""
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch))


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.2f}s"
    minutes, seconds = divmod(int(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def dumps(value: Any) -> str:
    """JSON as the runs commands print it."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``2h`` or ``7d``; :class:`AiwfError` otherwise."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    number, unit = text[:-1], text[-1:].lower()
    try:
        if unit not in units:
            raise ValueError(text)
        return float(number) * units[unit]
    except ValueError:
        raise AiwfError(
            f"not a duration: {text!r}", hint="for example 30m, 2h or 7d", exit_code=2
        ) from None


def cancel_local(store: ArtifactStore, info: RunInfo, *, wait: float) -> str:
    """Stop a local run as Ctrl-C would (SIGINT to its process, which records it as
    ``interrupted`` and can be resumed); the status it ended with, or ``running``."""
    import signal

    manifest = info.manifest
    pid, host = manifest.get("pid"), manifest.get("host")
    if host != socket.gethostname() or not isinstance(pid, int):
        raise AiwfError(
            f"run {info.run_id} runs on {host or 'another machine'} (pid {pid}); "
            "a local run can only be cancelled from its own machine",
            code=RESUME_REFUSED,
            hint="press Ctrl-C where it runs, or stop its process there",
        )
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return "stale"
    deadline = time.monotonic() + wait
    checkpoints = Checkpoints(store, info.run_id)
    while time.monotonic() < deadline:
        status = run_status(checkpoints.read_manifest())
        if status != "running":
            return status
        time.sleep(0.1)
    return "running"


def wait_local(store: ArtifactStore, run_id: str, *, poll: float = 0.5) -> str:
    """Wait until a local run is no longer running (it ended, or went stale); its status."""
    checkpoints = Checkpoints(store, run_id)
    while True:
        status = run_status(checkpoints.read_manifest())
        if status != "running":
            return status
        time.sleep(poll)
