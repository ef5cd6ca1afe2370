"""Checkpoints of a run in the artifact store, so a failed or interrupted run can resume.

Layout under the run id (JSON; a journal is JSON Lines)::

    runs/<run_id>/manifest.json                  spec, workflow, IR digest, input, status
    runs/<run_id>/steps/<step>/output.json       a finished step's output
    runs/<run_id>/steps/<step>/journal/<seg>     finished scatter items (or skipped ones)
    runs/<run_id>/steps/<step>/items/<i>.json    one finished scatter item (older runs)
    runs/<run_id>/result.json                    the workflow result (a succeeded run)
    runs/<run_id>/trace.json                     the run trace (at the end of every run)
    index/runs/<run_id>.json                     the manifest without the input (aiwf runs ls)

A step's output is written before any step that depends on it starts. The local engine
appends a finished item to the step's journal (:meth:`Checkpoints.open_items`, one segment
per process and step, a JSON object a record) as soon as it is done and commits the journal
in groups (:class:`aiwf.stores.Journal`): no per-item file, fsync or object. The Temporal
engine's activities do the same, one segment per worker process and step
(:mod:`aiwf.engine.temporal._journals`). Resume reads
both layouts back (:meth:`Checkpoints.load_items`), so a run made before journals existed
still resumes. :mod:`aiwf.engine._identity` decides whether a run
may be resumed. The index copy lets ``aiwf runs ls`` list runs without walking every
checkpoint of every run.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiwf._errors import AiwfError
from aiwf.engine._errors import RESUME_REFUSED
from aiwf.engine._trace import RunTrace
from aiwf.stores import ArtifactNotFound, ArtifactStore, Journal
from aiwf.stores._base import JSON_CONTENT_TYPE, encode_json, encode_own_json

#: Checkpoints live this long (seconds) unless the caller says otherwise: 30 days.
DEFAULT_TTL = 30 * 86400.0
#: Where the index copies of the manifests live.
INDEX_PREFIX = "index/runs/"
#: Manifest keys left out of the index copy (large, and not needed to list runs).
_NOT_INDEXED = ("input", "routes")


class Checkpoints:
    """The checkpoints of one run in ``store``. Methods are blocking (the engine calls them
    in a worker thread)."""

    def __init__(self, store: ArtifactStore, run_id: str, *, ttl: float | None = DEFAULT_TTL):
        self.store = store
        self.run_id = run_id
        self.ttl = ttl
        self.prefix = f"runs/{run_id}/"

    def _put(self, key: str, value: Any) -> None:
        self.store.put_json(
            self.prefix + key, value, ttl=self.ttl, metadata={"run_id": self.run_id}
        )

    # -- manifest ------------------------------------------------------------------------

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write the manifest, and its index copy."""
        data = {**manifest, "updated": time.time()}
        self._put("manifest.json", data)
        entry = {k: v for k, v in data.items() if k not in _NOT_INDEXED}
        self.store.put_json(
            f"{INDEX_PREFIX}{self.run_id}.json",
            entry,
            ttl=self.ttl,
            metadata={"run_id": self.run_id},
        )

    def read_manifest(self) -> dict[str, Any]:
        """The run's manifest; :class:`AiwfError` when the store has no such run."""
        try:
            data = self.store.get_json(self.prefix + "manifest.json")
        except ArtifactNotFound:
            raise AiwfError(
                f"no run {self.run_id!r} in the artifact store {self.store.url}",
                code=RESUME_REFUSED,
                hint="check the run id and --artifacts (aiwf artifacts ls runs/ lists runs)",
            ) from None
        if not isinstance(data, dict):
            raise AiwfError(
                f"the manifest of run {self.run_id!r} is not an object", code=RESUME_REFUSED
            )
        return data

    def peek_manifest(self) -> dict[str, Any]:
        """The run's manifest, or ``{}`` when the store has none (or cannot be read)."""
        try:
            return self.read_manifest()
        except AiwfError:
            return {}

    # -- steps and items -----------------------------------------------------------------

    def save_step(self, step: str, output: Any) -> None:
        self._put(f"steps/{step}/output.json", {"output": output})

    def save_item(
        self,
        step: str,
        index: int,
        output: Any,
        skipped: bool,
        *,
        call: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Checkpoint a scatter item; ``call`` (what the trace counts of its call) and
        ``error`` (why it was skipped) are kept when given."""
        self._put(f"steps/{step}/items/{index}.json", item_record(output, skipped, call, error))

    def open_items(self, step: str) -> ItemJournal:
        """Start a journal segment for the items of ``step`` this process finishes."""
        segment = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        journal = self.store.open_journal(
            f"{self.prefix}steps/{step}/journal/{segment}",
            ttl=self.ttl,
            metadata={"run_id": self.run_id},
        )
        return ItemJournal(journal)

    def save_call(self, step: str, output: Any, call: dict[str, Any]) -> None:
        """Checkpoint an unscattered step with what the trace counts of its call."""
        self._put(f"steps/{step}/output.json", {"output": output, "call": call})

    def load_checkpoint(self, step: str, index: int | None) -> dict[str, Any] | None:
        """The checkpoint of one step (``index`` None) or one scatter item, if written. An
        item is looked up in its own file (older runs), then in the step's journal segments
        (which are all read: to look up many items, :meth:`load_records` reads them once)."""
        if index is not None:
            key = f"steps/{step}/items/{index}.json"
            try:
                data = self.store.get_json(self.prefix + key)
            except ArtifactNotFound:
                return self.load_records(step).get(index)
            return data if isinstance(data, dict) else None
        try:
            data = self.store.get_json(f"{self.prefix}steps/{step}/output.json")
        except ArtifactNotFound:
            return None
        return data if isinstance(data, dict) else None

    def load_steps(self, steps: list[str]) -> dict[str, Any]:
        """Outputs of those of ``steps`` that finished, by step id."""
        out: dict[str, Any] = {}
        for step in steps:
            try:
                data = self.store.get_json(f"{self.prefix}steps/{step}/output.json")
            except ArtifactNotFound:
                continue
            out[step] = data["output"]
        return out

    def load_items(self, step: str) -> dict[int, tuple[Any, bool]]:
        """Finished items of a scattered step: index -> (output, skipped) (see
        :meth:`load_records`)."""
        return {
            index: (data.get("output"), bool(data.get("skipped")))
            for index, data in self.load_records(step).items()
        }

    def load_records(self, step: str) -> dict[int, dict[str, Any]]:
        """The checkpoints of the finished items of a scattered step, by index (each as
        :func:`item_record` made it), in one pass: the one file per item of older runs and
        every journal segment of the step; a record that is torn or damaged is left out (its
        item runs again), and of two records of one item the later one counts."""
        out: dict[int, dict[str, Any]] = {}
        prefix = f"{self.prefix}steps/{step}/items/"
        for info in self.store.list(prefix):
            name = info.key[len(prefix) :]
            if not name.endswith(".json") or not name[:-5].isdigit():
                continue
            data = self.store.get_json(info.key)
            if isinstance(data, dict):
                out[int(name[:-5])] = data
        for info in self.store.list(f"{self.prefix}steps/{step}/journal/"):
            for record in self.store.read_records(info.key):
                try:
                    data = json.loads(record)
                except ValueError:
                    continue
                index = data.pop("i", None) if isinstance(data, dict) else None
                if isinstance(index, int) and index >= 0:
                    out[index] = data
        return out

    def save_result(self, result: Any) -> None:
        self._put("result.json", result)

    def save_trace(self, trace: RunTrace | dict[str, Any], *, items: bool = True) -> None:
        """Write the trace: a :class:`RunTrace` (:meth:`RunTrace.to_json`, without the item
        spans if not ``items``) or what its :meth:`~RunTrace.to_dict` gave. Either is aiwf's
        own data, encoded with orjson (at the end of a 100,000-item scatter, json took 0.6 s
        and ``to_dict`` 1.1 s more)."""
        self.store.put(
            self.prefix + "trace.json",
            trace.to_json(items=items) if isinstance(trace, RunTrace) else encode_own_json(trace),
            content_type=JSON_CONTENT_TYPE,
            ttl=self.ttl,
            metadata={"run_id": self.run_id},
        )

    def read_trace(self) -> dict[str, Any] | None:
        """The trace the run left (written at the end of every run, and as it goes), if any."""
        try:
            data = self.store.get_json(self.prefix + "trace.json")
        except AiwfError:
            return None
        return data if isinstance(data, dict) else None


class ItemJournal:
    """The journal segment of one scattered step's finished items in one process: one
    record per item, ``{"i": index, "output": ..., "skipped": ...}`` (and ``call`` and
    ``error`` when given). :meth:`add` costs a JSON encoding and an append; when to
    :meth:`commit` is the caller's group-commit policy (the journal's ``commit_records`` and
    ``commit_seconds`` are the store's advice)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def add(
        self,
        index: int,
        output: Any,
        skipped: bool,
        *,
        call: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Append a finished (or skipped) item; not durable before the next commit."""
        self.journal.append(encode_json({"i": index, **item_record(output, skipped, call, error)}))

    def commit(self) -> None:
        """Make every item added so far durable (blocking: an fsync or a PUT)."""
        self.journal.commit()

    def close(self) -> None:
        """Commit and release the segment (blocking)."""
        self.journal.close()


#: Runs a blocking call off the event loop (``asyncio.to_thread``, or a worker's executor).
Blocking = Callable[..., Awaitable[Any]]


class GroupCommit:
    """Group commit of one :class:`ItemJournal` (like a database's): records are appended at
    once, in the event loop (a JSON encoding and a ``write``), and committed in groups, one
    commit at a time, off the loop (``blocking``).

    A commit starts ``window`` seconds (the journal's ``commit_seconds`` unless given) after
    the first record it would cover, at once when ``commit_records`` records wait, and, when
    ``active`` counts the callers that may still add a record, at once when every one of them
    is waiting for a commit and the last commit ended a window ago or more. Records that
    arrive while a commit runs wait for the next one.

    The local engine :meth:`append` s (a finished item need not wait for its commit: a
    SIGKILL loses none, a machine crash at most the last window); a Temporal activity
    awaits :meth:`add`, which returns once a commit covering its record has ended. A failed
    commit fails the records it covered that are awaited, and every later :meth:`add` or
    :meth:`append`; :meth:`close` commits the rest, closes the journal and raises it too.
    Used from one event loop only."""

    def __init__(
        self,
        items: ItemJournal,
        *,
        blocking: Blocking = asyncio.to_thread,
        window: float | None = None,
        active: Callable[[], int] | None = None,
    ) -> None:
        self.items = items
        self.blocking = blocking
        self.every = max(1, items.journal.commit_records)
        self.window = items.journal.commit_seconds if window is None else window
        self.active = active
        #: Records appended that no commit has started to cover yet.
        self.pending = 0
        #: Of those, the ones a caller awaits (:meth:`add`).
        self.waiting: list[asyncio.Future[None]] = []
        #: Records the commit running covers.
        self.covering = 0
        #: When the last commit ended (``time.monotonic``).
        self.last = -math.inf
        self.timer: asyncio.TimerHandle | None = None
        self.running: asyncio.Future[None] | None = None
        self.broken: BaseException | None = None
        self.closed = False
        #: When a record was last appended (``time.monotonic``).
        self.used = time.monotonic()
        #: Commits made (what the tests and the benchmarks count).
        self.commits = 0

    @property
    def busy(self) -> bool:
        """Whether records wait for a commit or one is running."""
        return bool(self.pending) or self.running is not None

    def append(
        self,
        index: int,
        output: Any,
        skipped: bool,
        *,
        call: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Append an item's record; a coming commit makes it durable."""
        self._append(index, output, skipped, call, error, None)

    async def add(
        self,
        index: int,
        output: Any,
        skipped: bool,
        *,
        call: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Append an item's record and return once a commit covering it has ended."""
        done = asyncio.get_running_loop().create_future()
        self._append(index, output, skipped, call, error, done)
        await done

    def _append(
        self,
        index: int,
        output: Any,
        skipped: bool,
        call: dict[str, Any] | None,
        error: str | None,
        done: asyncio.Future[None] | None,
    ) -> None:
        if self.broken is not None:
            raise self.broken  # the last commit failed: so does this record, as a write would
        self.items.add(index, output, skipped, call=call, error=error)
        self.used = time.monotonic()
        self.pending += 1
        if done is not None:
            self.waiting.append(done)
        if self.running is None and self.due():
            self._start()
        elif self.timer is None and self.running is None:
            self.timer = asyncio.get_running_loop().call_later(self.window, self._start)

    def due(self) -> bool:
        """Whether the records waiting are to be committed now (see the class)."""
        if self.pending >= self.every:
            return True
        if self.active is None or not self.pending:
            return False
        active = self.active()
        return 0 < active <= self.pending + self.covering and (
            time.monotonic() - self.last >= self.window
        )

    def nudge(self) -> None:
        """Commit now if no commit runs and the records waiting are :meth:`due` (a caller
        that :attr:`active` counted has ended)."""
        if self.running is None and self.due():
            self._start()

    def _start(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.running is not None or not self.pending:
            return  # one commit at a time: the one running re-arms when it ends
        covered, self.waiting = self.waiting, []
        self.covering, self.pending = self.pending, 0
        self.running = asyncio.ensure_future(self.blocking(self.items.commit))
        self.running.add_done_callback(functools.partial(self._ended, covered))

    def _ended(self, covered: list[asyncio.Future[None]], future: asyncio.Future[None]) -> None:
        self.running = None
        self.covering = 0
        self.last = time.monotonic()
        self.commits += 1
        failed = asyncio.CancelledError() if future.cancelled() else future.exception()
        if failed is not None:
            self.broken = failed
            for waiter in covered + self.waiting:
                if not waiter.done():
                    waiter.set_exception(failed)
            self.waiting = []
            return
        for waiter in covered:
            if not waiter.done():
                waiter.set_result(None)
        if self.pending and self.due():
            self._start()
        elif self.pending and self.timer is None and not self.closed:
            self.timer = asyncio.get_running_loop().call_later(self.window, self._start)

    async def close(self) -> None:
        """Wait for the commits of the records awaited, commit the rest and close the
        journal; raise the error of a failed commit."""
        if self.closed:
            return
        self.closed = True
        while self.broken is None and (self.running is not None or self.waiting):
            if self.running is None:
                self._start()
            if self.running is not None:
                await asyncio.gather(self.running, return_exceptions=True)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.pending = 0
        await self.blocking(self.items.close)
        if self.broken is not None:
            raise self.broken


def item_record(
    output: Any, skipped: bool, call: dict[str, Any] | None, error: str | None
) -> dict[str, Any]:
    """What a checkpoint keeps of a finished scatter item (``call`` and ``error`` when
    given), in the per-item layout and in a journal line alike."""
    data: dict[str, Any] = {"output": output, "skipped": skipped}
    if call is not None:
        data["call"] = call
    if error is not None:
        data["error"] = error
    return data
