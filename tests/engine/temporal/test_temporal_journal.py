"""The Temporal engine's scatter items are checkpointed in journal segments committed in
groups: a call reports only once its record is durable, concurrent calls share a commit,
a failed commit fails its calls (and the next ones open another segment), retried calls
share one read of the segments, and the objects of a scatter grow with items / batch."""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_support import compile_text
from temporal_support import WIDE, Count, DevServer, settings, worker

from aiwf.engine._checkpoints import Checkpoints
from aiwf.engine.temporal import TemporalEngine
from aiwf.engine.temporal import _journals as journals
from aiwf.engine.temporal._journals import Journals, Reads
from aiwf.stores import ArtifactStore, Journal
from aiwf.stores._base import ArtifactStore as BaseStore
from aiwf.stores._base import BatchJournal
from aiwf.stores._file import FileStore


async def in_thread(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(functools.partial(func, *args, **kwargs))


class BatchStore(FileStore):
    """A file store whose journals are kept as one artifact per commit, as S3's are."""

    def _open_journal(self, key: str, *, ttl: float | None, metadata: dict[str, str]) -> Journal:
        return BaseStore._open_journal(self, key, ttl=ttl, metadata=metadata)


class Counting:
    """Counts commits and can fail the next one."""

    def __init__(self) -> None:
        self.commits = 0
        self.fail = False

    async def __call__(self, func: Callable[..., Any], *args: Any) -> Any:
        if getattr(func, "__name__", "") == "commit":
            self.commits += 1
            if self.fail:
                self.fail = False
                raise OSError("disk full")
        return await in_thread(func, *args)


@pytest.mark.parametrize("kind", ["batch", "s3"])
async def test_concurrent_items_share_one_commit_and_are_durable_when_they_return(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    store = BatchStore(tmp_path / "s") if kind == "batch" else request.getfixturevalue("s3_store")
    blocking = Counting()
    group = Journals(blocking, window=0.01)
    checkpoints = Checkpoints(store, "r")
    await asyncio.gather(
        *(group.add(checkpoints, "each", i, {"n": i}, False, call={"k": i}) for i in range(100))
    )
    # Every record is readable once its add returned: one commit covered all 100.
    records = checkpoints.load_records("each")
    assert sorted(records) == list(range(100))
    assert records[7] == {"output": {"n": 7}, "skipped": False, "call": {"k": 7}}
    assert blocking.commits == 1
    assert len(list(store.list("runs/r/steps/each/journal/"))) == 1
    assert checkpoints.load_checkpoint("each", 42) == records[42]
    await group.close()
    assert group.segments() == 0


async def test_when_every_call_in_flight_waits_the_commit_does_not_wait_the_window(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path / "s")
    blocking = Counting()
    checkpoints = Checkpoints(store, "r")

    async def call(group: Journals, index: int, answers: bool) -> None:
        with group.calling("r", "each"):
            await asyncio.sleep(0)
            if answers:
                await group.add(checkpoints, "each", index, index, False)

    async def calls(*answers: tuple[int, bool]) -> None:
        group = Journals(blocking, window=3600.0)  # the window would never end
        await asyncio.wait_for(asyncio.gather(*(call(group, i, a) for i, a in answers)), 60)
        await group.close()

    await calls((0, True))  # one call at a time: committed at once
    assert blocking.commits == 1
    await calls((1, True), (2, False))  # the first waits for the second, which has no record
    assert blocking.commits == 2
    await calls((3, True), (4, True), (5, True))  # three in flight: one commit for the three
    assert blocking.commits == 3
    assert sorted(checkpoints.load_records("each")) == [0, 1, 3, 4, 5]


async def test_a_failed_commit_fails_its_items_and_the_next_open_a_new_segment(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path / "s")
    blocking = Counting()
    group = Journals(blocking, window=0.001)
    checkpoints = Checkpoints(store, "r")
    await group.add(checkpoints, "each", 0, 0, False)
    blocking.fail = True
    results = await asyncio.gather(
        *(group.add(checkpoints, "each", i, i, False) for i in (1, 2)), return_exceptions=True
    )
    assert all(isinstance(r, OSError) for r in results)
    await group.add(checkpoints, "each", 3, 3, False)
    assert group.opened == 2
    await group.close_run("r")
    assert group.segments() == 0
    # The file store keeps appended lines; what a failed commit left may be read back
    # (the call is retried and writes it again: the later record counts).
    assert {0, 3} <= set(checkpoints.load_records("each"))


async def test_segments_are_bounded_and_closed_when_idle(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s")
    group = Journals(in_thread, window=0.001, idle=0.05, most=2)
    for run in ("a", "b", "c"):
        await group.add(Checkpoints(store, run), "each", 0, run, False)
    assert group.segments() == 2  # the least recently used one was closed
    for _ in range(200):
        if group.segments() == 0:
            break
        await asyncio.sleep(0.02)
    assert group.segments() == 0
    for run in ("a", "b", "c"):
        assert Checkpoints(store, run).load_items("each") == {0: (run, False)}
    await group.close()


async def test_lookups_that_wait_together_share_one_read(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s")
    checkpoints = Checkpoints(store, "r")
    store.put_json("runs/r/steps/each/items/5.json", {"output": 5, "skipped": False})
    group = Journals(in_thread)
    await group.add(checkpoints, "each", 6, 6, False)
    reads = Reads(in_thread)
    found = await asyncio.gather(*(reads.records(checkpoints, "each") for _ in range(50)))
    assert reads.reads == 1
    assert found[0][5]["output"] == 5  # an item file (older runs)
    assert found[0][6]["output"] == 6  # a journal record
    await group.close()


@pytest.mark.parametrize("kind", ["file", "batch"])
async def test_a_temporal_scatter_writes_objects_by_batch_not_by_item(
    dev_server: DevServer,
    queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    # A batch of at most 25 records, or what waited half a second (never one per item).
    monkeypatch.setattr(BatchJournal, "commit_records", 25)
    monkeypatch.setattr(journals, "COMMIT_WINDOW", 0.5)
    store: ArtifactStore = (FileStore if kind == "file" else BatchStore)(tmp_path / "s")
    program = compile_text(tmp_path, WIDE)
    n = 300
    items = {"items": [{"n": i} for i in range(n)]}
    config = settings(dev_server, queue, scatter_inline_items=1000)
    async with worker(config, store, Count()):
        result = await TemporalEngine(program, config, store, max_concurrency=100).run("fan", items)
    assert result.output["each"] == [{"n": i + 1} for i in range(n)]
    prefix = f"runs/{result.run_id}/steps/each/"
    keys = [info.key[len(prefix) :] for info in store.list(prefix)]
    assert not [k for k in keys if k.startswith("items/")]
    journal = [k for k in keys if k.startswith("journal/")]
    assert len({k.split("/")[1] for k in journal}) == 1  # one worker: one segment
    assert set(keys) - set(journal) == {"output.json"}  # and the step's output
    objects = len(journal)
    if kind == "file":
        assert objects == 1
    else:
        assert math.ceil(n / 25) <= objects <= n // 5
    records = Checkpoints(store, result.run_id).load_records("each")
    assert sorted(records) == list(range(n))
    assert all(r["call"]["request_id"] == f"r{i + 1}" for i, r in records.items())
