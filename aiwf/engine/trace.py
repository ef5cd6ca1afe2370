"""The run trace: one record of a workflow run, merged from every step and scatter item.

Each step has a :class:`StepSpan` (status, timing, calls, attempts, retries, tokens) and a
scattered step one :class:`ItemSpan` per item. :meth:`RunTrace.totals` sums them; the
trace is stored with the run's checkpoints and printed by ``aiwf run`` / ``aiwf dry-run``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from aiwf.runtime.types import ModelResponse


@dataclass
class ItemSpan:
    """One scatter item: ``ok``, ``failed``, ``skipped`` (failed under ``on_error: skip``),
    ``resumed`` (read back from a checkpoint) or ``cancelled``."""

    index: int
    status: str = "running"
    latency: float = 0.0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str | None = None
    error: str | None = None


@dataclass
class StepSpan:
    """One step of the run; a scattered step also has its items."""

    step: str
    assistant: str
    scatter: bool = False
    #: ``pending``, ``running``, ``ok``, ``failed``, ``cancelled`` or ``resumed``.
    status: str = "pending"
    started_at: float | None = None
    latency: float = 0.0
    items_total: int = 0
    items: list[ItemSpan] = field(default_factory=list)
    calls: int = 0
    attempts: int = 0
    retries: int = 0
    #: Calls that were answered by a fallback route after their route gave up.
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    items_done: int = 0
    items_skipped: int = 0
    items_resumed: int = 0
    error: str | None = None

    def add_response(self, response: ModelResponse, item: ItemSpan | None = None) -> None:
        """Count one answered call (attempts and tokens of all its retries and repairs)."""
        self.calls += 1
        self.attempts += response.attempts + response.fallback_attempts
        self.retries += max(0, response.attempts - 1) + response.fallback_attempts
        self.fallbacks += response.fallbacks
        self.input_tokens += response.usage.input_tokens
        self.output_tokens += response.usage.output_tokens
        if item is not None:
            item.attempts = response.attempts
            item.input_tokens = response.usage.input_tokens
            item.output_tokens = response.usage.output_tokens
            item.request_id = response.request_id


@dataclass
class RunTrace:
    """Every step of one run, in the workflow's execution order."""

    run_id: str
    workflow: str
    spec: str
    digest: str
    #: ``running``, ``succeeded``, ``failed`` or ``interrupted``.
    status: str = "running"
    started_at: float = field(default_factory=time.time)
    latency: float = 0.0
    resumed: bool = False
    steps: dict[str, StepSpan] = field(default_factory=dict)
    error: str | None = None

    def totals(self) -> dict[str, int]:
        """Sums over the steps: calls, attempts, retries, tokens, items and their fates."""
        keys = (
            "calls",
            "attempts",
            "retries",
            "fallbacks",
            "input_tokens",
            "output_tokens",
            "items_done",
            "items_skipped",
            "items_resumed",
        )
        out = {key: sum(getattr(s, key) for s in self.steps.values()) for key in keys}
        out["steps"] = len(self.steps)
        out["steps_done"] = sum(1 for s in self.steps.values() if s.status in ("ok", "resumed"))
        out["steps_resumed"] = sum(1 for s in self.steps.values() if s.status == "resumed")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The trace as JSON data, totals included."""
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps.values()]
        data["totals"] = self.totals()
        return data

    def render(self) -> str:
        """A short human-readable table of the trace."""
        lines = [f"run {self.run_id}: {self.status} in {self.latency:.2f}s"]
        for span in self.steps.values():
            items = ""
            if span.scatter:
                items = f" items {span.items_done}/{span.items_total}"
                if span.items_skipped:
                    items += f" ({span.items_skipped} skipped)"
                if span.items_resumed:
                    items += f" ({span.items_resumed} resumed)"
            error = f" error: {span.error}" if span.error else ""
            fallbacks = f" fallbacks {span.fallbacks}" if span.fallbacks else ""
            lines.append(
                f"  {span.step:<20} {span.status:<9} {span.latency:7.3f}s calls {span.calls}"
                f" retries {span.retries}{fallbacks} tokens {span.input_tokens}+{span.output_tokens}"
                f"{items}{error}"
            )
        t = self.totals()
        lines.append(
            f"  total: {t['steps_done']}/{t['steps']} steps, {t['calls']} calls, "
            f"{t['retries']} retries, {t['input_tokens']} input + {t['output_tokens']} output tokens"
        )
        return "\n".join(lines)
