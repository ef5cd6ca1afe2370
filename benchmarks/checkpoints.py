"""Checkpoint cost per scatter item: the item journal against one file per item, in one run.

(a) store: N finished items checkpointed into a file store (fsync on, the default), one
    way after the other: ``Checkpoints.save_item`` (one artifact file per item: temporary
    file, fsync, rename, directory fsync; what aiwf did before journals, on both
    engines) and ``ItemJournal.add`` (one append per item, a group
    commit every ``FileJournal.commit_records`` items and at the end). Reported: CPU
    (process time, every thread) and wall time per item, and files written.
(b) engine: a scatter of N items with ``--concurrency`` in flight, answered at once by an
    in-process model, run three ways: no store (the baseline), the file store with the
    journal (what aiwf does now), and the file store with the old per-item path (the same
    engine with its walk's item checkpoint swapped back). Reported: CPU per item and the
    checkpoint's share of it (CPU per item minus the baseline's).
(c) Temporal worker: N items checkpointed by ``--concurrency`` activities at once, as a
    worker's ``aiwf.call`` does it, each waiting until its checkpoint is durable: before,
    ``Checkpoints.save_item`` in the worker's store threads (one artifact per item); now,
    ``aiwf.engine.temporal._journals.Journals.add`` (the worker's segment of the step, group
    commit). On the file store, and on a store without appends (one artifact per commit,
    as on S3). Reported: CPU and wall per item, commits and objects written.

Run (about half a minute)::

    .venv/bin/python benchmarks/checkpoints.py [--items 5000] [--concurrency 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import ZeroLatency, compile_text, scatter_spec


def files_under(root: str) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def measure(fn: Callable[[], None]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def store_level(items: int) -> dict[str, tuple[float, float, int]]:
    from aiwf.engine._checkpoints import Checkpoints
    from aiwf.stores import open_store

    out: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        old = Checkpoints(open_store(os.path.join(tmp, "old")), "r")

        def per_item() -> None:
            for i in range(items):
                old.save_item("each", i, {"n": i + 1}, False)

        cpu, wall = measure(per_item)
        out["one file per item"] = (cpu, wall, files_under(os.path.join(tmp, "old")))

        new = Checkpoints(open_store(os.path.join(tmp, "new")), "r")

        def journal() -> None:
            log = new.open_items("each")
            every = log.journal.commit_records
            for i in range(items):
                log.add(i, {"n": i + 1}, False)
                if (i + 1) % every == 0:
                    log.commit()
            log.close()

        cpu, wall = measure(journal)
        assert len(new.load_items("each")) == items
        out["journal"] = (cpu, wall, files_under(os.path.join(tmp, "new")))
    return out


def no_item_walk() -> type:
    """The engine's walk with no item checkpoint at all (the run's manifest, trace, step
    outputs and result are still written): what the store costs a run besides its items."""
    from aiwf.engine._engine import _LocalWalk
    from aiwf.engine._walk import Walk

    class NoItemWalk(_LocalWalk):
        run_items = Walk.run_items

        async def save_item(self, step: str, index: int, output: Any, skipped: bool) -> None:
            return None

    return NoItemWalk


def old_walk() -> type:
    """The engine's walk with the item checkpoint of before: one artifact per item, written
    in a worker thread, no journal."""
    from aiwf.engine._engine import _LocalWalk
    from aiwf.engine._walk import Walk

    class OldWalk(_LocalWalk):
        run_items = Walk.run_items

        async def save_item(self, step: str, index: int, output: Any, skipped: bool) -> None:
            assert self.checkpoints is not None
            await asyncio.to_thread(self.checkpoints.save_item, step, index, output, skipped)

    return OldWalk


def engine_level(items: int, concurrency: int, repeat: int) -> dict[str, tuple[float, float]]:
    import aiwf.engine._engine as engine_module
    from aiwf.engine import Engine
    from aiwf.stores import open_store

    program = compile_text(scatter_spec("http://127.0.0.1:9/v1", concurrency))
    data = {"items": [{"n": i} for i in range(items)]}
    out: dict[str, tuple[float, float]] = {}
    new_walk = engine_module._LocalWalk
    variants = [
        ("no checkpoints", None, new_walk),
        ("store, no items", "none", no_item_walk()),
        ("journal", "new", new_walk),
        ("one file per item", "old", old_walk()),
    ]
    asyncio.run(Engine(program, ZeroLatency()).run("fan", data))  # warm up
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):  # interleaved, the best of each kept
            for name, store_dir, walk in variants:
                store = open_store(os.path.join(tmp, store_dir)) if store_dir else None
                engine = Engine(program, ZeroLatency(), store=store)
                engine_module._LocalWalk = walk  # type: ignore[misc]
                try:
                    cpu, wall = measure(lambda e=engine: asyncio.run(e.run("fan", data)))
                finally:
                    engine_module._LocalWalk = new_walk  # type: ignore[misc]
                best = out.get(name)
                out[name] = (cpu, wall) if best is None or cpu < best[0] else best
    return out


class _BatchStore:
    """A file store whose journals keep one artifact per commit, as S3's do."""

    @staticmethod
    def open(root: str) -> Any:
        from aiwf.stores._base import ArtifactStore
        from aiwf.stores._file import FileStore

        class BatchStore(FileStore):
            def _open_journal(self, key: str, *, ttl: float | None, metadata: Any) -> Any:
                return ArtifactStore._open_journal(self, key, ttl=ttl, metadata=metadata)

        return BatchStore(root)


