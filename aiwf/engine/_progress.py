"""Progress of a run on a terminal: one line on stderr, redrawn at most ten times a second,
with steps done, scatter items done, tokens and retries."""

from __future__ import annotations

import time
from typing import TextIO

from aiwf.engine._trace import ItemSpan, RunTrace, StepSpan

#: Seconds between redraws.
REDRAW_EVERY = 0.1


class Progress:
    """A :class:`~aiwf.engine._engine.RunObserver` drawing one status line on ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = 0.0
        self._shown = False
        self._current: StepSpan | None = None

    def step_started(self, trace: RunTrace, span: StepSpan) -> None:
        self._current = span
        self._draw(trace, force=True)

    def item_finished(self, trace: RunTrace, span: StepSpan, item: ItemSpan) -> None:
        self._current = span
        self._draw(trace)

    def step_finished(self, trace: RunTrace, span: StepSpan) -> None:
        self._draw(trace, force=True)

    def update(self, trace: RunTrace) -> None:
        """Redraw for ``trace`` as it is now (a run followed from elsewhere: Temporal)."""
        self._draw(trace)

    def line(self, trace: RunTrace) -> str:
        """The status line for ``trace`` as it is now."""
        t = trace.totals()
        running = [s for s in trace.steps.values() if s.status == "running"]
        parts = [f"steps {t['steps_done']}/{t['steps']}"]
        for span in running[:3]:
            if span.scatter:
                parts.append(f"{span.step} {span.items_done}/{span.items_total}")
            else:
                parts.append(span.step)
        parts.append(f"tokens {t['input_tokens'] + t['output_tokens']}")
        parts.append(f"retries {t['retries']}")
        if t["items_skipped"]:
            parts.append(f"skipped {t['items_skipped']}")
        return " | ".join(parts)

    def _draw(self, trace: RunTrace, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < REDRAW_EVERY:
            return
        self._last = now
        self.stream.write("\r\x1b[K" + self.line(trace))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Clear the status line."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
