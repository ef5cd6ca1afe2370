"""Time limits on a task's awaits (Python 3.11 on), one loop timer for all of them.

:class:`TimeLimit` does what ``async with asyncio.timeout(seconds)`` does around an
attempt's HTTP send (the same cancellation, the same ``uncancel`` accounting, so that an
outer cancellation still wins and ``TimeoutError`` is raised only for the limit's own), for
a fraction of its CPU. ``asyncio.timeout`` (like ``loop.call_at``) makes a timer handle per
limit and pushes it on the loop's heap, whose entries compare in Python; a limit that is
disarmed (nearly every one: most answers come in time) stays there until the loop sweeps
it. Here a limit is one small object on a heap of ``(when, id, limit)`` tuples, which
compare in C, kept by :class:`_Limits`, one per event loop; one ``loop.call_at`` timer is
set for the earliest, and re-set only when a limit earlier than it arrives (attempts with
equal budgets arrive in deadline order, so mostly never). A limit fires when the loop's own
timer for it would (its time, within the clock's resolution). Disarmed limits are swept
from the heap when they outnumber the armed ones, so the heap stays at most about twice
the limits in force.

Use: ``limit = TimeLimit(seconds)``, the awaits in a ``try``; on ``CancelledError``, when
``limit.fired()``, raise ``TimeoutError`` (else re-raise); ``finally``, ``limit.end()``.
"""

from __future__ import annotations

import asyncio
import heapq
import sys
import time
import types
from typing import Any

#: Disarmed limits kept on a heap before the heap is swept (when they are also the most).
_SWEEP_AFTER = 64
#: A timer this close to due is due (what asyncio's loop takes for the monotonic clock).
_RESOLUTION = time.get_clock_info("monotonic").resolution


class TimeLimit:
    """A time limit of ``seconds`` on the current task from now until :meth:`end` (see the
    module docstring)."""

    __slots__ = ("armed", "cancelling", "expired", "keeper", "task")

    def __init__(self, seconds: float) -> None:
        loop = _running_loop()
        task = _TASKS.get(loop) if _TASKS is not None else _current_task(loop)
        if task is None:
            raise RuntimeError("a time limit needs a task")
        keeper = _KEEPERS.get(loop)
        if keeper is None:
            keeper = _keeper(loop)
        self.task = task
        self.keeper = keeper
        self.cancelling: int = task.cancelling() if _UNCANCEL else 0  # type: ignore[attr-defined,unused-ignore]
        self.expired = False
        self.armed = True
        when = keeper.clock() + seconds
        _heappush(keeper.heap, (when, id(self), self))
        due = keeper.due
        if due is None or when < due:
            keeper.set_timer(when)

    def fired(self) -> bool:
        """Whether the ``CancelledError`` being handled is this limit's own and not also
        an outer cancellation's (which then wins); it is accounted for here."""
        if not self.expired:
            return False
        self.expired = False
        return not _UNCANCEL or self.task.uncancel() <= self.cancelling  # type: ignore[attr-defined,unused-ignore]

    def end(self) -> None:
        """Disarm the limit; one that fired but whose cancellation did not surface is
        taken back."""
        if self.armed:
            self.armed = False
            keeper = self.keeper
            keeper.disarmed += 1
            if keeper.disarmed > _SWEEP_AFTER and keeper.disarmed * 2 > len(keeper.heap):
                keeper.sweep()
        if self.expired:
            self.expired = False
            if _UNCANCEL:
                self.task.uncancel()  # type: ignore[attr-defined,unused-ignore]


class _Limits:
    """The limits of one event loop: a heap of ``(when, id, limit)``, disarmed ones
    included until swept (:attr:`disarmed` counts those), and the loop timer set for the
    earliest entry (:attr:`due` its time)."""

    __slots__ = ("clock", "disarmed", "due", "heap", "loop", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        #: ``loop.time``: ``time.monotonic`` itself for asyncio's own loops (whose ``time``
        #: is a Python method returning it), the loop's own for any other, or for a loop
        #: whose ``time`` was replaced on the loop itself (a test's virtual clock).
        own_clock = type(loop).time is asyncio.BaseEventLoop.time and "time" not in vars(loop)
        self.clock: Any = time.monotonic if own_clock else loop.time
        self.heap: list[tuple[float, int, TimeLimit]] = []
        self.disarmed = 0
        self.due: float | None = None
        self.timer: asyncio.TimerHandle | None = None

    def set_timer(self, when: float) -> None:
        """Set the loop timer for ``when`` (an entry earlier than the timer arrived)."""
        if self.timer is not None:
            self.timer.cancel()
        self.due = when
        self.timer = self.loop.call_at(when, self.fire)

    def fire(self) -> None:
        """The loop timer: expire every armed limit that is due, set the next timer."""
        self.timer = self.due = None
        heap = self.heap
        end = self.clock() + _RESOLUTION
        while heap and heap[0][0] < end:
            limit = heapq.heappop(heap)[2]
            if not limit.armed:
                self.disarmed -= 1
                continue
            limit.armed = False
            limit.expired = True
            limit.task.cancel()
        if heap:
            self.due = heap[0][0]
            self.timer = self.loop.call_at(self.due, self.fire)

    def sweep(self) -> None:
        """Drop the disarmed limits from the heap."""
        heap = self.heap
        heap[:] = [entry for entry in heap if entry[2].armed]
        heapq.heapify(heap)
        self.disarmed = 0


_KEEPERS: dict[Any, _Limits] = {}
_running_loop = asyncio.get_running_loop
_current_task = asyncio.current_task
#: ``current_task(loop)`` is ``_current_tasks.get(loop)`` where it is a Python function over
#: that dict (Python 3.10 and 3.11; later ones have it in C): the dict is read directly.
_TASKS: dict[Any, asyncio.Task[Any]] | None = (
    vars(asyncio.tasks).get("_current_tasks")
    if isinstance(_current_task, types.FunctionType)
    else None
)
_heappush = heapq.heappush
_UNCANCEL = sys.version_info >= (3, 11)


def _keeper(loop: asyncio.AbstractEventLoop) -> _Limits:
    """The limits of ``loop``, made on its first limit (closed loops' are dropped then)."""
    for old in [other for other in list(_KEEPERS) if other.is_closed()]:
        _KEEPERS.pop(old, None)
    made = _KEEPERS[loop] = _Limits(loop)
    return made