def worker_run(store: Any, way: str, items: int, concurrency: int) -> tuple[float, float, int]:
    """CPU, wall and commits of ``items`` checkpoints by ``concurrency`` activities."""
    from concurrent.futures import ThreadPoolExecutor

    from aiwf.engine._checkpoints import Checkpoints
    from aiwf.engine.temporal._activities import IO_THREADS
    from aiwf.engine.temporal._journals import Journals

    checkpoints = Checkpoints(store, "r")
    pool = ThreadPoolExecutor(max_workers=IO_THREADS)
    commits = 0

    async def blocking(func: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal commits
        commits += getattr(func, "__name__", "") == "commit"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, lambda: func(*args, **kwargs))

    async def run() -> None:
        group = Journals(blocking)
        todo = iter(range(items))

        async def activity() -> None:
            for i in todo:
                call = {"request_id": f"r{i}", "latency": 0.02, "attempts": 1}
                if way == "journal":
                    with group.calling("r", "each"):
                        await group.add(checkpoints, "each", i, {"n": i}, False, call=call)
                else:
                    await blocking(checkpoints.save_item, "each", i, {"n": i}, False, call=call)

        await asyncio.gather(*(activity() for _ in range(concurrency)))
        await group.close()

    cpu, wall = measure(lambda: asyncio.run(run()))
    pool.shutdown()
    assert len(checkpoints.load_items("each")) == items
    return cpu, wall, items if way == "one file per item" else commits


def worker_level(items: int, concurrency: int) -> dict[str, tuple[float, float, int, int]]:
    from aiwf.stores import open_store

    out: dict[str, tuple[float, float, int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("file", "no appends"):
            for way in ("one file per item", "journal"):
                root = os.path.join(tmp, f"{kind}-{way}")
                store = open_store(root) if kind == "file" else _BatchStore.open(root)
                cpu, wall, commits = worker_run(store, way, items, concurrency)
                out[f"{kind}, {way}"] = (cpu, wall, commits, files_under(root))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.items

    print(f"(a) store: {n} items into a file store (fsync on)")
    store = store_level(n)
    for name, (cpu, wall, files) in store.items():
        print(
            f"  {name:<18} {cpu / n * 1e6:8.1f} µs CPU/item  {wall / n * 1e6:8.1f} µs wall/item"
            f"  {files:5d} files"
        )
    old_cpu, new_cpu = store["one file per item"][0], store["journal"][0]
    print(f"  journal / one file per item, CPU: {new_cpu / old_cpu:.3f}")

    print(
        f"(b) engine: scatter of {n} items, {args.concurrency} in flight, zero-latency model, best of {args.repeat}"
    )
    engine = engine_level(n, args.concurrency, args.repeat)
    base = engine["no checkpoints"][0]
    run_only = engine["store, no items"][0]
    for name, (cpu, wall) in engine.items():
        item = "" if name == "no checkpoints" else f"  items: {(cpu - run_only) / n * 1e6:7.1f}"
        print(
            f"  {name:<18} {cpu / n * 1e6:8.1f} µs CPU/item  {wall:6.2f} s wall"
            f"  store: {(cpu - base) / n * 1e6:7.1f}{item} µs CPU/item"
        )
    print(
        f"  journal / no checkpoints, CPU: {engine['journal'][0] / base:.2f}x;"
        f" one file per item / no checkpoints: {engine['one file per item'][0] / base:.2f}x"
    )
    print("  (store: CPU per item over no store; items: over the store with no item checkpoint)")

    print(f"(c) Temporal worker: {n} items, {args.concurrency} activities at once, each durable")
    worker = worker_level(n, args.concurrency)
    for name, (cpu, wall, commits, files) in worker.items():
        print(
            f"  {name:<30} {cpu / n * 1e6:8.1f} µs CPU/item  {wall / n * 1e6:8.1f} µs wall/item"
            f"  {commits:5d} commits  {files:5d} files"
        )
    for kind in ("file", "no appends"):
        old, new = worker[f"{kind}, one file per item"][0], worker[f"{kind}, journal"][0]
        print(f"  {kind}: journal / one file per item, CPU: {new / old:.3f}")


if __name__ == "__main__":
    main()
