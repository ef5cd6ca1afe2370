"""Record the history of a run of the interpreter, for test_recorded_histories_replay.

Run it when the interpreter changes in a way that is *meant* to be replay-safe (behind
``workflow.patched``), to add a history of the new version next to the old ones; never
replace the old ones (they stand for the runs in flight)::

    .venv/bin/python tests/engine/temporal/record_history.py NAME

It runs the ticket-triage preset, the conformance spec's skip workflow and a workflow whose
calls have a ``retry.deadline`` on a dev server with the dry-run model, with payloads kept
inline, and writes histories/NAME-*.json.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(HERE), str(HERE.parent)]

from temporal_support import DevServer, settings, worker  # noqa: E402

from aiwf._ir.compiler import compile_files  # noqa: E402
from aiwf._spec import load_spec  # noqa: E402
from aiwf.engine._dryrun import DryRunClient, sample_input  # noqa: E402
from aiwf.engine.temporal import TemporalEngine  # noqa: E402
from aiwf.stores import open_store  # noqa: E402

SPECS = {
    "triage": (ROOT / "presets/workflows/ticket-triage.aiwf.yaml", "triage"),
    "skip": (ROOT / "tests/conformance/spec", "triage_skip"),
    "deadline": (HERE / "histories" / "deadline.aiwf.yaml", "each"),
}


async def record(name: str, server: DevServer, tmp: Path) -> None:
    store = open_store(str(tmp / "store"))
    config = settings(server, "record", payload_threshold=10 * 1024 * 1024)
    async with worker(config, store, DryRunClient(7)):
        for label, (path, workflow) in SPECS.items():
            program = compile_files(load_spec(path).files).program
            assert program is not None
            engine = TemporalEngine(program, config, store)
            value = sample_input(program, workflow, seed=7)
            result = await engine.run(workflow, value, run_id=f"{name}-{label}")
            client = await engine.client()
            history = await client.get_workflow_handle(result.run_id).fetch_history()
            (HERE / "histories" / f"{name}-{label}.json").write_text(
                history.to_json(), encoding="utf-8"
            )


def main() -> None:
    name = sys.argv[1]
    tmp = Path(tempfile.mkdtemp())
    server = DevServer(tmp / "record.db")
    server.start()
    try:
        asyncio.run(record(name, server, tmp))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
