"""Group commit of scatter items' checkpoints on a Temporal worker.

A scatter item's ``aiwf.call`` (or ``aiwf.save`` of a skipped item) must not report success
before its checkpoint is durable: a retried activity whose first attempt finished reads the
answer back instead of calling the model again. Writing one artifact per item (an fsync, or
a PUT) made a 5,000-item scatter 5,000 objects; here the activities of one run's step on one
worker process append to one shared journal segment of that process
(:meth:`aiwf.engine._checkpoints.Checkpoints.open_items`) and each waits for the commit that
covers its record.

Commit policy: a commit starts :data:`COMMIT_WINDOW` seconds after the first record that is
waiting, as soon as the journal's ``commit_records`` are waiting, or as soon as every call
of the step in flight on this worker is waiting (:meth:`Journals.calling` counts them: no
record is coming that waiting would add) if the last commit ended a window ago or more (so
a scatter of one slow call at a time pays no window); one commit runs at a time per
segment, and records that arrive while it runs wait for the next (the mechanism is the
local engine's too: :class:`aiwf.engine._checkpoints.GroupCommit`). An activity so waits at most the window plus two commits (an fsync, or a
PUT) more than it did for its own write, small beside a model call, and a segment commits
at most about ``1 / COMMIT_WINDOW`` times a second while many calls are in flight: with
the file store that is the number of fsyncs (objects: one per segment), with S3 the
number of objects (``BatchJournal``: one per commit), so a wide scatter's objects grow
with items / batch, not with items.

Segments are closed when idle for :data:`IDLE_SECONDS`, when their run finishes
(:meth:`Journals.close_run`, from ``aiwf.finish`` on the worker that runs it) and when the
worker stops; at most :data:`OPEN_SEGMENTS` are open at once (the least recently used idle
one is closed to open another). A record whose commit failed fails its activity, which
Temporal retries; the segment is dropped and the next record opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Iterator
from typing import Any

from aiwf.engine._checkpoints import Blocking, Checkpoints, GroupCommit

#: Seconds a commit waits for more records after the first one waiting (see the module).
COMMIT_WINDOW = 0.005
#: Seconds a segment with nothing to commit stays open.
IDLE_SECONDS = 30.0
#: Segments a worker keeps open at once.
OPEN_SEGMENTS = 64


class Journals:
    """The open journal segments of one worker, by run and step (the defaults of the
    module's constants, read when it is made)."""

    def __init__(
        self,
        blocking: Blocking,
        *,
        window: float | None = None,
        idle: float | None = None,
        most: int | None = None,
    ) -> None:
        self.blocking = blocking
        self.window = COMMIT_WINDOW if window is None else window
        self.idle = IDLE_SECONDS if idle is None else idle
        self.most = max(1, OPEN_SEGMENTS if most is None else most)
        self._open: OrderedDict[tuple[str, str], GroupCommit] = OrderedDict()
        self._opening: dict[tuple[str, str], asyncio.Future[GroupCommit]] = {}
        self._closing: set[asyncio.Future[None]] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._active: dict[tuple[str, str], int] = {}
        #: Segments opened so far (what the tests and the benchmark count).
        self.opened = 0

    @contextlib.contextmanager
    def calling(self, run_id: str, step: str) -> Iterator[None]:
        """Count an activity of a step's items in flight on this worker (one that may add
        a record): when every one counted is waiting, the segment commits at once."""
        key = (run_id, step)
        self._active[key] = self._active.get(key, 0) + 1
        try:
            yield
        finally:
            left = self._active[key] - 1
            if left:
                self._active[key] = left
            else:
                del self._active[key]
            segment = self._open.get(key)
            if segment is not None:
                segment.nudge()  # the call that ended may be what the others waited for

    def active(self, run_id: str, step: str) -> int:
        """Activities of a step's items in flight on this worker (:meth:`calling`)."""
        return self._active.get((run_id, step), 0)

    async def add(
        self,
        checkpoints: Checkpoints,
        step: str,
        index: int,
        output: Any,
        skipped: bool,
        *,
        call: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Checkpoint a scatter item durably, in this worker's segment of the step."""
        segment = await self._segment(checkpoints, step)
        await segment.add(index, output, skipped, call=call, error=error)

    async def _segment(self, checkpoints: Checkpoints, step: str) -> GroupCommit:
        key = (checkpoints.run_id, step)
        while True:
            found = self._open.get(key)
            if found is not None and found.broken is None and not found.closed:
                self._open.move_to_end(key)
                return found
            if found is not None:  # broken: let it go, open another
                self._drop(key)
            opening = self._opening.get(key)
            if opening is not None:
                with contextlib.suppress(Exception):  # its open failed: try again
                    await asyncio.shield(opening)
                continue
            opening = self._opening[key] = asyncio.get_running_loop().create_future()
            try:
                items = await self.blocking(checkpoints.open_items, step)
            except BaseException as exc:
                opening.set_exception(exc)
                opening.exception()  # retrieved: whoever waits retries the open
                raise
            finally:
                self._opening.pop(key, None)
            segment = GroupCommit(
                items,
                blocking=self.blocking,
                window=self.window,
                active=functools.partial(self.active, *key),
            )
            self.opened += 1
            self._open[key] = segment
            opening.set_result(segment)
            self._evict(key)
            self._arm()
            return segment

    def _drop(self, key: tuple[str, str]) -> None:
        segment = self._open.pop(key, None)
        if segment is not None:
            closing = asyncio.ensure_future(_quietly(segment.close()))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    def _evict(self, keep: tuple[str, str]) -> None:
        for key, segment in list(self._open.items()):
            if len(self._open) <= self.most:
                return
            if key != keep and not segment.busy:
                self._drop(key)

    def _arm(self) -> None:
        if self._sweeper is None and self._open:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(self.idle, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        now = time.monotonic()
        for key, segment in list(self._open.items()):
            if not segment.busy and now - segment.used >= self.idle:
                self._drop(key)
        self._arm()

    async def close_run(self, run_id: str) -> None:
        """Close the segments of a run (it has finished)."""
        for key in [key for key in self._open if key[0] == run_id]:
            self._drop(key)
        await self._settle()

    async def close(self) -> None:
        """Close every segment (the worker stops)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for key in list(self._open):
            self._drop(key)
        await self._settle()

    async def _settle(self) -> None:
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def segments(self) -> int:
        """Segments open now."""
        return len(self._open)


class Reads:
    """Reads of a step's item checkpoints on one worker, coalesced: a lookup waits for
    the next read of the step's segments (:meth:`Checkpoints.load_records`) to start after
    it was asked for, and every lookup waiting shares that read. Retried calls of a wide
    scatter (a worker died with many in flight) so read the segments a few times, not once
    per call."""

    def __init__(self, blocking: Blocking) -> None:
        self.blocking = blocking
        self._next: dict[tuple[str, str], asyncio.Future[dict[int, dict[str, Any]]]] = {}
        self._running: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Future[None]] = set()
        #: Reads made (what the tests count).
        self.reads = 0

    async def records(self, checkpoints: Checkpoints, step: str) -> dict[int, dict[str, Any]]:
        """The step's item checkpoints, by index (shared: do not change them)."""
        key = (checkpoints.run_id, step)
        pending = self._next.get(key)
        if pending is None:
            pending = self._next[key] = asyncio.get_running_loop().create_future()
            pending.add_done_callback(lambda f: f.cancelled() or f.exception())
            task = asyncio.ensure_future(self._read(key, checkpoints, step, pending))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(pending)

    async def _read(
        self,
        key: tuple[str, str],
        checkpoints: Checkpoints,
        step: str,
        pending: asyncio.Future[dict[int, dict[str, Any]]],
    ) -> None:
        running = self._running.get(key)
        if running is not None:
            await asyncio.gather(running, return_exceptions=True)
        self._next.pop(key, None)
        self._running[key] = pending
        try:
            self.reads += 1
            pending.set_result(await self.blocking(checkpoints.load_records, step))
        except BaseException as exc:
            pending.set_exception(exc)
        finally:
            if self._running.get(key) is pending:
                del self._running[key]


async def _quietly(work: Awaitable[None]) -> None:
    with contextlib.suppress(Exception):
        await work
